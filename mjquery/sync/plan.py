"""The three-way diff: Mailjet's rows, the database's rows, and the snapshot of the last run.

For each pair of rows (linked by the snapshot's Mailjet ID ↔ database key, or on first sight by
the natural key) and each column:

* unchanged on both sides since the snapshot: nothing to do;
* changed on one side: the change flows to the other side;
* changed on both sides to different values (or differing when first linked, when there is no
  snapshot value to compare with): a :class:`~mjquery.sync.model.Conflict`, resolved by the
  ``prefer`` policy and listed in the report.

Rows on one side only are new (they flow to the other side) or, when the snapshot knew the pair,
deleted (they flow only with ``deletes``). What cannot flow — an update of a new-only object, a
column Mailjet does not let anyone set, a row without its key, a Contact DELETE — becomes a
:class:`~mjquery.sync.model.Refusal` naming the rule. Pure functions: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mjquery.errors import Error
from mjquery.schema.model import ObjectSchema, Operation, SqlType
from mjquery.sync.model import (
    ChangeKind,
    Conflict,
    Direction,
    Prefer,
    Refusal,
    RefusalKind,
    RowChange,
    Side,
    SyncMode,
    SyncPlan,
)
from mjquery.sync.store import SnapshotEntry
from mjquery.sync.values import to_mailjet
from mjquery.writes.lookup import normalize
from mjquery.writes.plan import RowWrite, WritePlan
from mjquery.writes.validate import validate


@dataclass(frozen=True)
class ColumnMap:
    """A database column and the Mailjet column it holds."""

    database: str
    mailjet: str
    type: SqlType


@dataclass(frozen=True)
class Layout:
    """How the table maps onto the object: its columns, the key, the database's updated-at
    column (for ``prefer=newer``; not synchronised)."""

    columns: tuple[ColumnMap, ...]
    key: ColumnMap
    updated_at: str | None = None

    def database_name(self, mailjet: str) -> str:
        return next(c.database for c in self.columns if c.mailjet == mailjet)

    def same(self, mailjet: str, left: Any, right: Any) -> bool:
        """Equal values; the key compares as Mailjet compares it (Email without case)."""
        if mailjet == self.key.mailjet:
            return normalize(left) == normalize(right)
        return bool(left == right)


@dataclass(frozen=True)
class MailjetRow:
    id: int
    values: Mapping[str, Any]  # Mailjet column -> canonical value (the mapped columns)
    updated: str | None = None  # the updated column's canonical value (prefer=newer)

    def key(self, layout: Layout) -> str:
        return normalize(self.values.get(layout.key.mailjet))


@dataclass(frozen=True)
class DatabaseRow:
    key_value: Any  # the key as the database holds it (to address the row)
    values: Mapping[str, Any]  # Mailjet column -> canonical value
    updated: str | None = None

    @property
    def key(self) -> str:
        return normalize(self.key_value)


@dataclass(frozen=True)
class Inputs:
    """Everything the diff reads."""

    schema: ObjectSchema
    mode: SyncMode
    layout: Layout
    mailjet: Mapping[int, MailjetRow]
    database: Sequence[DatabaseRow]
    snapshot: Mapping[int, SnapshotEntry]
    prefer: Prefer = Prefer.MAILJET
    deletes: bool = False
    database_table: str = ""
    first_run: bool = False


@dataclass
class _Builder:
    changes: list[RowChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


_SAMPLE: dict[SqlType, Any] = {
    SqlType.BIGINT: 1,
    SqlType.INTEGER: 1,
    SqlType.DOUBLE: 1.0,
    SqlType.BOOLEAN: False,
    SqlType.VARCHAR: "x@example.com",
    SqlType.TIMESTAMP: "2026-01-01T00:00:00Z",
    SqlType.JSON: [],
}


def rule_refusal(schema: ObjectSchema, operation: Operation, columns: Sequence[str]) -> str | None:
    """Why the write path would refuse ``operation`` setting ``columns`` (the rule's own
    words), or None when it allows it. Sends nothing: the values are stand-ins of each
    column's type, only the rules about operations and columns are asked."""
    values: dict[str, Any] = {}
    for name in columns:
        column = schema.column(name)
        values[name] = _SAMPLE[column.type] if column is not None else "x"
    current: dict[str, Any] = {schema.key or "ID": 1} if operation is not Operation.INSERT else {}
    plan = WritePlan(schema.name, operation, (RowWrite(values=values, current=current),))
    try:
        validate(plan, schema, defined_properties=())
    except Error as exc:
        return str(exc)
    return None


