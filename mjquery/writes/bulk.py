"""Bulk contact jobs: post, poll patiently, then settle every row from what the server holds.

A ``managemanycontacts`` job carries up to ``bulk_batch_size`` contacts. Its answer is only a
job ID; the contacts are processed later, and the job's error file names the ones it refused.
None of that is taken on trust:

* A lost answer to the POST (timeout, dropped connection, 5xx) is resolved by reading the job's
  contacts (and list memberships) back: all there, the job landed; otherwise the job is sent
  again — re-sending contacts creates no duplicates (G-contacts_bulk, api-behaviour.md section 8).
* Polls are reads: a failing poll is tried again, with growing waits, until ``poll_failures``
  polls in a row have failed; then the job's status is unknown, not an error.
* Every row's outcome is then decided by :func:`settle`, from the contacts and memberships read
  back: on the server as the row asked, written; absent after a job that ended, failed (with the
  job's message for it, when it has one); absent while the job's fate is unknown, "outcome
  unknown" with the way to check. A job that silently skipped contacts cannot hide them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mjquery.api.client import ApiClient
from mjquery.api.errors import ApiNotFoundError
from mjquery.api.paths import quote_segment
from mjquery.errors import ApiError
from mjquery.schema.model import ObjectSchema
from mjquery.writes.lookup import Probe, find_existing, membership_holds, normalize
from mjquery.writes.plan import BulkJob, Outcome, RowFailure, WriteObserver, WriteOptions
from mjquery.writes.readback import loose

#: Job statuses after which a bulk job does no more work (guide: Completed, Error, Abort).
TERMINAL_JOB_STATUSES = frozenset({"completed", "error", "abort", "aborted"})

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class JobRun:
    """What posting and polling one job learnt; the rows' outcomes are settled afterwards.

    ``refused``: the POST's error when it got a definite answer (nothing was applied).
    ``maybe_applied``: some POST's answer was lost, so the job may exist even without an ID.
    ``confirmed``: the contacts were all read back after a lost answer (no job ID needed).
    ``errors``: the job's own message per contact (lower-cased email), from its error file.
    ``note``: why the job's status is not known, for messages.
    """

    job: BulkJob
    job_id: int | None = None
    status: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    refused: ApiError | None = None
    maybe_applied: bool = False
    confirmed: bool = False
    note: str = ""

    @property
    def finished(self) -> bool:
        return self.status.lower() in TERMINAL_JOB_STATUSES

    @property
    def name(self) -> str:
        return (
            f"job {self.job_id}"
            if self.job_id is not None
            else f"the job posted to {self.job.path}"
        )


@dataclass(frozen=True)
class ServerState:
    """The contacts (by lower-cased email) and list memberships (by ContactID) read back."""

    contacts: Mapping[str, Mapping[str, Any]]
    memberships: Mapping[tuple[str, str], Mapping[str, Any]]  # (ContactID, ListID) -> row
    # contact property values (lower-case name -> value) by ContactID, read back when the
    # jobs set Properties
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def holds(self, job: BulkJob, position: int) -> bool:
        """Whether the server holds contact ``position`` of ``job`` as the job asked."""
        entry = job.contacts[position]
        contact = self.contacts.get(normalize(entry.get("Email")))
        if contact is None:
            return False
        # A contact the job created or updated carries what was sent (an existing contact
        # sent to be subscribed carries its Email alone).
        have = {k.lower(): v for k, v in contact.items()}
        for name, value in entry.items():
            if name.lower() not in ("email", "properties") and loose(
                have.get(name.lower())
            ) != loose(value):
                return False
        sent = entry.get("Properties")
        if isinstance(sent, Mapping) and sent:
            # the values the job set, as the contact's data now holds them (null: unset)
            values = self.properties.get(normalize(contact.get("ID")), {})
            if any(loose(values.get(str(k).lower())) != loose(v) for k, v in sent.items()):
                return False
        if job.list_id is None:
            return True
        member = self.memberships.get((normalize(contact.get("ID")), normalize(job.list_id)))
        return membership_holds(member, job.action or "addnoforce")


def read_state(
    client: ApiClient,
    contact_schema: ObjectSchema,
    member_schema: ObjectSchema,
    jobs: Sequence[BulkJob],
    *,
    workers: int = 4,
    data_schema: ObjectSchema | None = None,
) -> ServerState:
    """Read back the contacts of ``jobs`` and, for list jobs, their memberships of the list;
    with ``data_schema`` (ContactData), the property values of contacts a job set
    Properties on."""
    client.invalidate("contact")
    client.invalidate("listrecipient")
    emails = [Probe(("Email",), (e,)) for job in jobs for e in job.emails]
    found = find_existing(client, contact_schema, emails, workers=workers)
    contacts = {probe.key[0]: rows[0] for probe, rows in found.items() if rows}
    members: list[Probe] = []
    for job in jobs:
        if job.list_id is None:
            continue
        for email in job.emails:
            contact = contacts.get(normalize(email))
            if contact is not None:
                members.append(Probe(("ContactID", "ListID"), (contact.get("ID"), job.list_id)))
    memberships: dict[tuple[str, str], Mapping[str, Any]] = {}
    for probe, rows in find_existing(client, member_schema, members, workers=workers).items():
        if rows:
            memberships[(probe.key[0], probe.key[1])] = rows[0]
    return ServerState(
        contacts, memberships, _properties(client, data_schema, jobs, contacts, workers)
    )


def _properties(
    client: ApiClient,
    data_schema: ObjectSchema | None,
    jobs: Sequence[BulkJob],
    contacts: Mapping[str, Mapping[str, Any]],
    workers: int,
) -> dict[str, dict[str, Any]]:
    """The property values of the contacts the jobs set Properties on, by ContactID: one
    GET /contactdata/{id} each, or one scan of contactdata when that takes fewer requests."""
    if data_schema is None:
        return {}
    wanted = [
        contacts[normalize(entry.get("Email"))].get("ID")
        for job in jobs
        for entry in job.contacts
        if entry.get("Properties") and normalize(entry.get("Email")) in contacts
    ]
    if not wanted:
        return {}
    client.invalidate(data_schema.resource)
    key = data_schema.key or "ID"
    probes = [Probe((key,), (contact_id,)) for contact_id in wanted]
    values: dict[str, dict[str, Any]] = {}
    for probe, rows in find_existing(client, data_schema, probes, workers=workers).items():
        if not rows:
            continue
        items = {str(k).lower(): v for k, v in rows[0].items()}.get("data") or []
        values[probe.key[0]] = {
            str(i.get("Name", "")).lower(): i.get("Value") for i in items if isinstance(i, dict)
        }
    return values


def submit(
    job: BulkJob,
    client: ApiClient,
    options: WriteOptions,
    *,
    state_of: Callable[[Sequence[BulkJob]], ServerState],
    observer: WriteObserver,
    sleep: Sleep = time.sleep,
    stop: threading.Event | None = None,
) -> JobRun:
    """Post ``job``, then poll it until it ends (or its status cannot be read, or ``stop`` is
    set: the statement was interrupted)."""
    halt = stop or threading.Event()
    if halt.is_set():
        return JobRun(job, refused=ApiInterrupted("not sent: the statement was interrupted"))
    lost = False

    def landed() -> bool:
        # The POST's answer was lost: the job landed if its contacts are all there now.
        nonlocal lost
        lost = True
        state = state_of([job])
        return all(state.holds(job, i) for i in range(len(job.rows)))

    observer.sending(job.rows)  # counted before the POST: it may land without an answer
    try:
        page = client.post(job.path, job.body, verify=landed)
    except ApiError as exc:
        observer.submitted(job.rows, None)
        return JobRun(job, refused=exc, maybe_applied=lost)
    job_id = page.data[0].get("JobID") if page.data else None
    observer.submitted(job.rows, int(job_id) if job_id is not None else None)
    if job_id is None:
        # Either the read-back confirmed every contact (no answer, no ID needed), or the API
        # answered without an ID: the rows are settled by reading them back either way.
        return JobRun(job, confirmed=lost, maybe_applied=True, note="the API gave no job ID")
    return _poll(JobRun(job, job_id=int(job_id), maybe_applied=True), client, options, sleep, halt)


class ApiInterrupted(ApiError):
    """A job not sent because the statement was interrupted."""


def _poll(
    run: JobRun, client: ApiClient, options: WriteOptions, sleep: Sleep, stop: threading.Event
) -> JobRun:
    job = run.job
    assert run.job_id is not None
    status_path = f"{job.path}/{quote_segment(run.job_id)}"
    deadline = time.monotonic() + options.poll_timeout
    interval = options.poll_interval
    failures = 0
    row: Mapping[str, Any] = {}
    status = ""
    while True:
        if stop.is_set():
            return _with(run, note="the statement was interrupted while the job ran")
        client.invalidate("contact")  # polls must reach the API, not the GET cache
        client.invalidate("contactslist")
        try:
            status_page = client.get(status_path)
        except ApiNotFoundError:
            return _with(run, note=f"GET {status_path} answers 404")
        except ApiError as exc:
            failures += 1
            if failures >= max(1, options.poll_failures):
                return _with(
                    run, note=f"its status could not be read ({failures} polls failed: {exc})"
                )
        else:
            failures = 0
            row = status_page.data[0] if status_page.data else {}
            status = str(row.get("Status", ""))
            if status.lower() in TERMINAL_JOB_STATUSES:
                break
        if time.monotonic() > deadline:
            return _with(
                run,
                status="",
                note=f"it was still {status or 'running'} after {options.poll_timeout:.0f} s",
            )
        sleep(interval)
        interval = min(options.poll_max_interval, interval * 1.5)
    errors: dict[str, str] = {}
    note = ""
    if row.get("Error") or row.get("ErrorFile") or status.lower() != "completed":
        try:
            errors = _job_errors(client, run.job_id)
        except ApiError as exc:
            note = f"its error file could not be read ({exc})"
    if status.lower() != "completed" and not errors:
        message = str(row.get("Error") or f"the bulk job ended with status {status}")
        errors = {normalize(e): message for e in job.emails}
    return _with(run, status=status, errors=errors, note=note)


def _with(run: JobRun, **changes: Any) -> JobRun:
    from dataclasses import replace

    return replace(run, **changes)


_EMAIL_KEYS = ("email", "contactemail", "contact")


def _error_items(data: Sequence[Any]) -> Iterator[Mapping[str, Any]]:
    """The per-contact error objects of a job's error file, whatever wraps them: the reference
    shows no layout, so a list of objects, an envelope's Data, or an object holding the list
    (``{"Errors": [...]}``) are all read."""
    for item in data:
        if not isinstance(item, dict):
            continue
        if any(str(k).lower() in _EMAIL_KEYS for k in item):
            yield item
            continue
        for value in item.values():
            if isinstance(value, list):
                yield from _error_items(value)


def _job_errors(client: ApiClient, job_id: Any) -> dict[str, str]:
    path = f"/v3/DATA/batchjob/{quote_segment(job_id)}/JSONError/application:json/LAST"
    try:
        page = client.get(path)
    except ApiNotFoundError:
        return {}
    by_email: dict[str, str] = {}
    for item in _error_items(page.data):
        lowered = {str(k).lower(): v for k, v in item.items()}
        email = lowered.get("email") or lowered.get("contactemail") or lowered.get("contact")
        message = lowered.get("error") or lowered.get("errormessage") or lowered.get("message")
        if email:
            by_email[normalize(email)] = str(message or "rejected by the bulk job")
    return by_email


def unexplained_gaps(runs: Sequence[JobRun], state: ServerState) -> bool:
    """Whether a job that ended left contacts off the server without naming them in its error
    file: under eventual consistency they may just not be readable yet."""
    return any(
        not state.holds(run.job, position)
        for run in runs
        if run.finished
        for position, email in enumerate(run.job.emails)
        if normalize(email) not in run.errors
    )


@dataclass(frozen=True)
class Settled:
    """The final outcome of every row of some bulk jobs."""

    outcomes: Mapping[int, Outcome]
    failures: tuple[RowFailure, ...]


def settle(runs: Sequence[JobRun], state: ServerState | ApiError) -> Settled:
    """Each row's outcome from the server's state (or, when it could not be read, ``state`` is
    the error and only what the jobs themselves reported is certain)."""
    outcomes: dict[int, Outcome] = {}
    failures: list[RowFailure] = []
    for run in runs:
        job = run.job
        for position, (index, email) in enumerate(zip(job.rows, job.emails, strict=True)):
            key = f"Email {email}"
            existing = index in job.existing
            job_error = run.errors.get(normalize(email))
            done = (
                Outcome.EXISTED
                if existing and len(job.contacts[position]) == 1
                else Outcome.WRITTEN
            )
            if isinstance(state, ServerState) and state.holds(job, position):
                outcomes[index] = done
                continue
            if run.refused is not None and not run.maybe_applied:
                message = run.refused.api_message or str(run.refused)
                failures.append(RowFailure(index, key, message, run.refused))
            elif job_error is not None:
                failures.append(RowFailure(index, key, job_error))
            elif isinstance(state, ServerState) and run.finished:
                failures.append(
                    RowFailure(
                        index,
                        key,
                        f"not on the server after {run.name} ended ({run.status}) without "
                        "naming it in its error file",
                    )
                )
            elif not isinstance(state, ServerState) and run.finished:
                # The job reported this contact done; the read-back that would confirm it failed.
                outcomes[index] = done
                continue
            else:
                why = run.note or (
                    "its answer was lost" if run.job_id is None else "it has not ended"
                )
                if not isinstance(state, ServerState):
                    why += f"; reading the contacts back failed too ({state})"
                if job.resource == "contactdata":
                    # a job setting contact properties (UPDATE ContactProperties)
                    check = (
                        f"SELECT * FROM ContactProperties WHERE Email = '{_quote(email)}'; "
                        "running the UPDATE again is safe (it sets the same values)"
                    )
                else:
                    check = (
                        f"SELECT ID, Email, Name FROM Contact WHERE Email = '{_quote(email)}'"
                        + (
                            f" and SELECT * FROM ListRecipient WHERE ListID = {job.list_id}"
                            if job.list_id is not None
                            else ""
                        )
                        + "; importing the row again is safe (no duplicate is created)"
                    )
                failures.append(
                    RowFailure(
                        index,
                        key,
                        f"outcome unknown: {run.name} may still apply it ({why}). Check with: "
                        + check,
                        outcome=Outcome.UNKNOWN,
                    )
                )
            outcomes[index] = failures[-1].outcome
    return Settled(outcomes, tuple(failures))


def _quote(text: str) -> str:
    return text.replace("'", "''")
