"""``mjquery replicate``: a thin layer over :func:`mjquery.replicate.replicate`.

On a terminal a progress line on standard error shows the table being read (pages, rows, ETA);
in a pipe only the summary is printed. ``--every`` runs again on an interval until Ctrl-C; a run
is never started while the previous one is still going (runs are sequential in one process).
"""

from __future__ import annotations

import re
import time
from typing import Any, TextIO

from mjquery.cli.main import EXIT_INTERRUPTED
from mjquery.errors import ProgrammingError
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import EXIT_PARTLY_REFUSED
from mjquery.output import OutputFormat, ResultSet, write_result

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``30s``, ``15m``, ``1h``, ``1d`` in seconds."""
    match = _INTERVAL.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ProgrammingError(f"--every {text!r}: use a duration like 30s, 15m, 1h or 1d")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def replicate(context: Any) -> int:
    options = context.options
    if options.list_tables:
        return _list(context)
    if options.replace and not options.full:
        raise ProgrammingError("--replace is only allowed with --full (it drops the tables)")
    interval = parse_interval(options.every) if options.every is not None else None
    tables = [t for t in (options.tables or "").split(",") if t.strip()] or None
    connection = context.connection()
    if interval is None:
        return _run_once(context, connection, tables)
    runs = 0
    while True:
        try:
            status = _run_once(context, connection, tables)
        except KeyboardInterrupt:
            # like a crash: what dlt committed stays, the next run loads what was left on disk
            print(
                "mjquery: interrupted during a run; the next run finishes its load and goes on "
                "from the last committed watermarks",
                file=context.stderr,
            )
            return EXIT_INTERRUPTED
        runs += 1
        try:
            # inside the try: a Ctrl-C right after this line is a stop between runs too
            print(f"mjquery: next run in {options.every} (Ctrl-C stops)", file=context.stderr)
            # the next run starts `interval` after this one ended: runs never overlap
            time.sleep(interval)
        except KeyboardInterrupt:
            print(f"mjquery: stopped between runs after {runs} run(s)", file=context.stderr)
            return status


def _run_once(context: Any, connection: Any, tables: list[str] | None) -> int:
    from mjquery.replicate import replicate as run

    options = context.options
    progress = _Progress(context.stderr) if is_terminal(context.stderr) else None
    try:
        report = run(
            connection,
            to=options.to,
            tables=tables,
            full=options.full,
            replace=options.replace,
            dry_run=options.dry_run,
            keep_names=options.keep_names,
            dataset=options.dataset,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.clear()
    _summary(context, report)
    return EXIT_PARTLY_REFUSED if report.failed else 0


def _summary(context: Any, report: Any) -> None:
    from mjquery.schema.replication import STRATEGY_LABEL

    rows: list[tuple[Any, ...]]
    if report.dry_run:
        header: tuple[str, ...] = (
            "Table",
            "Target table",
            "Mode",
            "Strategy",
            "Watermark",
            "Requests planned",
        )
        rows = [
            (
                t.table,
                t.target_table,
                t.mode,
                STRATEGY_LABEL[t.strategy],
                t.watermark or "",
                t.error or " / ".join(line.strip() for line in t.plan.splitlines()[:3]),
            )
            for t in report.tables
        ]
    else:
        header = (
            "Table",
            "Target table",
            "Mode",
            "Rows read",
            "Inserted",
            "Updated",
            "Deleted",
            "Requests",
            "Seconds",
            "Status",
        )
        rows = [
            (
                t.table,
                t.target_table,
                t.mode,
                t.rows_read,
                t.inserted,
                t.updated,
                t.deleted,
                t.requests,
                round(t.seconds, 2),
                "ok" if t.ok else "FAILED: " + t.error,
            )
            for t in report.tables
        ]
    fmt = OutputFormat.parse(context.options.format or "table")
    write_result(ResultSet(header, rows), fmt, context.stdout, context.layout(context.stdout))
    what = "plan for" if report.dry_run else "replicated into"
    line = f"{what} {report.target} (dataset {report.dataset})"
    if not report.dry_run:
        line += (
            f": {sum(t.ok for t in report.tables)}/{len(report.tables)} tables, "
            f"{report.rows_loaded} rows loaded in {report.load_seconds:.1f} s"
        )
    print(line, file=context.stderr)
    for failed in report.failed:
        print(f"mjquery: warning: {failed.table}: {failed.error}", file=context.stderr)


def _list(context: Any) -> int:
    from mjquery.replicate import replicability
    from mjquery.schema.catalog import load_catalog
    from mjquery.schema.replication import STRATEGY_LABEL

    rows = []
    for schema in load_catalog().objects:
        item = replicability(schema)
        rows.append(
            (
                item.table,
                "yes" if item.replicable else "no",
                STRATEGY_LABEL[item.strategy] if item.strategy else "",
                item.detail,
            )
        )
    fmt = OutputFormat.parse(context.options.format or "table")
    write_result(
        ResultSet(("Table", "Replicable", "Strategy", "How"), rows),
        fmt,
        context.stdout,
        context.layout(context.stdout, wrap=True),
    )
    return 0


class _Progress:
    """The table being read or loaded, on the shared progress line of standard error::

    [2/5] Contact: reading 45/101 pages, 45,000 rows, ETA 6 s
    [5/5] Message: loading 1,000,000 rows (223,534/1,237,534 rows loaded), ETA 12 s
    """

    def __init__(self, stream: TextIO) -> None:
        self.line = ProgressLine(stream)

    def __call__(self, progress: Any) -> None:
        if progress.phase == "done":
            self.line.clear()
            return
        self.line.show(progress_text(progress, time.monotonic())[:120])

    def clear(self) -> None:
        self.line.clear()


def progress_text(progress: Any, now: float) -> str:
    """One progress line for :class:`mjquery.replicate.Progress` at monotonic time ``now``."""
    place = f"[{progress.table_number}/{progress.tables}] " if progress.tables else ""
    elapsed = now - progress.started
    if progress.phase == "loading":
        text = (
            f"{place}{progress.table}: loading {progress.rows:,} rows "
            f"({progress.rows_loaded:,}/{progress.rows_to_load:,} rows loaded)"
        )
        if progress.rows_loaded:
            left = progress.rows_to_load - progress.rows_loaded
            text += f", ETA {elapsed / progress.rows_loaded * left:.0f} s"
        return text
    done, expected = progress.pages_done, progress.pages_expected
    text = (
        f"{place}{progress.table}: reading {done}/{expected if expected else '?'} pages, "
        f"{progress.rows:,} rows"
    )
    if expected and done:
        text += f", ETA {elapsed / done * (expected - done):.0f} s"
    return text


__all__ = ["parse_interval", "progress_text", "replicate"]
