"""Move data out of and into the account: export any query to a file, import a CSV into a table.

``export_query(conn, "SELECT ..." | "Contact", "out.csv")`` runs the statement through a DB-API
connection and streams its rows to CSV (header, delimiter), JSON (an array of objects) or
Parquet. ``import_csv(client, "new.csv", into="Contact", list_name="Newsletter")`` inserts the
rows of a CSV through the write path (plain POSTs for a few rows, bulk jobs for many), and
writes the rows that were refused — by validation or by the API — to ``<input>.rejected.csv``:
the original columns plus an ``error`` column, ready to fix and import again.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mjquery.errors import DataError, ProgrammingError
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.execute import CatalogLike, prepare, run
from mjquery.writes.plan import RowFailure, RowWrite, WriteOptions, WritePlan
from mjquery.writes.validate import validate

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FETCH = 1000

ProgressCallback = Callable[[int, int], None]


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"

    @classmethod
    def for_path(cls, path: str | os.PathLike[str], explicit: str | None = None) -> ExportFormat:
        """The format named, or the one the file's extension says."""
        if explicit:
            try:
                return cls(explicit.lower())
            except ValueError:
                raise ProgrammingError(
                    f"Unknown export format {explicit!r}: use csv, parquet or json"
                ) from None
        suffix = Path(path).suffix.lower().lstrip(".")
        try:
            return cls(suffix)
        except ValueError:
            raise ProgrammingError(
                f"Cannot tell the format of {os.fspath(path)!r} from its extension: use .csv, .parquet "
                f"or .json, or give the format"
            ) from None


@dataclass(frozen=True)
class ExportReport:
    path: str
    format: ExportFormat
    rows: int
    columns: tuple[str, ...]


def select_for(source: str) -> str:
    """A bare table name becomes ``SELECT * FROM "Name"``; a statement is used as given."""
    text = source.strip().rstrip(";").strip()
    if _TABLE_NAME.match(text):
        return 'SELECT * FROM "' + text.replace('"', '""') + '"'
    return text


def export_query(
    conn: Any,
    source: str,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    header: bool = True,
    delimiter: str = ",",
    progress: ProgressCallback | None = None,
) -> ExportReport:
    """Run ``source`` (a SELECT or a table name) through ``conn`` and write its rows to ``path``."""
    fmt = ExportFormat.for_path(path, format)
    if len(delimiter) != 1:
        raise ProgrammingError(f"The CSV delimiter must be one character, not {delimiter!r}")
    cursor = conn.cursor()
    try:
        cursor.execute(select_for(source))
        if cursor.description is None:
            raise ProgrammingError("Export needs a table name or a statement that returns rows")
        columns = tuple(d[0] for d in cursor.description)
        batches = _batches(cursor)
        count = write_rows(
            path, fmt, columns, batches, header=header, delimiter=delimiter, progress=progress
        )
    finally:
        cursor.close()
    return ExportReport(os.fspath(path), fmt, count, columns)


def _batches(cursor: Any) -> Iterable[Sequence[Sequence[Any]]]:
    while True:
        batch = cursor.fetchmany(_FETCH)
        if not batch:
            return
        yield batch


