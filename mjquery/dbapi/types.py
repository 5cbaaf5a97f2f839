"""PEP 249 type objects and constructors.

Type codes in ``Cursor.description`` are DuckDB type names (``BIGINT``, ``VARCHAR``,
``TIMESTAMP``, ``JSON``...), which for Mailjet tables are the schema's SQL types. The type
objects compare equal to every code of their family: ``description[0][1] == mjquery.NUMBER``.
Booleans have their own type object, ``BOOLEAN`` (PEP 249 defines none; psycopg does the same),
so a flag column does not pass for a number.
"""

from __future__ import annotations

import datetime as _dt
import time as _time


class DBAPITypeObject:
    """A family of type codes; equal to any code in the family (PEP 249)."""

    def __init__(self, name: str, *prefixes: str) -> None:
        self.name = name
        self.prefixes = tuple(p.upper() for p in prefixes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return other is self
        if isinstance(other, str):
            code = other.upper()
            return any(
                code == p or code.startswith(p + "(") or code.startswith(p + " ")
                for p in self.prefixes
            )
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<type object {self.name}>"


STRING = DBAPITypeObject(
    "STRING", "VARCHAR", "TEXT", "STRING", "JSON", "UUID", "ENUM", "CHAR", "BPCHAR"
)
BINARY = DBAPITypeObject("BINARY", "BLOB", "BYTEA", "BIT")
NUMBER = DBAPITypeObject(
    "NUMBER",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
    "UHUGEINT",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "NUMERIC",
)
BOOLEAN = DBAPITypeObject("BOOLEAN", "BOOLEAN", "BOOL")
DATETIME = DBAPITypeObject(
    "DATETIME",
    "TIMESTAMP",
    "DATE",
    "TIME",
    "INTERVAL",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMPTZ",
)
ROWID = DBAPITypeObject("ROWID", "ROWID")

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks: float) -> _dt.date:
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:
    return Timestamp(*_time.localtime(ticks)[:6])


def Binary(value: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)
