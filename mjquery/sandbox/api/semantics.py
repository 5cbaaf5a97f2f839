"""Filters whose meaning comes from another resource: the campaign or message a row belongs to,
the contact or list recipient behind a statistics row, counters, ``Min``/``Max`` bounds, periods.

:func:`derived_filter` is consulted by :func:`mjquery.sandbox.api.query.compile_filter` after the
plain rules; it returns ``None`` for a filter it does not know. Each meaning is one rule of
:data:`DERIVED_FILTERS`: the resources and filter names it answers and a factory that builds the
row predicate from the request (:class:`FilterRequest`); the first rule that matches decides. A
rule that answers through another resource's filter compiles it with the compiler it is given,
so this module needs nothing from :mod:`mjquery.sandbox.api.query`. Everything is read from the live
tables (through :meth:`Store.derived` indexes, rebuilt when a table changes), so a write is
visible to the filters at once. The meanings are the reference's own descriptions
(``openapi-mailjet.yaml``); where they need a reading, the table in :mod:`mjquery.sandbox.api.query`
says which.

:data:`JUSTIFIED_INERT` lists the filters that stay without effect, each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mjquery.sandbox.api.aggregates import AGGREGATE_RESOURCES
from mjquery.sandbox.api.reference import FieldSpec, ResourceSpec, load_reference
from mjquery.sandbox.api.store import Row, Store
from mjquery.sandbox.api.values import (
    Predicate,
    campaign_predicate,
    message_status_values,
    parse_bool,
    parse_ints,
    parse_time,
    period_start,
    row_time,
)

Lookup = Callable[[Row], "Row | None"]
#: How a filter is compiled on a resource (:func:`mjquery.sandbox.api.query.compile_filter`),
#: given to the derived filters that answer through another resource's filter.
FilterCompiler = Callable[[ResourceSpec, Store, str, str], "Predicate | None"]

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


def is_justified_inert(resource: str, name: str) -> str | None:
    """Why ``name`` has no effect on ``resource``, or None when it should have one."""
    low = name.lower()
    return JUSTIFIED_INERT.get((resource, low)) or JUSTIFIED_INERT.get(("*", low))


#: Resources whose FromTS/ToTS window is documented on another property than the creation time.
TIME_WINDOW_FIELDS = {
    # "Only retrieve campaigns with SendStartAt after this timestamp" (openapi-mailjet.yaml)
    "campaign": "SendStartAt",
}


def time_field(spec: ResourceSpec) -> str | None:
    """The timestamp property ``FromTS``/``ToTS``/``Period`` bound on a resource (None: none)."""
    documented = TIME_WINDOW_FIELDS.get(spec.name.lower())
    if documented is not None and documented in spec.field_names:
        return documented
    if spec.created_field and spec.created_field in spec.field_names:
        return spec.created_field
    for fld in spec.fields:
        if fld.type == "datetime":
            return fld.name
    for fld in spec.fields:
        if fld.name.lower() in ("timeslice", "reftimestamp", "eventat"):
            return fld.name
    return None


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


# -- the filters ---------------------------------------------------------------------------------


def _through(lookup: Lookup, predicate: Predicate) -> Predicate:
    def check(row: Row) -> bool:
        target = lookup(row)
        return target is not None and predicate(target)

    return check


# -- the derived filters: one factory per (resources, filters) --------------------------------------


@dataclass(frozen=True)
class FilterRequest:
    """One filter of one list request, as the factories below see it."""

    spec: ResourceSpec
    store: Store
    name: str  # as sent
    value: str
    compile_filter: FilterCompiler

    @property
    def resource(self) -> str:
        return self.spec.name.lower()

    @property
    def low(self) -> str:
        return self.name.lower()

    @property
    def fields(self) -> dict[str, FieldSpec]:
        return self.spec.fields_by_lower

    def flag(self, value: str | None = None) -> bool:
        """The value as a boolean filter (400 when it is not one)."""
        return parse_bool(self.name, self.value if value is None else value)

    def ids(self) -> frozenset[int]:
        """The value as a comma list of integers (400 when it is not one)."""
        return parse_ints(self.name, self.value)

    def moment(self) -> float:
        """The value as a time (Unix seconds or RFC 3339; 400 otherwise)."""
        return parse_time(self.name, self.value)


Factory = Callable[[FilterRequest], "Predicate | None"]


@dataclass(frozen=True)
class DerivedFilter:
    """A rule: the filters (lower-case names) it answers on some resources, and its factory.

    ``resources``/``filters`` of ``None`` match any; ``applies`` narrows further. The first rule
    that matches a request decides: its factory's predicate, or ``None`` = the filter has no effect.
    """

    factory: Factory
    resources: frozenset[str] | None = None
    filters: frozenset[str] | None = None
    applies: Callable[[FilterRequest], bool] | None = None

    def matches(self, request: FilterRequest) -> bool:
        return (
            (self.resources is None or request.resource in self.resources)
            and (self.filters is None or request.low in self.filters)
            and (self.applies is None or self.applies(request))
        )


def _rule(
    factory: Factory,
    resources: str | tuple[str, ...] | None = None,
    filters: str | tuple[str, ...] | None = None,
    applies: Callable[[FilterRequest], bool] | None = None,
) -> DerivedFilter:
    def names(given: str | tuple[str, ...] | None) -> frozenset[str] | None:
        if given is None:
            return None
        return frozenset((given,) if isinstance(given, str) else given)

    return DerivedFilter(factory, names(resources), names(filters), applies)


def _field_flag(field: str) -> Factory:
    """``Filter=true`` = the row's ``field`` is truthy."""

    def build(req: FilterRequest) -> Predicate:
        want = req.flag()
        return lambda row: bool(row.get(field)) == want

    return build