def write_rows(
    path: str | os.PathLike[str],
    fmt: ExportFormat,
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    *,
    header: bool = True,
    delimiter: str = ",",
    progress: ProgressCallback | None = None,
) -> int:
    """Write rows to ``path`` in ``fmt``; returns the number of rows. Memory stays one batch."""
    target = Path(path)
    count = 0
    if fmt is ExportFormat.CSV:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            if header:
                writer.writerow(columns)
            for batch in batches:
                writer.writerows([_csv_value(v) for v in row] for row in batch)
                count += len(batch)
                if progress:
                    progress(count, 0)
        return count
    if fmt is ExportFormat.JSON:
        with target.open("wb") as handle:
            handle.write(b"[")
            for batch in batches:
                for row in batch:
                    handle.write(b",\n" if count else b"\n")
                    handle.write(
                        orjson.dumps(dict(zip(columns, row, strict=True)), default=_json_default)
                    )
                    count += 1
                if progress:
                    progress(count, 0)
            handle.write(b"\n]\n")
        return count
    # Parquet: stream the rows to a temporary JSON-lines file, then let DuckDB (already an
    # mjquery dependency) convert it, typed by its own inference.
    import duckdb

    with tempfile.TemporaryDirectory(prefix="mjquery-export-") as tmp:
        lines = Path(tmp) / "rows.jsonl"
        with lines.open("wb") as handle:
            for batch in batches:
                for row in batch:
                    handle.write(
                        orjson.dumps(dict(zip(columns, row, strict=True)), default=_json_default)
                        + b"\n"
                    )
                count += len(batch)
                if progress:
                    progress(count, 0)
        db = duckdb.connect()
        try:
            if count:
                db.read_json(str(lines), format="newline_delimited").write_parquet(str(target))
            else:
                empty = ", ".join(
                    "NULL::VARCHAR AS " + '"' + c.replace('"', '""') + '"' for c in columns
                )
                db.sql(f"SELECT {empty} LIMIT 0").write_parquet(
                    str(target)
                )  # names only, no values
        finally:
            db.close()
    return count


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``rejected_path`` is set when some rows were refused."""

    path: str
    table: str
    read: int
    written: int
    rejected: tuple[RowFailure, ...] = ()
    rejected_path: str | None = None
    ignored_columns: tuple[str, ...] = ()
    requests: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)  # CSV column -> table column

    def summary(self) -> str:
        text = f"imported {self.written} of {self.read} rows into {self.table}"
        if self.rejected:
            text += f"; {len(self.rejected)} rejected, see {self.rejected_path}"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return text


def rejected_path_for(path: str | os.PathLike[str]) -> Path:
    """``contacts.csv`` → ``contacts.rejected.csv`` next to it."""
    source = Path(path)
    return source.with_name(f"{source.stem}.rejected.csv")


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["email_address=Email", "full name=Name"]`` → ``{"email_address": "Email", ...}``."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ProgrammingError(f"--map takes csvcolumn=Column, not {item!r}")
        mapping[source.strip()] = target.strip()
    return mapping


def import_csv(
    client: Any,
    path: str | os.PathLike[str],
    into: str,
    *,
    catalog: CatalogLike | None = None,
    list_name: str | None = None,
    list_id: int | None = None,
    mapping: Mapping[str, str] | None = None,
    delimiter: str = ",",
    options: WriteOptions = WriteOptions(),
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Insert the rows of a CSV into ``into``; refused rows go to ``<input>.rejected.csv``.

    Columns are matched to the table's by name (case-insensitive) or by ``mapping``
    (CSV column → table column); other CSV columns are ignored and reported. ``list_name`` /
    ``list_id`` (Contact only) subscribe the new contacts to that list.
    """
    if catalog is None:
        from mjquery.schema import load_catalog

        catalog = load_catalog()
    schema = catalog.get(into)
    source = Path(path)
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = tuple(reader.fieldnames or ())
        records = [dict(r) for r in reader]
    if not header:
        raise ProgrammingError(f"{os.fspath(path)}: no header row")
    columns, ignored = _match_columns(schema, header, mapping or {})
    if list_name is not None or list_id is not None:
        if schema.resource != "contact":
            raise ProgrammingError("--list only applies to imports into Contact")
        if list_id is None:
            list_id = find_list(client, list_name or "")
    rows = [
        RowWrite({column: (record.get(csv_col) or None) for csv_col, column in columns.items()})
        for record in records
    ]
    rejected: list[tuple[int, str]] = []
    good: list[int] = []
    if rows:
        # Values are checked row by row, so one bad cell rejects one row; structural problems
        # (unknown object, operation or column) raise for the first row and stop the import.
        for index, row in enumerate(rows):
            try:
                validate(
                    WritePlan(schema.name, Operation.INSERT, (row,), list_id=list_id),
                    schema,
                    options=options,
                    defined_properties=(),
                )
            except DataError as exc:
                rejected.append((index, str(exc)))
                continue
            good.append(index)
    written = 0
    requests = 0
    if good:
        plan = WritePlan(
            schema.name, Operation.INSERT, tuple(rows[i] for i in good), list_id=list_id
        )
        prepared = prepare(plan, catalog, client, options)
        total = len(records)
        offset = len(rejected)

        def report(done: int, _: int) -> None:
            if progress is not None:
                progress(offset + done, total)

        result = run(prepared, client, options, progress=report)
        written, requests = result.written, result.requests
        rejected.extend((good[f.row_index], f.message) for f in result.failed)
        settled = set(result.written_indexes) | {f.row_index for f in result.failed}
        # Rows never attempted after an on-error stop are rejected too, so nothing is lost.
        rejected.extend(
            (good[i], "not attempted: the import stopped at the first failure")
            for i in range(len(good))
            if i not in settled
        )
    rejected.sort()
    rejected_file: str | None = None
    target = rejected_path_for(source)
    if rejected:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow((*header, "error"))
            for index, message in rejected:
                writer.writerow((*(records[index].get(c) or "" for c in header), message))
        rejected_file = os.fspath(target)
    elif target.exists():
        target.unlink()  # a stale file from an earlier run would be misleading
    failures = tuple(RowFailure(i, _row_label(records[i], columns), m) for i, m in rejected)
    return ImportReport(
        os.fspath(path),
        schema.name,
        len(records),
        written,
        failures,
        rejected_file,
        ignored,
        requests,
        columns,
    )


def _row_label(record: Mapping[str, Any], columns: Mapping[str, str]) -> str:
    for csv_col, column in columns.items():
        if column.lower() == "email" and record.get(csv_col):
            return f"Email {record[csv_col]}"
    return "row"


def _match_columns(
    schema: ObjectSchema, header: Sequence[str], mapping: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """CSV column → table column, and the CSV columns that match nothing."""
    lowered_header = {h.lower(): h for h in header}
    columns: dict[str, str] = {}
    for csv_col, target in mapping.items():
        if csv_col.lower() not in lowered_header:
            raise ProgrammingError(
                f"--map {csv_col}={target}: the file has no column {csv_col!r} "
                f"(it has {', '.join(header)})"
            )
        column = schema.column(target) or (
            schema.pseudo_column(target) if target.lower() == "contactslist" else None
        )
        if column is None:
            raise ProgrammingError(
                f"--map {csv_col}={target}: {schema.name} has no column {target!r}"
            )
        columns[lowered_header[csv_col.lower()]] = column.name
    ignored = []
    for name in header:
        if name in columns:
            continue
        column = schema.column(name)
        if column is not None and column.name not in columns.values():
            columns[name] = column.name
        else:
            ignored.append(name)
    return columns, tuple(ignored)


def find_list(client: Any, name: str) -> int:
    """The ID of the (not deleted) contact list called ``name``."""
    page = client.get("/v3/REST/contactslist", {"Name": name, "IsDeleted": "false"})
    # The API's Name filter is not exact (case): compare again here.
    matches = [r for r in page.data if str(r.get("Name")) == name] or [
        r for r in page.data if str(r.get("Name", "")).lower() == name.lower()
    ]
    if not matches:
        raise ProgrammingError(
            f"No contact list named {name!r}. Create it first: "
            f"INSERT INTO List (Name) VALUES ('{name}')"
        )
    return int(matches[0]["ID"])
