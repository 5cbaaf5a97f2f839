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

from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402, F403 - the prescribed wiring
from sqlalchemy.testing.provision import temp_table_keyword_args  # noqa: E402


@temp_table_keyword_args.for_db("mjquery")
def _temp_table_keyword_args(cfg, eng):  # type: ignore[no-untyped-def]
    """How the suite creates a temporary table: DuckDB's CREATE TEMPORARY TABLE."""
    return {"prefixes": ["TEMPORARY"]}
