"""What ``mjquery replicate`` and ``mjquery sync`` share: one run with its progress line, summary
and exit status, and ``--every`` (run again on an interval until Ctrl-C).

* The progress line is on standard error and only on a terminal (in a pipe only the summary is
  printed); it is cleared when the run ends, whatever way it ends.
* Exit status: 0, or 3 (:data:`~mjquery.frontend.runner.EXIT_PARTLY_REFUSED`) when the report
  has failed parts (the rest went through).
* ``--every 15m``: the next run starts 15 minutes after the previous one ended, so runs never
  overlap (they are sequential in one process). Ctrl-C during a run stops like a crash would
  (the command's own message says what the next run does about it); Ctrl-C between runs stops
  with the last run's status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO, TypeVar

from mjquery.cli.main import EXIT_INTERRUPTED
from mjquery.errors import ProgrammingError
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import EXIT_PARTLY_REFUSED

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``30s``, ``15m``, ``1h``, ``1d`` in seconds."""
    match = _INTERVAL.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ProgrammingError(f"--every {text!r}: use a duration like 30s, 15m, 1h or 1d")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


class Reported(Protocol):
    """A run's report: ``failed`` is empty when every part went through."""

    @property
    def failed(self) -> Any: ...


R = TypeVar("R", bound=Reported)

ProgressCallback = Callable[[Any], None]


class ProgressReporter:
    """A run's progress callback that shows ``text(progress)`` on the shared progress line of
    standard error (cut to 120 characters); ``text`` answering None clears the line."""

    def __init__(self, stream: TextIO, text: Callable[[Any], str | None]) -> None:
        self.line = ProgressLine(stream)
        self.text = text

    def __call__(self, progress: Any) -> None:
        shown = self.text(progress)
        if shown is None:
            self.line.clear()
        else:
            self.line.show(shown[:120])

    def clear(self) -> None:
        self.line.clear()


def run_once(
    context: Any,
    run: Callable[[ProgressCallback | None], R],
    text: Callable[[Any], str | None],
    summary: Callable[[Any, R], None],
) -> int:
    """``run(progress)`` with a progress line on a terminal, then ``summary(context, report)``;
    the exit status."""
    progress = ProgressReporter(context.stderr, text) if is_terminal(context.stderr) else None
    try:
        report = run(progress)
    finally:
        if progress is not None:
            progress.clear()
    summary(context, report)
    return EXIT_PARTLY_REFUSED if report.failed else 0


def every(context: Any, once: Callable[[], int], interrupted: str) -> int:
    """``once()``, and with ``--every`` again and again until Ctrl-C. ``interrupted``: what the
    next run does after a Ctrl-C during a run (printed then)."""
    text = context.options.every
    interval = parse_interval(text) if text is not None else None
    if interval is None:
        return once()
    runs = 0
    while True:
        try:
            status = once()
        except KeyboardInterrupt:
            print(f"mjquery: interrupted during a run; {interrupted}", file=context.stderr)
            return EXIT_INTERRUPTED
        runs += 1
        try:
            # inside the try: a Ctrl-C right after this line is a stop between runs too
            print(f"mjquery: next run in {text} (Ctrl-C stops)", file=context.stderr)
            # the next run starts `interval` after this one ended: runs never overlap
            time.sleep(interval)
        except KeyboardInterrupt:
            print(f"mjquery: stopped between runs after {runs} run(s)", file=context.stderr)
            return status


__all__ = ["ProgressReporter", "every", "parse_interval", "run_once"]
