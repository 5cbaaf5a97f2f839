"""``mjquery.sync(conn, "Contact", with_=URL, table="crm_contacts")``: one run of a two-way sync.

1. Read Mailjet (the engine: paging, pushdown, rate limit), the database table and the
   snapshot of the last run (created on the first run; the table too when it is missing).
2. Diff the three (:mod:`mjquery.sync.plan`). A dry run stops here.
3. Changes into Mailjet through the write path (:mod:`mjquery.writes`): its rules, its
   natural-key look-ups that make a lost answer decidable, bulk ``managemanycontacts`` jobs
   for many contacts. The sync tells the write path which keys its scan found (``known``), so
   nothing is looked up twice. The rows written are then taken as the write path last saw
   them on the server (the echo of each POST/PUT, or the bulk job's read-back), so the
   database gets the values the server set (IDs, times) and the snapshot records what the
   server holds; only a written row with no such answer is read again, by ID.
4. Changes into the database and the new snapshot, in one transaction.

The snapshot records a column of a pair only when both sides now hold the same value; a
change that failed leaves the old value there, so the next run finds it again and retries it.
Killed at any moment, a rerun finds each side as it is: no duplicates (inserts are matched by
the natural key first) and no change claimed that was not applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from mjquery.engine.loader import table_columns
from mjquery.errors import ProgrammingError, closest
from mjquery.replicate.target import parse_target
from mjquery.schema.model import ObjectSchema, Operation, SqlType
from mjquery.sync.model import (
    ChangeKind,
    Direction,
    DirectionCounts,
    Prefer,
    Refusal,
    RefusalKind,
    RowChange,
    SyncMode,
    SyncPlan,
    SyncReport,
)
from mjquery.sync.plan import (
    ColumnMap,
    DatabaseRow,
    Inputs,
    Layout,
    MailjetRow,
    plan,
)
from mjquery.sync.rules import (
    check_syncable,
    compared_by_value,
    id_column,
    key_column,
    linking_columns,
    soft_deleted_column,
)
from mjquery.sync.store import SnapshotEntry, Store, TableName, snake_case
from mjquery.sync.values import canonical, to_database, to_mailjet
from mjquery.writes import OnConflict, Outcome, RowWrite, WriteOptions, WritePlan
from mjquery.writes import prepare as prepare_write
from mjquery.writes import run as run_write
from mjquery.writes.lookup import Found, Probe, is_complete, natural_key, normalize, probe_for
from mjquery.writes.validate import is_contact

#: Names of a database column that says when the row last changed (for ``prefer=newer``).
UPDATED_AT_NAMES = ("updatedat", "modifiedat", "lastmodified", "lastmodifiedat", "lastupdated")


@dataclass(frozen=True)
class Progress:
    """Where a run is: ``phase`` ("reading Mailjet", "writing to Mailjet", ...), and for
    writes the rows settled so far out of ``total``."""

    phase: str
    done: int = 0
    total: int | None = None


ProgressCallback = Callable[[Progress], None]


def sync(
    connection: Any,
    object_name: str,
    /,
    *,
    with_: str,
    table: str,
    key: str | None = None,
    mapping: Mapping[str, str] | str | None = None,
    prefer: Prefer | str = Prefer.MAILJET,
    deletes: bool = False,
    dry_run: bool = False,
    updated_at: str | None = None,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Synchronise the Mailjet object ``object_name`` with a database table, both ways.

    ``with_``: the database URL (``duckdb:///crm.duckdb``, ``sqlite:///crm.db``,
    ``postgresql://user@host/db``, ``mysql://user@host/db``). ``table``: the table, ``schema.table`` where the database has schemas; created and filled from
    Mailjet when missing. ``key``: the Mailjet column linking rows (default: the object's
    natural key, Contact Email, List Name). ``mapping`` (``--map``): database column -> Mailjet column, for
    columns whose names differ (``{"full_name": "Name"}`` or ``"full_name=Name,..."``); other
    columns are matched by name, ignoring case and underscores. ``prefer``: who wins a
    conflict (``mailjet``, ``database``, ``newer``). ``deletes``: let deletes flow, as the
    object allows. ``dry_run``: read both sides and return the plan; change nothing.
    ``updated_at``: the database column saying when a row changed (for ``newer``; default: a
    column named like ``updated_at``).
    """
    started = time.monotonic()
    engine = connection.engine
    catalog = engine.catalog
    client = engine.client
    if not table:
        raise ProgrammingError("sync() needs the database table: table='crm_contacts'")
    schema = catalog.get(object_name)
    if compared_by_value(schema):
        # the account's properties as they are now: one defined since the connection first
        # read them is a column of this run (and of the table, see _add_new_columns)
        connection.refresh_properties()
        schema = catalog.get(object_name)
    mode = check_syncable(schema)
    policy = Prefer(str(prefer).lower()) if not isinstance(prefer, Prefer) else prefer
    target = parse_target(with_)
    name = TableName.parse(table)
    report_progress = progress or (lambda _p: None)
    requests_before = client.stats.requests
    store = Store(target, name)
    try:
        existing = store.columns(name.name)
        created = existing is None
        added = _new_columns(schema, existing)
        if added and not dry_run:
            store.add_columns(name.name, [(c.database, c.type) for c in added])
            existing = store.columns(name.name)
        layout = _layout(schema, existing, _mapping(mapping), key, updated_at)
        snapshot_table = _snapshot_name(schema, name)
        first_run = store.columns(snapshot_table) is None
        report_progress(Progress("reading Mailjet"))
        mailjet = _read_mailjet(connection, schema, layout)
        report_progress(Progress("reading the database"))
        database = [] if created else _read_database(store, name.name, layout)
        snapshot = {} if first_run else store.read_snapshot(snapshot_table)
        the_plan = plan(
            Inputs(
                schema=schema,
                mode=mode,
                layout=layout,
                mailjet=mailjet,
                database=database,
                snapshot=snapshot,
                prefer=policy,
                deletes=deletes,
                database_table=str(name),
                first_run=first_run,
            )
        )
        report = SyncReport(
            table=schema.name,
            database_table=str(name),
            target=target.display,
            mode=mode,
            prefer=policy,
            dry_run=dry_run,
            first_run=first_run,
            plan=the_plan,
            to_mailjet=_planned(the_plan, Direction.TO_MAILJET),
            to_database=_planned(the_plan, Direction.TO_DATABASE),
            conflicts=the_plan.conflicts,
            refusals=the_plan.refusals,
        )
        if dry_run:
            return replace(
                report,
                requests=client.stats.requests - requests_before,
                seconds=time.monotonic() - started,
            )
        if created:
            store.create_table(
                name.name,
                [(c.database, c.type) for c in layout.columns],
                layout.key.database,
            )
        store.ensure_snapshot(snapshot_table)
        run = _Apply(connection, schema, layout, store, name.name, snapshot_table, report_progress)
        report = run.apply(report, mailjet, database, snapshot)
        return replace(
            report,
            requests=client.stats.requests - requests_before,
            seconds=time.monotonic() - started,
        )
    finally:
        store.close()