def _field_in(field: str) -> Factory:
    """``Filter=1,2`` = the row's ``field`` is one of the ids."""

    def build(req: FilterRequest) -> Predicate:
        wanted = req.ids()
        return lambda row: row.get(field) in wanted

    return build


def _positive(counter: str, want: bool) -> Predicate:
    return lambda row: ((row.get(counter) or 0) > 0) == want


def _status_flag(status: int) -> Factory:
    """Draft switches: ``IsArchived=true`` = Status -1, ``IsDeleted=true`` = Status -2."""

    def build(req: FilterRequest) -> Predicate:
        want = req.flag()
        return lambda row: (row.get("Status") == status) == want

    return build


def _draft_modified(req: FilterRequest) -> Predicate:
    want = req.flag()
    return lambda row: (
        (str(row.get("ModifiedAt") or "") not in ("", str(row.get("CreatedAt") or ""))) == want
    )


def _draft_handled(req: FilterRequest) -> Predicate:
    want = req.flag()
    return lambda row: bool(row.get("Status") == 2 or row.get("Used")) == want


#: campaignoverview switches: the Status values each selects (``All``: any but deleted).
_OVERVIEW_STATES: dict[str, tuple[int, ...]] = {
    "archived": (-1,),
    "drafts": (0,),
    "programmed": (1,),
    "sent": (2,),
}


def _overview_state(req: FilterRequest) -> Predicate:
    want = req.flag()
    if req.low == "all":
        return lambda row: (row.get("Status") != -2) == want
    statuses = _OVERVIEW_STATES[req.low]
    return lambda row: (row.get("Status") in statuses) == want


def _has_counter(req: FilterRequest) -> bool:
    return req.low in COUNTER_FILTERS and COUNTER_FILTERS[req.low].lower() in req.fields


def _counter(req: FilterRequest) -> Predicate:
    """Counters: ``Open=true`` = ``OpenedCount > 0``."""
    return _positive(req.fields[COUNTER_FILTERS[req.low].lower()].name, req.flag())


def _graph_counter(req: FilterRequest) -> Predicate:
    return _positive(GRAPH_COUNTERS[req.low], req.flag())


