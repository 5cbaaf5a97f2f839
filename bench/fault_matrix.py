"""The write fault matrix: what mjquery reports against what the server holds, under lost answers.

Every writable object, single-row and bulk writes, at two fault levels: 30 % and 50 % of all
requests (reads included) meet a fault, split evenly between a 5xx before the request is applied,
a 5xx after it was applied, a connection dropped after it was applied and an answer cut short.
Each trial runs every case on a fresh demo account (scale 0.05), then compares, row by row, the
outcome mjquery reported (:class:`~mjquery.writes.WriteResult`) with the sandbox's own rows:

* false success — reported written (or left as it was), but the server does not hold the row's
  write, or the row collided with an object that existed before;
* false failure — reported failed (or raised), but the server holds the row's write;
* duplicate — the server holds the row's object more than once;
* unknown — reported "outcome unknown"; *named* when its message says how to check;
* wrong RETURNING — RETURNING gave values other than the ones sent (an old row's).

A *blackout* run follows: every write's answer lost and every read failing after it, so that
every row sent must be "outcome unknown", named.

    python -m bench.fault_matrix                # 2 levels x 40 trials, figures to docs/bench-faults.md
    python -m bench.fault_matrix --trials 10    # the size tests/test_writes_matrix.py runs
    python -m bench.fault_matrix --levels 0.7 --out /tmp/faults-70.md   # harsher

A statement that raises (every attempt of a look-up failed, say) reports each of its rows failed,
unless its message says "outcome unknown". Counts are rows.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mjquery.api import ApiClient, ApiConfig  # noqa: E402
from mjquery.errors import Error  # noqa: E402
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig  # noqa: E402
from mjquery.sandbox.demo.people import PROPERTIES as DEMO_PROPERTIES  # noqa: E402
from mjquery.schema import load_catalog  # noqa: E402
from mjquery.schema.properties import ConnectionCatalog, PropertyDefinition  # noqa: E402
from mjquery.writes import (  # noqa: E402
    OnConflict,
    Operation,
    Outcome,
    RowWrite,
    WriteOptions,
    WritePlan,
    WriteResult,
    execute,
)

INSERT, UPDATE, DELETE = Operation.INSERT, Operation.UPDATE, Operation.DELETE
# The demo account's contact properties as the connection's catalog would read them, so
# ContactProperties has its property columns (mjquery.schema.properties).
CATALOG = ConnectionCatalog(
    load_catalog(), lambda: [PropertyDefinition(n, t) for n, t in DEMO_PROPERTIES]
)
LEVELS = (0.3, 0.5)
Row = dict[str, Any]


# -- reading the truth -----------------------------------------------------------------------------


def rows(sb: Sandbox, resource: str) -> list[Row]:
    return list(sb.store.table(resource).rows)


def ids(sb: Sandbox, resource: str) -> frozenset[Any]:
    return frozenset(r.get("ID") for r in rows(sb, resource))


def same(have: Any, want: Any) -> bool:
    if isinstance(want, str) and isinstance(have, str):
        return have.lower() == want.lower()
    return bool(have == want)


def carrying(sb: Sandbox, resource: str, fields: Mapping[str, Any]) -> list[Row]:
    return [r for r in rows(sb, resource) if all(same(r.get(k), v) for k, v in fields.items())]


def new_objects(resource: str, before: frozenset[Any], **fields: Any) -> Callable[[Sandbox], int]:
    """The objects carrying ``fields`` that did not exist before the trial."""
    return lambda sb: sum(r.get("ID") not in before for r in carrying(sb, resource, fields))


def holds(resource: str, key: Any, **fields: Any) -> Callable[[Sandbox], int]:
    """1 when the object with ID ``key`` carries ``fields`` (UPDATE; a soft DELETE)."""
    return lambda sb: int(
        any(
            r.get("ID") == key and all(same(r.get(k), v) for k, v in fields.items())
            for r in rows(sb, resource)
        )
    )


def gone(resource: str, key: Any) -> Callable[[Sandbox], int]:
    return lambda sb: int(all(r.get("ID") != key for r in rows(sb, resource)))


def member(
    contact_email: str, list_id: int, *, unsubscribed: bool | None = None
) -> Callable[[Sandbox], int]:
    def count(sb: Sandbox) -> int:
        contact = next((c for c in rows(sb, "contact") if same(c["Email"], contact_email)), None)
        if contact is None:
            return 0
        found = [
            r
            for r in rows(sb, "listrecipient")
            if r["ContactID"] == contact["ID"]
            and r["ListID"] == list_id
            and (unsubscribed is None or bool(r["IsUnsubscribed"]) == unsubscribed)
        ]
        return len(found)

    return count


def both(*counts: Callable[[Sandbox], int]) -> Callable[[Sandbox], int]:
    """Held when every part is held (as many times as the least held part)."""
    return lambda sb: min(c(sb) for c in counts)


# -- cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCheck:
    """One row of a case: ``held(sb)`` counts the objects carrying its write. ``collides``: an
    INSERT whose object existed before — the only right report is a refusal, and ``held`` then
    counts what changed (a new object, or the existing one modified)."""

    label: str
    held: Callable[[Sandbox], int]
    collides: bool = False


@dataclass(frozen=True)
class Reported:
    """What mjquery reported for one row. ``returned_right``: False when RETURNING gave back
    values other than the ones the server holds for the row (the old name of a duplicate)."""

    outcome: Outcome
    message: str = ""
    returned_right: bool = True


Runner = Callable[[Sandbox, ApiClient], list[Reported]]


@dataclass(frozen=True)
class Trial:
    """One case on one account: a write plan run by :func:`mjquery.writes.execute`, or a
    ``runner`` of its own (SQL through a cursor, a file import) reporting each row."""

    case: str
    plan: WritePlan | None
    checks: tuple[RowCheck, ...]
    options: WriteOptions = field(default_factory=WriteOptions)
    runner: Runner | None = None


Builder = Callable[[Sandbox, str], Trial]
CASES: dict[str, Builder] = {}


def case(name: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        CASES[name] = builder
        return builder

    return register


def plan(table: str, op: Operation, *rows_: RowWrite, **kw: Any) -> WritePlan:
    return WritePlan(table, op, tuple(rows_), **kw)


def upd(current: Row, **values: Any) -> RowWrite:
    return RowWrite(values=values, current=current)


def pick(
    sb: Sandbox, resource: str, n: int, where: Callable[[Row], bool] = lambda r: True
) -> list[Row]:
    found = [r for r in rows(sb, resource) if where(r)][:n]
    if len(found) < n:
        raise RuntimeError(f"the demo account has fewer than {n} {resource} rows to use")
    return found


def unchanged_contact(email: str, name: str, before: frozenset[Any]) -> Callable[[Sandbox], int]:
    """For a colliding Contact INSERT: a new object, or the existing one renamed, is a change."""

    def changed(sb: Sandbox) -> int:
        renamed = any(
            same(c["Email"], email) and c.get("Name") == name for c in rows(sb, "contact")
        )
        return new_objects("contact", before, Email=email)(sb) + int(renamed)

    return changed


def named(email: str, name: str) -> Callable[[Sandbox], int]:
    """1 when the contact ``email`` still has ``name`` (an import leaves existing ones alone)."""
    return lambda sb: int(
        any(same(c["Email"], email) and c.get("Name") == name for c in rows(sb, "contact"))
    )


def contact_rows(tag: str, n: int) -> list[tuple[str, str]]:
    return [(f"{tag}-{i}@matrix.example", f"{tag} {i}") for i in range(n)]


@case("Contact INSERT")
def _contact_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contact")
    new = contact_rows(tag, 3)
    old = pick(sb, "contact", 1)[0]
    writes = [RowWrite({"Email": e, "Name": n}) for e, n in new]
    writes.append(RowWrite({"Email": old["Email"], "Name": f"{tag} renamed"}))
    checks = [RowCheck(e, new_objects("contact", before, Email=e, Name=n)) for e, n in new]
    checks.append(
        RowCheck(
            old["Email"], unchanged_contact(old["Email"], f"{tag} renamed", before), collides=True
        )
    )
    return Trial("Contact INSERT", plan("Contact", INSERT, *writes), tuple(checks))


@case("Contact INSERT, bulk job")
def _contact_bulk(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contact")
    new = contact_rows(tag, 5)
    old = pick(sb, "contact", 2)[1]
    writes = [RowWrite({"Email": e, "Name": n}) for e, n in new]
    writes.append(RowWrite({"Email": old["Email"], "Name": f"{tag} renamed"}))
    checks = [RowCheck(e, new_objects("contact", before, Email=e, Name=n)) for e, n in new]
    checks.append(
        RowCheck(
            old["Email"], unchanged_contact(old["Email"], f"{tag} renamed", before), collides=True
        )
    )
    return Trial(
        "Contact INSERT, bulk job",
        plan("Contact", INSERT, *writes),
        tuple(checks),
        WriteOptions(bulk_threshold=3, poll_interval=0),
    )


def _list_id(sb: Sandbox) -> int:
    return int(pick(sb, "contactslist", 1, lambda r: not r["IsDeleted"])[0]["ID"])


@case("Contact INSERT into a list")
def _contact_list(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contact")
    list_id = _list_id(sb)
    new = contact_rows(tag, 2)
    checks = [
        RowCheck(e, both(new_objects("contact", before, Email=e, Name=n), member(e, list_id)))
        for e, n in new
    ]
    writes = [RowWrite({"Email": e, "Name": n}) for e, n in new]
    return Trial(
        "Contact INSERT into a list",
        plan("Contact", INSERT, *writes, list_id=list_id),
        tuple(checks),
    )


def not_on_list(sb: Sandbox, list_id: int, n: int) -> list[Row]:
    """``n`` contacts of the demo account (none a trial created) that are not on the list."""
    members = {r["ContactID"] for r in rows(sb, "listrecipient") if r["ListID"] == list_id}
    return pick(sb, "contact", n, lambda c: c["ID"] not in members and "@matrix." not in c["Email"])


@case("Contact import into a list, bulk job")
def _contact_import(sb: Sandbox, tag: str) -> Trial:
    # The import's semantics: existing contacts are left unchanged and added to the list.
    before = ids(sb, "contact")
    list_id = _list_id(sb)
    outsiders = not_on_list(sb, list_id, 2)
    new = contact_rows(tag, 4)
    writes = [RowWrite({"Email": e, "Name": n}) for e, n in new]
    checks = [
        RowCheck(e, both(new_objects("contact", before, Email=e, Name=n), member(e, list_id)))
        for e, n in new
    ]
    for c in outsiders:
        writes.append(RowWrite({"Email": c["Email"], "Name": f"{tag} renamed"}))
        name = c["Name"]
        checks.append(
            RowCheck(
                c["Email"],
                both(member(c["Email"], list_id), named(c["Email"], name)),
            )
        )
    return Trial(
        "Contact import into a list, bulk job",
        plan("Contact", INSERT, *writes, list_id=list_id, on_conflict=OnConflict.IGNORE),
        tuple(checks),
        WriteOptions(bulk_threshold=3, poll_interval=0),
    )


@case("Contact UPDATE")
def _contact_update(sb: Sandbox, tag: str) -> Trial:
    targets = pick(sb, "contact", 3, lambda c: "@matrix." not in c["Email"])
    writes = [upd({"ID": c["ID"]}, Name=f"{tag} {i}") for i, c in enumerate(targets)]
    checks = [
        RowCheck(c["Email"], holds("contact", c["ID"], Name=f"{tag} {i}"))
        for i, c in enumerate(targets)
    ]
    return Trial("Contact UPDATE", plan("Contact", UPDATE, *writes), tuple(checks))


@case("List INSERT")
def _list_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contactslist")
    names = [f"{tag} list {i}" for i in range(2)]
    existing = pick(sb, "contactslist", 1)[0]["Name"]
    checks = [RowCheck(n, new_objects("contactslist", before, Name=n)) for n in names]
    checks.append(
        RowCheck(existing, new_objects("contactslist", before, Name=existing), collides=True)
    )
    writes = [RowWrite({"Name": n}) for n in [*names, existing]]
    return Trial("List INSERT", plan("List", INSERT, *writes), tuple(checks))


@case("List UPDATE")
def _list_update(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "contactslist", 2)[1]
    return Trial(
        "List UPDATE",
        plan("List", UPDATE, upd({"ID": target["ID"]}, Name=f"{tag} renamed")),
        (RowCheck(str(target["ID"]), holds("contactslist", target["ID"], Name=f"{tag} renamed")),),
    )


@case("List DELETE")
def _list_delete(sb: Sandbox, tag: str) -> Trial:
    # The last list: the cases that subscribe contacts use the first one.
    key = [r["ID"] for r in rows(sb, "contactslist") if not r["IsDeleted"]][-1]
    return Trial(
        "List DELETE",
        plan("List", DELETE, upd({"ID": key})),
        (RowCheck(str(key), holds("contactslist", key, IsDeleted=True)),),
    )


@case("ListRecipient INSERT")
def _recipient_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "listrecipient")
    list_id = _list_id(sb)
    members = {r["ContactID"] for r in rows(sb, "listrecipient") if r["ListID"] == list_id}
    outsiders = pick(sb, "contact", 2, lambda c: c["ID"] not in members)
    existing = next(r for r in rows(sb, "listrecipient") if r["ListID"] == list_id)
    writes = [RowWrite({"ContactID": c["ID"], "ListID": list_id}) for c in outsiders]
    writes.append(RowWrite({"ContactID": existing["ContactID"], "ListID": list_id}))
    checks = [
        RowCheck(
            str(c["ID"]), new_objects("listrecipient", before, ContactID=c["ID"], ListID=list_id)
        )
        for c in outsiders
    ]
    checks.append(
        RowCheck(
            str(existing["ContactID"]),
            new_objects("listrecipient", before, ContactID=existing["ContactID"], ListID=list_id),
            collides=True,
        )
    )
    return Trial("ListRecipient INSERT", plan("ListRecipient", INSERT, *writes), tuple(checks))


@case("ListRecipient UPDATE")
def _recipient_update(sb: Sandbox, tag: str) -> Trial:
    targets = pick(sb, "listrecipient", 2, lambda r: not r["IsUnsubscribed"])
    return Trial(
        "ListRecipient UPDATE",
        plan(
            "ListRecipient", UPDATE, *[upd({"ID": r["ID"]}, IsUnsubscribed=True) for r in targets]
        ),
        tuple(
            RowCheck(str(r["ID"]), holds("listrecipient", r["ID"], IsUnsubscribed=True))
            for r in targets
        ),
    )


@case("ListRecipient DELETE")
def _recipient_delete(sb: Sandbox, tag: str) -> Trial:
    targets = pick(sb, "listrecipient", 2)
    return Trial(
        "ListRecipient DELETE",
        plan("ListRecipient", DELETE, *[upd({"ID": r["ID"]}) for r in targets]),
        tuple(RowCheck(str(r["ID"]), gone("listrecipient", r["ID"])) for r in targets),
    )


@case("ContactList INSERT (subscriptions)")
def _contact_list_insert(sb: Sandbox, tag: str) -> Trial:
    list_id = _list_id(sb)
    contacts = pick(sb, "contact", 2, lambda c: "@matrix." not in c["Email"])
    writes = [
        RowWrite({"ContactID": c["ID"], "ListID": list_id, "Action": "addforce"}) for c in contacts
    ]
    checks = [
        RowCheck(c["Email"], member(c["Email"], list_id, unsubscribed=False)) for c in contacts
    ]
    return Trial(
        "ContactList INSERT (subscriptions)", plan("ContactList", INSERT, *writes), tuple(checks)
    )


@case("ContactData UPDATE")
def _contact_data(sb: Sandbox, tag: str) -> Trial:
    targets = pick(sb, "contactdata", 2)

    def city(contact_id: int) -> Callable[[Sandbox], int]:
        return lambda sb: int(
            any(
                r["ID"] == contact_id
                and any(d.get("Name") == "city" and d.get("Value") == tag for d in r["Data"])
                for r in rows(sb, "contactdata")
            )
        )

    return Trial(
        "ContactData UPDATE",
        plan(
            "ContactData",
            UPDATE,
            *[upd({"ID": r["ID"], "ContactID": r["ContactID"]}, city=tag) for r in targets],
        ),
        tuple(RowCheck(str(r["ID"]), city(r["ID"])) for r in targets),
    )


def _property_trial(sb: Sandbox, tag: str, name: str, count: int, options: WriteOptions) -> Trial:
    """UPDATE ContactProperties SET city = <tag> on ``count`` contacts."""
    targets = pick(sb, "contactdata", count)

    def city(contact_id: int) -> Callable[[Sandbox], int]:
        return lambda sb: int(
            any(
                r["ID"] == contact_id
                and any(d.get("Name") == "city" and d.get("Value") == tag for d in r["Data"])
                for r in rows(sb, "contactdata")
            )
        )

    return Trial(
        name,
        plan(
            "ContactProperties",
            UPDATE,
            *[upd({"ContactID": r["ContactID"]}, city=tag) for r in targets],
        ),
        tuple(RowCheck(str(r["ID"]), city(r["ID"])) for r in targets),
        options,
    )


@case("ContactProperties UPDATE")
def _contact_properties(sb: Sandbox, tag: str) -> Trial:
    return _property_trial(sb, tag, "ContactProperties UPDATE", 2, WriteOptions())


@case("ContactProperties UPDATE, bulk job")
def _contact_properties_bulk(sb: Sandbox, tag: str) -> Trial:
    return _property_trial(
        sb,
        tag,
        "ContactProperties UPDATE, bulk job",
        4,
        WriteOptions(bulk_threshold=3, poll_interval=0),
    )


@case("ContactMetadata INSERT")
def _metadata_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contactmetadata")
    name = tag.replace("-", "_").lower()
    existing = pick(sb, "contactmetadata", 1)[0]
    return Trial(
        "ContactMetadata INSERT",
        plan(
            "ContactMetadata",
            INSERT,
            RowWrite({"Name": name, "Datatype": "str", "NameSpace": "static"}),
            RowWrite(
                {"Name": existing["Name"], "Datatype": "str", "NameSpace": existing["NameSpace"]}
            ),
        ),
        (
            RowCheck(name, new_objects("contactmetadata", before, Name=name)),
            RowCheck(
                existing["Name"],
                new_objects("contactmetadata", before, Name=existing["Name"]),
                collides=True,
            ),
        ),
    )


@case("Template INSERT")
def _template_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "template")
    names = [f"{tag} template {i}" for i in range(2)]
    writes = [RowWrite({"Name": n, "OwnerType": "apikey"}) for n in names]
    # Without OwnerType: part of the natural key only.
    writes.append(RowWrite({"Name": f"{tag} template x"}))
    checks = [
        RowCheck(n, new_objects("template", before, Name=n)) for n in [*names, f"{tag} template x"]
    ]
    return Trial("Template INSERT", plan("Template", INSERT, *writes), tuple(checks))


@case("Template UPDATE")
def _template_update(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "template", 3)[2]
    return Trial(
        "Template UPDATE",
        plan("Template", UPDATE, upd({"ID": target["ID"]}, Description=tag)),
        (RowCheck(str(target["ID"]), holds("template", target["ID"], Description=tag)),),
    )


@case("Template DELETE")
def _template_delete(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "template", 1, lambda r: "matrix" not in str(r.get("Name")))[-1]
    return Trial(
        "Template DELETE",
        plan("Template", DELETE, upd({"ID": target["ID"]})),
        (RowCheck(str(target["ID"]), gone("template", target["ID"])),),
    )


@case("CampaignDraft INSERT (no natural key)")
def _draft_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "campaigndraft")
    subject = f"{tag} draft"
    return Trial(
        "CampaignDraft INSERT (no natural key)",
        plan(
            "CampaignDraft",
            INSERT,
            RowWrite(
                {
                    "Locale": "en_US",
                    "Sender": "Kestrel",
                    "SenderEmail": "hello@kestrelcoffee.example",
                    "Subject": subject,
                }
            ),
        ),
        (RowCheck(subject, new_objects("campaigndraft", before, Subject=subject)),),
    )


@case("CampaignDraft UPDATE")
def _draft_update(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "campaigndraft", 1, lambda r: not r["Used"])[0]
    return Trial(
        "CampaignDraft UPDATE",
        plan(
            "CampaignDraft",
            UPDATE,
            RowWrite({"Title": tag}, {"ID": target["ID"], "Used": False}, True),
        ),
        (RowCheck(str(target["ID"]), holds("campaigndraft", target["ID"], Title=tag)),),
    )


@case("CampaignDraftDetailContent INSERT")
def _draft_content(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "campaigndraft", 1, lambda r: not r["Used"])[0]["ID"]
    html = f"<p>{tag}</p>"

    def content(sb: Sandbox) -> int:
        stored = sb.store.sub_resources.get("campaigndraft/detailcontent", {}).get(target) or {}
        return int(stored.get("Html-part") == html)

    return Trial(
        "CampaignDraftDetailContent INSERT",
        plan(
            "CampaignDraftDetailContent",
            INSERT,
            RowWrite({"CampaignDraftID": target, "Html-part": html, "Text-part": tag}),
        ),
        (RowCheck(str(target), content),),
    )


@case("TemplateDetailContent UPDATE")
def _template_content(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "template", 2)[1]["ID"]
    text = f"{tag} text"

    def content(sb: Sandbox) -> int:
        stored = sb.store.sub_resources.get("template/detailcontent", {}).get(target) or {}
        return int(stored.get("Text-part") == text)

    return Trial(
        "TemplateDetailContent UPDATE",
        plan("TemplateDetailContent", UPDATE, upd({"TemplateID": target}, **{"Text-part": text})),
        (RowCheck(str(target), content),),
    )


@case("Segmentation INSERT")
def _segment_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contactfilter")
    name = f"{tag} segment"
    return Trial(
        "Segmentation INSERT",
        plan("Segmentation", INSERT, RowWrite({"Name": name, "Expression": '(country="FR")'})),
        (RowCheck(name, new_objects("contactfilter", before, Name=name)),),
    )


@case("Sender INSERT")
def _sender_insert(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "sender")
    email = f"{tag}@kestrelcoffee.example"
    return Trial(
        "Sender INSERT",
        plan("Sender", INSERT, RowWrite({"Email": email, "Name": tag})),
        (RowCheck(email, new_objects("sender", before, Email=email)),),
    )


@case("ParseRoute INSERT")
def _parse_route(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "parseroute")
    email = f"{tag}@parse-in1.mailjet.com"
    key = pick(sb, "apikey", 1)[0]["ID"]
    row = {"Url": f"https://hooks.example/{tag}", "Email": email, "APIKeyID": key}
    return Trial(
        "ParseRoute INSERT",
        plan("ParseRoute", INSERT, RowWrite(row)),
        (RowCheck(email, new_objects("parseroute", before, Email=email)),),
    )


@case("MetaSender INSERT")
def _meta_sender(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "metasender")
    email = f"{tag}@kestrelcoffee.example"
    return Trial(
        "MetaSender INSERT",
        plan("MetaSender", INSERT, RowWrite({"Email": email, "Description": tag})),
        (RowCheck(email, new_objects("metasender", before, Email=email)),),
    )


@case("EventCallbackUrl DELETE")
def _callback_delete(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "eventcallbackurl", 1)[0]["ID"]
    return Trial(
        "EventCallbackUrl DELETE",
        plan("EventCallbackUrl", DELETE, upd({"ID": target})),
        (RowCheck(str(target), gone("eventcallbackurl", target)),),
    )


@case("CampaignDraftSchedule INSERT")
def _schedule(sb: Sandbox, tag: str) -> Trial:
    draft = pick(sb, "campaigndraft", 1, lambda r: r["Status"] == 0 and not r["Used"])[0]["ID"]

    def scheduled(sb: Sandbox) -> int:
        return int(bool(sb.store.sub_resources.get("campaigndraft/schedule", {}).get(draft)))

    row = {"CampaignDraftID": draft, "Date": "2030-05-01T09:00:00Z"}
    return Trial(
        "CampaignDraftSchedule INSERT",
        plan("CampaignDraftSchedule", INSERT, RowWrite(row)),
        (RowCheck(str(draft), scheduled),),
    )


@case("ContactMetadata DELETE")
def _metadata_delete(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "contactmetadata", 1, lambda r: r["Name"] in ("source", "plan"))[0]["ID"]
    return Trial(
        "ContactMetadata DELETE",
        plan("ContactMetadata", DELETE, upd({"ID": target})),
        (RowCheck(str(target), gone("contactmetadata", target)),),
    )


@case("Segmentation DELETE")
def _segment_delete(sb: Sandbox, tag: str) -> Trial:
    target = pick(sb, "contactfilter", 1)[-1]["ID"]
    return Trial(
        "Segmentation DELETE",
        plan("Segmentation", DELETE, upd({"ID": target})),
        (RowCheck(str(target), gone("contactfilter", target)),),
    )


@case("User UPDATE")
def _user(sb: Sandbox, tag: str) -> Trial:
    user = pick(sb, "user", 1)[0]
    return Trial(
        "User UPDATE",
        plan("User", UPDATE, upd({"ID": user["ID"]}, Username=tag)),
        (RowCheck(str(user["ID"]), holds("user", user["ID"], Username=tag)),),
    )


@case("Campaign UPDATE")
def _campaign_update(sb: Sandbox, tag: str) -> Trial:
    targets = pick(sb, "campaign", 2)
    return Trial(
        "Campaign UPDATE",
        plan(
            "Campaign",
            UPDATE,
            *[upd({"ID": c["ID"]}, IsStarred=not c["IsStarred"]) for c in targets],
        ),
        tuple(
            RowCheck(str(c["ID"]), holds("campaign", c["ID"], IsStarred=not c["IsStarred"]))
            for c in targets
        ),
    )


@case("MyProfile UPDATE")
def _profile(sb: Sandbox, tag: str) -> Trial:
    profile = pick(sb, "myprofile", 1)[0]
    return Trial(
        "MyProfile UPDATE",
        plan("MyProfile", UPDATE, upd({"ID": profile["ID"]}, JobTitle=tag)),
        (RowCheck(str(profile["ID"]), holds("myprofile", profile["ID"], JobTitle=tag)),),
    )


@case("APIKey UPDATE")
def _apikey_update(sb: Sandbox, tag: str) -> Trial:
    key = pick(sb, "apikey", 1)[0]
    return Trial(
        "APIKey UPDATE",
        plan("APIKey", UPDATE, upd({"ID": key["ID"]}, Name=f"{tag} key")),
        (RowCheck(str(key["ID"]), holds("apikey", key["ID"], Name=f"{tag} key")),),
    )


# -- through the front doors: SQL on a cursor, and a file import -----------------------------------


def sql_connection(sb: Sandbox, options: WriteOptions | None = None) -> Any:
    """A DB-API connection on the trial's account, waiting no real time (see SkippedWaits)."""
    import mjquery

    conn = mjquery.connect(sandbox=sb, cache_ttl=0, write_options=options or WriteOptions())
    conn.api.clock = SkippedWaits()
    return conn