def _planned(the_plan: SyncPlan, direction: Direction) -> DirectionCounts:
    return DirectionCounts(
        direction,
        inserted=the_plan.count(direction, ChangeKind.INSERT),
        updated=the_plan.count(direction, ChangeKind.UPDATE),
        deleted=the_plan.count(direction, ChangeKind.DELETE),
        refused=sum(1 for r in the_plan.refusals if r.direction is direction),
    )


def _snapshot_name(schema: ObjectSchema, name: TableName) -> str:
    return f"mjquery_sync_{schema.name.lower()}_{name.name.lower()}"[:60]


def _mapping(value: Mapping[str, str] | str | None) -> dict[str, str]:
    """``--map dbcol=Column,...`` or a dict, as database column -> Mailjet column."""
    if value is None:
        return {}
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            left, sep, right = item.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise ProgrammingError(
                    f"--map {item.strip()!r}: use database_column=MailjetColumn, e.g. full_name=Name"
                )
            pairs[left.strip()] = right.strip()
        return pairs
    return dict(value)


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


def _layout(
    schema: ObjectSchema,
    existing: Sequence[str] | None,
    mapping: Mapping[str, str],
    key: str | None,
    updated_at: str | None,
) -> Layout:
    """Which database column holds which Mailjet column."""
    key_name = key_column(schema, key)
    own = [(c.name, c.type) for c in schema.columns] + list(linking_columns(schema, key_name))
    if existing is None:  # the table is created: every column of the object, in snake_case
        columns = tuple(ColumnMap(snake_case(n), n, t) for n, t in own)
        found_key = next(c for c in columns if c.mailjet == key_name)
        return Layout(columns, found_key, None)
    by_lower = {c.lower(): c for c in existing}
    chosen: dict[str, ColumnMap] = {}
    for database_column, mailjet_column in mapping.items():
        actual = by_lower.get(database_column.lower())
        if actual is None:
            hint = closest(database_column, list(existing))
            raise ProgrammingError(
                f"--map {database_column}={mailjet_column}: the table has no column "
                f"{database_column!r}" + (f"; did you mean {hint!r}?" if hint else "")
            )
        column = schema.column(mailjet_column)
        if column is None:
            hint = closest(mailjet_column, schema.column_names)
            raise ProgrammingError(
                f"--map {database_column}={mailjet_column}: {schema.name} has no column "
                f"{mailjet_column!r}" + (f"; did you mean {hint!r}?" if hint else "")
            )
        chosen[column.name] = ColumnMap(actual, column.name, column.type)
    taken = {c.database for c in chosen.values()}
    for database_column in existing:
        if database_column in taken:
            continue
        for column_name, column_type in own:
            if column_name not in chosen and _squashed(column_name) == _squashed(database_column):
                chosen[column_name] = ColumnMap(database_column, column_name, column_type)
                break
    if key_name not in chosen:
        raise ProgrammingError(
            f"the table has no column for {schema.name}.{key_name}, the key that links rows "
            f"(its columns: {', '.join(existing)}); name it with --map COLUMN={key_name}"
            + ("" if key else " or choose another key with --key")
        )
    mapped = {c.database for c in chosen.values()}
    stamp = None
    if updated_at is not None:
        stamp = by_lower.get(updated_at.lower())
        if stamp is None:
            raise ProgrammingError(f"updated_at={updated_at!r}: the table has no such column")
    else:
        stamp = next(
            (c for c in existing if c not in mapped and _squashed(c) in UPDATED_AT_NAMES), None
        )
    ordered = tuple(chosen[n] for n, _t in own if n in chosen)
    return Layout(ordered, chosen[key_name], stamp)


