"""mjquery: SQL over the Mailjet email API.

This module is the Python DB-API 2.0 (PEP 249) surface: ``mjquery.connect(...)`` returns a
connection whose cursors run SQL against a Mailjet account (or the embedded demo sandbox)::

    import mjquery
    with mjquery.connect(demo=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT Name, SubscriberCount FROM List WHERE Name LIKE ?", ["News%"])
        print(cur.fetchall())
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from mjquery.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

apilevel = "2.0"
# Threads may share the module and connections (the engine runs one statement at a time), not
# cursors: a cursor used by a second thread raises ProgrammingError (tests/test_dbapi_edges.py).
threadsafety = 2
# ``?`` with a sequence of values; ``:name`` with a mapping works too, as in sqlite3, which also
# declares "qmark" (PEP 249 lets a module name one style only).
paramstyle = "qmark"


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mjquery")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> object:
    """Load the DB-API layer (and ``__version__``: reading the installed metadata takes a
    while) on first use, so ``import mjquery.errors`` and a one-line command stay light."""
    if name == "__version__":
        return _version()
    if name not in __all__ or name in globals():
        # not a DB-API name: ``from mjquery import config`` asks here before it imports the
        # submodule, and must not load DuckDB for that
        raise AttributeError(f"module 'mjquery' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("mjquery.dbapi"), name)


if TYPE_CHECKING:
    # Type checkers see the real signature and return type ...
    from mjquery.dbapi import connect as connect

    __version__: str
else:
    # ... while at run time the DB-API layer (DuckDB, sqlglot, httpx) loads on the first call,
    # so ``import mjquery`` stays light for commands that never connect.
    def connect(*args, **kwargs):
        """Open a connection; see :func:`mjquery.dbapi.connect` for the arguments."""
        from mjquery.dbapi import connect as _connect

        return _connect(*args, **kwargs)


def replicate(connection: object, *args: object, **kwargs: object) -> object:
    """Copy Mailjet tables into a database; see :func:`mjquery.replicate.replicate`."""
    from mjquery.replicate import replicate as _replicate

    return _replicate(connection, *args, **kwargs)  # type: ignore[arg-type]


def sync(connection: object, object_name: str, /, **kwargs: object) -> object:
    """Synchronise a Mailjet object with a database table, both ways; see
    :func:`mjquery.sync.run.sync`."""
    from mjquery.sync import sync as _sync

    return _sync(connection, object_name, **kwargs)


__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "replicate",
    "sync",
    "threadsafety",
]
