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


class OnConflict(enum.StrEnum):
    """What an INSERT does with a row whose natural key the server already holds.

    The schema files name each object's natural key (Contact: Email). Existing objects are
    found before anything is sent, so the report says which rows were new.
    """

    ERROR = "error"  # refuse the row as a duplicate (SQL INSERT, as the API's own MJ18)
    IGNORE = "ignore"  # leave the object as it is (import; INSERT OR IGNORE); a --list still subscribes it
    UPDATE = "update"  # update the object with the row's other columns (import --upsert; INSERT OR REPLACE)


class Outcome(enum.StrEnum):
    """Where a row stands once the statement is over, as the server holds it."""

    WRITTEN = "written"  # the server holds the row's write
    EXISTED = "existed"  # already on the server and left as it was (OnConflict.IGNORE)
    FAILED = "failed"  # not on the server: refused by a rule or by the API
    UNKNOWN = "unknown"  # could not be confirmed either way; the message says how to check
    NOT_ATTEMPTED = "not attempted"  # after an on-error stop or a failure of the whole API


@dataclass(frozen=True)
class WriteOptions:
    """Connection- or statement-level settings of the write path.

    ``bulk_threshold``: a Contact INSERT of at least this many rows goes through one
    ``managemanycontacts`` job per ``bulk_batch_size`` contacts instead of one POST per contact.
    ``allow_unfiltered``: UPDATE/DELETE without WHERE are refused unless this is set (the
    connection option) or the statement opts in itself. A job's status is polled every
    ``poll_interval`` seconds, growing to ``poll_max_interval``, for at most ``poll_timeout``
    seconds; polls are reads, so a failing one is tried again, until ``poll_failures`` polls in
    a row have failed (each after the client's own retries): then the job's rows are verified by
    reading them back.
    """

    on_error: OnError = OnError.CONTINUE
    bulk_threshold: int = 100
    bulk_batch_size: int = 1000
    poll_interval: float = 0.2
    poll_max_interval: float = 5.0
    poll_timeout: float = 3600.0
    poll_failures: int = 12
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
    origin: str = ""  # where the row comes from, for messages ("line 8"); "row N" when empty


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
    on_conflict: OnConflict = OnConflict.ERROR  # INSERT: rows whose natural key exists already


@dataclass(frozen=True)
class ReadBack:
    """How to find out whether an ambiguous write (timeout, dropped connection, 5xx) took effect.

    ``GET path`` (with ``params``: then every page of the listing); the write happened when the
    answer satisfies ``expect``: ``EXISTS`` — the object is there (a sub-resource POST created
    it); ``MATCHES`` — the object carries ``fields`` (PUT applied); ``GONE`` — 404;
    ``LISTED`` — the contact's lists are as ``fields`` (list ID → action) leaves them; ``NEW`` — a row carrying
    ``fields`` (the natural key) whose ID is not in ``baseline``, the IDs found before the write
    was sent: an object that existed before proves nothing.
    """

    class Expect(enum.StrEnum):
        EXISTS = "exists"
        MATCHES = "matches"
        GONE = "gone"
        LISTED = "listed"  # membership views: GET /contact/{id}/getcontactslists
        NEW = "new"

    path: str
    expect: Expect
    fields: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    baseline: frozenset[str] = frozenset()
    listing: bool = False  # ``path`` is a collection: read every page


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
    # Without a read-back, what to tell the user when the answer is lost: how to check.
    check: str = ""

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class BulkJob:
    """A ``managemanycontacts`` job: many contacts in one request, then polling.

    ``contacts`` are the body's entries in row order (``rows``). ``list_id``/``action``: the
    list the job subscribes them to. ``existing``: the rows whose contact existed before (sent
    to subscribe them, or to update them for OnConflict.UPDATE).
    """

    path: str  # POST here; poll ``path/{JobID}``
    body: Any
    rows: tuple[int, ...]
    emails: tuple[str, ...]  # the contacts, in row order, to report per-contact errors
    resource: str = "contact"
    list_id: int | None = None
    action: str = ""
    existing: frozenset[int] = frozenset()

    def describe(self) -> str:
        return f"POST {self.path} ({len(self.rows)} contacts, one job)"

    @property
    def contacts(self) -> list[Mapping[str, Any]]:
        return list(self.body["Contacts"])


