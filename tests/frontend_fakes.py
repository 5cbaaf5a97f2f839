"""A small stand-in for an mjquery connection, for front-end tests that are not about the engine.

It runs SQL on an in-memory DuckDB database holding two tables shaped like the demo account's
``List`` and ``Contact``, and reports made-up statement statistics, so the command and the shell
can be tested without the API stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from mjquery.planner.model import StatementClass
from mjquery.planner.router import classify


@dataclass(frozen=True)
class FakeStats:
    requests: int
    cache_hits: int
    elapsed_s: float
    rows: int


class FakeCursor:
    def __init__(self, connection: FakeConnection) -> None:
        self._connection = connection
        self._cursor = connection.db.cursor()
        self.description: Any = None
        self.rowcount = -1
        self.stats: FakeStats | None = None
        self.messages: list[tuple[type, str]] = []

    def execute(self, sql: str, parameters: Any = None) -> FakeCursor:
        self._connection.executed.append((sql, parameters))
        try:
            if parameters is None:
                self._cursor.execute(sql)
            else:
                self._cursor.execute(sql, parameters)
        except duckdb.Error as exc:
            from mjquery.errors import ProgrammingError

            raise ProgrammingError(str(exc).splitlines()[0]) from exc
        if sql.lstrip().upper().startswith(("UPDATE", "DELETE", "INSERT")):
            # PEP 249: a write has no result set; rowcount is the number of rows changed.
            self.rowcount = self._cursor.fetchone()[0]
            self.description = None
            from mjquery.errors import Warning as WriteWarning

            # like the real cursor: what the API refused is left in Cursor.messages
            self.messages = [(WriteWarning, text) for text in self._connection.write_warnings]
        else:
            self.description = self._cursor.description
            self.rowcount = -1
        self.stats = FakeStats(requests=2, cache_hits=1, elapsed_s=0.01, rows=0)
        return self

    def executemany(self, sql: str, seq: list[Any]) -> None:
        for params in seq:
            self.execute(sql, params)
        self.rowcount = len(seq)

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        return self._cursor.fetchmany(size)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()


class FakeConnection:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.executed: list[tuple[str, Any]] = []
        self.write_warnings: list[str] = []  # messages every write leaves on the cursor
        self.progress = None
        self.cache_enabled = True
        self.cleared = 0
        self.closed = False
        self.db = duckdb.connect()
        self.db.execute(
            'CREATE TABLE "List" ("ID" BIGINT, "Name" VARCHAR, "SubscriberCount" BIGINT)'
        )
        self.db.execute(
            "INSERT INTO \"List\" VALUES (1, 'Newsletter', 1200), (2, 'VIP', 7), (3, 'Trial', 310)"
        )
        self.db.execute('CREATE TABLE "Contact" ("ID" BIGINT, "Email" VARCHAR, "Name" VARCHAR)')
        self.db.execute(
            "INSERT INTO \"Contact\" VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@acme.test', 'Bob')"
        )

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def clear_cache(self) -> None:
        self.cleared += 1

    def explain(self, sql: str) -> str:
        return f"plan of: {sql}"

    def classify(self, sql: str) -> StatementClass:
        return classify(sql)  # the router's answer, as the real connection gives it

    def close(self) -> None:
        self.closed = True
        self.db.close()
