"""Filter semantics against the demo account: every filter that is not on the justified-inert list
selects a strict subset of the rows, and the focused filters return exactly the rows the data says.

Expected rows are computed here from the account's own tables (messages, list recipients,
campaigns), not with the sandbox's filter code.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox
from mjquery.sandbox.api.aggregates import AGGREGATE_RESOURCES, served_filters
from mjquery.sandbox.api.query import ROUTED_FILTERS, inert_filters, inert_reason
from mjquery.sandbox.api.reference import load_reference, top_level_resources
from mjquery.sandbox.api.semantics import is_justified_inert
from tests.sandbox_fixtures import BASE_URL, small_account


@pytest.fixture(scope="module")
def http(small_demo_sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        transport=small_demo_sandbox.transport(),
        base_url=BASE_URL,
        auth=(DEMO_API_KEY, DEMO_API_SECRET),
    )


def rows(http: httpx.Client, resource: str, **params: Any) -> list[dict[str, Any]]:
    """Every matching row, page after page."""
    found: list[dict[str, Any]] = []
    while True:
        response = http.get(
            f"/v3/REST/{resource}", params={"Limit": 1000, "Offset": len(found), **params}
        )
        assert response.status_code == 200, response.text
        page = response.json()["Data"]
        found.extend(page)
        if len(page) < 1000:
            return found


def ids(found: list[dict[str, Any]], key: str = "ID") -> set[Any]:
    return {row[key] for row in found}


# -- every effective filter narrows ----------------------------------------------------------------

RESOURCES = sorted(
    n for n, s in top_level_resources().items() if "GET" in s.methods and n != "statcounters"
)


def _candidates(
    small_demo_sandbox: Sandbox,
    resource: str,
    name: str,
    ftype: str,
    all_rows: list[dict[str, Any]],
) -> list[str]:
    """Values likely to select some but not all rows."""
    low = name.lower()
    spec = load_reference()[resource]
    store = small_demo_sandbox.store
    if ftype == "bool" or low in ("period",):
        return ["true", "false"] if ftype == "bool" else ["Month", "Year", "Week"]
    field = spec.fields_by_lower.get(low) or spec.fields_by_lower.get(low + "id")
    times = (
        [
            t
            for row in all_rows
            for v in row.values()
            if isinstance(v, str) and v[:2] == "20" and "T" in v
            for t in [v]
        ]
        if ftype == "datetime" or low.endswith("ts")
        else []
    )
    if low.startswith(("min", "max")) and spec.fields_by_lower.get(low[3:]):
        key = spec.fields_by_lower[low[3:]].name
        values = sorted(str(r[key]) for r in all_rows if r.get(key) not in ("", None))
        return [values[len(values) // 2]] if values else []
    if times:
        return [sorted(times)[len(times) // 2]]
    starts = sorted(c["SendStartAt"] for c in store.table("campaign").rows if c["SendStartAt"])
    marketing = {c["ID"] for c in store.table("campaign").rows if c["CampaignType"] == 2}
    clicked = next(
        m
        for m in store.table("message").rows
        if m["Status"] == "clicked" and m["CampaignID"] in marketing
    )
    if field is not None and field.type != "bool":
        counts: dict[str, int] = {}
        unset = "0" if field.type == "int" else ""  # left out of rows while unset (production)
        for row in all_rows:
            value = str(row[field.name]) if field.name in row else unset
            counts[value] = counts.get(value, 0) + 1
        return [v for v, _ in sorted(counts.items(), key=lambda kv: -kv[1])][:2]
    pools: dict[str, list[Any]] = {
        "campaignid": [c["ID"] for c in store.table("campaign").rows][:6],
        "contactslist": [r["ID"] for r in store.table("contactslist").rows][:3],
        "contactslistid": [r["ID"] for r in store.table("contactslist").rows][:3],
        "fromid": [r["ID"] for r in store.table("sender").rows][:3],
        "sender": [r["ID"] for r in store.table("sender").rows][:3],
        "from": [c["FromEmail"] for c in store.table("campaign").rows][:1],
        "fromdomain": ["kestrelcoffee.example", "x.example", "no-such-value"],
        "fromtype": ["1", "2"],
        "campaignstatus": ["0", "2"],
        "customcampaign": [c["CustomValue"] for c in store.table("campaign").rows][:1],
        "messagestatus": ["opened", "sent,clicked"],
        "campaign": [c["ID"] for c in store.table("campaign").rows][3:5],
        "contact": [r.get("ContactID") for r in store.table("listrecipient").rows][:1],
        "subject": ["order"],
        "domain": ["kestrelcoffee.example"],
        "localpart": ["news", "hello"],
        "email": ["news", "kestrelcoffee.example"],
        "ids": [c["ID"] for c in store.table("campaign").rows][3:4],
        "lastactivityat": [
            str(r["LastActivityAt"]) for r in store.table("listrecipientstatistics").rows
        ][:1],
        "segmentation": [0],
        "customid": [""],
        "newslettertemplate": [r["TemplateID"] for r in store.table("campaigndraft").rows][:1],
        "newslettertemplatecategory": [1],
        "excludeid": [r["ID"] for r in store.table("contactslist").rows][:1],
        "excludeplatform": ["iOS"],
    }
    if resource in AGGREGATE_RESOURCES:
        # Values that select some of the messages an aggregate sums.
        pools.update(
            {
                "fromts": [starts[len(starts) // 2]],
                "tots": [starts[len(starts) // 2]],
                "contact": [clicked["ContactID"]],
                "contactid": [clicked["ContactID"]],
                "contactemail": [store.contact(clicked["ContactID"])["Email"]],  # type: ignore[index]
                "message": [clicked["ID"]],
                "contactlistid": [r["ID"] for r in store.table("contactslist").rows][:3],
                "from": [
                    c["FromEmail"]
                    for c in store.table("campaign").rows
                    if c["ID"] == clicked["CampaignID"]
                ],
                "customcampaign": [
                    c["CustomValue"]
                    for c in store.table("campaign").rows
                    if c["ID"] == clicked["CampaignID"]
                ],
                "workflowid": sorted(
                    {c["WorkflowID"] for c in store.table("campaign").rows if c["WorkflowID"]}
                ),
            }
        )
    values = pools.get(low)
    if values is None and low.startswith("email"):
        values = ["a", "inboxly.test"]
    return [str(v) for v in (values or ["1"])]


#: Filters the demo account cannot narrow: every row holds the same value (one API key, one user,
#: no anonymised contacts, one history row per contact property, no workflow statistics). For
#: them the test still checks that the answer is a subset of the rows.
DATA_CANNOT_NARROW = {
    ("apikeyaccessgrantor", "APIKey"),
    ("apikeyaccessgrantor", "Name"),
    ("contact", "IncludeAnonymized"),
    ("contactdata", "IncludeAnonymized"),
    ("contactstatistics", "IncludeAnonymized"),
    ("contacthistorydata", "Last"),
    ("myprofile", "User"),
    ("parseroute", "APIKey"),
    ("user", "UserName"),
    ("workflowstatistics", "FromTS"),
    ("workflowstatistics", "ToTS"),
    ("workflowstatistics", "WorkflowID"),
}

#: Options of aggregate resources that change what is counted, not which messages: focused tests.
AGGREGATE_OPTIONS = {("useragentstatistics", "event"), ("toplinkclicked", "actualclicks")}


def _recomputed(resource: str, name: str) -> bool:
    return name.lower() in served_filters(load_reference()[resource])


FILTER_CASES = [
    (name, f, t)
    for name in RESOURCES
    for f, t in load_reference()[name].filter_types
    if not is_justified_inert(name, f)
    and f.lower() not in ROUTED_FILTERS.get(name, frozenset())
    and not _recomputed(name, f)
]

AGGREGATE_FILTER_CASES = [
    (name, f, t)
    for name in sorted(AGGREGATE_RESOURCES)
    for f, t in load_reference()[name].filter_types
    if _recomputed(name, f) and (name, f.lower()) not in AGGREGATE_OPTIONS
]


def test_the_justified_inert_list_is_what_inert_filters_reports(
    small_demo_sandbox: Sandbox,
) -> None:
    for name in RESOURCES:
        spec = load_reference()[name]
        inert = inert_filters(spec, small_demo_sandbox.store)
        assert all(is_justified_inert(name, f) for f in inert), (name, inert)
        assert all(
            inert_reason(spec, small_demo_sandbox.store, f) == is_justified_inert(name, f)
            for f in inert
        )
        recomputed = {f for f in spec.filters if _recomputed(name, f)}
        assert not recomputed & set(inert), (name, recomputed & set(inert))
    assert (
        sum(len(inert_filters(load_reference()[n], small_demo_sandbox.store)) for n in RESOURCES)
        < 70
    )


def test_aggregate_filters_are_inert_on_an_account_without_messages() -> None:
    store = Sandbox(data=small_account()).store
    spec = load_reference()["geostatistics"]
    inert = inert_filters(spec, store)
    assert "CampaignID" in inert and "FromTS" in inert
    assert "no message-level data" in (inert_reason(spec, store, "CampaignID") or "")


@pytest.mark.parametrize(("resource", "name", "ftype"), FILTER_CASES)
def test_an_effective_filter_selects_a_strict_subset(
    small_demo_sandbox: Sandbox, http: httpx.Client, resource: str, name: str, ftype: str
) -> None:
    everything = rows(http, resource)
    if (resource, name) in DATA_CANNOT_NARROW:
        narrowed = rows(
            http,
            resource,
            **{name: _candidates(small_demo_sandbox, resource, name, ftype, everything)[0]},
        )
        assert all(row in everything for row in narrowed)
        return
    if len(everything) < 2:
        pytest.fail(f"{resource}: the demo account needs 2 rows to test {name}")
    universe = {orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in everything}
    sizes = []
    fallback = {"bool": [], "datetime": ["2000-01-01T00:00:00Z"]}.get(
        ftype, ["987654321", "no-such-value"]
    )
    for value in _candidates(small_demo_sandbox, resource, name, ftype, everything) + fallback:
        found = rows(http, resource, **{name: value})
        assert {orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in found} <= universe
        sizes.append(len(found))
        if 0 < len(found) < len(everything):
            return
        if found == [] and value in fallback:
            return  # a value no row holds selects nothing
    assert min(sizes) < len(everything), (
        f"{resource}?{name}: no value narrowed the {len(everything)} rows ({sizes})"
    )


#: Aggregate filters the demo data cannot split: every campaign has Status 0 and is sent from
#: kestrelcoffee.example; every tracked link (toplinkclicked) belongs to a marketing campaign.
#: The test checks they select all or nothing.
AGGREGATE_CANNOT_NARROW = {
    (r, f) for r in AGGREGATE_RESOURCES for f in ("CampaignStatus", "FromDomain")
} | {("toplinkclicked", "FromType")}

#: What identifies an aggregate row (the same key in the filtered and the unfiltered answer).
AGGREGATE_KEYS = {
    "domainstatistics": ("Domain",),
    "geostatistics": ("Country",),
    "graphstatistics": ("RefTimestamp",),
    "toplinkclicked": ("LinkId", "Url"),
    "useragentstatistics": ("UserAgent", "Platform"),
    "openstatistics": (),
    "messagestatistics": (),
}


def _counters(resource: str, found: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, int]]:
    """Each row's integer counters (``...Count`` properties) by the row's key."""
    keys = AGGREGATE_KEYS[resource]
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in found:
        key = tuple(row[k] for k in keys)
        assert key not in out, (resource, key)
        out[key] = {
            k: v for k, v in row.items() if k.lower().endswith("count") and isinstance(v, int)
        }
    return out


@pytest.mark.parametrize(("resource", "name", "ftype"), AGGREGATE_FILTER_CASES)
def test_an_aggregate_filter_sums_a_strict_subset_of_the_messages(
    small_demo_sandbox: Sandbox, http: httpx.Client, resource: str, name: str, ftype: str
) -> None:
    """The filtered rows are the unfiltered ones recomputed over fewer messages: every counter
    of every row is at most its unfiltered value, and some value gives a non-empty strict part."""
    everything = _counters(resource, rows(http, resource))
    full = sum(sum(c.values()) for c in everything.values())
    assert full > 0
    volumes = []
    fallback = {"bool": [], "datetime": ["2000-01-01T00:00:00Z"], "int": ["987654321"]}.get(
        ftype, ["no-such-value"]
    )
    for value in _candidates(small_demo_sandbox, resource, name, ftype, []) + fallback:
        found = _counters(resource, rows(http, resource, **{name: value}))
        assert set(found) <= set(everything), (name, value)
        for key, counters in found.items():
            assert set(counters) == set(everything[key])
            assert all(0 <= counters[c] <= everything[key][c] for c in counters), (
                name,
                value,
                key,
                counters,
            )
        volume = sum(sum(c.values()) for c in found.values())
        volumes.append(volume)
        if 0 < volume < full and (resource, name) not in AGGREGATE_CANNOT_NARROW:
            return
    if (resource, name) in AGGREGATE_CANNOT_NARROW:
        assert full in volumes and 0 in volumes, volumes  # the filter has an effect: all or nothing
        return
    pytest.fail(
        f"{resource}?{name}: no value gave a non-empty strict part of the aggregate ({volumes} of {full})"
    )


# -- focused semantics -----------------------------------------------------------------------------


def test_statcounters_refuses_requests_without_the_three_required_filters(
    http: httpx.Client,
) -> None:
    response = http.get("/v3/REST/statcounters", params={"CounterSource": "Campaign"})
    assert response.status_code == 400
    assert (
        response.json()["ErrorMessage"]
        == "Missing mandatory filter(s): CounterResolution, CounterTiming"
    )
    response = http.get(
        "/v3/REST/statcounters",
        params={
            "CounterSource": "Campaign",
            "CounterResolution": "Lifetime",
            "CounterTiming": "Message",
            "FromTS": "1700000000",
        },
    )
    assert response.status_code == 400
    assert "cannot be set with CounterResolution Lifetime" in response.json()["ErrorMessage"]


def test_statcounters_rows_follow_source_resolution_timing_and_source_id(
    small_demo_sandbox: Sandbox, http: httpx.Client
) -> None:
    base = {"CounterResolution": "Lifetime", "CounterTiming": "Message"}
    campaigns = rows(http, "statcounters", CounterSource="Campaign", **base)
    lists = rows(http, "statcounters", CounterSource="List", **base)
    senders = rows(http, "statcounters", CounterSource="Sender", **base)
    apikey = rows(http, "statcounters", CounterSource="APIKey", **base)
    messages = small_demo_sandbox.store.table("message").rows
    assert ids(campaigns, "SourceID") == {m["CampaignID"] for m in messages}
    assert ids(lists, "SourceID") <= ids(rows(http, "contactslist"))
    assert ids(senders, "SourceID") <= ids(rows(http, "sender"))
    assert [r["SourceID"] for r in apikey] == [small_demo_sandbox.data.api_key_id]
    assert apikey[0]["Total"] == len(messages) == sum(r["Total"] for r in campaigns)
    one = campaigns[0]["SourceID"]
    only = rows(http, "statcounters", CounterSource="Campaign", SourceID=one, **base)
    assert [r["SourceID"] for r in only] == [one]
    assert only[0]["Total"] == sum(1 for m in messages if m["CampaignID"] == one)
    shortcut = rows(http, "statcounters", CampaignID=one, **base)
    assert shortcut == only
    days = rows(
        http,
        "statcounters",
        CounterSource="Campaign",
        SourceID=one,
        CounterResolution="Day",
        CounterTiming="Message",
    )
    assert (
        len(days) > 1
        and all(r["Timeslice"] for r in days)
        and sum(r["Total"] for r in days) == only[0]["Total"]
    )
    by_event = rows(
        http, "statcounters", CounterSource="APIKey", CounterResolution="Day", CounterTiming="Event"
    )
    by_message = rows(
        http,
        "statcounters",
        CounterSource="APIKey",
        CounterResolution="Day",
        CounterTiming="Message",
    )
    assert by_event != by_message
    assert sum(r["EventOpenedCount"] for r in by_event) == sum(
        r["EventOpenedCount"] for r in by_message
    )
    late = rows(
        http,
        "statcounters",
        CounterSource="APIKey",
        CounterResolution="Day",
        CounterTiming="Message",
        FromTS=by_message[len(by_message) // 2]["Timeslice"],
    )
    assert 0 < len(late) < len(by_message)


def test_contact_campaign_contactslist_and_isunsubscribed(
    small_demo_sandbox: Sandbox, http: httpx.Client
) -> None:
    store = small_demo_sandbox.store
    campaign = store.table("campaign").rows[4]["ID"]
    expected = {m["ContactID"] for m in store.table("message").rows if m["CampaignID"] == campaign}
    assert ids(rows(http, "contact", Campaign=campaign)) == expected and expected
    lst = store.table("contactslist").rows[1]["ID"]
    members = {r["ContactID"] for r in store.table("listrecipient").rows if r["ListID"] == lst}
    assert ids(rows(http, "contact", ContactsList=lst)) == members and members
    unsub = {c["ID"] for c in store.table("contact").rows if c["UnsubscribedAt"]}
    assert ids(rows(http, "contact", IsUnsubscribed="true")) == unsub
    both = ids(rows(http, "contact", ContactsList=lst, Campaign=campaign))
    assert both == members & expected


def test_listrecipient_unsub_active_and_opened(
    small_demo_sandbox: Sandbox, http: httpx.Client
) -> None:
    recipients = small_demo_sandbox.store.table("listrecipient").rows
    assert ids(rows(http, "listrecipient", Unsub="true")) == {
        r["ID"] for r in recipients if r["IsUnsubscribed"]
    }
    assert ids(rows(http, "listrecipient", Active="false")) == {
        r["ID"] for r in recipients if not r["IsActive"]
    }
    opened_contacts = {
        m["ContactID"]
        for m in small_demo_sandbox.store.table("message").rows
        if m["Status"] in ("opened", "clicked", "unsub")
    }
    opened = ids(rows(http, "listrecipient", Opened="true"))
    assert opened == {r["ID"] for r in recipients if r["ContactID"] in opened_contacts}
    assert 0 < len(opened) < len(recipients)


def test_message_time_window_status_and_fromtype(
    small_demo_sandbox: Sandbox, http: httpx.Client
) -> None:
    messages = list(small_demo_sandbox.store.table("message").rows)
    times = sorted(m["ArrivedAt"] for m in messages)
    low, high = times[len(times) // 3], times[2 * len(times) // 3]
    window = rows(http, "message", FromTS=low, ToTS=high)
    assert ids(window) == {
        m["ID"] for m in messages if low < m["ArrivedAt"] <= high
    }  # FromTS exclusive, ToTS inclusive
    statuses = ids(rows(http, "message", MessageStatus="opened,clicked"))
    assert statuses == {m["ID"] for m in messages if m["Status"] in ("opened", "clicked")}
    assert ids(rows(http, "message", MessageStatus="3,4")) == statuses  # Mailjet's numeric codes
    campaigns = small_demo_sandbox.store.table("campaign").by_id()
    transactional = {m["ID"] for m in messages if campaigns[m["CampaignID"]]["CampaignType"] == 1}
    assert ids(rows(http, "message", FromType=1)) == transactional


def test_period_uses_the_account_clock(small_demo_sandbox: Sandbox, http: httpx.Client) -> None:
    year = rows(http, "clickstatistics", Period="Year")
    start = f"{small_demo_sandbox.store.clock().year}-01-01T00:00:00Z"
    assert ids(year) == {
        r["ID"]
        for r in small_demo_sandbox.store.table("clickstatistics").rows
        if r["ClickedAt"] >= start
    }
    response = http.get("/v3/REST/clickstatistics", params={"Period": "Fortnight"})
    assert (
        response.status_code == 400
        and response.json()["ErrorMessage"] == 'Invalid value for filter "Period": "Fortnight"'
    )


def test_sending_a_draft_creates_its_campaign(
    small_demo_sandbox: Sandbox, http: httpx.Client
) -> None:
    draft = next(
        d for d in small_demo_sandbox.store.table("campaigndraft").rows if d["Status"] == 0
    )
    content = {"Html-part": "<p>Hi</p>", "Text-part": "Hi"}
    assert (
        http.post(f"/v3/REST/campaigndraft/{draft['ID']}/detailcontent", json=content).status_code
        == 201
    )
    before = len(rows(http, "campaign"))
    response = http.post(f"/v3/REST/campaigndraft/{draft['ID']}/send")
    assert response.status_code == 201, response.text
    campaign = http.get(f"/v3/REST/campaign/mj.nl={draft['ID']}").json()["Data"][0]
    assert campaign["NewsLetterID"] == draft["ID"] and campaign["ListID"] == draft["ContactsListID"]
    assert len(rows(http, "campaign")) == before + 1
    assert (
        http.get(f"/v3/REST/campaigndraft/{draft['ID']}").json()["Data"][0]["CampaignID"]
        == campaign["ID"]
    )
    assert draft["ID"] in ids(rows(http, "campaigndraft", IsCampaign="true"))
    assert ids(rows(http, "campaign", CustomCampaign=f"mj.nl={draft['ID']}")) == {campaign["ID"]}


def test_a_due_schedule_sends_the_draft(small_demo_sandbox: Sandbox, http: httpx.Client) -> None:
    draft = next(
        d for d in small_demo_sandbox.store.table("campaigndraft").rows if d["Status"] == 0
    )
    http.post(f"/v3/REST/campaigndraft/{draft['ID']}/detailcontent", json={"Text-part": "Hi"})
    response = http.post(
        f"/v3/REST/campaigndraft/{draft['ID']}/schedule", json={"Date": "2099-01-01T00:00:00Z"}
    )
    assert response.status_code == 201, response.text
    assert http.get(f"/v3/REST/campaign/mj.nl={draft['ID']}").status_code == 404
    small_demo_sandbox.store.sub_resources["campaigndraft/schedule"][draft["ID"]]["Date"] = (
        "2020-01-01T00:00:00Z"  # time passes
    )
    assert http.get(f"/v3/REST/campaign/mj.nl={draft['ID']}").status_code == 200
    assert http.get(f"/v3/REST/campaigndraft/{draft['ID']}").json()["Data"][0]["Status"] == 2


def test_unique_key_lookup_sees_writes(http: httpx.Client) -> None:
    created = http.post("/v3/REST/contactslist", json={"Name": "Index check"}).json()["Data"][0]
    found = http.get(f"/v3/REST/contactslist/{created['Address']}")
    assert found.status_code == 200 and found.json()["Data"][0]["ID"] == created["ID"]


# -- aggregates recomputed for a subset of the messages: expected sums from the message rows ------

DELIVERED = {"sent", "opened", "clicked", "spam", "unsub"}


class Messages:
    """The account's messages with what happened to them, read from the message-level resources."""

    def __init__(self, small_demo_sandbox: Sandbox) -> None:
        store = small_demo_sandbox.store
        self.rows = list(store.table("message").rows)
        self.opened = {o["MessageID"] for o in store.table("openinformation").rows}
        self.clicks = list(store.table("clickstatistics").rows)
        self.clicked = {c["MessageID"] for c in self.clicks}
        self.campaigns = store.table("campaign").by_id()
        self.contacts = store.table("contact").by_id()
        self.country = {
            d["ContactID"]: next((p["Value"] for p in d["Data"] if p["Name"] == "country"), "")
            for d in store.table("contactdata").rows
        }

    def of_campaigns(self, campaign_ids: set[int]) -> list[dict[str, Any]]:
        return [m for m in self.rows if m["CampaignID"] in campaign_ids]

    def counts(self, messages: list[dict[str, Any]]) -> dict[str, int]:
        ids_ = {m["ID"] for m in messages}
        return {
            "ProcessedCount": len(messages),
            "DeliveredCount": sum(m["Status"] in DELIVERED for m in messages),
            "OpenedCount": len(ids_ & self.opened),
            "ClickedCount": len(ids_ & self.clicked),
            "BouncedCount": sum(m["Status"] in ("hardbounced", "softbounced") for m in messages),
            "BlockedCount": sum(m["Status"] == "blocked" for m in messages),
            "SpamComplaintCount": sum(m["Status"] == "spam" for m in messages),
            "UnsubscribedCount": sum(m["Status"] == "unsub" for m in messages),
        }


