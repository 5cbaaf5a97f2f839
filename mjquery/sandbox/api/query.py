"""List queries: filters, sorting and paging of ``GET /v3/REST/<resource>``, as the reference documents them.

Filter semantics (the reference names the filters; where it does not say what one does, the
most plausible reading is chosen and written here). Filters combine with AND; a filter given
twice uses its first value; names are case-insensitive; parameters that are not filters of the
resource are ignored, as the real API ignores them.

=============================  ==============================================================
filter                         semantics
=============================  ==============================================================
``<Field>``                    equality with the property of the same name. Strings compare
                               case-insensitively (Mailjet treats ``Email=x`` so); integer
                               filters accept a comma list (OR), as ``MessageStatus=3,4``.
``<Name>`` / ``<Name>ID``      equality with the reference property ``<Name>ID``
                               (``Campaign`` -> ``CampaignID``, ``Contact`` -> ``ContactID``).
``<Resource>ID``               equality with ``ID`` (``CampaignID`` on campaign).
``<Field>CI``                  case-insensitive equality.
``<Field>Like`` / ``LLike`` /  contains / begins with / ends with, case-sensitive; with the
``RLike`` [``CI``]             ``CI`` suffix case-insensitive.
``FromTS`` / ``ToTS``          time window on the resource's creation timestamp (message
                               ``ArrivedAt``, campaign ``SendStartAt`` as the reference
                               documents; else the creation time or first timestamp
                               property): ``FromTS`` is exclusive (> : "later than"),
                               ``ToTS`` inclusive (<= : "before or equal to"). Values are Unix
                               seconds or RFC 3339.
``ContactsList``               contact, contactdata: members of the list (from listrecipient);
                               listrecipient, campaign: ``ListID``; campaigndraft:
                               ``ContactsListID``.
``ContactEmail``/``ContactAlt``  rows whose ``ContactID`` is the contact with this email.
``Campaign`` on contact        contacts a message of that campaign was sent to.
``IsUnsubscribed`` on contact  ``UnsubscribedAt`` is set (true) / empty (false).
``IncludeAnonymized``          contact: contacts anonymised by ``DELETE /v4/contacts`` are
                               hidden unless this is true.
``Unsub`` / ``Active``         listrecipient: ``IsUnsubscribed`` / ``IsActive``.
``IgnoreDeleted``              listrecipient: true hides rows of soft-deleted lists.
``IsExcludedFromCampaigns``    on listrecipient/contactdata: the contact's flag.
``ExcludeID``                  contactslist: every list but this ID.
``FromID`` / ``Sender``        message: ``SenderID``. ``MessageState``: ``StateID``;
                               ``MessageStatus``: ``Status`` (comma list).
``Status`` on campaigndraft    the status number or name (``Draft``, ``Sent``...).
``ShowSubject`` ...            message: ``Subject``, ``ContactAlt`` and ``CustomID`` are only
                               returned with ``ShowSubject`` / ``ShowContactAlt`` /
                               ``ShowCustomID`` = true (the reference says so).
``MessageStatus`` elsewhere     the status of the row's message (by ``MessageID``, message
                               ``ID``, or campaign + contact), names or Mailjet codes
                               (0 processed, 1 queued, 2 sent, 3 opened, 4 clicked, 5 bounce,
                               6 spam, 7 unsub, 8 blocked, 9 softbounced, 10 hardbounced).
campaign-level filters         on message-level and campaign statistics rows, checked on the
                               row's campaign (``CampaignID``, or via ``MessageID``):
                               ``CampaignStatus`` = Status, ``CustomCampaign`` = CustomValue,
                               ``IsDeleted``/``IsStarred``, ``IsNewsletterTool`` = has a
                               NewsLetterID, ``FromType`` = CampaignType (1 transactional,
                               2 marketing), ``FromDomain`` = domain of FromEmail, ``From`` =
                               FromEmail (or FromID when numeric), ``FromID``/``Sender`` =
                               FromID, ``CampaignID``, ``ContactsList`` = ListID,
                               ``Segmentation`` = SegmentationID, ``Subject`` = contains.
``Period``                     Day/Week/Month/Year: the row's time (as ``FromTS``) is at or
                               after the start of the current period at the account's clock
                               (weeks start on Monday); another value is 400.
``EventFromTs``/``EventToTs``  bounds (inclusive) on BouncedAt / ClickedAt / OpenedAt;
                               ``BounceEvent*``/``SpamEvent*``: BounceDate / ComplaintDate.
``Min<F>`` / ``Max<F>``        ``F >= value`` / ``F < value`` (the reference: "strictly less").
counters                       statistics: ``Open``/``Click``/``Blocked``/``Bounced``/``Spam``/
                               ``Sent``/``Queued``/``Unsubscribed``/``SoftBounced``/
                               ``HardBounced``/``Deferred`` = true: the matching ``...Count``
                               is > 0 (false: = 0). campaigngraphstatistics ``Open``/``Click``/
                               ``Spam``/``Unsub`` likewise, ``IDS`` = ID in the list.
via the described row          listrecipientstatistics filters on its listrecipient
                               (``ContactsList``, ``Contact``, ``IsActive``, ``IsUnsubscribed``,
                               ``Min/MaxUnsubscribedAt``...); contactdata / contactstatistics on
                               their contact (``Campaign``, ``Email*``, ``IsUnsubscribed``,
                               ``LastActivityAt``; ``IncludeAnonymized=false`` hides anonymised
                               contacts); listrecipient ``Opened``/``Blocked``: the contact has
                               an opened / blocked message (contactstatistics);
                               ``LastActivityAt``: its listrecipientstatistics LastActivityAt.
draft/newsletter switches      ``IsArchived`` = Status -1, ``IsDeleted`` = Status -2,
                               ``IsCampaign`` = has a CampaignID, ``Modified`` = ModifiedAt set
                               and not CreatedAt, ``NewsLetterTemplate`` = TemplateID,
                               ``IsHandled`` (draft) = sent or used. campaignoverview ``All``
                               (not deleted), ``Archived``/``Drafts``/``Programmed``/``Sent``:
                               Status -1/0/1/2.
addresses                      sender/contactslistsignup ``Domain``/``LocalPart`` = the parts
                               of Email; sender ``IsDomainSender`` = Email is ``*@domain``;
                               senderstatistics ``domain``/``Email`` on its sender's Email.
others                         liststatistics ``ContactsListID``/``ExcludeID`` on ID; axtesting
                               ``ContactsList``/``IsDeleted``/``IsStarred``; template/preset
                               ``APIKey``/``User`` = OwnerType + owner id; widget ``Sender`` =
                               FromID, ``active``/``Status`` = IsActive; workflow ``IsActive`` =
                               Status active; apitoken ``IsAPIKeyActive`` = its key's IsActive;
                               eventcallbackurl ``Backup`` = IsBackup; contacthistorydata
                               ``Last`` = latest row per contact and name.
statcounters                   see :mod:`mjquery.sandbox.api.counters` (required filters, 400s).
``Message`` on messagehistory  the message's events (as ``GET /messagehistory/{id}``).
``CampaignID`` on statistics/  the campaign's rows (link-click, recipient-esp).
aggregate statistics           domainstatistics, geostatistics, graphstatistics,
                               toplinkclicked, useragentstatistics, openstatistics,
                               messagestatistics: the campaign (``CampaignID``,
                               ``CampaignStatus``, ``CustomCampaign``, ``IsDeleted``,
                               ``IsStarred``, ``IsNewsletterTool``, ``FromType``), list
                               (``ContactsList``/``ContactsListID``/``ContactListID``), sender
                               (``From``, ``FromDomain``, ``FromID``), time (``FromTS`` /
                               ``ToTS`` / ``Period`` on the campaign's SendStartAt: "Only
                               retrieve campaigns with SendStartAt after ..."), status
                               (``MessageStatus``) and contact / message (``Contact``,
                               ``ContactID``, ``ContactEmail``, ``Message``, ``WorkflowID``)
                               filters select the messages the rows are summed over; the rows
                               are recomputed for that subset with the demo account's own
                               statistics code and cached. ``Event=click`` (useragent) counts
                               clicks, ``ActualClicks=true`` (toplinkclicked) click events
                               instead of clicking messages; ``ExcludePlatform`` drops that
                               ``Platform``. Details: :mod:`mjquery.sandbox.api.aggregates`.
anything else listed           accepted and has no effect; each such filter is on the
                               justified list of :mod:`mjquery.sandbox.api.semantics` with its
                               reason: display flags (``ShowExtraData``, ``ProcessTotalClicksCount``
                               / ``ProcessTotalOpensCount`` on messagestatistics, whose rows
                               always carry the totals, graphstatistics
                               ``RefTimeStampOldFormat``), aggregation options without a usable
                               description or a second aggregation to serve (graphstatistics
                               ``Scale``: day rows only, ``TimeShift``: no unit or effect given;
                               ``Range`` of campaigngraph / aggregategraph statistics: one
                               aggregation is served), properties the rows do not carry, contact
                               / list-recipient ``Status`` whose values the reference does not
                               list. On an account without message-level data (a hand-made test
                               account) the aggregate filters above are inert as well.
                               :func:`inert_filters` lists them all, :func:`inert_reason` says why.
=============================  ==============================================================

Bad values: a boolean filter takes ``true``/``false``/``1``/``0``, an integer filter digits;
anything else is answered 400 ``Invalid value for filter "X": "v"``. Sorting: ``Sort=F``,
``Sort=F DESC`` (``ASC`` accepted), several keys comma-separated; a field that is not sortable is
answered 400 ``Sort: property "F" is not sortable``, a refused DESC 400
``Sort: property "F" cannot be sorted in descending order``. Default order: ascending ID.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any

from mjquery.sandbox.api.aggregates import can_recompute, served_filters
from mjquery.sandbox.api.reference import ResourceSpec
from mjquery.sandbox.api.semantics import derived_filter, is_justified_inert, time_field
from mjquery.sandbox.api.store import Row, Store
from mjquery.sandbox.api.values import (
    Predicate,
    QueryError,
    message_status_values,
    parse_bool,
    parse_ints,
    parse_time,
    row_time,
)

DRAFT_STATUS_NAMES = {
    -3: "AXCancelled",
    -2: "Deleted",
    -1: "Archived",
    0: "Draft",
    1: "Programmed",
    2: "Sent",
    3: "AXTested",
    4: "AXSelected",
}


def draft_status_name(status: Any) -> str:
    """A campaign draft's Status number as its name (``Draft``, ``Sent``...)."""
    return DRAFT_STATUS_NAMES.get(status, str(status))


