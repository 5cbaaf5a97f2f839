"""Import jobs: copying one list into another (``importlist``), the CSV import flow (``csvimport``),
and the DATA API they use (CSV uploads, the error files of bulk and import jobs).

``POST /v3/REST/contactslist/{id}/importlist {"ListID": <source>, "Action": <action>}`` copies
every member of the source list into list ``{id}`` at once and answers
``[{"Action", "ListID", "JobID"}]`` (the reference's fields). ``GET .../importlist/{JobID}``
polls the job like a ``managemanycontacts`` job: the same three fields plus ``Status``
(``In Progress`` on the first poll, then ``Completed``), ``Count`` (members copied), ``JobStart``,
``JobEnd``, ``Error`` and ``ErrorFile``; ``GET .../importlist`` lists the list's import jobs. The
job is also a ``batchjob`` row (JobType ``Import list``). Actions (Node ``ImportListAction``):

==========================  ========================================================================
``addforce``                add each member to the list and (re)subscribe it
``addnoforce``              add each member; a contact already on the list keeps its subscription
``unsub``                   add each member as unsubscribed / unsubscribe it
``duplicate-override``      copy each member with its subscription state on the source list,
                            overriding the state of a contact already on the list (Go SDK comment)
``duplicate-no-override``   copy with the source state; a contact already on the list is left as is
==========================  ========================================================================

A source list equal to the destination, an unknown source list or an unknown action is 400.
Anonymised contacts are not copied.

CSV import (api-behaviour section 9): ``POST /v3/DATA/contactslist/{id}/CSVData/text:plain``
stores the CSV and answers ``{"ID": <data id>}``; ``POST /v3/REST/csvimport {ContactsListID,
DataID, Method, ImportOptions, ErrTreshold}`` creates the job row with ``Status`` ``Upload``.
Each ``GET /v3/REST/csvimport/{ID}`` moves the job one step: ``Prepare`` (``JobStart`` set),
``Importing`` (``Current`` = data lines), then ``Completed`` -- or ``Error`` when no line could be
imported -- with ``Count`` = contacts imported, ``Errcount`` = lines refused and ``JobEnd``; the
contacts are written on that last step, so ``PUT /csvimport/{ID} {"Status": "Abort"}`` before it
imports nothing. The collection ``GET /csvimport`` shows the rows without moving them.
Choices where the guide is silent:

- ``Method`` defaults to ``addnoforce``; ``excludemarketing`` / ``includemarketing`` with a
  ``ContactsListID`` is the guide's 400 MJ08; other methods without one are 400.
- The first line is the header (property names; the ``email`` column, any case, is the address)
  unless ``ImportOptions`` gives ``FieldNames``. Each line is one record (quoted fields may not
  span lines). A ``name`` column is a property, as the guide says, not the contact's Name.
- Properties not defined in ``contactmetadata`` are created as ``str``. Values of ``int``,
  ``float``, ``bool`` and ``datetime`` properties are checked; datetimes take ``DateTimeFormat``
  (``yyyy``, ``mm``, ``dd``, ``hh``, ``nn``/``mi``, ``ss`` tokens) with ``TimezoneOffset`` hours,
  else RFC 3339 or Unix seconds, and are stored as RFC 3339 UTC. An empty cell leaves the
  property unchanged.
- A refused line (too few / too many columns, invalid or repeated email, a value of the wrong
  type) is reported, the others are imported. ``ErrTreshold`` is stored, not enforced.
- ``remove`` of an address that is no contact is a no-op; ``remove`` and ``unsub`` ignore properties.
- ``PUT`` may only set ``Status`` to ``Abort`` while the job runs (400 once it has ended; a PUT
  that changes nothing is 304); changing any other property is 400.
- ``GET /v3/DATA/batchjob/{csvimport ID}/CSVError/text:csv`` answers ``text/csv``: the file's
  header line (when it had one) with an ``error`` column added, then every refused line with its
  error, e.g. ``"bar@example.com",###Too few columns at line 3``. Unknown id: 404 ``Source object
  not found`` (recorded). CSV imports add no ``batchjob`` row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from mjquery.sandbox.api.actions import (
    SUBSCRIPTION_ACTIONS,
    Handler,
    _parent,
    job_error_file,
    job_row,
    new_job,
    set_properties,
    subscribe,
    sync_batchjob,
    upsert_contact,
)
from mjquery.sandbox.api.store import Row
from mjquery.sandbox.api.wire import (
    EMAIL,
    JSON_HEADERS,
    ApiError,
    SandboxRequest,
    SandboxResponse,
    body_value,
    envelope,
    not_found,
    object_body,
)

if TYPE_CHECKING:
    from mjquery.sandbox.api.core import Sandbox

IMPORTLIST_ACTIONS = (
    "addforce",
    "addnoforce",
    "unsub",
    "duplicate-override",
    "duplicate-no-override",
)
CSV_METHODS = (*SUBSCRIPTION_ACTIONS, "excludemarketing", "includemarketing")
GLOBAL_METHODS = ("excludemarketing", "includemarketing")
RUNNING = ("Upload", "Prepare", "Importing")
CSV_HEADERS = (("Content-Type", "text/csv"),)


# -- importlist -----------------------------------------------------------------------------------


def _importlist(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    target = _parent(sb, "contactslist", key)
    if method == "GET":
        jobs = [
            j for j in sb._jobs.values() if j.kind == "importlist" and j.list_id == target["ID"]
        ]
        if rest:
            jobs = [j for j in jobs if str(j.id) == rest[0]]
            if not jobs:
                raise not_found()
        rows = []
        for job in jobs:
            if rest:
                job.polls += 1  # polling moves the job along, as for managemanycontacts
                sync_batchjob(sb, job)
            rows.append({**(job.detail or {}), **job_row(sb, job)})
        return envelope(rows)
    if rest:
        raise ApiError(405, "Method not allowed")
    body = object_body(request.body)
    source_id, action = body_value(body, "ListID"), body_value(body, "Action")
    lists = sb.store.table("contactslist").by_id()
    source = (
        lists.get(int(source_id))
        if isinstance(source_id, int | str) and str(source_id).isdigit()
        else None
    )
    if source is None:
        raise ApiError(
            400, f'Property "ListID", value "{source_id}" could not be resolved to an object'
        )
    if source["ID"] == target["ID"]:
        raise ApiError(400, "The source list and the destination list must be different")
    if not isinstance(action, str) or action.lower() not in IMPORTLIST_ACTIONS:
        raise ApiError(
            400,
            "Object properties invalid",
            {"Properties": [{"Action": "action missing or not valid"}]},
        )
    copied = copy_members(sb, source, target, action.lower())
    detail = {"Action": action.lower(), "ListID": source["ID"]}
    job = new_job(
        sb, target["ID"], copied, [], kind="importlist", job_type="Import list", detail=detail
    )
    detail["JobID"] = job.id
    return envelope([dict(detail)], 201)


def copy_members(sb: Sandbox, source: Row, target: Row, action: str) -> int:
    """Apply an importlist action for every member of ``source``; the number of contacts copied."""
    contacts = sb.store.table("contact").by_id()
    copied = 0
    # A snapshot: subscribing changes the recipient index being read.
    for recipient in list(sb.store.recipients_by_list().get(source["ID"], ())):
        contact = contacts.get(recipient.get("ContactID"))
        if contact is None or contact["ID"] in sb.store.anonymized:
            continue
        existing = any(
            r.get("ListID") == target["ID"]
            for r in sb.store.recipients_by_contact().get(contact["ID"], ())
        )
        if action in SUBSCRIPTION_ACTIONS:
            subscribe(sb, contact, target, action)
        elif action == "duplicate-override" or not existing:
            subscribe(
                sb, contact, target, "unsub" if recipient.get("IsUnsubscribed") else "addforce"
            )
        copied += 1
    return copied


# -- csvimport ------------------------------------------------------------------------------------


@dataclass
class CsvImportJob:
    """The state of one CSV import beside its ``csvimport`` row: the data, the options, the outcome."""

    id: int
    data_id: int
    list_id: int | None
    method: str
    field_names: tuple[str, ...] | None
    date_format: str | None
    timezone_offset: float
    polls: int = 0
    header_line: str | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)  # (original line, error)


def create_csvimport(sb: Sandbox, body: dict[str, Any]) -> SandboxResponse:
    """``POST /v3/REST/csvimport``: check the request and create the job row (Status ``Upload``)."""
    spec = sb.specs["csvimport"]
    body = {
        k: v for k, v in body.items() if k.lower() != "status"
    }  # a new job always starts at Upload
    values = sb._assignments(spec, body, creating=True)
    method = str(values.get("Method") or "addnoforce").lower()
    if method not in CSV_METHODS:
        raise ApiError(400, f'Invalid value for property "Method": "{values.get("Method")}"')
    list_id = values.get("ContactsListID") or None
    if method in GLOBAL_METHODS and list_id is not None:
        raise ApiError(
            400,
            "MJ08 Property ContactsList is invalid: Exclusion of contacts from marketing campaign is a global status "
            "and can not be applied to a list",
        )
    if method not in GLOBAL_METHODS:
        if list_id is None:
            raise ApiError(400, 'Mandatory property "ContactsListID" is missing')
        if list_id not in sb.store.table("contactslist").by_id():
            raise ApiError(
                400,
                f'Property "ContactsList", value "{list_id}" could not be resolved to an object',
            )
    data_id = values.get("DataID")
    if data_id is None:
        raise ApiError(400, 'Mandatory property "DataID" is missing')
    if data_id not in sb._csv_data:
        raise ApiError(
            400, f'Property "Data", value "{data_id}" could not be resolved to an object'
        )
    field_names, date_format, offset = _import_options(str(values.get("ImportOptions") or ""))
    table = sb.store.table("csvimport")
    row: Row = {f.name: {"int": 0}.get(f.type, "") for f in spec.fields}
    row.update(
        ID=table.next_id(),
        ContactsListID=list_id or 0,
        DataID=data_id,
        ErrTreshold=values.get("ErrTreshold", 0),
        ImportOptions=values.get("ImportOptions", ""),
        Method=method,
        RequestAt=sb.store.clock_iso(),
        Status="Upload",
    )
    table.insert(row)
    sb._csv_jobs[row["ID"]] = CsvImportJob(
        id=row["ID"],
        data_id=data_id,
        list_id=list_id,
        method=method,
        field_names=field_names,
        date_format=date_format,
        timezone_offset=offset,
    )
    return envelope([row], 201)


def _import_options(text: str) -> tuple[tuple[str, ...] | None, str | None, float]:
    if not text.strip():
        return None, None, 0.0
    try:
        options = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ApiError(400, f'Invalid value for property "ImportOptions": "{text}"') from None
    if not isinstance(options, dict):
        raise ApiError(400, f'Invalid value for property "ImportOptions": "{text}"')
    names = body_value(options, "FieldNames")
    date_format = body_value(options, "DateTimeFormat")
    offset = body_value(options, "TimezoneOffset") or 0
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise ApiError(
            400, 'Invalid value for property "ImportOptions": FieldNames must be a list of names'
        )
    if not isinstance(offset, int | float) or isinstance(offset, bool):
        raise ApiError(
            400, 'Invalid value for property "ImportOptions": TimezoneOffset must be a number'
        )
    return (
        (tuple(names) if names is not None else None),
        (str(date_format) if date_format else None),
        float(offset),
    )


def csvimport_item(sb: Sandbox, method: str, row: Row, request: SandboxRequest) -> SandboxResponse:
    """``GET`` (one step further per poll) or ``PUT`` (abort) of one csvimport job."""
    job = sb._csv_jobs.get(row["ID"])
    table = sb.store.table("csvimport")
    if method == "GET":
        if job is not None and row.get("Status") in RUNNING:
            _advance(sb, job, row)
            table.touch()
        return envelope([row])
    body = object_body(request.body)
    values = sb._assignments(sb.specs["csvimport"], body, creating=False)
    changes = {k: v for k, v in values.items() if row.get(k) != v}
    if not changes:
        return SandboxResponse(304)
    if set(changes) != {"Status"}:
        raise ApiError(400, 'Only "Status" can be changed on an import job')
    if changes["Status"] != "Abort":
        raise ApiError(
            400,
            f'Invalid value for property "Status": "{changes["Status"]}" (only "Abort" is accepted)',
        )
    if row.get("Status") not in RUNNING:
        raise ApiError(400, f'The import job has already ended (Status "{row.get("Status")}")')
    stamp = sb.store.clock_iso()
    row.update(Status="Abort", JobEnd=stamp, AliveAt=stamp)
    table.touch()
    return envelope([row])


def _advance(sb: Sandbox, job: CsvImportJob, row: Row) -> None:
    stamp = sb.store.clock_iso()
    row["AliveAt"] = stamp
    if row["Status"] == "Upload":
        row.update(Status="Prepare", JobStart=stamp)
        return
    lines = _data_lines(sb, job)
    if row["Status"] == "Prepare":
        row.update(Status="Importing", Current=len(lines))
        return
    imported = _run_import(sb, job, lines)
    row.update(
        Status="Completed" if imported or (not lines and not job.refused) else "Error",
        Count=imported,
        Current=len(lines),
        Errcount=len(job.refused),
        JobEnd=stamp,
    )


def _data_lines(sb: Sandbox, job: CsvImportJob) -> list[tuple[int, str]]:
    """The data lines of the job's file with their 1-based line numbers (blank lines left out)."""
    text = sb._csv_data[job.data_id].decode("utf-8", errors="replace").lstrip("\ufeff")
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if job.field_names is None and numbered:
        job.header_line = numbered[0][1]
        return numbered[1:]
    return numbered


