"""The time an :class:`~mjquery.api.ApiClient` reads and waits on: the machine's, or a test's.

Every wait of the client (the rate limiter's pacing, the backoff before a retry, the pause after
a 429) and every deadline it keeps goes through one :class:`Clock`, so tests can run minutes of
backoff on a fake clock in no time, and the sandbox can share that clock.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds, and a way to wait."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's monotonic clock and real sleeps."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