@case("Contact INSERT ... RETURNING (SQL)")
def _contact_sql(sb: Sandbox, tag: str) -> Trial:
    # The statement of the report: a new email and an existing one, each INSERT ... RETURNING
    # Name on its own; RETURNING must give the name sent, never the old one of a duplicate.
    before = ids(sb, "contact")
    email, name = contact_rows(tag, 1)[0]
    old = pick(sb, "contact", 3)[2]
    renamed = f"{tag} renamed"
    statements = [(email, name), (old["Email"], renamed)]

    def runner(sb: Sandbox, client: ApiClient) -> list[Reported]:
        out: list[Reported] = []
        with sql_connection(sb) as conn:
            cur = conn.cursor()
            for address, sent in statements:
                try:
                    cur.execute(
                        "INSERT INTO Contact (Email, Name) VALUES (?, ?) RETURNING Name",
                        [address, sent],
                    )
                except Error as exc:
                    out += raised(exc, 1)
                    continue
                returned = cur.fetchall()
                outcome = Outcome.WRITTEN if cur.rowcount == 1 else Outcome.FAILED
                text = f"rowcount {cur.rowcount}, RETURNING {returned}; {cur.messages}"
                out.append(Reported(outcome, text, returned == [(sent,)]))
        return out

    return Trial(
        "Contact INSERT ... RETURNING (SQL)",
        None,
        (
            RowCheck(email, new_objects("contact", before, Email=email, Name=name)),
            RowCheck(old["Email"], unchanged_contact(old["Email"], renamed, before), collides=True),
        ),
        runner=runner,
    )


