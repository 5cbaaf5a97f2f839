"""Helpers of the sync tests: a database table next to a small sandbox account, and both sides
read back the way a user would check them."""

from __future__ import annotations

from typing import Any

from tests.replicate_support import DbTarget


def table_name(target: DbTarget, name: str = "crm") -> str:
    """``--table`` for the target: in the test's own schema on PostgreSQL, the test's own
    database on MariaDB (its URL), the file's main schema on DuckDB and SQLite."""
    return f"{target.dataset}.{name}" if target.kind == "postgres" else name


def qualified(target: DbTarget, name: str = "crm") -> str:
    if target.kind == "postgres":
        return f"{target.dataset}.{name}"
    if target.kind == "mysql":
        return f"{target.schema}.{name}"
    return name


def prepare(
    target: DbTarget, ddl_columns: str, rows: list[tuple[Any, ...]], name: str = "crm"
) -> None:
    """Create the user's table (in its own schema/database) and fill it."""
    if target.kind == "postgres":
        target.execute(f"CREATE SCHEMA IF NOT EXISTS {target.dataset}")
    if target.kind == "mysql":
        target.execute(f"CREATE DATABASE IF NOT EXISTS {target.schema}")
    table = qualified(target, name)
    target.execute(f"CREATE TABLE {table} ({ddl_columns})")
    for row in rows:
        values = ", ".join(_literal(v) for v in row)
        target.execute(f"INSERT INTO {table} VALUES ({values})")


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _same(value: Any) -> Any:
    """Emails without case; an empty text as NULL (Mailjet answers "" for an unset name)."""
    if value == "":
        return None
    return value.lower() if isinstance(value, str) and "@" in value else value


def database_rows(target: DbTarget, columns: str, name: str = "crm") -> list[tuple[Any, ...]]:
    rows = target.query(f"SELECT {columns} FROM {qualified(target, name)}")
    return sorted((tuple(_same(v) for v in r) for r in rows), key=repr)


def mailjet_rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    conn.clear_cache()
    cur = conn.cursor()
    cur.execute(sql)
    return sorted((tuple(_same(v) for v in r) for r in cur.fetchall()), key=repr)
