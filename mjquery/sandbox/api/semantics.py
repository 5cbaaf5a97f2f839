"""Filters whose meaning comes from another resource: the campaign or message a row belongs to,
the contact or list recipient behind a statistics row, counters, ``Min``/``Max`` bounds, periods.

:func:`derived_filter` is consulted by :func:`mjquery.sandbox.api.query.compile_filter` after the
plain rules; it returns ``None`` for a filter it does not know. Everything is read from the live
tables (through :meth:`Store.derived` indexes, rebuilt when a table changes), so a write is
visible to the filters at once. The meanings are the reference's own descriptions
(``openapi-mailjet.yaml``); where they need a reading, the table in :mod:`mjquery.sandbox.api.query`
says which.

:data:`JUSTIFIED_INERT` lists the filters that stay without effect, each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mjquery.sandbox.api.aggregates import AGGREGATE_RESOURCES
from mjquery.sandbox.api.reference import ResourceSpec, load_reference
from mjquery.sandbox.api.store import Row, Store

Predicate = Callable[[Row], bool]
Lookup = Callable[[Row], "Row | None"]

#: (resource or "*", filter, lower case) -> why the filter has no effect in the sandbox.
JUSTIFIED_INERT: dict[tuple[str, str], str] = {
    (
        "*",
        "showsubject",
    ): "display flag (message): decides which properties are returned, not which rows",
    (
        "*",
        "showcontactalt",
    ): "display flag (message): decides which properties are returned, not which rows",
    (
        "*",
        "showcustomid",
    ): "display flag (message): decides which properties are returned, not which rows",
    ("*", "showextradata"): "display flag: fills extra properties, does not select rows",
    ("*", "datefmt"): "display option",
    ("*", "dateformat"): "display option: format of returned dates",
    ("*", "timezone"): "display option: time zone of returned dates",
    ("*", "fields"): "display option (contactdata): which properties are returned in Data",
    ("*", "calcactive"): "display flag (liststatistics): whether ActiveCount is computed",
    (
        "*",
        "calcactiveunsub",
    ): "display flag (liststatistics): whether ActiveUnsubscribedCount is computed",
    (
        "*",
        "calcactiveexcludedsubscriber",
    ): "display flag (liststatistics): whether a count is computed",
    ("*", "calcexcludedsubscriber"): "display flag (liststatistics): whether a count is computed",
    (
        "*",
        "processtotalclickscount",
    ): "display flag (messagestatistics): whether a count is computed",
    (
        "*",
        "processtotalopenscount",
    ): "display flag (messagestatistics): whether a count is computed",
    ("*", "processemailautomationrelations"): "no description in the reference",
    ("*", "rawdata"): "display flag (messagesentstatistics): returns fewer properties",
    (
        "*",
        "allmessages",
    ): "the sandbox always returns every message (the reference: 'normally only the first of each campaign')",
    ("*", "refttimestampoldformat"): "display option",
    ("*", "reftimestampoldformat"): "display option: format of RefTimestamp",
    ("*", "scale"): "aggregation option (graphstatistics): the sandbox serves day rows only",
    (
        "*",
        "timeshift",
    ): "aggregation option (graphstatistics): 'Time shift for the interval', no unit or effect given",
    (
        "graphstatistics",
        "reftimestampoldformat",
    ): "display option: 'Enforce previous RefTimeStamp format', which the reference does not show",
    ("*", "range"): "aggregation option (24h/7d); the sandbox serves one aggregation",
    ("*", "groupax"): "aggregation option (campaignstatistics): groups rows by A/X test",
    ("*", "throttlecheck"): "no description in the reference",
    ("*", "identityid"): "no description in the reference and no property holds an identity",
    ("*", "planSubscription".lower()): "no property of a message holds a plan subscription",
    (
        "*",
        "bouncereason",
    ): "no description in the reference and message rows carry no bounce reason",
    ("*", "iscampaigntemplate"): "no description in the reference",
    ("*", "showallapikeys"): "master-key display flag: one API key is served",
    ("*", "showallusers"): "display flag: one user is served",
    ("*", "showall"): "display flag without a description",
    ("*", "showdeleted"): "display flag: the sandbox always shows deleted items",
    ("*", "publicresources"): "metadata display option without a description",
    ("*", "readonlyresources"): "metadata display option without a description",
    ("*", "resourcename"): "no description; metadata rows are addressed by Name",
    (
        "*",
        "categoriesselectionmethod",
    ): "modifier of a Categories filter the sandbox does not receive",
    ("*", "purposesselectionmethod"): "modifier of a Purposes filter the sandbox does not receive",
    ("*", "confirmkey"): "no apikey property holds a confirmation key",
    ("*", "customstatus"): "no apikey property holds a custom status",
    ("*", "keytype"): "no apikey property holds a key type",
    ("*", "realuserid"): "apikeyaccessgrantor rows carry no user id",
    ("*", "subaccountid"): "apikeyaccessgrantor rows carry no sub-account id",
    ("*", "newemail"): "user rows carry no pending new email",
    ("*", "isactivated"): "user rows carry no activation flag",
    ("*", "istplpublic"): "no property",
    ("*", "ispublic"): "newslettertemplate rows carry no public flag",
    ("*", "messagetemplate"): "no description and no widget property",
    ("*", "isyahoofbl"): "dns rows carry no Yahoo FBL flag",
    ("*", "issenderidentified"): "dns rows carry no sender-identified flag",
    (
        "*",
        "segmentation",
    ): "campaign statistics rows carry no segment; kept for campaignstatistics only",
    ("contact", "status"): "the reference lists no contact status values",
    ("contactslistsignup", "apikey"): "signup rows carry no API key id (one API key is served)",
    ("widget", "isstarred"): "widget rows carry no starred flag",
    ("widget", "apikey"): "widget rows carry no API key id (one API key is served)",
    ("apikeyaccess", "email"): "apikeyaccess rows carry no email",
    ("apikeyaccess", "token"): "apikeyaccess rows carry no token",
    ("metasender", "dns"): "metasender rows carry no DNS id",
    ("metasender", "user"): "metasender rows carry no user id",
    ("contactdata", "status"): "the reference lists no contact status values",
    ("listrecipient", "status"): "the reference lists no list-recipient status values",
}

#: Aggregate statistics: one row per domain / country / day / link / user agent / account, summed
#: over messages. Their message-selecting filters are answered by recomputing the rows
#: (:mod:`mjquery.sandbox.api.aggregates`), never as row predicates.
AGGREGATES = AGGREGATE_RESOURCES

#: Boolean counter filters of the statistics resources: ``Open=true`` = ``OpenedCount > 0``.
COUNTER_FILTERS = {
    "blocked": "BlockedCount",
    "bounced": "BouncedCount",
    "click": "ClickedCount",
    "open": "OpenedCount",
    "spam": "SpamComplaintCount",
    "unsubscribed": "UnsubscribedCount",
    "queued": "QueuedCount",
    "sent": "DeliveredCount",
    "softbounced": "SoftBouncedCount",
    "hardbounced": "HardBouncedCount",
    "deferred": "DeferredCount",
}

#: campaigngraphstatistics' counter switches.
GRAPH_COUNTERS = {
    "click": "Clickcount",
    "open": "Opencount",
    "spam": "Spamcount",
    "unsub": "Unsubcount",
}

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

#: Event-time windows: filter prefix -> the row's timestamp field, per resource.
EVENT_WINDOWS = {
    ("bouncestatistics", "event"): "BouncedAt",
    ("clickstatistics", "event"): "ClickedAt",
    ("openinformation", "event"): "OpenedAt",
    ("messagesentstatistics", "bounceevent"): "BounceDate",
    ("messagesentstatistics", "spamevent"): "ComplaintDate",
}

#: Filters answered from the campaign a row belongs to.
CAMPAIGN_FILTERS = frozenset(
    {
        "campaignstatus",
        "customcampaign",
        "isdeleted",
        "isstarred",
        "isnewslettertool",
        "fromtype",
        "fromdomain",
        "from",
        "fromid",
        "campaignid",
        "contactslist",
        "contactslistid",
        "sender",
        "subject",
        "segmentation",
    }
)


def _parse_bool(name: str, value: str) -> bool:
    from mjquery.sandbox.api.query import parse_bool

    return parse_bool(name, value)


def _ints(name: str, value: str) -> frozenset[int]:
    from mjquery.sandbox.api.query import parse_ints

    return parse_ints(name, value)


def _time(name: str, value: str) -> float:
    from mjquery.sandbox.api.query import parse_time

    return parse_time(name, value)


def _row_time(value: Any) -> float | None:
    from mjquery.sandbox.api.query import row_time

    return row_time(value)


def is_justified_inert(resource: str, name: str) -> str | None:
    """Why ``name`` has no effect on ``resource``, or None when it should have one."""
    low = name.lower()
    return JUSTIFIED_INERT.get((resource, low)) or JUSTIFIED_INERT.get(("*", low))


# -- indexes over the live tables ----------------------------------------------------------------


def _index(store: Store, table: str, field: str) -> dict[Any, Row]:
    def build() -> dict[Any, Row]:
        return {row.get(field): row for row in store.table(table).rows}

    return store.derived(f"index:{table}:{field}", (table,), build)


def campaign_lookup(spec: ResourceSpec, store: Store) -> Lookup | None:
    """How to find the campaign row of a row of ``spec``."""
    name = spec.name.lower()
    fields = spec.field_names
    if name == "campaign":
        return lambda row: row
    if name in ("campaigngraphstatistics", "campaignoverview"):
        campaigns = store.table("campaign").by_id()
        return lambda row: campaigns.get(row.get("ID"))
    if "CampaignID" in fields:
        campaigns = store.table("campaign").by_id()
        return lambda row: campaigns.get(row.get("CampaignID"))
    if "MessageID" in fields:
        messages = store.table("message").by_id()
        campaigns = store.table("campaign").by_id()
        return lambda row: campaigns.get(
            (messages.get(row.get("MessageID")) or {}).get("CampaignID")
        )
    return None


def message_status_lookup(spec: ResourceSpec, store: Store) -> Callable[[Row], str] | None:
    """How to find the message status (``sent``, ``opened``...) of a row of ``spec``."""
    name = spec.name.lower()
    fields = spec.field_names
    if name in ("message", "messagesentstatistics"):
        return lambda row: str(row.get("Status", ""))
    if "MessageID" in fields or name == "messageinformation":
        key = "MessageID" if "MessageID" in fields else "ID"
        messages = store.table("message").by_id()
        return lambda row: str((messages.get(row.get(key)) or {}).get("Status", ""))
    if "CampaignID" in fields and "ContactID" in fields:

        def build() -> dict[tuple[Any, Any], str]:
            return {
                (m.get("CampaignID"), m.get("ContactID")): str(m.get("Status", ""))
                for m in store.table("message").rows
            }

        pairs = store.derived("message-status-by-campaign-contact", ("message",), build)
        return lambda row: pairs.get((row.get("CampaignID"), row.get("ContactID")), "")
    return None


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
        from mjquery.sandbox.api.query import QueryError

        raise QueryError(f'Invalid value for filter "{name}": "{value}"')
    return start.timestamp()


# -- the filters ---------------------------------------------------------------------------------


def _on_campaign(low: str, name: str, value: str) -> Predicate | None:
    """A predicate on a campaign row for a campaign-level filter."""
    if low == "campaignstatus":
        wanted = _ints(name, value)
        return lambda c: c.get("Status") in wanted
    if low == "customcampaign":
        text = value.lower()
        return lambda c: str(c.get("CustomValue", "")).lower() == text
    if low in ("isdeleted", "isstarred"):
        want = _parse_bool(name, value)
        field = "IsDeleted" if low == "isdeleted" else "IsStarred"
        return lambda c: bool(c.get(field)) == want
    if low == "isnewslettertool":
        want = _parse_bool(name, value)
        return lambda c: bool(c.get("NewsLetterID")) == want
    if low == "fromtype":
        wanted = _ints(name, value)
        return lambda c: c.get("CampaignType") in wanted
    if low == "fromdomain":
        domain = value.lower()
        return lambda c: str(c.get("FromEmail", "")).lower().rsplit("@", 1)[-1] == domain
    if low == "from" and not value.strip().isdigit():
        email = value.lower()
        return lambda c: str(c.get("FromEmail", "")).lower() == email
    if low in ("from", "fromid", "sender"):
        wanted = _ints(name, value)
        return lambda c: c.get("FromID") in wanted
    if low == "campaignid":
        wanted = _ints(name, value)
        return lambda c: c.get("ID") in wanted
    if low in ("contactslist", "contactslistid"):
        wanted = _ints(name, value)
        return lambda c: c.get("ListID") in wanted
    if low == "segmentation":
        wanted = _ints(name, value)
        return lambda c: c.get("SegmentationID") in wanted
    if low == "subject":
        text = value.lower()
        return lambda c: text in str(c.get("Subject", "")).lower()
    return None


def _through(lookup: Lookup, predicate: Predicate) -> Predicate:
    def check(row: Row) -> bool:
        target = lookup(row)
        return target is not None and predicate(target)

    return check


def _min_max(spec: ResourceSpec, name: str, value: str) -> Predicate | None:
    """``Min<Field>`` (>=) and ``Max<Field>`` (strictly <) on a timestamp or number property."""
    low = name.lower()
    if not (low.startswith("min") or low.startswith("max")):
        return None
    field = spec.fields_by_lower.get(low[3:])
    if field is None:
        return None
    bound = _time(name, value)
    key = field.name
    if low.startswith("min"):
        return lambda row: (t := _row_time(row.get(key))) is not None and t >= bound
    return lambda row: (t := _row_time(row.get(key))) is not None and t < bound


def _delegate(store: Store, target: str, lookup: Lookup, name: str, value: str) -> Predicate | None:
    """Compile ``name`` on the ``target`` resource and check it on each row's target row."""
    from mjquery.sandbox.api.query import compile_filter

    predicate = compile_filter(load_reference()[target], store, name, value)
    return _through(lookup, predicate) if predicate is not None else None


