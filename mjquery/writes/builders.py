"""Turn a validated plan into the API requests it needs, object by object.

Every request here is one the reference documents (``shared/mailjet-api``):

==========================  ================================================================
object / operation          request
==========================  ================================================================
any INSERT                  ``POST <path>`` with the given columns
any UPDATE                  ``PUT <item path>`` with the SET columns (PUT acts like PATCH)
any DELETE                  ``DELETE <item path>`` (List: the API's soft delete)
sub-resource INSERT/UPDATE  ``POST``/``PUT /campaigndraft/{id}/detailcontent``, ``.../schedule``,
                            ``/template/{id}/detailcontent`` (parent id from its column)
ContactList INSERT          ``POST /contact/{ContactID}/managecontactslists``, one request per
                            contact with all its lists: ``{"ContactsLists": [{ListID, Action}]}``
ContactData UPDATE          ``PUT /contactdata/{ContactID} {"Data": [{"Name", "Value"}]}``
Contact INSERT into a list  ``POST /contactslist/{list}/managecontact`` (create + subscribe)
Contact INSERT, many rows   ``POST /contactslist/{list}/managemanycontacts`` or
                            ``/contact/managemanycontacts``, one job per batch (see ``bulk``)
==========================  ================================================================

Paths are built from the schema's templates; user values only enter them through
:func:`mjquery.api.paths.quote_segment`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mjquery.api.paths import quote_segment
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.plan import ApiWrite, BulkJob, ReadBack, WriteOptions
from mjquery.writes.validate import CheckedRow, ValidatedPlan, is_contact, is_contact_data
from mjquery.writes.values import to_json_scalar

_PLACEHOLDER = re.compile(r"{(\w+)}")
_CONTACT_PATH = "/v3/REST/contact"


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` replaced by its percent-encoded value."""
    return _PLACEHOLDER.sub(lambda m: quote_segment(values[m.group(1)]), template)


def item_path(schema: ObjectSchema, key: Any) -> str:
    template = schema.item_path or f"{schema.path}/{{id}}"
    names = _PLACEHOLDER.findall(template)
    return fill(template, {names[-1]: key} if names else {})


def resource_name(schema: ObjectSchema, rule_resource: str = "") -> str:
    """The top-level API resource whose cached reads a write makes stale."""
    return (rule_resource or schema.resource).split("/", 1)[0].lower()


def is_contact_list(schema: ObjectSchema, rule_path: str) -> bool:
    """ContactList: contact↔list subscriptions written through ``managecontactslists``."""
    return "managecontactslists" in (rule_path or schema.path).lower()


def build(
    validated: ValidatedPlan, options: WriteOptions = WriteOptions()
) -> tuple[ApiWrite | BulkJob, ...]:
    """The requests that carry out ``validated``, in order."""
    schema, rule, op = validated.schema, validated.rule, validated.plan.operation
    rows = validated.rows
    if op is Operation.INSERT and is_contact(schema):
        return _contact_inserts(validated, options)
    if op is Operation.INSERT and is_contact_list(schema, rule.path):
        return _contact_list_inserts(validated, options)
    if is_contact_data(schema) and op is Operation.UPDATE:
        return tuple(_contact_data_update(schema, row) for row in rows)
    template = rule.path or schema.path
    resource = resource_name(schema, rule.resource)
    writes: list[ApiWrite] = []
    for row in rows:
        if _PLACEHOLDER.search(template):
            # A sub-resource (detailcontent, schedule): the parent id is in the path, and
            # INSERT/UPDATE/DELETE map to POST/PUT/DELETE on that same path.
            path = fill(template, row.address)
            method = {"INSERT": "POST", "UPDATE": "PUT", "DELETE": "DELETE"}[op.value]
            expect = ReadBack.Expect.GONE if op is Operation.DELETE else ReadBack.Expect.MATCHES
            fields = (
                {} if op is Operation.DELETE or "schedule" in template.lower() else dict(row.body)
            )
            if "schedule" in template.lower() and op is not Operation.DELETE:
                expect = ReadBack.Expect.EXISTS
            writes.append(
                ApiWrite(
                    method,
                    path,
                    dict(row.body) if op is not Operation.DELETE else None,
                    (row.index,),
                    row.label,
                    resource,
                    ReadBack(path, expect, fields),
                )
            )
        elif op is Operation.INSERT:
            writes.append(
                ApiWrite(
                    "POST",
                    fill(template, {}),
                    dict(row.body),
                    (row.index,),
                    row.label,
                    resource,
                    _insert_read_back(schema, row),
                )
            )
        elif op is Operation.UPDATE:
            path = item_path(schema, row.address["id"])
            writes.append(
                ApiWrite(
                    "PUT",
                    path,
                    dict(row.body),
                    (row.index,),
                    row.label,
                    resource,
                    ReadBack(path, ReadBack.Expect.MATCHES, dict(row.body)),
                )
            )
        else:
            path = item_path(schema, row.address["id"])
            soft = schema.column("IsDeleted") is not None
            # List DELETE is a soft delete: afterwards the list still reads, with IsDeleted = true.
            read_back = (
                ReadBack(path, ReadBack.Expect.MATCHES, {"IsDeleted": True})
                if soft
                else ReadBack(path, ReadBack.Expect.GONE)
            )
            writes.append(
                ApiWrite("DELETE", path, None, (row.index,), row.label, resource, read_back)
            )
    return tuple(writes)


