"""Run a statement: route it, then API fetches into DuckDB tables and the residual SQL over them.

One :class:`Engine` per connection owns the connection's DuckDB database (which also holds the
user's own tables) and its :class:`~mjquery.api.ApiClient`. ``execute`` has the planner's router
turn the text into one typed :data:`~mjquery.planner.Statement` and dispatches on it with
``match``: a :class:`~mjquery.planner.QueryPlan` loads every fetch in dependency order (keys of
one fetch feed the requests of the next) and runs the residual SQL; a write goes to
:mod:`mjquery.writes`; a local statement goes to DuckDB as written.

The rows of a query are not collected at once: ``Result.stream`` (a :class:`RowStream`) pulls
them from DuckDB in chunks as the caller fetches, and drops the fetched tables once the rows are
exhausted or the stream is closed. DuckDB has one pending result per connection, so before any
other statement runs the open stream's remaining rows are read into memory (``materialise``):
the earlier result stays complete, as DB-API requires.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import importlib
import itertools
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from mjquery.api.config import DEFAULT_MAX_CONCURRENCY
from mjquery.engine.describe import DESCRIBE_COLUMNS, SHOW_COLUMNS, describe_rows, show_tables_rows
from mjquery.engine.loader import TableLoader, append_count, create_count_table, quote
from mjquery.engine.views import create_view, drop_views, read_views
from mjquery.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    SqlSyntaxError,
)
from mjquery.planner import (
    ApiFetch,
    ApiRequest,
    ColumnFill,
    CopyStatement,
    CreateView,
    DescribeTable,
    DmlStatement,
    DropView,
    ExplainPlan,
    LocalStatement,
    LocalTables,
    OverLimit,
    PlannerOptions,
    QueryParam,
    QueryPlan,
    ResultKind,
    ShowTables,
    Statement,
    StatementClass,
)
from mjquery.planner.shortcut import KIND_OF_TYPE, local_only, mentions
from mjquery.schema.catalog import CatalogLike

if TYPE_CHECKING:
    from mjquery.api import ApiClient, BodyPage, RequestStats
    from mjquery.schema.properties import PropertyDefinition
    from mjquery.writes.plan import WriteOptions

# The parser, the API client and the write path load on first use (see Engine.plan): a
# statement on local tables only needs none of them, and a one-line command starts faster.

ProgressCallback = Callable[[int, "int | None"], None]
_T = TypeVar("_T")

#: Rows per Arrow record batch from :meth:`Engine.record_batches`: large enough that per-batch
#: overhead vanishes, small enough that a batch of the widest table stays a few MB.
DEFAULT_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class StatementStats:
    """What the last statement cost: API requests, cache hits, wall time and result rows."""

    requests: int = 0
    cache_hits: int = 0
    elapsed_s: float = 0.0
    rows: int = 0


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result: name and DuckDB type name (the DB-API type code)."""

    name: str
    type_code: str


@dataclass(frozen=True)
class Result:
    """The outcome of one statement.

    ``columns`` is None for statements that return no rows; ``rowcount`` is the number of rows
    returned, or changed by a DML statement, or -1 when unknown. With ``stream`` the rows are
    in the stream (``rows`` is empty and ``rowcount`` -1 until the stream is exhausted).
    """

    columns: tuple[ResultColumn, ...] | None
    rows: list[tuple[Any, ...]]
    rowcount: int
    stats: StatementStats
    stream: RowStream | None = None


