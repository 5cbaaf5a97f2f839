"""The sandbox over real sockets: a threaded HTTP/1.1 server (keep-alive) around the same core.

Each connection is served by its own thread, so added latency never serialises concurrent
requests. A dropped connection closes the socket without answering; a truncated body sends the
full Content-Length and half the bytes, then closes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mjquery.sandbox.api.core import Sandbox
from mjquery.sandbox.api.wire import Fault, SandboxRequest


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mjquery-sandbox"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True
    sys_version = ""
    sandbox: Sandbox  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded in the sandbox's own log, not printed."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        answer = self.sandbox.handle(
            SandboxRequest(
                method=self.command,
                path=target.path,
                params=tuple(parse_qsl(target.query, keep_blank_values=True)),
                headers=tuple(self.headers.items()),
                body=body,
            )
        )
        if answer.fault is Fault.DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.fault is Fault.TRUNCATE:
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        if answer.body:
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class SandboxServer:
    """Serve a sandbox on ``host:port`` from a background thread; ``port=0`` picks a free port.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``url`` is the base URL
    (``http://127.0.0.1:<port>``) once started.
    """

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        """Bind and serve from a daemon thread."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self.serve_forever, name="mjquery-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from elsewhere."""
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.05)

    def bind(self) -> SandboxServer:
        """Open the listening socket without starting a thread (for :meth:`serve_forever`)."""
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self.sandbox})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.url})"
