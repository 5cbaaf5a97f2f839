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

from mjquery.sandbox.api.core import Sandbox
from mjquery.sandbox.api.log import LoggedRequest, RequestLog
from mjquery.sandbox.api.server import SandboxServer
from mjquery.sandbox.api.wire import SandboxRequest, SandboxResponse
from mjquery.sandbox.config import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    FaultKind,
    FaultRule,
    SandboxConfig,
)

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
