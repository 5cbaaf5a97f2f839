"""Run a parsed write statement: rows from the SELECT engine, then the write path.

The engine hands over a statement shaped like :class:`~mjquery.planner.dml.DmlStatement` or
:class:`~mjquery.planner.dml.CopyStatement` (the protocols below: this package never imports
the planner) and a ``select(sql)`` callback that runs a SELECT through the engine — pushdown
included — and returns column names and rows. This module builds the :class:`WritePlan` from
those rows and runs it; it also serves ``COPY ... TO`` and dry runs.

Before the rows are read, :func:`check_statement` refuses what no row could make valid (a
read-only object or column, an operation or column the object does not allow, a literal of the
wrong type, Contact DELETE, a missing WHERE, INSERT OR REPLACE on an object that cannot be
updated): a refused statement sends no request at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from mjquery.api.client import ApiClient
from mjquery.api.errors import ApiOutcomeUnknownError
from mjquery.errors import DatabaseError, NotSupportedError, ProgrammingError
from mjquery.schema.catalog import CatalogLike
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.execute import dry_run, execute
from mjquery.writes.lookup import natural_key
from mjquery.writes.plan import (
    DryRun,
    OnConflict,
    RowWrite,
    WriteOptions,
    WritePlan,
    WriteResult,
)
from mjquery.writes.transfer import ExportFormat, write_rows
from mjquery.writes.validate import check_statement as check_columns_and_values

SET_PREFIX = "__mjq_set_"
CONDITION_COLUMN = "__mjq_condition"

SelectRows = Callable[[str], tuple[Sequence[str], Sequence[Sequence[Any]]]]


class SetLiteralLike(Protocol):
    """``SET column = <literal>`` of an UPDATE."""

    @property
    def column(self) -> str: ...
    @property
    def value(self) -> object: ...


class WriteStatement(Protocol):
    """An INSERT, UPDATE or DELETE on one Mailjet table (the planner's ``DmlStatement``)."""

    @property
    def operation(self) -> Operation: ...
    @property
    def table(self) -> str: ...
    @property
    def columns(self) -> tuple[str, ...]: ...
    @property
    def rows(self) -> tuple[tuple[object, ...], ...] | None: ...
    @property
    def source_sql(self) -> str | None: ...
    @property
    def returning(self) -> tuple[str, ...]: ...
    @property
    def unfiltered(self) -> bool: ...
    @property
    def opt_in(self) -> bool: ...
    @property
    def set_literals(self) -> Sequence[SetLiteralLike]: ...
    @property
    def on_conflict(self) -> str: ...


@runtime_checkable
class CopyToFile(Protocol):
    """``COPY (SELECT ...) TO 'file'`` (the planner's ``CopyStatement``)."""

    @property
    def source_sql(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def format(self) -> str | None: ...
    @property
    def header(self) -> bool: ...
    @property
    def delimiter(self) -> str: ...


@dataclass(frozen=True)
class StatementOutcome:
    """What the front end shows: RETURNING rows (if any), the rowcount, and the write's report."""

    columns: tuple[tuple[str, str], ...] | None  # (name, SQL type) of RETURNING, None otherwise
    rows: list[tuple[Any, ...]]
    rowcount: int
    result: WriteResult | None = None
    message: str = ""  # what the API refused (a warning)
    notice: str = ""  # what was done, for information ("1090 rows written to x.csv")


def _source(statement: WriteStatement) -> str:
    if statement.source_sql is None:  # pragma: no cover - the planner always sets one here
        raise ProgrammingError(f"{statement.operation.value} {statement.table}: no rows to write")
    return statement.source_sql


def build_plan(statement: WriteStatement, select: SelectRows) -> WritePlan:
    """The WritePlan of a parsed INSERT/UPDATE/DELETE, its rows read through ``select``."""
    operation = statement.operation
    columns = statement.columns
    rows: list[RowWrite] = []
    if operation is Operation.INSERT:
        values: Sequence[Sequence[Any]]
        if statement.rows is not None:
            values = statement.rows
        else:
            names, values = select(_source(statement))
            if len(names) != len(columns):
                raise ProgrammingError(
                    f"INSERT INTO {statement.table}: {len(columns)} column(s) but the SELECT gives {len(names)}."
                )
        rows = [RowWrite(values=dict(zip(columns, row, strict=True))) for row in values]
    else:
        names, values = select(_source(statement))
        positions = {name: i for i, name in enumerate(names)}
        set_positions = [positions[f"{SET_PREFIX}{i}"] for i in range(len(columns))]
        condition = positions.get(CONDITION_COLUMN)
        hidden = set(set_positions) | ({condition} if condition is not None else set())
        for row in values:
            current = {name: row[i] for i, name in enumerate(names) if i not in hidden}
            new = {column: row[p] for column, p in zip(columns, set_positions, strict=True)}
            met = None if condition is None else bool(row[condition])
            rows.append(RowWrite(values=new, current=current, condition_met=met))
    return WritePlan(
        statement.table,
        operation,
        tuple(rows),
        returning=statement.returning,
        unfiltered=statement.unfiltered,
        unfiltered_opt_in=statement.opt_in,
        on_conflict=OnConflict(statement.on_conflict),
    )


def check_statement(
    statement: WriteStatement | CopyToFile,
    catalog: CatalogLike,
    options: WriteOptions = WriteOptions(),
) -> None:
    """Refuse the statement now if no row could make it valid (no request is sent or needed)."""
    if isinstance(statement, CopyToFile):  # COPY ... TO writes a file
        return
    schema = catalog.get(statement.table)
    literals: list[dict[str, Any]] = []
    if statement.operation is Operation.INSERT and statement.rows is not None:
        literals = [dict(zip(statement.columns, row, strict=True)) for row in statement.rows]
    elif statement.operation is Operation.UPDATE:
        literals = [{item.column: item.value for item in statement.set_literals}]
    check_columns_and_values(
        schema,
        statement.operation,
        statement.columns,
        literals=literals,
        unfiltered=statement.unfiltered,
        opt_in=statement.opt_in,
        options=options,
    )
    _check_conflict(schema, OnConflict(statement.on_conflict))


def _check_conflict(schema: ObjectSchema, on_conflict: OnConflict) -> None:
    """INSERT OR IGNORE / OR REPLACE need a natural key to find existing rows, and OR REPLACE
    an UPDATE to change them."""
    if on_conflict is OnConflict.ERROR:
        return
    clause = "INSERT OR REPLACE" if on_conflict is OnConflict.UPDATE else "INSERT OR IGNORE"
    if not natural_key(schema):
        raise NotSupportedError(
            f"{clause} INTO {schema.name} is not supported: {schema.name} has no natural key to "
            "find an existing row by (see docs/writes.md); use INSERT."
        )
    if on_conflict is OnConflict.UPDATE and schema.write_rule(Operation.UPDATE) is None:
        raise NotSupportedError(
            f"INSERT OR REPLACE INTO {schema.name} is not supported: {schema.name} allows no "
            "UPDATE, so an existing row cannot be replaced; use INSERT or INSERT OR IGNORE."
        )


def run_statement(
    statement: WriteStatement | CopyToFile,
    *,
    select: SelectRows,
    catalog: CatalogLike,
    client: ApiClient,
    options: WriteOptions = WriteOptions(),
) -> StatementOutcome:
    """Run a write statement; raise when nothing was written and rows failed."""
    if isinstance(statement, CopyToFile):
        return run_copy(statement, select)
    check_statement(statement, catalog, options)
    plan = build_plan(statement, select)
    result = execute(plan, catalog, client, options)
    if result.failed and result.written == 0 and not result.existed:
        raise _failure(plan, result)
    columns = None
    rows: list[tuple[Any, ...]] = []
    if plan.returning:
        schema = catalog.get(plan.table)
        columns = tuple((name, _type_name(schema, name)) for name in result.returned_columns)
        rows = [
            tuple(r.get(name) for name in result.returned_columns) for r in result.returned_rows
        ]
    # Rows left as they were by INSERT OR IGNORE are not refusals: only failures are reported.
    message = result.summary() if result.failed else ""
    return StatementOutcome(columns, rows, result.written, result, message)


def _failure(plan: WritePlan, result: WriteResult) -> DatabaseError:
    """The error of a statement that wrote no row: "nothing written" only when that is known."""
    what = f"{plan.operation.value} {plan.table}"
    if result.unknown:
        return ApiOutcomeUnknownError(
            f"{what}: outcome unknown for {len(result.unknown)} row(s); {result.summary()}"
        )
    classes = {type(f.error) for f in result.failed if f.error is not None}
    kind: type[DatabaseError] = DatabaseError
    if len(classes) == 1:
        only = next(iter(classes))
        if issubclass(only, DatabaseError):
            kind = only
    elif all(f.error is None for f in result.failed):
        kind = NotSupportedError  # only rule refusals (CampaignDraft with Used = true)
    return kind(f"{what}: nothing written; {result.summary()}")


def plan_dry_run(
    statement: WriteStatement | CopyToFile,
    *,
    select: SelectRows,
    catalog: CatalogLike,
    client: ApiClient,
    options: WriteOptions = WriteOptions(),
) -> DryRun:
    """The writes the statement would make (reads happen: the matching rows are found)."""
    if isinstance(statement, CopyToFile):
        raise ProgrammingError("COPY writes a file, not the account: there is nothing to dry-run.")
    check_statement(statement, catalog, options)
    return dry_run(build_plan(statement, select), catalog, client, options)


def run_copy(statement: CopyToFile, select: SelectRows) -> StatementOutcome:
    """``COPY (SELECT ...) TO 'file'``: run the SELECT, write the file."""
    names, values = select(statement.source_sql)
    fmt = ExportFormat.for_path(statement.path, statement.format)
    if len(statement.delimiter) != 1:
        raise ProgrammingError(
            f"COPY: the delimiter must be one character, not {statement.delimiter!r}"
        )
    count = write_rows(
        statement.path,
        fmt,
        tuple(names),
        [values],
        header=statement.header,
        delimiter=statement.delimiter,
    )
    return StatementOutcome(None, [], count, notice=f"{count} rows written to {statement.path}")


def _type_name(schema: ObjectSchema, name: str) -> str:
    column = schema.column(name)
    return column.type.value if column is not None else "VARCHAR"
