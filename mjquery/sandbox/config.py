"""Configuration of the sandbox: credentials and the knobs that make it misbehave on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: The demo key pair, documented in the README: ``mjquery --demo`` and ``mjquery sandbox`` use it
#: when no key pair is given. It only ever opens the local sandbox.
DEMO_API_KEY = "demo-api-key"
DEMO_API_SECRET = "demo-api-secret"


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox authenticates and how it degrades.

    ``latency_ms`` is added to every request (each request sleeps in its own thread, so
    concurrent requests are not serialised). ``rate_limit`` is requests per second over a
    sliding one-second window (0 = off); excess requests get 429. ``fault_rate`` of the requests
    get one of ``fault_statuses``; ``drop_rate`` are dropped without an answer; ``truncate_rate``
    get a body shorter than their Content-Length. Faults are drawn from a generator seeded with
    ``fault_seed`` so a test run is repeatable.

    ``start`` is the account clock's time when the sandbox starts (UTC when naive); by default
    the account's own ``now`` (the demo account's fixed date), or the machine's clock for an
    account without one. The clock then advances in real time (see :mod:`mjquery.sandbox.api.store`).
    """

    api_key: str = DEMO_API_KEY
    api_secret: str = field(default=DEMO_API_SECRET, repr=False)
    latency_ms: float = 0
    rate_limit: float = 0
    fault_rate: float = 0.0
    fault_statuses: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    fault_seed: int = 0
    start: datetime | None = None
