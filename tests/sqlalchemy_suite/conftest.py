"""Loads SQLAlchemy's pytest plugin for this directory's run only (see setup.cfg)."""

import atexit
from pathlib import Path

import pytest
from sqlalchemy.dialects import registry

# The suite's local tables live in this DuckDB file (setup.cfg's URL): a fresh one per run.
_DATABASE = Path(__file__).resolve().parent / "suite.duckdb"


def _remove_database() -> None:
    for path in (_DATABASE, _DATABASE.with_name(_DATABASE.name + ".wal")):
        path.unlink(missing_ok=True)


_remove_database()
atexit.register(_remove_database)

# The suite names the dialect with its driver ("mjquery+mjquery"); the package's entry point
# registers the plain "mjquery" name.
registry.register("mjquery.mjquery", "mjquery.sqlalchemy", "MjqueryDialect")

pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

import sqlalchemy  # noqa: E402 - by name: the plugin's star import brings the inspect module
from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402, F403 - the prescribed wiring
from sqlalchemy.testing.provision import (  # noqa: E402
    delete_from_all_tables,
    temp_table_keyword_args,
)


@temp_table_keyword_args.for_db("mjquery")
def _temp_table_keyword_args(cfg, eng):  # type: ignore[no-untyped-def]
    """How the suite creates a temporary table: DuckDB's CREATE TEMPORARY TABLE."""
    return {"prefixes": ["TEMPORARY"]}


@delete_from_all_tables.for_db("mjquery")
def _delete_from_all_tables(connection, cfg, metadata):  # type: ignore[no-untyped-def]
    """Empty the suite's tables between tests (the hook SQLAlchemy gives dialects for this).

    DuckDB checks a foreign key to the same table against the rows a statement has not yet
    deleted, so ``DELETE FROM`` a table whose rows refer to each other (CTETest's) is refused;
    such a table is emptied from its leaves up: rows no other row refers to, until none is left.
    """
    existing = set(sqlalchemy.inspect(connection).get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        for key in table.foreign_keys:
            if key.column.table is table:
                referred = sqlalchemy.select(key.parent).where(key.parent.is_not(None))
                while connection.execute(
                    table.delete().where(key.column.not_in(referred))
                ).rowcount:
                    pass
    delete_from_all_tables.call_original(connection, cfg, metadata)
