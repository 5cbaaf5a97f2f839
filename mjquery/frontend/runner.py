"""Running statements for the front ends: bind parameters, guard writes, stream rows, report.

Both the ``mjquery`` command and the shell run SQL through a :class:`StatementRunner`; it is
where the write guard (UPDATE/DELETE without WHERE, confirmation from the dry-run) and the
status line live, so the two front ends behave the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from mjquery.errors import InterfaceError, ProgrammingError
from mjquery.frontend.cancel import Interruptible
from mjquery.frontend.sqltext import BoundStatement, bind_parameters
from mjquery.planner.model import StatementClass, StatementKind

FETCH_BATCH = 1000
T = TypeVar("T")
#: Statements that change the account: Ctrl-C does not stop them halfway (frontend.cancel).
WRITE_KINDS = frozenset({StatementKind.UPDATE, StatementKind.DELETE, StatementKind.INSERT})


def classify(sql: str) -> StatementClass:
    """What ``sql`` does, from the planner's statement router, without a connection."""
    # Imported on first use: `mjquery tables` or `--help` never load sqlglot.
    from mjquery.planner.router import classify as route_class

    return route_class(sql)


class Cursor(Protocol):
    description: Sequence[Sequence[Any]] | None
    rowcount: int

    def execute(self, operation: str, parameters: Any = ...) -> Any: ...
    def fetchmany(self, size: int = ...) -> Sequence[Sequence[Any]]: ...
    def close(self) -> None: ...


class Connection(Protocol):
    def cursor(self) -> Cursor: ...
    def close(self) -> None: ...
    def classify(self, sql: str) -> StatementClass: ...


#: Exit status when a write or an import applied some rows and the API refused others.
EXIT_PARTLY_REFUSED = 3


class WriteCancelled(InterfaceError):
    """The user answered no to a write confirmation."""


@dataclass(frozen=True)
class Stats:
    """What a statement cost, as the status line shows it."""

    rows: int
    elapsed_s: float
    requests: int | None = None
    cache_hits: int | None = None


@dataclass(frozen=True)
class WriteGuard:
    """How UPDATE and DELETE are guarded.

    ``safe_updates``: refuse UPDATE/DELETE without WHERE. ``confirm``: called with the number of
    rows the dry-run says would change (``None`` when the connection cannot dry-run); a false
    answer cancels the statement. The command line has no ``confirm``: it cannot ask.
    """

    safe_updates: bool = True
    confirm: Callable[[int | None], bool] | None = None


def _direct(work: Callable[[], T], *, write: bool = False, abandon: Any = None) -> T:
    return work()


@dataclass
class ExecutedStatement:
    """A statement that ran: its columns (None when it returns no rows) and its rows, streamed."""

    sql: str
    columns: tuple[str, ...] | None
    cursor: Cursor
    started: float
    kind: StatementKind
    call: Callable[..., Any] = _direct  # runs a call on the connection (Interruptible.call)
    _rows_seen: int = field(default=0, init=False)
    # when the last row was read: the time a user then spends in the pager is not the statement's
    _finished: float | None = field(default=None, init=False)

    def rows(self) -> Iterator[Sequence[Any]]:
        """The result rows, fetched in batches so a large result is never held whole."""
        if self.columns is None:
            return
        while True:
            batch = self.call(lambda: self.cursor.fetchmany(FETCH_BATCH))
            if not batch:
                self._finished = time.perf_counter()
                return
            for row in batch:
                self._rows_seen += 1
                yield row

    def warnings(self) -> list[str]:
        """What the statement left in ``Cursor.messages`` (PEP 249): rows a write could not apply."""
        return [str(value) for _kind, value in getattr(self.cursor, "messages", None) or ()]

    def notices(self) -> list[str]:
        """Information the statement left in ``Cursor.notices`` (``1090 rows written to x.csv``)."""
        return [str(text) for text in getattr(self.cursor, "notices", None) or ()]

    def stats(self) -> Stats:
        """Call after :meth:`rows` was consumed: the statement's cost."""
        statement_stats = getattr(self.cursor, "stats", None)
        finished = time.perf_counter() if self._finished is None else self._finished
        elapsed = finished - self.started
        requests = getattr(statement_stats, "requests", None)
        cache_hits = getattr(statement_stats, "cache_hits", None)
        rows = self._rows_seen if self.columns is not None else max(self.cursor.rowcount, 0)
        return Stats(rows=rows, elapsed_s=elapsed, requests=requests, cache_hits=cache_hits)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def status_line(
    stats: Stats, *, kind: StatementKind = StatementKind.QUERY, timing: bool = True
) -> str:
    """``3 rows in 0.012 s · 2 API requests · 1 cache hit``."""
    if kind in (StatementKind.UPDATE, StatementKind.DELETE, StatementKind.INSERT):
        verb = {
            StatementKind.UPDATE: "updated",
            StatementKind.DELETE: "deleted",
            StatementKind.INSERT: "inserted",
        }[kind]
        parts = [f"{_plural(stats.rows, 'row')} {verb}"]
    else:
        parts = [_plural(stats.rows, "row")]
    if timing:
        parts[0] += f" in {stats.elapsed_s:.3f} s"
    if stats.requests is not None:
        parts.append(_plural(stats.requests, "API request"))
    if stats.cache_hits is not None:
        parts.append(_plural(stats.cache_hits, "cache hit"))
    return " · ".join(parts)


