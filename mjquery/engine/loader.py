"""Load API pages into a DuckDB table, typed by the object's schema, only the columns a query reads.

The API client hands over each page as the bytes the API sent (it reads only the envelope's
row count). Every ``batch_rows`` rows (or :data:`BATCH_BYTES` of pages), the batch's bodies go
to DuckDB as one list parameter (no scratch file) and one ``INSERT ... SELECT`` parses them with
DuckDB's JSON reader
(``json_transform``: C++, the GIL released, so the client's threads keep fetching meanwhile),
keeping only the columns the query reads
(projection pushdown: a ``COUNT(*)``-like scan keeps none, it counts the rows), and converts
them to the table's types: RFC 3339 strings and epoch seconds become TIMESTAMP ("" and 0 become
NULL), arrays and objects become JSON, ids stay exact 64-bit integers, and a value that does not
fit its column's type (``""`` for a number) becomes NULL. No Python object is built per row.

The rows inserted are checked against the row counts the pages declared: a page whose ``Data``
does not hold what its ``Count`` says, or that is not JSON, is an error, never a silent gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import orjson

from mjquery.errors import OperationalError
from mjquery.planner.model import ColumnFill, fetched_columns
from mjquery.schema.model import ObjectSchema, SqlType, TimeFormat

#: Page bytes parsed by one ``INSERT`` at most (besides ``batch_rows``). DuckDB's JSON reader
#: needs several times a batch's size while it parses it, so the peak memory of a scan follows
#: this: wide rows (a message page is about 0.6 MB, a contact page 0.35 MB) make smaller batches.
#: Fewer, larger batches save little CPU (a 1,000,000-message scan: 5% less at twice the size,
#: for 70 MB more at its peak).
BATCH_BYTES = 6_000_000

#: The column a table gets when a query reads none of its columns (``SELECT COUNT(*) ...``):
#: DuckDB tables need one; it holds NULLs and is never shown.
ROW_COLUMN = "__row"


def quote(identifier: str) -> str:
    """A DuckDB identifier, double-quoted (quotes inside are doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableColumn:
    """One column of a fetched table: its SQL type and, for API columns, how it is read."""

    name: str
    type: SqlType
    from_api: bool  # False: filled by the engine (pseudo-column value, parent id)
    time_format: TimeFormat | None = None
    property: bool = False  # a contact property: read from the row's Data [{Name, Value}]


def table_columns(
    schema: ObjectSchema, wanted: Sequence[str] | None = None
) -> tuple[TableColumn, ...]:
    """The columns of a fetched table, in the schema's order; ``wanted``: only those (None: all).

    Real columns come from the API's rows; pseudo-columns and the parent id column are filled by
    the engine from the request.
    """
    chosen = None if wanted is None else {w.lower() for w in wanted}
    real = {c.name.lower(): c for c in schema.columns}
    pseudo = {p.name.lower(): p for p in schema.pseudo_columns}
    parent = schema.parent.column.lower() if schema.parent else None
    columns: list[TableColumn] = []
    for name in fetched_columns(schema):
        low = name.lower()
        if chosen is not None and low not in chosen:
            continue
        column = real.get(low)
        if column is not None:
            from_api = not column.write_only and low != parent
            columns.append(
                TableColumn(column.name, column.type, from_api, column.time_format, column.property)
            )
        elif low in pseudo:
            columns.append(TableColumn(pseudo[low].name, pseudo[low].type, False))
        else:  # the parent id column, when the schema does not list it
            columns.append(TableColumn(name, SqlType.BIGINT, False))
    return tuple(columns)


# How DuckDB's JSON reader is asked for each column, before the conversion to its SQL type.
_JSON_TYPE = {
    SqlType.BIGINT: "BIGINT",
    SqlType.INTEGER: "BIGINT",
    SqlType.DOUBLE: "DOUBLE",
    SqlType.BOOLEAN: "BOOLEAN",
    SqlType.VARCHAR: "VARCHAR",
    SqlType.TIMESTAMP: "VARCHAR",  # RFC 3339 text, or epoch seconds (a number or "")
    SqlType.JSON: "JSON",
}


def _string(value: str) -> str:
    """A DuckDB string literal for text mjquery itself generated (never user values)."""
    return "'" + value.replace("'", "''") + "'"


#: The field of a ``contactdata`` row holding its property values: ``[{"Name", "Value"}]``.
PROPERTY_LIST = "Data"


def _property_value(column: TableColumn) -> str:
    """The text the API sent for one contact property: the ``Value`` of the row's ``Data`` item
    whose ``Name`` is the property's (names compared without case, as the API does)."""
    wanted = _string(column.name.lower())
    items = quote(PROPERTY_LIST)
    return f'list_filter({items}, lambda x: lower(x."Name") = {wanted})[1]."Value"'


def _conversion(column: TableColumn) -> str:
    """The SELECT expression turning the JSON reader's value into the column's SQL type."""
    name = quote(column.name)
    if column.property:
        # values come as text whatever the property's type (recorded: "Value": "N"); a value
        # that does not fit reads as NULL, as for any column
        text = _property_value(column)
        if column.type is SqlType.TIMESTAMP:
            # RFC 3339 as the sandbox stores it; Unix seconds too (how a datetime property
            # may be written, api-behaviour section 7: no recording shows how one reads back)
            return (
                f"COALESCE(CAST(TRY_CAST(NULLIF({text}, '') AS TIMESTAMPTZ) AS TIMESTAMP), "
                f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,11}}') "
                f"THEN make_timestamp(CAST({text} AS BIGINT) * 1000000) END)"
            )
        if column.type is SqlType.VARCHAR:
            return text
        return f"TRY_CAST(NULLIF(trim({text}), '') AS {column.type.value})"
    if column.type is SqlType.TIMESTAMP:
        if column.time_format is TimeFormat.EPOCH:
            seconds = f"TRY_CAST(NULLIF({name}, '') AS DOUBLE)"
            return (
                f"CASE WHEN {seconds} IS NULL OR {seconds} = 0 THEN NULL "
                f"ELSE make_timestamp(CAST({seconds} * 1000000 AS BIGINT)) END"
            )
        return f"CAST(TRY_CAST(NULLIF({name}, '') AS TIMESTAMPTZ) AS TIMESTAMP)"
    if column.type is SqlType.INTEGER:
        return f"TRY_CAST({name} AS INTEGER)"
    return name


