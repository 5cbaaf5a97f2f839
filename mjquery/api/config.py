"""How an :class:`~mjquery.api.ApiClient` talks to Mailjet: endpoint, key pair, paging, limits, retries.

Both classes are frozen dataclasses validated on construction, so a bad setting fails when the
connection is made, with a message naming the setting. ``ApiConfig``'s repr never shows the secret
key and shows only the start of the API key.
"""

from __future__ import annotations

import ipaddress
import random
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
    all of it) so concurrent workers do not retry in lock-step. A ``Retry-After`` answer is
    honoured as given, unless it asks for more than ``retry_after_max`` seconds: then the client
    gives up at once and says how long the API asked to wait.
    """

    max_attempts: int = 6
    backoff_base: float = 0.2
    backoff_max: float = 10.0
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InterfaceError("RetryPolicy.max_attempts must be at least 1 (1 = never retry)")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise InterfaceError("RetryPolicy waits must not be negative")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before ``attempt`` (2 for the first retry)."""
        full = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, attempt - 2))
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
    """``base_url`` without a trailing slash, or an error saying why it is refused.

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
    return base_url.rstrip("/")


def _mask(value: str) -> str:
    # Enough of the public API key to tell accounts apart; never the whole of it.
    return f"{value[:4]}…" if len(value) >= 12 else "…"


#: Requests in flight at once when nothing else is configured: the one definition of the default
#: (``ApiConfig``, ``mjquery.connect`` and profiles without ``max_concurrency`` all use it). A
#: 1,000-row page is mostly latency, and a 429 lowers the pace adaptively (see ``RateLimiter``).
DEFAULT_MAX_CONCURRENCY = 16


@dataclass(frozen=True, repr=False)
class ApiConfig:
    """Settings of one connection to the Mailjet API.

    ``page_size``: ``Limit`` of each page (1..1000). ``max_concurrency``: pages fetched at once
    by a scan. ``rate_limit_per_second``: client-side limit on requests started per second by
    all threads of the client (None = no limit; 429 answers are still retried). ``timeout``:
    seconds per request. ``cache_ttl``: seconds a GET answer is reused (0 disables the cache);
    ``cache_max_bytes`` bounds its memory (least recently used answers are dropped first).
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: str = ""
    api_secret: str = field(default="", repr=False)
    page_size: int = MAX_PAGE_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    rate_limit_per_second: float | None = None
    timeout: float = 30.0
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
            f"rate_limit_per_second={self.rate_limit_per_second}, timeout={self.timeout}, "
            f"retry={self.retry!r}, cache_ttl={self.cache_ttl})"
        )

    __str__ = __repr__
