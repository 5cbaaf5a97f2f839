"""Load API pages into a DuckDB table, typed by the object's schema, one page at a time.

Each page's ``Data`` array (JSON bytes from the client) is appended to the loader's scratch file
(the pages' arrays joined into one array); every few pages (``batch_pages``, and at
:meth:`TableLoader.flush`) DuckDB's own ``read_json`` reads that file with an explicit column list, converted in one ``INSERT ... SELECT``: RFC 3339
strings and epoch seconds become TIMESTAMP ("" and 0 become NULL), arrays and objects stay JSON,
ids stay exact 64-bit integers. No Python loop touches individual values; pages wait on disk, not
in memory. One ``read_json`` per batch rather than per page halves the loading CPU (the
per-statement cost dominates a 1,000-row page).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

import duckdb

from mjquery.planner.model import ColumnFill
from mjquery.schema.model import ObjectSchema, SqlType, TimeFormat


def quote(identifier: str) -> str:
    """A DuckDB identifier, double-quoted (quotes inside are doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def _string(value: str) -> str:
    """A DuckDB string literal for text mjquery itself generated (never user values)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class TableColumn:
    """One column of a fetched table: its SQL type and, for API columns, how it is read."""

    name: str
    type: SqlType
    from_api: bool
    time_format: TimeFormat | None = None


def table_columns(schema: ObjectSchema) -> tuple[TableColumn, ...]:
    """Real columns, then pseudo-columns and the parent id column (filled by the engine)."""
    columns = [TableColumn(c.name, c.type, not c.write_only, c.time_format) for c in schema.columns]
    seen = {c.name.lower() for c in columns}
    for pseudo in schema.pseudo_columns:
        if pseudo.name.lower() not in seen:
            columns.append(TableColumn(pseudo.name, pseudo.type, False))
            seen.add(pseudo.name.lower())
    if schema.parent is not None and schema.parent.column.lower() not in seen:
        columns.append(TableColumn(schema.parent.column, SqlType.BIGINT, False))
    parent_column = schema.parent.column.lower() if schema.parent else None
    return tuple(
        TableColumn(c.name, c.type, c.from_api and c.name.lower() != parent_column, c.time_format)
        for c in columns
    )


# How read_json sees each column: the API's spelling, before conversion.
_JSON_TYPE = {
    SqlType.BIGINT: "BIGINT",
    SqlType.INTEGER: "BIGINT",
    SqlType.DOUBLE: "DOUBLE",
    SqlType.BOOLEAN: "BOOLEAN",
    SqlType.VARCHAR: "VARCHAR",
    SqlType.TIMESTAMP: "VARCHAR",
    SqlType.JSON: "JSON",
}


def _conversion(column: TableColumn, lenient: bool) -> str:
    """The SELECT expression turning the raw JSON value into the column's SQL type."""
    name = quote(column.name)
    if column.type is SqlType.TIMESTAMP:
        if column.time_format is TimeFormat.EPOCH:
            seconds = f"TRY_CAST(NULLIF({name}, '') AS DOUBLE)"
            return (
                f"CASE WHEN {seconds} IS NULL OR {seconds} = 0 THEN NULL "
                f"ELSE make_timestamp(CAST({seconds} * 1000000 AS BIGINT)) END"
            )
        return f"CAST(TRY_CAST(NULLIF({name}, '') AS TIMESTAMPTZ) AS TIMESTAMP)"
    if lenient and column.type is not SqlType.VARCHAR and column.type is not SqlType.JSON:
        return f"TRY_CAST(NULLIF(CAST({name} AS VARCHAR), '') AS {column.type.value})"
    if column.type is SqlType.VARCHAR:
        return name
    return f"CAST({name} AS {column.type.value})"


class TableLoader:
    """Creates one fetched table and appends pages to it; call :meth:`flush` after the last page."""

    def __init__(
        self,
        db: duckdb.DuckDBPyConnection,
        name: str,
        schema: ObjectSchema,
        scratch_dir: str,
        *,
        batch_pages: int = 8,
    ) -> None:
        self.db = db
        self.name = name
        self.schema = schema
        self.columns = table_columns(schema)
        self.scratch_dir = scratch_dir
        self.batch_pages = max(1, batch_pages)
        self.rows = 0
        self._pending = 0  # pages in the scratch file, not yet in the table
        self._pending_fills: tuple[ColumnFill, ...] = ()
        self._file: BinaryIO | None = None
        self._path: str | None = None
        definition = ", ".join(f"{quote(c.name)} {c.type.value}" for c in self.columns)
        db.execute(f"CREATE OR REPLACE TEMP TABLE {quote(name)} ({definition})")
        self._strict_sql = self._insert_sql(lenient=False)
        self._lenient_sql = self._insert_sql(lenient=True)

    def _insert_sql(self, lenient: bool) -> str:
        api = [c for c in self.columns if c.from_api]
        spec = ", ".join(
            f"{_string(c.name)}: {_string('VARCHAR' if lenient and c.type is not SqlType.JSON else _JSON_TYPE[c.type])}"
            for c in api
        )
        select = []
        for column in self.columns:
            if column.from_api:
                select.append(_conversion(column, lenient))
            else:
                # filled from the request (pseudo-column value, parent id): a parameter, or NULL
                select.append(f"CAST($fill_{len(select)} AS {column.type.value})")
        target = ", ".join(quote(c.name) for c in self.columns)
        return (
            f"INSERT INTO {quote(self.name)} ({target}) SELECT {', '.join(select)} "
            f"FROM read_json($path, columns = {{{spec}}}, format = 'array', "
            f"maximum_object_size = 268435456)"
        )

    def append(self, data_json: bytes, rows: int, fills: tuple[ColumnFill, ...]) -> None:
        """Add one page (a JSON array of objects); it is in the table after the next flush."""
        if rows == 0:
            return
        if self._pending and fills != self._pending_fills:
            self.flush()  # one batch shares one set of filled values
        body = data_json.strip()
        if not (body.startswith(b"[") and body.endswith(b"]")):
            raise ValueError("a page must be a JSON array")
        if self._file is None:
            fd, self._path = tempfile.mkstemp(suffix=".json", dir=self.scratch_dir)
            self._file = os.fdopen(fd, "wb")
        # the batch is one JSON array: "[" + page 1's objects + "," + page 2's objects ... + "]"
        self._file.write(b"," if self._pending else b"[")
        self._file.write(memoryview(body)[1:-1])
        self._pending += 1
        self._pending_fills = fills
        self.rows += rows
        if self._pending >= self.batch_pages:
            self.flush()

    def flush(self) -> None:
        """Read the pages appended since the last flush into the table (one ``read_json``)."""
        if not self._pending or self._file is None:
            return
        self._pending = 0
        self._file.write(b"]")
        self._file.flush()
        values = {f.column.lower(): f.value for f in self._pending_fills}
        params: dict[str, object] = {}
        for index, column in enumerate(self.columns):
            if not column.from_api:
                params[f"fill_{index}"] = values.get(column.name.lower())
        params["path"] = self._path
        try:
            try:
                self.db.execute(self._strict_sql, params)
            except (duckdb.ConversionException, duckdb.InvalidInputException):
                # a value not of the documented type (e.g. "" for a number; read_json reports it
                # as invalid input): read the batch leniently
                self.db.execute(self._lenient_sql, params)
        finally:
            self._file.seek(0)
            self._file.truncate()

    def discard(self) -> None:
        """Forget pages not yet flushed and delete the scratch file (also after the last flush)."""
        self._pending = 0
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            # The scratch directory may already be gone.
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None

    def deduplicate(self, columns: tuple[str, ...]) -> None:
        """Keep one row per ``columns`` (several requests may return the same object)."""
        self.flush()
        if not columns:
            return
        keys = ", ".join(quote(c) for c in columns)
        self.db.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote(self.name)} AS "
            f"SELECT DISTINCT ON ({keys}) * FROM {quote(self.name)}"
        )


def create_count_table(db: duckdb.DuckDBPyConnection, name: str) -> None:
    db.execute(f'CREATE OR REPLACE TEMP TABLE {quote(name)} ("__count" BIGINT)')


def append_count(db: duckdb.DuckDBPyConnection, name: str, count: int) -> None:
    db.execute(f"INSERT INTO {quote(name)} VALUES (?)", [count])
