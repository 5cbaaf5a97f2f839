"""``mjquery export`` and ``mjquery import``: move rows between a file and the account.

Export runs a SELECT through the DB-API and streams it through the output formatters, so a
large table is written page by page. Import reads a CSV or JSON lines file and inserts its rows
with ``executemany`` and an ``INSERT`` whose values are parameters; the write path of the library
decides how to send them (one request per row, or a bulk job for many contacts).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjquery.cli.runner import StatementRunner, paramstyle
from mjquery.cli.sqltext import bind_parameters
from mjquery.errors import ProgrammingError
from mjquery.output import OutputFormat, ResultSet, write_result

if TYPE_CHECKING:
    from mjquery.cli.commands import Context

_EXTENSIONS = {
    ".csv": OutputFormat.CSV, ".tsv": OutputFormat.TSV, ".json": OutputFormat.JSON,
    ".jsonl": OutputFormat.JSONL, ".ndjson": OutputFormat.JSONL, ".md": OutputFormat.MARKDOWN,
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
        raise ProgrammingError(f"cannot tell the format of {path!r} from its extension; "
                               f"use .csv, .tsv, .json or .jsonl, or give --format")
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


def export(context: "Context") -> int:
    options = context.options
    fmt = file_format(options.file, options.format)
    runner = StatementRunner(context.connection())
    executed = runner.execute(export_sql(options.source))
    if executed.columns is None:
        raise ProgrammingError("export needs a table name or a statement that returns rows")
    with open(options.file, "w", encoding="utf-8", newline="") as handle:
        count = write_result(ResultSet(executed.columns, executed.rows()), fmt, handle)
    print(f"exported {count} rows to {options.file}", file=context.stderr)
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
            raise ProgrammingError(f"{schema.name} has no column {column!r} (file header); "
                                   f"see `mjquery describe {schema.name}`")
        names.append(found.name)
    markers = ", ".join(f":p{i}" for i in range(len(names)))
    cols = ", ".join(quote_identifier(n) for n in names)
    return f"INSERT INTO {quote_identifier(schema.name)} ({cols}) VALUES ({markers})"


def import_file(context: "Context") -> int:
    options = context.options
    fmt = file_format(options.file, None if options.format in (None, "table") else options.format)
    columns, records = read_rows(options.file, fmt)
    if not columns:
        raise ProgrammingError(f"{options.file}: no columns (is the header row missing?)")
    sql = insert_statement(options.table, columns)
    style = paramstyle()
    bound_rows = []
    for record in records:
        values = {f"p{i}": record.get(c) for i, c in enumerate(columns)}
        bound_rows.append(bind_parameters(sql, values, style))
    if not bound_rows:
        print(f"{options.file}: no rows to import", file=context.stderr)
        return 0
    cursor = context.connection().cursor()
    cursor.executemany(bound_rows[0].sql, [b.parameters for b in bound_rows])
    count = cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(bound_rows)
    print(f"imported {count} rows into {options.table}", file=context.stderr)
    return 0
