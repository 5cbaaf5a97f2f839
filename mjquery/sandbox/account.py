"""What the sandbox's API needs from the account it serves, and the demo account provides.

An account is any object with ``resources`` (rows per resource name of ``reference/resources.json``),
``sub_resources`` (``{"campaigndraft/detailcontent": {parent id: record}, ...}``), ``api_key_id``
and optionally ``now`` (its own date; see :meth:`mjquery.sandbox.api.store.Store.clock`). An account
with message-level data may also answer, and the API then uses them:

- ``message_history(message_id)``: the events of ``GET /messagehistory/{id}``;
- ``link_clicks(campaign_id)`` / ``recipient_esp(campaign_id)``: ``/statistics/link-click`` and
  ``/statistics/recipient-esp`` rows;
- ``aggregate_rows(query)``: an aggregate statistics resource summed over the messages an
  :class:`AggregateQuery` selects (:mod:`mjquery.sandbox.api.aggregates`);
- ``statcounters(source, resolution, timing, source_ids, from_ts, to_ts)``: ``/statcounters`` rows.

The demo account (:func:`mjquery.sandbox.demo.build_demo_account`) provides them all; a hand-made
test account usually provides none, and the API then serves its stored rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Account(Protocol):
    """The data a sandbox serves (the optional capabilities are looked up by name)."""

    resources: dict[str, Sequence[dict[str, Any]]]
    sub_resources: dict[str, dict[int, dict[str, Any]]]
    api_key_id: int


@dataclass(frozen=True)
class AggregateQuery:
    """Which messages an aggregate is summed over, and how; ``None`` = no restriction.

    Every part is normalised (ids, lower-case status names), so two requests that select the
    same messages share one cache entry.
    """

    resource: str
    campaign_ids: frozenset[int] | None = None
    campaigns_sent_to: frozenset[int] | None = None  # contact ids: campaigns that sent to them
    contact_ids: frozenset[int] | None = None
    message_ids: frozenset[int] | None = None
    statuses: frozenset[str] | None = None
    event: str = "open"
    actual_clicks: bool = False
