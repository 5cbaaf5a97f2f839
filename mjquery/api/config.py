"""How an :class:`~mjquery.api.ApiClient` talks to Mailjet: endpoint, key pair, paging, limits, retries.

Both classes are frozen dataclasses validated on construction, so a bad setting fails when the
connection is made, with a message naming the setting. ``ApiConfig``'s repr never shows the secret
key and shows only the start of the API key.
"""

from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mjquery.errors import InterfaceError

DEFAULT_BASE_URL = "https://api.mailjet.com"

#: Mailjet refuses pages larger than this (``Limit`` maximum, api-behaviour.md section 5).
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before repeating a request.

    ``max_attempts`` counts the first try. The wait before attempt *n* (n >= 2) is exponential,
    ``backoff_base * 2**(n-2)`` capped at ``backoff_max``, with "equal jitter" (between half and
    all of it) so concurrent workers do not retry in lock-step.

    Rate limiting (429) is not an attempt that failed: Mailjet publishes no limits and sends no
    header saying when to retry, and its users back off for minutes. The *n*-th 429 in a row of
    one request waits ``rate_limit_backoff_base * 2**(n-1)`` seconds, capped at
    ``rate_limit_backoff_max``, with the same jitter, for as long as ``ApiConfig.max_wait``
    allows: a short first wait (the client's pace has just been cut to what the API accepted,
    so the next try usually fits), then longer and longer ones while the refusals go on. A ``Retry-After`` answer is honoured as given, unless it asks for more than
    ``retry_after_max`` seconds: then the client gives up at once and says how long the API
    asked to wait.
    """

    max_attempts: int = 6
    backoff_base: float = 0.2
    backoff_max: float = 10.0
    retry_after_max: float = 60.0
    rate_limit_backoff_base: float = 0.25
    rate_limit_backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InterfaceError("RetryPolicy.max_attempts must be at least 1 (1 = never retry)")
        if (
            min(
                self.backoff_base,
                self.backoff_max,
                self.retry_after_max,
                self.rate_limit_backoff_base,
                self.rate_limit_backoff_max,
            )
            < 0
        ):
            raise InterfaceError("RetryPolicy waits must not be negative")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before ``attempt`` (2 for the first retry)."""
        full = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, attempt - 2))
        return _jitter(full, rng)

    def rate_limit_backoff(self, refusals: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``refusals``-th 429 in a row (1 for the first)."""
        full = min(
            self.rate_limit_backoff_max, self.rate_limit_backoff_base * 2.0 ** max(0, refusals - 1)
        )
        return _jitter(full, rng)


def _jitter(full: float, rng: random.Random | None) -> float:
    """Between half and all of ``full`` ("equal jitter")."""
    draw = (rng or random).random()
    return full / 2 + draw * full / 2


NO_RETRY = RetryPolicy(max_attempts=1)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash or ``/v3/REST`` suffix, or an error saying why
    it is refused.

    Plain ``http://`` would send the key pair in clear text, so it is accepted only for loopback
    hosts (the local sandbox). Credentials embedded in the URL are refused: they belong in the
    key pair, where they are kept out of logs and reprs.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InterfaceError(
            f"The API base URL {base_url!r} is not an http(s) URL; "
            f"use {DEFAULT_BASE_URL!r} or the sandbox's http://127.0.0.1:<port>"
        )
    if parts.username is not None or parts.password is not None:
        raise InterfaceError(
            "The API base URL must not contain credentials; pass the API key and secret key instead"
        )
    if parts.query or parts.fragment:
        raise InterfaceError(
            f"The API base URL must not have a query or fragment: {parts.scheme}://{parts.hostname}"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InterfaceError(
            f"Refusing plain http:// for {parts.hostname}: the key pair would travel unencrypted. "
            "Use https://, or http:// only for a loopback address (127.0.0.1, ::1, localhost)."
        )
    # The sandbox prints its URL with the REST prefix, and Mailjet's documentation writes
    # https://api.mailjet.com/v3/REST/...: both name the same API as the bare host.
    return re.sub(r"(/v3(/REST)?)?/*$", "", base_url, flags=re.IGNORECASE)


def _mask(value: str) -> str:
    # Enough of the public API key to tell accounts apart; never the whole of it.
    return f"{value[:4]}…" if len(value) >= 12 else "…"


#: Requests in flight at once when nothing else is configured: the one definition of the default
#: (``ApiConfig``, ``mjquery.connect`` and profiles without ``max_concurrency`` all use it). A
#: 1,000-row page is mostly latency, and a 429 lowers the pace adaptively (see ``RateLimiter``).
DEFAULT_MAX_CONCURRENCY = 16

#: Requests in flight when a client starts: modest, because Mailjet publishes no limits; raised
#: one at a time while answers come without a 429, up to ``max_concurrency``.
DEFAULT_INITIAL_CONCURRENCY = 4

#: Seconds one request may wait out rate limiting (429) before the statement fails: minutes, as
#: production users back off (Mailjet publishes no limit and sends no header saying when).
DEFAULT_MAX_WAIT = 300.0

#: Seconds per request. Production requests can take ~20 s (a maintainer in
#: mailjet-apiv3-php#157: "20 seconds ... is the maximum limit that Mailjet would take to handle
#: the request"), so the read timeout leaves room above that; connecting takes far less.
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0

#: Seconds a read-back that confirms a write keeps looking for it: production is eventually
#: consistent (a bulk job reports Completed before its changes can be read).
DEFAULT_CONSISTENCY_WAIT = 10.0


@dataclass(frozen=True, repr=False)
class ApiConfig:
    """Settings of one connection to the Mailjet API.

    ``page_size``: ``Limit`` of each page (1..1000). ``max_concurrency``: requests in flight
    at once at most; a client starts with ``initial_concurrency`` and raises it while no 429
    comes (halving it on one). ``rate_limit_per_second``: client-side limit on requests started
    per second by all threads of the client (None = no limit; 429 answers are still retried).
    ``max_wait``: seconds one request may keep waiting out 429s before it fails. ``timeout``:
    seconds per request (connecting: at most ``CONNECT_TIMEOUT``). ``consistency_wait``: seconds
    a read-back confirming a write keeps looking before it says the write did not happen.
    ``cache_ttl``: seconds a GET answer is reused (0 disables the cache); ``cache_max_bytes``
    bounds its memory (least recently used answers are dropped first).
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: str = ""
    api_secret: str = field(default="", repr=False)
    page_size: int = MAX_PAGE_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    initial_concurrency: int = DEFAULT_INITIAL_CONCURRENCY
    rate_limit_per_second: float | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    timeout: float = DEFAULT_TIMEOUT
    consistency_wait: float = DEFAULT_CONSISTENCY_WAIT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cache_ttl: float = 300.0
    cache_max_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InterfaceError(
                f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {self.page_size}"
            )
        if self.max_concurrency < 1:
            raise InterfaceError(f"max_concurrency must be at least 1, not {self.max_concurrency}")
        if self.initial_concurrency < 1:
            raise InterfaceError(
                f"initial_concurrency must be at least 1, not {self.initial_concurrency}"
            )
        if self.max_wait < 0 or self.consistency_wait < 0:
            raise InterfaceError("max_wait and consistency_wait must not be negative")
        if self.rate_limit_per_second is not None and self.rate_limit_per_second <= 0:
            raise InterfaceError(
                "rate_limit_per_second must be positive, or None for no client-side limit"
            )
        if self.timeout <= 0:
            raise InterfaceError(f"timeout must be positive, not {self.timeout}")
        if self.cache_ttl < 0 or self.cache_max_bytes < 0:
            raise InterfaceError(
                "cache_ttl and cache_max_bytes must not be negative (0 disables the cache)"
            )

    def __repr__(self) -> str:
        return (
            f"ApiConfig(base_url={self.base_url!r}, api_key={_mask(self.api_key)!r}, api_secret=<hidden>, "
            f"page_size={self.page_size}, max_concurrency={self.max_concurrency}, "
            f"rate_limit_per_second={self.rate_limit_per_second}, max_wait={self.max_wait}, "
            f"timeout={self.timeout}, "
            f"retry={self.retry!r}, cache_ttl={self.cache_ttl})"
        )

    __str__ = __repr__