#: Filters answered by a dedicated code path of :class:`mjquery.sandbox.api.core.Sandbox` (rows
#: produced from the demo account's counters for the requested source, resolution and window).
ROUTED_FILTERS = {
    "statcounters": frozenset(
        {
            "countersource",
            "counterresolution",
            "countertiming",
            "countertype",
            "sourceid",
            "sourceids",
            "campaignid",
            "apikeyid",
            "fromts",
            "tots",
        }
    ),
    "messagehistory": frozenset({"message"}),
    "statistics/link-click": frozenset({"campaignid"}),
    "statistics/recipient-esp": frozenset({"campaignid"}),
}

#: message properties only returned when their Show* flag is true.
MESSAGE_OPTIONAL_FIELDS = {
    "Subject": "showsubject",
    "ContactAlt": "showcontactalt",
    "CustomID": "showcustomid",
}


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


# -- value parsing -------------------------------------------------------------------------------


def _equals(spec_type: str, name: str, field: str, value: str) -> Predicate:
    if spec_type == "bool":
        wanted_bool = parse_bool(name, value)
        return lambda row: row.get(field) is wanted_bool or row.get(field) == wanted_bool
    if spec_type == "int":
        wanted_ints = parse_ints(name, value)
        return lambda row: row.get(field) in wanted_ints
    if spec_type == "float":
        try:
            wanted_float = float(value)
        except ValueError:
            raise QueryError(f'Invalid value for filter "{name}": "{value}"') from None
        return lambda row: row.get(field) == wanted_float
    if spec_type == "datetime":
        moment = parse_time(name, value)
        return lambda row: row_time(row.get(field)) == moment
    wanted = value.lower()
    return lambda row: str(row.get(field, "")).lower() == wanted


