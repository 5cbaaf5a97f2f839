"""Move data out of the account: export any query to a file.

``export_query(conn, "SELECT ..." | "Contact", "out.csv")`` runs the statement through a DB-API
connection and streams its rows to CSV (header, delimiter), JSON (an array of objects) or
Parquet. Imports are :mod:`mjquery.writes.imports`.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from mjquery.errors import ProgrammingError

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


#: A Parquet export's scratch directory in the system temp folder: ``mjquery-export-<pid>-*``.
SCRATCH_PREFIX = "mjquery-export-"
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)-")


def remove_stale_scratch(folder: str | None = None) -> list[Path]:
    """Remove the scratch directories of exports whose process is gone (killed mid-export: the
    ``with`` that removes them never ended); the ones removed."""
    removed: list[Path] = []
    if os.name != "posix":  # the liveness check below is POSIX's
        return removed
    root = Path(folder or tempfile.gettempdir())
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if match is None or not entry.is_dir() or _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


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

    remove_stale_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as tmp:
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