@dataclass(frozen=True)
class RowFailure:
    """A row that was not written, or whose outcome is unknown, with the reason.

    ``outcome`` is FAILED (the API's message or the rule), UNKNOWN (the message says how to
    check) or NOT_ATTEMPTED. ``error``: the API's error, if any.
    """

    row_index: int
    key: str
    message: str
    error: Exception | None = field(default=None, compare=False, repr=False)
    outcome: Outcome = Outcome.FAILED


@dataclass(frozen=True)
class WriteResult:
    """What a write statement did, row by row, as the server holds it.

    ``written`` is the DB-API ``rowcount``: rows the server now holds as written (for
    OnConflict.UPDATE, existing objects updated count too; ``updated`` lists them).
    ``existed``: rows left as they were because their object existed (OnConflict.IGNORE).
    ``failed``: every other row, with its outcome (FAILED, UNKNOWN or NOT_ATTEMPTED).
    """

    written: int
    failed: tuple[RowFailure, ...] = ()
    returned_rows: tuple[Mapping[str, Any], ...] = ()
    returned_columns: tuple[str, ...] = ()
    requests: int = 0  # API requests sent (writes, polls and read-backs)
    stopped: bool = False  # on_error=stop ended the statement early
    skipped: int = 0  # rows not attempted because of a stop
    written_indexes: tuple[int, ...] = ()  # the plan's row indexes that were written
    existed: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    job_ids: tuple[int, ...] = ()  # bulk jobs the API accepted
    # Per written (or existed) row: its object as the server answered the write (the POST's or
    # PUT's echo) or as the bulk job's read-back found it, in the API's spelling. Rows whose
    # write answered no object are absent; for a sub-resource write it is that resource's echo.
    server_rows: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def refused(self) -> tuple[RowFailure, ...]:
        """Rows not on the server (refused by a rule or by the API)."""
        return tuple(f for f in self.failed if f.outcome is Outcome.FAILED)

    @property
    def unknown(self) -> tuple[RowFailure, ...]:
        """Rows whose outcome could not be confirmed; each message says how to check."""
        return tuple(f for f in self.failed if f.outcome is Outcome.UNKNOWN)

    def outcome_of(self, index: int) -> Outcome:
        if index in set(self.written_indexes):
            return Outcome.WRITTEN
        if index in set(self.existed):
            return Outcome.EXISTED
        for failure in self.failed:
            if failure.row_index == index:
                return failure.outcome
        return Outcome.NOT_ATTEMPTED

    def summary(self) -> str:
        """One line: '3 rows written, 1 failed, 1 outcome unknown — Email x@y: MJ18 ...'."""
        noun = "row" if self.written == 1 else "rows"
        text = f"{self.written} {noun} written"
        if self.updated:
            text += f" ({len(self.updated)} updated)"
        if self.existed:
            text += f", {len(self.existed)} already existed"
        counts = [
            (len(self.refused), "failed"),
            (len(self.unknown), "outcome unknown"),
        ]
        text += "".join(f", {n} {what}" for n, what in counts if n)
        listed = [f for f in self.failed if f.outcome is not Outcome.NOT_ATTEMPTED]
        if listed:
            shown = "; ".join(f"{f.key}: {f.message}" for f in listed[:5])
            more = f" (and {len(listed) - 5} more)" if len(listed) > 5 else ""
            text += f" — {shown}{more}"
        if self.skipped:
            why = "stopped at the first failure" if self.stopped else "stopped"
            text += f"; {why}, {self.skipped} not attempted"
        return text


class WriteObserver:
    """Hooks the write path calls as it goes (an import keeps its journal and progress line
    with them); the methods here do nothing. They may be called from several threads.

    ``sending``: a bulk job for ``rows`` is about to be posted (the server may apply it even
    if its answer never comes back). ``submitted``: requests for ``rows`` went out (for a bulk
    job, once posted, with its ID when the API gave one). ``job_finished``: a bulk job ended (``status``; empty when it could not be
    read); ``refused`` are the rows its error file names. ``settled``: the final outcomes of
    ``rows``, as the server holds them.
    """

    def sending(self, rows: tuple[int, ...]) -> None:
        return None

    def submitted(self, rows: tuple[int, ...], job_id: int | None) -> None:
        return None

    def job_finished(
        self, job_id: int | None, status: str, rows: tuple[int, ...], refused: tuple[int, ...]
    ) -> None:
        return None

    def settled(self, outcomes: Mapping[int, Outcome]) -> None:
        return None


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
