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
ContactProperties UPDATE    the same PUT per row; for many rows ``POST /contact/managemanycontacts``
                            ``{"Contacts": [{"Email", "Properties": {...}}]}`` jobs
Contact INSERT into a list  ``POST /contactslist/{list}/managecontact`` (create + subscribe)
Contact INSERT, many rows   ``POST /contactslist/{list}/managemanycontacts`` or
                            ``/contact/managemanycontacts``, one job per batch (see ``bulk``)
==========================  ================================================================

Paths are built from the schema's templates; user values only enter them through
:func:`mjquery.api.paths.quote_segment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mjquery.api.paths import quote_segment
from mjquery.schema.model import ObjectSchema, Operation
from mjquery.writes.lookup import Existing, Probe, probe_for, request_for
from mjquery.writes.paths import PLACEHOLDER as _PLACEHOLDER
from mjquery.writes.paths import fill, item_path, resource_name
from mjquery.writes.plan import ApiWrite, BulkJob, OnConflict, ReadBack, WriteOptions
from mjquery.writes.validate import (
    CheckedRow,
    ValidatedPlan,
    is_contact,
    is_contact_data,
    is_property_table,
    path_columns,
)
from mjquery.writes.values import to_json_scalar

_CONTACT_PATH = "/v3/REST/contact"


def is_contact_list(schema: ObjectSchema, rule_path: str) -> bool:
    """ContactList: contact↔list subscriptions written through ``managecontactslists``."""
    return "managecontactslists" in (rule_path or schema.path).lower()


def build(
    validated: ValidatedPlan,
    options: WriteOptions = WriteOptions(),
    existing: Existing | None = None,
    emails: Mapping[int, str] | None = None,
) -> tuple[ApiWrite | BulkJob, ...]:
    """The requests that carry out ``validated``, in order.

    ``existing``: for an INSERT, the objects the rows' natural keys found before anything is
    sent. Rows whose object exists are still here only when a request is due for them: an
    update (OnConflict.UPDATE), or a Contact subscribed to a list (OnConflict.IGNORE).
    ``emails``: for an UPDATE of contact properties, the contact's email by row (the bulk job
    addresses contacts by email); rows without one get a PUT each.
    """
    writes = _build(validated, options, existing or Existing(), emails)
    return tuple(_with_check(validated, w) for w in writes)


def _build(
    validated: ValidatedPlan,
    options: WriteOptions,
    found: Existing,
    emails: Mapping[int, str] | None,
) -> tuple[ApiWrite | BulkJob, ...]:
    schema, rule, op = validated.schema, validated.rule, validated.plan.operation
    rows = validated.rows
    if op is Operation.INSERT and is_contact(schema):
        return _contact_inserts(validated, options, found)
    if op is Operation.INSERT and is_contact_list(schema, rule.path):
        return _contact_list_inserts(validated, options)
    if is_property_table(schema) and op is Operation.UPDATE and emails:
        return _property_updates(validated, options, emails)
    if is_contact_data(schema) and op is Operation.UPDATE:
        return tuple(_contact_data_update(schema, row) for row in rows)
    template = rule.path or schema.path
    resource = resource_name(schema, rule.resource)
    writes: list[ApiWrite] = []
    for row in rows:
        if _PLACEHOLDER.search(template):
            writes.append(_sub_resource_write(validated, row, template, resource))
        elif op is Operation.INSERT and row.index in found.objects:
            writes.append(_update_existing(validated, row, found.objects[row.index], resource))
        elif op is Operation.INSERT:
            writes.append(
                ApiWrite(
                    "POST",
                    fill(template, {}),
                    dict(row.body),
                    (row.index,),
                    row.label,
                    resource,
                    _insert_read_back(schema, row, found),
                    check=_check_hint(schema, row),
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


def _sub_resource_write(
    validated: ValidatedPlan, row: CheckedRow, template: str, resource: str
) -> ApiWrite:
    """A sub-resource (detailcontent, schedule): the parent id is in the path, and
    INSERT/UPDATE/DELETE map to POST/PUT/DELETE on that same path (an overwrite: repeating it
    is harmless, and reading the parent's sub-resource back shows whether it landed)."""
    op = validated.plan.operation
    path = fill(template, row.address)
    method = {"INSERT": "POST", "UPDATE": "PUT", "DELETE": "DELETE"}[op.value]
    if op is Operation.DELETE:
        read_back = ReadBack(path, ReadBack.Expect.GONE)
    elif "schedule" in template.lower() and str(row.body.get("Date", "")).upper() == "NOW":
        read_back = ReadBack(path, ReadBack.Expect.EXISTS)
    else:
        read_back = ReadBack(path, ReadBack.Expect.MATCHES, dict(row.body))
    body = dict(row.body) if op is not Operation.DELETE else None
    return ApiWrite(method, path, body, (row.index,), row.label, resource, read_back)


def _update_existing(
    validated: ValidatedPlan, row: CheckedRow, current: Mapping[str, Any], resource: str
) -> ApiWrite:
    """OnConflict.UPDATE: the row's object exists, so PUT the columns an UPDATE may set."""
    schema = validated.schema
    body = updatable(schema, row.body)
    path = item_path(schema, current["ID"])
    label = f"{row.label} (ID {current['ID']})"
    return ApiWrite(
        "PUT",
        path,
        body,
        (row.index,),
        label,
        resource,
        ReadBack(path, ReadBack.Expect.MATCHES, body),
    )


def updatable(schema: ObjectSchema, body: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of an INSERT row an UPDATE of the existing object sets (its key excluded)."""
    rule = schema.write_rule(Operation.UPDATE)
    allowed = {c.lower() for c in rule.columns} if rule is not None else set()
    insert_rule = schema.write_rule(Operation.INSERT)
    key = {c.lower() for c in insert_rule.natural_key} if insert_rule is not None else set()
    return {k: v for k, v in body.items() if k.lower() in allowed and k.lower() not in key}


def _insert_read_back(schema: ObjectSchema, row: CheckedRow, found: Existing) -> ReadBack | None:
    """Find the new object by the natural key the row gives; None when it gives none."""
    probe = found.probes.get(row.index) or probe_for(schema, row.body)
    if probe is None:
        return None
    return _new_object(schema, probe, found.baselines.get(row.index, frozenset()))


def _new_object(schema: ObjectSchema, probe: Probe, baseline: frozenset[str]) -> ReadBack:
    request = request_for(schema, probe)
    return ReadBack(
        request.path,
        ReadBack.Expect.NEW,
        dict(zip(probe.columns, probe.values, strict=True)),
        dict(request.params),
        baseline=baseline,
        listing=request.listing,
    )


def _with_check(validated: ValidatedPlan, write: ApiWrite | BulkJob) -> ApiWrite | BulkJob:
    """``write`` with the SELECT that shows whether it landed, for the "outcome unknown" message
    when its answer and every read-back are lost (bulk jobs name theirs per contact)."""
    if not isinstance(write, ApiWrite) or write.check:
        return write
    row = next((r for r in validated.rows if r.index in write.rows), None)
    if row is None:  # pragma: no cover - every write carries rows of the plan
        return write
    return replace(write, check=_check_for(validated, write, row))


def _check_for(validated: ValidatedPlan, write: ApiWrite, row: CheckedRow) -> str:
    schema, rule, op = validated.schema, validated.rule, validated.plan.operation
    path = write.path.lower()
    if path.endswith("/managecontactslists"):
        contact = next(iter(row.address.values()))
        return Probe(("ContactID",), (contact,)).check_sql("ListRecipient")
    if path.endswith("/managecontact"):
        email = _body_value(write.body or {}, "Email")
        return Probe(("Email", "ContactsList"), (email, row.list_id)).check_sql("Contact")
    if _PLACEHOLDER.search(rule.path or schema.path):
        # a sub-resource: its parent's id says which one
        columns = path_columns(schema, rule)
        return Probe(columns, tuple(row.address.values())).check_sql(schema.name)
    if op is Operation.INSERT and write.method == "POST":
        return _check_hint(schema, row)
    if "id" in row.address and schema.key:
        return Probe((schema.key,), (row.address["id"],)).check_sql(schema.name)
    return _check_hint(schema, row)


def _check_hint(schema: ObjectSchema, row: CheckedRow) -> str:
    """A SELECT that shows whether the row was created: by its natural key, or else by the
    first values it sets."""
    probe = probe_for(schema, row.body)
    if probe is not None:
        return probe.check_sql(schema.name)
    scalars = [
        (k, v)
        for k, v in row.body.items()
        if isinstance(v, str | int | float | bool) and v != "" and len(str(v)) <= 200
    ][:3]
    if not scalars:
        return f'SELECT * FROM "{schema.name}" ORDER BY ID DESC LIMIT 5'
    probe = Probe(tuple(k for k, _ in scalars), tuple(v for _, v in scalars))
    return probe.check_sql(schema.name)


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


def _with_properties(entry: dict[str, Any], row: CheckedRow) -> dict[str, Any]:
    """A bulk job's contact entry with the row's property values (``Properties``)."""
    if row.properties:
        entry["Properties"] = {k: to_json_scalar(v) for k, v in row.properties.items()}
    return entry


def _property_updates(
    validated: ValidatedPlan, options: WriteOptions, emails: Mapping[int, str]
) -> tuple[ApiWrite | BulkJob, ...]:
    """Many contacts' properties: ``managemanycontacts`` jobs carrying ``Properties`` (the
    bulk guide: existing contacts are updated, a null value unsets the property), one job per
    ``bulk_batch_size`` contacts; a row whose contact has no known email gets a PUT."""
    schema = validated.schema
    addressed = [r for r in validated.rows if r.index in emails]
    writes: list[ApiWrite | BulkJob] = [
        _contact_data_update(schema, r) for r in validated.rows if r.index not in emails
    ]
    size = max(1, options.bulk_batch_size)
    for start in range(0, len(addressed), size):
        batch = addressed[start : start + size]
        contacts = [
            {
                "Email": emails[r.index],
                "Properties": {k: to_json_scalar(v) for k, v in r.properties.items()},
            }
            for r in batch
        ]
        writes.append(
            BulkJob(
                f"{_CONTACT_PATH}/managemanycontacts",
                {"Contacts": contacts},
                tuple(r.index for r in batch),
                tuple(emails[r.index] for r in batch),
                resource="contactdata",
                existing=frozenset(),
            )
        )
    return tuple(writes)


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
                "Action": str(_body_value(r.body, "Action") or options.list_action).lower(),
            }
            for r in rows
        ]
        contact = next(iter(rows[0].address.values()))
        label = f"ContactID {contact}, ListID " + ", ".join(str(i["ListID"]) for i in items)
        writes.append(
            ApiWrite(
                "POST",
                path,
                {"ContactsLists": items},
                tuple(r.index for r in rows),
                label,
                "contact",
                _subscriptions(contact, {i["ListID"]: i["Action"] for i in items}),
            )
        )
    return tuple(writes)


def _subscriptions(contact: Any, actions: Mapping[Any, str]) -> ReadBack:
    """Read a contact's lists back: each list in the state its action leaves it in."""
    return ReadBack(
        f"{_CONTACT_PATH}/{quote_segment(contact)}/getcontactslists",
        ReadBack.Expect.LISTED,
        {str(list_id): action for list_id, action in actions.items()},
    )


def _body_value(body: Mapping[str, Any], name: str) -> Any:
    return next((v for k, v in body.items() if k.lower() == name.lower()), None)


# -- Contact INSERT ------------------------------------------------------------------------------


def _contact_inserts(
    validated: ValidatedPlan, options: WriteOptions, found: Existing
) -> tuple[ApiWrite | BulkJob, ...]:
    """Plain POSTs for a few contacts; ``managemanycontacts`` jobs for many (threshold option).

    A contact that exists already is sent only to subscribe it to the list (its Email alone,
    so nothing else of it changes), or, for OnConflict.UPDATE, to update it.
    """
    rows = validated.rows
    action = (validated.plan.list_action or options.list_action).lower()
    update = validated.plan.on_conflict is OnConflict.UPDATE
    by_list: dict[int | None, list[CheckedRow]] = {}
    for row in rows:
        by_list.setdefault(row.list_id, []).append(row)
    bulk = len(rows) >= max(1, options.bulk_threshold)
    writes: list[ApiWrite | BulkJob] = []
    for list_id, group in by_list.items():
        # managecontact documents Email, Name, Action and Properties only: a contact that also
        # sets IsExcludedFromCampaigns goes through the bulk job, which documents it.
        # POST /contact takes no Properties: contacts with property values (an import's
        # --map) go through the bulk job, which documents them
        if (
            bulk
            or (list_id is not None and any("IsExcludedFromCampaigns" in r.body for r in group))
            or any(r.properties for r in group)
        ):
            writes.extend(_bulk_jobs(group, list_id, action, options, found, update=update))
            continue
        for row in group:
            email = _body_value(row.body, "Email")
            current = found.objects.get(row.index)
            if list_id is None and current is not None:
                writes.append(_update_existing(validated, row, current, "contact"))
            elif list_id is None:
                writes.append(
                    ApiWrite(
                        "POST",
                        _CONTACT_PATH,
                        dict(row.body),
                        (row.index,),
                        row.label,
                        "contact",
                        _insert_read_back(validated.schema, row, found),
                    )
                )
            else:
                body = {"Email": email, "Action": action}
                if row.body.get("Name") is not None and (current is None or update):
                    body["Name"] = row.body["Name"]
                path = f"/v3/REST/contactslist/{quote_segment(list_id)}/managecontact"
                writes.append(
                    ApiWrite(
                        "POST",
                        path,
                        body,
                        (row.index,),
                        row.label,
                        "contact",
                        _subscriptions(email, {list_id: action}),
                    )
                )
    return tuple(writes)


def _bulk_jobs(
    rows: list[CheckedRow],
    list_id: int | None,
    action: str,
    options: WriteOptions,
    found: Existing,
    *,
    update: bool,
) -> list[BulkJob]:
    size = max(1, options.bulk_batch_size)
    jobs = []
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        contacts = [
            _with_properties({k: v for k, v in r.body.items() if v is not None}, r)
            if r.index not in found.objects or update
            else {"Email": _body_value(r.body, "Email")}
            for r in batch
        ]
        body: dict[str, Any]
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
                list_id=list_id,
                action=action if list_id is not None else "",
                existing=frozenset(r.index for r in batch if r.index in found.objects),
            )
        )
    return jobs
