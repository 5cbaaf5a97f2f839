"""A client-side rate limiter shared by every thread of one API client.

Requests are paced, not bursted: at most one request starts every ``1 / rate`` seconds. Mailjet
counts calls per key over a sliding window, and a burst followed by the steady rate would
overrun such a window; pacing never does. After a 429, :meth:`RateLimiter.pause_until` holds every
thread back, so one refusal does not turn into a volley of refused retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Hands out start times; :meth:`acquire` sleeps until the caller's turn."""

    def __init__(self, rate_per_second: float | None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 0.0 if rate_per_second is None else 1.0 / rate_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._paused_until = 0.0

    def acquire(self) -> float:
        """Wait for this request's turn; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start, self._paused_until)
            if self._interval:
                self._next_start = start + self._interval
        waited = start - now
        if waited > 0:
            self._sleep(waited)
        return max(0.0, waited)

    def pause_until(self, when: float) -> None:
        """Start no request before ``when`` (a time on this limiter's clock)."""
        with self._lock:
            self._paused_until = max(self._paused_until, when)

    def now(self) -> float:
        return self._clock()
