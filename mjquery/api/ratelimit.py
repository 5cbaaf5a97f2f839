"""A client-side rate limiter shared by every thread of one API client, adapting to 429s.

Requests are paced, not bursted: at most one request starts every ``1 / rate`` seconds. Mailjet
counts calls per key over a sliding window, and a burst followed by the steady rate would
overrun such a window; pacing never does. After a 429, :meth:`RateLimiter.pause_until` holds every
thread back, so one refusal does not turn into a volley of refused retries.

The pace adapts (additive increase, multiplicative decrease), so an account with a rate limit
costs few 429s without the user setting one:

* a 429 (:meth:`RateLimiter.throttled`) cuts the pace to ``DECREASE`` times the rate the API
  accepted over the last second (or the current pace, if lower). When the client was not paced
  yet, the rate it started requests at over the last second counts too: a first volley refused
  because other traffic filled the API's window says little about the limit, and cutting to the
  one or two answers accepted so far would crawl for many seconds. When nothing at all was
  accepted over the last second and the client was not paced (its very first request refused,
  the API's window full of other traffic), the refusal says nothing of the limit: the pace is
  left alone and the next request waits one window, by which time the requests that filled it
  have left it (cutting to the one request started set a pace of 1 request per second, which
  took 10 s to creep back to a 10/s limit). At most once per second, as
  the requests already in flight when the limit was hit are refused together — and starts the
  next request once the oldest answer of that second has left a one-second window;
* every other answer (:meth:`RateLimiter.answered`) raises the pace by ``INCREASE`` requests per
  second per second, up to the configured ``rate_per_second`` (none: unbounded; once the pace
  is far above what is being used the limiter stops pacing altogether).
"""

from __future__ import annotations

import threading
from collections import deque

from mjquery.api.clock import SYSTEM_CLOCK, Clock

#: The pace after a 429, as a share of the rate the API accepted over the last second.
DECREASE = 0.8
#: Requests per second added to the pace for each second of answers without a 429.
INCREASE = 1.0
#: The slowest pace the limiter ever sets by itself.
MIN_RATE = 1.0
#: The window over which accepted requests are counted.
WINDOW_S = 1.0