# -- filter rules --------------------------------------------------------------------------------


def _special(spec: ResourceSpec, store: Store, name: str, value: str) -> Predicate | None:
    """Filters whose meaning is not "equal to the property of that name"."""
    low = name.lower()
    fields = spec.fields_by_lower
    resource = spec.name.lower()
    has_contact_id = "contactid" in fields

    if low in ("fromts", "tots"):
        moment_field = time_field(spec)
        if moment_field is None:
            return None
        bound = parse_time(name, value)
        if low == "fromts":
            return lambda row: (t := row_time(row.get(moment_field))) is not None and t > bound
        return lambda row: (t := row_time(row.get(moment_field))) is not None and t <= bound

    if low in ("contactslist", "contactslistid"):
        if "listid" in fields:
            return _equals("int", name, fields["listid"].name, value)
        if "contactslistid" in fields:
            return _equals("int", name, fields["contactslistid"].name, value)
        if resource == "contact" or has_contact_id:
            key = "ID" if resource == "contact" else fields["contactid"].name
            members: set[int] = set()
            for list_id in parse_ints(name, value):
                members |= store.list_members(list_id)
            return lambda row: row.get(key) in members
        return None

    if low in ("contactemail", "contactalt") and has_contact_id and "contactalt" not in fields:
        contact = store.contact(value) if "@" in value else None
        wanted_id = contact.get("ID") if contact else None
        return lambda row: wanted_id is not None and row.get("ContactID") == wanted_id
    if low == "contactalt" and resource == "message":
        contact = store.contact(value)
        wanted_id = contact.get("ID") if contact else None
        return lambda row: wanted_id is not None and row.get("ContactID") == wanted_id

    if resource == "contact":
        if low == "campaign":
            sent_to: set[int] = set()
            for campaign_id in parse_ints(name, value):
                sent_to |= store.campaign_contacts(campaign_id)
            return lambda row: row.get("ID") in sent_to
        if low == "isunsubscribed":
            want = parse_bool(name, value)
            return lambda row: (row.get("UnsubscribedAt") not in ("", None)) == want
        if low == "includeanonymized":
            return lambda row: True  # handled by hide_anonymized()

    if resource == "listrecipient":
        if low == "unsub":
            return _equals("bool", name, "IsUnsubscribed", value)
        if low == "active":
            return _equals("bool", name, "IsActive", value)
        if low == "ignoredeleted":
            if not parse_bool(name, value):
                return lambda row: True
            lists = store.table("contactslist").by_id()
            deleted = {lid for lid, row in lists.items() if row.get("IsDeleted")}
            return lambda row: row.get("ListID") not in deleted

    if (
        low == "isexcludedfromcampaigns"
        and "isexcludedfromcampaigns" not in fields
        and has_contact_id
    ):
        want = parse_bool(name, value)
        contacts = store.table("contact").by_id()
        return lambda row: (
            bool((contacts.get(row.get("ContactID")) or {}).get("IsExcludedFromCampaigns")) == want
        )

    if resource == "contactslist" and low == "excludeid":
        excluded = parse_ints(name, value)
        return lambda row: row.get("ID") not in excluded

    if resource == "message":
        if low in ("fromid", "sender", "from") and "senderid" in fields:
            if low == "from" and not value.strip().isdigit():
                return None
            return _equals("int", name, "SenderID", value)
        if low == "messagestate":
            return _equals("int", name, "StateID", value)
        if low == "messagestatus":
            wanted = message_status_values(value)
            return lambda row: str(row.get("Status", "")).lower() in wanted

    if resource == "campaigndraft" and low == "status":
        by_name = {label.lower(): number for number, label in DRAFT_STATUS_NAMES.items()}
        wanted_status: set[int] = set()
        for part in value.split(","):
            part = part.strip()
            if part.lstrip("-").isdigit():
                wanted_status.add(int(part))
            elif part.lower() in by_name:
                wanted_status.add(by_name[part.lower()])
            # an unknown status name matches no draft
        return lambda row: row.get("Status") in wanted_status

    if low == f"{resource}id" and "id" in fields:
        return _equals("int", name, "ID", value)
    return None


