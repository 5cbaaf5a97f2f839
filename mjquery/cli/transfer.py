"""``mjquery export`` and ``mjquery import``: move rows between a file and the account.

Both are thin layers over :mod:`mjquery.writes.transfer`. ``export "<select or table>" -o FILE``
runs the SELECT through the DB-API and streams its rows to CSV, Parquet or JSON
(``export_query``); ``import FILE --into TABLE [--list NAME] [--map csvcol=Column ...]`` inserts
the rows of a CSV through the write path (``import_csv``: bulk jobs for many contacts) and
writes the refused rows to ``<input>.rejected.csv``. Both show a progress line on standard
error when it is a terminal, or with ``--verbose``. JSON lines and TSV files keep the older,
simpler path (the output formatters; ``executemany`` of an INSERT).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjquery.errors import ProgrammingError
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import EXIT_PARTLY_REFUSED, StatementRunner, paramstyle
from mjquery.frontend.sqltext import bind_parameters
from mjquery.output import OutputFormat, ResultSet, write_result

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
    return source


#: Exit status of an import that wrote some rows and rejected others.

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
    return str(target)


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


def read_rows(path: str, fmt: OutputFormat) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """The column names and rows of a CSV, TSV or JSON lines file. Empty CSV cells are NULL."""
    if fmt in (OutputFormat.CSV, OutputFormat.TSV):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="," if fmt is OutputFormat.CSV else "\t")
            rows = [{k: (v if v != "" else None) for k, v in row.items()} for row in reader]
            return tuple(reader.fieldnames or ()), iter(rows)
    if fmt is OutputFormat.JSONL:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
    elif fmt is OutputFormat.JSON:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    else:
        raise ProgrammingError(f"cannot import {fmt.value} files; use CSV, TSV, JSON or JSON lines")
    if not all(isinstance(r, dict) for r in records):
        raise ProgrammingError(f"{path}: every record must be a JSON object")
    columns = tuple(dict.fromkeys(k for r in records for k in r))
    return columns, iter(records)


def insert_statement(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO "T" ("a", "b") VALUES (:a, :b)`` for validated table and column names."""
    from mjquery.schema.catalog import load_catalog

    schema = load_catalog().get(table)
    names = []
    for column in columns:
        found = schema.column(column)
        if found is None:
            raise ProgrammingError(
                f"{schema.name} has no column {column!r} (file header); "
                f"see `mjquery describe {schema.name}`"
            )
        names.append(found.name)
    markers = ", ".join(f":p{i}" for i in range(len(names)))
    cols = ", ".join(quote_identifier(n) for n in names)
    return f"INSERT INTO {quote_identifier(schema.name)} ({cols}) VALUES ({markers})"


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
    options = context.options
    table, path = import_source(options)
    table = _table_name(table)
    explicit = None if options.format in (None, "table") else options.format
    fmt = file_format(path, explicit)
    if fmt in (OutputFormat.CSV, OutputFormat.TSV):
        return import_csv_file(context, table, path, "," if fmt is OutputFormat.CSV else "\t")
    if options.list_name or options.mapping:
        raise ProgrammingError("--list and --map apply to CSV files only")
    columns, records = read_rows(path, fmt)
    if not columns:
        raise ProgrammingError(f"{path}: no columns (is the header row missing?)")
    sql = insert_statement(table, columns)
    style = paramstyle()
    bound_rows = []
    for record in records:
        values = {f"p{i}": record.get(c) for i, c in enumerate(columns)}
        bound_rows.append(bind_parameters(sql, values, style))
    if not bound_rows:
        print(f"{path}: no rows to import", file=context.stderr)
        return 0
    cursor = context.connection().cursor()
    cursor.executemany(bound_rows[0].sql, [b.parameters for b in bound_rows])
    count = (
        cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(bound_rows)
    )
    print(f"imported {count} rows into {table}", file=context.stderr)
    return 0


def import_csv_file(context: Context, table: str, path: str, delimiter: str) -> int:
    """A CSV through ``import_csv``: one summary line, the rejected rows next to the input."""
    from mjquery.writes.transfer import import_csv, parse_mapping

    options = context.options
    mapping = parse_mapping(options.mapping)
    connection = context.connection()
    progress = progress_for(context)
    try:
        report = import_csv(
            connection.api,
            path,
            table,
            catalog=connection.catalog,
            list_name=options.list_name,
            mapping=mapping,
            delimiter=delimiter,
            options=getattr(connection, "write_options", None) or _default_write_options(),
            progress=None if progress is None else progress.counter("importing"),
        )
    finally:
        if progress is not None:
            progress.clear()
    if hasattr(connection, "clear_cache"):
        connection.clear_cache()  # later statements of this connection see the new rows
    print(report.summary(), file=context.stderr)
    return EXIT_PARTLY_REFUSED if report.rejected else 0


def _default_write_options() -> Any:
    from mjquery.writes import WriteOptions

    return WriteOptions()
