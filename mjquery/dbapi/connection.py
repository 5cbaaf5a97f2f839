"""DB-API 2.0 Connection and Cursor over the engine.

A connection owns one API client, one local DuckDB database (the user's own tables live there and
join freely with Mailjet tables) and, with ``demo=True``, the in-process sandbox. Mailjet writes
are immediate, so ``commit()`` does nothing and ``rollback()`` raises NotSupportedError.

Threads (``threadsafety = 2``): threads may share a connection, each with its own cursors; the
engine runs one statement at a time. A cursor is one thread's: a second thread using it while
it is busy, or fetching rows another thread's statement produced, gets ProgrammingError.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mjquery import errors
from mjquery.api.config import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_WAIT,
    DEFAULT_TIMEOUT,
    ApiConfig,
)
from mjquery.engine import Engine, FrameKind, Result, ResultColumn, RowStream, StatementStats
from mjquery.engine.describe import DESCRIBE_COLUMNS, SHOW_COLUMNS, describe_rows, show_tables_rows
from mjquery.errors import InterfaceError, NotSupportedError, ProgrammingError
from mjquery.planner import PlannerOptions, StatementClass
from mjquery.planner.params import qmark_parameters

if TYPE_CHECKING:
    from mjquery.api.client import ApiClient

DEFAULT_BASE_URL = "https://api.mailjet.com"
_SANDBOX_URL = "http://127.0.0.1"


#: The largest fetchmany() size passed on: more than any result can hold.
_MAX_FETCH = 1 << 62


def connect(
    api_key: str | None = None,
    api_secret: str | None = None,
    base_url: str | None = None,
    demo: bool = False,
    cache_ttl: float = 300,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    rate_limit_per_second: float | None = None,
    transport: Any = None,
    sandbox: Any = None,
    *,
    max_fanout: int = 100,
    max_dependent_keys: int = 50,
    catalog: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_wait: float = DEFAULT_MAX_WAIT,
    write_options: Any = None,
    allow_unfiltered_writes: bool = False,
    local_database: str | None = None,
    local_files: bool = True,
) -> Connection:
    """Open a connection to a Mailjet account (or to the demo sandbox with ``demo=True``).

    Keys default to ``MJ_APIKEY_PUBLIC`` / ``MJ_APIKEY_PRIVATE``; the base URL to
    ``https://api.mailjet.com``. ``cache_ttl`` is how long (seconds) API answers are reused
    within the connection (0 turns the cache off). ``max_concurrency``: requests in flight at
    once at most (default ``mjquery.api.DEFAULT_MAX_CONCURRENCY``, 16: a 1,000-row page is mostly
    latency); a connection starts with 4 and raises it while Mailjet answers without a 429,
    halving it on one. ``max_wait``: seconds a request keeps waiting out Mailjet's rate limiting
    (429, backed off exponentially) before the statement fails; ``timeout``: seconds per request
    (production requests can take ~20 s). ``max_fanout`` bounds how many parents a
    sub-resource query may fan out over. ``write_options`` (:class:`mjquery.writes.WriteOptions`)
    and ``allow_unfiltered_writes`` (UPDATE/DELETE without WHERE) configure the write path.
    ``local_database``: a DuckDB file for the user's own tables (default: in memory, one per
    connection); connections opening the same file share its tables.
    ``local_files=False`` refuses statements that read or write local files, attach databases
    or load DuckDB extensions (``read_csv``, ``COPY ... TO``, ``ATTACH``): for hosted use,
    behind a web UI or a notebook server. Mailjet tables and local in-memory tables still work.
    """
    from mjquery.schema.catalog import load_catalog

    demo_account = _DemoSandbox() if demo and sandbox is None else None
    if sandbox is not None:
        from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET

        transport = transport or sandbox.transport()
        api_key = api_key or sandbox.config.api_key or DEMO_API_KEY
        api_secret = api_secret or sandbox.config.api_secret or DEMO_API_SECRET
        base_url = base_url or _SANDBOX_URL
    elif demo_account is not None:
        from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET  # the light part: no server

        api_key = api_key or DEMO_API_KEY
        api_secret = api_secret or DEMO_API_SECRET
        base_url = base_url or _SANDBOX_URL
    api_key = api_key or os.environ.get("MJ_APIKEY_PUBLIC")
    api_secret = api_secret or os.environ.get("MJ_APIKEY_PRIVATE")
    if not api_key or not api_secret:
        raise InterfaceError(
            "No Mailjet API key: pass api_key= and api_secret=, set MJ_APIKEY_PUBLIC and "
            "MJ_APIKEY_PRIVATE, or use demo=True for the built-in demo account."
        )
    config = ApiConfig(
        base_url=base_url or DEFAULT_BASE_URL,
        api_key=api_key,
        api_secret=api_secret,
        max_concurrency=max_concurrency,
        rate_limit_per_second=rate_limit_per_second,
        cache_ttl=cache_ttl,
        timeout=timeout,
        max_wait=max_wait,
    )
    options = PlannerOptions(max_fanout=max_fanout, max_dependent_keys=max_dependent_keys)

    def make_client() -> ApiClient:
        # built on the first request: a statement on local tables needs no HTTP client
        from mjquery.api.client import ApiClient

        if transport is None and demo_account is not None:
            return ApiClient(config, transport=demo_account.get().transport())
        return ApiClient(config, transport=transport)

    engine = Engine(
        catalog or load_catalog(),
        client_factory=make_client,
        options=options,
        max_concurrency=max_concurrency,
        local_database=local_database or ":memory:",
        local_files=local_files,
    )
    if write_options is not None or allow_unfiltered_writes:
        from dataclasses import replace

        from mjquery.writes import WriteOptions

        engine.write_options = replace(
            write_options or WriteOptions(),
            allow_unfiltered=allow_unfiltered_writes
            or bool(write_options and write_options.allow_unfiltered),
        )
    return Connection(engine, sandbox or demo_account, base_url=config.base_url)


class _DemoSandbox:
    """The demo account's sandbox, made on first use: loading the account and the server that
    serves it is most of a ``--demo`` start, and a statement on local tables never needs it."""

    def __init__(self) -> None:
        self._sandbox: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._sandbox is None:
                from mjquery.sandbox import Sandbox

                self._sandbox = Sandbox()
            return self._sandbox


class Connection:
    """A DB-API 2.0 connection (PEP 249) to one Mailjet account plus a local DuckDB database."""

    Warning = errors.Warning
    Error = errors.Error
    InterfaceError = errors.InterfaceError
    DatabaseError = errors.DatabaseError
    DataError = errors.DataError
    OperationalError = errors.OperationalError
    IntegrityError = errors.IntegrityError
    InternalError = errors.InternalError
    ProgrammingError = errors.ProgrammingError
    NotSupportedError = errors.NotSupportedError

    def __init__(self, engine: Engine, sandbox: Any = None, *, base_url: str | None = None) -> None:
        self._engine = engine
        self._sandbox = sandbox  # a Sandbox, or the demo's, made on first use (_DemoSandbox)
        self._base_url = base_url
        self._closed = False

    @property
    def sandbox(self) -> Any:
        """The in-process sandbox this connection talks to (None for a real account)."""
        if isinstance(self._sandbox, _DemoSandbox):
            return self._sandbox.get()
        return self._sandbox

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        where = "demo sandbox" if self._sandbox is not None else self._base_url or "Mailjet"
        return f"<mjquery.Connection {state} to {where}>"

    # -- PEP 249 --------------------------------------------------------------------------------

    def cursor(self) -> Cursor:
        self._check_open()
        return Cursor(self)

    def close(self) -> None:
        """Close the connection; closing it again does nothing (as in sqlite3 and psycopg)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._engine.close()
        finally:
            if self._engine.client_built:
                self._engine.client.close()

    def commit(self) -> None:
        """Writes to Mailjet are immediate; local tables are in autocommit mode: nothing to do."""
        self._check_open()

    def rollback(self) -> None:
        self._check_open()
        raise NotSupportedError(
            "rollback() is not supported: changes to Mailjet are applied immediately and cannot be undone."
        )

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._closed:
            self.close()

    # -- extras for the front ends ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def catalog(self) -> Any:
        return self._engine.catalog

    @property
    def on_wait(self) -> Any:
        """Callback ``(WaitNotice)`` called when the API client waits before retrying (rate
        limited by Mailjet): front ends show ``str(notice)`` on their progress line."""
        return self._engine.client.on_wait

    @on_wait.setter
    def on_wait(self, callback: Any) -> None:
        self._engine.client.on_wait = callback

    @property
    def progress(self) -> Any:
        """Callback ``(pages_done, pages_expected | None)`` called while tables are fetched."""
        return self._engine.progress

    @progress.setter
    def progress(self, callback: Any) -> None:
        self._engine.progress = callback

    @property
    def cache_enabled(self) -> bool:
        return self._engine.client.cache_enabled

    @cache_enabled.setter
    def cache_enabled(self, enabled: bool) -> None:
        self._engine.client.cache_enabled = enabled

    def clear_cache(self) -> None:
        self._engine.client.clear_cache()

    def refresh_properties(self) -> None:
        """Read the account's contact properties again when ContactProperties is next used.

        Its columns (one per property of ContactMetadata) are read once per connection; a
        property defined since then by another tool becomes a column after this call. A
        property defined through this connection (INSERT INTO ContactMetadata) needs no call.
        """
        self._check_open()
        self._engine.refresh_properties()

    def warm_up(self) -> None:
        """Load the parser and the API client now (call it in a background thread while the
        user types): the first statement on a Mailjet table then starts at once."""
        if not self._closed:
            self._engine.warm_up()

    def interrupt(self) -> None:
        """Stop the DuckDB part of a running statement (called by the shell on Ctrl-C)."""
        if not self._closed:
            self._engine.db.interrupt()

    @property
    def api(self) -> ApiClient:
        """The connection's API client (for the write path and tools)."""
        return self._engine.client

    @property
    def engine(self) -> Engine:
        return self._engine

    def explain(self, sql: str, parameters: Parameters = None) -> str:
        """What the statement would do, in plain words; makes no API request."""
        self._check_open()
        return self._engine.explain(*qmark_parameters(sql, parameters))

    def classify(self, sql: str) -> StatementClass:
        """What one statement does, as the engine will run it: a query, an INSERT, an UPDATE or
        DELETE (with or without its own WHERE), or another statement. A syntax error is raised
        as :meth:`Cursor.execute` would raise it. The front ends guard writes with this."""
        self._check_open()
        return self._engine.classify(sql)

    def tables(self) -> list[dict[str, Any]]:
        """SHOW TABLES as dicts: name, kind (mailjet/local), api_path, operations, description."""
        self._check_open()
        rows = show_tables_rows(self._engine.catalog, self._engine.local_tables())
        return [dict(zip(SHOW_COLUMNS, row, strict=True)) for row in rows]

    def describe(self, name: str) -> list[dict[str, Any]]:
        """DESCRIBE of a Mailjet table as dicts (column_name, type, kind, filter, sort, writable, ...)."""
        self._check_open()
        if not isinstance(name, str):
            raise ProgrammingError(
                f"describe() takes a table name as a string, not {type(name).__name__} {name!r}."
            )
        schema = self._engine.catalog.find(name)
        if schema is None:
            local = self._engine.local_tables().find(name)
            if local is None:
                self._engine.catalog.get(name)  # raises with a suggestion
                raise ProgrammingError(f"Unknown table {name!r}.")
            return [{"column_name": c} for c in local]
        return [dict(zip(DESCRIBE_COLUMNS, row, strict=True)) for row in describe_rows(schema)]

    # -- writes (mjquery.writes) --------------------------------------------------------------------

    @property
    def write_options(self) -> Any:
        """:class:`mjquery.writes.WriteOptions`: bulk threshold, on-error stop, allow_unfiltered."""
        return self._engine.write_options

    @write_options.setter
    def write_options(self, options: Any) -> None:
        self._engine.write_options = options

    def dry_run(self, sql: str, parameters: Parameters = None) -> Any:
        """The writes an INSERT/UPDATE/DELETE would make and how many rows (``.count``); sends no write."""
        self._check_open()
        return self._engine.dry_run(*qmark_parameters(sql, parameters))

    def gdpr_delete_contacts(self, contact_ids: Sequence[object]) -> Any:
        """Anonymise contacts through ``DELETE /v4/contacts/{id}`` (Mailjet's GDPR deletion; irreversible)."""
        from mjquery.writes import gdpr_delete_contacts

        self._check_open()
        return gdpr_delete_contacts(self._engine.client, contact_ids)

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("The connection is closed.")


