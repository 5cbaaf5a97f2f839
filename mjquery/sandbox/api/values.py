"""Values of query parameters and rows: parsing them, the 400 for a bad one, and the predicates
that row filters (:mod:`mjquery.sandbox.api.query`, :mod:`mjquery.sandbox.api.semantics`) and the
recomputed statistics (:mod:`mjquery.sandbox.api.aggregates`) share: message statuses, periods of
the account clock, campaign-level filters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mjquery.sandbox.api.store import Row, Store

Predicate = Callable[[Row], bool]


class QueryError(Exception):
    """A request the API refuses with 400; ``message`` is the ErrorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- value parsing -------------------------------------------------------------------------------


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise QueryError(f'Invalid value for filter "{name}": "{value}"')


def parse_ints(name: str, value: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in value.split(",") if part.strip() != "")
    except ValueError:
        raise QueryError(f'Invalid value for filter "{name}": "{value}"') from None


def parse_time(name: str, value: str) -> float:
    text = value.strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        raise QueryError(f'Invalid value for filter "{name}": "{value}"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def row_time(value: Any) -> float | None:
    """A row's timestamp as Unix seconds (RFC 3339 strings or epoch integers; "" = unset)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


# -- message statuses, periods, campaigns -------------------------------------------------------

#: Mailjet's numeric message status codes (the old filtering guide's ``MessageStatus=3,4``) and
#: the names the message resource returns.
MESSAGE_STATUS_CODES = {
    0: "processed",
    1: "queued",
    2: "sent",
    3: "opened",
    4: "clicked",
    5: "bounce",
    6: "spam",
    7: "unsub",
    8: "blocked",
    9: "softbounced",
    10: "hardbounced",
    11: "deferred",
}


def message_status_values(value: str) -> frozenset[str]:
    """``MessageStatus`` values (comma list of names or codes) as lower-case status names."""
    wanted = set()
    for part in value.split(","):
        part = part.strip().lower()
        if part.lstrip("-").isdigit():
            wanted.add(MESSAGE_STATUS_CODES.get(int(part), part))
        elif part:
            wanted.add(part)
    if "bounce" in wanted:
        wanted |= {"softbounced", "hardbounced"}
    return frozenset(wanted)


def period_start(store: Store, name: str, value: str) -> float:
    """Start of the current Day / Week / Month / Year at the account's clock (``Period``)."""
    now: datetime = store.clock()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    period = value.strip().lower()
    if period == "day":
        start = day
    elif period == "week":
        start = day - timedelta(days=day.weekday())
    elif period == "month":
        start = day.replace(day=1)
    elif period == "year":
        start = day.replace(month=1, day=1)
    else:
        raise QueryError(f'Invalid value for filter "{name}": "{value}"')
    return start.timestamp()


def campaign_predicate(low: str, name: str, value: str) -> Predicate | None:
    """A predicate on a campaign row for a campaign-level filter (None: not one of them)."""
    if low == "campaignstatus":
        wanted = parse_ints(name, value)
        return lambda c: c.get("Status") in wanted
    if low == "customcampaign":
        text = value.lower()
        return lambda c: str(c.get("CustomValue", "")).lower() == text
    if low in ("isdeleted", "isstarred"):
        want = parse_bool(name, value)
        field = "IsDeleted" if low == "isdeleted" else "IsStarred"
        return lambda c: bool(c.get(field)) == want
    if low == "isnewslettertool":
        want = parse_bool(name, value)
        return lambda c: bool(c.get("NewsLetterID")) == want
    if low == "fromtype":
        wanted = parse_ints(name, value)
        return lambda c: c.get("CampaignType") in wanted
    if low == "fromdomain":
        domain = value.lower()
        return lambda c: str(c.get("FromEmail", "")).lower().rsplit("@", 1)[-1] == domain
    if low == "from" and not value.strip().isdigit():
        email = value.lower()
        return lambda c: str(c.get("FromEmail", "")).lower() == email
    if low in ("from", "fromid", "sender"):
        wanted = parse_ints(name, value)
        return lambda c: c.get("FromID") in wanted
    if low == "campaignid":
        wanted = parse_ints(name, value)
        return lambda c: c.get("ID") in wanted
    if low in ("contactslist", "contactslistid"):
        wanted = parse_ints(name, value)
        return lambda c: c.get("ListID") in wanted
    if low == "segmentation":
        wanted = parse_ints(name, value)
        return lambda c: c.get("SegmentationID") in wanted
    if low == "subject":
        text = value.lower()
        return lambda c: text in str(c.get("Subject", "")).lower()
    return None
