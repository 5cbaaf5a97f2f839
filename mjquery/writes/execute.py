"""Run a write plan against the API: validate, look up, build the requests, send, settle per row.

``execute(plan, catalog, client)`` is the one entry point; ``dry_run`` stops after building.

* Nothing is sent before the whole plan is validated (:mod:`mjquery.writes.validate`).
* An INSERT first looks up its rows' natural keys (:mod:`mjquery.writes.lookup`): a row whose
  object exists is a duplicate (``OnConflict.ERROR``), left alone (``IGNORE``) or an update
  (``UPDATE``); two rows of the statement with the same key are refused, the second naming the
  first. This is also what makes a lost answer decidable: only an object that was not there
  before proves the INSERT landed.
* One failing row does not stop the others (``OnError.CONTINUE``) unless the caller asks
  (``OnError.STOP``). A refused key pair or an unreachable API stops the statement whatever the
  setting (every other row would fail the same way); the rows not attempted are reported.
* Writes are never repeated blindly: each request carries a ``verify`` that reads the object
  back (:mod:`mjquery.writes.readback`); the API client calls it when the outcome of a write is
  ambiguous (timeout, dropped connection, 5xx) and resends only if the write did not happen.
  An object without a natural key cannot be read back after a lost INSERT: its row is reported
  "outcome unknown", with a SELECT to check, and never sent twice.
* Bulk contact jobs are posted, polled and their rows settled from what the server holds
  (:mod:`mjquery.writes.bulk`).
* The GET cache is cleared by the client on every write, so a SELECT right after sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mjquery.api.client import ApiClient, Page
from mjquery.api.errors import (
    ApiAuthenticationError,
    ApiOutcomeUnknownError,
    ApiPermissionError,
    ApiUnreachableError,
)
from mjquery.errors import ApiError, IntegrityError, ProgrammingError
from mjquery.schema.catalog import CatalogLike
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.builders import build
from mjquery.writes.bulk import (
    JobRun,
    ServerState,
    read_state,
    settle,
    submit,
    unexplained_gaps,
)
from mjquery.writes.lookup import (
    Existing,
    Found,
    Probe,
    find_existing,
    is_complete,
    natural_key,
    normalize,
    probe_for,
)
from mjquery.writes.paths import item_path
from mjquery.writes.plan import (
    ApiWrite,
    BulkJob,
    DryRun,
    OnConflict,
    OnError,
    Outcome,
    RowFailure,
    WriteObserver,
    WriteOptions,
    WritePlan,
    WriteResult,
)
from mjquery.writes.readback import verifier
from mjquery.writes.validate import (
    CheckedRow,
    ValidatedPlan,
    is_contact,
    is_property_table,
    needs_properties,
    validate,
    where,
)

#: Errors that would fail every remaining row the same way: stop the statement.
_SYSTEMIC = (ApiAuthenticationError, ApiPermissionError, ApiUnreachableError)

ProgressCallback = Callable[[int, int], None]  # (rows settled, rows in all)


@dataclass(frozen=True)
class PreparedWrite:
    """A validated plan and its requests, ready to run or to show.

    ``existing``: what the INSERT's natural keys found on the server. ``existed``: rows left
    as they are because their object exists (OnConflict.IGNORE; no request unless a Contact is
    subscribed to a list). ``catalog``: for the bulk jobs' read-back of list memberships.
    """

    validated: ValidatedPlan
    writes: tuple[ApiWrite | BulkJob, ...]
    existing: Existing = field(default_factory=Existing)
    existed: frozenset[int] = frozenset()
    catalog: CatalogLike | None = None

    @property
    def count(self) -> int:
        return sum(len(w.rows) for w in self.writes)


def defined_properties(client: ApiClient) -> tuple[str, ...]:
    """The contact properties defined in ContactMetadata (one paged read)."""
    names: list[str] = []
    for rows in client.scan("/v3/REST/contactmetadata"):
        names.extend(str(r["Name"]) for r in rows if r.get("Name"))
    return tuple(names)


def prepare(
    plan: WritePlan,
    catalog: CatalogLike,
    client: ApiClient | None = None,
    options: WriteOptions = WriteOptions(),
    properties: Collection[str] | None = None,
    known: Found | None = None,
) -> PreparedWrite:
    """Validate ``plan``, look up its natural keys and build its requests (reads only).

    ``known``: what the caller read from the server moments ago for some of an INSERT's
    natural keys (probe -> the objects holding that key, ``()`` for none), as
    :func:`~mjquery.writes.lookup.find_existing` answers. Those keys are not looked up again;
    the others are. What it says is used exactly as a look-up's answer would be: which rows
    collide, and the IDs that existed before (what decides a lost answer later), so it must
    come from a read of the server, not from a guess (a sync passes its own scan).
    """
    schema = catalog.get(plan.table)
    if (
        properties is None
        and needs_properties(plan, schema)
        and client is not None
        and schema.write_rule(plan.operation) is not None
    ):
        properties = defined_properties(client)
    validated = validate(plan, schema, options=options, defined_properties=properties)
    validated, existing, existed = _look_up(validated, client, options, known or {})
    emails = _contact_emails(validated, catalog, client, options)
    return PreparedWrite(
        validated, build(validated, options, existing, emails), existing, existed, catalog
    )


def nothing_written(exc: ApiError, statement: str, step: str) -> ApiError:
    """A read before any write failed: the statement wrote nothing. The error keeps its class
    (unreachable, 401, ...) and says so."""
    return type(exc)(
        f"{statement}: nothing written: {step} failed: {exc}",
        status=exc.status,
        api_message=exc.api_message,
        method=exc.method,
        path=exc.path,
    )


def _contact_emails(
    validated: ValidatedPlan,
    catalog: CatalogLike,
    client: ApiClient | None,
    options: WriteOptions,
) -> dict[int, str]:
    """For an UPDATE of many contacts' properties (``bulk_threshold`` rows or more): each
    row's contact email, which the bulk job addresses contacts by. Read with one GET per
    contact, or one scan of the contacts when that takes fewer requests; empty otherwise
    (the rows then get a PUT each)."""
    schema, plan = validated.schema, validated.plan
    if (
        client is None
        or not is_property_table(schema)
        or plan.operation is not Operation.UPDATE
        or len(validated.rows) < max(1, options.bulk_threshold)
    ):
        return {}
    contact_schema = catalog.get("Contact")
    key = schema.key or "ContactID"
    ids = {row.index: row.address.get("id") for row in validated.rows}
    probes = {index: Probe((contact_schema.key or "ID",), (i,)) for index, i in ids.items()}
    try:
        found = find_existing(
            client, contact_schema, list(probes.values()), workers=options.concurrency
        )
    except ApiError as exc:
        raise nothing_written(
            exc, f"{plan.operation.value} {schema.name}", f"reading the contacts' emails by {key}"
        ) from exc
    emails: dict[int, str] = {}
    for index, probe in probes.items():
        rows = found.get(probe, ())
        email = rows[0].get("Email") if rows else None
        if isinstance(email, str) and email:
            emails[index] = email
    return emails


def duplicate_message(schema: ObjectSchema, probe: Probe) -> str:
    """The API's own words for a duplicate (MJ18), for one found before sending."""
    value = "|".join(str(v) for v in probe.values)
    return (
        f'MJ18 A {schema.name} resource with value "{value}" for '
        f"{'|'.join(probe.columns)} already exists."
    )


