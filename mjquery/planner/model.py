"""Typed plans: what the planner decides and the engine carries out.

Every statement becomes one :data:`Statement`, a union the engine dispatches on with ``match``:

* :class:`QueryPlan` — reads Mailjet tables: a list of :class:`ApiFetch` (each one Mailjet table
  read by the query, with the exact API requests to make) and the residual SQL that DuckDB runs
  over the fetched rows;
* :class:`DmlStatement` — INSERT / UPDATE / DELETE on a Mailjet table (the write path);
* :class:`CopyStatement` — ``COPY (SELECT ...) TO 'file'``;
* :class:`LocalStatement` — touches only the local DuckDB database, run as written;
* :class:`ExplainPlan`, :class:`ShowTables`, :class:`DescribeTable` — answered without DuckDB.

Every class is frozen: a plan is a value, printed by EXPLAIN and compared by golden tests.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from mjquery.schema.model import ObjectSchema, Operation, SqlType


@dataclass(frozen=True)
class LocalTables:
    """The user's own tables in the connection's DuckDB database: name -> column names."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Views over Mailjet tables (:mod:`mjquery.engine.views`): name -> the view's query.
    views: Mapping[str, str] = field(default_factory=dict)

    def find(self, name: str) -> tuple[str, ...] | None:
        lowered = name.lower()
        for table, cols in self.columns.items():
            if table.lower() == lowered:
                return cols
        return None

    def find_view(self, name: str) -> str | None:
        """The query of the view over Mailjet tables called ``name`` (any case), if one is."""
        lowered = name.lower()
        for view, query in self.views.items():
            if view.lower() == lowered:
                return query
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)


@dataclass(frozen=True)
class PlannerOptions:
    """Bounds on how many requests one query may fan out into."""

    max_fanout: int = 100  # parents a sub-resource fans out over (0: always refuse)
    max_dependent_keys: int = 50  # keys pushed into a dependent join before a full scan
    max_value_requests: int = 100  # requests one IN list may turn into
    # ORDER BY -> Sort, LIMIT/OFFSET -> Limit/Offset, COUNT(*) -> countOnly. Off: DuckDB does all
    # three over every matching row (same rows, more requests; tests compare the two).
    push_limit_sort_count: bool = True


class Pushdown(enum.StrEnum):
    """How a predicate reaches the API."""

    EXACT = "pushed exactly"  # the API's answer equals SQL's
    RECHECKED = "pushed, re-checked by DuckDB"  # the API narrows the rows, DuckDB filters again
    LOCAL = "kept local"  # only DuckDB evaluates it


@dataclass(frozen=True)
class Predicate:
    """One WHERE/ON conjunct as it applies to one fetched table."""

    sql: str
    pushdown: Pushdown
    params: tuple[str, ...] = ()  # the query parameters it became
    reason: str = ""  # why it is kept local or only re-checked


@dataclass(frozen=True)
class QueryParam:
    """One query-string parameter, already spelled as the API expects."""

    name: str
    value: str


@dataclass(frozen=True)
class ColumnFill:
    """A value the engine writes into every row a request returns (pseudo-columns, parent ids)."""

    column: str
    value: object
    type: SqlType


@dataclass(frozen=True)
class ApiRequest:
    """One logical API read: a path and its parameters (paging is added by the client)."""

    path: str
    params: tuple[QueryParam, ...] = ()
    fills: tuple[ColumnFill, ...] = ()
    item: bool = False  # GET of one object by id: a 404 means "no rows"

    def param(self, name: str) -> str | None:
        wanted = name.lower()
        return next((p.value for p in self.params if p.name.lower() == wanted), None)


class OverLimit(enum.StrEnum):
    """What a key-driven fetch does when there are more keys than its bound."""

    FULL_SCAN = "full_scan"  # forget the keys and read the whole table
    REFUSE = "refuse"  # raise ProgrammingError with the fetch's refusal message


@dataclass(frozen=True)
class KeySource:
    """Keys taken from rows fetched earlier and pushed into this fetch's requests.

    Used by dependent joins (``List JOIN ListRecipient``: the list ids become ``ContactsList=``)
    and by sub-resources (the parent ids go into the path). ``key_sql`` runs in DuckDB once the
    tables it names are loaded and returns one column of keys.
    """

    key_sql: str
    source: str  # in words: "List.ID of the rows kept from List"
    source_fetch: str | None  # name of the ApiFetch that must run first (None: local table)
    target_param: str | None = None  # a query parameter receiving each key
    target_placeholder: str | None = None  # or a path placeholder receiving it
    fill_column: str | None = None  # the column that carries the key in the fetched rows
    fill_type: SqlType = SqlType.BIGINT
    comma_list: bool = False  # the parameter accepts "1,2,3": one request for many keys
    max_keys: int = 50
    over_limit: OverLimit = OverLimit.FULL_SCAN
    refusal: str = ""


def fetched_columns(schema: ObjectSchema) -> tuple[str, ...]:
    """The columns a fetched table can have: real, then pseudo, then the parent id column."""
    names = list(schema.all_column_names)
    if schema.parent is not None and schema.parent.column.lower() not in {n.lower() for n in names}:
        names.append(schema.parent.column)
    return tuple(names)


