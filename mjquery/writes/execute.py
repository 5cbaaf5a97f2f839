"""Run a write plan against the API: validate, build the requests, send them, report per row.

``execute(plan, catalog, client)`` is the one entry point; ``dry_run`` stops after building.

* Nothing is sent before the whole plan is validated (:mod:`mjquery.writes.validate`).
* One failing row does not stop the others (``OnError.CONTINUE``) unless the caller asks
  (``OnError.STOP``). The result lists every failed row with the API's message; ``written`` is
  the rowcount. A refused key pair or an unreachable API stops the statement whatever the
  setting (every other row would fail the same way); the rows not attempted are counted.
* Writes are never repeated blindly: each request carries a ``verify`` that reads the object
  back (:class:`~mjquery.writes.plan.ReadBack`); the API client calls it when the outcome of a
  write is ambiguous (timeout, dropped connection, 5xx) and resends only if the write did not
  happen.
* Bulk contact jobs are posted, polled until they end, and their per-contact errors fetched
  (:func:`run_bulk_job`).
* The GET cache is cleared by the client on every write, so a SELECT right after sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from mjquery.api.client import Page
from mjquery.api.errors import (
    ApiAuthenticationError,
    ApiNotFoundError,
    ApiPermissionError,
    ApiUnreachableError,
)
from mjquery.api.paths import quote_segment
from mjquery.errors import ApiError, OperationalError, ProgrammingError
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.builders import build, item_path
from mjquery.writes.plan import (
    ApiWrite,
    BulkJob,
    DryRun,
    OnError,
    ReadBack,
    RowFailure,
    WriteOptions,
    WritePlan,
    WriteResult,
)
from mjquery.writes.validate import ValidatedPlan, needs_properties, validate

#: Job statuses after which a bulk job does no more work (guide: Completed, Error, Abort).
TERMINAL_JOB_STATUSES = frozenset({"completed", "error", "abort", "aborted"})

#: Errors that would fail every remaining row the same way: stop the statement.
_SYSTEMIC = (ApiAuthenticationError, ApiPermissionError, ApiUnreachableError)

ProgressCallback = Callable[[int, int], None]  # (rows done, rows in all)


class CatalogLike(Protocol):
    def get(self, name: str) -> ObjectSchema: ...


@dataclass(frozen=True)
class PreparedWrite:
    """A validated plan and its requests, ready to run or to show."""

    validated: ValidatedPlan
    writes: tuple[ApiWrite | BulkJob, ...]

    @property
    def count(self) -> int:
        return sum(len(w.rows) for w in self.writes)


def defined_properties(client: Any) -> tuple[str, ...]:
    """The contact properties defined in ContactMetadata (one paged read)."""
    names: list[str] = []
    for rows in client.scan("/v3/REST/contactmetadata"):
        names.extend(str(r["Name"]) for r in rows if r.get("Name"))
    return tuple(names)


def prepare(
    plan: WritePlan,
    catalog: CatalogLike,
    client: Any | None = None,
    options: WriteOptions = WriteOptions(),
    properties: Collection[str] | None = None,
) -> PreparedWrite:
    """Validate ``plan`` and build its requests. Only ContactData reads ContactMetadata (a GET)."""
    schema = catalog.get(plan.table)
    if (
        properties is None
        and needs_properties(plan, schema)
        and client is not None
        and schema.write_rule(plan.operation) is not None
    ):
        properties = defined_properties(client)
    validated = validate(plan, schema, options=options, defined_properties=properties)
    return PreparedWrite(validated, build(validated, options))


def dry_run(
    plan: WritePlan,
    catalog: CatalogLike,
    client: Any | None = None,
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
    client: Any,
    options: WriteOptions = WriteOptions(),
    *,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    """Carry out ``plan``; see the module docstring for the guarantees."""
    prepared = prepare(plan, catalog, client, options)
    return run(prepared, client, options, progress=progress, sleep=sleep)


def run(
    prepared: PreparedWrite,
    client: Any,
    options: WriteOptions = WriteOptions(),
    *,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    validated = prepared.validated
    schema, plan = validated.schema, validated.plan
    stats_before = _requests(client)
    failures: list[RowFailure] = list(validated.refused)
    written_rows: dict[int, Mapping[str, Any]] = {}
    stop = threading.Event()
    lock = threading.Lock()
    done = 0
    total = prepared.count

    def report(rows: int) -> None:
        nonlocal done
        with lock:
            done += rows
            current = done
        if progress is not None:
            progress(current, total)

    def one(write: ApiWrite | BulkJob) -> None:
        if stop.is_set():
            return
        if isinstance(write, BulkJob):
            outcome = run_bulk_job(write, client, options, sleep=sleep)
            with lock:
                for index in write.rows:
                    if index not in outcome.failed_rows:
                        written_rows[index] = {}
                failures.extend(outcome.failures)
            if outcome.failures and options.on_error is OnError.STOP:
                stop.set()
            report(len(write.rows))
            return
        try:
            page = _send(write, client)
        except _SYSTEMIC as exc:
            stop.set()
            with lock:
                failures.extend(RowFailure(i, write.label, _message(exc), exc) for i in write.rows)
            report(len(write.rows))
            return
        except ApiError as exc:
            with lock:
                failures.extend(RowFailure(i, write.label, _message(exc), exc) for i in write.rows)
            if options.on_error is OnError.STOP:
                stop.set()
            report(len(write.rows))
            return
        echoed = (
            page.data[0]
            if page is not None and page.data and isinstance(page.data[0], dict)
            else {}
        )
        with lock:
            for index in write.rows:
                written_rows[index] = echoed
        report(len(write.rows))

    writes = prepared.writes
    workers = max(1, options.concurrency)
    if workers == 1 or options.on_error is OnError.STOP or len(writes) <= 1:
        for write in writes:
            one(write)
    else:
        with ThreadPoolExecutor(
            max_workers=min(workers, len(writes)), thread_name_prefix="mjquery-write"
        ) as pool:
            list(pool.map(one, writes))

    attempted = set(written_rows) | {f.row_index for f in failures}
    skipped = sum(1 for w in writes for i in w.rows if i not in attempted)
    for resource in {w.resource for w in writes}:
        client.invalidate(resource)
    returned: tuple[Mapping[str, Any], ...] = ()
    if plan.returning and written_rows:
        returned = _returning(schema, plan, validated, written_rows, client)
    failures.sort(key=lambda f: f.row_index)
    return WriteResult(
        written=len(written_rows),
        failed=tuple(failures),
        returned_rows=returned,
        returned_columns=_returning_columns(schema, plan.returning),
        stopped=stop.is_set() and skipped > 0,
        skipped=skipped,
        requests=_requests(client) - stats_before,
        written_indexes=tuple(sorted(written_rows)),
    )


def _requests(client: Any) -> int:
    stats = getattr(client, "stats", None)
    return int(getattr(stats, "requests", 0)) if stats is not None else 0


def _message(exc: ApiError) -> str:
    return exc.api_message or str(exc)


# -- one request ---------------------------------------------------------------------------------


def _send(write: ApiWrite, client: Any) -> Page | None:
    verify = verifier(client, write.read_back) if write.read_back is not None else None
    if write.method == "POST":
        return client.post(write.path, write.body, verify=verify)
    if write.method == "PUT":
        return client.put(write.path, write.body, verify=verify)
    if write.method == "DELETE":
        client.delete(write.path, verify=verify)
        return None
    raise ProgrammingError(f"Unknown write method {write.method}")  # pragma: no cover


def verifier(client: Any, read_back: ReadBack) -> Callable[[], bool | Page]:
    """A ``verify`` for the API client: read the object back; did the write take effect?"""

    def verify() -> bool | Page:
        try:
            page = client.get(read_back.path, dict(read_back.params))
        except ApiNotFoundError:
            return read_back.expect is ReadBack.Expect.GONE
        rows = [r for r in page.data if isinstance(r, dict)]
        expect = read_back.expect
        if expect is ReadBack.Expect.EXISTS:
            return page if rows else False
        if expect is ReadBack.Expect.MATCHES:
            return page if rows and matches(rows[0], read_back.fields) else False
        if expect is ReadBack.Expect.LISTED:
            wanted = {str(v) for v in read_back.fields.get("ListID", ())}
            present = {str(r.get("ListID")) for r in rows}
            return wanted <= present
        return False  # GONE, and it is still there

    return verify


def matches(row: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Whether ``row`` carries ``fields`` (contact data compared property by property)."""
    lowered = {k.lower(): v for k, v in row.items()}
    for name, wanted in fields.items():
        have = lowered.get(name.lower())
        if name.lower() == "data" and isinstance(wanted, list):
            values = {
                str(d.get("Name")).lower(): d.get("Value")
                for d in have or []
                if isinstance(d, dict)
            }
            for item in wanted:
                if _loose(values.get(str(item["Name"]).lower())) != _loose(item["Value"]):
                    return False
            continue
        if _loose(have) != _loose(wanted):
            return False
    return True


