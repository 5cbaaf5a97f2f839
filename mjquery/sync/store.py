"""The database side of a sync: the user's table and the snapshot table, over the driver's DB-API.

One :class:`Store` per run, on the URL forms of ``replicate`` (:func:`mjquery.replicate.target.
parse_target`): DuckDB and SQLite files, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).
Statements are few and simple (create, select all, insert, update and delete by key), so they
are built here with each database's identifier quoting and the values always passed as
parameters; nothing a user typed is pasted into SQL except identifiers, which are quoted.

Changes to the table and to the snapshot are written in one transaction: a run killed while
writing leaves both as they were before it, so the snapshot never claims a change the table
does not hold.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from mjquery.errors import InterfaceError, OperationalError, ProgrammingError
from mjquery.replicate.target import Target, TargetKind, _local_path
from mjquery.schema.model import SqlType

#: Each database's column type for a schema type, when the sync creates the table.
_TYPES: dict[TargetKind, dict[SqlType, str]] = {
    TargetKind.POSTGRES: {
        SqlType.BIGINT: "BIGINT",
        SqlType.INTEGER: "INTEGER",
        SqlType.DOUBLE: "DOUBLE PRECISION",
        SqlType.BOOLEAN: "BOOLEAN",
        SqlType.VARCHAR: "TEXT",
        SqlType.TIMESTAMP: "TIMESTAMP",
        SqlType.JSON: "TEXT",
    },
    TargetKind.MYSQL: {
        SqlType.BIGINT: "BIGINT",
        SqlType.INTEGER: "INTEGER",
        SqlType.DOUBLE: "DOUBLE",
        SqlType.BOOLEAN: "BOOLEAN",
        SqlType.VARCHAR: "TEXT",
        SqlType.TIMESTAMP: "DATETIME",
        SqlType.JSON: "LONGTEXT",
    },
    TargetKind.SQLITE: {
        SqlType.BIGINT: "INTEGER",
        SqlType.INTEGER: "INTEGER",
        SqlType.DOUBLE: "REAL",
        SqlType.BOOLEAN: "INTEGER",
        SqlType.VARCHAR: "TEXT",
        SqlType.TIMESTAMP: "TEXT",
        SqlType.JSON: "TEXT",
    },
    TargetKind.DUCKDB: {
        SqlType.BIGINT: "BIGINT",
        SqlType.INTEGER: "INTEGER",
        SqlType.DOUBLE: "DOUBLE",
        SqlType.BOOLEAN: "BOOLEAN",
        SqlType.VARCHAR: "VARCHAR",
        SqlType.TIMESTAMP: "TIMESTAMP",
        SqlType.JSON: "VARCHAR",
    },
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def snake_case(name: str) -> str:
    """``IsExcludedFromCampaigns`` -> ``is_excluded_from_campaigns``; ``ID`` -> ``id``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return spaced.lower()


@dataclass(frozen=True)
class TableName:
    """``--table``: a table, in a schema of its own where the database has schemas."""

    schema: str | None
    name: str

    @staticmethod
    def parse(text: str) -> TableName:
        parts = text.strip().split(".")
        if len(parts) > 2 or not all(_IDENTIFIER.match(p) for p in parts):
            raise ProgrammingError(
                f"--table {text!r}: use a table name of letters, digits and underscores, "
                "optionally after its schema (crm.contacts)"
            )
        return TableName(parts[0], parts[1]) if len(parts) == 2 else TableName(None, parts[0])

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class SnapshotEntry:
    """One synchronised pair as last synchronised: the Mailjet ID, the database key, and the
    canonical values both sides held (a column is absent when they did not agree on it)."""

    mailjet_id: int
    key: str
    values: Mapping[str, Any]