def _generic(spec: ResourceSpec, name: str, value: str) -> Predicate | None:
    fields = spec.fields_by_lower
    low = name.lower()
    declared = dict((n.lower(), t) for n, t in spec.filter_types).get(low, "str")
    numeric = all(part.strip().lstrip("-").isdigit() for part in value.split(","))
    if low in fields:
        fld = fields[low]
        if fld.type == "int" and declared == "str" and not numeric:
            return lambda row: False  # a name where the API stores a number: nothing matches
        return _equals(fld.type, name, fld.name, value)
    if low + "id" in fields:
        if not numeric and low + "email" in fields:
            return _equals("str", name, fields[low + "email"].name, value)  # campaign From=<email>
        if not numeric and declared == "str":
            return lambda row: False
        return _equals("int", name, fields[low + "id"].name, value)
    for kind in ("llike", "rlike", "like"):
        fold = low.endswith(kind + "ci")
        if not (fold or low.endswith(kind)):
            continue
        base = low[: -len(kind) - (2 if fold else 0)]
        if base not in fields:
            continue
        field = fields[base].name
        needle = value.lower() if fold else value

        def text(row: Row, field: str = field, fold: bool = fold) -> str:
            raw = str(row.get(field, ""))
            return raw.lower() if fold else raw

        if not fold and fields[base].type == "str":
            # Tight loops for the common case: a 100,000-contact scan costs ~10 ms, not ~40.
            if kind == "llike":
                return lambda row: (row.get(field) or "").startswith(needle)
            if kind == "rlike":
                return lambda row: (row.get(field) or "").endswith(needle)
            return lambda row: needle in (row.get(field) or "")
        if kind == "llike":
            return lambda row: text(row).startswith(needle)
        if kind == "rlike":
            return lambda row: text(row).endswith(needle)
        return lambda row: needle in text(row)
    if low.endswith("ci") and low[:-2] in fields:
        return _equals("str", name, fields[low[:-2]].name, value)
    return None