@case("Contact INSERT, bulk job (SQL executemany)")
def _contact_sql_bulk(sb: Sandbox, tag: str) -> Trial:
    before = ids(sb, "contact")
    new = contact_rows(tag, 4)

    def runner(sb: Sandbox, client: ApiClient) -> list[Reported]:
        options = WriteOptions(bulk_threshold=3, poll_interval=0)
        with sql_connection(sb, options) as conn:
            try:
                conn.cursor().executemany("INSERT INTO Contact (Email, Name) VALUES (?, ?)", new)
            except Error as exc:
                return raised(exc, len(new))
            return reported_by(conn.engine.last_write.result, len(new))

    return Trial(
        "Contact INSERT, bulk job (SQL executemany)",
        None,
        tuple(RowCheck(e, new_objects("contact", before, Email=e, Name=n)) for e, n in new),
        runner=runner,
    )


@case("Contact import file into a list, bulk job")
def _contact_import_file(sb: Sandbox, tag: str) -> Trial:
    # mjquery import's own report: the rejected file must hold exactly the rows the server does
    # not hold (a row marked "outcome unknown" there says how to check).
    import csv
    import tempfile

    from mjquery.writes.imports import import_file

    before = ids(sb, "contact")
    list_id = _list_id(sb)
    outsider = not_on_list(sb, list_id, 1)[0]
    new = contact_rows(tag, 5)
    lines = [*new, (outsider["Email"], f"{tag} renamed"), ("not-an-email", "Bad")]
    checks = [
        RowCheck(e, both(new_objects("contact", before, Email=e, Name=n), member(e, list_id)))
        for e, n in new
    ]
    checks.append(
        RowCheck(
            outsider["Email"],
            both(member(outsider["Email"], list_id), named(outsider["Email"], outsider["Name"])),
        )
    )
    checks.append(RowCheck("not-an-email", new_objects("contact", before, Email="not-an-email")))

    def runner(sb: Sandbox, client: ApiClient) -> list[Reported]:
        with tempfile.TemporaryDirectory(prefix="mjquery-matrix-") as tmp:
            source = Path(tmp) / "people.csv"
            with source.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["Email", "Name"])
                writer.writerows(lines)
            report = import_file(
                client,
                source,
                "Contact",
                catalog=CATALOG,
                list_id=list_id,
                options=WriteOptions(bulk_threshold=3, poll_interval=0),
                journal=Path(tmp) / "journal.jsonl",
            )
            rejected: dict[int, str] = {}
            if report.rejected_path:
                with open(report.rejected_path, newline="", encoding="utf-8") as handle:
                    rejected = {int(r["line"]): r["error"] for r in csv.DictReader(handle)}
        out = []
        for line in range(2, 2 + len(lines)):
            error = rejected.get(line)
            if error is None:
                out.append(Reported(Outcome.WRITTEN))
            elif error.startswith("outcome unknown"):
                out.append(Reported(Outcome.UNKNOWN, error))
            else:
                out.append(Reported(Outcome.FAILED, error))
        return out

    return Trial("Contact import file into a list, bulk job", None, tuple(checks), runner=runner)


