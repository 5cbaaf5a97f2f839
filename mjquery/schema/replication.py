"""Replication strategies in words, from the schema files (``replicate --list``, ``describe``, EXPLAIN).

Kept beside the schema model so every layer (planner's EXPLAIN, the CLI, ``mjquery.replicate``)
says the same sentence for a table without importing the replication package.
"""

from __future__ import annotations

from mjquery.schema.model import FilterOp, Incremental, ObjectSchema

#: A short label per strategy, as ``replicate --list`` and reports show it.
STRATEGY_LABEL = {
    Incremental.TIME_WINDOW: "time window",
    Incremental.NEWEST_FIRST: "newest first",
    Incremental.CHANGED_ROWS: "full read, changed rows written",
    Incremental.FULL_REFRESH: "full refresh",
}


def strategy_text(schema: ObjectSchema) -> str:
    """How replication keeps ``schema``'s table up to date, in one sentence."""
    strategy = schema.incremental
    if strategy is None:
        return "not replicated: " + not_replicable_reason(schema)
    if strategy is Incremental.TIME_WINDOW:
        column = _window_column(schema)
        param = next(
            f.param
            for f in schema.filters
            if f.column == column and f.op in (FilterOp.GT, FilterOp.GE)
        )
        return (
            f"time window: later runs request only rows with {column} after the watermark "
            f"minus {_duration(schema.incremental_overlap_s)} ({param}=...); never deleted"
        )
    if strategy is Incremental.NEWEST_FIRST:
        return (
            f"newest first: later runs read pages sorted by {schema.created_column} DESC and "
            f"stop past the watermark minus {_duration(schema.incremental_overlap_s)}"
        )
    if strategy is Incremental.CHANGED_ROWS:
        return (
            "full read, changed rows written: every run reads the table, writes only new and "
            "changed rows, deletes rows gone from Mailjet"
        )
    return "full refresh: every run reads the table and replaces its copy"


def not_replicable_reason(schema: ObjectSchema) -> str:
    if schema.parent is not None:
        return (
            f"it is read per {schema.parent.table} ({schema.parent.column} = ...), "
            "not as a whole table"
        )
    required = [p.name for p in schema.required_pseudo_columns]
    if required:
        return f"the API needs a filter on {', '.join(required)} to read it"
    return "its schema file declares no incremental strategy"


def _window_column(schema: ObjectSchema) -> str:
    for column in (schema.updated_column, schema.created_column):
        if column and any(
            f.column == column and f.op in (FilterOp.GT, FilterOp.GE) for f in schema.filters
        ):
            return column
    raise AssertionError(f"{schema.name}: time_window without a time filter")  # loader checks


def window_column(schema: ObjectSchema) -> str:
    """The column a time-window table's watermark is kept on."""
    return _window_column(schema)


def _duration(seconds: int) -> str:
    if seconds == 0:
        return "nothing"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