def compile_filter(spec: ResourceSpec, store: Store, name: str, value: str) -> Predicate | None:
    """The predicate of one filter, or None when the filter has no effect."""
    predicate = _special(spec, store, name, value)
    if predicate is None:
        predicate = derived_filter(spec, store, name, value, compile_filter)
    if predicate is None:
        predicate = _generic(spec, name, value)
    return predicate


def inert_filters(spec: ResourceSpec, store: Store) -> list[str]:
    """The filters of ``spec`` that are accepted but have no effect in the sandbox serving ``store``.

    :func:`inert_reason` gives each one's reason. A filter the sandbox answers in its own code
    path (statcounters, message history, per-campaign statistics, aggregates recomputed for the
    selected messages) is not inert.
    """
    inert = []
    served = ROUTED_FILTERS.get(spec.name.lower(), frozenset())
    if can_recompute(store):
        served = served | served_filters(spec)
    for name in spec.filters:
        if name.lower() in served:
            continue
        for probe in ("1", "true", "2020-01-01T00:00:00Z", "x@example.com", "Draft", "Day"):
            try:
                if compile_filter(spec, store, name, probe) is not None:
                    break
            except QueryError:
                continue
        else:
            inert.append(name)
    return inert


def inert_reason(spec: ResourceSpec, store: Store, name: str) -> str | None:
    """Why filter ``name`` has no effect on ``spec`` in the sandbox serving ``store`` (None: it has one)."""
    if name not in inert_filters(spec, store):
        return None
    reason = is_justified_inert(spec.name.lower(), name)
    if reason is None and name.lower() in served_filters(spec):
        reason = "selects the messages an aggregate sums; this account has no message-level data to recompute from"
    return reason or "no reason recorded"