class Store:
    """A connection to the target database, for one run."""

    def __init__(self, target: Target, table: TableName) -> None:
        if target.kind not in _TYPES:
            raise InterfaceError(
                f"--with {target.display}: sync works with duckdb:///, sqlite:///, "
                "postgresql:// and mysql:// URLs"
            )
        self.target = target
        self.kind = target.kind
        self.table = table
        self.schema = table.schema or self._default_schema()
        self._db = self._connect()
        self._open_schema()

    # -- connection ------------------------------------------------------------------------------

    def _default_schema(self) -> str | None:
        if self.kind is TargetKind.POSTGRES:
            return "public"
        if self.kind is TargetKind.MYSQL:
            database = urlsplit(self.target.url).path.strip("/")
            if not database:
                raise InterfaceError(
                    f"--with {self.target.display} names no database; use mysql://user@host/db"
                )
            return database
        return None  # DuckDB's and SQLite's main schema

    def _connect(self) -> Any:
        parts = urlsplit(self.target.url)
        try:
            if self.kind is TargetKind.DUCKDB:
                import duckdb

                return duckdb.connect(_local_path(parts))
            if self.kind is TargetKind.SQLITE:
                import sqlite3

                return sqlite3.connect(_local_path(parts), isolation_level=None)
            if self.kind is TargetKind.POSTGRES:
                import psycopg

                return psycopg.connect(
                    host=parts.hostname,
                    port=parts.port or 5432,
                    user=unquote(parts.username or "") or None,
                    password=self.target.password,
                    dbname=parts.path.strip("/") or None,
                    autocommit=True,
                )
            # imported by name: PyMySQL ships no type information
            pymysql: Any = importlib.import_module("pymysql")
            return pymysql.connect(
                host=parts.hostname or "localhost",
                port=parts.port or 3306,
                user=unquote(parts.username or "") or "root",
                password=self.target.password or "",
                autocommit=True,
                charset="utf8mb4",
            )
        except Exception as exc:
            raise OperationalError(
                f"cannot connect to {self.target.display}: {self._scrub(exc)}"
            ) from None

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = self.target.password
        return text.replace(password, "***") if password else text

    def _open_schema(self) -> None:
        if self.kind is TargetKind.MYSQL:
            self.execute(f"CREATE DATABASE IF NOT EXISTS {self.quote(self.schema or '')}")
            self._db.select_db(self.schema)
        elif self.schema and self.kind in (TargetKind.POSTGRES, TargetKind.DUCKDB):
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote(self.schema)}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()

    # -- statements ------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        if self.kind is TargetKind.MYSQL:
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, name: str) -> str:
        if self.schema and self.kind is not TargetKind.MYSQL:
            return f"{self.quote(self.schema)}.{self.quote(name)}"
        return self.quote(name)

    @property
    def marker(self) -> str:
        return "%s" if self.kind in (TargetKind.POSTGRES, TargetKind.MYSQL) else "?"

    def _cursor(self) -> Any:
        # DuckDB's cursor() opens another connection, outside this one's transaction
        return self._db if self.kind is TargetKind.DUCKDB else self._db.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cursor = self._cursor()
            try:
                cursor.execute(sql, tuple(params))
                rows = cursor.fetchall() if cursor.description else []
            finally:
                if cursor is not self._db:
                    with contextlib.suppress(Exception):
                        cursor.close()
        except (ProgrammingError, InterfaceError):
            raise
        except Exception as exc:
            raise OperationalError(f"{self.target.display}: {self._scrub(exc)}") from None
        return [tuple(r) for r in rows]

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            cursor = self._cursor()
            try:
                cursor.executemany(sql, [tuple(r) for r in rows])
            finally:
                if cursor is not self._db:
                    with contextlib.suppress(Exception):
                        cursor.close()
        except Exception as exc:
            raise OperationalError(f"{self.target.display}: {self._scrub(exc)}") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: the table's changes and the snapshot's, together."""
        self.execute("BEGIN" if self.kind is not TargetKind.MYSQL else "START TRANSACTION")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    # -- the user's table ------------------------------------------------------------------------

    def columns(self, name: str) -> list[str] | None:
        """The columns of table ``name`` in order, or None when it does not exist."""
        if self.kind is TargetKind.SQLITE:
            rows = self.execute(f"PRAGMA table_info({self.quote(name)})")
            return [str(r[1]) for r in rows] or None
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = {self.marker} AND table_name = {self.marker} "
            "ORDER BY ordinal_position",
            (self.schema or "main", name),
        )
        return [str(r[0]) for r in rows] or None

    def create_table(self, name: str, columns: Sequence[tuple[str, SqlType]], key: str) -> None:
        types = _TYPES[self.kind]
        parts = []
        for column, sql_type in columns:
            spelled = types[sql_type]
            if self.kind is TargetKind.MYSQL and column == key and sql_type is SqlType.VARCHAR:
                spelled = "VARCHAR(255)"  # MySQL indexes text of a bounded length only
            parts.append(f"{self.quote(column)} {spelled}")
        parts.append(f"PRIMARY KEY ({self.quote(key)})")
        self.execute(f"CREATE TABLE {self.qualified(name)} ({', '.join(parts)})")

    def add_columns(self, name: str, columns: Sequence[tuple[str, SqlType]]) -> None:
        """Add nullable ``columns`` to table ``name`` (existing rows hold NULL in them)."""
        types = _TYPES[self.kind]
        for column, sql_type in columns:
            self.execute(
                f"ALTER TABLE {self.qualified(name)} ADD COLUMN {self.quote(column)} "
                f"{types[sql_type]}"
            )

    def read(self, name: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        listed = ", ".join(self.quote(c) for c in columns)
        return self.execute(f"SELECT {listed} FROM {self.qualified(name)}")

    def insert(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        listed = ", ".join(self.quote(c) for c in columns)
        markers = ", ".join([self.marker] * len(columns))
        self.execute_many(f"INSERT INTO {self.qualified(name)} ({listed}) VALUES ({markers})", rows)

    def update(
        self, name: str, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """``rows``: the new values of ``columns``, then the key's value."""
        sets = ", ".join(f"{self.quote(c)} = {self.marker}" for c in columns)
        sql = f"UPDATE {self.qualified(name)} SET {sets} WHERE {self.quote(key)} = {self.marker}"
        self.execute_many(sql, rows)

    def delete(self, name: str, key: str, keys: Sequence[Any]) -> None:
        sql = f"DELETE FROM {self.qualified(name)} WHERE {self.quote(key)} = {self.marker}"
        self.execute_many(sql, [(k,) for k in keys])

    # -- the snapshot ----------------------------------------------------------------------------

    def ensure_snapshot(self, name: str) -> bool:
        """Create the snapshot table if missing; True when it existed (not a first run)."""
        if self.columns(name) is not None:
            return True
        text = "LONGTEXT" if self.kind is TargetKind.MYSQL else "TEXT"
        key = "VARCHAR(512)" if self.kind is TargetKind.MYSQL else "TEXT"
        self.execute(
            f"CREATE TABLE {self.qualified(name)} (mailjet_id BIGINT PRIMARY KEY, "
            f"db_key {key} NOT NULL, snapshot {text} NOT NULL, synced_at {key} NOT NULL)"
        )
        return False

    def read_snapshot(self, name: str) -> dict[int, SnapshotEntry]:
        rows = self.execute(f"SELECT mailjet_id, db_key, snapshot FROM {self.qualified(name)}")
        return {int(r[0]): SnapshotEntry(int(r[0]), str(r[1]), json.loads(r[2])) for r in rows}

    def write_snapshot(
        self,
        name: str,
        entries: Sequence[SnapshotEntry],
        synced_at: str,
        known: set[int] | frozenset[int] = frozenset(),
    ) -> None:
        """Replace the entries of these Mailjet IDs (``known``: those the table holds now):
        delete, then insert, which every database does alike."""
        if not entries:
            return
        self.forget(name, [e.mailjet_id for e in entries if e.mailjet_id in known])
        self.insert(
            name,
            ("mailjet_id", "db_key", "snapshot", "synced_at"),
            [
                (e.mailjet_id, e.key, json.dumps(dict(e.values), sort_keys=True), synced_at)
                for e in entries
            ],
        )

    def forget(self, name: str, ids: Sequence[int]) -> None:
        self.delete(name, "mailjet_id", list(ids))