#: Rows read from DuckDB at a time for ``fetchone`` and iteration.
_CHUNK_ROWS = 1000

#: ``DECIMAL(p,s)``: a description's precision and scale.
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$", re.IGNORECASE)


def _description_entry(column: ResultColumn) -> tuple[Any, ...]:
    """PEP 249's seven items: name, type_code, display_size, internal_size, precision, scale,
    null_ok. Only DECIMAL columns know their precision and scale; the rest is not known."""
    match = _DECIMAL.match(column.type_code)
    precision, scale = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    return (column.name, column.type_code, None, None, precision, scale, None)


class Cursor:
    """A DB-API 2.0 cursor (one thread's: see the module docstring).

    A query's rows are pulled from DuckDB in chunks as they are fetched (``fetchmany(n)`` reads
    ``n``; ``fetchone`` and iteration read 1,000 at a time), so iterating over a large result
    holds one chunk in Python, not the whole result. ``rowcount`` of a query is -1 until the
    last row has been fetched (PEP 249 allows it), then the number of rows; ``stats.rows``
    counts the rows fetched so far, i.e. all of them once the result is exhausted. Another
    statement on the same connection reads the rest of an open result into memory first.

    Parameters are ``?`` markers with a sequence of values, or ``:name`` markers with a mapping.
    ``fetch_df()`` / ``fetch_arrow_table()`` hand the remaining rows over as one pandas DataFrame
    or pyarrow Table converted inside DuckDB: no Python object per row.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = 1
        self._closed = False
        self._result: Result | None = None
        self._position = 0
        self._chunk: list[tuple[Any, ...]] = []  # rows read from the stream, not yet fetched
        self._chunk_position = 0
        self._delivered = 0
        self._stats = StatementStats()
        self.messages: list[tuple[type, str]] = []
        self._busy = threading.RLock()  # held by the thread inside a call on this cursor
        self._owner: int | None = None  # the thread that ran the current statement
        self._closed_rowcount = -1  # rowcount stays readable after close (SQLAlchemy reads it then)
        #: Informational messages of the last statement (as psycopg's ``notices``), not warnings.
        self.notices: list[str] = []

    # -- PEP 249 --------------------------------------------------------------------------------

    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        if self._result is None or self._result.columns is None:
            return None
        return tuple(_description_entry(c) for c in self._result.columns)

    @property
    def rowcount(self) -> int:
        if self._result is None:
            return self._closed_rowcount if self._closed else -1
        stream = self._result.stream
        if stream is not None:
            return -1 if stream.total is None else stream.total
        return self._result.rowcount

    @property
    def lastrowid(self) -> None:
        return None

    @property
    def stats(self) -> StatementStats:
        """Requests, cache hits, elapsed seconds and rows of the last statement (for a query,
        the rows fetched so far: all of them once the result is exhausted)."""
        if self._result is not None and self._result.stream is not None:
            return replace(self._stats, rows=self._delivered)
        return self._stats

    def execute(self, operation: str, parameters: Parameters = None) -> Cursor:
        with self._using():
            self._check_open()
            if not isinstance(operation, str):
                raise InterfaceError("execute() takes the SQL statement as a string.")
            sql, params = qmark_parameters(operation, parameters)
            self._discard()
            self._owner = threading.get_ident()
            result = self.connection._engine.execute(sql, params)
            self._result = result
            self._stats = result.stats
            self._note_write()
            return self

    def executemany(self, operation: str, seq_of_parameters: Sequence[Parameters]) -> Cursor:
        with self._using():
            return self._executemany(operation, seq_of_parameters)

    def _executemany(self, operation: str, seq_of_parameters: Sequence[Parameters]) -> Cursor:
        self._check_open()
        if not isinstance(operation, str):
            raise InterfaceError("executemany() takes the SQL statement as a string.")
        if isinstance(seq_of_parameters, (str, bytes, Mapping)) or not isinstance(
            seq_of_parameters, Iterable
        ):
            raise InterfaceError(
                "executemany() takes a sequence of parameter sets, e.g. [(1, 'a'), (2, 'b')], "
                f"not {'None' if seq_of_parameters is None else 'a ' + type(seq_of_parameters).__name__}."
            )
        seq_of_parameters = list(seq_of_parameters)
        if (
            isinstance(operation, str)
            and isinstance(seq_of_parameters, Sequence)
            and seq_of_parameters
        ):
            bound = [qmark_parameters(operation, p) for p in seq_of_parameters]
            # INSERT into a Mailjet table: all rows in one write (bulk jobs for many contacts).
            many = self.connection._engine.execute_many(
                bound[0][0], [params or () for _, params in bound]
            )
            if many is not None:
                self._discard()
                self._owner = threading.get_ident()
                self._result, self._position, self._stats = many, 0, many.stats
                self._note_write()
                return self
        total = 0
        known = True
        requests = hits = rows = 0
        elapsed = 0.0
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)
            if self.rowcount < 0:
                known = False
            total += max(self.rowcount, 0)
            requests += self._stats.requests
            hits += self._stats.cache_hits
            elapsed += self._stats.elapsed_s
            rows += self._stats.rows
        if self._result is not None:
            self._discard()
            self._result = Result(None, [], total if known else -1, self._stats)
        self._stats = StatementStats(requests, hits, elapsed, rows)
        return self

    def _note_write(self) -> None:
        """Rows a write could not change are reported in ``messages`` (the statement raised if
        none was written); what it did, for information, in ``notices``."""
        write = self.connection._engine.last_write
        self.messages = (
            [(errors.Warning, write.message)] if write is not None and write.message else []
        )
        # what a statement did, for information ("1090 rows written to x.csv"): not a warning
        notice = str(getattr(write, "notice", "") or "") if write is not None else ""
        self.notices = [notice] if notice else []

    def fetchone(self) -> tuple[Any, ...] | None:
        with self._using():
            return self._fetchone()

    def _fetchone(self) -> tuple[Any, ...] | None:
        stream = self._stream()
        if stream is None:
            rows = self._rows()
            if self._position >= len(rows):
                return None
            row = rows[self._position]
            self._position += 1
            return row
        if self._chunk_position >= len(self._chunk):
            self._chunk, self._chunk_position = stream.fetch(_CHUNK_ROWS), 0
            if not self._chunk:
                return None
        row = self._chunk[self._chunk_position]
        self._chunk_position += 1
        self._delivered += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise InterfaceError(
                f"fetchmany() takes a whole number of rows, not {type(size).__name__} {size!r}."
            )
        wanted = self.arraysize if size is None else size
        if isinstance(wanted, bool) or not isinstance(wanted, int):
            raise InterfaceError(
                f"arraysize must be a whole number of rows, not {type(wanted).__name__} {wanted!r}."
            )
        with self._using():
            # more rows than any result holds means all of them (DuckDB takes at most 64 bits)
            return self._fetchmany(min(wanted, _MAX_FETCH))

    def _fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        stream = self._stream()
        if stream is None:
            rows = self._rows()
            chunk = rows[self._position : self._position + max(size, 0)]
            self._position += len(chunk)
            return chunk
        chunk = self._take_buffered(max(size, 0))
        if len(chunk) < size:
            chunk += stream.fetch(size - len(chunk))
        self._delivered += len(chunk)
        return chunk

    def fetchall(self) -> list[tuple[Any, ...]]:
        with self._using():
            return self._fetchall()

    def _fetchall(self) -> list[tuple[Any, ...]]:
        stream = self._stream()
        if stream is None:
            rows = self._rows()
            chunk = rows[self._position :]
            self._position = len(rows)
            return chunk
        chunk = self._take_buffered(len(self._chunk)) + stream.fetch_all()
        self._delivered += len(chunk)
        return chunk

    def fetch_df(self) -> Any:
        """The remaining rows as a pandas DataFrame, converted by DuckDB (needs pandas)."""
        return self._fetch_frame(FrameKind.PANDAS)

    def fetch_arrow_table(self) -> Any:
        """The remaining rows as a pyarrow Table, converted by DuckDB (needs pyarrow)."""
        return self._fetch_frame(FrameKind.ARROW)

    def _fetch_frame(self, kind: FrameKind) -> Any:
        module = "pandas" if kind is FrameKind.PANDAS else "pyarrow"
        if importlib.util.find_spec(module) is None:
            raise NotSupportedError(
                f"{kind.value} needs the {module} package: pip install {module} "
                "(or pip install 'mjquery[pandas]')."
            )
        with self._using():
            stream = self._stream()
            assert self._result is not None and self._result.columns is not None
            names = [c.name for c in self._result.columns]
            # rows already read into Python (a partly fetched chunk, a materialised result)
            head = self._take_buffered(len(self._chunk)) if stream is not None else self._fetchall()
            tail = stream.fetch_frame(kind) if stream is not None else None
            if stream is not None and tail is None:
                head += stream.fetch_all()
            if stream is not None:
                self._delivered += len(head) + (_frame_rows(tail) if tail is not None else 0)
            return _frame(kind, names, head, tail)

    def close(self) -> None:
        """Close the cursor; closing it again (or after its connection) does nothing."""
        if self._closed:
            return
        with self._using():
            self._closed_rowcount = self.rowcount
            if not self.connection._closed:
                self._discard()
            self._closed = True
            self._result = None

    def setinputsizes(self, sizes: object) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def setoutputsize(self, size: object, column: object = None) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._closed:
            self.close()

    # -- helpers --------------------------------------------------------------------------------

    def _discard(self) -> None:
        """Let go of the current result (its stream's remaining rows and fetched tables)."""
        if (
            self._result is not None
            and self._result.stream is not None
            and not self.connection._closed
        ):
            self._result.stream.close()
        self._result = None
        self._position = 0
        self._chunk, self._chunk_position, self._delivered = [], 0, 0

    @contextmanager
    def _using(self) -> Iterator[None]:
        """One thread at a time on a cursor: a second one gets an error, never mixed-up rows."""
        if not self._busy.acquire(blocking=False):
            raise ProgrammingError(
                "This cursor is in use by another thread: give each thread its own cursor "
                "(connection.cursor())."
            )
        try:
            yield
        finally:
            self._busy.release()

    def _stream(self) -> RowStream | None:
        """The current result's row stream, or None when its rows are a list."""
        self._rows()  # the checks: open, executed, returns rows
        assert self._result is not None
        return self._result.stream

    def _take_buffered(self, size: int) -> list[tuple[Any, ...]]:
        rows = self._chunk[self._chunk_position : self._chunk_position + size]
        self._chunk_position += len(rows)
        if self._chunk_position >= len(self._chunk):
            self._chunk, self._chunk_position = [], 0
        return rows

    def _rows(self) -> list[tuple[Any, ...]]:
        self._check_open()
        if self._result is None:
            raise ProgrammingError(
                "No statement has been executed on this cursor: call execute() first."
            )
        if self._result.columns is None:
            raise ProgrammingError("The last statement returned no rows to fetch.")
        if self._owner != threading.get_ident():
            raise ProgrammingError(
                "The rows of this cursor belong to the statement another thread ran on it: "
                "give each thread its own cursor (connection.cursor())."
            )
        return self._result.rows

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("The cursor is closed.")
        if self.connection._closed:
            raise InterfaceError("The connection is closed.")


#: What ``execute`` takes as parameters: a sequence for ``?`` markers, a mapping for ``:name``.
Parameters = Sequence[object] | Mapping[str, object] | None


def _frame_rows(frame: Any) -> int:
    return int(frame.num_rows) if hasattr(frame, "num_rows") else len(frame)


def _frame(kind: FrameKind, names: list[str], head: list[tuple[Any, ...]], tail: Any) -> Any:
    """Rows held in Python (``head``) followed by DuckDB's frame of the rest (``tail``)."""
    if kind is FrameKind.PANDAS:
        import pandas

        if tail is not None and not head:
            return tail
        first = pandas.DataFrame.from_records(head, columns=names)
        if tail is None:
            return first
        return pandas.concat([first, tail], ignore_index=True)
    import pyarrow

    if tail is not None and not head:
        return tail
    columns = list(zip(*head, strict=True)) if head else [() for _ in names]
    if tail is None:
        return pyarrow.Table.from_arrays([pyarrow.array(c) for c in columns], names=names)
    first = pyarrow.Table.from_arrays(
        [pyarrow.array(c, type=f.type) for c, f in zip(columns, tail.schema, strict=True)],
        names=names,
    )
    return pyarrow.concat_tables([first, tail])
