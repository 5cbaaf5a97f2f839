"""One progress line on standard error, shared by the ``mjquery`` command and the shell.

On a terminal the line is rewritten in place: each update starts with a carriage return and
erases to the end of the line, so a shorter text never leaves the tail of a longer one behind
(``4/20 pages`` after ``14/20 pages``). Elsewhere (``--verbose`` into a log) it prints at most
one line per ``interval`` seconds. The page counter clears itself once the last page is in, so
the line is gone while DuckDB works on the rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

ERASE_LINE = "\r\x1b[K"


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal (False for files, pipes and test buffers)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressLine:
    """A line of progress text on ``stream``, rewritten in place on a terminal.

    Safe to call from several threads (an import reports from its worker threads).
    """

    def __init__(self, stream: TextIO, *, terminal: bool = True, interval: float = 1.0) -> None:
        self.stream = stream
        self.terminal = terminal
        self.interval = interval
        self.shown = False
        self._last = float("-inf")
        self._lock = threading.Lock()

    def show(self, text: str, *, last: bool = False) -> None:
        """Show ``text``; ``last``: the final state, printed whatever the interval."""
        with self._lock:
            if self.terminal:
                self.stream.write(ERASE_LINE + text)
                self.shown = True
            else:
                now = time.monotonic()
                if now - self._last < self.interval and not last:
                    return
                self._last = now
                self.stream.write(text + "\n")
            self.stream.flush()

    def clear(self) -> None:
        """Erase the line (the cursor is back at its start, ready for output)."""
        with self._lock:
            if self.shown:
                self.stream.write(ERASE_LINE)
                self.stream.flush()
                self.shown = False

    def pages(self, pages_done: int, pages_expected: int | None) -> None:
        """The connection's fetch callback: ``fetching: 3/10 pages``, gone after the last page.

        A fetch of one page shows nothing: it is over before anyone could read it.
        """
        if pages_expected is not None and pages_done >= pages_expected:
            self.clear()
            return
        total = "?" if pages_expected is None else str(pages_expected)
        self.show(f"fetching: {pages_done}/{total} pages")

    def notice(self, notice: object) -> None:
        """The connection's wait callback: ``rate limited by Mailjet, retrying in 20 s``, shown
        until the next page replaces it; into a log, never held back by the interval (a wait is
        what a reader of the log needs to see)."""
        self.show(str(notice), last=True)

    def counter(self, verb: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback showing ``importing: 2,000/10,000 rows``."""

        def update(done: int, total: int) -> None:
            self.show(f"{verb}: {done:,}/{total:,} rows" if total else f"{verb}: {done:,} rows")

        return update
