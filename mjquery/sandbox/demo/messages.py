"""The message simulation and the message-level resources, stored as columns and read lazily.

:func:`simulate` sends every campaign of the plan to the people who were subscribed (and not
excluded) at send time, in time order, and draws each message's fate: blocked, bounced (mostly on
a few bad domains), delivered, opened, clicked, unsubscribed, reported as spam. Unsubscriptions
are written back to the list memberships, so later campaigns skip those people.

A million messages as dicts would take gigabytes, so messages live in :class:`MessageStore`
(one ``array`` per attribute, sorted by arrival, ids growing with time) and the resources
``message``, ``messageinformation``, ``messagesentstatistics``, ``openinformation``,
``clickstatistics``, ``bouncestatistics`` and ``messagehistory`` are :class:`LazyRows` sequences
that build a fresh dict per row on demand.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from mjquery.sandbox.demo import vocab
from mjquery.sandbox.demo.campaigns import Catalogue
from mjquery.sandbox.demo.people import Audience
from mjquery.sandbox.demo.reference import rfc3339

DAY = 86400

# Message status codes in the store, and their API spelling (message.Status).
SENT, OPENED, CLICKED, HARDBOUNCED, SOFTBOUNCED, BLOCKED, SPAM, UNSUB = range(8)
STATUS_NAMES = (
    "sent",
    "opened",
    "clicked",
    "hardbounced",
    "softbounced",
    "blocked",
    "spam",
    "unsub",
)
DELIVERED_CODES = frozenset({SENT, OPENED, CLICKED, SPAM, UNSUB})
BOUNCE_CODES = frozenset({HARDBOUNCED, SOFTBOUNCED})
_UNDELIVERABLE = 8  # transient, during the simulation only

_MASK64 = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64: a cheap, well-spread hash for per-message values derived from the id."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def message_uuid(message_id: int) -> str:
    high, low = _mix(message_id), _mix(message_id ^ 0x5DEECE66D)
    text = f"{high:016x}{low:016x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[low >> 62]}{text[17:20]}-{text[20:32]}"


@dataclass
class MessageStore:
    """Every message, one column per attribute, sorted by arrival time (so by id)."""

    base_id: int
    arrived: array[int]  # Unix time
    campaign: array[int]  # campaign index into Catalogue.campaigns
    contact: array[int]  # contact index into Audience
    status: array[int]  # status code
    state: array[int]  # messagestate id, 0 when delivered
    first_open: array[int]  # seconds from arrival to the first open, 0 = never opened
    opens: array[int]  # open events
    click_link: array[int]  # position of the clicked link in the campaign's links, -1 = no click
    clicks: array[int]  # click events
    click_delay: array[int]  # seconds from the first open to the first click
    agent: array[int]  # user agent index
    size: array[int]  # bytes

    def __len__(self) -> int:
        return len(self.arrived)

    def id_of(self, index: int) -> int:
        # Ids grow with arrival and sit far above 2^53, with gaps like the real ones.
        return self.base_id + index * 4099 + ((index * 2654435761) & 1023)

    def index_of(self, message_id: int) -> int:
        """Index of the message with this id, or -1."""
        index = (message_id - self.base_id) // 4099
        if 0 <= index < len(self) and self.id_of(index) == message_id:
            return index
        return -1


@dataclass
class SimulationResult:
    store: MessageStore
    delivered_count: list[int]
    last_activity: list[int]
    unsubscribed_by: dict[int, tuple[int, int]]  # contact index -> (time, campaign id)


def simulate(
    rng: random.Random, audience: Audience, catalogue: Catalogue, scale: float, now: int
) -> SimulationResult:
    """Send every campaign and draw what happened to each message (deterministic for ``rng``)."""
    target = max(1, round(20000 * scale))
    n_contacts = audience.size
    hard_domains = {
        i for i, d in enumerate(vocab.RECIPIENT_DOMAINS) if d[0] in vocab.HARD_BOUNCE_DOMAINS
    }
    soft_domains = {
        i for i, d in enumerate(vocab.RECIPIENT_DOMAINS) if d[0] in vocab.SOFT_BOUNCE_DOMAINS
    }
    # Per contact: 0 normal, 2 mailbox often full; and from when the address is dead (0 = never).
    # Most addresses on the bad domains never worked; a few ordinary mailboxes close over time.
    quality = [2 if d in soft_domains else 0 for d in audience.domain]
    dead_from = [
        audience.created[c]
        if audience.domain[c] in hard_domains and rng.random() < 0.85
        else audience.created[c] + int(rng.random() * (now - audience.created[c]))
        if rng.random() < 0.006
        else 0
        for c in range(n_contacts)
    ]
    engagement = [rng.random() ** 1.6 for _ in range(n_contacts)]
    n_agents = len(vocab.USER_AGENTS)

    arrived: list[int] = []
    campaign_col: list[int] = []
    contact_col: list[int] = []
    status_col: list[int] = []
    state_col: list[int] = []
    open_col: list[int] = []
    opens_col: list[int] = []
    link_col: list[int] = []
    clicks_col: list[int] = []
    delay_col: list[int] = []
    agent_col: list[int] = []
    size_col: list[int] = []
    unsubscribed_by: dict[int, tuple[int, int]] = {}
    lists = audience.lists
    country_codes = [c[0] for c in vocab.COUNTRIES]

    def send(
        plan_index: int,
        contact: int,
        ts: int,
        open_base: float,
        click_base: float,
        marketing: bool,
        size: int,
    ) -> int:
        """Append one message; returns the time of an unsubscription it caused, or 0."""
        q = quality[contact]
        r = rng.random()
        state, status, first_open, opens, link, clicks, delay = 0, SENT, 0, 0, -1, 0, 0
        dead = dead_from[contact]
        if dead and ts >= dead:
            # Hard bounce or preblocked: decided once the messages are in time order (below).
            status = _UNDELIVERABLE
        elif q == 2 and r < 0.35:
            status, state = SOFTBOUNCED, vocab.STATE_QUOTA_EXCEEDED
        elif r < 0.003:
            status, state = BLOCKED, vocab.STATE_PREBLOCKED
        elif r < 0.009:
            status, state = SOFTBOUNCED, vocab.STATE_CONNECTION_ISSUE
        unsub_at = 0
        if status == SENT:
            e = engagement[contact]
            if rng.random() < open_base * (0.35 + 1.3 * e):
                first_open = 30 + int(rng.expovariate(1 / 14000))
                if ts + first_open < now:
                    status = OPENED
                    opens = 1 + int(rng.expovariate(1.1))
                    if rng.random() < click_base * (0.5 + e):
                        status = CLICKED
                        clicks = 1 + int(rng.expovariate(1.6))
                        delay = 5 + int(rng.expovariate(1 / 90))
                        link = rng.randrange(len(catalogue.campaigns[plan_index].links))
                    if marketing and rng.random() < 0.006:
                        status = UNSUB
                        unsub_at = ts + first_open + delay + 20
                else:
                    first_open = 0
            elif marketing and rng.random() < 0.0012:
                status = SPAM
                audience.spam_complaint[contact] = True
        arrived.append(ts)
        campaign_col.append(plan_index)
        contact_col.append(contact)
        status_col.append(status)
        state_col.append(state)
        open_col.append(first_open)
        opens_col.append(opens)
        link_col.append(link)
        clicks_col.append(clicks)
        delay_col.append(delay)
        agent_col.append(rng.randrange(n_agents) if first_open else 0)
        size_col.append(size + rng.randrange(900))
        return unsub_at

    # Marketing campaigns and the welcome workflow, in the order they were sent.
    for plan in sorted(catalogue.campaigns, key=lambda p: p.send_at):
        if plan.kind == "newsletter":
            mlist = lists[plan.list_index]
            members = [
                k
                for k in range(len(mlist.member_contact))
                if mlist.member_subscribed[k] <= plan.send_at
                and (
                    not mlist.member_unsubscribed[k] or mlist.member_unsubscribed[k] > plan.send_at
                )
                and mlist.member_active[k]
                and not (
                    audience.excluded_at[mlist.member_contact[k]]
                    and audience.excluded_at[mlist.member_contact[k]] <= plan.send_at
                )
                and (
                    not plan.country_filter
                    or (
                        audience.country[mlist.member_contact[k]] >= 0
                        and country_codes[audience.country[mlist.member_contact[k]]]
                        == plan.country_filter
                    )
                )
            ]
            duration = 600 + len(members) // 4
            for position, k in enumerate(members):
                contact = mlist.member_contact[k]
                ts = (
                    plan.send_at
                    + 5
                    + position * duration // max(1, len(members))
                    + rng.randrange(30)
                )
                left = send(plan.index, contact, ts, 0.30, 0.24, True, 18000)
                if left:
                    mlist.member_unsubscribed[k] = left
                    if left > unsubscribed_by.get(contact, (0, 0))[0]:
                        unsubscribed_by[contact] = (left, plan.id)
        elif plan.kind == "workflow":
            mlist = lists[plan.list_index]
            for k in range(len(mlist.member_contact)):
                joined = mlist.member_subscribed[k]
                contact = mlist.member_contact[k]
                ts = joined + 60 + rng.randrange(540)
                excluded = audience.excluded_at[contact]
                if (
                    joined < plan.send_at
                    or ts >= now
                    or not mlist.member_active[k]
                    or (excluded and excluded <= ts)
                ):
                    continue
                left = send(plan.index, contact, ts, 0.55, 0.30, True, 14000)
                if left:
                    mlist.member_unsubscribed[k] = left
                    if left > unsubscribed_by.get(contact, (0, 0))[0]:
                        unsubscribed_by[contact] = (left, plan.id)

    # Transactional traffic fills the volume up to 20,000 messages per unit of scale.
    streams = [plan for plan in catalogue.campaigns if plan.kind == "transactional"]
    customers = next(m for m in lists if m.kind == "customers")
    buyers = customers.member_contact or list(range(n_contacts))
    total_share = sum(plan.share for plan in streams)
    remaining = max(0, target - len(arrived))
    window_start = now - 365 * DAY
    for stream in streams:
        count = (
            remaining * stream.share // total_share
            if stream is not streams[-1]
            else remaining - sum(remaining * s.share // total_share for s in streams[:-1])
        )
        for _ in range(count):
            contact = rng.choice(buyers) if rng.random() < 0.8 else rng.randrange(n_contacts)
            lower = max(window_start, audience.created[contact])
            ts = lower + rng.randrange(max(1, now - 120 - lower))
            send(stream.index, contact, ts, 0.55, 0.3, False, 9000)

    order = sorted(range(len(arrived)), key=arrived.__getitem__)

    def column(typecode: str, values: list[int]) -> array[int]:
        return array(typecode, [values[i] for i in order])

    store = MessageStore(
        base_id=576460752303423488 + rng.randrange(1 << 40),
        arrived=column("q", arrived),
        campaign=column("H", campaign_col),
        contact=column("I", contact_col),
        status=column("B", status_col),
        state=column("B", state_col),
        first_open=column("I", open_col),
        opens=column("B", [min(v, 255) for v in opens_col]),
        click_link=column("b", link_col),
        clicks=column("B", [min(v, 255) for v in clicks_col]),
        click_delay=column("I", delay_col),
        agent=column("B", agent_col),
        size=column("I", size_col),
    )

    # The first message to a dead address hard-bounces; Mailjet then stops trying it, so every
    # later message to it is preblocked.
    bounced: set[int] = set()
    status_column, state_column, contact_column = store.status, store.state, store.contact
    for i in range(len(store)):
        if status_column[i] == _UNDELIVERABLE:
            contact = contact_column[i]
            if contact in bounced:
                status_column[i], state_column[i] = BLOCKED, vocab.STATE_PREBLOCKED
            else:
                bounced.add(contact)
                domain = audience.domain[contact]
                name = vocab.RECIPIENT_DOMAINS[domain][0] if domain >= 0 else ""
                status_column[i] = HARDBOUNCED
                state_column[i] = (
                    vocab.STATE_NO_MAIL_HOST
                    if name == "oldisp.test"
                    else (
                        vocab.STATE_INVALID_DOMAIN
                        if name == "exmaple.test"
                        else vocab.STATE_USER_UNKNOWN
                    )
                )

    delivered_count = [0] * n_contacts
    last_activity = [0] * n_contacts
    for i in range(len(store)):
        contact = store.contact[i]
        status = store.status[i]
        if status in DELIVERED_CODES:
            delivered_count[contact] += 1
        # Activity: the message reaching the contact, or the last open/click it produced.
        ts = store.arrived[i]
        if store.first_open[i]:
            ts += store.first_open[i] + store.click_delay[i]
        if ts > last_activity[contact]:
            last_activity[contact] = ts
    for contact, (left, _campaign) in unsubscribed_by.items():
        last_activity[contact] = max(last_activity[contact], left)
    return SimulationResult(store, delivered_count, last_activity, unsubscribed_by)


class LazyRows(Sequence[dict[str, Any]]):
    """A read-only sequence of rows built on demand: each access returns a fresh dict."""

    def __init__(self, length: int, make: Callable[[int], dict[str, Any]]) -> None:
        self._length = length
        self._make = make

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("row index out of range")
        return self._make(index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        make = self._make
        for i in range(self._length):
            yield make(i)

    def __repr__(self) -> str:
        return f"<LazyRows of {self._length} rows>"


@dataclass
class MessageViews:
    """Everything the message-level resources need to build a row: the store and the lookups."""

    store: MessageStore
    audience: Audience
    catalogue: Catalogue

    def __post_init__(self) -> None:
        store = self.store
        self.campaign_ids = [plan.id for plan in self.catalogue.campaigns]
        self.subjects = [plan.subject for plan in self.catalogue.campaigns]
        self.marketing = [plan.kind != "transactional" for plan in self.catalogue.campaigns]
        self.text_part = [plan.text_part for plan in self.catalogue.campaigns]
        self.custom = [plan.kind == "transactional" for plan in self.catalogue.campaigns]
        self.workflow = [
            self.catalogue.workflow_id if plan.kind == "workflow" else 0
            for plan in self.catalogue.campaigns
        ]
        self.spam_score = [plan.spam_score for plan in self.catalogue.campaigns]
        self.sender_ids = [
            self.catalogue.senders[plan.sender]["ID"] for plan in self.catalogue.campaigns
        ]
        self.opened = array("I", (i for i in range(len(store)) if store.first_open[i]))
        self.bounced = array(
            "I",
            (
                i
                for i in range(len(store))
                if store.status[i] in (HARDBOUNCED, SOFTBOUNCED, BLOCKED)
            ),
        )
        # One clickstatistics row per click event: the message and which of its clicks.
        click_message = array("I")
        click_number = array("B")
        for i in range(len(store)):
            for n in range(store.clicks[i]):
                click_message.append(i)
                click_number.append(n)
        self.click_message, self.click_number = click_message, click_number
        # messagehistory: cumulative event counts, so a flat event index finds its message.
        offsets = array("Q", [0])
        total = 0
        for i in range(len(store)):
            total += self.event_count(i)
            offsets.append(total)
        self.history_offsets = offsets

    # -- per-message derived values -------------------------------------------------------------
    def event_count(self, i: int) -> int:
        store = self.store
        status = store.status[i]
        return 1 + store.opens[i] + store.clicks[i] + int(status in (UNSUB, SPAM))

    def destination_id(self, contact: int) -> int:
        return (
            124870 + self.audience.domain[contact] * 13
            if self.audience.domain[contact] >= 0
            else 125001
        )

    def message(self, i: int) -> dict[str, Any]:
        store, audience = self.store, self.audience
        c, contact, status, message_id = (
            store.campaign[i],
            store.contact[i],
            store.status[i],
            self.store.id_of(i),
        )
        return {
            "ArrivedAt": rfc3339(store.arrived[i]),
            "AttachmentCount": 1 if self.custom[c] and message_id % 5 == 0 else 0,
            "AttemptCount": 3 if status == SOFTBOUNCED else 1,
            "CampaignID": self.campaign_ids[c],
            "ContactID": audience.contact_id[contact],
            "ContactAlt": audience.email[contact],
            "CustomID": f"order-{message_id % 1000003}" if self.custom[c] else "",
            "Delay": float((message_id >> 3) % 900) / 10,
            "DestinationID": self.destination_id(contact),
            "FilterTime": 20 + (message_id >> 5) % 120,
            "ID": message_id,
            "IsClickTracked": True,
            "IsHTMLPartIncluded": True,
            "IsOpenTracked": True,
            "IsTextPartIncluded": self.text_part[c],
            "IsUnsubTracked": self.marketing[c],
            "MessageSize": store.size[i],
            "SenderID": self.sender_ids[c],
            "SpamassassinScore": self.spam_score[c],
            "SpamassRules": "",
            "StateID": store.state[i],
            "StatePermanent": status in (HARDBOUNCED, BLOCKED),
            "Status": STATUS_NAMES[status],
            "Subject": self.subjects[c],
            "UUID": message_uuid(message_id),
        }

    def messageinformation(self, i: int) -> dict[str, Any]:
        store = self.store
        c, status = store.campaign[i], store.status[i]
        at = rfc3339(store.arrived[i])
        return {
            "CampaignID": self.campaign_ids[c],
            "ClickTrackedCount": 1,
            "ContactID": self.audience.contact_id[store.contact[i]],
            "CreatedAt": at,
            "ID": store.id_of(i),
            "MessageSize": store.size[i],
            "OpenTrackedCount": 1,
            "QueuedCount": 0,
            "SendEndAt": at,
            "SentCount": 0 if status == BLOCKED else 1,
            "SpamAssassinRules": {"ALT": "", "ID": -1},
            "SpamAssassinScore": self.spam_score[c],
        }

    def messagesentstatistics(self, i: int) -> dict[str, Any]:
        store, audience = self.store, self.audience
        c, status, contact = store.campaign[i], store.status[i], store.contact[i]
        arrived = store.arrived[i]
        bounced = status in BOUNCE_CODES
        return {
            "ArrivalTs": rfc3339(arrived),
            "Blocked": status == BLOCKED,
            "Bounce": bounced,
            "BounceDate": rfc3339(arrived + 2) if bounced else "",
            "BounceReason": vocab.MESSAGE_STATES[store.state[i] - 1][1] if bounced else "",
            "CampaignID": self.campaign_ids[c],
            "Click": store.clicks[i] > 0,
            "CntRecipients": 1,
            "ComplaintDate": rfc3339(arrived + 3600) if status == SPAM else "",
            "ContactID": audience.contact_id[contact],
            "Details": "",
            "FBLSource": "" if status != SPAM else "feedback-loop",
            "MessageID": store.id_of(i),
            "Open": store.first_open[i] > 0,
            "Queued": False,
            "Sent": status in DELIVERED_CODES,
            "Spam": status == SPAM,
            "StateID": store.state[i],
            "StatePermanent": status in (HARDBOUNCED, BLOCKED),
            "Status": STATUS_NAMES[status],
            "ToEmail": audience.email[contact],
            "Unsub": status == UNSUB,
            "WorkflowID": self.workflow[c],
        }

    def openinformation(self, n: int) -> dict[str, Any]:
        store = self.store
        i = self.opened[n]
        agent = store.agent[i]
        arrived = store.arrived[i]
        return {
            "ArrivedAt": rfc3339(arrived),
            "CampaignID": self.campaign_ids[store.campaign[i]],
            "ContactID": self.audience.contact_id[store.contact[i]],
            "ID": 9100000000 + n,
            "MessageID": store.id_of(i),
            "OpenedAt": rfc3339(arrived + store.first_open[i]),
            "UserAgentID": vocab.USER_AGENT_BASE_ID + agent,
            "UserAgentFull": vocab.USER_AGENTS[agent][0],
        }

    def click_time(self, i: int, number: int) -> int:
        store = self.store
        return store.arrived[i] + store.first_open[i] + store.click_delay[i] + number * 47

    def clickstatistics(self, n: int) -> dict[str, Any]:
        store = self.store
        i, number = self.click_message[n], self.click_number[n]
        links = self.catalogue.campaigns[store.campaign[i]].links
        return {
            "ClickedAt": rfc3339(self.click_time(i, number)),
            "ClickedDelay": store.click_delay[i] + number * 47,
            "ContactID": self.audience.contact_id[store.contact[i]],
            "ID": 4200000000 + n,
            "MessageID": store.id_of(i),
            "Url": links[store.click_link[i]][1],
            "UserAgentID": vocab.USER_AGENT_BASE_ID + store.agent[i],
        }

    def bouncestatistics(self, n: int) -> dict[str, Any]:
        store = self.store
        i = self.bounced[n]
        status = store.status[i]
        return {
            "BouncedAt": rfc3339(store.arrived[i] + 2),
            "CampaignID": self.campaign_ids[store.campaign[i]],
            "ContactID": self.audience.contact_id[store.contact[i]],
            "ID": 7300000000 + n,
            "IsBlocked": status == BLOCKED,
            "IsStatePermanent": status in (HARDBOUNCED, BLOCKED),
            "StateID": store.state[i],
        }

    def history_of(self, i: int) -> list[dict[str, Any]]:
        """The messagehistory rows of message index ``i``: sent (or bounce), opens, clicks, unsub/spam."""
        store = self.store
        arrived, status = store.arrived[i], store.status[i]
        events: list[tuple[int, str, str, int]] = []
        if status in BOUNCE_CODES:
            events.append((arrived + 2, "bounced", vocab.MESSAGE_STATES[store.state[i] - 1][1], 0))
        elif status == BLOCKED:
            events.append((arrived, "blocked", vocab.MESSAGE_STATES[store.state[i] - 1][1], 0))
        else:
            events.append((arrived, "sent", "", 0))
        agent = vocab.USER_AGENT_BASE_ID + store.agent[i]
        first_open = store.first_open[i]
        for n in range(store.opens[i]):
            events.append((arrived + first_open + n * 5400, "opened", "", agent))
        for n in range(store.clicks[i]):
            events.append((self.click_time(i, n), "clicked", "", agent))
        if status == UNSUB:
            events.append((arrived + first_open + store.click_delay[i] + 20, "unsub", "", agent))
        elif status == SPAM:
            events.append((arrived + 3600, "spam", "", 0))
        events.sort(key=lambda event: event[0])
        return [
            {
                "Comment": "",
                "EventAt": at,
                "EventType": kind,
                "State": state,
                "Useragent": "",
                "UseragentID": agent_id,
            }
            for at, kind, state, agent_id in events
        ]

    def messagehistory(self, n: int) -> dict[str, Any]:
        i = bisect_right(self.history_offsets, n) - 1
        return self.history_of(i)[n - self.history_offsets[i]]

    def resources(self) -> dict[str, Sequence[dict[str, Any]]]:
        n = len(self.store)
        out: dict[str, Sequence[dict[str, Any]]] = {
            "message": LazyRows(n, self.message),
            "messageinformation": LazyRows(n, self.messageinformation),
            "messagesentstatistics": LazyRows(n, self.messagesentstatistics),
            "openinformation": LazyRows(len(self.opened), self.openinformation),
            "clickstatistics": LazyRows(len(self.click_message), self.clickstatistics),
            "bouncestatistics": LazyRows(len(self.bounced), self.bouncestatistics),
            "messagehistory": LazyRows(self.history_offsets[-1], self.messagehistory),
        }
        return out