# -- sorting -------------------------------------------------------------------------------------


#: How production words a refused ``Sort`` (mailjet-apiv3-php#178, mailjet-apiv3-python#46,
#: mailjet-apiv3-java#155), followed by the field as it was sent, lower-cased.
SORT_ERROR = "Unexpected error during GET: Invalid sort specification: Cannot sort on field "


def parse_sort(spec: ResourceSpec, value: str) -> tuple[SortKey, ...]:
    """The sort keys of ``Sort=F``, ``Sort=F DESC`` (``ASC`` too), comma-separated.

    The value is read as decoded from the query string: a ``+`` that reached it was a literal
    ``+`` (``%2B``), which production does not read as a space. ``Sort=ID%2BDESC`` is refused as
    a sort on the field ``id+desc`` (mailjet-apiv3-java#155: "Cannot sort on field id+desc").
    """
    keys = []
    for part in value.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(SORT_ERROR + part.strip().lower())
        sortable = spec.sort_by_lower.get(words[0].lower())
        if sortable is None:
            raise QueryError(SORT_ERROR + words[0].lower())
        descending = len(words) == 2 and words[1].lower() == "desc"
        if descending and not sortable.desc_allowed:
            # No recording of this refusal: the same wording, naming the order asked for.
            raise QueryError(SORT_ERROR + f"{words[0].lower()} desc")
        keys.append(SortKey(sortable.field, descending))
    return tuple(keys)


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value).lower())


def _lower_text(field: str, row: Row) -> str:
    return str(row[field]).lower()


def _field_sort_value(field: str, row: Row) -> tuple[int, Any]:
    return _sort_value(row.get(field))


def _contact_sort_value(contacts: dict[Any, Row], field: str, row: Row) -> tuple[int, Any]:
    return _sort_value((contacts.get(row.get("ContactID")) or {}).get(field))


def sort_rows(
    spec: ResourceSpec, store: Store, rows: Sequence[Row], keys: tuple[SortKey, ...]
) -> list[Row]:
    """``rows`` in the order of the sort keys (a stable sort per key, last key first)."""
    result: Sequence[Row] = rows
    for key in reversed(keys):
        field = key.field
        kinds = {type(row.get(field)) for row in result}
        if field in spec.field_names and kinds <= {str}:
            # Fast path for text columns (100,000 emails): no per-row tuple; "" (unset) sorts first anyway.
            getter: Callable[[Row], Any] = partial(_lower_text, field)
        elif (field in spec.field_names and kinds <= {int}) or kinds <= {float} or kinds <= {bool}:
            getter = itemgetter(field)
        elif field in spec.field_names or "ContactID" not in spec.field_names:
            getter = partial(_field_sort_value, field)
        else:
            # contactdata sorts by contact properties (Email, CreatedAt...) it does not carry itself.
            getter = partial(_contact_sort_value, store.table("contact").by_id(), field)
        result = sorted(result, key=getter, reverse=key.descending)
    return result if isinstance(result, list) else list(result)