def _look_up(
    validated: ValidatedPlan, client: ApiClient | None, options: WriteOptions, known: Found
) -> tuple[ValidatedPlan, Existing, frozenset[int]]:
    """An INSERT's rows against their natural keys: within the statement, then on the server
    (keys in ``known`` are taken from it instead of being read again)."""
    schema, plan = validated.schema, validated.plan
    if plan.operation is not Operation.INSERT or not natural_key(schema):
        return validated, Existing(), frozenset()
    probes = {
        row.index: probe
        for row in validated.rows
        if (probe := probe_for(schema, row.body)) is not None
    }
    refused = list(validated.refused)
    first: dict[Probe, CheckedRow] = {}
    rows: list[CheckedRow] = []
    for row in validated.rows:
        probe = probes.get(row.index)
        if probe is not None and is_complete(schema, probe):
            earlier = first.setdefault(probe, row)
            if earlier is not row:
                message = (
                    f"duplicate of {where(validated.plan, earlier.index)} (same {probe.label()})"
                )
                refused.append(RowFailure(row.index, row.label, message, IntegrityError(message)))
                continue
        rows.append(row)
    if client is None:  # an offline dry run: the server is not asked
        return (
            replace(validated, rows=tuple(rows), refused=tuple(refused)),
            Existing(probes),
            frozenset(),
        )
    unknown = [probes[r.index] for r in rows if r.index in probes and probes[r.index] not in known]
    try:
        found: dict[Probe, tuple[Mapping[str, Any], ...]] = {}
        if unknown:
            client.invalidate(schema.resource)
            found.update(find_existing(client, schema, unknown, workers=options.concurrency))
        found.update({p: tuple(known[p]) for p in probes.values() if p in known})
    except ApiError as exc:
        raise nothing_written(
            exc,
            f"{plan.operation.value} {schema.name}",
            f"looking up the rows' {' and '.join(natural_key(schema))}",
        ) from exc
    objects: dict[int, Mapping[str, Any]] = {}
    baselines: dict[int, frozenset[str]] = {}
    for index, probe in probes.items():
        matching = found.get(probe, ())
        baselines[index] = frozenset(str(r.get("ID")) for r in matching)
        if matching and is_complete(schema, probe):
            objects[index] = matching[0]
    kept: list[CheckedRow] = []
    existed: set[int] = set()
    for row in rows:
        if row.index not in objects:
            kept.append(row)
        elif plan.on_conflict is OnConflict.ERROR:
            message = duplicate_message(schema, probes[row.index])
            refused.append(RowFailure(row.index, row.label, message, IntegrityError(message)))
        elif plan.on_conflict is OnConflict.IGNORE:
            existed.add(row.index)
            if is_contact(schema) and row.list_id is not None:
                kept.append(row)  # still subscribed to the list; nothing else of it changes
        else:
            kept.append(row)
    existing = Existing(probes, objects, baselines)
    return (
        replace(validated, rows=tuple(kept), refused=tuple(refused)),
        existing,
        frozenset(existed),
    )


