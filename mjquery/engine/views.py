"""Where views over Mailjet tables are kept: two tables of the local DuckDB database.

``mjq_views`` holds the views of the database (they last as long as its file, and every
connection opening that file sees them); ``mjq_temp_views``, a temporary table, those made with
``CREATE TEMP VIEW`` (they end with the connection). Each row is a view's name and its query;
the planner (:mod:`mjquery.planner.views`) reads the query wherever the view is named. The
tables are made by the first such view, and their ``mjq`` names keep them out of every listing
of the user's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mjquery.errors import ProgrammingError
from mjquery.planner.model import CreateView, DropView

REGISTRY = "mjq_views"
TEMP_REGISTRY = "mjq_temp_views"

#: Runs one SQL statement with parameters and returns its rows (a DuckDB connection's
#: ``execute(...).fetchall()``, or a DB-API cursor's).
Runner = Callable[[str, list[Any]], list[tuple[Any, ...]]]


def read_views(run: Runner) -> dict[str, str]:
    """Every view over Mailjet tables: name -> query (a temporary view hides a kept one)."""
    present = {
        row[0]
        for row in run(
            "SELECT table_name FROM duckdb_tables() WHERE table_name IN (?, ?)",
            [REGISTRY, TEMP_REGISTRY],
        )
    }
    views: dict[str, str] = {}
    for table in (REGISTRY, TEMP_REGISTRY):
        if table in present:
            views.update(
                (name, query) for name, query in run(f"SELECT name, query FROM {table}", [])
            )
    return views


def create_view(run: Runner, view: CreateView) -> None:
    """Keep ``view``; an existing one of that name is an error unless OR REPLACE / IF NOT EXISTS."""
    existing = {name.lower() for name in read_views(run)}
    if view.name.lower() in existing:
        if view.if_not_exists:
            return
        if not view.replace:
            raise ProgrammingError(
                f"View {view.name!r} already exists: CREATE OR REPLACE VIEW changes it."
            )
        drop_views(run, DropView((view.name,)))
    table = TEMP_REGISTRY if view.temporary else REGISTRY
    temporary = "TEMP " if view.temporary else ""
    run(f"CREATE {temporary}TABLE IF NOT EXISTS {table} (name VARCHAR, query VARCHAR)", [])
    run(f"INSERT INTO {table} VALUES (?, ?)", [view.name, view.query_sql])


def drop_views(run: Runner, drop: DropView) -> None:
    """Forget the views ``drop`` names."""
    present = {
        row[0]
        for row in run(
            "SELECT table_name FROM duckdb_tables() WHERE table_name IN (?, ?)",
            [REGISTRY, TEMP_REGISTRY],
        )
    }
    for name in drop.names:
        for table in (TEMP_REGISTRY, REGISTRY):  # the temporary view, if one hides another
            if table in present and run(
                f"DELETE FROM {table} WHERE lower(name) = lower(?) RETURNING name", [name]
            ):
                break
