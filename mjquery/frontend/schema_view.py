"""Tables and columns in words, for ``mjquery tables``, ``mjquery describe``, ``.schema`` and completion.

Reads the schema model only; the text says which predicates mjquery pushes to the API, so a
user can tell a cheap filter from one DuckDB applies after fetching everything.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mjquery.output import ResultSet
from mjquery.schema.model import FilterOp, ObjectSchema, Operation

_OP_TEXT = {
    FilterOp.EQ: "=",
    FilterOp.IN: "IN",
    FilterOp.EQ_CI: "ILIKE 'x'",
    FilterOp.PREFIX: "LIKE 'x%'",
    FilterOp.PREFIX_CI: "ILIKE 'x%'",
    FilterOp.SUFFIX: "LIKE '%x'",
    FilterOp.SUFFIX_CI: "ILIKE '%x'",
    FilterOp.CONTAINS: "LIKE '%x%'",
    FilterOp.CONTAINS_CI: "ILIKE '%x%'",
    FilterOp.GT: ">",
    FilterOp.GE: ">=",
    FilterOp.LT: "<",
    FilterOp.LE: "<=",
}


def pushed_operators(table: ObjectSchema, column: str) -> tuple[str, ...]:
    """The SQL predicates on ``column`` that become API query parameters, in schema order."""
    seen: dict[str, None] = {}
    for f in table.filters_on(column):
        seen.setdefault(_OP_TEXT[f.op], None)
    return tuple(seen)


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a table as the front ends show it."""

    name: str
    type: str
    pushed: tuple[str, ...]  # predicates sent to the API
    pseudo: bool  # exists only to carry an API filter
    required: bool  # a pseudo-column the API refuses requests without
    sortable: str  # "", "ASC", "ASC/DESC"
    writable: bool
    description: str


def column_infos(table: ObjectSchema) -> tuple[ColumnInfo, ...]:
    writable: set[str] = set()
    for rule in table.writes:
        writable.update(c.lower() for c in rule.columns)
    infos = []
    for col in table.columns:
        sort = table.sort_key(col.name)
        infos.append(
            ColumnInfo(
                name=col.name,
                type=col.type.value,
                pushed=pushed_operators(table, col.name),
                pseudo=False,
                required=False,
                sortable="" if sort is None else ("ASC/DESC" if sort.desc_allowed else "ASC"),
                writable=col.name.lower() in writable,
                description=col.description,
            )
        )
    for p in table.pseudo_columns:
        infos.append(
            ColumnInfo(
                name=p.name,
                type=p.type.value,
                pushed=pushed_operators(table, p.name),
                pseudo=True,
                required=p.required,
                sortable="",
                writable=False,
                description=p.description,
            )
        )
    return tuple(infos)


def _full_text(text: str) -> str:
    """A description on one line, in full (the table layout wraps or cuts it for a screen)."""
    return " ".join(text.split())


#: Printed under ``describe`` on a terminal: what the columns of its table mean.
DESCRIBE_LEGEND = (
    "Pushed to API: the predicates on the column that mjquery sends to the Mailjet API as "
    "query parameters, so fewer rows are fetched; any other predicate is applied by DuckDB "
    "after fetching.",
    "(filter only): not a field of the API's rows but a filter it accepts, usable in WHERE "
    "(Contact.ContactsList = 7 lists the members of list 7). Selected by name it holds the "
    'value filtered on, else NULL. "required": the API answers nothing without it.',
    "Sort: ORDER BY on the column is done by the API (ASC, or ASC/DESC).",
    "Writable: INSERT or UPDATE may set the column.",
)


def legend(width: int) -> str:
    """:data:`DESCRIBE_LEGEND` wrapped to ``width`` columns."""
    return "\n".join(
        textwrap.fill(entry, width=max(40, width), subsequent_indent="  ")
        for entry in DESCRIBE_LEGEND
    )


def describe_result(table: ObjectSchema) -> ResultSet:
    """The rows of ``mjquery describe TABLE`` / ``.schema TABLE``."""
    rows: list[tuple[Any, ...]] = []
    for info in column_infos(table):
        api = ", ".join(info.pushed)
        if info.pseudo:
            api = (api + " " if api else "") + (
                "(filter only, required)" if info.required else "(filter only)"
            )
        rows.append(
            (
                info.name,
                info.type,
                api,
                info.sortable,
                "yes" if info.writable else "",
                _full_text(info.description),
            )
        )
    return ResultSet(("Column", "Type", "Pushed to API", "Sort", "Writable", "Description"), rows)


#: What ``describe`` says under a statistics table (``lags = true`` in its schema file).
LAG_NOTE = (
    "Note: Mailjet computes these statistics from the messages with a delay of up to hours; "
    "the latest activity may be missing."
)


def describe_notes(table: ObjectSchema) -> tuple[str, ...]:
    """Lines ``describe`` prints under the table's columns: whether its data lags, how
    ``mjquery replicate`` keeps a copy of it up to date, and what ``mjquery sync`` does with it
    (full: new and updated records; new records only)."""
    from mjquery.schema.replication import strategy_text
    from mjquery.sync.rules import sync_text

    lag = (LAG_NOTE,) if table.lags else ()
    return (f"replication: {strategy_text(table)}", f"sync: {sync_text(table)}", *lag)


def tables_result(tables: Iterable[ObjectSchema]) -> ResultSet:
    """The rows of ``mjquery tables`` / ``.tables``."""
    rows = []
    for t in tables:
        ops = ", ".join(op.value for op in Operation if t.write_rule(op) is not None) or "read-only"
        rows.append((t.name, t.resource, ops, _full_text(t.description)))
    return ResultSet(("Table", "Resource", "Writes", "Description"), rows)