def _new_columns(schema: ObjectSchema, existing: Sequence[str] | None) -> list[ColumnMap]:
    """The columns to add to an existing table of a property table: one per property that has
    none (a property defined in Mailjet since the table was made; a new property is a new
    column, as ``replicate`` does). Other objects' tables keep the columns they have: a column
    the table lacks is not synchronised."""
    if existing is None or not compared_by_value(schema):
        return []
    have = {_squashed(c) for c in existing}
    return [
        ColumnMap(snake_case(c.name), c.name, c.type)
        for c in schema.columns
        if c.property and _squashed(c.name) not in have
    ]


def _wanted(schema: ObjectSchema, layout: Layout) -> list[str]:
    """The Mailjet columns a sync reads: ID, the mapped columns, the updated and the
    soft-delete column."""
    wanted = [id_column(schema), *(c.mailjet for c in layout.columns)]
    if schema.updated_column:
        wanted.append(schema.updated_column)
    deleted = soft_deleted_column(schema)
    if deleted:
        wanted.append(deleted)
    return list(dict.fromkeys(wanted))


def _mailjet_row(
    schema: ObjectSchema, layout: Layout, values: Mapping[str, Any]
) -> MailjetRow | None:
    """A row with the :func:`_wanted` columns (by name) as a :class:`MailjetRow`; None when it is
    soft-deleted."""
    deleted = soft_deleted_column(schema)
    if deleted and canonical(values.get(deleted), SqlType.BOOLEAN):
        return None
    updated = (
        canonical(values.get(schema.updated_column), SqlType.TIMESTAMP)
        if schema.updated_column
        else None
    )
    row = {c.mailjet: canonical(values.get(c.mailjet), c.type) for c in layout.columns}
    return MailjetRow(int(values[id_column(schema)]), row, updated)


