"""The sandbox over real sockets (skeleton)."""

from __future__ import annotations

from mjquery.sandbox.core import Sandbox


class SandboxServer:
    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> SandboxServer:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        return None
