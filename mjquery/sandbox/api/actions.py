"""Sub-resources and actions: draft content and sending, list memberships, bulk contact jobs.

Import jobs (``importlist``, ``csvimport``) and the DATA API (CSV uploads, job error files) are in
:mod:`mjquery.sandbox.api.imports`.

Each handler takes ``(sandbox, method, parent key, remaining path segments, request)`` and is
called with the store lock held and the method already checked against the reference. What
can be derived from the live tables is derived (a contact's lists from listrecipient, a draft's
status from its ``Status``), so the views stay consistent after writes.

Choices where the reference is silent:

- ``newsletter/{id}/...`` is the legacy view of the campaign draft with the same ID (or, for a
  newsletter created by ``POST /newsletter``, of the newsletter row itself): content, schedule and
  status are the draft's, not copies. ``detailcontent`` shows ``Headers``, ``Html-part``,
  ``Text-part`` (the reference's fields); POST replaces them and clears the draft's
  ``MJMLContent``, PUT merges, DELETE empties the content (204). ``schedule`` GET answers
  ``[{"Date"}]`` for a programmed draft and an empty ``Data`` otherwise (the draft's own
  endpoint answers 404 then); POST/PUT/DELETE schedule like the draft's and answer ``[{"Date"}]``.
  ``send``, ``test`` and ``status`` (the reference lists no answer fields) answer as the draft's
  actions do, ``[{"Status": ...}]``. A trailing id (``/newsletter/1/detailcontent/1``, recorded)
  is ignored. Changes of a draft's Status/DeliveredAt/CampaignID/ModifiedAt show in its
  newsletter row (``IsHandled`` = sent).
- ``contactslist/{id}/verify`` is computed on each GET from the list's members: ``Count`` =
  members, ``Summary`` = ``{"result": {deliverable, undeliverable, do_not_send, catch_all,
  unknown}, "risk": {low, medium, high, unknown}}`` counts, per member (first rule that applies):
  missing/anonymised contact or invalid address -> undeliverable/high; spam complaint ->
  do_not_send/high; excluded from campaigns or unsubscribed from the list -> do_not_send/medium;
  a role address (info@, sales@, ...) -> catch_all/medium; else deliverable/low. ``ID`` = the
  list ID (one verification per list), ``Akid`` = the API key ID, ``Status`` ``Completed``,
  ``Method`` ``verify``, ``JobStart``/``JobEnd`` = now, ``Error``/``ResponseURL`` empty.
- ``sender/{id}/validate``: a sender already ``Active``, or whose domain's ``dns`` record has
  DKIM or SPF ``OK`` (taken as the ownership record being found), validates:
  ``[{"Errors": {}, "GlobalError": "", "ValidationMethod": "DNS"}]`` and becomes ``Active``;
  otherwise the guide's failure answer (both errors, the token file name), status unchanged.
- ``dns/{id|domain}/check``: DKIM/SPF are ``OK`` when the record's status is ``OK`` and its value
  set, else ``Error`` with ``["no DKIM record"]`` / ``["no SPF record"]``; the record's
  statuses and ``LastCheckAt`` are updated. Both actions answer 201 like every POST.

"Now" is the account clock (:meth:`mjquery.sandbox.api.store.Store.clock`) everywhere here: the times
written (``ModifiedAt``, ``DeliveredAt``, ``SubscribedAt``, job times), the due check of a
programmed draft and the refusal of a schedule date in the past.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from mjquery.sandbox.api import properties
from mjquery.sandbox.api.query import draft_status_name
from mjquery.sandbox.api.store import Row
from mjquery.sandbox.api.values import QueryError, parse_time
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
from mjquery.sandbox.config import JobErrorFormat

if TYPE_CHECKING:
    from mjquery.sandbox.api.core import Sandbox

Handler = Callable[["Sandbox", str, "str | None", list[str], SandboxRequest], SandboxResponse]

CONTENT_PARTS = ("Headers", "Html-part", "Text-part", "MJMLContent")
SUBSCRIPTION_ACTIONS = ("addforce", "addnoforce", "remove", "unsub")


@dataclass
class Job:
    """A managemanycontacts or importlist job, reported through polls.

    Its changes are applied when it is posted, or ``SandboxConfig.job_visible_after`` seconds
    later (eventual consistency: see :meth:`mjquery.sandbox.api.core.Sandbox.defer`).
    """

    id: int
    list_id: int | None
    count: int
    errors: list[dict[str, Any]]
    start: int
    polls: int = 0
    kind: str = "managemanycontacts"  # or "importlist": each action lists only its own jobs
    detail: dict[str, Any] | None = (
        None  # importlist: the source ListID and Action, echoed by polls
    )
    #: managemanycontacts: the ContactsLists of the request, echoed by polls.
    contacts_lists: list[dict[str, Any]] | None = None


def _parent(sb: Sandbox, resource: str, key: str | None) -> Row:
    row = sb._find(sb.specs[resource], key or "")
    if row is None:
        raise not_found()
    return row


# -- detail content ------------------------------------------------------------------------------


def _content(resource: str, empty: Any) -> Handler:
    def handle(
        sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
    ) -> SandboxResponse:
        row = sb._find(sb.specs[resource], key or "")
        if row is None:
            if resource == "template":
                # Newer endpoint, newer error shape (recorded).
                body = {
                    "ErrorIdentifier": str(uuid.uuid4()),
                    "StatusCode": 404,
                    "ErrorMessage": "The resource with the specified ID you are trying to reach does not exist.",
                }
                return SandboxResponse(404, JSON_HEADERS, orjson.dumps(body))
            raise not_found()
        store = sb.store.sub_resources.setdefault(f"{resource}/detailcontent", {})
        current = store.get(row["ID"]) or {part: empty for part in CONTENT_PARTS}
        if method == "GET":
            return envelope([current])
        body = object_body(request.body)
        # The newer template endpoint ignores properties it does not know: the official Python
        # client's integration test (test_live_template_content_builder_lifecycle) posts its
        # builder's Author/Name/Locale with the parts and expects 201.
        given = _content_parts(body, CONTENT_PARTS, strict=resource != "template")
        if method == "POST":
            # POST replaces the content: a part left out becomes empty (guide).
            updated = {
                part: given.get(part, empty if part != "Headers" else {}) for part in CONTENT_PARTS
            }
        else:
            updated = {**current, **given}
        store[row["ID"]] = updated
        if resource == "campaigndraft" and "ModifiedAt" in row:
            row["ModifiedAt"] = sb.store.clock_iso()
            _touch_draft(sb, row)
        return envelope([updated], 201 if method == "POST" else 200)

    return handle


# -- campaign draft sending ----------------------------------------------------------------------


def _draft_problems(sb: Sandbox, draft: Row) -> str | None:
    """Why a draft cannot be sent or scheduled (the guide's checks), or None."""
    if not EMAIL.match(str(draft.get("SenderEmail", ""))):
        return "SenderEmail is not a valid email address"
    if not draft.get("Sender") or not draft.get("Subject"):
        return "Sender and Subject must not be empty"
    if draft.get("Status") not in (0, 1):
        return f"The campaign draft status is {draft_status_name(draft.get('Status'))}"
    if draft.get("AXTesting") not in (None, "", 0, {}):
        return "The campaign draft is part of an A/X test"
    list_id = draft.get("ContactsListID")
    lst = sb.store.table("contactslist").by_id().get(list_id)
    if lst is None or lst.get("IsDeleted"):
        return "The contact list does not exist"
    active = [
        r
        for r in sb.store.recipients_by_list().get(list_id, ())
        if r.get("IsActive") and not r.get("IsUnsubscribed")
    ]
    if len(active) <= 1:
        return "The contact list must have more than one active subscriber"
    content = sb.store.sub_resources.get("campaigndraft/detailcontent", {}).get(draft["ID"]) or {}
    if not content.get("Html-part") and not content.get("Text-part"):
        return "The campaign draft has no content (Html-part or Text-part)"
    return None


def _set_draft_status(sb: Sandbox, draft: Row, status: int) -> None:
    draft["Status"] = status
    if status == 2:
        if "DeliveredAt" in draft:
            draft["DeliveredAt"] = sb.store.clock_iso()
        if "Used" in draft:
            draft["Used"] = True
        campaign = _campaign_of_draft(sb, draft)
        if "CampaignID" in draft:
            draft["CampaignID"] = campaign["ID"]
    _touch_draft(sb, draft)


def _touch_draft(sb: Sandbox, draft: Row) -> None:
    """Record a change of a draft, and show it in its legacy ``newsletter`` row (same ID)."""
    drafts = sb.store.table("campaigndraft")
    if drafts.by_id().get(draft["ID"]) is draft:
        drafts.touch()
    newsletters = sb.store.table("newsletter")
    newsletter = newsletters.by_id().get(draft["ID"])
    if newsletter is None:
        return
    if newsletter is not draft:
        for name in ("Status", "DeliveredAt", "CampaignID", "ModifiedAt"):
            if name in draft and name in newsletter:
                newsletter[name] = draft[name]
    if "IsHandled" in newsletter:
        newsletter["IsHandled"] = newsletter.get("Status") == 2
    newsletters.touch()


def _campaign_of_draft(sb: Sandbox, draft: Row) -> Row:
    """The ``campaign`` row of a sent draft (CustomValue ``mj.nl=<draft id>``), created on first send."""
    marker = f"mj.nl={draft['ID']}"
    table = sb.store.table("campaign")
    for existing in table.rows:
        if existing.get("CustomValue") == marker:
            return existing
    spec = sb.specs["campaign"]
    row: Row = {
        f.name: ({"int": 0, "bool": False, "float": 0.0}.get(f.type, "")) for f in spec.fields
    }
    sender_email = str(draft.get("SenderEmail", ""))
    sender = next(
        (
            s
            for s in sb.store.table("sender").rows
            if str(s.get("Email", "")).lower() == sender_email.lower()
        ),
        None,
    )
    stamp = sb.store.clock_iso()
    values = {
        "ID": table.next_id(),
        "CampaignType": 2,  # marketing (FromType 2)
        "CreatedAt": stamp,
        "CustomValue": marker,
        "FromEmail": sender_email,
        "FromID": sender["ID"] if sender else 0,
        "FromName": draft.get("SenderName", "") or draft.get("Sender", ""),
        "ListID": draft.get("ContactsListID", 0) or 0,
        "NewsLetterID": draft["ID"],
        "SegmentationID": draft.get("SegmentationID", 0) or 0,
        "SendStartAt": stamp,
        "Subject": draft.get("Subject", ""),
    }
    row.update({k: v for k, v in values.items() if k in row})
    table.insert(row)
    return row


def run_due_schedules(sb: Sandbox) -> None:
    """Send the programmed drafts whose schedule date is behind the account clock (checked when
    drafts or campaigns are read)."""
    schedules = sb.store.sub_resources.get("campaigndraft/schedule") or {}
    if not schedules:
        return
    now = sb.store.clock_timestamp()
    drafts = sb.store.table("campaigndraft").by_id()
    newsletters = sb.store.table("newsletter").by_id()
    for draft_id, record in list(schedules.items()):
        draft = drafts.get(draft_id) or newsletters.get(draft_id)
        if draft is None or draft.get("Status") != 1:
            continue
        try:
            when = parse_time("Date", str(record.get("Date", "")))
        except QueryError:
            continue
        if when <= now:
            del schedules[draft_id]
            _set_draft_status(sb, draft, 2)


def _schedule(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    return _schedule_draft(sb, _parent(sb, "campaigndraft", key), method, request)


def _schedule_draft(
    sb: Sandbox, draft: Row, method: str, request: SandboxRequest
) -> SandboxResponse:
    schedules = sb.store.sub_resources.setdefault("campaigndraft/schedule", {})
    if method == "GET":
        record = schedules.get(draft["ID"])
        if record is None or draft.get("Status") != 1:
            raise not_found()
        return envelope([record])
    if method == "DELETE":
        if draft["ID"] not in schedules or draft.get("Status") != 1:
            raise not_found()
        del schedules[draft["ID"]]
        _set_draft_status(sb, draft, 0)
        return SandboxResponse(204)
    date = body_value(object_body(request.body), "Date")
    if not isinstance(date, str) or not date:
        raise ApiError(400, 'Mandatory property "Date" is missing')
    problem = _draft_problems(sb, draft)
    if problem:
        raise ApiError(400, problem)
    if date.upper() == "NOW":
        _set_draft_status(sb, draft, 2)
        schedules.pop(draft["ID"], None)
        return envelope(
            [{"Date": sb.store.clock_iso(), "Status": "programmed"}],
            201 if method == "POST" else 200,
        )
    try:
        when = parse_time("Date", date)
    except QueryError:
        raise ApiError(400, f'Invalid value for property "Date": "{date}"') from None
    if when < sb.store.clock_timestamp():
        raise ApiError(400, "The schedule date is in the past")
    schedules[draft["ID"]] = {"Date": date, "Status": "Programmed"}
    _set_draft_status(sb, draft, 1)
    return envelope([{"Date": date, "Status": "programmed"}], 201 if method == "POST" else 200)


def _send(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    return _send_draft(sb, _parent(sb, "campaigndraft", key))


def _send_draft(sb: Sandbox, draft: Row) -> SandboxResponse:
    problem = _draft_problems(sb, draft)
    if problem:
        raise ApiError(400, problem)
    sb.store.sub_resources.setdefault("campaigndraft/schedule", {}).pop(draft["ID"], None)
    _set_draft_status(sb, draft, 2)
    return envelope([{"Status": "programmed"}], 201)


def _test(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    return _test_draft(sb, _parent(sb, "campaigndraft", key), request)


def _test_draft(sb: Sandbox, draft: Row, request: SandboxRequest) -> SandboxResponse:
    recipients = body_value(object_body(request.body), "Recipients")
    if not isinstance(recipients, list) or not recipients:
        raise ApiError(400, 'Mandatory property "Recipients" is missing')
    for recipient in recipients:
        email = body_value(recipient, "Email") if isinstance(recipient, dict) else None
        if not isinstance(email, str) or not EMAIL.match(email):
            raise ApiError(400, f'Invalid recipient email address: "{email}"')
    if (
        not draft.get("Sender")
        or not draft.get("Subject")
        or not EMAIL.match(str(draft.get("SenderEmail", "")))
    ):
        raise ApiError(400, "Sender, SenderEmail and Subject must be valid")
    return envelope([{"Status": draft_status_name(draft.get("Status"))}], 201)


def _status(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    draft = _parent(sb, "campaigndraft", key)
    return envelope([{"Status": draft_status_name(draft.get("Status"))}])


# -- list memberships ----------------------------------------------------------------------------


def subscribe(sb: Sandbox, contact: Row, lst: Row, action: str) -> None:
    """Apply one subscription action (addforce, addnoforce, remove, unsub) of a contact on a list."""
    table = sb.store.table("listrecipient")
    existing = next(
        (
            r
            for r in sb.store.recipients_by_contact().get(contact["ID"], ())
            if r.get("ListID") == lst["ID"]
        ),
        None,
    )
    if action == "remove":
        if existing is not None:
            table.delete(existing)
    elif existing is None:
        if action == "addforce" or action == "addnoforce" or action == "unsub":
            stamp = sb.store.clock_iso()
            table.insert(
                {
                    "ContactID": contact["ID"],
                    "ID": table.next_id(),
                    "IsActive": True,
                    "IsUnsubscribed": action == "unsub",
                    "ListID": lst["ID"],
                    "SubscribedAt": stamp,
                    "UnsubscribedAt": stamp if action == "unsub" else "",
                    "ListName": lst.get("Name", ""),
                }
            )
    elif action == "addforce":
        if existing.get("IsUnsubscribed") or not existing.get("IsActive"):
            existing.update(IsUnsubscribed=False, IsActive=True, UnsubscribedAt="")
            table.touch()
    elif action == "unsub" and not existing.get("IsUnsubscribed"):
        existing.update(IsUnsubscribed=True, UnsubscribedAt=sb.store.clock_iso())
        table.touch()
    sb.store.refresh_subscriber_count(lst["ID"])


def _getcontactslists(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    contact = _parent(sb, "contact", key)
    rows = [
        {
            "IsActive": r.get("IsActive", True),
            "IsUnsub": r.get("IsUnsubscribed", False),
            "ListID": r.get("ListID"),
            "SubscribedAt": r.get("SubscribedAt", ""),
        }
        for r in sorted(
            sb.store.recipients_by_contact().get(contact["ID"], ()),
            key=lambda r: r.get("ListID") or 0,
        )
    ]
    return envelope(rows)


def _list_actions(sb: Sandbox, items: Any) -> list[tuple[Row, str, dict[str, Any]]]:
    """Validate ``[{ListID, Action}]``; raise the guide's per-item 400 when one is wrong."""
    if not isinstance(items, list):
        raise ApiError(400, 'Mandatory property "ContactsLists" is missing')
    lists = sb.store.table("contactslist").by_id()
    resolved, errors = [], []
    for item in items:
        item = item if isinstance(item, dict) else {}
        list_id, action = body_value(item, "ListID"), body_value(item, "Action")
        lst = (
            lists.get(int(list_id))
            if isinstance(list_id, int | str) and str(list_id).isdigit()
            else None
        )
        error = None
        if lst is None:
            error = "listID missing or not valid"
        elif not isinstance(action, str) or action.lower() not in SUBSCRIPTION_ACTIONS:
            error = "action missing or not valid"
        if error:
            errors.append({"ListID": list_id, "Action": action, "Error": error})
        else:
            assert lst is not None and isinstance(action, str)
            resolved.append((lst, action.lower(), {"Action": action, "ListID": lst["ID"]}))
    if errors:
        raise ApiError(400, {"ContactsLists": errors})
    return resolved


def _managecontactslists(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    contact = _parent(sb, "contact", key)
    actions = _list_actions(sb, body_value(object_body(request.body), "ContactsLists"))
    for lst, action, _ in actions:
        subscribe(sb, contact, lst, action)
    return envelope([{"ContactsLists": [echo for _, _, echo in actions]}], 201)


def _property_problems(sb: Sandbox, values: Any) -> list[dict[str, str]]:
    if values is None:
        return []
    if not isinstance(values, dict):
        return [{"Properties": properties.TYPE_MISMATCH}]
    return properties.problems(sb.store, values)


def set_properties(sb: Sandbox, contact: Row, values: dict[str, Any] | None) -> None:
    """Write contact property values into contactdata (a null value unassigns the property)."""
    if values:
        properties.merge(sb.store, contact["ID"], values)


def upsert_contact(sb: Sandbox, entry: dict[str, Any]) -> Row:
    """Create the contact of ``entry`` (Email, Name, IsExcludedFromCampaigns) or update it."""
    email = body_value(entry, "Email")
    contact = sb.store.contact(email)
    name = body_value(entry, "Name")
    excluded = body_value(entry, "IsExcludedFromCampaigns")
    if contact is None:
        body: dict[str, Any] = {"Email": email}
        if name is not None:
            body["Name"] = name
        if excluded is not None:
            body["IsExcludedFromCampaigns"] = excluded
        return sb._create(sb.specs["contact"], body)
    changes = {}
    if name is not None:
        changes["Name"] = name
    if excluded is not None:
        changes["IsExcludedFromCampaigns"] = excluded
    if changes:
        sb._update(sb.specs["contact"], contact, changes)
    return contact


def _managecontact(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    lst = _parent(sb, "contactslist", key)
    body = object_body(request.body)
    email, action = body_value(body, "Email"), body_value(body, "Action")
    if not isinstance(email, str) or not EMAIL.match(email):
        raise ApiError(
            400,
            "Object properties invalid",
            {"Properties": [{"Email": "Property type does not match definition"}]},
        )
    if not isinstance(action, str) or action.lower() not in SUBSCRIPTION_ACTIONS:
        raise ApiError(
            400,
            "Object properties invalid",
            {"Properties": [{"Action": "action missing or not valid"}]},
        )
    properties = body_value(body, "Properties")
    problems = _property_problems(sb, properties)
    if problems:
        raise ApiError(400, "Object properties invalid", {"Properties": problems})
    contact = upsert_contact(sb, body)
    set_properties(sb, contact, properties)
    subscribe(sb, contact, lst, action.lower())
    answer = {
        "ContactID": contact["ID"],
        "Email": contact.get("Email", email),
        "Action": action,
        "Name": contact.get("Name", ""),
        "Properties": properties or {},
    }
    return envelope([answer], 201)


# -- bulk jobs ---------------------------------------------------------------------------------


def job_row(sb: Sandbox, job: Job) -> dict[str, Any]:
    """A job as its poll shows it. ``JobStart``/``JobEnd`` are strings (RFC 3339; ``""`` while it
    runs) and the request's ``ContactsLists`` are echoed, as the Go client's ``Contactsjob``
    struct (``JobStart string``) and its ``ContactManagemanycontacts`` read them; the batchjob
    resource keeps its recorded Unix-time integers."""
    done = job.polls > 1
    row: dict[str, Any] = {
        "Status": "Completed" if done else "In Progress",
        "JobStart": rfc3339(job.start),
        "JobEnd": rfc3339(job.start + 1) if done else "",
        "Count": job.count if done else 0,
        "Error": "",
        "ErrorFile": "",
    }
    if job.contacts_lists is not None:
        row["ContactsLists"] = job.contacts_lists
    if done and job.errors:
        row["Error"] = f"{len(job.errors)} contact(s) could not be processed"
        row["ErrorFile"] = (
            f"https://api.mailjet.com/v3/DATA/batchjob/{job.id}/JSONError/application:json/LAST"
        )
    return row


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_error_file(sb: Sandbox, job: Job) -> SandboxResponse:
    """The job's JSON error file, laid out as ``SandboxConfig.job_error_format`` says."""
    layout = sb.config.job_error_format
    errors = job.errors
    body: Any
    if layout is JobErrorFormat.ENVELOPE:
        data = [{"ContactEmail": e["Email"], "ErrorMessage": e["Error"]} for e in errors]
        body = {"Count": len(data), "Data": data, "Total": len(data)}
    elif layout is JobErrorFormat.OBJECT:
        body = {
            "Errors": [
                {"Email": e["Email"], "Message": e["Error"], "Line": e.get("Line", 0)}
                for e in errors
            ]
        }
    else:
        body = [{"Email": e["Email"], "Error": e["Error"]} for e in errors]
    return SandboxResponse(200, JSON_HEADERS, orjson.dumps(body))


def _managemanycontacts(scope: str) -> Handler:
    def handle(
        sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
    ) -> SandboxResponse:
        lst = _parent(sb, "contactslist", key) if scope == "contactslist" else None
        if method == "GET":
            jobs = [
                j
                for j in sb._jobs.values()
                if j.kind == "managemanycontacts" and j.list_id == (lst["ID"] if lst else None)
            ]
            if rest:
                wanted = rest[0]
                jobs = [j for j in jobs if str(j.id) == wanted]
                if not jobs:
                    raise not_found()
            rows = []
            for job in jobs:
                if rest:
                    job.polls += 1  # polling moves the job along: In Progress, then Completed
                    sync_batchjob(sb, job)
                rows.append(job_row(sb, job))
            return envelope(rows)
        if rest:
            raise ApiError(405, "Method not allowed")
        body = object_body(request.body)
        contacts = body_value(body, "Contacts")
        if not isinstance(contacts, list) or not contacts:
            raise ApiError(400, 'Mandatory property "Contacts" is missing')
        if lst is not None:
            action = body_value(body, "Action")
            if not isinstance(action, str) or action.lower() not in SUBSCRIPTION_ACTIONS:
                raise ApiError(
                    400,
                    "Object properties invalid",
                    {"Properties": [{"Action": "action missing or not valid"}]},
                )
            list_actions = [(lst, action.lower())]
        else:
            lists_given = body_value(body, "ContactsLists")
            list_actions = (
                [(lst, a) for lst, a, _ in _list_actions(sb, lists_given)]
                if lists_given is not None
                else []
            )
        errors: list[dict[str, Any]] = []
        accepted: list[dict[str, Any]] = []
        for line, entry in enumerate(contacts, start=1):
            email = body_value(entry, "Email") if isinstance(entry, dict) else None
            if not isinstance(email, str) or not EMAIL.match(email):
                errors.append({"Email": str(email), "Error": "Invalid email address", "Line": line})
                continue
            problems = _property_problems(sb, body_value(entry, "Properties"))
            if problems:
                errors.append(
                    {
                        "Email": email,
                        "Error": "; ".join(f"{k}: {v}" for p in problems for k, v in p.items()),
                        "Line": line,
                    }
                )
                continue
            accepted.append(entry)
        echo = [{"ListID": target["ID"], "Action": action} for target, action in list_actions]
        job = new_job(sb, lst["ID"] if lst else None, len(accepted), errors)
        job.contacts_lists = echo

        def apply() -> None:
            for entry in accepted:
                try:
                    contact = upsert_contact(sb, entry)
                except ApiError as exc:
                    job.errors.append(
                        {"Email": str(body_value(entry, "Email")), "Error": str(exc.message)}
                    )
                    job.count -= 1
                    continue
                set_properties(sb, contact, body_value(entry, "Properties"))
                for target, action in list_actions:
                    subscribe(sb, contact, target, action)

        sb.defer(apply, sb.config.job_visible_after)
        return envelope([{"JobID": job.id}], 201)

    return handle


def new_job(
    sb: Sandbox,
    list_id: int | None,
    count: int,
    errors: list[dict[str, Any]],
    *,
    kind: str = "managemanycontacts",
    job_type: str = "Contact Manage Many",
    detail: dict[str, Any] | None = None,
) -> Job:
    """Record a bulk job applied now, and its ``batchjob`` row (``Status`` In Progress until polled)."""
    table = sb.store.table("batchjob")
    job_id = max(table.next_id(), max(sb._jobs, default=0) + 1)
    start = int(sb.store.clock_timestamp())
    job = Job(
        id=job_id,
        list_id=list_id,
        count=count,
        errors=errors,
        start=start,
        kind=kind,
        detail=detail,
    )
    sb._jobs[job_id] = job
    spec = sb.specs["batchjob"]
    row: dict[str, Any] = {f.name: ({"int": 0}.get(f.type, "")) for f in spec.fields}
    row.update(
        ID=job_id,
        JobType=job_type,
        Status="In Progress",
        RequestAt=job.start,
        JobStart=job.start,
        Count=count,
        Errcount=len(errors),
        RefId=list_id or 0,
        APIKeyID=getattr(sb.data, "api_key_id", 0) or 0,
    )
    if "JobEnd" in row:
        row["JobEnd"] = 0
    table.insert({k: v for k, v in row.items() if k in spec.field_names})
    return job


def sync_batchjob(sb: Sandbox, job: Job) -> None:
    row = sb.store.table("batchjob").by_id().get(job.id)
    if row is not None and job.polls > 1 and row.get("Status") != "Completed":
        row["Status"] = "Completed"
        row["JobEnd"] = job.start + 1
        sb.store.table("batchjob").touch()


# -- newsletter: the legacy view of campaign drafts ----------------------------------------------

NEWSLETTER_PARTS = ("Headers", "Html-part", "Text-part")


def newsletter_draft(sb: Sandbox, key: str | None) -> Row:
    """The draft a newsletter id stands for: the ``campaigndraft`` row with that ID, else the
    ``newsletter`` row itself (one created through ``POST /newsletter``); 404 when neither exists."""
    newsletter = sb._find(sb.specs["newsletter"], key or "")
    draft_id = (
        newsletter["ID"]
        if newsletter is not None
        else (int(key) if key and key.isdigit() else None)
    )
    draft = sb.store.table("campaigndraft").by_id().get(draft_id) if draft_id is not None else None
    row = draft or newsletter
    if row is None:
        raise not_found()
    return row


def _newsletter_content(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    draft = newsletter_draft(sb, key)
    store = sb.store.sub_resources.setdefault("campaigndraft/detailcontent", {})
    current = store.get(draft["ID"]) or {part: "" for part in CONTENT_PARTS}
    if method == "GET":
        return envelope([{part: current.get(part, "") for part in NEWSLETTER_PARTS}])
    if method == "DELETE":
        store.pop(draft["ID"], None)
    else:
        body = object_body(request.body)
        given = _content_parts(body, NEWSLETTER_PARTS)
        if method == "POST":
            # Replaces the content like the draft's POST; the MJML source no longer matches it.
            updated = {
                part: given.get(part, {} if part == "Headers" else "") for part in NEWSLETTER_PARTS
            }
            updated["MJMLContent"] = ""
        else:
            updated = {**current, **given}
        store[draft["ID"]] = updated
    if "ModifiedAt" in draft:
        draft["ModifiedAt"] = sb.store.clock_iso()
    _touch_draft(sb, draft)
    if method == "DELETE":
        return SandboxResponse(204)
    return envelope(
        [{part: updated[part] for part in NEWSLETTER_PARTS}], 201 if method == "POST" else 200
    )


def _newsletter_schedule(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    draft = newsletter_draft(sb, key)
    if method == "GET":
        record = sb.store.sub_resources.get("campaigndraft/schedule", {}).get(draft["ID"])
        if record is None or draft.get("Status") != 1:
            return envelope(
                []
            )  # not programmed: no schedule row (the draft's endpoint answers 404)
        return envelope([{"Date": record.get("Date", "")}])
    answer = _schedule_draft(sb, draft, method, request)
    if method == "DELETE":
        return answer
    record = sb.store.sub_resources.get("campaigndraft/schedule", {}).get(draft["ID"])
    date = record.get("Date", "") if record else sb.store.clock_iso()  # "NOW" sends at once
    return envelope([{"Date": date}], answer.status)


def _newsletter_send(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    return _send_draft(sb, newsletter_draft(sb, key))


def _newsletter_test(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    return _test_draft(sb, newsletter_draft(sb, key), request)


def _newsletter_status(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    draft = newsletter_draft(sb, key)
    return envelope([{"Status": draft_status_name(draft.get("Status"))}])


# -- list verification ----------------------------------------------------------------------------

ROLE_ACCOUNTS = frozenset(
    {
        "admin",
        "contact",
        "hello",
        "info",
        "noreply",
        "no-reply",
        "office",
        "sales",
        "support",
        "team",
    }
)
VERIFICATION_RESULTS = ("deliverable", "undeliverable", "do_not_send", "catch_all", "unknown")
VERIFICATION_RISKS = ("low", "medium", "high", "unknown")


def verification_of(contact: Row | None, recipient: Row, anonymized: bool) -> tuple[str, str]:
    """The (result, risk) of one list member, from the contact and its subscription."""
    email = str(contact.get("Email", "")) if contact else ""
    if (
        contact is None
        or anonymized
        or not EMAIL.match(email)
        or email.lower().endswith(".invalid")
    ):
        return "undeliverable", "high"
    if contact.get("IsSpamComplaining"):
        return "do_not_send", "high"
    if contact.get("IsExcludedFromCampaigns") or recipient.get("IsUnsubscribed"):
        return "do_not_send", "medium"
    if email.split("@", 1)[0].lower() in ROLE_ACCOUNTS:
        return "catch_all", "medium"
    return "deliverable", "low"


def _verify(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    lst = _parent(sb, "contactslist", key)
    contacts = sb.store.table("contact").by_id()
    results = dict.fromkeys(VERIFICATION_RESULTS, 0)
    risks = dict.fromkeys(VERIFICATION_RISKS, 0)
    recipients = sb.store.recipients_by_list().get(lst["ID"], ())
    for recipient in recipients:
        contact_id = recipient.get("ContactID")
        result, risk = verification_of(
            contacts.get(contact_id), recipient, contact_id in sb.store.anonymized
        )
        results[result] += 1
        risks[risk] += 1
    stamp = sb.store.clock_iso()
    row = {
        "Akid": getattr(sb.data, "api_key_id", 0) or 0,
        "ContactListID": lst["ID"],
        "Count": len(recipients),
        "Error": "",
        "ID": lst["ID"],
        "JobEnd": stamp,
        "JobStart": stamp,
        "Method": "verify",
        "ResponseURL": "",
        "Status": "Completed",
        "Summary": {"result": results, "risk": risks},
    }
    return envelope([row])


# -- sender validation and DNS check ----------------------------------------------------------------


def _domain_record(sb: Sandbox, sender: Row) -> Row | None:
    dns = sb.store.table("dns")
    record = dns.by_id().get(sender.get("DNSID"))
    if record is None:
        domain = str(sender.get("Email", "")).rsplit("@", 1)[-1].lower()
        record = next((r for r in dns.rows if str(r.get("Domain", "")).lower() == domain), None)
    return record


def _validate(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    sender = _parent(sb, "sender", key)
    record = _domain_record(sb, sender)
    owned = record is not None and "OK" in (record.get("DKIMStatus"), record.get("SPFStatus"))
    if sender.get("Status") == "Active" or owned:
        if sender.get("Status") != "Active":
            sender["Status"] = "Active"
            sb.store.table("sender").touch()
        answer = {"Errors": {}, "GlobalError": "", "ValidationMethod": "DNS"}
        return envelope([answer], 201)
    token = str(
        sender.get("Filename") or (record.get("OwnerShipToken", "") if record else "") + ".txt"
    )
    answer = {
        "Errors": {
            "DNSValidationError": " DNS record verification failed as no TXT record for that ownership token"
            " was found on the remote server.",
            "FileValidationError": f" File verification failed as {token} cannot be found at domain root.",
        },
        "GlobalError": "Neither the file at your domain root nor the DNS TXT record have been found to validate"
        " this sender.",
        "ValidationMethod": "",
    }
    return envelope([answer], 201)


def _check(
    sb: Sandbox, method: str, key: str | None, rest: list[str], request: SandboxRequest
) -> SandboxResponse:
    record = _parent(sb, "dns", key)
    dkim_ok = record.get("DKIMStatus") == "OK" and bool(record.get("DKIMRecordValue"))
    spf_ok = record.get("SPFStatus") == "OK" and bool(record.get("SPFRecordValue"))
    answer = {
        "DKIMErrors": [] if dkim_ok else ["no DKIM record"],
        "DKIMRecordCurrentValue": record.get("DKIMRecordValue", "") if dkim_ok else "",
        "DKIMStatus": "OK" if dkim_ok else "Error",
        "SPFErrors": [] if spf_ok else ["no SPF record"],
        "SPFRecordsCurrentValues": [record.get("SPFRecordValue", "")] if spf_ok else [],
        "SPFStatus": "OK" if spf_ok else "Error",
    }
    record.update(
        DKIMStatus=answer["DKIMStatus"],
        SPFStatus=answer["SPFStatus"],
        LastCheckAt=sb.store.clock_iso(),
        IsCheckInProgress=False,
    )
    sb.store.table("dns").touch()
    return envelope([answer], 201)


HANDLERS: dict[str, Handler] = {
    "campaigndraft/detailcontent": _content("campaigndraft", ""),
    "template/detailcontent": _content("template", None),
    "campaigndraft/schedule": _schedule,
    "campaigndraft/send": _send,
    "campaigndraft/test": _test,
    "campaigndraft/status": _status,
    "contact/getcontactslists": _getcontactslists,
    "contact/managecontactslists": _managecontactslists,
    "contactslist/managecontact": _managecontact,
    "contact/managemanycontacts": _managemanycontacts("contact"),
    "contactslist/managemanycontacts": _managemanycontacts("contactslist"),
    "contactslist/verify": _verify,
    "newsletter/detailcontent": _newsletter_content,
    "newsletter/schedule": _newsletter_schedule,
    "newsletter/send": _newsletter_send,
    "newsletter/test": _newsletter_test,
    "newsletter/status": _newsletter_status,
    "sender/validate": _validate,
    "dns/check": _check,
}

#: Actions whose path may end with one more segment: a job id to poll, or (recorded for the legacy
#: newsletter sub-resources, ``GET /newsletter/1/detailcontent/1``) an id that is ignored.
TAKES_TRAILING_ID = frozenset(
    {
        "contact/managemanycontacts",
        "contactslist/managemanycontacts",
        "contactslist/importlist",
        "newsletter/detailcontent",
        "newsletter/schedule",
    }
)


def _content_parts(
    body: dict[str, Any], parts: Sequence[str], *, strict: bool = True
) -> dict[str, Any]:
    """A detailcontent body keyed by the parts' canonical spelling (names are case-insensitive);
    an unknown property is the API's 400 (``strict``) or ignored."""
    known = {part.lower(): part for part in parts}
    for name in body:
        if name.lower() not in known and strict:
            raise ApiError(
                400, f'Invalid json input: object ""->"TDetailContent" has no property "{name}"'
            )
    return {known[name.lower()]: value for name, value in body.items() if name.lower() in known}