def row_refusal(
    schema: ObjectSchema,
    layout: Layout,
    operation: Operation,
    values: Mapping[str, Any],
    mailjet_id: int | None = None,
) -> str | None:
    """Why the write path would refuse this one row (a value it cannot send: an invalid email,
    a wrong type), in its own words; None when it takes it."""
    types = {c.mailjet: c.type for c in layout.columns}
    row = {c: to_mailjet(v, types.get(c, SqlType.VARCHAR)) for c, v in values.items()}
    current = {schema.key or "ID": mailjet_id} if mailjet_id is not None else {}
    write = WritePlan(schema.name, operation, (RowWrite(values=row, current=current),))
    try:
        validate(write, schema, defined_properties=())
    except Error as exc:
        return str(exc)
    return None


def ids_of(layout: Layout, rows: Iterable[DatabaseRow]) -> dict[int, DatabaseRow]:
    """The rows by the Mailjet ID they hold, when the table has a column for it: a pair
    stays linked by it even when its key changes (a list renamed in the table)."""
    if not any(c.mailjet == "ID" for c in layout.columns):
        return {}
    out: dict[int, DatabaseRow] = {}
    for row in rows:
        value = row.values.get("ID")
        if isinstance(value, int):
            out[value] = row
    return out


def plan(inputs: Inputs) -> SyncPlan:
    """The changes, conflicts and refusals of one run (see the module docstring)."""
    layout, schema = inputs.layout, inputs.schema
    out = _Builder()
    by_key: dict[str, DatabaseRow] = {}
    for row in inputs.database:
        if row.key == "":
            out.refusals.append(
                Refusal(
                    Direction.TO_MAILJET,
                    ChangeKind.INSERT,
                    "(no key)",
                    f"the row has no {layout.key.database}, the column that links it to "
                    f"{schema.name}.{layout.key.mailjet}",
                    RefusalKind.RULE,
                )
            )
            continue
        if row.key in by_key:
            out.refusals.append(
                Refusal(
                    Direction.TO_MAILJET,
                    ChangeKind.INSERT,
                    str(row.key_value),
                    f"another row of the table has the same {layout.key.database}",
                    RefusalKind.RULE,
                )
            )
            continue
        by_key[row.key] = row
    mailjet_by_key = {row.key(layout): row for row in inputs.mailjet.values()}
    claimed_keys: set[str] = set()
    links = 0
    # pairs the snapshot knows
    by_id = ids_of(layout, by_key.values())
    for mailjet_id, entry in inputs.snapshot.items():
        m = inputs.mailjet.get(mailjet_id)
        d = by_id.get(mailjet_id) or by_key.get(entry.key)
        claimed_keys.add(d.key if d is not None else entry.key)
        if m is not None and d is not None:
            _pair(inputs, out, m, d, entry.values)
        elif m is not None:
            _deleted(inputs, out, Side.DATABASE, m.values.get(layout.key.mailjet), mailjet_id)
        elif d is not None:
            _deleted(inputs, out, Side.MAILJET, d.key_value, mailjet_id)
    known_ids = set(inputs.snapshot)
    for m in inputs.mailjet.values():
        if m.id in known_ids:
            continue
        key = m.key(layout)
        d = by_key.get(key) if key not in claimed_keys else None
        if d is not None:
            claimed_keys.add(key)
            links += 1
            _pair(inputs, out, m, d, None)
            continue
        if key in claimed_keys:
            continue  # the key belongs to a pair the snapshot knows (a re-created object)
        out.changes.append(
            RowChange(
                Direction.TO_DATABASE,
                ChangeKind.INSERT,
                str(m.values.get(layout.key.mailjet)),
                m.id,
                dict(m.values),
            )
        )
    for key, d in by_key.items():
        if key in claimed_keys or key in mailjet_by_key:
            continue
        _insert_into_mailjet(inputs, out, d)
    return SyncPlan(
        table=schema.name,
        database_table=inputs.database_table,
        mode=inputs.mode,
        first_run=inputs.first_run,
        changes=tuple(out.changes),
        conflicts=tuple(out.conflicts),
        refusals=tuple(out.refusals),
        links=links,
        mailjet_rows=len(inputs.mailjet),
        database_rows=len(inputs.database),
    )


def _insert_into_mailjet(inputs: Inputs, out: _Builder, d: DatabaseRow) -> None:
    schema = inputs.schema
    rule = schema.write_rule(Operation.INSERT)
    allowed = {c.lower() for c in rule.columns} if rule is not None else set()
    values = {c: v for c, v in d.values.items() if v is not None and c.lower() in allowed}
    reason = rule_refusal(schema, Operation.INSERT, list(values) or [inputs.layout.key.mailjet])
    if reason is None and rule is not None:
        missing = [c for c in rule.required if c not in values]
        if missing:
            reason = (
                f"INSERT of {schema.name} needs {', '.join(missing)}, which the row leaves empty"
            )
    if reason is None:
        reason = row_refusal(schema, inputs.layout, Operation.INSERT, values)
    if reason is not None:
        out.refusals.append(
            Refusal(
                Direction.TO_MAILJET, ChangeKind.INSERT, str(d.key_value), reason, RefusalKind.RULE
            )
        )
        return
    out.changes.append(
        RowChange(Direction.TO_MAILJET, ChangeKind.INSERT, str(d.key_value), None, values)
    )