@pytest.fixture(scope="module")
def messages(small_demo_sandbox: Sandbox) -> Messages:
    return Messages(small_demo_sandbox)


def _busiest_marketing_campaigns(messages: Messages, n: int) -> list[int]:
    clicks: dict[int, int] = {}
    by_id = {m["ID"]: m for m in messages.rows}
    for c in messages.clicks:
        campaign = by_id[c["MessageID"]]["CampaignID"]
        if messages.campaigns[campaign]["CampaignType"] == 2:
            clicks[campaign] = clicks.get(campaign, 0) + 1
    return sorted(clicks, key=lambda c: -clicks[c])[:n]


def test_geostatistics_for_one_campaign_sums_its_opens_and_clicks_per_country(
    small_demo_sandbox: Sandbox, http: httpx.Client, messages: Messages
) -> None:
    (campaign,) = _busiest_marketing_campaigns(messages, 1)
    expected: dict[str, list[int]] = {}
    for m in messages.of_campaigns({campaign}):
        country = messages.country.get(m["ContactID"], "")
        if country:
            counts = expected.setdefault(country, [0, 0])
            counts[0] += m["ID"] in messages.opened
            counts[1] += m["ID"] in messages.clicked
    small_demo_sandbox.log.clear()
    found = rows(http, "geostatistics", CampaignID=campaign)
    assert {r["Country"]: [r["OpenedCount"], r["ClickedCount"]] for r in found} == expected
    assert sum(r["OpenedCount"] for r in found) < sum(
        r["OpenedCount"] for r in rows(http, "geostatistics")
    )
    (request,) = small_demo_sandbox.log.requests(method="GET", path="/v3/REST/geostatistics")[:1]
    assert request.param("CampaignID") == str(campaign)


