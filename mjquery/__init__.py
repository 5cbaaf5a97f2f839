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

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version
from typing import TYPE_CHECKING

try:
    __version__ = _distribution_version("mjquery")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

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


def __getattr__(name: str) -> object:
    """Load the DB-API layer on first use, so ``import mjquery.errors`` stays light."""
    import importlib

    dbapi = importlib.import_module("mjquery.dbapi")
    if name in dbapi.__all__:
        return getattr(dbapi, name)
    raise AttributeError(f"module 'mjquery' has no attribute {name!r}")


if TYPE_CHECKING:
    # Type checkers see the real signature and return type ...
    from mjquery.dbapi import connect as connect
else:
    # ... while at run time the DB-API layer (DuckDB, sqlglot, httpx) loads on the first call,
    # so ``import mjquery`` stays light for commands that never connect.
    def connect(*args, **kwargs):
        """Open a connection; see :func:`mjquery.dbapi.connect` for the arguments."""
        from mjquery.dbapi import connect as _connect

        return _connect(*args, **kwargs)


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
    "threadsafety",
]
