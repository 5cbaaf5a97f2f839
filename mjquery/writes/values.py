"""SQL values → the JSON the Mailjet API expects, checked against the column's type.

A value that does not fit its column is refused here, before any request, with a
:class:`~mjquery.errors.DataError` naming the table and column. Numeric strings into numeric
columns are accepted (as SQL's implicit casts would), anything else is not.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import orjson

from mjquery.errors import DataError
from mjquery.schema.model import Column, SqlType, TimeFormat

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def _refuse(table: str, column: str, value: Any, expected: str) -> DataError:
    shown = repr(value) if not isinstance(value, str) else f"'{value}'"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return DataError(f"{table}.{column} is {expected}: {shown} does not fit")


def to_api_value(table: str, column: Column, value: Any, *, allow_now: bool = False) -> Any:
    """The JSON value to send for ``value`` in ``column``; raises DataError naming the column."""
    if value is None:
        if not column.nullable:
            raise DataError(f"{table}.{column.name} cannot be NULL")
        return None
    kind = column.type
    if kind in (SqlType.BIGINT, SqlType.INTEGER):
        return _to_int(table, column.name, value, kind.value)
    if kind is SqlType.DOUBLE:
        return _to_float(table, column.name, value)
    if kind is SqlType.BOOLEAN:
        return _to_bool(table, column.name, value)
    if kind is SqlType.TIMESTAMP:
        return _to_timestamp(table, column, value, allow_now=allow_now)
    if kind is SqlType.JSON:
        return _to_json(table, column.name, value)
    return _to_text(table, column.name, value)


def _to_int(table: str, name: str, value: Any, type_name: str) -> int:
    if isinstance(value, bool):
        raise _refuse(table, name, value, f"{type_name} (an integer)")
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
    raise _refuse(table, name, value, f"{type_name} (an integer)")


def _to_float(table: str, name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise _refuse(table, name, value, "DOUBLE (a number)")
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _refuse(table, name, value, "DOUBLE (a number)")


def _to_bool(table: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise _refuse(table, name, value, "BOOLEAN (true or false)")


def _to_text(table: str, name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return str(value)
    raise _refuse(table, name, value, "VARCHAR (text)")


def _to_json(table: str, name: str, value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise _refuse(table, name, value, "JSON (an array or object)") from None
    raise _refuse(table, name, value, "JSON (an array or object)")


def parse_timestamp(value: str) -> dt.datetime | None:
    """An ISO 8601 / RFC 3339 string as an aware datetime (naive = UTC); None if it is not one."""
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def format_rfc3339(moment: dt.datetime) -> str:
    """RFC 3339 with the offset kept: ``2026-05-01T09:00:00Z`` or ``...T09:00:00+01:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _to_timestamp(table: str, column: Column, value: Any, *, allow_now: bool) -> Any:
    name = column.name
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    elif isinstance(value, str):
        if allow_now and value.strip().upper() == "NOW":
            return "NOW"
        parsed = parse_timestamp(value)
        if parsed is None:
            raise _refuse(
                table,
                name,
                value,
                "TIMESTAMP (e.g. '2026-05-01T09:00:00Z' or '2026-05-01 09:00:00')",
            )
        moment = parsed
    elif (
        isinstance(value, int)
        and not isinstance(value, bool)
        and column.time_format is TimeFormat.EPOCH
    ):
        return value
    else:
        raise _refuse(table, name, value, "TIMESTAMP")
    if column.time_format is TimeFormat.EPOCH:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return int(moment.timestamp())
    return format_rfc3339(moment)


def to_json_scalar(value: Any) -> Any:
    """A value from DuckDB/Python in a JSON-serialisable form (for contact property values)."""
    if isinstance(value, dt.datetime):
        return format_rfc3339(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