class RowStream:
    """The rows of one query, pulled from the engine's DuckDB connection as they are fetched.

    ``fetch(n)`` returns up to ``n`` rows (fewer only at the end). ``total`` is the number of
    rows once known (the stream was exhausted or materialised), else None. ``close()`` gives up
    the remaining rows. The fetched tables of the statement are dropped as soon as DuckDB has
    handed over its last row.
    """

    def __init__(self, engine: Engine, cleanup: Callable[[], None]) -> None:
        self._engine = engine
        self._cleanup: Callable[[], None] | None = cleanup
        self._live = True  # DuckDB still holds the pending result
        self._buffer: list[tuple[Any, ...]] = []  # rows read ahead by materialise()
        self._position = 0
        self.fetched = 0  # rows handed to the caller

    @property
    def total(self) -> int | None:
        """The number of rows of the result, once DuckDB has handed over the last one."""
        return None if self._live else self.fetched + len(self._buffer) - self._position

    @property
    def exhausted(self) -> bool:
        return not self._live and self._position >= len(self._buffer)

    def fetch(self, size: int) -> list[tuple[Any, ...]]:
        with self._engine._lock:
            if size <= 0:
                return []
            if self._position < len(self._buffer):
                rows = self._buffer[self._position : self._position + size]
                self._position += len(rows)
                if self._position >= len(self._buffer):
                    self._buffer, self._position = [], 0
            elif self._live:
                rows = self._read(lambda: self._engine.db.fetchmany(size))
                if len(rows) < size:
                    self._finish()
            else:
                rows = []
            self.fetched += len(rows)
            return rows

    def fetch_all(self) -> list[tuple[Any, ...]]:
        with self._engine._lock:
            rows = self._buffer[self._position :]
            self._buffer, self._position = [], 0
            if self._live:
                rows += self._read(self._engine.db.fetchall)
                self._finish()
            self.fetched += len(rows)
            return rows

    def fetch_frame(self, kind: FrameKind) -> Any:
        """The remaining rows as one pyarrow Table or pandas DataFrame, converted by DuckDB
        without building Python rows (the fast path for data-frame users).

        None when the remaining rows are already held in Python (the result was materialised
        because another statement ran): the caller converts those with :meth:`fetch_all`.
        """
        with self._engine._lock:
            if not self._live or self._position < len(self._buffer):
                return None
            frame: Any = self._read(lambda: _frame_of(self._engine.db, kind))
            self.fetched += frame.num_rows if kind is FrameKind.ARROW else len(frame)
            self._finish()
            return frame

    def materialise(self) -> None:
        """Read the remaining rows into memory and release DuckDB (another statement is next)."""
        with self._engine._lock:
            if self._live:
                self._buffer = self._buffer[self._position :] + self._read(self._engine.db.fetchall)
                self._position = 0
                self._finish()

    def close(self) -> None:
        """Give up the remaining rows; drop the fetched tables."""
        with self._engine._lock:
            self._buffer, self._position = [], 0
            if self._live:
                self._live = False
                self._release()

    def _read(self, call: Callable[[], _T]) -> _T:
        try:
            with _duckdb_errors():
                return call()
        except BaseException:
            self._live = False
            self._release()
            raise

    def _finish(self) -> None:
        self._live = False
        self._release()

    def _release(self) -> None:
        if self._engine._open is self:
            self._engine._open = None
        cleanup, self._cleanup = self._cleanup, None
        if cleanup is not None:
            cleanup()


class FrameKind(enum.Enum):
    """What :meth:`RowStream.fetch_frame` returns."""

    ARROW = "pyarrow.Table"
    PANDAS = "pandas.DataFrame"


def _frame_of(db: duckdb.DuckDBPyConnection, kind: FrameKind) -> Any:
    """The pending result's remaining rows as a frame, converted inside DuckDB."""
    if kind is FrameKind.PANDAS:
        return db.fetch_df()
    # DuckDB >= 2.0 spells it to_arrow_table and warns that a pending DB-API result is copied
    # once more than a relation's would be; the rows are already pending here, so that copy
    # (in DuckDB's memory, still no Python objects) is the cheapest way to them.
    to_arrow = getattr(db, "to_arrow_table", None) or getattr(db, "fetch_arrow_table")  # noqa: B009 - DuckDB < 2.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        return to_arrow()


Outcome = tuple[tuple[ResultColumn, ...] | None, Any, int]  # columns, rows (or stream), rowcount