def _cells(line: str) -> list[str]:
    return next(csv.reader([line], skipinitialspace=True), [])


def _run_import(sb: Sandbox, job: CsvImportJob, lines: list[tuple[int, str]]) -> int:
    """Import the lines; refused ones go to ``job.refused``. Returns the number of contacts imported."""
    names = list(job.field_names) if job.field_names is not None else _cells(job.header_line or "")
    names = [name.strip() for name in names]
    lowered = [name.lower() for name in names]
    if "email" not in lowered:
        job.refused = [(line, "###No email column") for _, line in lines]
        return 0
    email_at = lowered.index("email")
    types = _property_types(sb, [n for i, n in enumerate(names) if i != email_at])
    lists = sb.store.table("contactslist").by_id()
    target = lists.get(job.list_id) if job.list_id is not None else None
    seen: set[str] = set()
    imported = 0
    for number, line in lines:
        cells = _cells(line)
        error = None
        if len(cells) < len(names):
            error = f"###Too few columns at line {number}"
        elif len(cells) > len(names):
            error = f"###Too many columns at line {number}"
        email = cells[email_at].strip() if not error else ""
        if error is None and not EMAIL.match(email):
            error = f"###Invalid email address at line {number}"
        if error is None and email.lower() in seen:
            error = f"###Duplicate email at line {number}"
        properties: dict[str, Any] = {}
        if error is None:
            for index, (name, value) in enumerate(zip(names, cells, strict=True)):
                if index == email_at or value == "":
                    continue
                converted = _convert(types[name.lower()], value, job)
                if converted is None:
                    error = (
                        f'###Property type does not match definition for "{name}" at line {number}'
                    )
                    break
                properties[name] = converted
        if error is not None:
            job.refused.append((line, error))
            continue
        seen.add(email.lower())
        try:
            _apply(sb, job, target, email, properties)
        except ApiError as exc:
            job.refused.append((line, f"###{exc.message} at line {number}"))
            continue
        imported += 1
    return imported


