"""Aggregate statistics for the messages a request selects.

``domainstatistics``, ``geostatistics``, ``graphstatistics``, ``toplinkclicked``,
``useragentstatistics``, ``openstatistics`` and ``messagestatistics`` have one row per domain /
country / day / link / user agent, or one row for the whole account. Their campaign, list,
sender, time-window and status filters do not pick rows: they pick the *messages* the rows are
summed over. When a request carries one of them, the rows are recomputed for that subset by the
account's own statistics code (``data.aggregate_rows(query)``, the same computation as the
unfiltered rows) and cached per (resource, normalised query, data versions).

What each filter selects (``openapi-mailjet.yaml`` describes them as campaign filters: "Only
retrieve campaigns ..."):

==================================  ===========================================================
filter                              messages kept
==================================  ===========================================================
``CampaignID``                      of the campaigns with this ``ID`` (comma list).
``CampaignStatus``                  of campaigns whose ``Status`` is this number.
``ContactsList`` / ``ContactsListID``
/ ``ContactListID``                 of campaigns sent to this list (``ListID``).
``CustomCampaign``                  of campaigns whose ``CustomValue`` is this (any case).
``From``                            of campaigns whose ``FromEmail`` is this (a number:
                                    ``FromID``).
``FromDomain``                      of campaigns whose ``FromEmail`` has this domain.
``FromID``                          of campaigns whose ``FromID`` is this.
``FromType``                        of campaigns whose ``CampaignType`` is this (1
                                    transactional, 2 marketing).
``IsDeleted`` / ``IsStarred``       of campaigns with this flag.
``IsNewsletterTool``                of campaigns with (true) / without a ``NewsLetterID``.
``FromTS`` / ``ToTS``               of campaigns whose ``SendStartAt`` is later than
                                    ``FromTS`` / strictly earlier than ``ToTS`` (the reference:
                                    "SendStartAt after", "SendStartAt ... less than").
``Period``                          of campaigns whose ``SendStartAt`` is at or after the start
                                    of the current Day / Week / Month / Year and not after now
                                    ("Set FromTS and ToTS ... to beginning of indicated period
                                    and current timestamp").
``WorkflowID`` (graphstatistics)    of campaigns with this ``WorkflowID``.
``Contact`` (graphstatistics)       of the campaigns sent to this contact (ID or email): "Only
                                    retrieve campaigns sent to the specified contact".
``Contact`` (toplinkclicked),
``ContactID`` / ``ContactEmail``    sent to this contact ("Only retrieve messages to specified
(messagestatistics)                 contact", "message statistics for this contact").
``Message`` (toplinkclicked)        the message with this ID.
``MessageStatus``                   whose status is one of these (names or codes, as on
                                    ``message``).
==================================  ===========================================================

Two options change what is counted rather than which messages: ``Event`` on
useragentstatistics (``open``, the default, or ``click``: the event source; another value is
400) and ``ActualClicks`` on toplinkclicked (true: click events instead of the default
de-duplicated count of clicking messages). The rows' own columns (``Platform``,
``ExcludePlatform``...) are then filtered on the recomputed rows as usual.

An account without message-level data (a hand-made test account) cannot recompute; there these
filters have no effect, and :func:`mjquery.sandbox.api.query.inert_filters` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mjquery.sandbox.account import AggregateQuery
from mjquery.sandbox.api.reference import ResourceSpec
from mjquery.sandbox.api.store import Row, Store
from mjquery.sandbox.api.values import (
    QueryError,
    campaign_predicate,
    message_status_values,
    parse_bool,
    parse_ints,
    parse_time,
    period_start,
    row_time,
)

#: Resources whose rows are sums over messages.
AGGREGATE_RESOURCES = frozenset(
    {
        "domainstatistics",
        "geostatistics",
        "graphstatistics",
        "toplinkclicked",
        "useragentstatistics",
        "openstatistics",
        "messagestatistics",
    }
)

#: Filters that select campaigns (on the live campaign table).
CAMPAIGN_LEVEL = frozenset(
    {
        "campaignid",
        "campaignstatus",
        "contactslist",
        "contactslistid",
        "contactlistid",
        "customcampaign",
        "from",
        "fromdomain",
        "fromid",
        "fromtype",
        "isdeleted",
        "isnewslettertool",
        "isstarred",
        "fromts",
        "tots",
        "period",
    }
)

#: Resource-specific filters and options served by the recomputation.
_OWN_FILTERS = {
    "graphstatistics": frozenset({"contact", "workflowid", "messagestatus"}),
    "toplinkclicked": frozenset({"contact", "message", "actualclicks"}),
    "messagestatistics": frozenset({"contactid", "contactemail", "messagestatus"}),
    "useragentstatistics": frozenset({"event"}),
    "domainstatistics": frozenset({"messagestatus"}),
    "geostatistics": frozenset({"messagestatus"}),
    "openstatistics": frozenset({"messagestatus"}),
}

EVENTS = ("open", "click")


def can_recompute(store: Store) -> bool:
    """Whether the account can sum its statistics over a subset of messages."""
    return callable(getattr(store.data, "aggregate_rows", None))


def served_filters(spec: ResourceSpec) -> frozenset[str]:
    """Lower-case names of the filters of ``spec`` the recomputation answers (empty if not an aggregate)."""
    name = spec.name.lower()
    if name not in AGGREGATE_RESOURCES:
        return frozenset()
    wanted = CAMPAIGN_LEVEL | _OWN_FILTERS.get(name, frozenset())
    return frozenset(low for low in spec.filters_by_lower if low in wanted)


def _intersect(current: frozenset[int] | None, more: frozenset[int]) -> frozenset[int]:
    return more if current is None else current & more


def _contact_ids(store: Store, value: str) -> frozenset[int]:
    """Contacts named by ID or email (comma list); unknown ones select nothing."""
    found: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        contact = store.contact(part)
        if contact is not None:
            found.add(int(contact["ID"]))
    return frozenset(found)


def _campaign_predicate(store: Store, low: str, name: str, value: str) -> Callable[[Row], bool]:
    if low == "contactlistid":
        low = "contactslist"
    if low in ("fromts", "tots", "period"):
        if low == "period":
            start, end = period_start(store, name, value), store.clock_timestamp()
            return lambda c: (t := row_time(c.get("SendStartAt"))) is not None and start <= t <= end
        bound = parse_time(name, value)
        if low == "fromts":
            return lambda c: (t := row_time(c.get("SendStartAt"))) is not None and t > bound
        return lambda c: (t := row_time(c.get("SendStartAt"))) is not None and t < bound
    if low == "workflowid":
        wanted = parse_ints(name, value)
        return lambda c: c.get("WorkflowID") in wanted
    predicate = campaign_predicate(low, name, value)
    assert predicate is not None, low
    return predicate


def aggregate_query(
    spec: ResourceSpec, store: Store, params: dict[str, tuple[str, str]]
) -> AggregateQuery | None:
    """The recomputation a request asks for, or None when none of its filters is served here.

    ``params`` maps lower-case names to (name as sent, value). Bad values raise
    :class:`mjquery.sandbox.api.query.QueryError` (400).
    """
    served = served_filters(spec)
    present = sorted(low for low in params if low in served)
    if not present or not can_recompute(store):
        return None
    resource = spec.name.lower()
    campaign_checks = []
    campaigns_sent_to = contact_ids = message_ids = None
    statuses: frozenset[str] | None = None
    event, actual_clicks = "open", False
    for low in present:
        name, value = params[low]
        if low == "event":
            event = value.strip().lower()
            if event not in EVENTS:
                raise QueryError(f'Invalid value for filter "{name}": "{value}"')
        elif low == "actualclicks":
            actual_clicks = parse_bool(name, value)
        elif low == "messagestatus":
            wanted = message_status_values(value)
            statuses = wanted if statuses is None else statuses & wanted
        elif low == "message":
            message_ids = _intersect(message_ids, parse_ints(name, value))
        elif low == "contactid":
            contact_ids = _intersect(contact_ids, parse_ints(name, value))
        elif low == "contactemail" or (low == "contact" and resource == "toplinkclicked"):
            contact_ids = _intersect(contact_ids, _contact_ids(store, value))
        elif low == "contact":  # graphstatistics: the campaigns sent to the contact
            campaigns_sent_to = _intersect(campaigns_sent_to, _contact_ids(store, value))
        else:
            campaign_checks.append(_campaign_predicate(store, low, name, value))
    campaign_ids = None
    if campaign_checks:
        campaign_ids = frozenset(
            int(c["ID"])
            for c in store.table("campaign").rows
            if all(check(c) for check in campaign_checks)
        )
    return AggregateQuery(
        resource,
        campaign_ids,
        campaigns_sent_to,
        contact_ids,
        message_ids,
        statuses,
        event,
        actual_clicks,
    )


def aggregate_rows(store: Store, query: AggregateQuery) -> Sequence[Row]:
    """The rows of ``query.resource`` summed over the selected messages, cached per data version."""
    versions = tuple(
        store.tables[n].version for n in ("campaign", "contact", "message") if n in store.tables
    )
    produce: Any = store.data.aggregate_rows
    return store.cached_query(("aggregate", query, versions), lambda: list(produce(query)))
