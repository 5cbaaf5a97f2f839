"""A small hand-made Mailjet account for the sandbox tests (served by conftest's ``sandbox``).

Rows are built from the vendored reference (every field the reference lists, nothing else), so
the tests do not depend on the generated demo account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mjquery.sandbox.api.reference import FieldSpec, load_reference, top_level_resources

BASE_URL = "https://api.mailjet.com"


@dataclass
class SmallAccount:
    """Same shape as the demo account the sandbox serves by default."""

    resources: dict[str, Any]
    sub_resources: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    api_key_id: int = 1
    now: datetime = datetime(2024, 6, 1, tzinfo=UTC)


def _value(spec: FieldSpec, index: int) -> Any:
    if spec.name == "ID":
        return index
    return {
        "int": index * 10,
        "bool": index % 2 == 0,
        "float": index / 2,
        "datetime": f"2024-0{1 + index % 5}-1{index % 10}T08:00:00Z",
        "array": [],
        "object": {},
    }.get(spec.type, f"{spec.name.lower()}-{index}")


def reference_row(resource: str, index: int, **overrides: Any) -> dict[str, Any]:
    """A row of ``resource`` with every reference field, plausible values, and ``overrides``."""
    spec = load_reference()[resource]
    row = {f.name: _value(f, index) for f in spec.fields}
    unknown = set(overrides) - set(row)
    assert not unknown, f"{resource} has no fields {unknown}"
    row.update(overrides)
    return row


def contact(i: int, email: str, **kw: Any) -> dict[str, Any]:
    base = dict(
        Email=email,
        Name=f"Person {i}",
        CreatedAt=f"2024-01-{i:02d}T10:00:00Z",
        LastUpdateAt="",
        UnsubscribedAt="",
        UnsubscribedBy="",
        ExclusionFromCampaignsUpdatedAt="",
        IsExcludedFromCampaigns=False,
        IsOptInPending=False,
        IsSpamComplaining=False,
        DeliveredCount=i * 3 % 7,
    )
    base.update(kw)
    return reference_row("contact", i, **base)


def small_account() -> SmallAccount:
    """Six contacts, three lists, seven memberships, messages, drafts, one row of everything else."""
    resources: dict[str, Any] = {}
    for name in top_level_resources():
        resources[name] = [reference_row(name, 1)] if name not in ("contact", "message") else []
    resources["contact"] = [
        contact(1, "alice@acme.com", Name="Alice"),
        contact(2, "bob@acme.com", Name="Bob", DeliveredCount=9),
        contact(
            3,
            "Carol@Example.org",
            Name="Carol",
            UnsubscribedAt="2024-02-02T00:00:00Z",
            UnsubscribedBy="api",
        ),
        contact(4, "dave@example.org", Name="Dave", IsExcludedFromCampaigns=True),
        contact(5, "erin@acme.com", Name="Erin"),
        contact(6, "frank@other.net", Name="Frank"),
    ]
    resources["contactslist"] = [
        reference_row(
            "contactslist", 1, Name="Newsletter", IsDeleted=False, SubscriberCount=4, Address="nl1"
        ),
        reference_row(
            "contactslist", 2, Name="VIP", IsDeleted=False, SubscriberCount=2, Address="vip2"
        ),
        reference_row(
            "contactslist", 3, Name="Old", IsDeleted=True, SubscriberCount=1, Address="old3"
        ),
    ]
    memberships = [
        (1, 1, False),
        (2, 1, False),
        (3, 1, True),
        (5, 1, False),
        (2, 2, False),
        (4, 2, False),
        (6, 3, False),
    ]
    names = {1: "Newsletter", 2: "VIP", 3: "Old"}
    resources["listrecipient"] = [
        reference_row(
            "listrecipient",
            i,
            ContactID=cid,
            ListID=lid,
            ListName=names[lid],
            IsActive=True,
            IsUnsubscribed=unsub,
            SubscribedAt="2024-01-15T00:00:00Z",
            UnsubscribedAt="2024-02-02T00:00:00Z" if unsub else "",
        )
        for i, (cid, lid, unsub) in enumerate(memberships, start=1)
    ]
    big = 1152921509561800354
    resources["message"] = [
        reference_row(
            "message",
            i,
            ID=big + i,
            CampaignID=100 + i % 2,
            ContactID=1 + i % 6,
            ArrivedAt=f"2024-03-0{i}T12:00:00Z",
            Status="sent" if i % 3 else "opened",
            Subject=f"Subject {i}",
            ContactAlt=f"c{i}@x.com",
            CustomID=f"cust-{i}",
            SenderID=7,
            StateID=0,
        )
        for i in range(1, 7)
    ]
    resources["contactmetadata"] = [
        reference_row("contactmetadata", 1, Name="age", Datatype="int", NameSpace="static"),
        reference_row("contactmetadata", 2, Name="city", Datatype="str", NameSpace="static"),
    ]
    resources["contactdata"] = [
        reference_row("contactdata", 1, ContactID=1, Data=[{"Name": "age", "Value": "31"}])
    ]
    resources["campaigndraft"] = [
        reference_row(
            "campaigndraft",
            1,
            Status=0,
            Sender="Acme",
            SenderEmail="news@acme.com",
            Subject="Hello",
            ContactsListID=1,
            AXTesting=None,
            Used=False,
            DeliveredAt="",
        ),
        reference_row("campaigndraft", 2, Status=2, ContactsListID=2, Used=True, AXTesting=None),
    ]
    resources["template"] = [reference_row("template", 1, Name="Welcome", OwnerType="apikey")]
    sub = {
        "campaigndraft/detailcontent": {
            1: {"Headers": {}, "Html-part": "<p>Hi</p>", "Text-part": "Hi", "MJMLContent": ""}
        },
        "campaigndraft/schedule": {},
        "template/detailcontent": {
            1: {"Headers": {}, "Html-part": "Hello", "Text-part": None, "MJMLContent": None}
        },
    }
    return SmallAccount(resources=resources, sub_resources=sub)
