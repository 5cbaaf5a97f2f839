"""``GET /statcounters``: the counters of one source kind, resolution and timing.

The reference (api-behaviour section 11; ``openapi-mailjet.yaml``) says ``CounterSource``
(Campaign | APIKey | List | Sender), ``CounterResolution`` (Lifetime | Day | Hour | Highest) and
``CounterTiming`` (Message | Event) are all three required; ``SourceID`` picks one source;
``CampaignID`` / ``APIKeyID`` are shortcuts that set ``SourceID`` and ``CounterSource``;
``CounterType`` is a three-letter code equivalent to the three filters (first letter C/A/L/S =
Campaign/APIKey/List/Sender, second E/M = Event/Message, third S/D/H/L, read here as
Highest/Day/Hour/Lifetime); ``FromTS`` (later than) / ``ToTS`` (before or equal) cannot be set
with the Lifetime resolution. Choices where the reference is silent:

- A request missing one of the three is answered 400
  ``Missing mandatory filter(s): CounterSource, CounterResolution, CounterTiming`` (naming the
  missing ones); an unknown value 400 ``Invalid value for filter "CounterSource": "x"``;
  ``FromTS``/``ToTS`` with Lifetime 400 ``FromTS and ToTS cannot be set with CounterResolution Lifetime``.
- ``SourceIDs`` (the 2021 metadata's name) is read like ``SourceID``, as a comma list.
- Rows come from the demo account's counters (:meth:`DemoData.statcounters`); Hour gives day
  rows (the demo keeps no hourly counters) and Highest the lifetime row. A hand-made account
  without those counters serves its ``statcounters`` rows, filtered by ``SourceID`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mjquery.sandbox.api.store import Row
from mjquery.sandbox.api.values import QueryError, parse_ints, parse_time

SOURCES = {"campaign": "Campaign", "apikey": "APIKey", "list": "List", "sender": "Sender"}
RESOLUTIONS = {"lifetime": "Lifetime", "day": "Day", "hour": "Hour", "highest": "Highest"}
TIMINGS = {"message": "Message", "event": "Event"}
_TYPE_LETTERS = (
    {"c": "Campaign", "a": "APIKey", "l": "List", "s": "Sender"},
    {"e": "Event", "m": "Message"},
    {"s": "Highest", "d": "Day", "h": "Hour", "l": "Lifetime"},
)


def _choice(params: dict[str, tuple[str, str]], low: str, allowed: dict[str, str]) -> str | None:
    if low not in params:
        return None
    name, value = params[low]
    chosen = allowed.get(value.strip().lower())
    if chosen is None:
        raise QueryError(f'Invalid value for filter "{name}": "{value}"')
    return chosen


def statcounter_rows(
    data: Any, table_rows: Sequence[Row], params: dict[str, tuple[str, str]]
) -> list[Row]:
    """The statcounters rows a request selects (``params``: lower-case name -> (name, value))."""
    source = _choice(params, "countersource", SOURCES)
    resolution = _choice(params, "counterresolution", RESOLUTIONS)
    timing = _choice(params, "countertiming", TIMINGS)
    if "countertype" in params:
        name, value = params["countertype"]
        code = value.strip().lower()
        if len(code) != 3 or any(
            letter not in table for letter, table in zip(code, _TYPE_LETTERS, strict=True)
        ):
            raise QueryError(f'Invalid value for filter "{name}": "{value}"')
        source = source or _TYPE_LETTERS[0][code[0]]
        timing = timing or _TYPE_LETTERS[1][code[1]]
        resolution = resolution or _TYPE_LETTERS[2][code[2]]
    source_ids: set[int] = set()
    for low in ("sourceid", "sourceids"):
        if low in params:
            name, value = params[low]
            if not all(part.strip().isdigit() for part in value.split(",") if part.strip()):
                return []  # not a list of IDs: no source matches
            source_ids |= parse_ints(name, value)
    for low, kind in (("campaignid", "Campaign"), ("apikeyid", "APIKey")):
        if low in params:
            source = kind
            source_ids = set(parse_ints(*params[low]))
    missing = [
        label
        for label, chosen in (
            ("CounterSource", source),
            ("CounterResolution", resolution),
            ("CounterTiming", timing),
        )
        if chosen is None
    ]
    if missing:
        raise QueryError("Missing mandatory filter(s): " + ", ".join(missing))
    assert source is not None and resolution is not None and timing is not None
    from_ts = int(parse_time(*params["fromts"])) if "fromts" in params else None
    to_ts = int(parse_time(*params["tots"])) if "tots" in params else None
    if resolution == "Lifetime" and (from_ts is not None or to_ts is not None):
        raise QueryError("FromTS and ToTS cannot be set with CounterResolution Lifetime")
    produce = getattr(data, "statcounters", None)
    if produce is None:
        return [row for row in table_rows if not source_ids or row.get("SourceID") in source_ids]
    rows: list[Row] = produce(source, resolution, timing, sorted(source_ids), from_ts, to_ts)
    return rows