def _property_types(sb: Sandbox, names: list[str]) -> dict[str, str]:
    """Each column's property type; undefined properties are created as ``str`` (guide)."""
    table = sb.store.table("contactmetadata")
    defined = {str(r.get("Name", "")).lower(): str(r.get("Datatype", "str")) for r in table.rows}
    for name in names:
        if name.lower() not in defined:
            sb._create(
                sb.specs["contactmetadata"],
                {"Name": name, "Datatype": "str", "NameSpace": "static"},
            )
            defined[name.lower()] = "str"
    return {name.lower(): defined[name.lower()] for name in names}


_DATE_TOKENS = (
    ("yyyy", "%Y"),
    ("mm", "%m"),
    ("dd", "%d"),
    ("hh", "%H"),
    ("nn", "%M"),
    ("mi", "%M"),
    ("ss", "%S"),
)


def _convert(datatype: str, value: str, job: CsvImportJob) -> str | None:
    """The value to store for a property of ``datatype``, or None when it does not fit."""
    text = value.strip()
    if datatype == "int":
        return text if re.fullmatch(r"[-+]?\d+", text) else None
    if datatype == "float":
        try:
            float(text)
        except ValueError:
            return None
        return text
    if datatype == "bool":
        return text.lower() if text.lower() in ("true", "false") else None
    if datatype == "datetime":
        return _datetime(text, job)
    return value