def _graph_ids(req: FilterRequest) -> Predicate:
    if not all(p.strip().isdigit() for p in req.value.split(",") if p.strip()):
        return lambda row: False  # not a list of IDs: nothing matches
    wanted = req.ids()
    return lambda row: row.get("ID") in wanted


def _bound_field(req: FilterRequest) -> str | None:
    """The property a ``Min<F>``/``Max<F>`` filter bounds, if the resource has it."""
    if not (req.low.startswith("min") or req.low.startswith("max")):
        return None
    field = req.fields.get(req.low[3:])
    return field.name if field is not None else None


def _min_max(req: FilterRequest) -> Predicate | None:
    """``Min<Field>`` (>=) and ``Max<Field>`` (strictly <) on a timestamp or number property."""
    key = _bound_field(req)
    if key is None:
        return None
    bound = req.moment()
    if req.low.startswith("min"):
        return lambda row: (t := row_time(row.get(key))) is not None and t >= bound
    return lambda row: (t := row_time(row.get(key))) is not None and t < bound


def _event_window_field(req: FilterRequest) -> str | None:
    for (resource, prefix), field in EVENT_WINDOWS.items():
        if resource == req.resource and req.low in (prefix + "fromts", prefix + "tots"):
            return field
    return None


def _event_window(req: FilterRequest) -> Predicate | None:
    """``EventFromTs`` / ``EventToTs``: inclusive bounds on the event's time."""
    field = _event_window_field(req)
    if field is None:
        return None
    moment = req.moment()
    if req.low.endswith("fromts"):
        return lambda row: (t := row_time(row.get(field))) is not None and t >= moment
    return lambda row: (t := row_time(row.get(field))) is not None and t <= moment


def _period(req: FilterRequest) -> Predicate | None:
    moment_field = time_field(req.spec)
    if moment_field is None:
        return None
    start = period_start(req.store, req.name, req.value)
    return lambda row: (t := row_time(row.get(moment_field))) is not None and t >= start


def _message_status(req: FilterRequest) -> Predicate:
    status_of = message_status_lookup(req.spec, req.store)
    assert status_of is not None
    wanted = message_status_values(req.value)
    return lambda row: status_of(row).lower() in wanted


def _sent_custom_id(req: FilterRequest) -> Predicate:
    messages = req.store.table("message").by_id()
    text = req.value.lower()
    return lambda row: (
        str((messages.get(row.get("MessageID")) or {}).get("CustomID", "")).lower() == text
    )


def _on_campaign_of_row(req: FilterRequest) -> bool:
    return (
        campaign_lookup(req.spec, req.store) is not None
        and campaign_predicate(req.low, req.name, req.value) is not None
    )


def _campaign_filter(req: FilterRequest) -> Predicate:
    campaign_of = campaign_lookup(req.spec, req.store)
    on_campaign = campaign_predicate(req.low, req.name, req.value)
    assert campaign_of is not None and on_campaign is not None
    return _through(campaign_of, on_campaign)


def _delegate(target: str, table: str, key: str, row_key: str) -> Factory:
    """Compile the filter on the ``target`` resource and check it on each row's target row (the
    ``table`` row whose ``key`` is the row's ``row_key``)."""

    def build(req: FilterRequest) -> Predicate | None:
        index = _index(req.store, table, key)
        predicate = req.compile_filter(load_reference()[target], req.store, req.name, req.value)
        if predicate is None:
            return None
        return _through(lambda row: index.get(row.get(row_key)), predicate)

    return build


def _include_anonymized(req: FilterRequest) -> Predicate:
    if req.flag():
        return lambda row: True
    hidden = frozenset(req.store.anonymized)
    return lambda row: row.get("ContactID") not in hidden


def _recipient_contact_counter(req: FilterRequest) -> Predicate:
    """listrecipient ``Opened``/``Blocked``: the contact has an opened / blocked message."""
    stats = _index(req.store, "contactstatistics", "ContactID")
    want = req.flag()
    counter = "BlockedCount" if req.low == "blocked" else "OpenedCount"
    return lambda row: (((stats.get(row.get("ContactID")) or {}).get(counter) or 0) > 0) == want