class TableLoader:
    """Creates one fetched table and appends pages to it; call :meth:`flush` after the last page."""

    def __init__(
        self,
        db: duckdb.DuckDBPyConnection,
        name: str,
        schema: ObjectSchema,
        *,
        columns: Sequence[str] | None = None,
        batch_rows: int = 20_000,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.db = db
        self.name = name
        self.schema = schema
        self.columns = table_columns(schema, columns)
        self.api_columns = tuple(c for c in self.columns if c.from_api)
        self.batch_rows = max(1, batch_rows)
        self.batch_bytes = max(1, batch_bytes)
        self.rows = 0
        self._bodies: list[bytes] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self._pending_fills: tuple[ColumnFill, ...] = ()
        definition = ", ".join(f"{quote(c.name)} {c.type.value}" for c in self.columns)
        if not self.columns:
            definition = f"{quote(ROW_COLUMN)} BOOLEAN"
        db.execute(f"CREATE OR REPLACE TEMP TABLE {quote(name)} ({definition})")
        self._insert = self._insert_sql()

    def _insert_sql(self) -> str:
        """``INSERT ... SELECT`` over the page bodies given as the parameter ``$bodies``."""
        target = ", ".join(quote(c.name) for c in self.columns) or quote(ROW_COLUMN)
        bodies = "(SELECT unnest($bodies::VARCHAR[]) AS body)"
        if not self.api_columns:
            # nothing to parse but each page's number of rows
            rows = (
                "SELECT unnest(range(CAST(json_array_length(body, '$.Data') AS BIGINT))) "
                f"FROM {bodies}"
            )
        elif any(c.property for c in self.api_columns):
            # the rows' own fields, and their Data list kept whole (one item per property)
            fields: dict[str, object] = {
                c.name: _JSON_TYPE[c.type] for c in self.api_columns if not c.property
            }
            fields[PROPERTY_LIST] = [{"Name": "VARCHAR", "Value": "VARCHAR"}]
            spec = orjson.dumps({"Data": [fields]})
            rows = (
                "SELECT unnest(item) FROM (SELECT unnest(page.Data) AS item FROM "
                f"(SELECT json_transform(body, {_string(spec.decode())}) AS page FROM {bodies}))"
            )
        else:
            spec = orjson.dumps({"Data": [{c.name: _JSON_TYPE[c.type] for c in self.api_columns}]})
            rows = (
                "SELECT unnest(page.Data, recursive := true) FROM "
                f"(SELECT json_transform(body, {_string(spec.decode())}) AS page FROM {bodies})"
            )
        select: list[str] = []
        for index, column in enumerate(self.columns):
            if column.from_api:
                select.append(_conversion(column))
            else:
                # filled from the request (pseudo-column value, parent id): a parameter
                select.append(f"CAST($fill_{index} AS {column.type.value})")
        return (
            f"INSERT INTO {quote(self.name)} ({target}) "
            f"SELECT {', '.join(select) or 'NULL'} FROM ({rows})"
        )

    def append(self, body: bytes, rows: int, fills: tuple[ColumnFill, ...] = ()) -> None:
        """Add one page: the API's answer (``{"Count": ..., "Data": [...]}``) holding ``rows``
        rows; they are in the table after the next flush."""
        if rows == 0:
            return
        if self._bodies and fills != self._pending_fills:
            self.flush()  # one batch shares one set of filled values
        self._bodies.append(body)
        self._pending_rows += rows
        self._pending_bytes += len(body)
        self._pending_fills = fills
        if self._pending_rows >= self.batch_rows or self._pending_bytes >= self.batch_bytes:
            self.flush()

    def flush(self) -> None:
        """Parse and insert the pages appended since the last flush (one ``INSERT``)."""
        if not self._bodies:
            return
        bodies, expected = self._bodies, self._pending_rows
        self._bodies, self._pending_rows, self._pending_bytes = [], 0, 0
        values = {f.column.lower(): f.value for f in self._pending_fills}
        params: dict[str, object] = {
            f"fill_{index}": values.get(column.name.lower())
            for index, column in enumerate(self.columns)
            if not column.from_api
        }
        params["bodies"] = [body.decode() for body in bodies]
        try:
            (count,) = self.db.execute(self._insert, params).fetchall()[0]
        except (duckdb.InvalidInputException, UnicodeDecodeError) as exc:
            raise OperationalError(
                f"An answer of the Mailjet API for {self.schema.name} could not be read as "
                f"JSON: {exc}"
            ) from exc
        if count != expected:
            raise OperationalError(
                f"The Mailjet API's pages for {self.schema.name} said they held {expected} rows "
                f"but held {count}: the statement stopped. Run it again."
            )
        self.rows += count

    def deduplicate(self, columns: tuple[str, ...]) -> None:
        """Keep one row per ``columns`` (several requests may return the same object)."""
        self.flush()
        present = {c.name.lower() for c in self.columns}
        keys = [c for c in columns if c.lower() in present]
        if not keys:
            return
        listed = ", ".join(quote(c) for c in keys)
        self.db.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote(self.name)} AS "
            f"SELECT DISTINCT ON ({listed}) * FROM {quote(self.name)}"
        )


def create_count_table(db: duckdb.DuckDBPyConnection, name: str) -> None:
    db.execute(f'CREATE OR REPLACE TEMP TABLE {quote(name)} ("__count" BIGINT)')


def append_count(db: duckdb.DuckDBPyConnection, name: str, count: int) -> None:
    db.execute(f"INSERT INTO {quote(name)} VALUES (?)", [count])