class Engine:
    """Plans and runs statements for one connection."""

    def __init__(
        self,
        catalog: CatalogLike,
        client: ApiClient | None = None,
        *,
        client_factory: Callable[[], ApiClient] | None = None,
        options: PlannerOptions | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        local_database: str = ":memory:",
        local_files: bool = True,
    ) -> None:
        self.catalog = _with_property_columns(catalog, self._property_definitions)
        # With ``client_factory`` the client (and httpx, its connection pool, its TLS context)
        # is built on first use: a statement on local tables never needs it.
        if (client is None) == (client_factory is None):
            raise TypeError("Engine takes a client or a client_factory")
        self._client = client
        self._make_client = client_factory
        self._client_lock = threading.Lock()
        self.options = options or PlannerOptions()
        self.max_concurrency = max_concurrency
        self.progress: ProgressCallback | None = None
        # called with each page's row count as it lands (replication's rows-read display)
        self.rows_progress: Callable[[int], None] | None = None
        self.local_files = local_files
        # the user's own tables: in memory, or a DuckDB file that every connection opening it
        # shares (and that outlives them); the fetched tables are TEMP, so never shared
        self.db = duckdb.connect(local_database)
        self.db.execute("SET TimeZone = 'UTC'")
        # A statement never downloads a DuckDB extension (read_json('http://...') would fetch
        # httpfs): only what is installed already can load.
        self.db.execute("SET autoinstall_known_extensions = false")
        if not local_files:
            # Hosted use: no statement may read or write local files, attach databases or load
            # extensions (pages load from memory, not files). The settings are locked so a
            # statement cannot turn them back.
            self.db.execute("SET enable_external_access = false")
            self.db.execute("SET lock_configuration = true")
        self._lock = threading.RLock()
        self._counter = itertools.count(1)
        self._closed = False
        self._open: RowStream | None = None  # the result DuckDB is still handing over
        self._write_options: WriteOptions | None = None
        self.last_write: Any = None  # the last write statement's outcome (failed rows, message)
        self.last_batch_stats = StatementStats()  # what the last record_batches() cost

    @property
    def client(self) -> ApiClient:
        """The connection's API client, built on first use."""
        # its own lock: the first use may be in a fetching thread while the statement's thread
        # holds the engine's lock and waits for that thread
        with self._client_lock:
            if self._client is None:
                assert self._make_client is not None
                self._client = self._make_client()
            return self._client

    @property
    def client_built(self) -> bool:
        return self._client is not None

    @property
    def write_options(self) -> WriteOptions:
        """Bulk threshold, on-error, allow_unfiltered (:mod:`mjquery.writes`)."""
        if self._write_options is None:
            from mjquery.writes.plan import WriteOptions

            self._write_options = WriteOptions()
        return self._write_options

    @write_options.setter
    def write_options(self, options: WriteOptions) -> None:
        self._write_options = options

    # -- contact properties (ContactProperties' columns) ----------------------------------------

    def _property_definitions(self) -> list[PropertyDefinition]:
        """The account's contact properties: ``GET /v3/REST/contactmetadata`` (every page)."""
        from mjquery.schema.properties import definitions_from_rows

        metadata = self.catalog.find("contactmetadata")
        path = metadata.path if metadata is not None else "/v3/REST/contactmetadata"
        return definitions_from_rows(row for rows in self.client.scan(path) for row in rows)

    def refresh_properties(self) -> None:
        """Read the account's contact properties again on the next use of ContactProperties
        (a property defined since the connection read them becomes a column)."""
        refresh = getattr(self.catalog, "refresh", None)
        if refresh is not None:
            refresh()
        if self._client is not None:
            self._client.invalidate("contactmetadata")

    def _request_stats(self) -> RequestStats | None:
        """The client's counters so far (None while no client was needed)."""
        return self._client.stats if self._client is not None else None

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        if self._open is not None:
            self._open.close()
        self._closed = True
        self.db.close()

    # -- planning -------------------------------------------------------------------------------

    def settle(self) -> None:
        """Read the open result's remaining rows into memory: another statement is about to run."""
        with self._lock:
            if self._open is not None:
                self._open.materialise()

    def local_tables(self) -> LocalTables:
        """The user's tables and views in the local DuckDB database, with their columns."""
        # the connection may be shared between threads (threadsafety 2); a setting the user
        # changed can make even this query fail: a DuckDB error, translated
        with self._lock, _duckdb_errors():
            self.settle()
            rows = self.db.execute(
                "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_name NOT LIKE 'mjq%\\_%' ESCAPE '\\' GROUP BY table_name"
            ).fetchall()
            views = read_views(self._rows)
        return LocalTables({name: tuple(cols) for name, cols in rows}, views)

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement of mjquery's own on the local database."""
        rows: list[tuple[Any, ...]] = self.db.execute(sql, params).fetchall()
        return rows

    def plan(
        self, sql: str, params: Sequence[object] | None = None, prefix: str = "mjq"
    ) -> Statement:
        """The typed statement ``sql`` is: parsed once, routed by its syntax tree; a statement
        that cannot involve Mailjet is typed by DuckDB's own parser instead
        (:mod:`mjquery.planner.shortcut`)."""
        local = local_only(sql, params, self.catalog, self._statement_type)
        if local is not None and not self._names_a_view(sql):
            return local
        return self._routed(sql, params, prefix)

    def _names_a_view(self, sql: str) -> bool:
        """Whether ``sql`` names a view over Mailjet tables (it must be routed, not shortcut)."""
        with self._lock, _duckdb_errors():
            self.settle()
            return mentions(sql, read_views(self._rows))

    def classify(self, sql: str) -> StatementClass:
        """What ``sql`` does (query, INSERT, UPDATE/DELETE with or without WHERE, other), as
        the router decides it; a statement the shortcut takes is typed by DuckDB's parser, so
        asking costs a one-line command no sqlglot import."""
        types: list[str | None] = []

        def statement_type(text: str) -> str | None:
            types.append(self._statement_type(text))
            return types[-1]

        if local_only(sql, None, self.catalog, statement_type) is not None:
            kind = KIND_OF_TYPE.get(types[-1] or "")
            if kind is not None:
                return StatementClass(kind)
        from mjquery.planner.router import classify

        return classify(sql)

    def _routed(self, sql: str, params: Sequence[object] | None, prefix: str) -> Statement:
        """The full router's answer (sqlglot parses the statement)."""
        from mjquery.planner.parse import parse
        from mjquery.planner.router import route

        tree = parse(sql)
        try:
            self._check_syntax(sql)
        except SqlSyntaxError:
            try:  # a refusal by name (INSERT OR ROLLBACK ...) says more than DuckDB's grammar
                route(tree, sql, params, self.catalog, self.local_tables(), self.options, prefix)
            except NotSupportedError:
                raise
            except Error:
                pass
            raise
        return route(tree, sql, params, self.catalog, self.local_tables(), self.options, prefix)

    def _check_syntax(self, sql: str) -> None:
        """Refuse what DuckDB's parser refuses, pointing into the user's text.

        sqlglot is lenient where DuckDB is not: it reads ``FROM List LIMIT`` as a table aliased
        LIMIT and ``UPDATE Contact SET WHERE ID = 1`` as an UPDATE that sets nothing. The
        rows of a query are computed by DuckDB, so its grammar is the statement's: without this
        check such a statement ran (the UPDATE reported a row updated), or failed in the
        generated SQL, where the position of the error means nothing to the user. Named
        ``:name`` markers are not DuckDB's: a statement holding them is left to sqlglot.
        """
        if ":" in sql:
            from mjquery.planner.params import named_markers

            if named_markers(sql).names:
                return
        with self._lock:
            try:
                self.db.extract_statements(sql)
            except duckdb.ParserException as exc:
                from mjquery.planner.syntax import duckdb_syntax_error

                raise duckdb_syntax_error(_clean(str(exc)), sql) from exc
            except duckdb.Error:
                return  # not a syntax error: the statement's own run reports it

    def warm_up(self) -> None:
        """Load what the first statement on a Mailjet table needs (sqlglot and its DuckDB
        dialect, the planner, the API client's modules): an interactive front end calls this in
        a background thread while the user types, so that statement does not wait for them."""
        from mjquery.planner.parse import parse
        from mjquery.planner.router import route

        name = self.catalog.objects[0].name if self.catalog.objects else "x"
        sql = f'SELECT 1 FROM "{name}" WHERE 1 = 0'
        route(parse(sql), sql, None, self.catalog, LocalTables(), self.options, "mjq_warm")
        importlib.import_module("mjquery.api.client")

    def _statement_type(self, sql: str) -> str | None:
        """DuckDB's statement type of ``sql`` (None unless it is exactly one parseable statement)."""
        with self._lock:
            self.settle()
            try:
                statements = self.db.extract_statements(sql)
            except duckdb.Error:
                return None  # the router gives the error, with line and column
        return statements[0].type.name if len(statements) == 1 else None

    def explain(self, sql: str, params: Sequence[object] | None = None) -> str:
        from mjquery.planner.explain import explain_statement
        from mjquery.planner.router import explain

        with self._lock:
            self.settle()
            match self.plan(sql, params, prefix="mjq_explain"):
                case ExplainPlan() as explained:
                    return "\n".join(explain_statement(explained))
                case QueryPlan() as plan:
                    return "\n".join(explain_statement(ExplainPlan(plan)))
                case DmlStatement() | CopyStatement() as write:
                    explained = explain(
                        write, self.catalog, self.local_tables(), self.options, "mjq_explain"
                    )
                    return "\n".join(explain_statement(explained))
                case LocalStatement() as local:
                    return "Runs in the local DuckDB database only; no API request.\n" + (
                        local.sql.strip()
                    )
                case _:
                    return "No API request: answered from the table descriptions."

    # -- execution ------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Result:
        with self._lock:
            if self._closed:
                raise InterfaceError("The connection is closed.")
            self.settle()
            before = self._request_stats()
            started = time.perf_counter()
            self.last_write = None
            prefix = f"mjq{next(self._counter)}"
            statement = self.plan(sql, params, prefix)
            try:
                columns, rows, rowcount = self._run(statement, stream=True)
            except ProgrammingError:
                if isinstance(statement, LocalStatement):
                    # DuckDB refused it (an unknown table, ...): the router's message names the
                    # closest Mailjet or local table; nothing ran, so asking it costs nothing
                    self._routed(sql, params, prefix)
                raise
            stream: RowStream | None = None
            if isinstance(rows, RowStream):
                stream, rows = rows, []
            return Result(
                columns,
                rows,
                rowcount,
                self._stats(before, started, columns, rows, rowcount),
                stream,
            )

    def _stats(
        self,
        before: RequestStats | None,
        started: float,
        columns: tuple[ResultColumn, ...] | None,
        rows: list[tuple[Any, ...]],
        rowcount: int,
    ) -> StatementStats:
        after = self._request_stats()
        requests = hits = 0
        if after is not None:
            requests = after.requests - (before.requests if before is not None else 0)
            hits = after.cache_hits - (before.cache_hits if before is not None else 0)
        return StatementStats(
            requests=requests,
            cache_hits=hits,
            elapsed_s=time.perf_counter() - started,
            rows=len(rows) if columns is not None else max(rowcount, 0),
        )

    def _run(self, statement: Statement, *, stream: bool = False) -> Outcome:
        """Columns, rows and rowcount; with ``stream`` a query's rows are a :class:`RowStream`
        (rowcount -1), other statements' a list."""
        match statement:
            case QueryPlan():
                return self._query(statement, stream)
            case DmlStatement() | CopyStatement():
                return self._write(statement)
            case LocalStatement():
                return self._local(statement, stream)
            case ExplainPlan():
                from mjquery.planner.explain import explain_statement

                rows = [(line,) for line in explain_statement(statement)]
                return (ResultColumn("explain", "VARCHAR"),), rows, len(rows)
            case ShowTables():
                rows = show_tables_rows(self.catalog, self.local_tables())
                return _text_columns(SHOW_COLUMNS), rows, len(rows)
            case DescribeTable():
                rows = describe_rows(statement.schema)
                return _text_columns(DESCRIBE_COLUMNS), rows, len(rows)
            case CreateView():
                with _duckdb_errors():
                    create_view(self._rows, statement)
                return None, [], -1
            case DropView():
                with _duckdb_errors():
                    drop_views(self._rows, statement)
                return None, [], -1

    def record_batches(
        self,
        sql: str,
        params: Sequence[object] | None = None,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> Iterator[Any]:
        """The rows of one SELECT as Arrow record batches (``pyarrow.RecordBatch``).

        The statement is planned and fetched exactly like ``execute`` (pushdown, concurrent
        pages, rate limit, retries); the residual query's rows then leave DuckDB as Arrow,
        ``batch_rows`` at a time, without passing through Python objects. Column types are
        DuckDB's (BIGINT ids, TIMESTAMP in UTC without a zone, BOOLEAN, JSON as text). The
        engine is busy until the iterator is exhausted or closed. ``stats`` after the last
        batch: :attr:`last_batch_stats`. Anything but a SELECT is a ProgrammingError.
        """
        with self._lock:
            if self._closed:
                raise InterfaceError("The connection is closed.")
            self.settle()
            before, started = self.client.stats, time.perf_counter()
            planned = self.plan(sql, params, f"mjq{next(self._counter)}")
            if not isinstance(planned, QueryPlan) or planned.result is not ResultKind.ROWS:
                raise ProgrammingError("record_batches() takes a SELECT on Mailjet tables.")
            created: list[str] = []
            rows = 0
            try:
                for fetch in planned.fetches:
                    created.append(fetch.name)
                    self._load(fetch)
                with _duckdb_errors():
                    # a relation streams Arrow without an extra copy (DuckDB 2 names the
                    # method to_arrow_reader, 1.x fetch_arrow_reader)
                    relation = self.db.sql(planned.residual_sql)
                    to_reader = (
                        getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
                    )
                    reader = to_reader(batch_rows)
                    for batch in reader:
                        rows += batch.num_rows
                        yield batch
            finally:
                self._drop(created)
                after = self.client.stats
                self.last_batch_stats = StatementStats(
                    requests=after.requests - before.requests,
                    cache_hits=after.cache_hits - before.cache_hits,
                    elapsed_s=time.perf_counter() - started,
                    rows=rows,
                )

    # -- writes: mjquery.writes runs them; the rows they change are found by a SELECT here ---------

    def _select(self, sql: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        planned = self.plan(sql, None, f"mjq{next(self._counter)}")
        if not isinstance(planned, (QueryPlan, LocalStatement)):
            raise ProgrammingError("The rows of a write must come from a SELECT.")
        columns, rows, _ = self._run(planned)
        return tuple(c.name for c in columns or ()), rows

    def _write(self, write: DmlStatement | CopyStatement) -> Outcome:
        from mjquery.writes.statement import run_statement

        if isinstance(write, CopyStatement) and not self.local_files:
            raise NotSupportedError(
                f"COPY ... TO {write.path!r} writes a local file, and this connection does not "
                "allow local files (connect(local_files=False), --no-local-files)."
            )
        try:
            outcome = run_statement(
                write,
                select=self._select,
                catalog=self.catalog,
                client=self.client,
                options=self.write_options,
            )
        finally:
            if isinstance(write, DmlStatement) and _defines_properties(self.catalog, write.table):
                # a property defined, renamed or removed: ContactProperties' columns change
                self.refresh_properties()
        self.last_write = outcome
        columns = (
            None
            if outcome.columns is None
            else tuple(ResultColumn(n, t) for n, t in outcome.columns)
        )
        return columns, outcome.rows, outcome.rowcount

    def execute_many(self, sql: str, seq_of_params: Sequence[Sequence[object]]) -> Result | None:
        """``executemany`` of an INSERT into a Mailjet table as one write (bulk jobs for many
        contacts); None when the statement is something else (the caller runs it once per
        parameter set; the text is parsed once either way)."""
        if local_only(sql, None, self.catalog, self._statement_type) is not None:
            return None  # a statement on local tables: DuckDB runs it per parameter set
        from mjquery.planner.dml import insert_many, write_target
        from mjquery.planner.parse import parse

        with self._lock:
            self.settle()
            tree = parse(sql)
            target = write_target(tree)
            schema = self.catalog.find(target.name) if target is not None else None
            write = insert_many(tree, schema, seq_of_params) if schema is not None else None
            if write is None:
                return None
            before, started = self._request_stats(), time.perf_counter()
            self.last_write = None
            columns, rows, rowcount = self._write(write)
            return Result(columns, rows, rowcount, self._stats(before, started, None, [], rowcount))

    def dry_run(self, sql: str, params: Sequence[object] | None = None) -> Any:
        """The writes an INSERT/UPDATE/DELETE would make (``DryRun.count`` rows), without making them."""
        from mjquery.writes.statement import plan_dry_run

        with self._lock:
            self.settle()
            write = self.plan(sql, params, f"mjq{next(self._counter)}")
            if not isinstance(write, DmlStatement):
                raise ProgrammingError(
                    "dry_run() takes an INSERT, UPDATE or DELETE on a Mailjet table."
                )
            return plan_dry_run(
                write,
                select=self._select,
                catalog=self.catalog,
                client=self.client,
                options=self.write_options,
            )

    def _local(self, statement: LocalStatement, stream: bool = False) -> Outcome:
        with _duckdb_errors():
            self.db.execute(statement.sql, list(statement.params) if statement.params else None)
            return self._collect(statement.result, self._stream(()) if stream else None)

    def _collect(self, kind: ResultKind, stream: RowStream | None = None) -> Outcome:
        """The result of the statement just run on ``db``: a list of rows, or ``stream`` for a
        query (the stream then owns the pending result)."""
        description = self.db.description
        if kind is ResultKind.ROWCOUNT:
            row = self.db.fetchone() if description else None
            if stream is not None:
                stream.close()
            return None, [], int(row[0]) if row and row[0] is not None else -1
        if kind is ResultKind.NOTHING or description is None:
            if stream is not None:
                stream.close()
            return None, [], -1
        columns = tuple(ResultColumn(d[0], str(d[1])) for d in description)
        if stream is not None:
            self._open = stream
            return columns, stream, -1
        rows = self.db.fetchall()
        return columns, rows, len(rows)

    def _stream(self, tables: Sequence[str]) -> RowStream:
        names = tuple(tables)

        def drop() -> None:
            self._drop(names)

        return RowStream(self, drop)

    def _drop(self, names: Sequence[str]) -> None:
        if self._closed:
            return
        for name in names:
            # The connection may be being torn down: nothing is left to drop then.
            with contextlib.suppress(duckdb.Error):
                self.db.execute(f"DROP TABLE IF EXISTS {quote(name)}")

    def _query(self, plan: QueryPlan, stream: bool = False) -> Outcome:
        created: list[str] = []
        handed_over = False
        try:
            for fetch in plan.fetches:
                created.append(fetch.name)
                with _duckdb_errors():  # loading pages runs DuckDB too (read_json, casts)
                    self._load(fetch)
            with _duckdb_errors():
                self.db.execute(plan.residual_sql)
                if stream and plan.result is ResultKind.ROWS:
                    # the stream drops the fetched tables once DuckDB has handed over every row
                    result = self._collect(plan.result, self._stream(created))
                    handed_over = True
                    return result
                return self._collect(plan.result)
        finally:
            if not handed_over:
                self._drop(created)

    # -- one fetch ------------------------------------------------------------------------------

    def requests_for(self, fetch: ApiFetch) -> list[ApiRequest]:
        """The concrete requests of a fetch, keys from earlier fetches pushed in."""
        keys = fetch.keys
        if keys is None or fetch.contradiction:
            return list(fetch.requests)
        with _duckdb_errors():
            values = [row[0] for row in self.db.execute(keys.key_sql).fetchall()]
        if len(values) > keys.max_keys:
            if keys.over_limit is OverLimit.REFUSE:
                raise ProgrammingError(keys.refusal)
            if keys.target_placeholder == "id":
                # one read of the table instead of a GET per id; its own pushed filters still apply
                return list(
                    dict.fromkeys(
                        ApiRequest(fetch.schema.path, t.params, t.fills) for t in fetch.requests
                    )
                )
            return list(fetch.requests)
        spelled = [_spell(v) for v in values]
        requests: list[ApiRequest] = []
        if keys.comma_list and keys.target_param and not keys.fill_column:
            for start in range(0, len(spelled), 50):
                chunk = ",".join(spelled[start : start + 50])
                for template in fetch.requests:
                    requests.append(
                        replace(
                            template,
                            params=(*template.params, QueryParam(keys.target_param, chunk)),
                        )
                    )
            return requests
        for value, text in zip(values, spelled, strict=True):
            for template in fetch.requests:
                path, params, fills = template.path, template.params, template.fills
                if keys.target_param:
                    params = (*params, QueryParam(keys.target_param, text))
                if keys.target_placeholder:
                    path = re.sub(
                        r"\{" + re.escape(keys.target_placeholder) + r"\}",
                        _path_segment(text),
                        path,
                    )
                if keys.fill_column:
                    fills = (*fills, ColumnFill(keys.fill_column, value, keys.fill_type))
                requests.append(ApiRequest(path, params, fills, item=template.item))
        return requests

    def _load(self, fetch: ApiFetch) -> None:
        requests = [] if fetch.contradiction else self.requests_for(fetch)
        if fetch.count_only:
            create_count_table(self.db, fetch.name)
            counts = self._parallel(
                [functools.partial(self.client.count, r.path, _params(r)) for r in requests]
            )
            for count in counts:
                append_count(self.db, fetch.name, count)
            return
        columns = fetch.columns
        several = len(requests) > 1
        if columns is not None and several:
            # several requests may return the same object: the columns that tell rows apart
            columns = (*columns, *fetch.dedupe_columns)
        loader = TableLoader(self.db, fetch.name, fetch.schema, columns=columns)
        self._fill(fetch, requests, loader)
        loader.flush()
        if several:
            loader.deduplicate(fetch.dedupe_columns)

    def _fill(self, fetch: ApiFetch, requests: list[ApiRequest], loader: TableLoader) -> None:
        single_shot = [r for r in requests if r.item or not fetch.schema.paged]
        scans = [r for r in requests if not (r.item or not fetch.schema.paged)]
        if single_shot:
            pages = self._parallel(
                [functools.partial(self._get_one, fetch, r) for r in single_shot]
            )
            for request, page in zip(single_shot, pages, strict=True):
                if page is not None:
                    loader.append(page.body, page.rows, request.fills)
        if len(scans) == 1:
            # one scan: stream it page by page, memory stays at a few pages
            request = scans[0]
            for page in self._scan(fetch, request, on_progress=self.progress):
                loader.append(page.body, page.rows, request.fills)
                if self.rows_progress is not None:
                    self.rows_progress(page.rows)
        elif scans:
            self._load_many(fetch, scans, loader)

    def _load_many(self, fetch: ApiFetch, scans: list[ApiRequest], loader: TableLoader) -> None:
        """Several scans (one per key or value): run up to ``max_concurrency`` at once.

        Each running scan holds its pages until it is loaded, so memory is bounded by the
        concurrency times one request's rows (these requests are narrowed by a key).
        """

        def read(request: ApiRequest) -> list[BodyPage]:
            return list(self._scan(fetch, request))

        from concurrent.futures import ThreadPoolExecutor  # with logging: only when fetching

        pool = ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(scans)))
        try:
            pending = iter(scans)
            window: list[tuple[ApiRequest, Any]] = []
            for request in itertools.islice(pending, self.max_concurrency):
                window.append((request, pool.submit(read, request)))
            done = 0
            while window:
                request, future = window.pop(0)
                for page in future.result():
                    loader.append(page.body, page.rows, request.fills)
                    if self.rows_progress is not None:
                        self.rows_progress(page.rows)
                done += 1
                if self.progress is not None:
                    self.progress(done, len(scans))
                following = next(pending, None)
                if following is not None:
                    window.append((following, pool.submit(read, following)))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _get_one(self, fetch: ApiFetch, request: ApiRequest) -> BodyPage | None:
        from mjquery.api.errors import ApiNotFoundError

        try:
            return self.client.get_body(request.path, _params(request))
        except ApiNotFoundError:
            if request.item or _per_parent(fetch):
                return None  # GET of one id that does not exist: no rows
            raise

    def _scan(
        self, fetch: ApiFetch, request: ApiRequest, on_progress: Any = None
    ) -> Iterator[BodyPage]:
        """The pages of one paged request; a parent without the sub-resource has no pages."""
        from mjquery.api.errors import ApiNotFoundError

        pages = self.client.scan_bodies(
            request.path,
            _params(request),
            limit=fetch.limit,
            offset=fetch.offset,
            on_progress=on_progress,
        )
        try:
            yield from pages
        except ApiNotFoundError:
            if not _per_parent(fetch):
                raise

    def _parallel(self, calls: list[Callable[[], Any]]) -> list[Any]:
        if len(calls) <= 1:
            return [c() for c in calls]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(calls))) as pool:
            return list(pool.map(lambda c: c(), calls))