def _recipient_last_activity(req: FilterRequest) -> Predicate:
    stats = _index(req.store, "listrecipientstatistics", "ListRecipientID")
    moment = req.moment()
    return lambda row: row_time((stats.get(row.get("ID")) or {}).get("LastActivityAt")) == moment


def _email_part(text: str, part: int) -> str:
    """The local part (0) or the domain (1) of an address, lower-cased."""
    return text.lower().partition("@")[::2][part]


def _sender_address(req: FilterRequest) -> Predicate:
    """senderstatistics ``Domain``/``Email``: on its sender's Email."""
    senders = req.store.table("sender").by_id()
    text = req.value.lower()
    part = 1 if req.low == "domain" else 0
    return lambda row: (
        _email_part(str((senders.get(row.get("SenderID")) or {}).get("Email", "")), part) == text
    )


def _address_part(req: FilterRequest) -> Predicate:
    text = req.value.lower()
    part = 1 if req.low == "domain" else 0
    return lambda row: _email_part(str(row.get("Email", "")), part) == text


def _domain_sender(req: FilterRequest) -> Predicate:
    want = req.flag()
    return lambda row: str(row.get("Email", "")).startswith("*@") == want


def _owner(req: FilterRequest) -> Predicate:
    """template/preset ``APIKey``/``User``: the owner type and id."""
    wanted = req.ids()
    owner = "OwnerId" if "OwnerId" in req.spec.field_names else "OwnerID"
    kind = "apikey" if req.low == "apikey" else "user"
    return lambda row: str(row.get("OwnerType", "")).lower() == kind and row.get(owner) in wanted


def _widget_active(req: FilterRequest) -> Predicate:
    text = req.value.strip().lower()
    if req.low == "status" and text in ("active", "inactive"):
        text = "true" if text == "active" else "false"
    elif req.low == "status" and text not in ("true", "false", "1", "0"):
        return lambda row: False  # an unknown status matches no widget
    want = req.flag(text)
    return lambda row: bool(row.get("IsActive")) == want


def _preference_key(req: FilterRequest) -> Predicate | None:
    # apppreferences rows carry the key as PrefKey: KeyLike -> PrefKeyLike...
    return req.compile_filter(req.spec, req.store, "PrefKey" + req.name[3:], req.value)


def _list_ids(req: FilterRequest) -> Predicate:
    wanted = req.ids()
    keep = req.low == "contactslistid"
    return lambda row: (row.get("ID") in wanted) == keep


def _workflow_active(req: FilterRequest) -> Predicate:
    want = req.flag()
    return lambda row: (str(row.get("Status", "")).lower() == "active") == want


def _token_key_active(req: FilterRequest) -> Predicate:
    keys = req.store.table("apikey").by_id()
    want = req.flag()
    return lambda row: bool((keys.get(row.get("APIKeyID")) or {}).get("IsActive")) == want


def _latest_history(req: FilterRequest) -> Predicate | None:
    """contacthistorydata ``Last=true``: the latest row per contact and property name."""
    if not req.flag():
        return None
    store = req.store

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


def _exclude_platform(req: FilterRequest) -> Predicate:
    excluded = req.value.strip().lower()
    return lambda row: str(row.get("Platform", "")).lower() != excluded


def _no_effect(req: FilterRequest) -> None:
    return None


def _recomputed_or_inert(req: FilterRequest) -> bool:
    # Aggregates: their message filters are recomputations (mjquery.sandbox.api.aggregates).
    return req.resource in AGGREGATES or is_justified_inert(req.resource, req.name) is not None


_DRAFTS = ("campaigndraft", "newsletter")
_ADDRESS_RESOURCES = ("sender", "contactslistsignup", "metasender")

