"""The demo account: shaped like the real API's data, internally consistent, deterministic, scalable."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mjquery.sandbox.account import AggregateQuery
from mjquery.sandbox.demo import DemoData, build_demo_account

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "mjquery/sandbox/reference/resources.json").read_text("utf-8")
)
BY_NAME = {entry["resource"]: entry for entry in REFERENCE}
GETTABLE = sorted(
    e["resource"]
    for e in REFERENCE
    if "/" not in e["resource"] and " " not in e["resource"] and "GET" in e["methods"]
)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# Properties the reference documents as Unix epoch integers rather than RFC 3339 strings.
EPOCH_FIELDS = {
    ("messagehistory", "EventAt"),
    ("campaignoverview", "SendTimeStart"),
    ("contactslistsignup", "ConfirmAt"),
    ("contactslistsignup", "SignupAt"),
    ("batchjob", "AliveAt"),
    ("batchjob", "JobStart"),
    ("batchjob", "JobEnd"),
    ("batchjob", "RequestAt"),
    ("widget", "CreatedAt"),
}
MARKETING_STATUSES = {
    "sent",
    "opened",
    "clicked",
    "hardbounced",
    "softbounced",
    "blocked",
    "spam",
    "unsub",
}
DELIVERED = {"sent", "opened", "clicked", "spam", "unsub"}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo_account()


def ts(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def sample(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """All rows of a small resource; the ends and some middle rows of a big one."""
    if len(rows) <= 3000:
        return list(rows)
    step = len(rows) // 500
    return list(rows[:200]) + list(rows[::step]) + list(rows[-200:])


def by_status(messages: Sequence[dict[str, Any]]) -> Counter[str]:
    return Counter(m["Status"] for m in messages)


# -- shape -----------------------------------------------------------------------------------------


def test_contract(demo: DemoData) -> None:
    assert demo.now == datetime(2026, 10, 3, 9, 12, 44, tzinfo=UTC)
    assert demo.api_key_id == demo.resources["apikey"][0]["ID"]
    assert demo.resources["statcounters"][0]["APIKeyID"] == demo.api_key_id
    for name in (
        "contact",
        "contactslist",
        "listrecipient",
        "contactmetadata",
        "contactdata",
        "sender",
        "template",
        "campaigndraft",
        "campaign",
        "contactfilter",
        "eventcallbackurl",
        "parseroute",
        "widget",
        "workflow",
        "apikey",
    ):
        assert type(demo.resources[name]) is list, name
        assert all(type(r) is dict for r in demo.resources[name])


@pytest.mark.parametrize("resource", GETTABLE)
def test_every_gettable_resource_has_rows_with_exactly_its_reference_fields(
    demo: DemoData, resource: str
) -> None:
    rows = demo.resources[resource]
    assert len(rows) >= 1
    expected = [field["name"] for field in BY_NAME[resource]["fields"]]
    for r in sample(rows):
        assert list(r) == expected


SUB_RESOURCES = ["campaigndraft/detailcontent", "campaigndraft/schedule", "template/detailcontent"]
PER_CAMPAIGN = ["statistics/link-click", "statistics/recipient-esp"]
# The newer content endpoints answer null for an unset part (recorded template detailcontent).
NULLABLE = {(name, part) for name in SUB_RESOURCES for part in ("Text-part", "Html-part")}
# A newsletter without an A/X test: unset, so left out of the API's answers (recorded 2020 rows).
NULLABLE.add(("newsletter", "AXTesting"))


@pytest.mark.parametrize("resource", GETTABLE + SUB_RESOURCES + PER_CAMPAIGN)
def test_values_have_the_reference_types(demo: DemoData, resource: str) -> None:
    rows = demo.resources.get(resource) or list(demo.sub_resources[resource].values())
    assert rows
    for r in sample(rows):
        for field in BY_NAME[resource]["fields"]:
            value, kind = r[field["name"]], field["type"]
            where = f"{resource}.{field['name']}={value!r}"
            if (resource, field["name"]) in NULLABLE and value is None:
                continue
            if (resource, field["name"]) in EPOCH_FIELDS or kind == "int":
                assert type(value) is int, where
            elif kind == "float":
                assert type(value) is float, where
            elif kind == "bool":
                assert type(value) is bool, where
            elif kind == "datetime":
                assert type(value) is str and (value == "" or RFC3339.match(value)), where
            elif kind == "str":
                assert type(value) is str, where
            elif kind == "array":
                assert type(value) is list, where
            elif kind == "object":
                assert value is None or type(value) is dict, where
            else:  # str|object (MJMLContent): a string, or null when unset
                assert value is None or type(value) in (str, dict), where


def test_sub_resources_for_every_draft_and_template_with_content(demo: DemoData) -> None:
    drafts = demo.resources["campaigndraft"]
    content = demo.sub_resources["campaigndraft/detailcontent"]
    assert set(content) == {d["ID"] for d in drafts if d["Title"] != "Untitled draft"}
    assert set(demo.sub_resources["template/detailcontent"]) == {
        t["ID"] for t in demo.resources["template"]
    }
    for name in ("campaigndraft/detailcontent", "template/detailcontent", "campaigndraft/schedule"):
        expected = {field["name"] for field in BY_NAME[name]["fields"]}
        for record in demo.sub_resources[name].values():
            assert set(record) == expected
    for draft_id, record in content.items():
        assert "<html>" in record["Html-part"]
        assert record["Headers"]["Subject"] == next(
            d["Subject"] for d in drafts if d["ID"] == draft_id
        )
    programmed = [d for d in drafts if d["Status"] == 1]
    assert len(programmed) == 1
    schedule = demo.sub_resources["campaigndraft/schedule"]
    assert set(schedule) == {programmed[0]["ID"]}
    assert ts(schedule[programmed[0]["ID"]]["Date"]) > demo.now.timestamp()


def test_message_ids_are_64_bit_unique_and_grow_with_arrival(demo: DemoData) -> None:
    messages = demo.resources["message"]
    ids = [m["ID"] for m in messages]
    assert min(ids) > 2**53
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    arrivals = [m["ArrivedAt"] for m in messages]
    assert arrivals == sorted(arrivals)
    assert ts(arrivals[-1]) <= demo.now.timestamp()
    assert all(
        m["ID"] == i["ID"]
        for m, i in zip(messages[:100], demo.resources["messageinformation"][:100], strict=True)
    )


def test_lazy_rows_behave_like_a_sequence_of_fresh_dicts(demo: DemoData) -> None:
    messages = demo.resources["message"]
    assert messages[-1] == messages[len(messages) - 1]
    assert [m["ID"] for m in messages[5:8]] == [
        messages[5]["ID"],
        messages[6]["ID"],
        messages[7]["ID"],
    ]
    first = messages[0]
    first["Status"] = "changed"
    assert messages[0]["Status"] != "changed"
    assert sum(1 for _ in messages) == len(messages)
    with pytest.raises(IndexError):
        messages[len(messages)]


def test_timestamps_are_rfc3339_or_empty_and_never_in_the_future(demo: DemoData) -> None:
    now = demo.now.timestamp()
    contact = demo.resources["contact"]
    assert any(c["LastActivityAt"] == "" for c in contact) or any(
        c["UnsubscribedAt"] == "" for c in contact
    )
    for resource in (
        "contact",
        "listrecipient",
        "campaign",
        "campaigndraft",
        "template",
        "sender",
        "contactslist",
    ):
        for r in demo.resources[resource]:
            for field in BY_NAME[resource]["fields"]:
                if field["type"] == "datetime" and r[field["name"]]:
                    assert ts(r[field["name"]]) <= now, (resource, field["name"])
    history = demo.message_history(demo.resources["message"][0]["ID"])
    assert history and all(type(e["EventAt"]) is int for e in history)


# -- lists and contacts ----------------------------------------------------------------------------


def test_subscriber_count_matches_list_recipients(demo: DemoData) -> None:
    per_list = Counter(r["ListID"] for r in demo.resources["listrecipient"])
    lists = demo.resources["contactslist"]
    assert 5 <= len(lists) <= 8
    for lst in lists:
        assert lst["SubscriberCount"] == per_list[lst["ID"]]
    names = {lst["ID"]: lst["Name"] for lst in lists}
    assert all(r["ListName"] == names[r["ListID"]] for r in demo.resources["listrecipient"])
    assert 1 <= sum(lst["IsDeleted"] for lst in lists) <= 2
    assert len({lst["Name"] for lst in lists}) == len(lists)
    assert len({lst["Address"] for lst in lists}) == len(lists)


def test_unsubscriptions_and_exclusions(demo: DemoData) -> None:
    recipients = demo.resources["listrecipient"]
    unsubscribed = [r for r in recipients if r["IsUnsubscribed"]]
    assert 0.01 * len(recipients) < len(unsubscribed) < 0.15 * len(recipients)
    assert all((r["UnsubscribedAt"] != "") == r["IsUnsubscribed"] for r in recipients)
    assert all(ts(r["UnsubscribedAt"]) > ts(r["SubscribedAt"]) for r in unsubscribed)
    contacts = demo.resources["contact"]
    excluded = [c for c in contacts if c["IsExcludedFromCampaigns"]]
    assert 5 <= len(excluded) <= 100
    assert all(c["ExclusionFromCampaignsUpdatedAt"] for c in excluded)
    # Nobody receives marketing after being excluded, nor from a list after unsubscribing from it.
    marketing = {c["ID"]: c["ListID"] for c in demo.resources["campaign"] if c["CampaignType"] == 2}
    excluded_at = {c["ID"]: ts(c["ExclusionFromCampaignsUpdatedAt"]) for c in excluded}
    left = {(r["ContactID"], r["ListID"]): ts(r["UnsubscribedAt"]) for r in unsubscribed}
    for m in demo.resources["message"]:
        if m["CampaignID"] in marketing:
            arrived = ts(m["ArrivedAt"])
            assert (
                arrived > excluded_at.get(m["ContactID"], arrived) - 600
                or arrived < excluded_at[m["ContactID"]]
            )
            assert (
                arrived <= left.get((m["ContactID"], marketing[m["CampaignID"]]), arrived) + 86400
            )
    # Some unsubscriptions came from a campaign's unsubscribe link.
    assert sum(1 for m in demo.resources["message"] if m["Status"] == "unsub") >= 5


def test_contacts_look_real_and_use_reserved_domains(demo: DemoData) -> None:
    contacts = demo.resources["contact"]
    assert len(contacts) == 2000
    assert len({c["Email"] for c in contacts}) == len(contacts)
    ids = [c["ID"] for c in contacts]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for c in contacts:
        domain = c["Email"].rsplit("@", 1)[1]
        assert domain in ("example.com", "example.org", "example.net") or domain.endswith(
            (".example", ".test")
        ), domain
    assert sum(1 for c in contacts if c["Name"]) > 1500


def test_contact_delivered_count_and_last_activity_come_from_messages(demo: DemoData) -> None:
    delivered = Counter(
        m["ContactID"] for m in demo.resources["message"] if m["Status"] in DELIVERED
    )
    last_arrival: dict[int, str] = {}
    for m in demo.resources["message"]:
        last_arrival[m["ContactID"]] = max(last_arrival.get(m["ContactID"], ""), m["ArrivedAt"])
    for c in demo.resources["contact"]:
        assert c["DeliveredCount"] == delivered[c["ID"]]
        if c["ID"] in last_arrival:
            assert c["LastActivityAt"] >= last_arrival[c["ID"]]


def test_contact_data_uses_only_defined_properties_with_plausible_values(demo: DemoData) -> None:
    datatypes = {m["Name"]: m["Datatype"] for m in demo.resources["contactmetadata"]}
    assert {"firstname", "country", "city", "plan", "signup_date"} <= set(datatypes)
    rows = demo.resources["contactdata"]
    assert {r["ContactID"] for r in rows} == {c["ID"] for c in demo.resources["contact"]}
    countries = Counter()
    for r in rows:
        assert r["ID"] == r["ContactID"]
        for item in r["Data"]:
            assert set(item) == {"Name", "Value"} and type(item["Value"]) is str
            kind = datatypes[item["Name"]]
            if kind == "int":
                int(item["Value"])
            elif kind == "float":
                float(item["Value"])
            elif kind == "bool":
                assert item["Value"] in ("true", "false")
            elif kind == "datetime":
                assert RFC3339.match(item["Value"])
        values = {item["Name"]: item["Value"] for item in r["Data"]}
        countries[values.get("country")] += 1
        assert values.get("plan", "free") in ("free", "starter", "pro", "enterprise")
    assert countries.most_common(1)[0][0] == "FR"


# -- campaigns and messages ------------------------------------------------------------------------


def test_drafts_and_campaigns_link_to_each_other(demo: DemoData) -> None:
    drafts = demo.resources["campaigndraft"]
    campaigns = {c["ID"]: c for c in demo.resources["campaign"]}
    assert 18 <= len(drafts) <= 25
    sent = [d for d in drafts if d["Status"] == 2]
    assert len(sent) >= 12
    assert sum(1 for d in drafts if d["Status"] == 0 and not d["Used"]) >= 3
    for d in drafts:
        assert d["Used"] == (d["Status"] == 2)
        if d["Status"] == 2:
            campaign = campaigns[d["CampaignID"]]
            assert campaign["CustomValue"] == f"mj.nl={d['ID']}"
            assert campaign["NewsLetterID"] == d["ID"]
            assert campaign["ListID"] == d["ContactsListID"]
            assert campaign["Subject"] == d["Subject"]
            assert campaign["FromEmail"] == d["SenderEmail"]
            assert ts(campaign["SendStartAt"]) >= ts(d["DeliveredAt"])
        else:
            assert d["CampaignID"] == 0 and d["DeliveredAt"] == ""
    senders = {s["ID"]: s for s in demo.resources["sender"]}
    assert all(senders[c["FromID"]]["Email"] == c["FromEmail"] for c in campaigns.values())
    assert {c["CampaignType"] for c in campaigns.values()} == {1, 2}


def test_campaign_messages_go_to_list_members_after_send_time(demo: DemoData) -> None:
    campaigns = {c["ID"]: c for c in demo.resources["campaign"]}
    members: dict[int, dict[int, int]] = defaultdict(dict)
    for r in demo.resources["listrecipient"]:
        members[r["ListID"]][r["ContactID"]] = ts(r["SubscribedAt"])
    first = {}
    for m in demo.resources["message"]:
        campaign = campaigns[m["CampaignID"]]
        first.setdefault(m["CampaignID"], m["ID"])
        arrived = ts(m["ArrivedAt"])
        assert ts(campaign["SendStartAt"]) <= arrived <= ts(campaign["SendEndAt"])
        if campaign["ListID"]:
            assert members[campaign["ListID"]][m["ContactID"]] <= arrived
    for campaign_id, message_id in first.items():
        assert campaigns[campaign_id]["FirstMessageID"] == message_id
    assert set(first) == set(campaigns)


def test_event_resources_match_message_status(demo: DemoData) -> None:
    messages = {m["ID"]: m for m in demo.resources["message"]}
    statuses = by_status(messages.values())
    assert set(statuses) <= MARKETING_STATUSES
    assert statuses["opened"] > statuses["clicked"] > statuses["hardbounced"] > 0
    opened = {o["MessageID"] for o in demo.resources["openinformation"]}
    assert opened == {
        i for i, m in messages.items() if m["Status"] in ("opened", "clicked", "unsub")
    }
    for o in demo.resources["openinformation"][:500]:
        assert o["OpenedAt"] > o["ArrivedAt"] == messages[o["MessageID"]]["ArrivedAt"]
    clicked = {c["MessageID"] for c in demo.resources["clickstatistics"]}
    assert {i for i, m in messages.items() if m["Status"] == "clicked"} <= clicked
    assert all(messages[i]["Status"] in ("clicked", "unsub") for i in clicked)
    bounced = demo.resources["bouncestatistics"]
    assert len(bounced) == statuses["hardbounced"] + statuses["softbounced"] + statuses["blocked"]
    ids = {
        i for i, m in messages.items() if m["Status"] in ("hardbounced", "softbounced", "blocked")
    }
    contact_ids = {messages[i]["ContactID"] for i in ids}
    assert {b["ContactID"] for b in bounced} == contact_ids
    for b in bounced:
        assert b["StateID"] > 0
    assert all(m["StateID"] == 0 for m in messages.values() if m["Status"] in DELIVERED)


def test_bounces_concentrate_on_a_few_domains(demo: DemoData) -> None:
    emails = {c["ID"]: c["Email"] for c in demo.resources["contact"]}
    addresses = {
        emails[m["ContactID"]] for m in demo.resources["message"] if m["Status"] == "hardbounced"
    }
    assert 0.005 * len(emails) < len(addresses) < 0.08 * len(emails)
    hard = Counter(address.rsplit("@", 1)[1] for address in addresses)
    top_two = sum(count for _domain, count in hard.most_common(2))
    assert top_two > 0.6 * len(addresses)


def test_some_templates_unused_in_the_last_90_days(demo: DemoData) -> None:
    cutoff = demo.now.timestamp() - 90 * 86400
    recent = {
        d["TemplateID"]
        for d in demo.resources["campaigndraft"]
        if d["DeliveredAt"] and ts(d["DeliveredAt"]) >= cutoff
    }
    templates = {t["ID"] for t in demo.resources["template"]}
    assert len(templates - recent) >= 2 and recent


# -- statistics ------------------------------------------------------------------------------------


def _expected_counts(
    messages: list[dict[str, Any]], opened_ids: set[int], clicked_ids: set[int]
) -> dict[str, int]:
    statuses = by_status(messages)
    return {
        "ProcessedCount": len(messages),
        "DeliveredCount": sum(statuses[s] for s in DELIVERED),
        "OpenedCount": sum(1 for m in messages if m["ID"] in opened_ids),
        "ClickedCount": sum(1 for m in messages if m["ID"] in clicked_ids),
        "BouncedCount": statuses["hardbounced"] + statuses["softbounced"],
        "HardBouncedCount": statuses["hardbounced"],
        "SoftBouncedCount": statuses["softbounced"],
        "BlockedCount": statuses["blocked"],
        "SpamComplaintCount": statuses["spam"],
        "UnsubscribedCount": statuses["unsub"],
    }


def test_campaign_statistics_equal_message_counts(demo: DemoData) -> None:
    opened = {o["MessageID"] for o in demo.resources["openinformation"]}
    clicked = {c["MessageID"] for c in demo.resources["clickstatistics"]}
    per_campaign: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in demo.resources["message"]:
        per_campaign[m["CampaignID"]].append(m)
    stats = {s["CampaignID"]: s for s in demo.resources["campaignstatistics"]}
    assert set(stats) == set(per_campaign)
    for campaign_id, messages in per_campaign.items():
        for name, value in _expected_counts(messages, opened, clicked).items():
            assert stats[campaign_id][name] == value, (campaign_id, name)
    lifetime = {r["SourceID"]: r for r in demo.statcounters("Campaign", "Lifetime", "Message")}
    for campaign_id, messages in per_campaign.items():
        assert lifetime[campaign_id]["Total"] == len(messages)
        assert lifetime[campaign_id]["MessageSentCount"] == stats[campaign_id]["DeliveredCount"]
        assert lifetime[campaign_id]["MessageOpenedCount"] == stats[campaign_id]["OpenedCount"]


def test_account_totals_agree_across_statistics_resources(demo: DemoData) -> None:
    messages = demo.resources["message"]
    opened = {o["MessageID"] for o in demo.resources["openinformation"]}
    clicked = {c["MessageID"] for c in demo.resources["clickstatistics"]}
    expected = _expected_counts(list(messages), opened, clicked)
    totals = demo.resources["apikeytotals"][0]
    overall = demo.resources["messagestatistics"][0]
    for name in (
        "ProcessedCount",
        "DeliveredCount",
        "OpenedCount",
        "ClickedCount",
        "BouncedCount",
        "BlockedCount",
    ):
        assert totals[name] == overall[name] == expected[name]
        assert sum(s[name] for s in demo.resources["campaignstatistics"]) == expected[name]
        assert sum(s[name] for s in demo.resources["senderstatistics"]) == expected[name]
        assert sum(s[name] for s in demo.resources["contactstatistics"]) == expected[name]
        assert sum(s[name] for s in demo.resources["domainstatistics"]) == expected[name]
        assert sum(s[name] for s in demo.resources["graphstatistics"]) == expected[name]
    api = demo.statcounters("APIKey", "Lifetime", "Message")
    assert (
        len(api) == 1 and api[0]["Total"] == len(messages) and api[0]["SourceID"] == demo.api_key_id
    )
    assert api[0]["EventClickedCount"] == len(demo.resources["clickstatistics"])
    days = demo.statcounters("APIKey", "Day", "Message")
    assert sum(d["Total"] for d in days) == len(messages)
    assert all(RFC3339.match(d["Timeslice"]) for d in days)
    assert overall["TotalClicksCount"] == len(demo.resources["clickstatistics"])
    assert sum(g["OpenedCount"] for g in demo.resources["geostatistics"]) <= expected["OpenedCount"]
    assert demo.resources["openstatistics"][0]["OpenedCount"] == expected["OpenedCount"]


def test_list_statistics_sum_the_campaigns_sent_to_each_list(demo: DemoData) -> None:
    per_list: Counter[int] = Counter()
    for c in demo.resources["campaignstatistics"]:
        campaign = next(x for x in demo.resources["campaign"] if x["ID"] == c["CampaignID"])
        per_list[campaign["ListID"]] += c["ProcessedCount"]
    lists = {lst["ID"]: lst for lst in demo.resources["contactslist"]}
    for s in demo.resources["liststatistics"]:
        assert s["ProcessedCount"] == per_list[s["ID"]]
        assert s["SubscriberCount"] == lists[s["ID"]]["SubscriberCount"]
        assert s["Name"] == lists[s["ID"]]["Name"]
    by_list = {r["SourceID"]: r["Total"] for r in demo.statcounters("List", "Lifetime", "Message")}
    assert by_list == {lst_id: per_list[lst_id] for lst_id in lists}
    member_total = sum(r["ProcessedCount"] for r in demo.resources["listrecipientstatistics"])
    assert member_total == sum(per_list[lst_id] for lst_id in lists)


def test_link_statistics_agree_with_clicks(demo: DemoData) -> None:
    clicks = demo.resources["clickstatistics"]
    top = demo.resources["toplinkclicked"]
    marketing_clicks = [c for c in clicks if "utm_campaign" in c["Url"]]
    # ClickedCount is de-duplicated by default: messages that clicked the link, not click events.
    assert sum(t["ClickedCount"] for t in top) == len({c["MessageID"] for c in marketing_clicks})
    actual = demo.aggregate_rows(AggregateQuery("toplinkclicked", actual_clicks=True))
    assert sum(t["ClickedCount"] for t in actual) == len(marketing_clicks)
    messages = {m["ID"]: m for m in demo.resources["message"]}
    per_campaign = Counter(messages[c["MessageID"]]["CampaignID"] for c in clicks)
    campaign_id, events = per_campaign.most_common(1)[0]
    rows = demo.link_clicks(campaign_id)
    assert sum(r["ClickedEventsCount"] for r in rows) == events
    assert [r["PositionIndex"] for r in sorted(rows, key=lambda r: r["PositionIndex"])] == list(
        range(1, len(rows) + 1)
    )
    esp = demo.recipient_esp(campaign_id)
    stats = next(s for s in demo.resources["campaignstatistics"] if s["CampaignID"] == campaign_id)
    assert sum(r["AttemptedMessagesCount"] for r in esp) == stats["ProcessedCount"]
    assert demo.link_clicks(1) == []


def test_message_history_tells_the_story_of_a_message(demo: DemoData) -> None:
    clicked = next(m for m in demo.resources["message"] if m["Status"] == "clicked")
    events = demo.message_history(clicked["ID"])
    kinds = [e["EventType"] for e in events]
    assert kinds[0] == "sent" and "opened" in kinds and "clicked" in kinds
    assert [e["EventAt"] for e in events] == sorted(e["EventAt"] for e in events)
    assert events[0]["EventAt"] == ts(clicked["ArrivedAt"])
    bounced = next(m for m in demo.resources["message"] if m["Status"] == "hardbounced")
    assert [e["EventType"] for e in demo.message_history(bounced["ID"])] == ["bounced"]
    assert demo.message_history(123) == []


# -- determinism and scale -------------------------------------------------------------------------


def _snapshot(data: DemoData) -> str:
    everything = {name: list(rows) for name, rows in data.resources.items()}
    return json.dumps(
        [everything, data.sub_resources, data.api_key_id], sort_keys=True, default=str
    )


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again = build_demo_account(seed=42, scale=0.25), build_demo_account(seed=42, scale=0.25)
    assert _snapshot(again) == _snapshot(first)
    other = build_demo_account(seed=7, scale=0.25)
    assert other.resources["contact"][0] != first.resources["contact"][0]
    assert len(other.resources["message"]) == len(first.resources["message"])


@pytest.mark.parametrize("scale", [0.5, 2])
def test_scale_multiplies_volumes(demo: DemoData, scale: float) -> None:
    scaled = build_demo_account(scale=scale)
    assert len(scaled.resources["contact"]) == round(2000 * scale)
    assert len(scaled.resources["message"]) == round(20000 * scale)
    ratio = len(scaled.resources["listrecipient"]) / len(demo.resources["listrecipient"])
    assert 0.8 * scale < ratio < 1.25 * scale
    assert 5 <= len(scaled.resources["contactslist"]) <= 9
    assert scaled.resources["apikeytotals"][0]["ProcessedCount"] == round(20000 * scale)


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        build_demo_account(scale=0)


def test_statcounters_by_day_add_up_to_lifetime_for_both_timings(demo: DemoData) -> None:
    newsletters = [s for s in demo.resources["campaignstatistics"] if s["NewsLetterID"]]
    campaign = max(newsletters, key=lambda s: s["OpenedCount"])["CampaignID"]
    lifetime = demo.statcounters("Campaign", "Lifetime", "Message", source_ids=[campaign])
    assert len(lifetime) == 1 and lifetime[0]["Timeslice"] == ""
    for timing in ("Message", "Event"):
        days = demo.statcounters("Campaign", "Day", timing, source_ids=[campaign])
        assert {d["SourceID"] for d in days} == {campaign}
        for name in (
            "Total",
            "MessageSentCount",
            "MessageOpenedCount",
            "EventOpenedCount",
            "EventClickedCount",
        ):
            assert sum(d[name] for d in days) == lifetime[0][name], (timing, name)
    # A campaign goes out within the hour, but its opens keep coming on the following days.
    assert len(demo.statcounters("Campaign", "Day", "Message", source_ids=[campaign])) == 1
    assert len(demo.statcounters("Campaign", "Day", "Event", source_ids=[campaign])) > 1
    first_day = demo.statcounters("Campaign", "Day", "Event", source_ids=[campaign])[0]
    window = demo.statcounters(
        "APIKey",
        "Day",
        "Message",
        from_ts=ts(first_day["Timeslice"]),
        to_ts=ts(first_day["Timeslice"]),
    )
    assert len(window) == 1 and window[0]["Timeslice"] == first_day["Timeslice"]


def test_addresses_that_hard_bounced_are_blocked_afterwards(demo: DemoData) -> None:
    bounced_at: dict[int, str] = {}
    blocked_after = 0
    for m in demo.resources["message"]:
        if m["ContactID"] in bounced_at:
            assert m["Status"] == "blocked" and m["StatePermanent"]
            blocked_after += 1
        elif m["Status"] == "hardbounced":
            bounced_at[m["ContactID"]] = m["ArrivedAt"]
    assert bounced_at and blocked_after > len(bounced_at)