def _answered(
    schema: ObjectSchema, layout: Layout, answered: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The :func:`_wanted` columns of an object as the API spelt it (a write's echo, a
    read-back), as the engine would read them (a property the API omits is unset: None);
    None when it has no ID or a column is not one of the API's properties (a column the
    engine fills, a contact property): then the object is read again through the engine."""
    by_lower = {str(k).lower(): v for k, v in answered.items()}
    names = _wanted(schema, layout)
    if any(c.mailjet not in schema.column_names for c in layout.columns):
        return None  # a column read from another object (a property table's Email)
    plain = all(c.from_api and not c.property for c in table_columns(schema, names))
    if not plain or by_lower.get(id_column(schema).lower()) in (None, ""):
        return None
    return {n: by_lower.get(n.lower()) for n in names}


def _read_mailjet(
    connection: Any, schema: ObjectSchema, layout: Layout, ids: Collection[int] | None = None
) -> dict[int, MailjetRow]:
    """Every row of the object (the engine reads it page by page), soft-deleted ones left out;
    with ``ids``, only those objects (one GET each, or a scan when that is fewer requests)."""
    names = _wanted(schema, layout)
    if ids is not None and not ids:
        return {}
    # the GET cache would show the object as an earlier run saw it: read what the server holds
    connection.engine.client.invalidate(schema.resource)
    cursor = connection.cursor()
    try:
        cursor.execute(_select(schema, names, ids))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    out: dict[int, MailjetRow] = {}
    for row in rows:
        found = _mailjet_row(schema, layout, dict(zip(names, row, strict=True)))
        if found is not None:
            out[found.id] = found
    return out


def _select(schema: ObjectSchema, names: Sequence[str], ids: Collection[int] | None) -> str:
    """The query reading ``names`` of the object (of the objects ``ids``). A column the object
    does not hold itself (a property table's Email, :func:`linking_columns`) comes from
    Contact, joined on the contact's ID, so that every row has it."""
    listed_ids = ", ".join(str(int(i)) for i in ids or ())
    own = set(schema.column_names)
    if all(n in own for n in names):
        where = "" if ids is None else f' WHERE "{id_column(schema)}" IN ({listed_ids})'
        plain = ", ".join(f'"{n}"' for n in names)
        return f'SELECT {plain} FROM "{schema.name}"{where}'
    listed = ", ".join(f'o."{n}"' if n in own else f'c."{n}"' for n in names)
    where = "" if ids is None else f' WHERE o."{id_column(schema)}" IN ({listed_ids})'
    return (
        f'SELECT {listed} FROM "{schema.name}" o '
        f'JOIN "Contact" c ON c."ID" = o."{id_column(schema)}"{where}'
    )


def _read_database(store: Store, table: str, layout: Layout) -> list[DatabaseRow]:
    names = [c.database for c in layout.columns]
    if layout.updated_at:
        names.append(layout.updated_at)
    rows = store.read(table, names)
    key_at = names.index(layout.key.database)
    out = []
    for row in rows:
        values = {c.mailjet: _as_read(row[i], c.type) for i, c in enumerate(layout.columns)}
        updated = canonical(row[-1], SqlType.TIMESTAMP) if layout.updated_at else None
        out.append(DatabaseRow(row[key_at], values, updated))
    return out


def _as_read(value: Any, sql_type: SqlType) -> Any:
    """A database value in its canonical spelling; one that does not fit the column's type (a
    SQLite column holds any value: 'abc' in a BIGINT column) stays as it is, so the plan
    refuses sending it with the write path's words (the property named) and retries it next
    run, instead of the whole run failing."""
    try:
        return canonical(value, sql_type)
    except (ValueError, ArithmeticError, TypeError):
        return value


@dataclass(frozen=True)
class _Sent:
    """A change into Mailjet and the row index of its write plan."""

    change: RowChange
    index: int


class _Apply:
    """Step 3 and 4 of the module docstring, for one run."""

    def __init__(
        self,
        connection: Any,
        schema: ObjectSchema,
        layout: Layout,
        store: Store,
        table: str,
        snapshot_table: str,
        progress: ProgressCallback,
    ) -> None:
        self.connection = connection
        self.engine = connection.engine
        self.schema = schema
        self.layout = layout
        self.store = store
        self.table = table
        self.snapshot_table = snapshot_table
        self.progress = progress
        self.refusals: list[Refusal] = []
        self.written: list[RowChange] = []
        # each change written, with its object as the write path last saw it on the server
        self.answered: list[tuple[RowChange, Mapping[str, Any]]] = []
        self.mailjet: Mapping[int, MailjetRow] = {}
        self.write_requests = 0

    # -- Mailjet ---------------------------------------------------------------------------------

    def _options(self) -> WriteOptions:
        options = self.engine.write_options
        return options if isinstance(options, WriteOptions) else WriteOptions()

    def _mailjet_row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        types = {c.mailjet: c.type for c in self.layout.columns}
        return {c: to_mailjet(v, types.get(c, SqlType.VARCHAR)) for c, v in values.items()}

    def write_mailjet(self, the_plan: SyncPlan) -> None:
        inserts = the_plan.changes_to(Direction.TO_MAILJET, ChangeKind.INSERT)
        updates = the_plan.changes_to(Direction.TO_MAILJET, ChangeKind.UPDATE)
        deletes = the_plan.changes_to(Direction.TO_MAILJET, ChangeKind.DELETE)
        options = self._options()
        key = self.layout.key.mailjet
        if is_contact(self.schema) and len(inserts) + len(updates) >= options.bulk_threshold:
            # Many contacts: one INSERT ... OR REPLACE plan, which the write path sends as
            # managemanycontacts jobs (an update carries the Email and its changed columns).
            rows = [(c, self._mailjet_row(c.values)) for c in inserts] + [
                (c, {key: c.key, **self._mailjet_row(c.values)}) for c in updates
            ]
            self._send(Operation.INSERT, rows, OnConflict.UPDATE)
        else:
            self._send(Operation.INSERT, [(c, self._mailjet_row(c.values)) for c in inserts])
            self._send(Operation.UPDATE, [(c, self._mailjet_row(c.values)) for c in updates])
        self._send(Operation.DELETE, [(c, {}) for c in deletes])

    def _send(
        self,
        operation: Operation,
        rows: Sequence[tuple[RowChange, Mapping[str, Any]]],
        on_conflict: OnConflict = OnConflict.ERROR,
    ) -> None:
        if not rows:
            return
        writes = tuple(
            RowWrite(
                values=values if operation is not Operation.DELETE else {},
                current={}
                if change.mailjet_id is None
                else {id_column(self.schema): change.mailjet_id},
                origin=f"{self.layout.key.database} {change.key}",
            )
            for change, values in rows
        )
        write_plan = WritePlan(self.schema.name, operation, writes, on_conflict=on_conflict)
        client = self.engine.client
        options = self._options()
        total = len(rows)
        phase = f"writing to Mailjet ({operation.value.lower()})"
        self.progress(Progress(phase, 0, total))
        known = self._known(rows) if operation is Operation.INSERT else None
        prepared = prepare_write(write_plan, self.engine.catalog, client, options, known=known)
        self.write_requests += len(prepared.writes)
        result = run_write(
            prepared,
            client,
            options,
            progress=lambda done, _all: self.progress(Progress(phase, done, total)),
        )
        failures = {f.row_index: f for f in result.failed}
        for index, (change, _values) in enumerate(rows):
            outcome = result.outcome_of(index)
            if outcome is Outcome.WRITTEN or outcome is Outcome.EXISTED:
                self.written.append(change)
                self.answered.append((change, result.server_rows.get(index, {})))
                continue
            failure = failures.get(index)
            reason = failure.message if failure is not None else "not attempted"
            category = RefusalKind.UNKNOWN if outcome is Outcome.UNKNOWN else RefusalKind.API
            self.refusals.append(
                Refusal(change.direction, change.kind, change.key, reason, category)
            )

    def _known(self, rows: Sequence[tuple[RowChange, Mapping[str, Any]]]) -> Found:
        """What this run's scan of Mailjet found for the rows' natural keys, for the write
        path (which then does not look them up again): the objects holding each key, or none.
        The scan read every object; only an object whose soft-deleted rows the scan leaves
        out, or a natural key the sync does not read, leaves the look-up to the write path.
        A key taken in between by someone else is no duplicate: a bulk job updates that
        contact, a single POST is refused (MJ18) and retried, linked, next run."""
        schema = self.schema
        columns = natural_key(schema)
        read = {c.mailjet for c in self.layout.columns}
        if not columns or soft_deleted_column(schema) or not set(columns) <= read:
            return {}
        # the scanned objects by their natural key, as a probe compares it (Probe.key)
        holding: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
        for m in self.mailjet.values():
            key = tuple(normalize(m.values.get(c)) for c in columns)
            if all(key):
                holding.setdefault(key, []).append({**m.values, "ID": m.id})
        known: dict[Probe, tuple[Mapping[str, Any], ...]] = {}
        for _change, values in rows:
            probe = probe_for(schema, values)
            if probe is not None and is_complete(schema, probe):
                known[probe] = tuple(holding.get(probe.key, ()))
        return known

    def _after_writes(self, mailjet: Mapping[int, MailjetRow]) -> dict[int, MailjetRow]:
        """Mailjet after this run's writes: the rows read at the start, with each written row
        as the write path last saw it on the server (a POST's or PUT's answer carries the
        object: api-behaviour.md, *Envelope*; a bulk job's rows are read back by the write
        path). A written row without a usable answer is read again by ID (every row, when a
        new object's ID is unknown)."""
        final = dict(mailjet)
        again: set[int] = set()
        everything = False
        for change, answer in self.answered:
            if change.kind is ChangeKind.DELETE:
                if change.mailjet_id is not None:
                    final.pop(change.mailjet_id, None)  # gone, or soft-deleted
                continue
            values = _answered(self.schema, self.layout, answer)
            if values is None:
                if change.mailjet_id is not None:
                    again.add(change.mailjet_id)
                else:
                    everything = True
                continue
            row = _mailjet_row(self.schema, self.layout, values)
            if row is not None:
                final[row.id] = row
            elif change.mailjet_id is not None:  # soft-deleted
                final.pop(change.mailjet_id, None)
        if everything or again:
            self.progress(Progress("reading Mailjet back"))
        if everything:
            return _read_mailjet(self.connection, self.schema, self.layout)
        if again:
            read = _read_mailjet(self.connection, self.schema, self.layout, ids=again)
            for mailjet_id in again:
                if mailjet_id in read:
                    final[mailjet_id] = read[mailjet_id]
                else:
                    final.pop(mailjet_id, None)
        return final

    # -- the whole run ---------------------------------------------------------------------------

    def apply(
        self,
        report: SyncReport,
        mailjet: Mapping[int, MailjetRow],
        database: Sequence[DatabaseRow],
        snapshot: Mapping[int, SnapshotEntry],
    ) -> SyncReport:
        the_plan = report.plan
        self.mailjet = mailjet
        self.write_mailjet(the_plan)
        final_mailjet = self._after_writes(mailjet)
        self.progress(Progress("writing the database"))
        database_after = self._write_database(the_plan, mailjet, final_mailjet, database, snapshot)
        self.refusals[:0] = the_plan.refusals
        counts_mj = self._counts(Direction.TO_MAILJET, self.written)
        applied_db = the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.INSERT) + (
            the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.UPDATE)
            + the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.DELETE)
        )
        counts_db = self._counts(Direction.TO_DATABASE, applied_db)
        del database_after
        return replace(
            report,
            to_mailjet=counts_mj,
            to_database=counts_db,
            refusals=tuple(self.refusals),
            write_requests=self.write_requests,
        )

    def _counts(self, direction: Direction, changes: Sequence[RowChange]) -> DirectionCounts:
        mine = [c for c in changes if c.direction is direction]
        return DirectionCounts(
            direction,
            inserted=sum(1 for c in mine if c.kind is ChangeKind.INSERT),
            updated=sum(1 for c in mine if c.kind is ChangeKind.UPDATE),
            deleted=sum(1 for c in mine if c.kind is ChangeKind.DELETE),
            refused=sum(1 for r in self.refusals if r.direction is direction),
        )

    # -- the database and the snapshot -------------------------------------------------------------

    def _write_database(
        self,
        the_plan: SyncPlan,
        read_mailjet: Mapping[int, MailjetRow],
        final_mailjet: Mapping[int, MailjetRow],
        database: Sequence[DatabaseRow],
        snapshot: Mapping[int, SnapshotEntry],
    ) -> dict[str, dict[str, Any]]:
        layout = self.layout
        rows: dict[str, dict[str, Any]] = {r.key: dict(r.values) for r in database}
        raw_keys: dict[str, Any] = {r.key: r.key_value for r in database}
        inserts: list[dict[str, Any]] = []
        updates: dict[str, dict[str, Any]] = {}
        deletes: list[Any] = []
        for change in the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.INSERT):
            source = final_mailjet.get(change.mailjet_id or -1)
            values = dict(source.values) if source is not None else dict(change.values)
            key = normalize(values.get(layout.key.mailjet))
            rows[key] = values
            raw_keys[key] = values.get(layout.key.mailjet)
            inserts.append(values)
        for change in the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.UPDATE):
            key = normalize(change.key)
            rows[key].update(change.values)
            updates.setdefault(key, {}).update(change.values)
        for change in the_plan.changes_to(Direction.TO_DATABASE, ChangeKind.DELETE):
            key = normalize(change.key)
            deletes.append(raw_keys.get(key, change.key))
            rows.pop(key, None)
        # What the server set when it took our writes (IDs, times, its spelling): copied back,
        # except columns the database changed and Mailjet refused (they are retried next run).
        final_by_key = {m.key(layout): m for m in final_mailjet.values()}
        read_by_key = {m.key(layout): m for m in read_mailjet.values()}
        sent_columns: dict[str, set[str]] = {}
        for change in self.written:
            sent_columns.setdefault(normalize(change.key), set()).update(change.values)
        for key, sent in sent_columns.items():
            now = final_by_key.get(key)
            if now is None or key not in rows:
                continue
            before = read_by_key.get(key)
            current = rows[key]
            for column in layout.columns:
                name = column.mailjet
                if layout.same(name, now.values.get(name), current.get(name)):
                    continue
                held = (
                    before is not None
                    and before.values.get(name) != current.get(name)
                    and name not in sent
                )
                if not held:
                    current[name] = now.values.get(name)
                    updates.setdefault(key, {})[name] = now.values.get(name)
        entries, forget = self._snapshot(final_mailjet, rows, snapshot)
        with self.store.transaction():
            self._insert_rows(inserts)
            self._update_rows(updates, raw_keys)
            if deletes:
                self.store.delete(self.table, layout.key.database, deletes)
            if forget:
                self.store.forget(self.snapshot_table, forget)
            self.store.write_snapshot(
                self.snapshot_table,
                entries,
                datetime.now(UTC).replace(microsecond=0).isoformat(),
                known=set(snapshot),
            )
        return rows

    def _database_value(self, value: Any, sql_type: SqlType) -> Any:
        return to_database(value, sql_type, times_as_text=self.store.kind.value == "sqlite")

    def _insert_rows(self, inserts: Sequence[Mapping[str, Any]]) -> None:
        if not inserts:
            return
        columns = self.layout.columns
        self.store.insert(
            self.table,
            [c.database for c in columns],
            [
                [self._database_value(row.get(c.mailjet), c.type) for c in columns]
                for row in inserts
            ],
        )

    def _update_rows(
        self, updates: Mapping[str, Mapping[str, Any]], raw_keys: Mapping[str, Any]
    ) -> None:
        by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
        types = {c.mailjet: c for c in self.layout.columns}
        for key, values in updates.items():
            names = tuple(sorted(values))
            by_columns.setdefault(names, []).append(
                [self._database_value(values[n], types[n].type) for n in names] + [raw_keys[key]]
            )
        for names, rows in by_columns.items():
            self.store.update(
                self.table,
                self.layout.key.database,
                [types[n].database for n in names],
                rows,
            )

    def _snapshot(
        self,
        final_mailjet: Mapping[int, MailjetRow],
        rows: Mapping[str, Mapping[str, Any]],
        snapshot: Mapping[int, SnapshotEntry],
    ) -> tuple[list[SnapshotEntry], list[int]]:
        """The pairs after the run and the values both sides hold; the entries that changed,
        and the IDs to forget (gone from both sides)."""
        layout = self.layout
        by_id: dict[int, str] = {}
        if any(c.mailjet == "ID" for c in layout.columns):
            by_id = {v["ID"]: k for k, v in rows.items() if isinstance(v.get("ID"), int)}
        claimed: set[str] = set()
        entries: list[SnapshotEntry] = []
        forget: list[int] = []
        for mailjet_id, entry in snapshot.items():
            m = final_mailjet.get(mailjet_id)
            key = by_id.get(mailjet_id, entry.key)
            d = rows.get(key)
            claimed.add(key if d is not None else entry.key)
            if m is None and d is None:
                forget.append(mailjet_id)
            elif m is not None and d is not None:
                agreed = _agreed(layout, m.values, d, entry.values)
                if agreed != dict(entry.values) or key != entry.key:
                    entries.append(SnapshotEntry(mailjet_id, key, agreed))
        for m in final_mailjet.values():
            if m.id in snapshot:
                continue
            key = m.key(layout)
            d = rows.get(key)
            if d is None or key in claimed:
                continue
            claimed.add(key)
            entries.append(SnapshotEntry(m.id, key, _agreed(layout, m.values, d, {})))
        return entries, forget


def _agreed(
    layout: Layout, mailjet: Mapping[str, Any], database: Mapping[str, Any], old: Mapping[str, Any]
) -> dict[str, Any]:
    """Per column: the value both sides hold, else the last synchronised one (if any)."""
    out: dict[str, Any] = {}
    for column in layout.columns:
        name = column.mailjet
        if layout.same(name, mailjet.get(name), database.get(name)):
            out[name] = mailjet.get(name)
        elif name in old:
            out[name] = old[name]
    return out


__all__ = ["Progress", "SyncMode", "sync"]
