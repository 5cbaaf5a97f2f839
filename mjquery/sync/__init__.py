"""Two-way sync between a Mailjet object and a database table.

    import mjquery
    with mjquery.connect(demo=True) as conn:
        report = mjquery.sync(conn, "Contact", with_="sqlite:///crm.db", table="crm_contacts")
        print(report.summary())
        for conflict in report.conflicts:
            print(conflict.key, conflict.column, conflict.mailjet_value, conflict.database_value)

Each run compares Mailjet, the table and the snapshot of the last run (stored in the same
database) and makes both sides equal: :mod:`mjquery.sync.plan` diffs, :mod:`mjquery.sync.run`
applies (Mailjet through the write path, the database in one transaction with the snapshot),
:mod:`mjquery.sync.rules` says which objects can be synchronised and how.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from mjquery.sync.model import (
    FAILED_KINDS,
    ChangeKind,
    Conflict,
    Direction,
    DirectionCounts,
    Prefer,
    Refusal,
    RefusalKind,
    RowChange,
    Side,
    SyncMode,
    SyncPlan,
    SyncReport,
)
from mjquery.sync.rules import sync_mode, sync_text

__all__ = [
    "FAILED_KINDS",
    "ChangeKind",
    "Conflict",
    "Direction",
    "DirectionCounts",
    "Prefer",
    "Refusal",
    "RefusalKind",
    "RowChange",
    "Side",
    "SyncMode",
    "SyncPlan",
    "SyncReport",
    "sync",
    "sync_mode",
    "sync_text",
]


def sync(connection: Any, object_name: str, /, **kwargs: Any) -> SyncReport:
    """Synchronise a Mailjet object with a database table; see :func:`mjquery.sync.run.sync`."""
    from mjquery.sync.run import sync as run

    return run(connection, object_name, **kwargs)


class _CallableModule(types.ModuleType):
    """``mjquery.sync(conn, ...)`` works although ``mjquery.sync`` is this package."""

    def __call__(self, *args: Any, **kwargs: Any) -> SyncReport:
        return sync(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
