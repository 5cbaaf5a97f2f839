"""One dlt resource per Mailjet table, fed with Arrow record batches from the engine.

The engine reads (pushdown, concurrent pages, rate limit, retries) and hands over Arrow batches
(:meth:`mjquery.engine.Engine.record_batches`); this module turns them into what dlt loads:

- timestamps become ``timestamp[us, UTC]``, the rest keeps DuckDB's types (BIGINT ids,
  BOOLEAN, DOUBLE, JSON as text);
- pseudo-columns and write-only columns are not replicated: the SELECT names real columns only;
- the watermark of a time-window or newest-first table is the largest created/updated value
  read, kept in the resource's dlt state, so it is committed with the rows in the same load
  package: a failed or interrupted load never moves it past rows that did not land;
- a full-read (changed rows) table is compared with the target's copy by a hash of each row:
  only new and changed rows are yielded, and keys gone from Mailjet are yielded as deletions
  (dlt's ``hard_delete`` column).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mjquery.replicate.plan import window_column
from mjquery.schema.model import Incremental, ObjectSchema, SqlType

#: Bookkeeping columns replication adds to a table (dlt adds ``_dlt_load_id`` and ``_dlt_id``).
HASH_COLUMN = "_mjquery_hash"  # changed-rows tables: a hash of the row as last loaded
DELETED_COLUMN = "_mjquery_deleted"  # true on the rows of a batch that dlt must delete

#: Rows per page when a newest-first table is read page by page.
NEWEST_FIRST_PAGE = 1000


@dataclass
class TableCounts:
    """What one table's extraction saw; filled while the resource runs."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    watermark: str | None = None
    window_since: str | None = None
    pages: int = 0
    notes: list[str] = field(default_factory=list)


def replicated_columns(schema: ObjectSchema) -> tuple[str, ...]:
    """The columns a table's copy has: every real column the API returns."""
    return tuple(c.name for c in schema.columns if not c.write_only)


def select_sql(schema: ObjectSchema, where: str = "", tail: str = "") -> str:
    columns = ", ".join(_q(c) for c in replicated_columns(schema))
    sql = f"SELECT {columns} FROM {_q(schema.name)}"
    if where:
        sql += f" WHERE {where}"
    return sql + (f" {tail}" if tail else "")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_utc(batch: Any) -> Any:
    """``batch`` with its naive timestamps (UTC by the engine's rule) marked as UTC."""
    import pyarrow as pa

    columns, fields, changed = [], [], False
    for column, fld in zip(batch.columns, batch.schema, strict=True):
        if pa.types.is_timestamp(fld.type) and fld.type.tz is None:
            column = column.cast(pa.timestamp("us", tz="UTC"))
            fld = pa.field(fld.name, column.type, fld.nullable)
            changed = True
        columns.append(column)
        fields.append(fld)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields)) if changed else batch


def _ts_literal(value: datetime) -> str:
    return "TIMESTAMP '" + value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + "'"


