"""The deterministic demo account the sandbox serves: ``build_demo_account(seed, scale)``.

A small online coffee roaster (Kestrel Coffee Roasters) with, at scale 1, about 2,000 contacts
on a handful of lists, contact properties, senders, templates, ~20 campaign drafts (most sent),
and 20,000 messages with their opens, clicks, bounces and unsubscriptions; every statistics
resource is computed from those messages so the numbers agree with each other. ``scale``
multiplies contacts and messages; lists and drafts grow slowly (logarithmically).

Data is shaped like the real API's JSON: every row has exactly the fields of its resource in
``reference/resources.json``; unset timestamps and strings are ``""``; timestamps are RFC 3339
UTC (``2026-10-03T09:12:44Z``) except where the reference says Unix epoch integers; reference
properties are ``XxxID`` integers (0 when unset); message ids are above 2^53.

The same ``seed`` and ``scale`` always give the same data: everything is drawn from one
``random.Random(seed)`` in a fixed order, and the "current time" is the fixed :data:`DEMO_NOW`.
A sandbox serving the account starts its clock there: the demo account lives at its own date,
which advances in real time from the moment the sandbox starts (:meth:`Store.clock
<mjquery.sandbox.api.store.Store.clock>`), so its programmed draft stays programmed for two days of
running and what a session writes is stamped just after the account's history.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mjquery.sandbox.account import AggregateQuery
from mjquery.sandbox.demo.campaigns import campaign_rows, plan_campaigns
from mjquery.sandbox.demo.extra import account_resources
from mjquery.sandbox.demo.messages import MessageViews, simulate
from mjquery.sandbox.demo.people import audience_resources, build_audience
from mjquery.sandbox.demo.stats import Statistics

#: The demo account's fixed "current time" (``DemoData.now``): where the sandbox's clock starts.
DEMO_NOW = datetime(2026, 10, 3, 9, 12, 44, tzinfo=UTC)
_ACCOUNT_AGE_DAYS = 3 * 365


@dataclass
class DemoData:
    """The demo account: rows per resource, sub-resource records per parent id, and helpers.

    ``resources`` maps a resource name of ``resources.json`` to its rows. Writable resources are
    plain lists of dicts (the server mutates them); the big message-level resources are lazy
    read-only sequences whose items are fresh dicts. ``sub_resources`` maps
    ``"campaigndraft/detailcontent"``, ``"campaigndraft/schedule"`` and ``"template/detailcontent"``
    to ``{parent id: record}``.
    """

    resources: dict[str, Sequence[dict[str, Any]]]
    sub_resources: dict[str, dict[int, dict[str, Any]]]
    api_key_id: int
    now: datetime
    statistics: Statistics | None = field(default=None, repr=False)
    views: MessageViews | None = field(default=None, repr=False)

    def message_history(self, message_id: int) -> list[dict[str, Any]]:
        """``GET /messagehistory/{message_id}``: the message's events, oldest first ([] if unknown)."""
        assert self.views is not None
        index = self.views.store.index_of(message_id)
        return self.views.history_of(index) if index >= 0 else []

    def link_clicks(self, campaign_id: int) -> list[dict[str, Any]]:
        """``GET /statistics/link-click?CampaignID=``: one row per link of the campaign."""
        assert self.statistics is not None
        return self.statistics.link_clicks(campaign_id)

    def recipient_esp(self, campaign_id: int) -> list[dict[str, Any]]:
        """``GET /statistics/recipient-esp?CampaignID=``: one row per mailbox provider."""
        assert self.statistics is not None
        return self.statistics.recipient_esp(campaign_id)

    def aggregate_rows(self, query: AggregateQuery) -> list[dict[str, Any]]:
        """An aggregate statistics resource summed over the messages ``query`` selects."""
        assert self.statistics is not None
        return self.statistics.aggregate_rows(query)

    def statcounters(
        self,
        source: str,
        resolution: str,
        timing: str,
        source_ids: Sequence[int] = (),
        from_ts: int | None = None,
        to_ts: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /statcounters`` for CounterSource/CounterResolution/CounterTiming (+ SourceID, FromTS, ToTS)."""
        assert self.statistics is not None
        return self.statistics.statcounters(source, resolution, timing, source_ids, from_ts, to_ts)


def build_demo_account(seed: int = 42, scale: float = 1.0) -> DemoData:
    """Build the demo account for ``seed`` at ``scale`` (1.0 = ~2,000 contacts, 20,000 messages)."""
    if not scale > 0:
        raise ValueError("scale must be a positive number")
    rng = random.Random(seed)
    now = calendar.timegm(DEMO_NOW.utctimetuple())
    start = now - _ACCOUNT_AGE_DAYS * 86400
    user_id = 1389000 + rng.randrange(1000)
    api_key_id = 1404000 + rng.randrange(1000)

    audience = build_audience(rng, scale, start, now)
    catalogue = plan_campaigns(rng, audience, user_id, start, now)
    result = simulate(rng, audience, catalogue, scale, now)
    views = MessageViews(result.store, audience, catalogue)
    statistics = Statistics(views, api_key_id, now)

    resources: dict[str, Sequence[dict[str, Any]]] = {}
    resources.update(
        audience_resources(
            audience, rng, result.delivered_count, result.last_activity, result.unsubscribed_by
        )
    )
    resources["sender"] = catalogue.senders
    resources["dns"] = catalogue.dns
    resources["template"] = catalogue.templates
    resources["campaigndraft"] = catalogue.drafts
    resources["contactfilter"] = catalogue.contactfilters
    resources["campaign"] = campaign_rows(
        catalogue,
        [m.id for m in audience.lists],
        statistics.first_message_ids(),
        statistics.send_starts(),
        statistics.send_ends(),
    )
    resources.update(views.resources())
    resources.update(statistics.resources(resources["listrecipient"]))
    resources.update(
        account_resources(rng, audience, catalogue, statistics, user_id, api_key_id, start, now)
    )

    sub_resources = {
        "campaigndraft/detailcontent": catalogue.draft_content,
        "campaigndraft/schedule": catalogue.draft_schedule,
        "template/detailcontent": catalogue.template_content,
    }
    return DemoData(
        resources=resources,
        sub_resources=sub_resources,
        api_key_id=api_key_id,
        now=DEMO_NOW,
        statistics=statistics,
        views=views,
    )
