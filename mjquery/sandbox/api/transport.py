"""The in-process adapter: an httpx transport that calls the sandbox core directly (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import httpx

from mjquery.sandbox.api.wire import Fault, SandboxRequest

if TYPE_CHECKING:
    from mjquery.sandbox.api.core import Sandbox


class _TruncatedStream(httpx.SyncByteStream):
    """Half a body, then the error httpx raises when a peer closes before Content-Length is met."""

    def __init__(self, partial: bytes) -> None:
        self._partial = partial

    def __iter__(self) -> Iterator[bytes]:
        if self._partial:
            yield self._partial
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )


class SandboxTransport(httpx.BaseTransport):
    """Serves httpx requests from a :class:`~mjquery.sandbox.api.core.Sandbox`; safe to share between threads."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        answer = self.sandbox.handle(
            SandboxRequest(
                method=request.method,
                path=request.url.raw_path.split(b"?", 1)[0].decode("ascii"),
                params=tuple(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)),
                headers=tuple(request.headers.items()),
                body=body,
            )
        )
        if answer.fault is Fault.DROP:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
        if answer.fault is Fault.TRUNCATE:
            return httpx.Response(
                answer.status,
                headers=headers,
                stream=_TruncatedStream(answer.body[: len(answer.body) // 2]),
                request=request,
            )
        return httpx.Response(answer.status, headers=headers, content=answer.body, request=request)