#: The rules, in the order they are tried (see the filter table of :mod:`mjquery.sandbox.api.query`).
DERIVED_FILTERS: tuple[DerivedFilter, ...] = (
    _rule(_exclude_platform, "useragentstatistics", "excludeplatform"),
    _rule(_no_effect, applies=_recomputed_or_inert),
    # Status switches of drafts and campaign overviews.
    _rule(_status_flag(-1), _DRAFTS, "isarchived"),
    _rule(_status_flag(-2), _DRAFTS, "isdeleted"),
    _rule(_field_flag("CampaignID"), _DRAFTS, "iscampaign"),
    _rule(_draft_modified, _DRAFTS, "modified"),
    _rule(_field_in("TemplateID"), _DRAFTS, "newslettertemplate"),
    _rule(_draft_handled, _DRAFTS, "ishandled", applies=lambda r: "ishandled" not in r.fields),
    _rule(_overview_state, "campaignoverview", ("all", *_OVERVIEW_STATES)),
    # Counters and bounds.
    _rule(_counter, applies=_has_counter),
    _rule(_graph_counter, "campaigngraphstatistics", tuple(GRAPH_COUNTERS)),
    _rule(_graph_ids, "campaigngraphstatistics", "ids"),
    _rule(_min_max, applies=lambda r: _bound_field(r) is not None),
    _rule(_event_window, applies=lambda r: _event_window_field(r) is not None),
    _rule(_period, filters="period"),
    _rule(
        _message_status,
        filters="messagestatus",
        applies=lambda r: message_status_lookup(r.spec, r.store) is not None,
    ),
    _rule(_sent_custom_id, "messagesentstatistics", "customid"),
    _rule(_campaign_filter, filters=tuple(CAMPAIGN_FILTERS), applies=_on_campaign_of_row),
    # Statistics rows answered through the row they describe.
    _rule(
        _delegate("listrecipient", "listrecipient", "ID", "ListRecipientID"),
        "listrecipientstatistics",
    ),
    _rule(_include_anonymized, ("contactdata", "contactstatistics"), "includeanonymized"),
    _rule(_delegate("contact", "contact", "ID", "ContactID"), ("contactdata", "contactstatistics")),
    _rule(_recipient_contact_counter, "listrecipient", ("blocked", "opened")),
    _rule(_recipient_last_activity, "listrecipient", "lastactivityat"),
    # Addresses.
    _rule(_sender_address, "senderstatistics", ("domain", "email")),
    _rule(_address_part, _ADDRESS_RESOURCES, ("domain", "localpart")),
    _rule(_domain_sender, "sender", "isdomainsender"),
    # Others.
    _rule(_field_flag("IsBackup"), "eventcallbackurl", "backup"),
    _rule(_field_in("ContactListID"), "axtesting", "contactslist"),
    _rule(_field_flag("Deleted"), "axtesting", "isdeleted"),
    _rule(_field_flag("Starred"), "axtesting", "isstarred"),
    _rule(_owner, ("template", "preset"), ("apikey", "user")),
    _rule(_field_in("FromID"), "widget", "sender"),
    _rule(_widget_active, "widget", ("active", "status")),
    _rule(_preference_key, "apppreferences", applies=lambda r: r.low.startswith("key")),
    _rule(_list_ids, "liststatistics", ("contactslistid", "excludeid")),
    _rule(_field_in("CategoryID"), "newslettertemplate", "newslettertemplatecategory"),
    _rule(_workflow_active, "workflow", "isactive"),
    _rule(_token_key_active, "apitoken", "isapikeyactive"),
    _rule(_latest_history, "contacthistorydata", "last"),
)


def derived_filter(
    spec: ResourceSpec, store: Store, name: str, value: str, compile_filter: FilterCompiler
) -> Predicate | None:
    """The predicate of a cross-resource, counter or bound filter, or None when not one of them."""
    request = FilterRequest(spec, store, name, value, compile_filter)
    for rule in DERIVED_FILTERS:
        if rule.matches(request):
            return rule.factory(request)
    return None
