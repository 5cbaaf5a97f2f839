"""``mjquery export`` and ``mjquery import``: move rows between a file and the account.

Both are thin layers over the library. ``export "<select or table>" -o FILE`` runs the SELECT
through the DB-API and streams its rows to CSV, Parquet or JSON
(:func:`mjquery.writes.transfer.export_query`; JSON lines and TSV through the output
formatters); ``import FILE --into TABLE [--list NAME] [--map col=Column ...] [--upsert]
[--resume]`` inserts the rows of a CSV, TSV, JSON or JSON lines file through the write path
(:func:`mjquery.writes.imports.import_file`, which keeps a journal under the user's state
directory) and writes the rows not on the server to ``<input>.rejected.<ext>``. Both show a
progress line on standard error when it is a terminal, or with ``--verbose``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjquery.errors import ProgrammingError
from mjquery.frontend.messages import check_output_file
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import EXIT_PARTLY_REFUSED, StatementRunner, classify
from mjquery.frontend.sqltext import split_statements
from mjquery.output import OutputFormat, ResultSet, write_result
from mjquery.planner.model import StatementKind

if TYPE_CHECKING:
    from mjquery.cli.commands import Context

_EXTENSIONS = {
    ".csv": OutputFormat.CSV,
    ".tsv": OutputFormat.TSV,
    ".json": OutputFormat.JSON,
    ".jsonl": OutputFormat.JSONL,
    ".ndjson": OutputFormat.JSONL,
    ".md": OutputFormat.MARKDOWN,
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def file_format(path: str, explicit: str | None) -> OutputFormat:
    if explicit:
        return OutputFormat.parse(explicit)
    fmt = _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ProgrammingError(
            f"cannot tell the format of {path!r} from its extension; "
            f"use .csv, .tsv, .json or .jsonl, or give --format"
        )
    return fmt


def _table_name(name: str) -> str:
    """The SQL name of a known table (validated against the catalog: unknown names are errors)."""
    from mjquery.schema.catalog import load_catalog

    return load_catalog().get(name).name


def export_sql(source: str) -> str:
    """The SELECT an export runs: the statement itself, or every column of a table."""
    source = source.strip().rstrip(";")
    if _NAME.fullmatch(source):
        return "SELECT * FROM " + quote_identifier(_table_name(source))
    statements = split_statements(source)
    if len(statements) != 1 or classify(statements[0]).kind is not StatementKind.QUERY:
        raise ProgrammingError(
            "export needs a SELECT or a table name: "
            'mjquery export "SELECT Email, Name FROM Contact" -o contacts.csv'
        )
    return statements[0]


#: Formats only the output formatters write (the library writes csv, parquet and json).
_FORMATTER_ONLY = {"jsonl", "ndjson", "tsv", "md"}


def progress_for(context: Context) -> ProgressLine | None:
    """A progress line when standard error is a terminal or --verbose is on, else None."""
    terminal = is_terminal(context.stderr)
    if not (terminal or context.options_verbose):
        return None
    return ProgressLine(context.stderr, terminal=terminal)


def export_target(options: Any) -> str:
    """The file of ``export``: ``-o FILE`` (or, the older form, a second argument)."""
    legacy = getattr(options, "file", None)
    if legacy and options.output and legacy != options.output:
        raise ProgrammingError("export takes one destination: -o FILE")
    target = options.output or legacy
    if not target:
        raise ProgrammingError(
            'export needs a destination: mjquery export "<select or table>" -o file.csv'
        )
    return str(check_output_file(target))


def export(context: Context) -> int:
    from mjquery.writes.transfer import export_query

    options = context.options
    target = export_target(options)
    explicit = getattr(options, "format", None)
    suffix = Path(target).suffix.lower().lstrip(".")
    source = export_sql(options.source)
    if (explicit or suffix) not in _FORMATTER_ONLY:
        progress = progress_for(context)
        try:
            report = export_query(
                context.connection(),
                source,
                target,
                explicit,
                progress=None if progress is None else progress.counter("exporting"),
            )
        finally:
            if progress is not None:
                progress.clear()
        print(
            f"exported {report.rows} rows to {target} ({report.format.value})", file=context.stderr
        )
        return 0
    fmt = file_format(target, explicit)
    runner = StatementRunner(context.connection())
    executed = runner.execute(source)
    if executed.columns is None:
        raise ProgrammingError("export needs a table name or a statement that returns rows")
    with open(target, "w", encoding="utf-8", newline="") as handle:
        count = write_result(ResultSet(executed.columns, executed.rows()), fmt, handle)
    print(f"exported {count} rows to {target} ({fmt.value})", file=context.stderr)
    return 0


def import_source(options: Any) -> tuple[str, str]:
    """(table, file) of ``import FILE --into TABLE``, or of the older ``import TABLE FILE``."""
    if options.into:
        if options.legacy_file is not None:
            raise ProgrammingError("import takes one file: mjquery import file.csv --into Contact")
        return options.into, options.file
    if options.legacy_file is not None:
        return options.file, options.legacy_file
    raise ProgrammingError("import needs the table: mjquery import file.csv --into Contact")


def import_file(context: Context) -> int:
    """``mjquery import FILE --into TABLE``: one summary line, the rejected rows next to the input."""
    from mjquery.config import state_dir
    from mjquery.writes import WriteOptions
    from mjquery.writes.imports import EventKind, ImportEvent, ImportProgress, import_file
    from mjquery.writes.imports import parse_mapping as parse_map
    from mjquery.writes.journal import journal_path

    options = context.options
    table, path = import_source(options)
    table = _table_name(table)
    explicit = None if options.format in (None, "table") else options.format
    delimiter = options.delimiter
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    connection = context.connection()
    progress = progress_for(context)

    previous = [ImportProgress(0, 0, 0)]

    def show(state: ImportProgress) -> None:
        if progress is None:
            return
        before, previous[0] = previous[0], state
        # Into a log the line is printed at most once a second, except when a bulk job moves
        # the counts: the last line before an interruption must not understate what was sent.
        jump = state.submitted - before.submitted > 1 or state.confirmed - before.confirmed > 1
        last = state.confirmed == state.total
        progress.show(f"importing: {state.describe()}", last=last or jump)

    def tell(event: ImportEvent) -> None:
        if event.kind is EventKind.RESUMED or context.options_verbose:
            if progress is not None:
                progress.clear()
            print(event.text, file=context.stderr)

    try:
        report = import_file(
            connection.api,
            path,
            table,
            catalog=connection.catalog,
            list_name=options.list_name,
            mapping=parse_map(options.mapping),
            format=explicit,
            delimiter=delimiter,
            upsert=options.upsert,
            options=getattr(connection, "write_options", None) or WriteOptions(),
            journal=journal_path(state_dir(), Path(path), table, options.list_name),
            resume=options.resume,
            progress=show,
            on_event=tell,
        )
    finally:
        if progress is not None:
            progress.clear()
    if hasattr(connection, "clear_cache"):
        connection.clear_cache()  # later statements of this connection see the new rows
    print(report.summary(), file=context.stderr)
    if report.journal_path:
        print(
            f"the journal {report.journal_path} is kept: run the same import again to settle "
            "the rows whose outcome is unknown",
            file=context.stderr,
        )
    return EXIT_PARTLY_REFUSED if report.rejected else 0
