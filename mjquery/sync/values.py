"""One spelling per value on both sides, so Mailjet's rows, database rows and the snapshot compare.

Mailjet answers ``""`` for an unset text or time; databases hand back their own types (MySQL
booleans as 0/1, SQLite times as text, PostgreSQL times with a time zone). Every value is turned
into a *canonical* one — text, integer, float, boolean or None, times as UTC
``YYYY-MM-DDTHH:MM:SS`` — before any comparison, and the snapshot stores canonical values
(JSON).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mjquery.schema.model import SqlType


def canonical(value: Any, sql_type: SqlType) -> Any:
    """``value`` (from Mailjet or from the database) in its canonical spelling."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "" and sql_type is not SqlType.JSON:
        return None
    if sql_type is SqlType.BOOLEAN:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t", "yes", "y")
        return bool(value)
    if sql_type in (SqlType.BIGINT, SqlType.INTEGER):
        if isinstance(value, bool):
            return int(value)
        return int(Decimal(str(value)))
    if sql_type is SqlType.DOUBLE:
        return float(value)
    if sql_type is SqlType.TIMESTAMP:
        return _time_text(value)
    if sql_type is SqlType.JSON:
        parsed = json.loads(value) if isinstance(value, str | bytes) else value
        return json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _time_text(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value == 0:
            return None
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def to_database(value: Any, sql_type: SqlType, *, times_as_text: bool = False) -> Any:
    """A canonical value as a query parameter of the database driver."""
    if value is None:
        return None
    if sql_type is SqlType.TIMESTAMP:
        moment = datetime.fromisoformat(str(value))
        return moment.isoformat(sep=" ") if times_as_text else moment
    return value


def to_mailjet(value: Any, sql_type: SqlType) -> Any:
    """A canonical value as the write path takes it (it converts to the API's spelling)."""
    if value is None:
        return None
    if sql_type is SqlType.TIMESTAMP:
        return str(value) + "Z"
    if sql_type is SqlType.JSON:
        return json.loads(value)
    return value
