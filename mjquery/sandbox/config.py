"""Configuration of the sandbox: credentials and the knobs that make it misbehave on purpose."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

#: The demo key pair, documented in the README: ``mjquery --demo`` and ``mjquery sandbox`` use it
#: when no key pair is given. It only ever opens the local sandbox.
DEMO_API_KEY = "demo-api-key"
DEMO_API_SECRET = "demo-api-secret"


class FaultKind(enum.StrEnum):
    """What goes wrong with one request.

    ``ERROR_BEFORE``: a 5xx, the request is not applied. ``ERROR_AFTER``: the request is
    applied, then answered with a 5xx (its answer is lost). ``DROP_AFTER``: applied, then the
    connection closes without an answer. ``TRUNCATE``: applied, the body stops short of its
    Content-Length. The last three are the ambiguous failures a client resolves by reading back.
    """

    ERROR_BEFORE = "error-before"
    ERROR_AFTER = "error-after"
    DROP_AFTER = "drop-after"
    TRUNCATE = "truncate"


@dataclass(frozen=True)
class FaultRule:
    """A fault for chosen requests, for tests that need it exactly there.

    Requests with ``method`` whose path matches ``path`` (a regular expression, whole path):
    ``skip`` of them go through, the next ``times`` get ``kind`` (a 5xx is ``status``).
    """

    method: str
    path: str
    kind: FaultKind
    times: int = 1
    skip: int = 0
    status: int = 503

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method.upper() and re.fullmatch(self.path, path) is not None


class JobErrorFormat(enum.StrEnum):
    """How ``GET /v3/DATA/batchjob/{id}/JSONError/application:json/LAST`` lays out a bulk job's
    errors. The reference names the file but shows none, so the layout is a knob."""

    LIST = "list"  # [{"Email", "Error"}] (the default)
    ENVELOPE = "envelope"  # {"Count", "Data": [{"ContactEmail", "ErrorMessage"}], "Total"}
    OBJECT = "object"  # {"Errors": [{"Email", "Message", "Line"}]}


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox authenticates and how it degrades.

    ``latency_ms`` is added to every request (each request sleeps in its own thread, so
    concurrent requests are not serialised). ``rate_limit`` is requests per second over a
    sliding one-second window (0 = off); excess requests get 429. ``fault_rate`` of the requests
    get one of ``fault_statuses`` and are not applied; ``error_after_rate`` are applied, then
    answered with one of ``fault_statuses``; ``drop_rate`` are applied, then dropped without an
    answer; ``truncate_rate`` are applied and get a body shorter than their Content-Length.
    Rates apply to the requests whose method is in ``fault_methods`` (all when empty) and whose
    path matches the regular expression ``fault_paths`` (all when empty). Faults are drawn from
    a generator seeded with ``fault_seed`` so a run is repeatable. ``fault_rules`` put faults on
    chosen requests (:class:`FaultRule`), before any rate is drawn.

    ``start`` is the account clock's time when the sandbox starts (UTC when naive); by default
    the account's own ``now`` (the demo account's fixed date), or the machine's clock for an
    account without one. The clock then advances in real time (see :mod:`mjquery.sandbox.api.store`).

    Harsher behaviours where the evidence about production is thin (all off by default):
    ``job_visible_after`` seconds (on the sandbox's clock) pass between a bulk contact job's POST
    and its changes being readable, so a job may report ``Completed`` before a read shows them
    (eventual consistency); ``write_visible_after`` seconds pass between a single POST creating
    an object and reads seeing it (a GET of it answers 404, lists leave it out), while its unique
    keys count at once (a second POST is refused as a duplicate); ``job_error_format`` lays a bulk job's JSON error file out another
    way; ``statistics_lag_hours``: statistics resources leave out the activity of the last hours
    of the account clock, as production's statistics lag behind the messages.
    """

    api_key: str = DEMO_API_KEY
    api_secret: str = field(default=DEMO_API_SECRET, repr=False)
    latency_ms: float = 0
    rate_limit: float = 0
    fault_rate: float = 0.0
    fault_statuses: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    error_after_rate: float = 0.0
    fault_methods: tuple[str, ...] = ()
    fault_paths: str = ""
    fault_rules: tuple[FaultRule, ...] = ()
    fault_seed: int = 0
    start: datetime | None = None
    job_visible_after: float = 0.0
    write_visible_after: float = 0.0
    job_error_format: JobErrorFormat = JobErrorFormat.LIST
    statistics_lag_hours: float = 0.0

    def __post_init__(self) -> None:
        for pattern in (self.fault_paths, *(rule.path for rule in self.fault_rules)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        rates = (self.fault_rate, self.error_after_rate, self.drop_rate, self.truncate_rate)
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("fault rates are fractions between 0 and 1, together at most 1")

    def faults_apply_to(self, method: str, path: str) -> bool:
        """Whether the fault rates apply to a request."""
        if self.fault_methods and method.upper() not in {m.upper() for m in self.fault_methods}:
            return False
        return not self.fault_paths or re.search(self.fault_paths, path) is not None