@dataclass(frozen=True)
class ApiFetch:
    """One Mailjet table read by the query, loaded into the DuckDB table ``name``."""

    name: str
    schema: ObjectSchema = field(repr=False)
    alias: str
    requests: tuple[ApiRequest, ...]  # with ``keys``: templates, one copy per key
    predicates: tuple[Predicate, ...] = ()
    keys: KeySource | None = None
    limit: int | None = None  # rows wanted in total per request (Limit pushdown)
    offset: int = 0
    count_only: bool = False  # countOnly=1: only the number of rows
    contradiction: str = ""  # non-empty: the WHERE can never hold, no request
    notes: tuple[str, ...] = ()  # plain-word remarks for EXPLAIN
    # The columns the statement reads from this table, in the schema's order (projection
    # pushdown: the engine types and loads only these); None: every column.
    columns: tuple[str, ...] | None = None

    @property
    def table(self) -> str:
        return self.schema.name

    @property
    def dedupe_columns(self) -> tuple[str, ...]:
        """Columns identifying a row when several requests may return the same object."""
        if self.schema.key is None:
            return ()
        fills = {f.column for r in self.requests for f in r.fills}
        if self.keys is not None and self.keys.fill_column:
            fills.add(self.keys.fill_column)
        return (self.schema.key, *sorted(fills))


class ResultKind(enum.StrEnum):
    """What running a statement in DuckDB hands back, decided from its syntax tree."""

    ROWS = "rows"  # a query (or RETURNING): the result's rows
    ROWCOUNT = "rowcount"  # INSERT / UPDATE / DELETE / MERGE / COPY FROM: how many rows changed
    NOTHING = "nothing"  # CREATE, DROP, SET, BEGIN ...: no rows and no count


class StatementKind(enum.StrEnum):
    """What a statement does, as the front ends need to know it before running it: whether it
    changes the account (the write guard, Ctrl-C) or reads rows (EXPLAIN, export, ``\\watch``)."""

    QUERY = "query"  # hands back rows and changes nothing: SELECT, SHOW, DESCRIBE, EXPLAIN ...
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    OTHER = "other"  # CREATE, SET, COPY, MERGE ...


@dataclass(frozen=True)
class StatementClass:
    """A statement's kind and, for UPDATE/DELETE, whether it has a WHERE clause of its own."""

    kind: StatementKind
    has_where: bool = False


@dataclass(frozen=True)
class QueryPlan:
    """A statement that reads Mailjet tables (or only local ones): fetches, then residual SQL."""

    sql: str
    fetches: tuple[ApiFetch, ...]
    residual_sql: str
    result: ResultKind = ResultKind.ROWS


@dataclass(frozen=True)
class LocalStatement:
    """A statement that touches only the local DuckDB database; run as written with parameters."""

    sql: str
    params: tuple[object, ...] = ()
    result: ResultKind = ResultKind.ROWS


@dataclass(frozen=True)
class SetLiteral:
    """``SET column = <literal>`` of an UPDATE: the value is known before any row is read."""

    column: str
    value: object


@dataclass(frozen=True)
class DmlStatement:
    """A write on one Mailjet table (see :mod:`mjquery.planner.dml`).

    ``columns``: INSERT's target columns, or UPDATE's SET columns (``source_sql`` names their new
    values ``__mjq_set_<i>``). ``rows``: INSERT's literal rows when no SELECT is needed; otherwise
    ``source_sql`` gives them.
    """

    operation: Operation
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...] | None
    source_sql: str | None
    returning: tuple[str, ...] = ()
    unfiltered: bool = False
    opt_in: bool = False
    set_literals: tuple[SetLiteral, ...] = ()
    # INSERT: what a row whose natural key exists does — "error" (a duplicate), "ignore"
    # (INSERT OR IGNORE, ON CONFLICT DO NOTHING) or "update" (INSERT OR REPLACE).
    on_conflict: str = "error"


@dataclass(frozen=True)
class CopyStatement:
    """``COPY (SELECT ...) TO 'file'``: the query, the file and the options given."""

    source_sql: str
    path: str
    format: str | None
    header: bool = True
    delimiter: str = ","


@dataclass(frozen=True)
class ShowTables:
    """``SHOW TABLES``: the Mailjet objects and the local tables."""


@dataclass(frozen=True)
class DescribeTable:
    """``DESCRIBE <table>`` of a Mailjet object (local tables go to DuckDB's own DESCRIBE)."""

    schema: ObjectSchema = field(repr=False)


@dataclass(frozen=True)
class ExplainPlan:
    """``EXPLAIN <statement>``: the plan in words, one line per row.

    For a write or a COPY, ``plan`` is the query that finds its rows (or reads nothing, for an
    INSERT of literal rows) and ``write`` the statement itself.
    """

    plan: QueryPlan
    write: DmlStatement | CopyStatement | None = None


@dataclass(frozen=True)
class CreateView:
    """``CREATE VIEW name AS <query reading Mailjet tables>``: the query is kept and run each
    time the view is read (a DuckDB view could only read the rows fetched once)."""

    name: str
    query_sql: str
    replace: bool = False
    if_not_exists: bool = False
    temporary: bool = False


@dataclass(frozen=True)
class DropView:
    """``DROP VIEW`` of views over Mailjet tables."""

    names: tuple[str, ...]


Statement = (
    QueryPlan
    | CreateView
    | DropView
    | DmlStatement
    | CopyStatement
    | LocalStatement
    | ExplainPlan
    | ShowTables
    | DescribeTable
)
