"""Statistics resources of the demo account, all computed from the simulated messages.

One pass over the message store fills counters per (campaign, day), per contact, per
(contact, list), per (campaign, link), per (campaign, mailbox provider) and per user agent; every
statistics resource is a sum of those, so a campaign's ``campaignstatistics`` equals the count of
its ``message`` rows by status, a list's ``liststatistics`` equals the sum over the campaigns sent
to it, the API key's totals equal the sum over all campaigns, and so on.

That pass is :meth:`Statistics.tally`, and it is the only one: the demo account's rows are built
from the tally of every message, and a filtered request on an aggregate resource (domain, geo,
graph, toplinkclicked, user agent, open, message statistics with a campaign, list, sender, time
or status filter; see :mod:`mjquery.sandbox.api.aggregates`) gets the same row builders applied to
the tally of the messages :meth:`Statistics.select_messages` picks.
``toplinkclicked.ClickedCount`` counts clicking messages (the reference's default,
de-duplicated count); ``ActualClicks`` asks for click events.

Counting rules (one message counts once per flag, events count every time):
``Processed`` = every message; ``Delivered`` = sent, opened, clicked, spam, unsub; ``Opened`` /
``Clicked`` = messages opened / clicked at least once (whatever their later status);
``Bounced`` = hard + soft bounces; ``Blocked``, ``SpamComplaint``, ``Unsubscribed`` by status.
Queued, pre-queued, deferred and workflow-exit counters are 0 (the demo has none in flight).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mjquery.sandbox.account import AggregateQuery
from mjquery.sandbox.demo import vocab
from mjquery.sandbox.demo.messages import (
    BLOCKED,
    HARDBOUNCED,
    SOFTBOUNCED,
    SPAM,
    STATUS_NAMES,
    UNSUB,
    LazyRows,
    MessageViews,
)
from mjquery.sandbox.demo.reference import day_start, field_set, rfc3339, row

# Counter layout: message counts by status code 0..7, then the derived ones.
_OPENED, _CLICKED, _OPEN_EVENTS, _CLICK_EVENTS, _OPEN_DELAY, _CLICK_DELAY, _LAST = range(8, 15)
_WIDTH = 15


def _new() -> list[int]:
    return [0] * _WIDTH


def _add_into(target: list[int], source: list[int]) -> None:
    for f in range(_LAST):
        target[f] += source[f]
    if source[_LAST] > target[_LAST]:
        target[_LAST] = source[_LAST]


class Counts:
    """Named views of one counter list."""

    __slots__ = ("c",)

    def __init__(self, counters: list[int]) -> None:
        self.c = counters

    @property
    def processed(self) -> int:
        return sum(self.c[:8])

    @property
    def delivered(self) -> int:
        c = self.c
        return c[0] + c[1] + c[2] + c[SPAM] + c[UNSUB]

    @property
    def opened(self) -> int:
        return self.c[_OPENED]

    @property
    def clicked(self) -> int:
        return self.c[_CLICKED]

    @property
    def hard(self) -> int:
        return self.c[HARDBOUNCED]

    @property
    def soft(self) -> int:
        return self.c[SOFTBOUNCED]

    @property
    def bounced(self) -> int:
        return self.c[HARDBOUNCED] + self.c[SOFTBOUNCED]

    @property
    def blocked(self) -> int:
        return self.c[BLOCKED]

    @property
    def spam(self) -> int:
        return self.c[SPAM]

    @property
    def unsub(self) -> int:
        return self.c[UNSUB]

    @property
    def last(self) -> int:
        return self.c[_LAST]


@dataclass
class Tally:
    """The counters of one set of messages: per (campaign, day), per contact, per link...

    :meth:`Statistics.tally` fills it; the demo account's statistics are the tally of every
    message, a filtered aggregate request the tally of the messages its filters select.
    """

    by_day: dict[tuple[int, int], list[int]]  # (campaign index, UTC day) -> counters
    by_event_day: dict[
        tuple[int, int], list[int]
    ]  # the same, opens and clicks on the day they happened
    by_contact: dict[int, list[int]]  # contact index -> counters
    by_member: dict[tuple[int, int], list[int]]  # (contact index, list index) -> counters
    by_esp: dict[tuple[int, int], list[int]]  # (campaign index, mailbox provider) -> counters
    links: dict[
        tuple[int, int], list[int]
    ]  # (campaign index, link position) -> [clicking messages, click events]
    agents: list[
        list[int]
    ]  # per user agent: open events, opened messages, click events, clicked messages
    first_message: list[int]  # per campaign index: id of its first message (0 = none in the set)
    send_start: list[int]  # per campaign index: arrival of its first message (0 = none)
    send_end: list[int]
    by_campaign: list[list[int]]
    total: list[int]


_ZERO: list[int] = [0] * _WIDTH


class Statistics:
    """Counters computed once from the messages, and the statistics rows built from them."""

    def __init__(self, views: MessageViews, api_key_id: int, now: int) -> None:
        self.views = views
        self.api_key_id = api_key_id
        self.now = now
        audience, catalogue = views.audience, views.catalogue
        self.campaigns = catalogue.campaigns
        esp_names = sorted({d[2] for d in vocab.RECIPIENT_DOMAINS})
        self.esp_names = esp_names
        esp_of_domain = [esp_names.index(d[2]) for d in vocab.RECIPIENT_DOMAINS]
        self._contact_esp = [
            esp_of_domain[d] if d >= 0 else esp_names.index("others") for d in audience.domain
        ]
        self._campaign_list = [plan.list_index for plan in self.campaigns]
        self._contact_index: dict[int, int] | None = None
        self._campaign_positions: list[array[int]] | None = None

        everything = self.tally(range(len(views.store)))
        self.all = everything
        self.by_day = everything.by_day
        self.by_event_day = everything.by_event_day
        self.by_contact = everything.by_contact
        self.by_member = everything.by_member
        self.by_esp = everything.by_esp
        self.links = everything.links
        self.agents = everything.agents
        self.first_message = everything.first_message
        self.send_start = everything.send_start
        self.send_end = everything.send_end
        self.by_campaign = everything.by_campaign
        self.total = everything.total

    def tally(self, indices: Iterable[int]) -> Tally:
        """Count the messages at ``indices`` (ascending store positions, i.e. arrival order).

        The one computation behind every statistics resource: the demo account's rows are the
        tally of all messages, a filtered aggregate the tally of the messages selected.
        """
        views = self.views
        store = views.store
        n_campaigns = len(self.campaigns)
        contact_esp, campaign_list = self._contact_esp, self._campaign_list
        by_day: dict[tuple[int, int], list[int]] = {}
        # The same counters attributed to the day each event happened (CounterTiming=Event).
        by_event_day: dict[tuple[int, int], list[int]] = {}

        def event_bucket(c: int, at: int) -> list[int]:
            key = (c, at - at % 86400)
            bucket = by_event_day.get(key)
            if bucket is None:
                bucket = by_event_day[key] = _new()
            return bucket

        by_contact: dict[int, list[int]] = {}
        by_member: dict[tuple[int, int], list[int]] = {}
        by_esp: dict[tuple[int, int], list[int]] = {}
        links: dict[tuple[int, int], list[int]] = {}
        agents = [[0, 0, 0, 0] for _ in vocab.USER_AGENTS]
        first_message = [0] * n_campaigns
        send_start = [0] * n_campaigns
        send_end = [0] * n_campaigns

        arrived, campaign_col, contact_col, status_col = (
            store.arrived,
            store.campaign,
            store.contact,
            store.status,
        )
        first_open_col, opens_col, clicks_col, delay_col = (
            store.first_open,
            store.opens,
            store.clicks,
            store.click_delay,
        )
        link_col, agent_col = store.click_link, store.agent
        for i in indices:
            ts = arrived[i]
            c = campaign_col[i]
            contact = contact_col[i]
            status = status_col[i]
            if not send_start[c]:
                send_start[c] = ts
                first_message[c] = store.id_of(i)
            send_end[c] = ts
            group = by_contact.get(contact)
            if group is None:
                group = by_contact[contact] = _new()
            groups = [group]
            key = (c, ts - ts % 86400)
            group = by_day.get(key)
            if group is None:
                group = by_day[key] = _new()
            groups.append(group)
            key = (c, contact_esp[contact])
            group = by_esp.get(key)
            if group is None:
                group = by_esp[key] = _new()
            groups.append(group)
            list_index = campaign_list[c]
            if list_index >= 0:
                key = (contact, list_index)
                group = by_member.get(key)
                if group is None:
                    group = by_member[key] = _new()
                groups.append(group)
            first_open = first_open_col[i]
            last = ts
            bucket = event_bucket(c, ts)
            bucket[status] += 1
            if ts > bucket[_LAST]:
                bucket[_LAST] = ts
            if first_open:
                for n in range(opens_col[i]):
                    bucket = event_bucket(c, ts + first_open + n * 5400)
                    bucket[_OPEN_EVENTS] += 1
                    if n == 0:
                        bucket[_OPENED] += 1
                        bucket[_OPEN_DELAY] += first_open
                for n in range(clicks_col[i]):
                    at = views.click_time(i, n)
                    bucket = event_bucket(c, at)
                    bucket[_CLICK_EVENTS] += 1
                    if n == 0:
                        bucket[_CLICKED] += 1
                        bucket[_CLICK_DELAY] += delay_col[i]
                    if at > bucket[_LAST]:
                        bucket[_LAST] = at
                opens, clicks = opens_col[i], clicks_col[i]
                delay = delay_col[i]
                last = ts + first_open + delay
                agent = agents[agent_col[i]]
                agent[0] += opens
                agent[1] += 1
                if clicks:
                    agent[2] += clicks
                    agent[3] += 1
                    link = links.get((c, link_col[i]))
                    if link is None:
                        link = links[(c, link_col[i])] = [0, 0]
                    link[0] += 1
                    link[1] += clicks
                for group in groups:
                    group[status] += 1
                    group[_OPENED] += 1
                    group[_OPEN_EVENTS] += opens
                    group[_OPEN_DELAY] += first_open
                    if clicks:
                        group[_CLICKED] += 1
                        group[_CLICK_EVENTS] += clicks
                        group[_CLICK_DELAY] += delay
                    if last > group[_LAST]:
                        group[_LAST] = last
            else:
                for group in groups:
                    group[status] += 1
                    if last > group[_LAST]:
                        group[_LAST] = last

        by_campaign = [_new() for _ in range(n_campaigns)]
        for (c, _day), counters in by_day.items():
            _add_into(by_campaign[c], counters)
        total = _new()
        for counters in by_campaign:
            _add_into(total, counters)
        return Tally(
            by_day,
            by_event_day,
            by_contact,
            by_member,
            by_esp,
            links,
            agents,
            first_message,
            send_start,
            send_end,
            by_campaign,
            total,
        )

    # -- helpers for other builders --------------------------------------------------------------
    def first_message_ids(self) -> list[int]:
        return self.first_message

    def send_starts(self) -> list[int]:
        return self.send_start

    def send_ends(self) -> list[int]:
        return self.send_end

    def campaign_counts(self, index: int) -> Counts:
        return Counts(self.by_campaign[index])

    def campaign_index(self, campaign_id: int) -> int:
        for plan in self.campaigns:
            if plan.id == campaign_id:
                return plan.index
        return -1

    def _sum_campaigns(self, indices: Sequence[int]) -> list[int]:
        total = _new()
        for index in indices:
            _add_into(total, self.by_campaign[index])
        return total

    # -- row builders ----------------------------------------------------------------------------
    @staticmethod
    def _core(resource: str, counters: list[int], **extra: Any) -> dict[str, Any]:
        """A row of the common counter family (…Count fields), plus the resource's own fields."""
        k = Counts(counters)
        values = {
            "BlockedCount": k.blocked,
            "BouncedCount": k.bounced,
            "ClickedCount": k.clicked,
            "DeferredCount": 0,
            "DeliveredCount": k.delivered,
            "HardBouncedCount": k.hard,
            "OpenedCount": k.opened,
            "PreQueuedCount": 0,
            "ProcessedCount": k.processed,
            "QueuedCount": 0,
            "SoftBouncedCount": k.soft,
            "SpamComplaintCount": k.spam,
            "UnsubscribedCount": k.unsub,
            "WorkFlowExitedCount": 0,
            "LastActivityAt": rfc3339(k.last),
        }
        wanted = field_set(resource)
        values = {name: value for name, value in values.items() if name in wanted}
        values.update(extra)
        return row(resource, **values)

    def _campaignstatistics(self) -> list[dict[str, Any]]:
        views = self.views
        lists = views.audience.lists
        filters = views.catalogue.contactfilters
        out = []
        for plan in self.campaigns:
            if not self.send_start[plan.index]:
                continue
            out.append(
                self._core(
                    "campaignstatistics",
                    self.by_campaign[plan.index],
                    AXTesting=None,
                    CampaignID=plan.id,
                    CampaignIsStarred=plan.starred,
                    CampaignSendStartAt=rfc3339(self.send_start[plan.index]),
                    CampaignSubject=plan.subject,
                    ContactListName=lists[plan.list_index].name if plan.list_index >= 0 else "",
                    NewsLetterID=plan.draft_id,
                    SegmentName=filters[plan.segment]["Name"] if plan.segment >= 0 else "",
                    WorkflowID=views.catalogue.workflow_id if plan.kind == "workflow" else 0,
                )
            )
        return out

    def _liststatistics(self) -> list[dict[str, Any]]:
        audience = self.views.audience
        out = []
        for list_index, mlist in enumerate(audience.lists):
            counters = self._sum_campaigns(
                [p.index for p in self.campaigns if p.list_index == list_index]
            )
            active = unsub_active = excluded = excluded_active = 0
            for k, contact in enumerate(mlist.member_contact):
                is_excluded = bool(audience.excluded_at[contact])
                if mlist.member_active[k]:
                    if mlist.member_unsubscribed[k]:
                        unsub_active += 1
                    else:
                        active += 1
                        excluded_active += is_excluded
                excluded += is_excluded
            out.append(
                self._core(
                    "liststatistics",
                    counters,
                    ActiveCount=active,
                    ActiveExcludedSubscriberCount=excluded_active,
                    ActiveUnsubscribedCount=unsub_active,
                    Address=mlist.address,
                    CreatedAt=rfc3339(mlist.created_at),
                    ExcludedSubscriberCount=excluded,
                    ID=mlist.id,
                    IsDeleted=mlist.is_deleted,
                    Name=mlist.name,
                    SubscriberCount=len(mlist.member_contact),
                )
            )
        return out

    def _senderstatistics(self) -> list[dict[str, Any]]:
        out = []
        for sender_index, sender in enumerate(self.views.catalogue.senders):
            counters = self._sum_campaigns(
                [p.index for p in self.campaigns if p.sender == sender_index]
            )
            out.append(self._core("senderstatistics", counters, SenderID=sender["ID"]))
        return out

    # The lazy rows are built by bound methods, not closures: the account pickles (the demo
    # account's cache on disk, :mod:`mjquery.sandbox.demo.cache`).
    def _contactstatistics(self) -> LazyRows:
        return LazyRows(self.views.audience.size, self._contactstatistics_row)

    def _contactstatistics_row(self, index: int) -> dict[str, Any]:
        return self._core(
            "contactstatistics",
            self.by_contact.get(index, _ZERO),
            ContactID=self.views.audience.contact_id[index],
            MarketingContacts=0,
            UserMarketingContacts=0,
        )

    def _listrecipientstatistics(self, recipients: Sequence[dict[str, Any]]) -> LazyRows:
        audience = self.views.audience
        contact_index = {contact_id: index for index, contact_id in enumerate(audience.contact_id)}
        list_index = {mlist.id: index for index, mlist in enumerate(audience.lists)}
        self._recipient_keys = [
            (r["ID"], contact_index[r["ContactID"]], list_index[r["ListID"]]) for r in recipients
        ]
        return LazyRows(len(self._recipient_keys), self._listrecipientstatistics_row)

    def _listrecipientstatistics_row(self, n: int) -> dict[str, Any]:
        recipient_id, contact, lst = self._recipient_keys[n]
        counters = self.by_member.get((contact, lst)) or _new()
        return self._core(
            "listrecipientstatistics", counters, Data=[], ListRecipientID=recipient_id
        )

    def _domainstatistics(self, t: Tally) -> list[dict[str, Any]]:
        audience = self.views.audience
        per_domain: dict[str, list[int]] = {}
        for index in sorted(t.by_contact):
            domain = audience.domain[index]
            name = (
                vocab.RECIPIENT_DOMAINS[domain][0]
                if domain >= 0
                else audience.email[index].rsplit("@", 1)[1]
            )
            counters = per_domain.setdefault(name, _new())
            _add_into(counters, t.by_contact[index])
        return [
            self._core("domainstatistics", counters, Domain=name, ID=-1)
            for name, counters in sorted(per_domain.items())
        ]

    def _geostatistics(self, t: Tally) -> list[dict[str, Any]]:
        audience = self.views.audience
        per_country: dict[str, list[int]] = {}
        for index in sorted(t.by_contact):
            country = audience.country[index]
            code = vocab.COUNTRIES[country][0] if country >= 0 else ""
            counters = per_country.setdefault(code, [0, 0])
            counters[0] += t.by_contact[index][_CLICKED]
            counters[1] += t.by_contact[index][_OPENED]
        return [
            row("geostatistics", ClickedCount=c, Country=code, OpenedCount=o)
            for code, (c, o) in sorted(per_country.items(), key=lambda item: -item[1][1])
            if code
        ]

    def _graphstatistics(self, t: Tally) -> list[dict[str, Any]]:
        per_day: dict[int, list[int]] = {}
        for (_c, day), counters in t.by_day.items():
            _add_into(per_day.setdefault(day, _new()), counters)
        out = []
        for day in sorted(per_day):
            k = Counts(per_day[day])
            out.append(
                row(
                    "graphstatistics",
                    BlockedCount=k.blocked,
                    BouncedCount=k.bounced,
                    ClickedCount=k.clicked,
                    DeferredCount=0,
                    DeliveredCount=k.delivered,
                    HardBouncedCount=k.hard,
                    OpenedCount=k.opened,
                    ProcessedCount=k.processed,
                    QueuedCount=0,
                    RefTimestamp=rfc3339(day)[:10],
                    SendtimeStart=day,
                    SoftBouncedCount=k.soft,
                    SpamcomplaintCount=k.spam,
                    UnsubscribedCount=k.unsub,
                )
            )
        return out

    def _campaigngraphstatistics(self) -> list[dict[str, Any]]:
        out = []
        for (c, day), counters in sorted(
            self.by_day.items(), key=lambda item: (self.campaigns[item[0][0]].id, item[0][1])
        ):
            if self.campaigns[c].kind == "transactional":
                continue
            k = Counts(counters)
            out.append(
                row(
                    "campaigngraphstatistics",
                    Clickcount=k.clicked,
                    ID=self.campaigns[c].id,
                    Opencount=k.opened,
                    Spamcount=k.spam,
                    Tick=day,
                    Unsubcount=k.unsub,
                )
            )
        return out

    def _messagestatistics(self, t: Tally) -> dict[str, Any]:
        total = t.total
        k = Counts(total)
        transactional = sum(
            Counts(t.by_campaign[p.index]).processed
            for p in self.campaigns
            if p.kind == "transactional"
        )
        return row(
            "messagestatistics",
            AverageClickDelay=round(total[_CLICK_DELAY] / k.clicked, 2) if k.clicked else 0.0,
            AverageClickedCount=round(total[_CLICK_EVENTS] / k.clicked, 2) if k.clicked else 0.0,
            AverageOpenDelay=round(total[_OPEN_DELAY] / k.opened, 2) if k.opened else 0.0,
            AverageOpenedCount=round(total[_OPEN_EVENTS] / k.opened, 2) if k.opened else 0.0,
            BlockedCount=k.blocked,
            BouncedCount=k.bounced,
            CampaignCount=sum(1 for s in t.send_start if s),
            ClickedCount=k.clicked,
            DeferredCount=0,
            DeliveredCount=k.delivered,
            HardBouncedCount=k.hard,
            OpenedCount=k.opened,
            ProcessedCount=k.processed,
            QueuedCount=0,
            SoftBouncedCount=k.soft,
            SpamComplaintCount=k.spam,
            TotalClicksCount=total[_CLICK_EVENTS],
            TotalOpensCount=total[_OPEN_EVENTS],
            TransactionalCount=transactional,
            UnsubscribedCount=k.unsub,
        )

    def _apikeytotals(self) -> dict[str, Any]:
        k = Counts(self.total)
        return row(
            "apikeytotals",
            BlockedCount=k.blocked,
            BouncedCount=k.bounced,
            ClickedCount=k.clicked,
            DeferredCount=0,
            DeliveredCount=k.delivered,
            HardBouncedCount=k.hard,
            LastActivity=k.last,
            OpenedCount=k.opened,
            PreQueuedCount=0,
            ProcessedCount=k.processed,
            SoftBouncedCount=k.soft,
            SpamcomplaintCount=k.spam,
            UnsubscribedCount=k.unsub,
            WorkFlowExitedCount=0,
        )

    def _openstatistics(self, t: Tally) -> dict[str, Any]:
        k = Counts(t.total)
        return row(
            "openstatistics",
            OpenedCount=k.opened,
            OpenedDelay=round(t.total[_OPEN_DELAY] / k.opened, 2) if k.opened else 0.0,
            ProcessedCount=k.processed,
        )

    def _toplinkclicked(self, t: Tally, actual_clicks: bool = False) -> list[dict[str, Any]]:
        """One row per tracked link clicked; ClickedCount counts clicking messages (de-duplicated),
        or click events with ``actual_clicks`` (the reference's ``ActualClicks``)."""
        out = []
        for (c, position), (messages, events) in t.links.items():
            link_id, url = self.campaigns[c].links[position]
            if link_id:
                out.append(
                    row(
                        "toplinkclicked",
                        ClickedCount=events if actual_clicks else messages,
                        LinkId=link_id,
                        Url=url,
                    )
                )
        out.sort(key=lambda r: (-r["ClickedCount"], r["LinkId"]))
        return out

    def _useragentstatistics(self, t: Tally, event: str = "open") -> list[dict[str, Any]]:
        """One row per user agent seen: open events / opened messages, or clicks with ``event="click"``."""
        first = 0 if event == "open" else 2
        return [
            row(
                "useragentstatistics",
                Count=counts[first],
                DistinctCount=counts[first + 1],
                Platform=vocab.USER_AGENTS[index][1],
                UserAgent=vocab.USER_AGENT_NAMES[index],
            )
            for index, counts in enumerate(t.agents)
            if counts[first + 1]
        ]

    # -- aggregates over a subset of messages ----------------------------------------------------
    def aggregate_rows(self, query: AggregateQuery) -> list[dict[str, Any]]:
        """The rows of an aggregate resource summed over the messages ``query`` selects."""
        t = self.tally(self.select_messages(query))
        return self._aggregate(query.resource, t, query.event, query.actual_clicks)

    def _aggregate(
        self, resource: str, t: Tally, event: str = "open", actual_clicks: bool = False
    ) -> list[dict[str, Any]]:
        if resource == "domainstatistics":
            return self._domainstatistics(t)
        if resource == "geostatistics":
            return self._geostatistics(t)
        if resource == "graphstatistics":
            return self._graphstatistics(t)
        if resource == "toplinkclicked":
            return self._toplinkclicked(t, actual_clicks)
        if resource == "useragentstatistics":
            return self._useragentstatistics(t, event)
        if resource == "openstatistics":
            return [self._openstatistics(t)]
        if resource == "messagestatistics":
            return [self._messagestatistics(t)]
        raise ValueError(f"{resource} is not an aggregate of messages")

    def select_messages(self, query: AggregateQuery) -> Sequence[int]:
        """Store positions (ascending) of the messages ``query`` selects."""
        store = self.views.store
        everything = range(len(store))
        parts = (
            query.campaign_ids,
            query.campaigns_sent_to,
            query.contact_ids,
            query.message_ids,
            query.statuses,
        )
        if all(part is None for part in parts):
            return everything
        campaign_col, contact_col, status_col = store.campaign, store.contact, store.status
        campaign_ok: list[bool] | None = None
        if query.campaign_ids is not None:
            campaign_ok = [plan.id in query.campaign_ids for plan in self.campaigns]
        contacts: set[int] | None = None
        if query.contact_ids is not None or query.campaigns_sent_to is not None:
            index = self._contact_indices()
            if query.contact_ids is not None:
                contacts = {index[c] for c in query.contact_ids if c in index}
            if query.campaigns_sent_to is not None:
                recipients = {index[c] for c in query.campaigns_sent_to if c in index}
                sent_to = {campaign_col[i] for i in everything if contact_col[i] in recipients}
                campaign_ok = [
                    ok and plan.index in sent_to
                    for ok, plan in zip(
                        campaign_ok or [True] * len(self.campaigns), self.campaigns, strict=True
                    )
                ]
        statuses = None
        if query.statuses is not None:
            statuses = {code for code, name in enumerate(STATUS_NAMES) if name in query.statuses}
        candidates: Iterable[int] = everything
        if query.message_ids is not None:
            candidates = sorted(i for i in (store.index_of(m) for m in query.message_ids) if i >= 0)
        elif campaign_ok is not None and sum(campaign_ok) < len(campaign_ok):
            # A few campaigns of a million messages: read their positions, not every message.
            positions = self._positions_by_campaign()
            candidates = sorted(i for c, ok in enumerate(campaign_ok) if ok for i in positions[c])
        return [
            i
            for i in candidates
            if (campaign_ok is None or campaign_ok[campaign_col[i]])
            and (contacts is None or contact_col[i] in contacts)
            and (statuses is None or status_col[i] in statuses)
        ]

    def _positions_by_campaign(self) -> list[array[int]]:
        """Store positions of each campaign's messages (built on first use)."""
        if self._campaign_positions is None:
            positions = [array("I") for _ in self.campaigns]
            for i, c in enumerate(self.views.store.campaign):
                positions[c].append(i)
            self._campaign_positions = positions
        return self._campaign_positions

    def _contact_indices(self) -> dict[int, int]:
        if self._contact_index is None:
            self._contact_index = {
                cid: index for index, cid in enumerate(self.views.audience.contact_id)
            }
        return self._contact_index

    def _campaignoverview(self) -> list[dict[str, Any]]:
        catalogue = self.views.catalogue
        out = []
        drafts = {draft["ID"]: draft for draft in catalogue.drafts}
        for plan in self.campaigns:
            if plan.kind == "transactional" or not self.send_start[plan.index]:
                continue
            k = Counts(self.by_campaign[plan.index])
            draft = drafts.get(plan.draft_id)
            out.append(
                row(
                    "campaignoverview",
                    ClickedCount=k.clicked,
                    DeliveredCount=k.delivered,
                    EditMode=draft["EditMode"] if draft else "html2",
                    EditType="full",
                    ID=plan.id,
                    IDType="Campaign",
                    OpenedCount=k.opened,
                    ProcessedCount=k.processed,
                    SendTimeStart=self.send_start[plan.index],
                    Starred=plan.starred,
                    Status=2,
                    Subject=plan.subject,
                    Title=draft["Title"] if draft else plan.subject,
                )
            )
        for draft in catalogue.drafts:
            if draft["Status"] == 2:
                continue
            out.append(
                row(
                    "campaignoverview",
                    ClickedCount=0,
                    DeliveredCount=0,
                    EditMode=draft["EditMode"],
                    EditType="full",
                    ID=draft["ID"],
                    IDType="NL",
                    OpenedCount=0,
                    ProcessedCount=0,
                    SendTimeStart=0,
                    Starred=draft["IsStarred"],
                    Status=draft["Status"],
                    Subject=draft["Subject"],
                    Title=draft["Title"],
                )
            )
        return out

    def resources(
        self, recipients: Sequence[dict[str, Any]]
    ) -> dict[str, Sequence[dict[str, Any]]]:
        return {
            "campaignstatistics": self._campaignstatistics(),
            "liststatistics": self._liststatistics(),
            "senderstatistics": self._senderstatistics(),
            "contactstatistics": self._contactstatistics(),
            "listrecipientstatistics": self._listrecipientstatistics(recipients),
            "domainstatistics": self._domainstatistics(self.all),
            "geostatistics": self._geostatistics(self.all),
            "graphstatistics": self._graphstatistics(self.all),
            "campaigngraphstatistics": self._campaigngraphstatistics(),
            "messagestatistics": [self._messagestatistics(self.all)],
            "apikeytotals": [self._apikeytotals()],
            "openstatistics": [self._openstatistics(self.all)],
            "toplinkclicked": self._toplinkclicked(self.all),
            "useragentstatistics": self._useragentstatistics(self.all),
            "campaignoverview": self._campaignoverview(),
            "statcounters": self._lifetime_statcounters(),
            "statistics/link-click": [
                r for plan in self.campaigns for r in self.link_clicks(plan.id)
            ],
            "statistics/recipient-esp": [
                r for plan in self.campaigns for r in self.recipient_esp(plan.id)
            ],
        }

    # -- parameterised statistics ----------------------------------------------------------------
    def link_clicks(self, campaign_id: int) -> list[dict[str, Any]]:
        index = self.campaign_index(campaign_id)
        if index < 0:
            return []
        out: list[dict[str, Any]] = []
        for position, (_link_id, url) in enumerate(self.campaigns[index].links):
            messages, events = self.links.get((index, position), (0, 0))
            out.append(
                {
                    "URL": url,
                    "PositionIndex": position + 1,
                    "ClickedMessagesCount": messages,
                    "ClickedEventsCount": events,
                }
            )
        out.sort(key=lambda r: -r["ClickedMessagesCount"])
        return out

    def recipient_esp(self, campaign_id: int) -> list[dict[str, Any]]:
        index = self.campaign_index(campaign_id)
        out = []
        for esp_index, name in enumerate(self.esp_names):
            counters = self.by_esp.get((index, esp_index))
            if counters is None:
                continue
            k = Counts(counters)
            attempted = k.processed
            delivered = k.delivered

            def rate(value: int, base: int) -> float:
                return round(value / base, 4) if base else 0.0

            out.append(
                {
                    "AttemptedMessagesCount": attempted,
                    "ClickedMessagesCount": k.clicked,
                    "DeferredMessagesCount": 0,
                    "DeliveredMessagesCount": delivered,
                    "HardBouncedMessagesCount": k.hard,
                    "OpenedMessagesCount": k.opened,
                    "SoftBouncedMessagesCount": k.soft,
                    "SpamReportsCount": k.spam,
                    "UnsubscribedMessagesCount": k.unsub,
                    "ESPName": name,
                    "OpenRate": rate(k.opened, delivered),
                    "ClickThroughRate": rate(k.clicked, delivered),
                    "SoftBouncedRate": rate(k.soft, attempted),
                    "HardBouncedRate": rate(k.hard, attempted),
                    "UnsubscribedRate": rate(k.unsub, delivered),
                    "SpamReportsRate": rate(k.spam, delivered),
                    "DeferredRate": 0.0,
                }
            )
        return out

    def _counter_row(
        self, source_id: int, counters: list[int], timeslice: int | None
    ) -> dict[str, Any]:
        k = Counts(counters)
        return row(
            "statcounters",
            APIKeyID=self.api_key_id,
            EventClickDelay=counters[_CLICK_DELAY],
            EventClickedCount=counters[_CLICK_EVENTS],
            EventOpenDelay=counters[_OPEN_DELAY],
            EventOpenedCount=counters[_OPEN_EVENTS],
            EventSpamCount=k.spam,
            EventUnsubscribedCount=k.unsub,
            EventWorkflowExitedCount=0,
            MessageBlockedCount=k.blocked,
            MessageClickedCount=k.clicked,
            MessageDeferredCount=0,
            MessageHardBouncedCount=k.hard,
            MessageOpenedCount=k.opened,
            MessageQueuedCount=0,
            MessageSentCount=k.delivered,
            MessageSoftBouncedCount=k.soft,
            MessageSpamCount=k.spam,
            MessageUnsubscribedCount=k.unsub,
            MessageWorkFlowExitedCount=0,
            SourceID=source_id,
            Timeslice=rfc3339(timeslice) if timeslice is not None else "",
            Total=k.processed,
        )

    def _sources(self, source: str) -> list[tuple[int, list[int]]]:
        """(source id, campaign indices) for every source of a CounterSource."""
        catalogue, audience = self.views.catalogue, self.views.audience
        source = source.lower()
        if source == "apikey":
            return [(self.api_key_id, [p.index for p in self.campaigns])]
        if source == "campaign":
            return [(p.id, [p.index]) for p in self.campaigns]
        if source == "list":
            return [
                (m.id, [p.index for p in self.campaigns if p.list_index == li])
                for li, m in enumerate(audience.lists)
            ]
        if source == "sender":
            return [
                (s["ID"], [p.index for p in self.campaigns if p.sender == si])
                for si, s in enumerate(catalogue.senders)
            ]
        return []

    def statcounters(
        self,
        source: str,
        resolution: str,
        timing: str,
        source_ids: Sequence[int] = (),
        from_ts: int | None = None,
        to_ts: int | None = None,
    ) -> list[dict[str, Any]]:
        """statcounters rows for one CounterSource / CounterResolution / CounterTiming.

        Day and Hour resolutions both give one row per UTC day (the demo keeps no hourly
        counters). Timing ``Message`` puts everything on the day the message was sent; ``Event``
        puts opens and clicks on the day they happened. Lifetime rows are the same for both.
        """
        buckets = self.by_event_day if timing.lower() == "event" else self.by_day
        wanted = set(source_ids)
        out = []
        for source_id, indices in self._sources(source):
            if wanted and source_id not in wanted:
                continue
            if resolution.lower() in ("lifetime", "highest"):
                out.append(self._counter_row(source_id, self._sum_campaigns(indices), None))
                continue
            per_day: dict[int, list[int]] = {}
            members = set(indices)
            for (c, day), counters in buckets.items():
                if (
                    c in members
                    and (from_ts is None or day >= day_start(from_ts))
                    and (to_ts is None or day <= to_ts)
                ):
                    _add_into(per_day.setdefault(day, _new()), counters)
            out.extend(self._counter_row(source_id, per_day[day], day) for day in sorted(per_day))
        return out

    def _lifetime_statcounters(self) -> list[dict[str, Any]]:
        out = []
        for source in ("APIKey", "Campaign", "List", "Sender"):
            out.extend(self.statcounters(source, "Lifetime", "Message"))
        return out


def std_dev(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