# -- running and scoring ---------------------------------------------------------------------------


@dataclass
class Tally:
    rows: int = 0
    written: int = 0
    failed: int = 0  # reported failed and not on the server: right
    unknown: int = 0
    unknown_named: int = 0
    false_success: int = 0
    false_failure: int = 0
    duplicates: int = 0
    wrong_returning: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "rows",
            "written",
            "failed",
            "unknown",
            "unknown_named",
            "false_success",
            "false_failure",
            "duplicates",
            "wrong_returning",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.examples.extend(other.examples[: 5 - len(self.examples)])

    @property
    def wrong(self) -> int:
        return (
            self.false_success
            + self.false_failure
            + self.duplicates
            + self.wrong_returning
            + (self.unknown - self.unknown_named)
        )


def score(trial: Trial, sb: Sandbox, reported: Sequence[Reported]) -> Tally:
    tally = Tally()
    for check, report in zip(trial.checks, reported, strict=True):
        outcome, message = report.outcome, report.message
        tally.rows += 1
        held = check.held(sb)
        where = f"{trial.case} / {check.label}: reported {outcome.value}, server holds it {held} time(s)"
        if held > 1:
            tally.duplicates += 1
            tally.examples.append(f"duplicate: {where}")
        if outcome is Outcome.UNKNOWN:
            tally.unknown += 1
            if "Check with" in message or "check with" in message.lower():
                tally.unknown_named += 1
            else:
                tally.examples.append(f"unnamed unknown: {where}: {message}")
        elif outcome in (Outcome.WRITTEN, Outcome.EXISTED):
            if check.collides or held == 0:
                tally.false_success += 1
                tally.examples.append(f"false success: {where}")
            else:
                tally.written += 1
            if not report.returned_right:
                tally.wrong_returning += 1
                tally.examples.append(f"wrong RETURNING: {where}: {message}")
        elif held > 0:
            tally.false_failure += 1
            tally.examples.append(f"false failure: {where}: {message}")
        else:
            tally.failed += 1
    return tally