class RateLimiter:
    """Hands out start times; :meth:`acquire` sleeps until the caller's turn."""

    def __init__(
        self,
        rate_per_second: float | None,
        *,
        adaptive: bool = True,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._ceiling = rate_per_second
        self._rate = rate_per_second  # the current pace; None = no pacing
        self._adaptive = adaptive
        self._clock = clock
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._paused_until = 0.0
        self._accepted: deque[float] = deque()  # answer times of the last WINDOW_S
        self._started: deque[float] = deque()  # start times of the last WINDOW_S
        self._last_cut = float("-inf")
        self._last_answer: float | None = None

    @property
    def rate(self) -> float | None:
        """The current pace in requests per second (None: not paced)."""
        with self._lock:
            return self._rate

    def acquire(self) -> float:
        """Wait for this request's turn; returns the seconds waited."""
        with self._lock:
            now = self._clock.monotonic()
            start = max(now, self._next_start, self._paused_until)
            if self._rate:
                self._next_start = start + 1.0 / self._rate
            if self._adaptive:
                self._started.append(start)
                self._trim(now)
        waited = start - now
        if waited > 0:
            self._clock.sleep(waited)
        return max(0.0, waited)

    def answered(self) -> None:
        """An answer that was not a 429: count it, and let the pace creep back up."""
        if not self._adaptive:
            return
        with self._lock:
            now = self._clock.monotonic()
            self._accepted.append(now)
            self._trim(now)
            previous, self._last_answer = self._last_answer, now
            if self._rate is None or self._rate == self._ceiling or previous is None:
                return
            self._rate += INCREASE * max(0.0, min(now - previous, WINDOW_S))
            if self._ceiling is not None:
                self._rate = min(self._rate, self._ceiling)
            elif (
                self._rate > 4 * max(len(self._accepted) / WINDOW_S, MIN_RATE)
                and now - self._last_cut > 10 * WINDOW_S
            ):
                self._rate = None  # long recovered and far above the rate in use: stop pacing

    def throttled(self, *, told_when: bool = False) -> None:
        """A 429: lower the pace (once per window; the requests in flight were refused together).
        ``told_when``: the 429 said when to come back (Retry-After), which the caller waits for."""
        if not self._adaptive:
            return
        with self._lock:
            now = self._clock.monotonic()
            if now - self._last_cut < WINDOW_S:
                return
            self._last_cut = now
            self._trim(now)
            accepted = len(self._accepted) / WINDOW_S
            if self._rate is None and not self._accepted:
                if not told_when:
                    self._next_start = max(self._next_start, now + WINDOW_S)
                return
            if self._rate is None:
                base = max(accepted, len(self._started) / WINDOW_S)
            else:
                base = min(self._rate, accepted or self._rate)
            self._rate = max(MIN_RATE, DECREASE * base)
            # A sliding window counts the requests it accepted: the next one fits once the
            # oldest of them has left it (the requests refused meanwhile were not counted).
            resume = self._accepted[0] + WINDOW_S if self._accepted else now
            self._next_start = max(self._next_start, resume)

    def pause_until(self, when: float) -> None:
        """Start no request before ``when`` (a time on this limiter's clock)."""
        with self._lock:
            self._paused_until = max(self._paused_until, when)

    def now(self) -> float:
        return self._clock.monotonic()

    def _trim(self, now: float) -> None:
        for times in (self._accepted, self._started):
            while times and times[0] < now - WINDOW_S:
                times.popleft()


class ConcurrencyWindow:
    """How many requests of one client may be in flight at once, adapting to 429s.

    It starts modest (``start``) because Mailjet publishes no limits. Until the first 429 it
    doubles each round (TCP's slow start): when a request sent since the window last grew comes
    back without a 429, the window proved itself for one round trip. A scan's first page and its
    count are rounds of one request each, so a scan starting at 4 reads its remaining pages 16 at
    a time (4, 8, 16), where growing by one per answer would take two more rounds of pages to get
    there. After a 429 it grows by one each time as many answers as the window allows came back
    without one (additive increase), up to ``ceiling``. A 429 halves it, never below 1; the other
    requests already in flight at that moment were sent under the old window, so their 429s do
    not halve it again.
    """

    def __init__(self, start: int, ceiling: int) -> None:
        self._ceiling = max(1, ceiling)
        self._limit = max(1, min(start, self._ceiling))
        self._in_flight = 0
        self._accepted = 0  # answers without a 429 since the window last changed
        self._volley = 0  # answers still due from requests sent before the last halving
        self._slow_start = True  # no 429 yet: double each round
        self._round = 0  # bumped when the window grows: answers to older requests do not grow it
        self._sent_in = threading.local()  # the round in which this thread's request was sent
        self._condition = threading.Condition()

    @property
    def limit(self) -> int:
        with self._condition:
            return self._limit

    def acquire(self) -> None:
        """Wait for a free place among the requests in flight."""
        with self._condition:
            while self._in_flight >= self._limit:
                self._condition.wait()
            self._in_flight += 1
            self._sent_in.round = self._round

    def release(self, *, throttled: bool) -> None:
        """A request is over: its answer was a 429 (``throttled``) or not."""
        with self._condition:
            self._in_flight -= 1
            stale = self._volley > 0
            if stale:
                self._volley -= 1
            if throttled and not stale:
                self._limit = max(1, self._limit // 2)
                self._accepted = 0
                self._volley = self._in_flight
                self._slow_start = False
            elif not throttled:
                self._accepted += 1
                if self._slow_start:
                    if getattr(self._sent_in, "round", self._round) == self._round:
                        self._limit = min(self._ceiling, self._limit * 2)
                        self._round += 1
                elif self._accepted >= self._limit and self._limit < self._ceiling:
                    self._limit += 1
                    self._accepted = 0
            self._condition.notify_all()
