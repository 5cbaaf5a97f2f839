"""A local Mailjet-compatible server with a seeded demo account: the ``--demo`` backend and the test double.

Usage::

    sb = Sandbox(seed=42, scale=1.0)
    client = httpx.Client(transport=sb.transport(), base_url="https://api.mailjet.com",
                          auth=(DEMO_API_KEY, DEMO_API_SECRET))
    with SandboxServer(sb, host="127.0.0.1", port=0) as server:   # or over real sockets
        ...server.url...
    sb.log.requests(method="GET", path="/v3/REST/contact")

The behaviour is that of Mailjet's v3 REST API as ``reference/`` documents it; where the
reference is silent the choices are listed in :mod:`mjquery.sandbox.api.core`.
"""

import importlib
from typing import TYPE_CHECKING

from mjquery.sandbox.config import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    FaultKind,
    FaultRule,
    SandboxConfig,
)

if TYPE_CHECKING:
    from mjquery.sandbox.api.core import Sandbox
    from mjquery.sandbox.api.log import LoggedRequest, RequestLog
    from mjquery.sandbox.api.server import SandboxServer
    from mjquery.sandbox.api.wire import SandboxRequest, SandboxResponse

#: Where each server name lives. They load on first use: the demo key pair and the settings
#: are light, while the server pulls in httpx and the whole sandbox, which a ``--demo`` command
#: that never sends a request does not need.
_LAZY = {
    "Sandbox": "mjquery.sandbox.api.core",
    "LoggedRequest": "mjquery.sandbox.api.log",
    "RequestLog": "mjquery.sandbox.api.log",
    "SandboxServer": "mjquery.sandbox.api.server",
    "SandboxRequest": "mjquery.sandbox.api.wire",
    "SandboxResponse": "mjquery.sandbox.api.wire",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mjquery.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "FaultKind",
    "FaultRule",
    "LoggedRequest",
    "RequestLog",
    "Sandbox",
    "SandboxConfig",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
]