def paramstyle() -> str:
    """The DB-API's paramstyle (``mjquery.paramstyle``); ``named`` until the module says otherwise."""
    import mjquery

    return str(getattr(mjquery, "paramstyle", "named"))


class StatementRunner:
    """Runs statements on one connection for a front end."""

    def __init__(
        self,
        connection: Connection,
        *,
        guard: WriteGuard | None = None,
        interruptible: Interruptible | None = None,
    ) -> None:
        self.connection = connection
        self.guard = guard or WriteGuard()
        self.call: Callable[..., Any] = _direct if interruptible is None else interruptible.call

    def bind(self, sql: str, params: Mapping[str, Any]) -> BoundStatement:
        return bind_parameters(sql, params, paramstyle())

    def check_write(self, sql: str, bound: BoundStatement) -> None:
        """Refuse or confirm an UPDATE/DELETE, before anything is sent."""
        statement = self.connection.classify(sql)
        kind = statement.kind
        if kind not in (StatementKind.UPDATE, StatementKind.DELETE):
            return
        if self.guard.safe_updates and not statement.has_where:
            raise ProgrammingError(
                f"{kind.value.upper()} without WHERE would change every row of the table; add a "
                f"WHERE clause, or allow it with --no-safe-updates (shell: .safe-updates off)"
            )
        if self.guard.confirm is not None:
            count = self.dry_run_count(bound)
            if not self.guard.confirm(count):
                raise WriteCancelled("cancelled: nothing was changed")

    def dry_run_count(self, bound: BoundStatement) -> int | None:
        """Rows the statement would change, from the connection's dry-run; None if it has none."""
        dry_run = getattr(self.connection, "dry_run", None)
        if dry_run is None:
            return None
        result = self.call(
            lambda: (
                dry_run(bound.sql, bound.parameters)
                if bound.parameters is not None
                else dry_run(bound.sql)
            )
        )
        return int(getattr(result, "count", result))

    def plan(self, sql: str, params: Mapping[str, Any] | None = None) -> str | None:
        """What a query will do (the connection's EXPLAIN text), without running it; None for
        other statements or a connection that cannot explain."""
        explain = getattr(self.connection, "explain", None)
        if explain is None or self.connection.classify(sql).kind is not StatementKind.QUERY:
            return None
        if sql.lstrip().upper().startswith("EXPLAIN"):
            return None  # the statement shows its plan itself
        bound = self.bind(sql, params or {})
        return str(
            self.call(
                lambda: (
                    explain(bound.sql)
                    if bound.parameters is None
                    else explain(bound.sql, bound.parameters)
                )
            )
        )

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> ExecutedStatement:
        """Run one statement; its rows are read from the returned object."""
        bound = self.bind(sql, params or {})
        self.check_write(sql, bound)
        text = bound.sql
        kind = self.connection.classify(sql).kind
        cursor = self.connection.cursor()
        started = time.perf_counter()
        parameters = bound.parameters
        self.call(
            lambda: (
                cursor.execute(text) if parameters is None else cursor.execute(text, parameters)
            ),
            write=kind in WRITE_KINDS,
            abandon=lambda _: cursor.close(),
        )
        columns = None
        if cursor.description is not None:
            columns = tuple(str(d[0]) for d in cursor.description)
        return ExecutedStatement(
            sql=text, columns=columns, cursor=cursor, started=started, kind=kind, call=self.call
        )