def dry_run(
    plan: WritePlan,
    catalog: CatalogLike,
    client: ApiClient | None = None,
    options: WriteOptions = WriteOptions(),
) -> DryRun:
    """The writes ``plan`` would make and how many rows would change; sends no write."""
    prepared = prepare(plan, catalog, client, options)
    validated = prepared.validated
    return DryRun(
        validated.schema.name, plan.operation, prepared.count, prepared.writes, validated.refused
    )


def execute(
    plan: WritePlan,
    catalog: CatalogLike,
    client: ApiClient,
    options: WriteOptions = WriteOptions(),
    *,
    progress: ProgressCallback | None = None,
    observer: WriteObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    """Carry out ``plan``; see the module docstring for the guarantees."""
    before = _requests(client)
    prepared = prepare(plan, catalog, client, options)
    result = run(prepared, client, options, progress=progress, observer=observer, sleep=sleep)
    return replace(result, requests=_requests(client) - before)  # the look-ups count too


class _Ledger:
    """Each row's outcome as the statement goes (thread-safe), told to the observer."""

    def __init__(
        self, total: int, observer: WriteObserver, progress: ProgressCallback | None
    ) -> None:
        self.total = total
        self.observer = observer
        self.progress = progress
        self.lock = threading.Lock()
        self.outcomes: dict[int, Outcome] = {}
        self.failures: list[RowFailure] = []
        self.echoes: dict[int, Mapping[str, Any]] = {}

    def record(
        self,
        outcomes: Mapping[int, Outcome],
        failures: Collection[RowFailure] = (),
        echo: Mapping[str, Any] | None = None,
        held: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        """``echo``: the object the write's answer carried (for all ``outcomes``); ``held``:
        per row, the object as read back (bulk jobs)."""
        with self.lock:
            self.outcomes.update(outcomes)
            self.failures.extend(failures)
            for index, outcome in outcomes.items():
                if outcome in (Outcome.WRITTEN, Outcome.EXISTED):
                    self.echoes[index] = (held or {}).get(index) or echo or {}
            done = len(self.outcomes)
        if outcomes:
            self.observer.settled(outcomes)
        if self.progress is not None:
            self.progress(done, self.total)

    def fail(self, failures: Collection[RowFailure]) -> None:
        self.record({f.row_index: f.outcome for f in failures}, failures)


def run(
    prepared: PreparedWrite,
    client: ApiClient,
    options: WriteOptions = WriteOptions(),
    *,
    progress: ProgressCallback | None = None,
    observer: WriteObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    """Send the prepared requests; every row of the plan ends with an outcome."""
    validated = prepared.validated
    schema, plan = validated.schema, validated.plan
    watcher = observer or WriteObserver()
    stats_before = _requests(client)
    ledger = _Ledger(len(plan.rows), watcher, progress)
    ledger.fail(validated.refused)
    silent = prepared.existed - {i for w in prepared.writes for i in w.rows}
    ledger.record(dict.fromkeys(silent, Outcome.EXISTED))
    stop = threading.Event()
    stopped_by: list[ApiError] = []
    job_ids: tuple[int, ...] = ()
    if validated.refused and options.on_error is OnError.STOP:
        stop.set()  # a row is refused before anything is sent: send nothing

    def one(write: ApiWrite) -> None:
        if stop.is_set():
            return
        watcher.submitted(write.rows, None)
        try:
            page = _send(write, client)
        except ApiOutcomeUnknownError as exc:
            settled = _second_look(write, client)
            if settled is True:
                ledger.record(dict.fromkeys(write.rows, Outcome.WRITTEN))
            elif settled is False:
                message = (
                    f"not written: {exc} Reading the object back afterwards showed it was not "
                    "applied."
                )
                ledger.fail([RowFailure(i, write.label, message, exc) for i in write.rows])
            else:
                message = _unknown_message(schema, write, exc)
                ledger.fail(
                    [RowFailure(i, write.label, message, exc, Outcome.UNKNOWN) for i in write.rows]
                )
            return
        except ApiError as exc:
            if isinstance(exc, _SYSTEMIC) or options.on_error is OnError.STOP:
                stop.set()
                stopped_by.append(exc)
            ledger.fail([RowFailure(i, write.label, _message(exc), exc) for i in write.rows])
            return
        echoed = (
            page.data[0]
            if page is not None and page.data and isinstance(page.data[0], dict)
            else {}
        )
        outcome = Outcome.WRITTEN
        if prepared.existed.intersection(write.rows):
            outcome = Outcome.EXISTED  # subscribed to the list; the contact itself is unchanged
        ledger.record(dict.fromkeys(write.rows, outcome), echo=echoed)

    writes = [w for w in prepared.writes if isinstance(w, ApiWrite)]
    jobs = [w for w in prepared.writes if isinstance(w, BulkJob)]
    workers = 1 if options.on_error is OnError.STOP else options.concurrency
    in_parallel(one, writes, workers, stop)
    if jobs and not stop.is_set():
        job_ids = _run_jobs(jobs, prepared, client, options, ledger, watcher, sleep, stop)

    not_attempted = [
        RowFailure(
            i,
            _label_of(validated, i),
            "not attempted: "
            + (
                f"the statement stopped ({_message(stopped_by[0])})"
                if stopped_by
                else "the statement stopped at the first failure"
            ),
            outcome=Outcome.NOT_ATTEMPTED,
        )
        for i in range(len(plan.rows))
        if i not in ledger.outcomes
    ]
    ledger.fail(not_attempted)
    for resource in {w.resource for w in prepared.writes}:
        client.invalidate(resource)
    written = {
        i: ledger.echoes.get(i, {}) for i, o in ledger.outcomes.items() if o is Outcome.WRITTEN
    }
    returned: tuple[Mapping[str, Any], ...] = ()
    if plan.returning and written:
        returned = _returning(schema, plan, validated, written, client)
    failures = sorted(ledger.failures, key=lambda f: f.row_index)
    updated = tuple(sorted(i for i in written if i in prepared.existing.objects))
    return WriteResult(
        written=len(written),
        failed=tuple(failures),
        returned_rows=returned,
        returned_columns=_returning_columns(schema, plan.returning),
        stopped=bool(not_attempted),
        skipped=len(not_attempted),
        requests=_requests(client) - stats_before,
        written_indexes=tuple(sorted(written)),
        existed=tuple(sorted(i for i, o in ledger.outcomes.items() if o is Outcome.EXISTED)),
        updated=updated,
        job_ids=job_ids,
        server_rows={
            i: echo
            for i, echo in ledger.echoes.items()
            if echo and ledger.outcomes.get(i) in (Outcome.WRITTEN, Outcome.EXISTED)
        },
    )


#: Rounds of the read-back that settles bulk jobs' rows (each GET already retried by the client).
READ_BACK_ROUNDS = 3


def _run_jobs(
    jobs: list[BulkJob],
    prepared: PreparedWrite,
    client: ApiClient,
    options: WriteOptions,
    ledger: _Ledger,
    watcher: WriteObserver,
    sleep: Callable[[float], None],
    stop: threading.Event,
) -> tuple[int, ...]:
    """Post and poll the bulk jobs, then settle all their rows from one read-back."""
    catalog = prepared.catalog
    if catalog is None:  # pragma: no cover - prepare() always sets it
        raise ProgrammingError("bulk jobs need the catalog to read their rows back")
    contacts, members = catalog.get("Contact"), catalog.get("ListRecipient")
    # jobs that set contact properties are checked against the contacts' data too
    sets_properties = any(entry.get("Properties") for job in jobs for entry in job.contacts)
    data = catalog.get("ContactData") if sets_properties else None

    def state_of(some: Sequence[BulkJob]) -> ServerState:
        return read_state(
            client, contacts, members, some, workers=options.concurrency, data_schema=data
        )

    def one(job: BulkJob) -> JobRun:
        run = submit(
            job, client, options, state_of=state_of, observer=watcher, sleep=sleep, stop=stop
        )
        refused = tuple(
            index
            for index, email in zip(job.rows, job.emails, strict=True)
            if normalize(email) in run.errors
        )
        watcher.job_finished(run.job_id, run.status, job.rows, refused)
        return run

    runs = in_parallel(
        one, jobs, 1 if options.on_error is OnError.STOP else options.concurrency, stop
    )
    state: ServerState | ApiError = ApiError("the contacts were not read back")
    for _ in range(READ_BACK_ROUNDS):
        # A read: trying it again is harmless, and each failed round leaves rows "outcome
        # unknown" that the server may well hold.
        try:
            # Production is eventually consistent: a job reports Completed before its contacts
            # can be read. Contacts of finished jobs that are missing without a reason are read
            # again, with backoff, up to the client's consistency_wait, before they are called
            # failed.
            state = client.poll(
                lambda: state_of(jobs), lambda found: not unexplained_gaps(runs, found)
            )
            break
        except ApiError as exc:
            state = exc
    settled = settle(runs, state)
    # the contacts as read back: what the server holds for each settled row (callers reuse it
    # instead of reading the contacts once more)
    held = (
        {
            index: contact
            for run in runs
            for index, email in zip(run.job.rows, run.job.emails, strict=True)
            if (contact := state.contacts.get(normalize(email))) is not None
        }
        if isinstance(state, ServerState)
        else {}
    )
    ledger.record(
        {i: o for i, o in settled.outcomes.items() if o in (Outcome.WRITTEN, Outcome.EXISTED)},
        held=held,
    )
    ledger.fail(settled.failures)
    return tuple(run.job_id for run in runs if run.job_id is not None)


T = TypeVar("T")
R = TypeVar("R")


def in_parallel(
    work: Callable[[T], R], items: Sequence[T], workers: int, stop: threading.Event
) -> list[R]:
    """``work`` on each item, ``workers`` at a time, results in order. When one raises (an
    error, or KeyboardInterrupt in the caller), ``stop`` is set and the items not started are
    dropped at once: the caller does not wait for them."""
    if workers <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    pool = ThreadPoolExecutor(
        max_workers=min(workers, len(items)), thread_name_prefix="mjquery-write"
    )
    try:
        futures = [pool.submit(work, item) for item in items]
        return [future.result() for future in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _label_of(validated: ValidatedPlan, index: int) -> str:
    for row in validated.rows:
        if row.index == index:
            return row.label
    return where(validated.plan, index)


def _second_look(write: ApiWrite, client: ApiClient) -> bool | None:
    """After a lost answer whose read-back failed too: read back once more (the client retries
    it again). True: applied; False: not applied; None: still unknown."""
    if write.read_back is None:
        return None
    client.clear_cache()
    try:
        result = verifier(client, write.read_back)()
    except ApiError:
        return None
    if isinstance(result, Page):
        return bool(result.data)
    return result


def _unknown_message(schema: ObjectSchema, write: ApiWrite, exc: ApiError) -> str:
    check = write.check or (
        f'SELECT * FROM "{schema.name}" WHERE "{schema.key}" = {write.label.split()[-1]}'
        if schema.key and write.label.startswith(f"{schema.key} ")
        else ""
    )
    text = f"outcome unknown: {exc}"
    if check:
        text += f" Check with: {check}"
        if write.method == "POST" and write.read_back is None:
            text += f" ({schema.name} has no natural key to look the row up by)"
    return text


def _requests(client: ApiClient) -> int:
    return client.stats.requests


def _message(exc: ApiError) -> str:
    return exc.api_message or str(exc)


# -- one request ---------------------------------------------------------------------------------


def _send(write: ApiWrite, client: ApiClient) -> Page | None:
    verify = verifier(client, write.read_back) if write.read_back is not None else None
    if write.method == "POST":
        return client.post(write.path, write.body, verify=verify)
    if write.method == "PUT":
        return client.put(write.path, write.body, verify=verify)
    if write.method == "DELETE":
        client.delete(write.path, verify=verify)
        return None
    raise ProgrammingError(f"Unknown write method {write.method}")  # pragma: no cover


# -- RETURNING -----------------------------------------------------------------------------------


def _returning_columns(schema: ObjectSchema, returning: tuple[str, ...]) -> tuple[str, ...]:
    if not returning:
        return ()
    if returning == ("*",):
        return schema.column_names
    names = []
    for name in returning:
        column = schema.column(name)
        if column is None:
            raise ProgrammingError(f"RETURNING {name}: {schema.name} has no such column")
        names.append(column.name)
    return tuple(names)


def _returning(
    schema: ObjectSchema,
    plan: WritePlan,
    validated: ValidatedPlan,
    written: Mapping[int, Mapping[str, Any]],
    client: ApiClient,
) -> tuple[Mapping[str, Any], ...]:
    """The written rows as the API now has them (the echo, or one GET when the echo is partial)."""
    columns = _returning_columns(schema, plan.returning)
    out = []
    by_index = {r.index: r for r in validated.rows}
    for index in sorted(written):
        echoed = written[index]
        row = echoed
        if not all(c in echoed for c in columns):
            key = _read_key(schema, plan, by_index[index], echoed)
            if key is not None:
                try:
                    page = client.get(item_path(schema, key))
                    row = page.data[0] if page.data else echoed
                except ApiError:
                    row = echoed
        out.append({c: row.get(c) for c in columns})
    return tuple(out)


def _read_key(
    schema: ObjectSchema, plan: WritePlan, row: CheckedRow, echoed: Mapping[str, Any]
) -> Any:
    if plan.operation is not Operation.INSERT:
        return row.address.get("id")
    for name in ("ID", "ContactID"):
        if echoed.get(name) not in (None, ""):
            return echoed[name]
    for unique in schema.unique_keys:
        if len(unique) == 1 and row.body.get(unique[0]) not in (None, ""):
            return row.body[unique[0]]
    return None
