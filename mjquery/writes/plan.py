"""Typed write plans and their results: what a statement asks to change, and what happened.

A :class:`WritePlan` is produced by the SQL front (``planner/dml.py`` + the engine, which runs the
SELECT that finds the rows) or built directly by library users. It holds concrete values only:
UPDATE's ``SET`` expressions were already evaluated per row by the engine. The write package then
validates the plan against the object's schema (:mod:`mjquery.writes.validate`), turns it into API
requests (:mod:`mjquery.writes.builders`) and runs them (:mod:`mjquery.writes.execute`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mjquery.schema.model import Operation


class OnError(enum.StrEnum):
    """What a failing row does to the rest of the statement."""

    CONTINUE = "continue"  # write the other rows, report the failures
    STOP = "stop"  # stop at the first failure; rows already written stay written


@dataclass(frozen=True)
class WriteOptions:
    """Connection- or statement-level settings of the write path.

    ``bulk_threshold``: a Contact INSERT of at least this many rows goes through one
    ``managemanycontacts`` job per ``bulk_batch_size`` contacts instead of one POST per contact.
    ``allow_unfiltered``: UPDATE/DELETE without WHERE are refused unless this is set (the
    connection option) or the statement opts in itself.
    """

    on_error: OnError = OnError.CONTINUE
    bulk_threshold: int = 100
    bulk_batch_size: int = 1000
    poll_interval: float = 0.2
    poll_max_interval: float = 5.0
    poll_timeout: float = 3600.0
    allow_unfiltered: bool = False
    concurrency: int = 4
    list_action: str = "addnoforce"


@dataclass(frozen=True)
class RowWrite:
    """One row of a write.

    ``values``: the columns to set (INSERT: the new row; UPDATE: the evaluated SET values).
    ``current``: for UPDATE/DELETE, the row as it is now (at least its key columns and the
    columns named by the object's write condition), as found by the SELECT engine.
    ``condition_met``: for objects whose rule has a row condition (CampaignDraft: ``Used =
    false``), whether this row satisfies it, when the SELECT engine evaluated it; ``None`` means
    not evaluated (the write package then evaluates simple ``Column = literal`` conditions itself).
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)
    condition_met: bool | None = None


@dataclass(frozen=True)
class WritePlan:
    """A write statement against one Mailjet object, with its rows."""

    table: str
    operation: Operation
    rows: tuple[RowWrite, ...]
    returning: tuple[str, ...] = ()
    unfiltered: bool = False  # UPDATE/DELETE without WHERE
    unfiltered_opt_in: bool = False  # the statement itself allowed it
    list_id: int | None = None  # Contact INSERT: subscribe the new contacts to this list
    list_action: str | None = None  # ... with this action (default WriteOptions.list_action)


@dataclass(frozen=True)
class ReadBack:
    """How to find out whether an ambiguous write (timeout, dropped connection) took effect.

    ``GET path`` (with ``params``); the write happened when the answer satisfies ``expect``:
    ``EXISTS`` — the object is there (POST created it); ``MATCHES`` — the object carries
    ``fields`` (PUT applied); ``GONE`` — 404, or ``fields`` match for soft deletes.
    """

    class Expect(enum.StrEnum):
        EXISTS = "exists"
        MATCHES = "matches"
        GONE = "gone"
        LISTED = "listed"  # a row of the answer carries ``fields`` (membership views)

    path: str
    expect: Expect
    fields: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiWrite:
    """One request the plan will send. ``rows`` are the plan's row indexes it writes."""

    method: str
    path: str
    body: Any
    rows: tuple[int, ...]
    label: str  # how the user recognises the row(s): "ID 42", "Email a@b.c"
    resource: str  # the API resource whose cache the write invalidates
    read_back: ReadBack | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class BulkJob:
    """A ``managemanycontacts`` job: many contacts in one request, then polling."""

    path: str  # POST here; poll ``path/{JobID}``
    body: Any
    rows: tuple[int, ...]
    emails: tuple[str, ...]  # the contacts, in row order, to report per-contact errors
    resource: str = "contact"

    def describe(self) -> str:
        return f"POST {self.path} ({len(self.rows)} contacts, one job)"


@dataclass(frozen=True)
class RowFailure:
    """A row that was not written, with the reason (the API's message or the rule)."""

    row_index: int
    key: str
    message: str
    error: Exception | None = field(
        default=None, compare=False, repr=False
    )  # the API's error, if any


@dataclass(frozen=True)
class WriteResult:
    """What a write statement did. ``written`` is the DB-API ``rowcount``."""

    written: int
    failed: tuple[RowFailure, ...] = ()
    returned_rows: tuple[Mapping[str, Any], ...] = ()
    returned_columns: tuple[str, ...] = ()
    requests: int = 0  # API requests sent (writes, polls and read-backs)
    stopped: bool = False  # on_error=stop ended the statement early
    skipped: int = 0  # rows not attempted because of a stop
    written_indexes: tuple[int, ...] = ()  # the plan's row indexes that were written

    def summary(self) -> str:
        """One line for the user: '3 rows written, 1 failed: Email x@y: MJ18 ...'."""
        noun = "row" if self.written == 1 else "rows"
        text = f"{self.written} {noun} written"
        if self.failed:
            text += f", {len(self.failed)} failed"
            shown = "; ".join(f"{f.key}: {f.message}" for f in self.failed[:5])
            more = f" (and {len(self.failed) - 5} more)" if len(self.failed) > 5 else ""
            text += f" — {shown}{more}"
        if self.stopped:
            text += f"; stopped at the first failure, {self.skipped} not attempted"
        return text


@dataclass(frozen=True)
class DryRun:
    """The writes a statement would make, without making them (for confirmations)."""

    table: str
    operation: Operation
    count: int  # rows that would change
    writes: tuple[ApiWrite | BulkJob, ...]
    refused: tuple[RowFailure, ...] = ()

    @property
    def requests(self) -> int:
        return len(self.writes)

    def describe(self) -> str:
        lines = [
            f"{self.operation.value} {self.table}: {self.count} row(s) would change "
            f"in {self.requests} request(s)"
        ]
        lines += [f"  {w.describe()}" for w in self.writes[:20]]
        if len(self.writes) > 20:
            lines.append(f"  ... {len(self.writes) - 20} more")
        lines += [f"  refused {f.key}: {f.message}" for f in self.refused]
        return "\n".join(lines)