def _with_property_columns(
    catalog: CatalogLike, read: Callable[[], Sequence[PropertyDefinition]]
) -> CatalogLike:
    """The connection's catalog: a table of contact properties gets the account's property
    columns when first used (:mod:`mjquery.schema.properties`)."""
    from mjquery.schema.catalog import Catalog

    if isinstance(catalog, Catalog) and any(o.property_columns for o in catalog.objects):
        from mjquery.schema.properties import ConnectionCatalog

        return ConnectionCatalog(catalog, read)
    return catalog


def _defines_properties(catalog: CatalogLike, table: str) -> bool:
    """Whether ``table`` holds the contact property definitions (contactmetadata)."""
    schema = catalog.find(table)
    return schema is not None and schema.resource.lower() == "contactmetadata"


def _per_parent(fetch: ApiFetch) -> bool:
    """Whether the fetch's requests each address one parent's sub-resource.

    Mailjet answers 404 when that parent has no such sub-object (a campaign draft without a
    schedule): that parent contributes no rows, whether its id came from WHERE or a fan-out.
    """
    return fetch.schema.parent is not None


def _params(request: ApiRequest) -> dict[str, str]:
    """The request's parameters as the client takes them (one value per name, as the API reads)."""
    params: dict[str, str] = {}
    for param in request.params:
        params.setdefault(param.name, param.value)
    return params


