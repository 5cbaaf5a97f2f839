"""SQLAlchemy types where DuckDB differs from PostgreSQL, whose compilers the dialect reuses.

- ``Interval`` is DuckDB's native INTERVAL (values are ``timedelta`` both ways), not SQLAlchemy's
  emulation as an offset from the epoch; DuckDB's INTERVAL has no precision or fields, and
  literals are written ``to_microseconds(n)`` (DuckDB has no ``make_interval``).
- A JSON path (``data[("a", 1)]``, the ``#>`` / ``#>>`` operators of PostgreSQL) is bound as the
  JSONPath text DuckDB's ``->`` and ``->>`` take: ``$."a"[1]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql.types import INTERVAL as PG_INTERVAL
from sqlalchemy.engine.interfaces import Dialect


class Interval(PG_INTERVAL):
    """DuckDB's INTERVAL."""

    @classmethod
    def adapt_emulated_to_native(cls, interval: sqltypes.Interval, **kw: Any) -> Interval:  # type: ignore[override]  # PG_INTERVAL's is typed to return itself
        return Interval()

    def literal_processor(self, dialect: Dialect) -> Callable[[dt.timedelta], str]:
        def process(value: dt.timedelta) -> str:
            return f"to_microseconds({value // dt.timedelta(microseconds=1)})"

        return process


def json_path(elements: Sequence[str | int]) -> str:
    """The JSONPath DuckDB reads for a sequence of keys and indexes: ``("a", 1)`` -> ``$."a"[1]``."""
    path = "$"
    for element in elements:
        if isinstance(element, int):
            path += f"[{element}]"
        else:
            path += '."' + str(element).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return path


class JSONPathType(sqltypes.JSON.JSONPathType):
    """A JSON path bound as JSONPath text; a string is taken as a JSONPath already."""

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        string = self.string_bind_processor(dialect)

        def process(value: Any) -> Any:
            text = value if isinstance(value, str) else json_path(value or ())
            return string(text) if string else text

        return process

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str]:
        string = self.string_literal_processor(dialect)

        def process(value: Any) -> str:
            text = value if isinstance(value, str) else json_path(value or ())
            return string(text) if string else "'" + text.replace("'", "''") + "'"

        return process