def _parse_ts(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _max_ts(batch: Any, column: str) -> datetime | None:
    import pyarrow.compute as pc

    value: datetime | None = pc.max(batch.column(column)).as_py()
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rows_for(
    engine: Any,
    schema: ObjectSchema,
    state: dict[str, Any],
    counts: TableCounts,
    *,
    full: bool,
    existing: Callable[[datetime | None], Any],
    batch_rows: int,
) -> Iterator[Any]:
    """The Arrow batches dlt loads for ``schema``, by its strategy.

    ``state`` is the resource's dlt state (watermarks); ``existing(since)`` reads the target's keys
    and hashes (an Arrow table, or None when the table is not there yet); ``full`` ignores
    watermarks and hashes.
    """
    strategy = schema.incremental
    if strategy is Incremental.TIME_WINDOW:
        yield from _time_window(engine, schema, state, counts, full, existing, batch_rows)
    elif strategy is Incremental.NEWEST_FIRST:
        yield from _newest_first(engine, schema, state, counts, full, existing)
    elif strategy is Incremental.CHANGED_ROWS:
        yield from _changed_rows(engine, schema, counts, full, existing, batch_rows)
    else:
        for batch in _read(engine, select_sql(schema), counts, batch_rows):
            counts.inserted += batch.num_rows
            yield batch


def _read(engine: Any, sql: str, counts: TableCounts, batch_rows: int) -> Iterator[Any]:
    try:
        for batch in engine.record_batches(sql, batch_rows=batch_rows):
            counts.rows_read += batch.num_rows
            yield to_utc(batch)
    finally:
        counts.requests += engine.last_batch_stats.requests


def _window_bounds(
    state: dict[str, Any], schema: ObjectSchema, full: bool
) -> tuple[datetime | None, datetime | None]:
    """The stored watermark and the lower bound of this run's window (None: read everything)."""
    stored = None if full else state.get("watermark")
    if stored is None:
        return None, None
    watermark = _parse_ts(stored)
    return watermark, watermark - timedelta(seconds=schema.incremental_overlap_s)


def _count_new(batch: Any, key: str | None, known: set[Any], counts: TableCounts) -> None:
    if key is None:
        counts.inserted += batch.num_rows
        return
    for value in batch.column(key).to_pylist():
        if value in known:
            counts.updated += 1
        else:
            counts.inserted += 1
            known.add(value)


def _known_keys(
    existing: Callable[[datetime | None], Any], key: str | None, since: datetime
) -> set[Any]:
    """The target's keys of rows newer than ``since``: only those can come back in the window
    (reading every key would cost as much as the table, at each incremental run)."""
    table = existing(since) if key else None
    return set() if table is None else set(table.column(0).to_pylist())


def _time_window(
    engine: Any,
    schema: ObjectSchema,
    state: dict[str, Any],
    counts: TableCounts,
    full: bool,
    existing: Callable[[datetime | None], Any],
    batch_rows: int,
) -> Iterator[Any]:
    column = window_column(schema)
    watermark, since = _window_bounds(state, schema, full)
    where = ""
    if since is not None:
        # `>` is what the time filter (FromTS) implements; the overlap covers an exclusive bound
        where = f"{_q(column)} > {_ts_literal(since)}"
        counts.window_since = since.isoformat()
    known = _known_keys(existing, schema.key, since) if since is not None else set()
    highest = watermark
    for batch in _read(engine, select_sql(schema, where), counts, batch_rows):
        _count_new(batch, schema.key, known, counts)
        top = _max_ts(batch, column)
        if top is not None and (highest is None or top > highest):
            highest = top
        yield batch
    if highest is not None:
        # set only once every batch was handed to dlt: committed with them in the load package
        state["watermark"] = highest.isoformat()
        counts.watermark = state["watermark"]


def _newest_first(
    engine: Any,
    schema: ObjectSchema,
    state: dict[str, Any],
    counts: TableCounts,
    full: bool,
    existing: Callable[[datetime | None], Any],
) -> Iterator[Any]:
    """Pages sorted by the created column, newest first, until one reaches past the window."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = schema.created_column
    assert column is not None
    watermark, since = _window_bounds(state, schema, full)
    if since is not None:
        counts.window_since = since.isoformat()
    known = _known_keys(existing, schema.key, since) if since is not None else set()
    highest = watermark
    offset = 0
    while True:
        tail = f"ORDER BY {_q(column)} DESC LIMIT {NEWEST_FIRST_PAGE} OFFSET {offset}"
        batches = list(_read(engine, select_sql(schema, tail=tail), counts, NEWEST_FIRST_PAGE))
        counts.pages += 1
        rows = sum(b.num_rows for b in batches)
        done = rows < NEWEST_FIRST_PAGE
        for batch in batches:
            if since is not None:
                oldest = pc.min(batch.column(column)).as_py()
                if oldest is not None and oldest.replace(tzinfo=UTC) <= since:
                    done = True
                    batch = batch.filter(
                        pc.greater(
                            batch.column(column), pa.scalar(since, type=batch.column(column).type)
                        )
                    )
            if batch.num_rows == 0:
                continue
            _count_new(batch, schema.key, known, counts)
            top = _max_ts(batch, column)
            if top is not None and (highest is None or top > highest):
                highest = top
            yield batch
        if done:
            break
        offset += NEWEST_FIRST_PAGE
    if highest is not None:
        state["watermark"] = highest.isoformat()
        counts.watermark = state["watermark"]


def _changed_rows(
    engine: Any,
    schema: ObjectSchema,
    counts: TableCounts,
    full: bool,
    existing: Callable[[datetime | None], Any],
    batch_rows: int,
) -> Iterator[Any]:
    """Every row is read; only rows whose hash differs from the target's are yielded.

    The comparison runs in a private DuckDB: the source rows and the target's (key, hash)
    pairs go in as Arrow, new/changed rows and vanished keys come out as Arrow.
    """
    import duckdb
    import pyarrow as pa

    key = schema.key
    assert key is not None
    columns = replicated_columns(schema)
    batches = list(_read(engine, select_sql(schema), counts, batch_rows))
    target = existing(None)
    db = duckdb.connect(":memory:")
    try:
        db.execute("SET TimeZone = 'UTC'")
        first = batches[0].schema if batches else _empty_schema(schema)
        source = pa.Table.from_batches(batches, schema=first)
        db.register("source_rows", source)
        row_text = "CAST(ROW(" + ", ".join(_q(c) for c in columns) + ") AS VARCHAR)"
        db.execute(
            f"CREATE TEMP TABLE src AS SELECT *, md5({row_text}) AS {_q(HASH_COLUMN)} "
            "FROM source_rows"
        )
        db.unregister("source_rows")
        if target is None:
            db.execute(f"CREATE TEMP TABLE tgt (k {_key_type(schema)}, h VARCHAR)")
        else:
            db.register("target_rows", target)
            db.execute("CREATE TEMP TABLE tgt AS SELECT * FROM target_rows")
            db.unregister("target_rows")
        existing_count = db.execute("SELECT count(*) FROM tgt").fetchall()[0][0]
        changed_filter = "" if full else f" WHERE tgt.h IS DISTINCT FROM src.{_q(HASH_COLUMN)}"
        changed = db.sql(
            f"SELECT src.*, tgt.k IS NOT NULL AS _known, false AS {_q(DELETED_COLUMN)} "
            f"FROM src LEFT JOIN tgt ON tgt.k = src.{_q(key)}{changed_filter}"
        ).to_arrow_table()
        known = changed.column("_known").to_pylist()
        counts.updated += sum(1 for k in known if k)
        counts.inserted += sum(1 for k in known if not k)
        changed = changed.drop_columns(["_known"])
        if existing_count:
            nulls = ", ".join(
                f"NULL::{_duck_type(t)} AS {_q(n)}" if n != key else f"tgt.k AS {_q(n)}"
                for n, t in zip(source.column_names, source.schema.types, strict=True)
            )
            gone = db.sql(
                f"SELECT {nulls}, NULL::VARCHAR AS {_q(HASH_COLUMN)}, true AS {_q(DELETED_COLUMN)} "
                f"FROM tgt ANTI JOIN src ON src.{_q(key)} = tgt.k"
            ).to_arrow_table()
            counts.deleted += gone.num_rows
            if gone.num_rows:
                changed = pa.concat_tables([changed, gone.cast(changed.schema)])
    finally:
        db.close()
    for batch in changed.to_batches(max_chunksize=batch_rows):
        yield to_utc(batch)


def _key_type(schema: ObjectSchema) -> str:
    column = schema.column(schema.key or "")
    return "BIGINT" if column is None else _sql_type_name(column.type)


def _sql_type_name(sql_type: SqlType) -> str:
    return "VARCHAR" if sql_type is SqlType.JSON else sql_type.value


def _duck_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    return "VARCHAR"


def _empty_schema(schema: ObjectSchema) -> Any:
    import pyarrow as pa

    types = {
        SqlType.BIGINT: pa.int64(),
        SqlType.INTEGER: pa.int32(),
        SqlType.DOUBLE: pa.float64(),
        SqlType.BOOLEAN: pa.bool_(),
        SqlType.VARCHAR: pa.string(),
        SqlType.JSON: pa.string(),
        SqlType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(c.name, types[c.type]) for c in schema.columns if not c.write_only])