def raised(exc: Error, rows: int) -> list[Reported]:
    """A statement that raised reports every row: unknown when it says so, else failed."""
    text = str(exc)
    outcome = Outcome.UNKNOWN if "outcome unknown" in text else Outcome.FAILED
    return [Reported(outcome, text)] * rows


def run_trial(trial: Trial, sb: Sandbox, client: ApiClient) -> list[Reported]:
    """Each row's reported outcome and message (a raised statement reports every row)."""
    try:
        if trial.runner is not None:
            return trial.runner(sb, client)
        assert trial.plan is not None
        result = execute(trial.plan, CATALOG, client, trial.options, sleep=lambda _: None)
    except Error as exc:
        return raised(exc, len(trial.checks))
    return reported_by(result, len(trial.checks))


def reported_by(result: WriteResult, rows: int) -> list[Reported]:
    messages = {f.row_index: f.message for f in result.failed}
    return [Reported(result.outcome_of(i), messages.get(i, "")) for i in range(rows)]


class SkippedWaits:
    """The client's clock for the matrix: the machine's monotonic time plus every wait asked
    for, without waiting. Retries, backoff and read-back polls keep their schedule (a poll still
    gives up after ``consistency_wait`` seconds of this clock) and the run takes no idle time."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(0.0, seconds)


def faulty_account(level: float, seed: int) -> Sandbox:
    share = level / 4
    return Sandbox(
        seed=1,
        scale=0.05,
        config=SandboxConfig(
            fault_rate=share,
            error_after_rate=share,
            drop_rate=share,
            truncate_rate=share,
            fault_seed=seed,
        ),
    )


def run_matrix(
    levels: Iterable[float], trials: int, cases: Iterable[str] | None = None
) -> dict[tuple[float, str], Tally]:
    names = list(cases or CASES)
    results: dict[tuple[float, str], Tally] = {}
    for level in levels:
        for seed in range(trials):
            sb = faulty_account(level, seed)
            config = ApiConfig(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, cache_ttl=0)
            with ApiClient(config, transport=sb.transport(), clock=SkippedWaits()) as client:
                for n, name in enumerate(names):
                    trial = CASES[name](sb, f"t{seed}-{n}")
                    reported = run_trial(trial, sb, client)
                    results.setdefault((level, name), Tally()).add(score(trial, sb, reported))
    return results


class Blackout(httpx.BaseTransport):
    """The worst case for a report: every write is applied and its answer lost (the connection
    drops), and once a write was sent every read fails. No read-back can decide anything, so
    every row sent must be reported "outcome unknown" with the query that checks it."""

    def __init__(self, sb: Sandbox) -> None:
        self.inner = sb.transport()
        self.dark = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method in ("POST", "PUT", "DELETE"):
            self.dark = True
            self.inner.handle_request(request).read()
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if self.dark:
            return httpx.Response(503, json={"ErrorMessage": "unavailable", "StatusCode": 503})
        return self.inner.handle_request(request)


def run_blackout(cases: Iterable[str] | None = None) -> dict[str, Tally]:
    """Every case built on an execute() plan, once, under :class:`Blackout` (the cases with a
    runner of their own go through the same write path, on a connection of their own)."""
    results: dict[str, Tally] = {}
    for n, name in enumerate(cases or CASES):
        sb = Sandbox(seed=1, scale=0.05)
        config = ApiConfig(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, cache_ttl=0)
        with ApiClient(config, transport=Blackout(sb), clock=SkippedWaits()) as client:
            trial = CASES[name](sb, f"b{n}")
            if trial.runner is None:
                results[name] = score(trial, sb, run_trial(trial, sb, client))
    return results


def totals(results: Mapping[tuple[float, str], Tally]) -> dict[float, Tally]:
    out: dict[float, Tally] = {}
    for (level, _), tally in results.items():
        out.setdefault(level, Tally()).add(tally)
    return out


def report(results: Mapping[tuple[float, str], Tally], trials: int, seconds: float) -> str:
    lines = [
        "# Writes under faults: the fault matrix",
        "",
        "What mjquery reported for each row of a write, compared with what the sandbox holds",
        f"afterwards. {trials} trials per fault level; each trial runs every case once on a fresh",
        "demo account (scale 0.05). Faults hit every request, reads included, split evenly between a",
        "5xx before the request is applied, a 5xx after it was applied, a connection dropped after it",
        "was applied and an answer cut short. Command: `python -m bench.fault_matrix --trials "
        f"{trials}` ({seconds:.0f} s on this machine).",
        "",
        "| faults | case | rows | written | failed (right) | outcome unknown (named) | false successes | false failures | duplicates | wrong RETURNING |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (level, name), t in sorted(results.items()):
        lines.append(
            f"| {level:.0%} | {name} | {t.rows} | {t.written} | {t.failed} | {t.unknown} ({t.unknown_named}) | "
            f"{t.false_success} | {t.false_failure} | {t.duplicates} | {t.wrong_returning} |"
        )
    for level, t in sorted(totals(results).items()):
        lines.append(
            f"| **{level:.0%}** | **all** | **{t.rows}** | **{t.written}** | **{t.failed}** | "
            f"**{t.unknown} ({t.unknown_named})** | **{t.false_success}** | **{t.false_failure}** | "
            f"**{t.duplicates}** | **{t.wrong_returning}** |"
        )
    lines += [
        "",
        '"Failed (right)": rows reported not written that the server indeed does not hold (every',
        'attempt failed, or the row collided with an existing object). "Outcome unknown": rows',
        "whose answer was lost where no read-back can decide (objects without a natural key), or",
        'whose read-back failed too; "named" when the message gives the SELECT that checks it.',
        "",
    ]
    return "\n".join(lines)


def blackout_report(results: Mapping[str, Tally]) -> str:
    total = Tally()
    for tally in results.values():
        total.add(tally)
    return "\n".join(
        [
            "## Blackout: every answer lost, every read-back failing",
            "",
            f"Each of the {len(results)} cases built on a write plan, once, with every write applied and",
            "its answer lost, and every read failing once a write was sent: nothing can be read",
            "back, so every row sent must be reported outcome unknown, with the query that checks it.",
            "",
            "| rows | written | failed (right) | outcome unknown (named) | false successes | false failures | duplicates |",
            "|---|---|---|---|---|---|---|",
            f"| {total.rows} | {total.written} | {total.failed} | {total.unknown} ({total.unknown_named}) | "
            f"{total.false_success} | {total.false_failure} | {total.duplicates} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--trials", type=int, default=40, help="trials per fault level (default 40)"
    )
    parser.add_argument(
        "--levels",
        type=lambda text: tuple(float(x) for x in text.split(",")),
        default=LEVELS,
        help="fault levels, comma-separated shares of requests (default 0.3,0.5)",
    )
    parser.add_argument(
        "--out", default=str(ROOT / "docs" / "bench-faults.md"), help="the report to write"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run_matrix(args.levels, args.trials)
    seconds = time.perf_counter() - started
    dark = run_blackout()
    text = report(results, args.trials, seconds) + "\n" + blackout_report(dark)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    everything = [*totals(results).values(), *dark.values()]
    wrong = sum(t.wrong for t in everything)
    for t in everything:
        for example in t.examples:
            print(example)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