def _deleted(
    inputs: Inputs, out: _Builder, gone_from: Side, key_value: Any, mailjet_id: int
) -> None:
    """A pair the snapshot knows is gone from one side."""
    schema = inputs.schema
    if gone_from is Side.MAILJET:
        direction, what = (
            Direction.TO_DATABASE,
            f"deleted in Mailjet ({schema.name} ID {mailjet_id})",
        )
    else:
        direction, what = Direction.TO_MAILJET, "deleted in the database"
    if not inputs.deletes:
        out.refusals.append(
            Refusal(
                direction,
                ChangeKind.DELETE,
                str(key_value),
                f"{what}; deletes flow only with --deletes",
                RefusalKind.DELETE,
            )
        )
        return
    if direction is Direction.TO_MAILJET:
        reason = rule_refusal(schema, Operation.DELETE, [])
        if reason is not None:
            out.refusals.append(
                Refusal(direction, ChangeKind.DELETE, str(key_value), reason, RefusalKind.RULE)
            )
            return
    out.changes.append(RowChange(direction, ChangeKind.DELETE, str(key_value), mailjet_id))


def _pair(
    inputs: Inputs,
    out: _Builder,
    m: MailjetRow,
    d: DatabaseRow,
    base: Mapping[str, Any] | None,
) -> None:
    """Both rows exist: merge column by column against the snapshot ``base``."""
    layout, schema = inputs.layout, inputs.schema
    to_mailjet: dict[str, Any] = {}
    to_database: dict[str, Any] = {}
    for column in layout.columns:
        name = column.mailjet
        mv, dv = m.values.get(name), d.values.get(name)
        if layout.same(name, mv, dv):
            continue
        known = base is not None and name in base
        old = base.get(name) if base is not None else None
        if known and dv == old:
            to_database[name] = mv
        elif known and mv == old:
            to_mailjet[name] = dv
        else:
            winner, why = _resolve(inputs, m, d)
            out.conflicts.append(Conflict(str(d.key_value), name, mv, dv, winner, why))
            if winner is Side.MAILJET:
                to_database[name] = mv
            else:
                to_mailjet[name] = dv
    key = str(d.key_value)
    if inputs.mode is SyncMode.NEW_ONLY:
        stamp = f"created column {schema.created_column} only"
        for direction, changed in (
            (Direction.TO_MAILJET, to_mailjet),
            (Direction.TO_DATABASE, to_database),
        ):
            if changed:
                out.refusals.append(
                    Refusal(
                        direction,
                        ChangeKind.UPDATE,
                        key,
                        f"{schema.name} has a {stamp} (its schema file declares no "
                        f"updated_column): only new records are synchronised, not this update "
                        f"of {', '.join(sorted(changed))}",
                        RefusalKind.MODE,
                    )
                )
        return
    if to_database:
        out.changes.append(
            RowChange(Direction.TO_DATABASE, ChangeKind.UPDATE, key, m.id, to_database)
        )
    if to_mailjet:
        refused = [c for c in to_mailjet if rule_refusal(schema, Operation.UPDATE, [c]) is not None]
        if refused:
            reason = rule_refusal(schema, Operation.UPDATE, refused) or ""
            out.refusals.append(
                Refusal(Direction.TO_MAILJET, ChangeKind.UPDATE, key, reason, RefusalKind.RULE)
            )
        allowed = {c: v for c, v in to_mailjet.items() if c not in refused}
        invalid = row_refusal(schema, layout, Operation.UPDATE, allowed, m.id) if allowed else None
        if invalid is not None:
            out.refusals.append(
                Refusal(Direction.TO_MAILJET, ChangeKind.UPDATE, key, invalid, RefusalKind.RULE)
            )
        elif allowed:
            out.changes.append(
                RowChange(Direction.TO_MAILJET, ChangeKind.UPDATE, key, m.id, allowed)
            )


def _resolve(inputs: Inputs, m: MailjetRow, d: DatabaseRow) -> tuple[Side, str]:
    if inputs.prefer is Prefer.MAILJET:
        return Side.MAILJET, "--prefer mailjet"
    if inputs.prefer is Prefer.DATABASE:
        return Side.DATABASE, "--prefer database"
    if inputs.layout.updated_at is None:
        return Side.MAILJET, "--prefer newer: the table has no updated-at column, Mailjet wins"
    if m.updated is None or d.updated is None:
        return Side.MAILJET, "--prefer newer: a change time is missing, Mailjet wins"
    if d.updated > m.updated:
        return (
            Side.DATABASE,
            f"--prefer newer: database changed at {d.updated}, Mailjet at {m.updated}",
        )
    return Side.MAILJET, f"--prefer newer: Mailjet changed at {m.updated}, database at {d.updated}"
