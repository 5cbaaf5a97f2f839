"""``mjquery sync``: a thin layer over :func:`mjquery.sync.run.sync`.

Standard output gets the results: a summary per direction, then the conflicts and how they
were resolved (with ``--dry-run``, every planned change too). Standard error gets the progress
line (on a terminal only), one warning per refused change (exit status 3) and a note per change
reported but not synchronised by the object's rules (an update of a new-only object, a delete
without ``--deletes``). ``--every`` runs again on an interval until Ctrl-C, never two at once.
"""

from __future__ import annotations

import json
from typing import Any

from mjquery.cli.runs import every, parse_interval, run_once
from mjquery.output import OutputFormat, ResultSequence, ResultSet


def sync(context: Any) -> int:
    options = context.options
    if options.every is not None:
        parse_interval(options.every)  # a bad --every is refused before anything is read
        if options.dry_run:
            from mjquery.errors import ProgrammingError

            raise ProgrammingError("--every and --dry-run cannot be used together")
    connection = context.connection()
    # Ctrl-C during a run: the snapshot never claims a change that was not applied
    return every(
        context,
        lambda: _run_once(context, connection),
        "the next run finds each side as it is and sends again what was not applied",
    )


def _run_once(context: Any, connection: Any) -> int:
    from mjquery.sync import sync as run

    options = context.options
    return run_once(
        context,
        lambda progress: run(
            connection,
            options.object,
            with_=options.with_url,
            table=options.db_table,
            key=options.key,
            mapping=options.map,
            prefer=options.prefer,
            deletes=options.deletes,
            dry_run=options.dry_run,
            progress=progress,
        ),
        _progress_line,
        _print,
    )


def _value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _print(context: Any, report: Any) -> None:
    from mjquery.sync import FAILED_KINDS

    fmt = OutputFormat.parse(context.options.format or "table")
    with context.output() as out:
        results = ResultSequence(fmt, out, several=True, layout=context.layout(out))
        try:
            results.write(
                ResultSet(
                    ("Direction", "Inserted", "Updated", "Deleted", "Not synchronised"),
                    [
                        (c.direction.value, c.inserted, c.updated, c.deleted, c.refused)
                        for c in (report.to_mailjet, report.to_database)
                    ],
                )
            )
            if report.dry_run and report.plan.changes:
                results.write(
                    ResultSet(
                        ("Direction", "Change", "Key", "Mailjet ID", "Values"),
                        [
                            (
                                c.direction.value,
                                c.kind.value,
                                c.key,
                                c.mailjet_id if c.mailjet_id is not None else "",
                                json.dumps(dict(c.values), default=str, sort_keys=True)
                                if c.values
                                else "",
                            )
                            for c in report.plan.changes
                        ],
                    )
                )
            if report.conflicts:
                results.write(
                    ResultSet(
                        ("Conflict key", "Column", "Mailjet", "Database", "Kept", "Why"),
                        [
                            (
                                c.key,
                                c.column,
                                _value(c.mailjet_value),
                                _value(c.database_value),
                                c.winner.value,
                                c.why,
                            )
                            for c in report.conflicts
                        ],
                    )
                )
        finally:
            results.close()
    for refusal in report.refusals:
        label = "warning" if refusal.category in FAILED_KINDS else "note"
        print(
            f"mjquery: {label}: {refusal.direction.value}, {refusal.kind.value} {refusal.key}: "
            f"{refusal.category.value}: {refusal.reason}",
            file=context.stderr,
        )
    what = "plan for" if report.dry_run else "synchronised"
    mode = "first run, linked by key" if report.first_run else "incremental"
    print(
        f"{what} {report.table} with {report.database_table} in {report.target} ({mode}; "
        f"{report.mode.value}): {report.requests} API requests, {report.write_requests} of them "
        f"writes, {report.seconds:.1f} s",
        file=context.stderr,
    )


def _progress_line(progress: Any) -> str:
    """``writing to Mailjet (insert): 120/400`` on the shared progress line of standard error."""
    text: str = progress.phase
    if progress.total:
        text += f": {progress.done}/{progress.total}"
    return text


__all__ = ["sync"]