def _datetime(text: str, job: CsvImportJob) -> str | None:
    moment: datetime | None = None
    if job.date_format:
        pattern = job.date_format.lower()
        for token, directive in _DATE_TOKENS:
            pattern = pattern.replace(token, directive)
        try:
            moment = datetime.strptime(text, pattern).replace(tzinfo=UTC) - timedelta(
                hours=job.timezone_offset
            )
        except ValueError:
            return None
    elif re.fullmatch(r"\d+", text):
        moment = datetime.fromtimestamp(int(text), UTC)
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _apply(
    sb: Sandbox, job: CsvImportJob, target: Row | None, email: str, properties: dict[str, Any]
) -> None:
    method = job.method
    if method == "remove":
        contact = sb.store.contact(email)
        if contact is not None and target is not None:
            subscribe(sb, contact, target, "remove")
        return
    entry: dict[str, Any] = {"Email": email}
    if method in GLOBAL_METHODS:
        entry["IsExcludedFromCampaigns"] = method == "excludemarketing"
    contact = upsert_contact(sb, entry)
    if method != "unsub":
        set_properties(sb, contact, properties)
    if target is not None:
        subscribe(sb, contact, target, method)


def csv_error_file(sb: Sandbox, job_id: str) -> SandboxResponse:
    """``GET /v3/DATA/batchjob/{id}/CSVError/text:csv``: the refused lines with an error column."""
    job = sb._csv_jobs.get(int(job_id)) if job_id.isdigit() else None
    if job is None:
        raise ApiError(404, "Source object not found")
    out = io.StringIO()
    if job.header_line is not None:
        out.write(f"{job.header_line},error\n")
    for line, error in job.refused:
        out.write(f"{line},{error}\n")
    return SandboxResponse(200, CSV_HEADERS, out.getvalue().encode())