def derived_filter(spec: ResourceSpec, store: Store, name: str, value: str) -> Predicate | None:
    """The predicate of a cross-resource, counter or bound filter, or None when not one of them."""
    resource = spec.name.lower()
    low = name.lower()
    fields = spec.fields_by_lower
    if resource == "useragentstatistics" and low == "excludeplatform":
        excluded = value.strip().lower()
        return lambda row: str(row.get("Platform", "")).lower() != excluded
    if resource in AGGREGATES or is_justified_inert(resource, name) is not None:
        return None  # aggregates: their message filters are recomputations, see mjquery.sandbox.api.aggregates

    # Status switches of drafts and campaign overviews.
    if resource in ("campaigndraft", "newsletter"):
        if low == "isarchived":
            want = _parse_bool(name, value)
            return lambda row: (row.get("Status") == -1) == want
        if low == "isdeleted":
            want = _parse_bool(name, value)
            return lambda row: (row.get("Status") == -2) == want
        if low == "iscampaign":
            want = _parse_bool(name, value)
            return lambda row: bool(row.get("CampaignID")) == want
        if low == "modified":
            want = _parse_bool(name, value)
            return lambda row: (
                (str(row.get("ModifiedAt") or "") not in ("", str(row.get("CreatedAt") or "")))
                == want
            )
        if low == "newslettertemplate":
            wanted = _ints(name, value)
            return lambda row: row.get("TemplateID") in wanted
        if low == "ishandled" and "ishandled" not in fields:
            want = _parse_bool(name, value)
            return lambda row: bool(row.get("Status") == 2 or row.get("Used")) == want
    if resource == "campaignoverview":
        states = {"all": None, "archived": (-1,), "drafts": (0,), "programmed": (1,), "sent": (2,)}
        if low in states:
            want = _parse_bool(name, value)
            if low == "all":
                return lambda row: (row.get("Status") != -2) == want
            statuses = states[low]
            return lambda row: (row.get("Status") in statuses) == want  # type: ignore[operator]

    # Counters: Open=true -> OpenedCount > 0.
    if low in COUNTER_FILTERS and COUNTER_FILTERS[low].lower() in fields:
        want = _parse_bool(name, value)
        counter = fields[COUNTER_FILTERS[low].lower()].name
        return lambda row: ((row.get(counter) or 0) > 0) == want
    if resource == "campaigngraphstatistics":
        if low in GRAPH_COUNTERS:
            want = _parse_bool(name, value)
            counter = GRAPH_COUNTERS[low]
            return lambda row: ((row.get(counter) or 0) > 0) == want
        if low == "ids":
            if not all(p.strip().isdigit() for p in value.split(",") if p.strip()):
                return lambda row: False  # not a list of IDs: nothing matches
            wanted_ids = _ints(name, value)
            return lambda row: row.get("ID") in wanted_ids

    bound = _min_max(spec, name, value)
    if bound is not None:
        return bound

    # Event windows: EventFromTs / EventToTs (inclusive "minimum" / "maximum" values).
    for (res, prefix), field in EVENT_WINDOWS.items():
        if res == resource and low in (prefix + "fromts", prefix + "tots"):
            moment = _time(name, value)
            if low.endswith("fromts"):
                return lambda row: (t := _row_time(row.get(field))) is not None and t >= moment
            return lambda row: (t := _row_time(row.get(field))) is not None and t <= moment

    if low == "period":
        from mjquery.sandbox.api.query import _time_field

        time_field = _time_field(spec)
        if time_field is None:
            return None
        start = period_start(store, name, value)
        return lambda row: (t := _row_time(row.get(time_field))) is not None and t >= start

    if low == "messagestatus":
        status_of = message_status_lookup(spec, store)
        if status_of is not None:
            wanted_status = message_status_values(value)
            return lambda row: status_of(row).lower() in wanted_status

    if low == "customid" and resource == "messagesentstatistics":
        messages = store.table("message").by_id()
        text = value.lower()
        return lambda row: (
            str((messages.get(row.get("MessageID")) or {}).get("CustomID", "")).lower() == text
        )

    if low in CAMPAIGN_FILTERS:
        campaign_of = campaign_lookup(spec, store)
        on_campaign = _on_campaign(low, name, value)
        if campaign_of is not None and on_campaign is not None:
            return _through(campaign_of, on_campaign)

    # Statistics rows answered through the row they describe.
    if resource == "listrecipientstatistics":
        recipients = _index(store, "listrecipient", "ID")
        return _delegate(
            store,
            "listrecipient",
            lambda row: recipients.get(row.get("ListRecipientID")),
            name,
            value,
        )
    if resource in ("contactdata", "contactstatistics"):
        contacts = store.table("contact").by_id()
        if low == "includeanonymized":
            if _parse_bool(name, value):
                return lambda row: True
            hidden = frozenset(store.anonymized)
            return lambda row: row.get("ContactID") not in hidden
        return _delegate(
            store, "contact", lambda row: contacts.get(row.get("ContactID")), name, value
        )
    if resource == "listrecipient":
        if low in ("blocked", "opened"):
            stats = _index(store, "contactstatistics", "ContactID")
            want = _parse_bool(name, value)
            counter = "BlockedCount" if low == "blocked" else "OpenedCount"
            return lambda row: (
                (((stats.get(row.get("ContactID")) or {}).get(counter) or 0) > 0) == want
            )
        if low == "lastactivityat":
            stats = _index(store, "listrecipientstatistics", "ListRecipientID")
            moment = _time(name, value)
            return lambda row: (
                _row_time((stats.get(row.get("ID")) or {}).get("LastActivityAt")) == moment
            )
    if resource == "senderstatistics" and low in ("domain", "email"):
        senders = store.table("sender").by_id()
        text = value.lower()
        part = 1 if low == "domain" else 0
        return lambda row: (
            str((senders.get(row.get("SenderID")) or {}).get("Email", ""))
            .lower()
            .partition("@")[::2][part]
            == text
        )
    if resource in ("sender", "contactslistsignup", "metasender") and low in (
        "domain",
        "localpart",
    ):
        text = value.lower()
        part = 1 if low == "domain" else 0
        return lambda row: str(row.get("Email", "")).lower().partition("@")[::2][part] == text
    if resource == "sender" and low == "isdomainsender":
        want = _parse_bool(name, value)
        return lambda row: str(row.get("Email", "")).startswith("*@") == want
    if resource == "eventcallbackurl" and low == "backup":
        want = _parse_bool(name, value)
        return lambda row: bool(row.get("IsBackup")) == want
    if resource == "axtesting":
        if low == "contactslist":
            wanted = _ints(name, value)
            return lambda row: row.get("ContactListID") in wanted
        if low in ("isdeleted", "isstarred"):
            want = _parse_bool(name, value)
            field = "Deleted" if low == "isdeleted" else "Starred"
            return lambda row: bool(row.get(field)) == want
    if resource in ("template", "preset") and low in ("apikey", "user"):
        wanted = _ints(name, value)
        owner = "OwnerId" if "OwnerId" in spec.field_names else "OwnerID"
        kind = "apikey" if low == "apikey" else "user"
        return lambda row: (
            str(row.get("OwnerType", "")).lower() == kind and row.get(owner) in wanted
        )
    if resource == "widget":
        if low == "sender":
            wanted = _ints(name, value)
            return lambda row: row.get("FromID") in wanted
        if low in ("active", "status"):
            text = value.strip().lower()
            if low == "status" and text in ("active", "inactive"):
                text = "true" if text == "active" else "false"
            elif low == "status" and text not in ("true", "false", "1", "0"):
                return lambda row: False  # an unknown status matches no widget
            want = _parse_bool(name, text)
            return lambda row: bool(row.get("IsActive")) == want
    if resource == "apppreferences" and low.startswith("key"):
        from mjquery.sandbox.api.query import _generic

        return _generic(spec, "PrefKey" + name[3:], value)  # rows carry the key as PrefKey
    if resource == "liststatistics" and low in ("contactslistid", "excludeid"):
        wanted = _ints(name, value)
        keep = low == "contactslistid"
        return lambda row: (row.get("ID") in wanted) == keep
    if resource == "newslettertemplate" and low == "newslettertemplatecategory":
        wanted = _ints(name, value)
        return lambda row: row.get("CategoryID") in wanted
    if resource == "workflow" and low == "isactive":
        want = _parse_bool(name, value)
        return lambda row: (str(row.get("Status", "")).lower() == "active") == want
    if resource == "apitoken" and low == "isapikeyactive":
        keys = store.table("apikey").by_id()
        want = _parse_bool(name, value)
        return lambda row: bool((keys.get(row.get("APIKeyID")) or {}).get("IsActive")) == want
    if resource == "contacthistorydata" and low == "last" and _parse_bool(name, value):

        def build() -> frozenset[int]:
            latest: dict[tuple[Any, Any], Row] = {}
            for row in store.table("contacthistorydata").rows:
                key = (row.get("ContactID"), str(row.get("Name", "")).lower())
                if key not in latest or str(row.get("CreatedAt", "")) >= str(
                    latest[key].get("CreatedAt", "")
                ):
                    latest[key] = row
            return frozenset(id(row) for row in latest.values())

        last_rows = store.derived("contacthistorydata-last", ("contacthistorydata",), build)
        return lambda row: id(row) in last_rows
    return None
