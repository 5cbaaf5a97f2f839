"""Typed pieces of a two-way sync: the plan (what differs, per direction), and the report.

A sync compares three things per row: the Mailjet object, the database row, and the snapshot
of the values both held when they were last synchronised (stored in the database). The plan
is made of :class:`RowChange` (one row to insert, update or delete on one side),
:class:`Conflict` (a column changed on both sides, resolved by the ``prefer`` policy) and
:class:`Refusal` (a change that cannot flow, with the rule or the API's reason).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Prefer(enum.StrEnum):
    """Which side wins a conflict (the same column changed on both sides since the last run)."""

    MAILJET = "mailjet"
    DATABASE = "database"
    # The more recently changed side: Mailjet's updated column against the database row's
    # updated-at column; without one of them, Mailjet.
    NEWER = "newer"


class SyncMode(enum.StrEnum):
    """What flows for an object, from the timestamp columns of its schema file."""

    FULL = "new and updated records"  # an updated column (updated_column)
    NEW_ONLY = "new records only"  # a created column only (created_column)
    NONE = "not synchronisable"  # neither


class Direction(enum.StrEnum):
    TO_MAILJET = "to Mailjet"
    TO_DATABASE = "to database"


class ChangeKind(enum.StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


class RefusalKind(enum.StrEnum):
    """Why a change did not flow."""

    RULE = "refused by a rule"  # a write rule of the object, before anything was sent
    API = "refused by the API"  # the API's answer
    UNKNOWN = "outcome unknown"  # the answer was lost and reading back could not tell
    MODE = "not synchronised"  # an update of a new-only object
    DELETE = "delete not propagated"  # a delete, without --deletes


#: The refusals that make a run "partly refused" (exit status 3).
FAILED_KINDS = frozenset({RefusalKind.RULE, RefusalKind.API, RefusalKind.UNKNOWN})


class Side(enum.StrEnum):
    MAILJET = "mailjet"
    DATABASE = "database"


#: Canonical values: text, integers, floats, booleans or None (JSON-serialisable, comparable).
Values = Mapping[str, Any]


@dataclass(frozen=True)
class RowChange:
    """One row to change on one side.

    ``key``: the natural key's value (as the database holds it). ``mailjet_id``: the object's
    ID when it exists in Mailjet. ``values``: Mailjet column → canonical value to write (the
    whole row for an insert, the changed columns for an update, empty for a delete).
    """

    direction: Direction
    kind: ChangeKind
    key: str
    mailjet_id: int | None
    values: Values = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """A column changed on both sides since the last run (or differing when first linked)."""

    key: str
    column: str
    mailjet_value: Any
    database_value: Any
    winner: Side
    why: str  # how the policy decided ("--prefer mailjet", "Mailjet changed later", ...)


@dataclass(frozen=True)
class Refusal:
    """A change that did not flow: refused by a rule before sending, refused by the API, not
    synchronised by the object's mode, or whose outcome is unknown. Never in the snapshot:
    the next run tries it again."""

    direction: Direction
    kind: ChangeKind
    key: str
    reason: str
    category: RefusalKind = RefusalKind.API


@dataclass(frozen=True)
class SyncPlan:
    """What a run would do. ``links``: pairs first matched by the natural key this run."""

    table: str  # the Mailjet object
    database_table: str
    mode: SyncMode
    first_run: bool
    changes: tuple[RowChange, ...]
    conflicts: tuple[Conflict, ...]
    refusals: tuple[Refusal, ...]
    links: int = 0
    mailjet_rows: int = 0
    database_rows: int = 0

    def count(self, direction: Direction, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.direction is direction and c.kind is kind)

    def changes_to(self, direction: Direction, kind: ChangeKind) -> tuple[RowChange, ...]:
        return tuple(c for c in self.changes if c.direction is direction and c.kind is kind)


@dataclass(frozen=True)
class DirectionCounts:
    """Rows applied in one direction."""

    direction: Direction
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    refused: int = 0


@dataclass(frozen=True)
class SyncReport:
    """What a run did (or, for a dry run, would do), as each side now holds it.

    ``requests``: API requests of the run (reads included); ``write_requests``: those that
    change Mailjet (POST/PUT/DELETE, bulk jobs included). ``refusals``: rule refusals found by
    the plan and the API's refusals while applying it; none of them is in the snapshot.
    """

    table: str
    database_table: str
    target: str  # the database URL without its password
    mode: SyncMode
    prefer: Prefer
    dry_run: bool
    first_run: bool
    plan: SyncPlan
    to_mailjet: DirectionCounts
    to_database: DirectionCounts
    conflicts: tuple[Conflict, ...]
    refusals: tuple[Refusal, ...]
    requests: int = 0
    write_requests: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> tuple[Refusal, ...]:
        """Changes refused by a rule or the API, or of unknown outcome (exit status 3)."""
        return tuple(r for r in self.refusals if r.category in FAILED_KINDS)

    @property
    def ok(self) -> bool:
        """Every change that could flow did (updates of a new-only object and deletes without
        --deletes are reported but are not failures)."""
        return not self.failed

    def summary(self) -> str:
        """One line: what moved each way."""
        verb = "would" if self.dry_run else "did"
        parts = []
        for counts in (self.to_mailjet, self.to_database):
            parts.append(
                f"{counts.direction}: {counts.inserted} inserted, {counts.updated} updated, "
                f"{counts.deleted} deleted"
            )
        text = f"{self.table} <-> {self.database_table} ({verb}): " + "; ".join(parts)
        if self.conflicts:
            text += f"; {len(self.conflicts)} conflict(s) resolved"
        if self.failed:
            text += f"; {len(self.failed)} change(s) refused"
        skipped = len(self.refusals) - len(self.failed)
        if skipped:
            text += f"; {skipped} change(s) not synchronised by rule of the object"
        return text