IMPORT_HANDLERS: dict[str, Handler] = {"contactslist/importlist": _importlist}


# -- DATA API -------------------------------------------------------------------------------------


def data_api(
    sb: Sandbox, method: str, segments: list[str], request: SandboxRequest
) -> SandboxResponse:
    """``/v3/DATA/...``: CSV uploads for imports, and the error files of bulk and import jobs."""
    names = [s.lower() for s in segments]
    if len(names) >= 4 and names[0] == "contactslist" and names[2] == "csvdata":
        if method != "POST":
            raise ApiError(405, "Method not allowed")
        lst = sb._find(sb.specs["contactslist"], segments[1])
        if lst is None:
            raise ApiError(404, "Source object not found")
        data_id = max(sb._csv_data, default=0) + 1
        sb._csv_data[data_id] = request.body
        # 200, not the 201 of REST creations (recorded: gem cassette Mailjet_ContactslistCsv/returns_id).
        return SandboxResponse(200, JSON_HEADERS, orjson.dumps({"ID": data_id}))
    if len(names) >= 4 and names[0] == "batchjob" and names[2] in ("jsonerror", "csverror"):
        if method != "GET":
            raise ApiError(405, "Method not allowed")
        if names[2] == "csverror":
            return csv_error_file(sb, segments[1])
        job = sb._jobs.get(int(segments[1])) if segments[1].isdigit() else None
        if job is None:
            raise ApiError(404, "Source object not found")
        return job_error_file(sb, job)
    raise ApiError(400, f'Unknown resource: "{segments[0] if segments else ""}"')
