"""Targets for the replication and sync tests: DuckDB and SQLite files, the real PostgreSQL and
MariaDB on 127.0.0.1 (each test gets its own schema/database, dropped afterwards).

PostgreSQL and MariaDB must be running: CI starts them (``.ci/run``) and these tests fail when
they cannot connect. A developer without them sets ``MJQUERY_TEST_SKIP_SERVERS=1`` to skip
those cases explicitly; CI never sets it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306"
SKIP_SERVERS = os.environ.get("MJQUERY_TEST_SKIP_SERVERS") == "1"
KINDS = ("duckdb", "sqlite", "postgres", "mysql")


@dataclass(frozen=True)
class DbTarget:
    """One target database of a test: its URL, dataset, and a way to read tables back."""

    kind: str
    url: str
    dataset: str | None  # None: the target's default

    @property
    def schema(self) -> str:
        if self.kind == "sqlite":
            return "main"
        if self.kind == "mysql":
            return self.url.rsplit("/", 1)[1]
        return self.dataset or "mailjet"

    def engine(self) -> Any:
        import sqlalchemy

        if self.kind == "postgres":
            return sqlalchemy.create_engine(
                PG_URL.replace("postgresql://", "postgresql+psycopg://")
            )
        if self.kind == "mysql":
            # no database in the URL: a test's database may not exist (yet, or any more)
            return sqlalchemy.create_engine(MYSQL_URL.replace("mysql://", "mysql+pymysql://"))
        return None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "duckdb":
            import duckdb

            db = duckdb.connect(self.url.split("///", 1)[1], read_only=True)
            try:
                return [tuple(r) for r in db.execute(sql).fetchall()]
            finally:
                db.close()
        if self.kind == "sqlite":
            import sqlite3

            db = sqlite3.connect(self.url.split("///", 1)[1])
            try:
                return [tuple(r) for r in db.execute(sql).fetchall()]
            finally:
                db.close()
        import sqlalchemy

        engine = self.engine()
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sqlalchemy.text(sql)).fetchall()]
        finally:
            engine.dispose()

    def execute(self, sql: str) -> None:
        if self.kind == "duckdb":
            import duckdb

            db = duckdb.connect(self.url.split("///", 1)[1])
            try:
                db.execute(sql)
            finally:
                db.close()
            return
        if self.kind == "sqlite":
            import sqlite3

            db = sqlite3.connect(self.url.split("///", 1)[1])
            try:
                db.execute(sql)
                db.commit()
            finally:
                db.close()
            return
        import sqlalchemy

        engine = self.engine()
        try:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text(sql))
        finally:
            engine.dispose()

    def table(self, name: str) -> str:
        return name if self.kind == "sqlite" else f"{self.schema}.{name}"

    def rows(self, table: str, columns: list[str], key: str = "id") -> list[tuple[Any, ...]]:
        cols = ", ".join(columns)
        return [
            tuple(normalise(v) for v in row)
            for row in self.query(f"SELECT {cols} FROM {self.table(table)} ORDER BY {key}")
        ]


def normalise(value: Any) -> Any:
    """One spelling per value across databases: UTC-naive datetimes, ints for booleans."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        try:
            return normalise(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int):
        return float(value)
    return value


def _server_ready(kind: str) -> None:
    """Fail (not skip) when a database server is missing, unless explicitly opted out."""
    if SKIP_SERVERS:
        pytest.skip("MJQUERY_TEST_SKIP_SERVERS=1: PostgreSQL/MariaDB cases skipped on request")
    import sqlalchemy

    url = (
        PG_URL.replace("postgresql://", "postgresql+psycopg://")
        if kind == "postgres"
        else MYSQL_URL.replace("mysql://", "mysql+pymysql://")
    )
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except Exception as exc:
        pytest.fail(
            f"{kind} on 127.0.0.1 is not reachable ({exc.__class__.__name__}); start it "
            "(.ci/run does) or set MJQUERY_TEST_SKIP_SERVERS=1 to skip these cases"
        )
    finally:
        engine.dispose()


@pytest.fixture(params=KINDS, name="target")
def target_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbTarget]:
    kind = request.param
    name = f"replicate_t_{uuid.uuid4().hex[:10]}"
    if kind == "duckdb":
        yield DbTarget(kind, f"duckdb:///{tmp_path}/target.duckdb", None)
        return
    if kind == "sqlite":
        yield DbTarget(kind, f"sqlite:///{tmp_path}/target.db", None)
        return
    _server_ready(kind)
    if kind == "postgres":
        found = DbTarget(kind, PG_URL, name)
        yield found
        for schema in (name, f"{name}_staging"):
            found.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        return
    found = DbTarget(kind, f"{MYSQL_URL}/{name}", None)
    yield found
    for database in (name, f"{name}_staging"):
        found.execute(f"DROP DATABASE IF EXISTS {database}")
