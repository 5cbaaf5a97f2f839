"""Contacts, lists, list memberships and contact properties of the demo account.

:func:`build_audience` draws the people once; the message simulation then reads it (who was
subscribed to which list when) and writes back the unsubscriptions that campaigns cause, and
:func:`audience_resources` turns the final state into API rows (contact, contactslist,
listrecipient, contactmetadata, contactdata).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from mjquery.sandbox.demo import vocab
from mjquery.sandbox.demo.reference import rfc3339, row

DAY = 86400


@dataclass
class MailingList:
    """A contacts list and its members (parallel columns: contact index, subscribed, unsubscribed)."""

    id: int
    name: str
    address: str
    created_at: int
    is_deleted: bool
    kind: str  # newsletter | customers | members | partners | workshop | promo | leads
    member_contact: list[int] = field(default_factory=list)
    member_subscribed: list[int] = field(default_factory=list)
    member_unsubscribed: list[int] = field(default_factory=list)  # 0 = still subscribed
    member_active: list[bool] = field(default_factory=list)


@dataclass
class Audience:
    """Everyone the demo business knows: contact columns indexed by contact index, and lists."""

    contact_id: list[int]
    created: list[int]
    email: list[str]
    name: list[str]
    domain: list[int]  # index into vocab.RECIPIENT_DOMAINS, or -1 for a business domain
    country: list[int]  # index into vocab.COUNTRIES, or -1 when unknown
    excluded_at: list[int]  # 0 = not excluded from campaigns
    opt_in_pending: list[bool]
    spam_complaint: list[bool]
    properties: list[dict[str, str]]
    lists: list[MailingList]

    @property
    def size(self) -> int:
        return len(self.contact_id)


# (name, kind, share of contacts, created days after the account, deleted)
_CORE_LISTS = (
    ("Newsletter", "newsletter", 0.55, 6, False),
    ("Customers", "customers", 0.32, 21, False),
    ("Subscription members", "members", 0.14, 240, False),
    ("Wholesale partners", "partners", 0.03, 330, False),
    ("Workshop attendees", "workshop", 0.08, 640, False),
    ("Trade show leads 2023", "leads", 0.07, 60, True),
    ("Holiday promo 2024", "promo", 0.10, 420, True),
)

PROPERTIES = (
    # (name, datatype)
    ("firstname", "str"),
    ("lastname", "str"),
    ("country", "str"),
    ("city", "str"),
    ("plan", "str"),
    ("signup_date", "datetime"),
    ("total_orders", "int"),
    ("lifetime_value", "float"),
    ("newsletter_opt_in", "bool"),
    ("source", "str"),
)


def _weighted(rng: random.Random, weights: list[float]) -> list[float]:
    total = sum(weights)
    acc, out = 0.0, []
    for weight in weights:
        acc += weight / total
        out.append(acc)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    u = rng.random()
    for index, bound in enumerate(cumulative):
        if u < bound:
            return index
    return len(cumulative) - 1


def _list_address(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(9))


def build_audience(rng: random.Random, scale: float, start: int, now: int) -> Audience:
    """Draw contacts (ordered by creation, so ids grow with CreatedAt), lists and memberships."""
    count = max(1, round(2000 * scale))
    span = now - start
    # More people signed up recently than at the start: u**0.75 skews creation times late.
    created = sorted(
        start + 3 * DAY + int((span - 3 * DAY) * rng.random() ** 0.75) for _ in range(count)
    )
    domain_cum = _weighted(rng, [d[1] for d in vocab.RECIPIENT_DOMAINS])
    country_cum = _weighted(rng, [c[1] for c in vocab.COUNTRIES])
    plan_cum = _weighted(rng, [p[1] for p in vocab.PLANS])

    lists: list[MailingList] = []
    list_id = 31800 + rng.randrange(200)
    extra = int(math.log2(scale)) if scale > 1 else 0
    specs = list(_CORE_LISTS) + [
        (f"Workshop waitlist {city}", "workshop", 0.02, 700 + 20 * i, False)
        for i, city in enumerate(
            ("Lyon", "Berlin", "London", "Madrid", "Milan", "Brussels", "Zurich", "Paris")
        )
        if i < extra
    ]
    for name, kind, _share, offset, deleted in specs:
        lists.append(
            MailingList(
                list_id,
                name,
                _list_address(rng),
                start + offset * DAY + rng.randrange(DAY),
                deleted,
                kind,
            )
        )
        list_id += 1 + rng.randrange(40)
    shares = [spec[2] for spec in specs]

    contact_ids: list[int] = []
    emails: list[str] = []
    names: list[str] = []
    domains: list[int] = []
    countries: list[int] = []
    excluded: list[int] = []
    pending: list[bool] = []
    props: list[dict[str, str]] = []
    seen: set[str] = set()
    # Above 2**32, as production's are today (contact IDs reach ~1.2e10; the 2020 recordings
    # show 124409882): a client that keeps IDs in 32 bits fails on the demo too.
    next_id = 12_440_900_000 + rng.randrange(1000)
    partners = next(i for i, spec in enumerate(specs) if spec[1] == "partners")
    customers = next(i for i, spec in enumerate(specs) if spec[1] == "customers")
    first_names, last_names = vocab.FIRST_NAMES, vocab.LAST_NAMES
    for index in range(count):
        next_id += 1 + rng.randrange(2400)
        contact_ids.append(next_id)
        first, last = rng.choice(first_names), rng.choice(last_names)
        is_partner = rng.random() < shares[partners]
        if is_partner:
            domain_index = -1
            domain = rng.choice(vocab.BUSINESS_DOMAINS)
        else:
            domain_index = _pick(rng, domain_cum)
            domain = vocab.RECIPIENT_DOMAINS[domain_index][0]
        style = rng.randrange(4)
        local = (f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}")[
            style
        ].lower()
        email = f"{local}@{domain}"
        suffix = 1
        while email in seen:
            suffix += 1 + rng.randrange(9)
            email = f"{local}{suffix}@{domain}"
        seen.add(email)
        emails.append(email)
        has_name = rng.random() < 0.86
        names.append(f"{first} {last}" if has_name else "")
        domains.append(domain_index)
        country = _pick(rng, country_cum) if rng.random() < 0.93 else -1
        countries.append(country)
        born = created[index]
        excluded.append(born + rng.randrange(max(1, now - born)) if rng.random() < 0.015 else 0)
        pending.append(now - born < 3 * DAY and rng.random() < 0.4)

        # Memberships: partners only join the partner list and customers; others draw per list.
        for list_index, mlist in enumerate(lists):
            share = shares[list_index]
            if list_index == partners:
                member = is_partner
            elif is_partner:
                member = list_index == customers
            else:
                member = rng.random() < share
            if not member:
                continue
            joined = max(born, mlist.created_at) + rng.randrange(2 * DAY)
            if joined >= now:
                continue
            mlist.member_contact.append(index)
            mlist.member_subscribed.append(joined)
            left = 0
            if rng.random() < 0.025:
                left = joined + rng.randrange(max(1, now - joined))
            mlist.member_unsubscribed.append(left)
            mlist.member_active.append(not pending[-1])

        data: dict[str, str] = {}
        if has_name or rng.random() < 0.3:
            data["firstname"] = first
            data["lastname"] = last
        if country >= 0:
            code, _weight, cities = vocab.COUNTRIES[country]
            data["country"] = code
            if rng.random() < 0.8:
                data["city"] = rng.choice(cities)
        if rng.random() < 0.7:
            data["plan"] = vocab.PLANS[_pick(rng, plan_cum)][0]
        data["signup_date"] = rfc3339(born - born % DAY)
        if rng.random() < 0.32:
            orders = 1 + int(rng.expovariate(0.35))
            data["total_orders"] = str(orders)
            data["lifetime_value"] = f"{orders * rng.uniform(18, 46):.2f}"
        if rng.random() < 0.6:
            data["newsletter_opt_in"] = "true" if rng.random() < 0.8 else "false"
        if rng.random() < 0.75:
            data["source"] = rng.choice(vocab.SOURCES)
        props.append(data)

    return Audience(
        contact_id=contact_ids,
        created=created,
        email=emails,
        name=names,
        domain=domains,
        country=countries,
        excluded_at=excluded,
        opt_in_pending=pending,
        spam_complaint=[False] * count,
        properties=props,
        lists=lists,
    )


def audience_resources(
    audience: Audience,
    rng: random.Random,
    delivered_count: list[int],
    last_activity: list[int],
    unsubscribed_by: dict[int, tuple[int, int]],
) -> dict[str, list[dict[str, Any]]]:
    """API rows for contacts, lists, memberships and properties, after the message simulation.

    ``delivered_count`` and ``last_activity`` come from the messages; ``unsubscribed_by`` maps a
    contact index to (time, campaign id) of its latest unsubscription through a campaign link.
    """
    contacts = []
    for index in range(audience.size):
        excluded_at = audience.excluded_at[index]
        unsub = unsubscribed_by.get(index)
        activity = max(last_activity[index], excluded_at)
        contacts.append(
            row(
                "contact",
                CreatedAt=rfc3339(audience.created[index]),
                DeliveredCount=delivered_count[index],
                Email=audience.email[index],
                ExclusionFromCampaignsUpdatedAt=rfc3339(excluded_at),
                ID=audience.contact_id[index],
                IsExcludedFromCampaigns=bool(excluded_at),
                IsOptInPending=audience.opt_in_pending[index],
                IsSpamComplaining=audience.spam_complaint[index],
                LastActivityAt=rfc3339(activity),
                LastUpdateAt=rfc3339(excluded_at),
                Name=audience.name[index],
                UnsubscribedAt=rfc3339(unsub[0]) if unsub else "",
                UnsubscribedBy=str(unsub[1]) if unsub else "",
            )
        )

    lists, recipients = [], []
    recipient_id = 225690000 + rng.randrange(1000)
    for mlist in audience.lists:
        lists.append(
            row(
                "contactslist",
                Address=mlist.address,
                CreatedAt=rfc3339(mlist.created_at),
                ID=mlist.id,
                IsDeleted=mlist.is_deleted,
                Name=mlist.name,
                SubscriberCount=len(mlist.member_contact),
            )
        )
    # Rows are numbered in subscription order across lists, as ids are handed out on the API.
    memberships = [
        (mlist.member_subscribed[k], list_index, k)
        for list_index, mlist in enumerate(audience.lists)
        for k in range(len(mlist.member_contact))
    ]
    memberships.sort()
    for subscribed, list_index, k in memberships:
        mlist = audience.lists[list_index]
        recipient_id += 1 + rng.randrange(3)
        left = mlist.member_unsubscribed[k]
        recipients.append(
            row(
                "listrecipient",
                ContactID=audience.contact_id[mlist.member_contact[k]],
                ID=recipient_id,
                IsActive=mlist.member_active[k],
                IsUnsubscribed=bool(left),
                ListID=mlist.id,
                SubscribedAt=rfc3339(subscribed),
                UnsubscribedAt=rfc3339(left),
                ListName=mlist.name,
            )
        )

    metadata = [
        row("contactmetadata", Datatype=datatype, ID=index + 1, Name=name, NameSpace="static")
        for index, (name, datatype) in enumerate(PROPERTIES)
    ]
    # The ids of properties are small account-local numbers; shift them to look like real ones.
    for entry in metadata:
        entry["ID"] += 41200
    order = [name for name, _datatype in PROPERTIES]
    contactdata = [
        row(
            "contactdata",
            ContactID=audience.contact_id[index],
            Data=[
                {"Name": name, "Value": audience.properties[index][name]}
                for name in order
                if name in audience.properties[index]
            ],
            ID=audience.contact_id[index],
            MethodCollection="",
        )
        for index in range(audience.size)
    ]
    return {
        "contact": contacts,
        "contactslist": lists,
        "listrecipient": recipients,
        "contactmetadata": metadata,
        "contactdata": contactdata,
    }
