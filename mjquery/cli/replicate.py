"""``mjquery replicate``: a thin layer over :func:`mjquery.replicate.replicate`.

On a terminal a progress line on standard error shows the table being read (pages, rows, ETA);
in a pipe only the summary is printed. ``--every`` runs again on an interval until Ctrl-C; a run
is never started while the previous one is still going (runs are sequential in one process).
"""

from __future__ import annotations

import time
from typing import Any

from mjquery.cli.runs import every, parse_interval, run_once
from mjquery.errors import ProgrammingError
from mjquery.output import OutputFormat, ResultSet, write_result


def replicate(context: Any) -> int:
    options = context.options
    if options.list_tables:
        return _list(context)
    if options.replace and not options.full:
        raise ProgrammingError("--replace is only allowed with --full (it drops the tables)")
    if options.every is not None:
        parse_interval(options.every)  # a bad --every is refused before anything is read
    tables = [t for t in (options.tables or "").split(",") if t.strip()] or None
    connection = context.connection()
    # Ctrl-C during a run is like a crash: what dlt committed stays, the next run loads what
    # was left on disk
    return every(
        context,
        lambda: _run_once(context, connection, tables),
        "the next run finishes its load and goes on from the last committed watermarks",
    )


def _run_once(context: Any, connection: Any, tables: list[str] | None) -> int:
    from mjquery.replicate import replicate as run

    options = context.options
    return run_once(
        context,
        lambda progress: run(
            connection,
            to=options.to,
            tables=tables,
            full=options.full,
            replace=options.replace,
            dry_run=options.dry_run,
            keep_names=options.keep_names,
            dataset=options.dataset,
            progress=progress,
        ),
        _progress_line,
        _summary,
    )


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
            f"{report.rows_loaded:,} rows loaded in {report.load_seconds:.1f} s"
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


def _progress_line(progress: Any) -> str | None:
    """The table being read or loaded, on the shared progress line of standard error::

    [2/5] Contact: reading 45/101 pages, 45,000 rows, ETA 6 s
    [5/5] Message: loading 1,000,000 rows (223,534/1,237,534 rows loaded), ETA 12 s
    """
    if progress.phase == "done":
        return None
    return progress_text(progress, time.monotonic())


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
