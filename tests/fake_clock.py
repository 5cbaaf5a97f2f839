"""A fake monotonic clock for the API client, its rate limiter and the sandbox's rate limit.

Sleeping moves the clock on at once instead of waiting, so a test of backoff, pacing or a
rate-limited scan runs minutes of waiting in no time and always the same way. Sleeps of several
threads overlap as real ones do: a thread's sleep ends ``seconds`` after the time that thread
last read (or slept until), so eight threads each waiting 0.1 s move the clock on 0.1 s, not 0.8.
"""

from __future__ import annotations

import threading


class FakeClock:
    """``monotonic()`` / ``sleep()`` (the :class:`mjquery.api.Clock` protocol) on a fake time;
    calling the clock reads it too (for parts that take a plain ``() -> float``)."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()
        self._seen = threading.local()

    def __call__(self) -> float:
        return self.monotonic()

    def monotonic(self) -> float:
        with self._lock:
            self._seen.at = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            start = getattr(self._seen, "at", self.now)
            self.now = max(self.now, start + seconds)
            self._seen.at = start + seconds

    def advance(self, seconds: float) -> None:
        """Time passing outside any sleep (work done between two reads)."""
        with self._lock:
            self.now += seconds

    @property
    def waited(self) -> float:
        """Seconds asked for by every sleep so far."""
        return sum(self.slept)
