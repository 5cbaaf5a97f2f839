"""The sandbox core: one pure ``handle(request) -> response`` function behind two adapters (skeleton)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from mjquery.sandbox.config import SandboxConfig
from mjquery.sandbox.log import RequestLog


@dataclass(frozen=True)
class SandboxRequest:
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class SandboxResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


class Sandbox:
    """A Mailjet account served locally."""

    def __init__(self, seed: int = 42, scale: float = 1.0, config: SandboxConfig | None = None,
                 data: Any = None) -> None:
        self.config = config or SandboxConfig()
        self.log = RequestLog()
        self.data = data

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        raise NotImplementedError

    def transport(self) -> httpx.BaseTransport:
        raise NotImplementedError