def _spell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _path_segment(text: str) -> str:
    """A key value as one path segment: percent-encoded so it can never change the path."""
    from urllib.parse import quote as url_quote

    return url_quote(text, safe="@+")


def _text_columns(names: tuple[str, ...]) -> tuple[ResultColumn, ...]:
    return tuple(ResultColumn(n, "VARCHAR") for n in names)


class _duckdb_errors:
    """Translate DuckDB's exceptions into mjquery's hierarchy (the one boundary for duckdb)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        # returns None, never True: an exception is translated (raised anew) or passes unchanged
        if exc is None or not isinstance(exc, duckdb.Error) or isinstance(exc, Error):
            return
        message = _clean(str(exc))
        if (
            isinstance(exc, duckdb.PermissionException)
            or "configuration has been locked" in message
        ):
            raise NotSupportedError(
                "This connection does not allow local files, databases, extensions or changes "
                f"to DuckDB's settings (connect(local_files=False), --no-local-files): {message}"
            ) from exc
        if isinstance(exc, duckdb.ParserException):
            from mjquery.planner.syntax import duckdb_syntax_error  # sqlglot: loaded on demand

            raise duckdb_syntax_error(message) from exc
        # the statement DuckDB ran is the generated residual SQL, not the user's: leave it out
        message = _LINE_CONTEXT.sub("", message).strip()
        if isinstance(exc, (duckdb.CatalogException, duckdb.BinderException)):
            raise ProgrammingError(message) from exc
        if isinstance(exc, duckdb.ConstraintException):
            raise IntegrityError(message) from exc
        if isinstance(
            exc,
            (duckdb.ConversionException, duckdb.OutOfRangeException, duckdb.TypeMismatchException),
        ):
            raise DataError(message) from exc
        if isinstance(exc, duckdb.NotImplementedException):
            raise NotSupportedError(message) from exc
        if isinstance(exc, duckdb.InvalidInputException):
            raise ProgrammingError(message) from exc
        if isinstance(exc, duckdb.InterruptException):
            raise OperationalError("The statement was interrupted.") from exc
        if (
            isinstance(exc, duckdb.PermissionException)
            or "configuration has been locked" in message
        ):
            raise NotSupportedError(
                "This connection does not allow local files, databases or extensions "
                f"(connect(local_files=False), --no-local-files): {message}"
            ) from exc
        raise DatabaseError(message) from exc


_TEMP_NAME = re.compile(r"mjq\d+_\d+_([a-z0-9_]+)")


_LINE_CONTEXT = re.compile(r"\n*LINE \d+:.*", re.DOTALL)


def _clean(message: str) -> str:
    """DuckDB's message without our internal table names."""
    return _TEMP_NAME.sub(lambda m: m.group(1), message)