def _loose(value: Any) -> Any:
    # The API echoes some values as strings ("30", "true") and others as JSON scalars.
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return ""
    return str(value)


# -- bulk jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    job_id: int | None
    status: str
    failures: tuple[RowFailure, ...]

    @property
    def failed_rows(self) -> frozenset[int]:
        return frozenset(f.row_index for f in self.failures)


def run_bulk_job(
    job: BulkJob, client: Any, options: WriteOptions, *, sleep: Callable[[float], None] = time.sleep
) -> BulkOutcome:
    """Post one ``managemanycontacts`` job, poll it until it ends, collect per-contact errors."""

    def resend() -> bool:
        # The guide: re-uploading the same contacts creates no duplicates (names and
        # properties are updated). So when the POST's answer is lost, sending the job again
        # is safe; there is no job id to read back without its answer.
        return False

    try:
        page = client.post(job.path, job.body, verify=resend)
    except ApiError as exc:
        message = _message(exc)
        return BulkOutcome(
            None,
            "not started",
            tuple(
                RowFailure(i, f"Email {e}", message)
                for i, e in zip(job.rows, job.emails, strict=True)
            ),
        )
    job_id = page.data[0].get("JobID") if page.data else None
    if job_id is None:
        raise OperationalError(
            f"POST {job.path} answered no JobID; the import's outcome is unknown"
        )
    status_path = f"{job.path}/{quote_segment(job_id)}"
    deadline = time.monotonic() + options.poll_timeout
    interval = options.poll_interval
    row: Mapping[str, Any] = {}
    while True:
        client.invalidate("contact")  # polls must reach the API, not the GET cache
        client.invalidate("contactslist")
        status_page = client.get(status_path)
        row = status_page.data[0] if status_page.data else {}
        status = str(row.get("Status", ""))
        if status.lower() in TERMINAL_JOB_STATUSES:
            break
        if time.monotonic() > deadline:
            raise OperationalError(
                f"Bulk contact job {job_id} is still {status or 'running'} after "
                f"{options.poll_timeout:.0f} s; check it with GET {status_path}"
            )
        sleep(interval)
        interval = min(options.poll_max_interval, interval * 1.5)
    errors = (
        _job_errors(client, job_id)
        if (row.get("Error") or row.get("ErrorFile") or status.lower() != "completed")
        else []
    )
    by_email: dict[str, str] = {}
    for item in errors:
        lowered = {str(k).lower(): v for k, v in item.items()}
        email = lowered.get("email") or lowered.get("contactemail") or lowered.get("contact")
        message = lowered.get("error") or lowered.get("errormessage") or lowered.get("message")
        if email:
            by_email[str(email).lower()] = str(message or "rejected by the bulk job")
    failures = [
        RowFailure(i, f"Email {e}", by_email[e.lower()])
        for i, e in zip(job.rows, job.emails, strict=True)
        if e.lower() in by_email
    ]
    if status.lower() != "completed" and not failures:
        message = str(row.get("Error") or f"the bulk job ended with status {status}")
        failures = [
            RowFailure(i, f"Email {e}", message) for i, e in zip(job.rows, job.emails, strict=True)
        ]
    return BulkOutcome(int(job_id), status, tuple(failures))


def _job_errors(client: Any, job_id: Any) -> list[Mapping[str, Any]]:
    path = f"/v3/DATA/batchjob/{quote_segment(job_id)}/JSONError/application:json/LAST"
    try:
        page = client.get(path)
    except ApiNotFoundError:
        return []
    return [r for r in page.data if isinstance(r, dict)]


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
    client: Any,
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


def _read_key(schema: ObjectSchema, plan: WritePlan, row: Any, echoed: Mapping[str, Any]) -> Any:
    if plan.operation is not Operation.INSERT:
        return row.address.get("id")
    for name in ("ID", "ContactID"):
        if echoed.get(name) not in (None, ""):
            return echoed[name]
    for unique in schema.unique_keys:
        if len(unique) == 1 and row.body.get(unique[0]) not in (None, ""):
            return row.body[unique[0]]
    return None