def test_toplinkclicked_for_one_campaign_counts_clicking_messages_or_click_events(
    http: httpx.Client, messages: Messages
) -> None:
    (campaign,) = _busiest_marketing_campaigns(messages, 1)
    ids_ = {m["ID"] for m in messages.of_campaigns({campaign})}
    clicks = [c for c in messages.clicks if c["MessageID"] in ids_]
    per_url_messages: dict[str, set[int]] = {}
    for c in clicks:
        per_url_messages.setdefault(c["Url"], set()).add(c["MessageID"])
    found = rows(http, "toplinkclicked", CampaignID=campaign)
    assert {r["Url"]: r["ClickedCount"] for r in found} == {
        u: len(m) for u, m in per_url_messages.items()
    }
    assert [r["ClickedCount"] for r in found] == sorted(
        (r["ClickedCount"] for r in found), reverse=True
    )
    actual = rows(http, "toplinkclicked", CampaignID=campaign, ActualClicks="true")
    events: dict[str, int] = {}
    for c in clicks:
        events[c["Url"]] = events.get(c["Url"], 0) + 1
    assert {r["Url"]: r["ClickedCount"] for r in actual} == events


def test_domainstatistics_with_a_fromts_window_sums_the_campaigns_started_later(
    http: httpx.Client, messages: Messages
) -> None:
    starts = sorted(c["SendStartAt"] for c in messages.campaigns.values() if c["SendStartAt"])
    since = starts[len(starts) // 2]
    later = {
        c["ID"]
        for c in messages.campaigns.values()
        if c["SendStartAt"] and c["SendStartAt"] > since
    }  # exclusive
    assert 0 < len(later) < len(messages.campaigns)
    per_domain: dict[str, list[dict[str, Any]]] = {}
    for m in messages.of_campaigns(later):
        domain = messages.contacts[m["ContactID"]]["Email"].rsplit("@", 1)[1]
        per_domain.setdefault(domain, []).append(m)
    found = rows(http, "domainstatistics", FromTS=since)
    assert {r["Domain"] for r in found} == set(per_domain)
    for r in found:
        expected = messages.counts(per_domain[r["Domain"]])
        assert {k: r[k] for k in expected} == expected, r["Domain"]
    until = rows(http, "domainstatistics", ToTS=since)  # strictly earlier
    earlier = {
        c["ID"]
        for c in messages.campaigns.values()
        if c["SendStartAt"] and c["SendStartAt"] < since
    }
    assert sum(r["ProcessedCount"] for r in until) == len(messages.of_campaigns(earlier))


def test_messagestatistics_per_campaign_equals_the_counts_of_its_messages(
    http: httpx.Client, messages: Messages
) -> None:
    for campaign in [*_busiest_marketing_campaigns(messages, 3), next(iter(messages.campaigns))]:
        of_campaign = messages.of_campaigns({campaign})
        (found,) = rows(http, "messagestatistics", CampaignID=campaign)
        expected = messages.counts(of_campaign)
        assert {k: found[k] for k in expected} == expected, campaign
        assert found["CampaignCount"] == 1
        assert found["TransactionalCount"] == (
            len(of_campaign) if messages.campaigns[campaign]["CampaignType"] == 1 else 0
        )
        ids_ = {m["ID"] for m in of_campaign}
        assert found["TotalClicksCount"] == sum(c["MessageID"] in ids_ for c in messages.clicks)
    contact = messages.contacts[messages.clicks[0]["ContactID"]]
    (found,) = rows(http, "messagestatistics", ContactEmail=contact["Email"])
    expected = messages.counts([m for m in messages.rows if m["ContactID"] == contact["ID"]])
    assert {k: found[k] for k in expected} == expected
    (nothing,) = rows(http, "messagestatistics", ContactEmail="nobody@nowhere.example")
    assert nothing["ProcessedCount"] == 0 and nothing["CampaignCount"] == 0


def test_aggregate_status_contact_and_period_filters(
    small_demo_sandbox: Sandbox, http: httpx.Client, messages: Messages
) -> None:
    (opened,) = rows(http, "openstatistics", MessageStatus="opened,clicked")
    assert opened["ProcessedCount"] == sum(
        m["Status"] in ("opened", "clicked") for m in messages.rows
    )
    contact_id = messages.clicks[0]["ContactID"]
    sent_to = {m["CampaignID"] for m in messages.rows if m["ContactID"] == contact_id}
    graph = rows(http, "graphstatistics", Contact=contact_id)  # the campaigns sent to the contact
    assert sum(r["ProcessedCount"] for r in graph) == len(messages.of_campaigns(sent_to))
    year = f"{small_demo_sandbox.store.clock().year}-01-01T00:00:00Z"
    this_year = {
        c["ID"]
        for c in messages.campaigns.values()
        if c["SendStartAt"] and c["SendStartAt"] >= year
    }
    (found,) = rows(http, "messagestatistics", Period="Year")
    assert found["ProcessedCount"] == len(messages.of_campaigns(this_year)) > 0
    response = http.get("/v3/REST/geostatistics", params={"Period": "Fortnight"})
    assert response.status_code == 400


def test_useragentstatistics_event_and_excludeplatform(
    http: httpx.Client, messages: Messages
) -> None:
    everything = rows(http, "useragentstatistics")
    agent_names = {r["UserAgent"] for r in everything}
    by_click = rows(http, "useragentstatistics", Event="click")
    assert sum(r["Count"] for r in by_click) == len(messages.clicks)
    assert sum(r["DistinctCount"] for r in by_click) == len(messages.clicked)
    assert {r["UserAgent"] for r in by_click} <= agent_names
    response = http.get("/v3/REST/useragentstatistics", params={"Event": "bounce"})
    assert (
        response.status_code == 400
        and response.json()["ErrorMessage"] == 'Invalid value for filter "Event": "bounce"'
    )
    kept = rows(http, "useragentstatistics", ExcludePlatform="iOS")
    assert kept == [r for r in everything if r["Platform"] != "iOS"] and len(kept) < len(everything)


def test_a_recomputed_aggregate_is_cached_for_paging_and_follows_campaign_writes(
    small_demo_sandbox: Sandbox,
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    messages: Messages,
) -> None:
    calls = []
    produce = small_demo_sandbox.data.aggregate_rows
    monkeypatch.setattr(
        small_demo_sandbox.data,
        "aggregate_rows",
        lambda query: calls.append(query) or produce(query),
    )
    campaign = _busiest_marketing_campaigns(messages, 2)[1]
    pages = [
        http.get(
            "/v3/REST/domainstatistics",
            params={"CampaignID": campaign, "IsStarred": "false", "Limit": 3, "Offset": offset},
        ).json()["Data"]
        for offset in (0, 3, 6)
    ]
    assert len(calls) == 1
    assert [r for page in pages for r in page] == rows(
        http, "domainstatistics", CampaignID=campaign, IsStarred="false"
    )[:9]
    assert http.put(f"/v3/REST/campaign/{campaign}", json={"IsStarred": True}).status_code == 200
    assert rows(http, "domainstatistics", CampaignID=campaign, IsStarred="false") == []
    starred = rows(http, "domainstatistics", CampaignID=campaign, IsStarred="true")
    assert sum(r["ProcessedCount"] for r in starred) == len(messages.of_campaigns({campaign}))
    assert http.put(f"/v3/REST/campaign/{campaign}", json={"IsStarred": False}).status_code == 200