def _insert_read_back(schema: ObjectSchema, row: CheckedRow) -> ReadBack | None:
    """Read a POST back by a unique key it sets (Contact: its Email)."""
    for unique in schema.unique_keys:
        if len(unique) == 1 and row.body.get(unique[0]) not in (None, ""):
            return ReadBack(item_path(schema, row.body[unique[0]]), ReadBack.Expect.EXISTS)
    return None


# -- ContactData ---------------------------------------------------------------------------------


def _contact_data_update(schema: ObjectSchema, row: CheckedRow) -> ApiWrite:
    data = [
        {"Name": name, "Value": to_json_scalar(value)} for name, value in row.properties.items()
    ]
    path = item_path(schema, row.address["id"])
    return ApiWrite(
        "PUT",
        path,
        {"Data": data},
        (row.index,),
        row.label,
        "contactdata",
        ReadBack(path, ReadBack.Expect.MATCHES, {"Data": data}),
    )


# -- ContactList ---------------------------------------------------------------------------------


def _contact_list_inserts(validated: ValidatedPlan, options: WriteOptions) -> tuple[ApiWrite, ...]:
    """One ``managecontactslists`` request per contact, carrying all of its lists."""
    template = validated.rule.path or validated.schema.path
    by_contact: dict[str, list[CheckedRow]] = {}
    for row in validated.rows:
        by_contact.setdefault(fill(template, row.address), []).append(row)
    writes = []
    for path, rows in by_contact.items():
        items = [
            {
                "ListID": _body_value(r.body, "ListID"),
                "Action": _body_value(r.body, "Action") or options.list_action,
            }
            for r in rows
        ]
        contact = next(iter(rows[0].address.values()))
        listed = [i["ListID"] for i in items if i["Action"] != "remove"]
        read_back = (
            ReadBack(
                f"{_CONTACT_PATH}/{quote_segment(contact)}/getcontactslists",
                ReadBack.Expect.LISTED,
                {"ListID": listed},
            )
            if listed
            else None
        )
        label = f"ContactID {contact}, ListID " + ", ".join(str(i["ListID"]) for i in items)
        writes.append(
            ApiWrite(
                "POST",
                path,
                {"ContactsLists": items},
                tuple(r.index for r in rows),
                label,
                "contact",
                read_back,
            )
        )
    return tuple(writes)


def _body_value(body: Mapping[str, Any], name: str) -> Any:
    return next((v for k, v in body.items() if k.lower() == name.lower()), None)


# -- Contact INSERT ------------------------------------------------------------------------------


def _contact_inserts(
    validated: ValidatedPlan, options: WriteOptions
) -> tuple[ApiWrite | BulkJob, ...]:
    """Plain POSTs for a few contacts; ``managemanycontacts`` jobs for many (threshold option)."""
    rows = validated.rows
    action = validated.plan.list_action or options.list_action
    by_list: dict[int | None, list[CheckedRow]] = {}
    for row in rows:
        by_list.setdefault(row.list_id, []).append(row)
    bulk = len(rows) >= max(1, options.bulk_threshold)
    writes: list[ApiWrite | BulkJob] = []
    for list_id, group in by_list.items():
        # managecontact documents Email, Name, Action and Properties only: a contact that also
        # sets IsExcludedFromCampaigns goes through the bulk job, which documents it.
        if bulk or (
            list_id is not None and any("IsExcludedFromCampaigns" in r.body for r in group)
        ):
            writes.extend(_bulk_jobs(group, list_id, action, options))
            continue
        for row in group:
            email = _body_value(row.body, "Email")
            if list_id is None:
                writes.append(
                    ApiWrite(
                        "POST",
                        _CONTACT_PATH,
                        dict(row.body),
                        (row.index,),
                        row.label,
                        "contact",
                        ReadBack(f"{_CONTACT_PATH}/{quote_segment(email)}", ReadBack.Expect.EXISTS),
                    )
                )
            else:
                body = {"Email": email, "Action": action}
                if row.body.get("Name") is not None:
                    body["Name"] = row.body["Name"]
                path = f"/v3/REST/contactslist/{quote_segment(list_id)}/managecontact"
                read_back = ReadBack(
                    f"{_CONTACT_PATH}/{quote_segment(email)}/getcontactslists",
                    ReadBack.Expect.LISTED,
                    {"ListID": [list_id]},
                )
                writes.append(
                    ApiWrite("POST", path, body, (row.index,), row.label, "contact", read_back)
                )
    return tuple(writes)


def _bulk_jobs(
    rows: list[CheckedRow], list_id: int | None, action: str, options: WriteOptions
) -> list[BulkJob]:
    size = max(1, options.bulk_batch_size)
    jobs = []
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        contacts = [{k: v for k, v in r.body.items() if v is not None} for r in batch]
        if list_id is None:
            path, body = f"{_CONTACT_PATH}/managemanycontacts", {"Contacts": contacts}
        else:
            path = f"/v3/REST/contactslist/{quote_segment(list_id)}/managemanycontacts"
            body = {"Action": action, "Contacts": contacts}
        jobs.append(
            BulkJob(
                path,
                body,
                tuple(r.index for r in batch),
                tuple(str(_body_value(r.body, "Email")) for r in batch),
            )
        )
    return jobs
