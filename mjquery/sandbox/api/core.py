"""The sandbox core: one ``handle(request) -> response`` function over an account's data.

``Sandbox.handle`` takes a method, a path, the query pairs as sent, headers and a body, and
returns a status, headers and body bytes. Two thin adapters call it: an ``httpx`` transport
(:mod:`mjquery.sandbox.api.transport`, no sockets) and a threaded HTTP server
(:mod:`mjquery.sandbox.api.server`). Order of events for one request: added latency (in the caller's
thread, outside any lock), the rate limit (429), authentication (401), an injected 5xx fault
(the request is then not applied), the request itself, then — if one is drawn or a
:class:`~mjquery.sandbox.config.FaultRule` says so — a 5xx instead of its answer, a dropped
connection or a truncated body (the request *was* applied: the ambiguous failure a client must
resolve by reading back). Every request is logged with the status the client saw (0 = dropped).

Where production differs from the reference, the sandbox follows the evidence (recorded traffic
in the gem cassettes, maintainers' answers in the official clients' issue trackers), cited where
each behaviour is written:

- ``DELETE /v3/REST/contact/{id}`` is 401 ``Operation not allowed``; a contact key that is
  neither an ID nor an email is 400 ``Invalid email address "...", reason: "No @ character in
  mail"``; a read-only property sent with another value than it has is 401 ``MJ19 ...``.
- ``Limit=0`` ignores ``Offset``; a refused ``Sort`` is ``Invalid sort specification: Cannot
  sort on field ...``; campaigns come by ``CreatedAt`` when no ``Sort`` is given.
- ``POST /v3/DATA/contactslist/{id}/CSVData/text:plain`` answers 200; a 429 is nginx's HTML
  page with no header; job polls give ``JobStart``/``JobEnd`` as strings.
- Contact properties merge and are typed (:mod:`mjquery.sandbox.api.properties`); some
  properties are left out of rows while unset (:data:`OMITTED_WHEN_UNSET`); new IDs are never
  those of deleted rows.

Knobs make it harsher where evidence is thin (:class:`~mjquery.sandbox.config.SandboxConfig`):
bulk jobs whose changes show later than their ``Completed``, other layouts of a job's error
file, statistics that lag behind the messages.

Choices where the reference is silent (filters and sorting: see :mod:`mjquery.sandbox.api.query`):

- Every successful POST answers 201 (the CSV upload: 200), PUT 200 (304 with an empty body when
  nothing changes), DELETE 204. ``DELETE /v4/contacts/{id}`` answers 200 with an empty body,
  even for an unknown id (recorded); the contact keeps its ID, its email becomes
  ``\\x<sha1>@domain.invalid``, its name ``Anonymized``, and its list memberships and contact
  data are removed.
- Read-only properties in a POST/PUT body are ignored when they hold the value the object has
  (the recorded PUT sends ``CreatedAt`` in another format). Unknown properties are refused:
  400 ``Invalid json input: object ""->"T<Resource>" has no property "<name>"``.
- A missing mandatory property on POST: 400 ``Mandatory property "<name>" is missing``.
  Changing a contact's ``Email`` with PUT: 400 ``Property "Email" cannot be changed``.
- Duplicates: contact Email -> ``MJ18 A Contact resource with value "<email>" for Email already
  exists.``; a list Name and a (contact, list) recipient pair get the same MJ18 wording.
- Methods a resource does not allow: 405 ``Method not allowed`` (contact DELETE: 401, above). Unknown resource: 400
  ``Unknown resource: "<name>"``. Paths outside ``/v3/REST``, ``/v3/DATA``, ``/v4/contacts``:
  500 EFPWebError as recorded. An unknown action or sub-path under a known resource
  (``/v3/REST/contact/1/nosuchaction``, ``/v3/REST/contact/1/getcontactslists/x/y``): 400
  ``Unknown action: "<name>"`` -- the reference lists "unknown resource/action" under 400, and
  the recorded 500 is only for paths outside ``/v3/REST``. Every action of the reference is
  modelled (see :mod:`mjquery.sandbox.api.actions` and :mod:`mjquery.sandbox.api.imports`); nothing
  answers 501.
- ``campaigndraft`` and ``newsletter`` share one ID space (a newsletter is the legacy view of a
  draft): a row created through either gets an ID neither table uses yet.
- ``Limit`` above 1000 is capped at 1000, a negative or non-numeric Limit/Offset is 400.
- Campaign drafts: ``send`` marks the draft Sent (2) at once, ``schedule`` marks it Programmed
  (1), both answer ``[{"Status": "programmed"}]`` as the guide shows; ``DELETE schedule`` sets it
  back to Draft (0). Validation failures are 400 with the reason as ErrorMessage. Sending creates
  the ``campaign`` row (CustomValue ``mj.nl=<draft id>``, NewsLetterID, ListID, FromEmail/FromID,
  CampaignType 2) and sets the draft's CampaignID; a programmed draft whose date has passed on
  the account clock is sent when drafts or campaigns are next read, and a schedule date behind
  the account clock is refused (400 ``The schedule date is in the past``).
- Unique-key lookups (``/resource/<unique key>``) use an index rebuilt when the table changes.
- Bulk jobs (``managemanycontacts``) are applied when posted (or later: ``job_visible_after``);
  the first poll of a job answers
  ``In Progress``, the next ones ``Completed`` with ``Count`` = contacts processed and, when some
  failed, ``Error`` = ``"<n> contact(s) could not be processed"`` and ``ErrorFile`` = the URL of
  ``/v3/DATA/batchjob/{JobID}/JSONError/application:json/LAST``, which answers a JSON array of
  ``{"Email", "Error"}`` objects (not enveloped, like other DATA answers; ``job_error_format``
  picks another layout). Each job is also a ``batchjob`` row.

Time: the sandbox has one clock, the account's (:meth:`mjquery.sandbox.api.store.Store.clock`).
The demo account lives at its own date (``DemoData.now``, so its data is the same on every run),
which advances in real time from the moment the sandbox starts; every timestamp a request writes
(``CreatedAt``, ``SubscribedAt``, ``ModifiedAt``, ``LastUpdateAt``, job times...), every schedule
check and every ``Period`` filter reads that clock. ``SandboxConfig.start`` sets its starting
point; a hand-made account without ``now`` follows the machine's clock.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

import httpx
import orjson

from mjquery.sandbox.api import actions, imports, properties
from mjquery.sandbox.api.actions import Job, run_due_schedules
from mjquery.sandbox.api.aggregates import aggregate_query, aggregate_rows, served_filters
from mjquery.sandbox.api.counters import statcounter_rows
from mjquery.sandbox.api.imports import CsvImportJob, create_csvimport, csvimport_item, data_api
from mjquery.sandbox.api.log import LoggedRequest, RequestLog
from mjquery.sandbox.api.query import (
    MESSAGE_OPTIONAL_FIELDS,
    SortKey,
    compile_filter,
    parse_sort,
    sort_rows,
)
from mjquery.sandbox.api.reference import COMMON_PARAMS, FieldSpec, ResourceSpec, load_reference
from mjquery.sandbox.api.semantics import time_field
from mjquery.sandbox.api.store import Row, Store, Table
from mjquery.sandbox.api.transport import SandboxTransport
from mjquery.sandbox.api.values import (
    Predicate,
    QueryError,
    parse_bool,
    parse_ints,
    parse_time,
    row_time,
)
from mjquery.sandbox.api.wire import (
    EMAIL,
    JSON_HEADERS,
    UNAUTHORIZED_HEADERS,
    ApiError,
    Fault,
    SandboxRequest,
    SandboxResponse,
    body_value,
    envelope,
    error_response,
    not_found,
    object_body,
)
from mjquery.sandbox.config import FaultKind, SandboxConfig
from mjquery.sandbox.demo.cache import load_demo_account

MAX_LIMIT = 1000
DEFAULT_LIMIT = 10
HTML_HEADERS = (("Content-Type", "text/html"),)
NOT_FOUND_PAGE = (
    b'<html>\r\n<head><title>404 Not Found</title></head>\r\n<body bgcolor="white">\r\n'
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)
TOO_MANY_REQUESTS_PAGE = (
    b"<html><body><h1>429 Too Many Requests</h1>\n"
    b"You have sent too many requests in a given amount of time.\n</body></html>\n"
)


def _default(field: FieldSpec) -> Any:
    return {"int": 0, "bool": False, "float": 0.0, "array": [], "object": {}}.get(field.type, "")


#: Properties production leaves out of a row while they are unset (0 or ""): api-behaviour
#: section 3 ("returned only if ..."), and the recorded ``?Limit=1`` answers of the gem
#: cassettes, which carry none of them (campaign, campaignstatistics, message, eventcallbackurl,
#: listrecipientstatistics, widget). A newsletter draft recorded in 2020 (GET and PUT
#: newsletter/54218, status 0) carries neither its unset references (AXTesting, CampaignID,
#: TemplateID) nor ReplyEmail.
OMITTED_WHEN_UNSET: dict[str, tuple[str, ...]] = {
    "campaign": ("SegmentationID", "WorkflowID"),
    "newsletter": ("AXTesting", "CampaignID", "ReplyEmail", "SegmentationID", "TemplateID"),
    "campaignstatistics": ("AXTesting", "WorkflowID"),
    "message": ("StateID",),
    "eventcallbackurl": (
        "AccountID",
        "ProjectID",
        "QueueName",
        "Region",
        "Resource",
        "SharedAccessSignature",
        "Topic",
    ),
    "listrecipientstatistics": ("Data",),
}
#: Properties of the reference production does not send at all (recorded widget?Limit=1 has
#: FromID, ListID, Name, Sendername, Subject... but neither Replyto nor TemplateID).
NEVER_SENT: dict[str, tuple[str, ...]] = {"widget": ("Replyto", "TemplateID")}
#: Properties production sends that the reference does not list, with the value the sandbox
#: gives them (recorded apikey?Limit=1, twice: "Skipspamd": 1 on a master key).
ADDED_BY_PRODUCTION: dict[str, tuple[tuple[str, Any], ...]] = {"apikey": (("Skipspamd", 1),)}
_UNSET: tuple[object, ...] = (0, "", None, [], {})
#: Message properties sent empty unless their ``Show...`` flag is true (recorded:
#: ``message?Limit=1`` carries ``"Subject": ""`` and ``"ContactAlt": ""`` without the flags).
MESSAGE_BLANK_UNLESS_SHOWN = ("Subject", "ContactAlt")

#: Event-level statistics: with ``SandboxConfig.statistics_lag_hours`` they leave out the
#: events of the last hours (production's statistics lag behind the messages by hours: a
#: campaign sent with 1,000 mails showed in the statistics ~10 hours later, mailjet-apiv3-nodejs#116).
#: Cumulative counters (contact, list, sender statistics) are served as they are.
LAGGING_STATISTICS = frozenset(
    {
        "aggregategraphstatistics",
        "bouncestatistics",
        "campaignstatistics",
        "clickstatistics",
        "graphstatistics",
        "messageinformation",
        "messagesentstatistics",
        "openinformation",
    }
)

#: Lists not in ID order when no Sort is given. Campaigns come by CreatedAt (Mailjet staff in
#: mailjet-apiv3-python#46: "by default the campaigns are being retrieved based on CreatedAt,
#: but in ascending order"); ties keep ID order.
DEFAULT_ORDER: dict[str, tuple[SortKey, ...]] = {
    "campaign": (SortKey("CreatedAt", descending=False), SortKey("ID", descending=False)),
}


def _due_time(entry: tuple[float, Callable[[], None]]) -> float:
    return entry[0]


def check_contact_key(method: str, key: str) -> None:
    """A contact is addressed by its ID or its email; anything else is production's 400
    (mailjet-apiv3-python#43: ``Unexpected error during GET: Invalid email address "...",
    reason: "No @ character in mail"``), not a 404."""
    if not key.isdigit() and "@" not in key:
        raise ApiError(
            400,
            f'Unexpected error during {method}: Invalid email address "{key}", '
            'reason: "No @ character in mail"',
        )


class RateLimiter:
    """At most ``rate`` requests in any one-second window of ``clock`` (monotonic seconds)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            while self._times and now - self._times[0] >= 1.0:
                self._times.popleft()
            if len(self._times) >= self.rate:
                return False
            self._times.append(now)
            return True


class Sandbox:
    """A Mailjet account served locally: ``handle`` requests, or get a ``transport()`` for httpx.

    ``data`` replaces the generated demo account (any object with ``resources``,
    ``sub_resources``, ``api_key_id`` and ``now``, as :func:`mjquery.sandbox.demo.build_demo_account`
    returns); tests use it for small hand-made accounts. ``now`` is optional: without it (and
    without ``config.start``) the account clock is the machine's clock. ``clock`` (monotonic
    seconds) is what the rate limit counts its one-second window on: a test shares a fake clock
    with the client, so a rate-limited run needs no real waiting.
    """

    def __init__(
        self,
        seed: int = 42,
        scale: float = 1.0,
        config: SandboxConfig | None = None,
        *,
        data: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or SandboxConfig()
        self.log = RequestLog()
        if data is None:
            data = load_demo_account(seed=seed, scale=scale)
        self.data = data
        self.specs = load_reference()
        self.store = Store(self.specs, data, start=self.config.start)
        self._expected_auth = "Basic " + base64.b64encode(
            f"{self.config.api_key}:{self.config.api_secret}".encode()
        ).decode("ascii")
        self._limiter = RateLimiter(self.config.rate_limit, clock)
        self._clock = clock
        #: Changes applied later (eventual consistency): (due on ``clock``, apply), in due order.
        self._deferred: list[tuple[float, Callable[[], None]]] = []
        #: Objects a single POST created, hidden from reads until the time given (on the
        #: sandbox's clock): ``SandboxConfig.write_visible_after``.
        self._unseen: dict[tuple[str, Any], float] = {}
        self._faults = random.Random(self.config.fault_seed)
        self._fault_lock = threading.Lock()
        self._rule_seen = [0] * len(self.config.fault_rules)
        self._rule_hits = [0] * len(self.config.fault_rules)
        self._jobs: dict[int, Job] = {}
        self._csv_data: dict[int, bytes] = {}
        #: CSV import jobs by csvimport ID (:mod:`mjquery.sandbox.api.imports`); their rows live in the table.
        self._csv_jobs: dict[int, CsvImportJob] = {}
        self._warm_up()
        # The account's time starts when it can first be asked, not before the warm-up of a big account.
        self.store.start_clock()

    def _warm_up(self) -> None:
        """Build the contact indexes now, so the first request does not pay for them."""
        contacts = self.store.table("contact")
        contacts.by_id()
        self.store.contacts_by_email()
        self.store.list_members(0)
        self._is_id_ordered(contacts)
        if len(contacts.rows) >= 10_000:
            # Big accounts: pre-sort contacts on every sortable field, both ways (~0.1 s each).
            spec = self.specs["contact"]
            for sortable in spec.sortable:
                orders = [sortable.field] + (
                    [f"{sortable.field} DESC"] if sortable.desc_allowed else []
                )
                for order in orders:
                    self._list(spec, (("Sort", order), ("Limit", "1")))

    def __repr__(self) -> str:
        return f"Sandbox(resources={len(self.store.tables)}, requests_served={len(self.log)})"

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport serving this sandbox (no sockets; thread-safe)."""
        return SandboxTransport(self)

    # -- the request pipeline ---------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request as Mailjet would, and log it."""
        if self.config.latency_ms > 0:
            time.sleep(self.config.latency_ms / 1000.0)
        path = unquote(request.path)
        response = self._answer(request, path)
        status = 0 if response.fault is Fault.DROP else response.status
        self.log.append(LoggedRequest(request.method.upper(), path, tuple(request.params), status))
        return response

    def _draw_fault(self, method: str, path: str) -> tuple[FaultKind | None, int]:
        """The fault this request gets (a rule's, else one drawn at the configured rates) and
        the 5xx status it would answer with."""
        cfg = self.config
        statuses = cfg.fault_statuses or (500,)
        with self._fault_lock:
            for n, rule in enumerate(cfg.fault_rules):
                if rule.matches(method, path):
                    self._rule_seen[n] += 1
                    if self._rule_seen[n] > rule.skip and self._rule_hits[n] < rule.times:
                        self._rule_hits[n] += 1
                        return rule.kind, rule.status
            rates = (
                (cfg.drop_rate, FaultKind.DROP_AFTER),
                (cfg.truncate_rate, FaultKind.TRUNCATE),
                (cfg.error_after_rate, FaultKind.ERROR_AFTER),
                (cfg.fault_rate, FaultKind.ERROR_BEFORE),
            )
            if not any(rate > 0 for rate, _ in rates) or not cfg.faults_apply_to(method, path):
                return None, 0
            draw = self._faults.random()
            status = self._faults.choice(statuses)
        for rate, kind in rates:
            if draw < rate:
                return kind, status
            draw -= rate
        return None, 0

    @staticmethod
    def _fault_answer(status: int) -> SandboxResponse:
        return SandboxResponse(
            status,
            JSON_HEADERS,
            orjson.dumps(
                {
                    "ErrorIdentifier": str(uuid.uuid4()),
                    "ErrorMessage": "Internal server error (injected by the sandbox)",
                    "StatusCode": status,
                }
            ),
        )

    def _answer(self, request: SandboxRequest, path: str) -> SandboxResponse:
        if not self._limiter.allow():
            # Production's 429 is nginx's HTML page, with no rate-limit or Retry-After header
            # (mailjet-apiv3-nodejs#178: text '<html><body><h1>429 Too Many Requests</h1>...';
            # mailjet-apiv3-java#217: no header says when to retry).
            return SandboxResponse(429, HTML_HEADERS, TOO_MANY_REQUESTS_PAGE)
        if request.header("authorization") != self._expected_auth:
            return SandboxResponse(401, UNAUTHORIZED_HEADERS, b"")
        fault, status = self._draw_fault(request.method, path)
        if fault is FaultKind.ERROR_BEFORE:
            return self._fault_answer(status)
        try:
            with self.store.lock:
                self._apply_due()
                response = self._route(request.method.upper(), path, request)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, exc.info)
        except QueryError as exc:
            response = error_response(400, exc.message)
        if fault is FaultKind.ERROR_AFTER:
            return self._fault_answer(status)  # applied, but the client hears a 5xx
        if fault is FaultKind.DROP_AFTER:
            return SandboxResponse(response.status, response.headers, response.body, Fault.DROP)
        if fault is FaultKind.TRUNCATE:
            return SandboxResponse(response.status, response.headers, response.body, Fault.TRUNCATE)
        return response

    def defer(self, apply: Callable[[], None], delay: float) -> None:
        """Apply a change ``delay`` seconds from now on the sandbox's clock (at once when 0):
        until then no request sees it. Called with the store lock held."""
        if delay <= 0:
            apply()
            return
        self._deferred.append((self._clock() + delay, apply))
        self._deferred.sort(key=_due_time)

    def _apply_due(self) -> None:
        if not self._deferred:
            return
        now = self._clock()
        while self._deferred and self._deferred[0][0] <= now:
            _, apply = self._deferred.pop(0)
            apply()

    # -- routing ----------------------------------------------------------------------------------

    def _route(self, method: str, path: str, request: SandboxRequest) -> SandboxResponse:
        segments = [s for s in path.split("/") if s]
        lowered = [s.lower() for s in segments]
        if len(segments) >= 2 and lowered[0] == "v3" and lowered[1] == "rest":
            return self._route_rest(method, segments[2:], request)
        if len(segments) >= 2 and lowered[0] == "v3" and lowered[1] == "data":
            return data_api(self, method, segments[2:], request)
        if len(segments) == 3 and lowered[0] == "v4" and lowered[1] == "contacts":
            if method != "DELETE":
                raise ApiError(405, "Method not allowed")
            return self._anonymize_contact(segments[2])
        if len(segments) >= 2 and lowered[0] == "v3":
            raise ApiError(
                500, f'Could not determine HTTP module for request "{segments[1]}"', "EFPWebError"
            )
        # Outside the API's paths nginx answers (recorded: GET /v3.1/REST/contactslist).
        return SandboxResponse(404, HTML_HEADERS, NOT_FOUND_PAGE)

    def _route_rest(
        self, method: str, segments: list[str], request: SandboxRequest
    ) -> SandboxResponse:
        if not segments:
            raise ApiError(400, 'Unknown resource: ""')
        names = [s.lower() for s in segments]
        if names[0] in ("campaign", "campaigndraft", "newsletter", "campaignoverview"):
            run_due_schedules(self)
        # Global actions and two-segment resources: contact/managemanycontacts, statistics/link-click.
        if len(names) >= 2 and f"{names[0]}/{names[1]}" in self.specs:
            spec = self.specs[f"{names[0]}/{names[1]}"]
            if "{" not in spec.path:
                return self._action(method, spec, None, segments[2:], request)
        resource = self.specs.get(names[0])
        if resource is None or resource.path != f"/v3/REST/{resource.name}":
            raise ApiError(400, f'Unknown resource: "{segments[0]}"')
        spec = resource
        if len(segments) == 1:
            return self._collection(method, spec, request)
        if spec.name == "contact":
            check_contact_key(method, segments[1])
        if len(segments) == 2:
            if names[0] == "messagehistory" and method == "GET":
                # GET /messagehistory/{message ID}: that message's events, an unknown id giving
                # no rows (recorded: mailjet-gem cassettes Mailjet_Messagehistory/_find/*)
                return self._list(spec, (("Message", segments[1]), *request.params))
            return self._item(method, spec, segments[1], request)
        action = self.specs.get(f"{names[0]}/{names[2]}")
        if action is None:
            raise ApiError(400, f'Unknown action: "{segments[2]}"')
        return self._action(method, action, segments[1], segments[3:], request)

    def _check_method(self, spec: ResourceSpec, method: str) -> None:
        if method not in spec.methods:
            raise ApiError(405, "Method not allowed")

    # -- collections and records ------------------------------------------------------------------

    def _collection(
        self, method: str, spec: ResourceSpec, request: SandboxRequest
    ) -> SandboxResponse:
        if method == "GET":
            self._check_method(spec, "GET")
            return self._list(spec, request.params)
        if method == "POST":
            self._check_method(spec, "POST")
            if spec.name == "csvimport":
                return create_csvimport(self, object_body(request.body))
            if spec.name == "contactdata":
                return self._post_contact_data(object_body(request.body))
            row = self._create(spec, object_body(request.body))
            if self.config.write_visible_after > 0:
                self._unseen[(spec.name, row.get("ID"))] = (
                    self._clock() + self.config.write_visible_after
                )
            return envelope(self._project(spec, [row], {}), 201)
        raise ApiError(405, "Method not allowed")

    def _list(self, spec: ResourceSpec, raw_params: tuple[tuple[str, str], ...]) -> SandboxResponse:
        params: dict[str, tuple[str, str]] = {}
        for param, value in raw_params:
            params.setdefault(param.lower(), (param, value))  # the first occurrence wins
        limit = self._int_param(params, "limit", DEFAULT_LIMIT)
        offset = self._int_param(params, "offset", 0)
        if limit == 0:
            # Limit=0 is the maximum page, and production then ignores Offset: the first 1000
            # rows come back whatever it says (Mailjet staff in mailjet-apiv3-nodejs#68: "this is
            # because you set the limit to 0"; mailjet-gem#167).
            limit, offset = MAX_LIMIT, 0
        limit = min(limit, MAX_LIMIT)
        count_only = "countonly" in params and parse_bool(*params["countonly"])
        sort_keys = (
            parse_sort(spec, params["sort"][1])
            if "sort" in params
            else DEFAULT_ORDER.get(spec.name, ())
        )

        filters = tuple(
            sorted(
                (low, value)
                for low, (_, value) in params.items()
                if low not in COMMON_PARAMS and low in spec.filters_by_lower
            )
        )
        routed = self._routed_rows(spec, params)
        if routed is not None and self._unseen and self._hides(spec):
            routed = [row for row in routed if not self._unseen_now(spec, row)]
        if routed is not None:
            if sort_keys:
                routed = sort_rows(spec, self.store, routed, sort_keys)
            if count_only:
                return SandboxResponse(
                    200,
                    JSON_HEADERS,
                    orjson.dumps({"Count": len(routed), "Data": [], "Total": len(routed)}),
                )
            return envelope(routed[offset : offset + limit])
        table = self.store.table(spec.name.lower())
        hide_anonymized = spec.name == "contact" and bool(self.store.anonymized)
        if hide_anonymized and "includeanonymized" in params:
            hide_anonymized = not parse_bool(*params["includeanonymized"])
        # Aggregate statistics: filters that pick the messages are answered by recomputing the rows.
        aggregate = aggregate_query(spec, self.store, params)
        recomputed = served_filters(spec) if aggregate is not None else frozenset()
        predicates = []
        # The filters that decide which rows match: a display flag (``ShowSubject`` ...) compiles
        # to no predicate, so requests that differ only in those share one cached answer.
        selecting = []
        for low, value in filters:
            if low in recomputed:
                selecting.append((low, value))
                continue
            predicate = compile_filter(spec, self.store, spec.filters_by_lower[low], value)
            if predicate is not None:
                predicates.append(predicate)
                selecting.append((low, value))
        if hide_anonymized:
            hidden = frozenset(self.store.anonymized)
            predicates.append(lambda row: row.get("ID") not in hidden)
        lag_cutoff = self._statistics_cutoff(spec)
        moment_field = time_field(spec)
        if lag_cutoff is not None and moment_field is not None:
            predicates.append(
                lambda row: (t := row_time(row.get(moment_field))) is None or t <= lag_cutoff
            )
        versions = self.store.versions(spec.name.lower())
        if aggregate is not None:
            versions += (self.store.table("campaign").version,)
        # ``Period`` reads the account clock: its answer changes when the day does, not only with the data.
        period_day = (
            self.store.clock().date() if any(low == "period" for low, _ in filters) else None
        )
        key = (
            spec.name,
            tuple(selecting),
            sort_keys,
            hide_anonymized,
            versions,
            period_day,
            lag_cutoff,
        )

        def compute() -> Sequence[Row]:
            if (
                spec.name == "contact"
                and [low for low, _ in filters] == ["contactslist"]
                and not sort_keys
            ):
                return self._list_members_in_id_order(filters[0][1], hide_anonymized)
            if aggregate is not None:
                return self._matching_rows(
                    spec, aggregate_rows(self.store, aggregate), predicates, sort_keys
                )
            return self._matching(table, predicates, sort_keys)

        matched = self.store.cached_query(key, compute)
        if self._unseen and self._hides(spec):
            matched = [row for row in matched if not self._unseen_now(spec, row)]
        if count_only:
            total = len(matched)
            return SandboxResponse(
                200, JSON_HEADERS, orjson.dumps({"Count": total, "Data": [], "Total": total})
            )
        if isinstance(matched, list):
            page = matched[offset : offset + limit]
        else:
            page = [matched[i] for i in range(offset, min(offset + limit, len(matched)))]
        return envelope(self._project(spec, page, params))

    def _routed_rows(
        self, spec: ResourceSpec, params: dict[str, tuple[str, str]]
    ) -> list[Row] | None:
        """Rows computed for the request rather than filtered from a table (see ``ROUTED_FILTERS``)."""
        name = spec.name.lower()
        if name == "statcounters":
            return statcounter_rows(self.data, self.store.table("statcounters").rows, params)
        if name == "messagehistory" and "message" in params:
            message_id = parse_ints(*params["message"])
            history = getattr(self.data, "message_history", None)
            if history is None:
                return None
            return [event for mid in sorted(message_id) for event in history(mid)]
        if name in ("statistics/link-click", "statistics/recipient-esp") and "campaignid" in params:
            produce = getattr(
                self.data, "link_clicks" if name.endswith("link-click") else "recipient_esp", None
            )
            if produce is None:
                return None
            return [r for cid in sorted(parse_ints(*params["campaignid"])) for r in produce(cid)]
        return None

    def _statistics_cutoff(self, spec: ResourceSpec) -> float | None:
        """With ``statistics_lag_hours``: the latest event time an event-level statistics
        resource shows (whole minutes of the account clock, so answers stay cacheable)."""
        lag = self.config.statistics_lag_hours
        if lag <= 0 or spec.name not in LAGGING_STATISTICS:
            return None
        cutoff = self.store.clock_timestamp() - lag * 3600
        return float(int(cutoff) // 60 * 60)

    @staticmethod
    def _int_param(params: dict[str, tuple[str, str]], low: str, default: int) -> int:
        if low not in params:
            return default
        name, value = params[low]
        try:
            number = int(value)
        except ValueError:
            raise QueryError(f'Invalid value for "{name}": "{value}"') from None
        if number < 0:
            raise QueryError(f'Invalid value for "{name}": "{value}"')
        return number

    def _matching(
        self, table: Table, predicates: list[Predicate], sort_keys: tuple[SortKey, ...]
    ) -> Sequence[Row]:
        rows = table.rows
        if not predicates and not sort_keys:
            return self._in_id_order(table)
        if not predicates:
            matched = list(rows)
        elif len(predicates) == 1:
            (only,) = predicates
            matched = [row for row in rows if only(row)]
        else:
            matched = [row for row in rows if all(p(row) for p in predicates)]
        if sort_keys:
            return sort_rows(table.spec, self.store, matched, sort_keys)
        if not self._is_id_ordered(table):
            matched.sort(key=lambda row: row.get("ID") or 0)
        return matched

    def _matching_rows(
        self,
        spec: ResourceSpec,
        rows: Sequence[Row],
        predicates: list[Predicate],
        sort_keys: tuple[SortKey, ...],
    ) -> Sequence[Row]:
        """Rows computed for the request (kept in their computed order), filtered and sorted."""
        matched = [row for row in rows if all(p(row) for p in predicates)] if predicates else rows
        return sort_rows(spec, self.store, matched, sort_keys) if sort_keys else matched

    def _list_members_in_id_order(self, value: str, hide_anonymized: bool) -> list[Row]:
        """Contacts of lists, straight from the membership index (no scan of every contact)."""
        members: set[int] = set()
        for list_id in parse_ints("ContactsList", value):
            members |= self.store.list_members(list_id)
        if hide_anonymized:
            members -= self.store.anonymized
        by_id = self.store.table("contact").by_id()
        return [by_id[cid] for cid in sorted(members) if cid in by_id]

    def _is_id_ordered(self, table: Table) -> bool:
        def build() -> bool:
            if not isinstance(table.rows, list) or not table.rows or "ID" not in table.rows[0]:
                return True  # lazy (read-only) sequences are generated in ID order
            ids = [row.get("ID") or 0 for row in table.rows]
            return all(a <= b for a, b in itertools.pairwise(ids))

        return self.store.derived(
            f"id-ordered:{table.spec.name}", (table.spec.name.lower(),), build
        )

    def _in_id_order(self, table: Table) -> Sequence[Row]:
        if self._is_id_ordered(table):
            return table.rows  # no copy: a page is a slice of the table itself
        return sorted(table.rows, key=lambda row: row.get("ID") or 0)

    @staticmethod
    def _project(
        spec: ResourceSpec, page: list[Row], params: dict[str, tuple[str, str]]
    ) -> list[Row]:
        """Rows as production sends them: properties it leaves out when unset are left out, and
        message properties behind a ``Show...`` flag are empty (``Subject``, ``ContactAlt``) or
        absent (``CustomID``) unless the flag is true."""
        omitted = OMITTED_WHEN_UNSET.get(spec.name, ())
        added = ADDED_BY_PRODUCTION.get(spec.name, ())
        blanked: tuple[str, ...] = ()
        hidden: tuple[str, ...] = NEVER_SENT.get(spec.name, ())
        if spec.name == "message":
            shown = {
                field
                for field, flag in MESSAGE_OPTIONAL_FIELDS.items()
                if flag in params and parse_bool(*params[flag])
            }
            blanked = tuple(f for f in MESSAGE_BLANK_UNLESS_SHOWN if f not in shown)
            hidden = tuple(
                f for f in MESSAGE_OPTIONAL_FIELDS if f not in shown and f not in blanked
            )
        if not (omitted or blanked or hidden or added):
            return page
        out = []
        for row in page:
            projected = {
                k: v
                for k, v in row.items()
                if k not in hidden and not (k in omitted and v in _UNSET)
            }
            for field in blanked:
                if field in projected:
                    projected[field] = ""
            for field, value in added:
                projected.setdefault(field, value)
            out.append(projected)
        return out

    def _hides(self, spec: ResourceSpec) -> bool:
        """Whether objects of ``spec`` a POST created are still hidden (expired ones dropped)."""
        now = self._clock()
        for unseen, until in list(self._unseen.items()):
            if until <= now:
                del self._unseen[unseen]
        return any(name == spec.name for name, _ in self._unseen)

    def _unseen_now(self, spec: ResourceSpec, row: Row) -> bool:
        """Whether ``row`` was created by a POST too recently for reads to see it."""
        until = self._unseen.get((spec.name, row.get("ID")))
        return until is not None and until > self._clock()

    def _find(self, spec: ResourceSpec, key: str) -> Row | None:
        """A record by ID, or by its unique key (``|``-joined when composite)."""
        table = self.store.table(spec.name.lower())
        if key.isdigit() and (spec.id_field or "ID") in spec.field_names:
            row = table.by_id().get(int(key))
            if row is not None:
                return row
        if spec.name == "contact":
            return self.store.contact(key) if not key.isdigit() else None
        if not spec.unique_key:
            return None
        parts = key.split("|")
        if len(parts) != len(spec.unique_key):
            return None
        columns: list[str] = []
        wanted: list[str] = []
        for name, part in zip(spec.unique_key, parts, strict=True):
            field = spec.fields_by_lower.get(name.lower()) or spec.fields_by_lower.get(
                name.lower() + "id"
            )
            if field is not None:
                columns.append(field.name)
                wanted.append(part.lower())
            elif name.lower() == "email" and "contactid" in spec.fields_by_lower:
                contact = self.store.contact(part)
                if contact is None:
                    return None
                columns.append("ContactID")
                wanted.append(str(contact.get("ID")).lower())
        if not columns:
            return None
        return self._unique_index(table, tuple(columns)).get(tuple(wanted))

    def _unique_index(self, table: Table, columns: tuple[str, ...]) -> dict[tuple[str, ...], Row]:
        """Rows by their unique-key values (lower-cased text), rebuilt when the table changes."""

        def build() -> dict[tuple[str, ...], Row]:
            index: dict[tuple[str, ...], Row] = {}
            for row in table.rows:
                index.setdefault(tuple(str(row.get(c, "")).lower() for c in columns), row)
            return index

        name = table.spec.name.lower()
        return self.store.derived(f"unique:{name}:{'|'.join(columns)}", (name,), build)

    def _item(
        self, method: str, spec: ResourceSpec, key: str, request: SandboxRequest
    ) -> SandboxResponse:
        if method not in ("GET", "PUT", "DELETE"):
            raise ApiError(405, "Method not allowed")
        if spec.name == "contact" and method == "DELETE":
            # Production refuses with 401, not 405, whatever the id (mailjet-apiv3-nodejs#129:
            # "Unsuccessful: 401 Operation not allowed"); contacts are deleted through v4.
            raise ApiError(401, "Operation not allowed")
        self._check_method(spec, method)
        if spec.name == "contactdata" and method == "PUT":
            return self._put_contact_data(key, request)
        if spec.name == "messagehistory" and method == "GET":
            # The message's events, all of them; none for an unknown message (recorded:
            # messagehistory/576460757221292748 -> 6 events, messagehistory/123 -> 200, no rows).
            history = getattr(self.data, "message_history", None)
            events = history(int(key)) if history is not None and key.isdigit() else []
            return envelope(list(events))
        row = self._find(spec, key)
        if row is None or (method == "GET" and self._unseen and self._unseen_now(spec, row)):
            raise not_found()
        if spec.name == "csvimport" and method in ("GET", "PUT"):
            return csvimport_item(self, method, row, request)
        if method == "GET":
            params = {k.lower(): (k, v) for k, v in reversed(request.params)}
            return envelope(self._project(spec, [row], params))
        if method == "PUT":
            changed = self._update(spec, row, object_body(request.body))
            return envelope(self._project(spec, [row], {})) if changed else SandboxResponse(304)
        self._delete(spec, row)
        return SandboxResponse(204)

    # -- writes -----------------------------------------------------------------------------------

    def _put_contact_data(self, key: str, request: SandboxRequest) -> SandboxResponse:
        """``PUT /contactdata/{contact ID or email}``: only the properties sent change."""
        contact = self.store.contact(key)
        if contact is None:
            raise not_found()
        values = properties.values_of(body_value(object_body(request.body), "Data"))
        row = properties.merge(self.store, contact["ID"], values)
        return envelope([row])

    def _post_contact_data(self, body: dict[str, Any]) -> SandboxResponse:
        """``POST /contactdata {ContactID | ContactAlt, Data}``: one row per contact, so a
        contact that has its row gets the properties merged into it, not a second row."""
        given = body_value(body, "ContactID")
        if given is None:
            given = body_value(body, "ContactAlt")
        if given is None:
            raise ApiError(400, 'Mandatory property "ContactID" is missing')
        contact = self.store.contact(str(given))
        if contact is None:
            raise ApiError(
                400, f'Property "Contact", value "{given}" could not be resolved to an object'
            )
        values = properties.values_of(body_value(body, "Data") or [])
        row = properties.merge(self.store, contact["ID"], values)
        return envelope([row], 201)

    def _assignments(
        self,
        spec: ResourceSpec,
        body: dict[str, Any],
        creating: bool,
        current: Row | None = None,
    ) -> dict[str, Any]:
        """The body's properties as field -> value, references resolved, read-only ones dropped.

        A read-only property sent back with the value it has is tolerated (recorded: the gem
        cassette resource/test_contact/update PUTs CreatedAt in another format, DeliveredCount
        and Id, and gets 200); one sent with another value is refused as production refuses it,
        401 ``MJ19 Setting a value for property "X" is not allowed`` (mailjet-apiv3-java#46).
        """
        values: dict[str, Any] = {}
        fields = spec.fields_by_lower
        for key, value in body.items():
            low = key.lower()
            field = fields.get(low)
            if field is None and low.endswith("alt") and (low[:-3] + "id") in fields:
                target = fields[low[:-3] + "id"]
                if target.readonly and not (creating and target.required):
                    continue
                values[target.name] = self._resolve_alt(target, key[:-3], value)
                continue
            if field is None and (low + "id") in fields:
                field = fields[low + "id"]
            if field is None:
                raise ApiError(
                    400,
                    f'Invalid json input: object ""->"T{spec.name.capitalize()}" has no property "{key}"',
                )
            if field.readonly and not (creating and field.required):
                if current is not None and not self._same_value(
                    field, current.get(field.name), value
                ):
                    raise ApiError(
                        401,
                        f'Internal error: MJ19 Setting a value for property "{field.name}" '
                        "is not allowed",
                    )
                continue
            values[field.name] = self._coerce(field, value)
        return values

    def _same_value(self, field: FieldSpec, held: Any, sent: Any) -> bool:
        """Whether ``sent`` is the value a row holds, as the API reads it (an instant in any
        date format, a number as text)."""
        if sent in (None, "") and held in (None, "", 0, False):
            return True
        if field.type == "datetime":
            try:
                return parse_time(field.name, str(sent)) == parse_time(field.name, str(held))
            except QueryError:
                return False
        try:
            return bool(self._coerce(field, sent) == held)
        except ApiError:
            return False

    def _resolve_alt(self, field: FieldSpec, name: str, value: Any) -> int:
        target: Row | None = None
        if field.entity == "contact":
            target = self.store.contact(str(value))
        elif field.entity == "contactslist":
            lists = self.store.table("contactslist").rows
            target = next(
                (r for r in lists if str(r.get("Name", "")).lower() == str(value).lower()), None
            )
        elif field.entity is not None and field.entity in self.specs:
            target = self._find(self.specs[field.entity], str(value))
        if target is None:
            raise ApiError(
                400,
                f'Property "{name}", alternate key value "{value}" could not be resolved to an ID',
            )
        return int(target["ID"])

    @staticmethod
    def _coerce(field: FieldSpec, value: Any) -> Any:
        def mismatch() -> ApiError:
            return ApiError(
                400,
                "Object properties invalid",
                {"Properties": [{field.name: "Property type does not match definition"}]},
            )

        if value is None:
            return _default(field)
        if field.type == "int":
            if isinstance(value, bool):
                raise mismatch()
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
            raise mismatch()
        if field.type == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise mismatch()
        if field.type == "float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            raise mismatch()
        if field.type in ("str", "datetime"):
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise mismatch()
        return value

    def _check_unique(
        self, spec: ResourceSpec, values: dict[str, Any], exclude: Row | None = None
    ) -> None:
        name = spec.name
        if name == "contact" and "Email" in values:
            existing = self.store.contact(values["Email"])
            if existing is not None and existing is not exclude:
                raise ApiError(
                    400,
                    f'MJ18 A Contact resource with value "{values["Email"]}" for Email already exists.',
                )
        if name == "contactslist" and "Name" in values:
            wanted = str(values["Name"]).lower()
            for row in self.store.table("contactslist").rows:
                if row is not exclude and str(row.get("Name", "")).lower() == wanted:
                    raise ApiError(
                        400,
                        f'MJ18 A ContactsList resource with value "{values["Name"]}" for Name already exists.',
                    )

    def _create(self, spec: ResourceSpec, body: dict[str, Any]) -> Row:
        values = self._assignments(spec, body, creating=True)
        for field in spec.fields:
            if field.required and field.name not in values:
                raise ApiError(400, f'Mandatory property "{field.name}" is missing')
        table = self.store.table(spec.name.lower())
        name = spec.name
        if name == "contact" and not EMAIL.match(str(values.get("Email", ""))):
            raise ApiError(400, f'Invalid email address: "{values.get("Email")}"')
        self._check_unique(spec, values)
        row: Row = {field.name: _default(field) for field in spec.fields}
        if "ID" in row:
            row["ID"] = table.next_id()
            if name in ("campaigndraft", "newsletter"):
                row["ID"] = max(
                    self.store.table("campaigndraft").next_id(),
                    self.store.table("newsletter").next_id(),
                )
        stamp = self.store.clock_iso()
        if (
            spec.created_field
            and spec.created_field in row
            and isinstance(row[spec.created_field], str)
        ):
            row[spec.created_field] = stamp
        if name == "listrecipient":
            row["IsActive"] = True  # the reference's default
        row.update(values)
        if name == "contactslist":
            row["Address"] = hashlib.sha1(f"{row['ID']}:{row['Name']}".encode()).hexdigest()[:10]
            row["SubscriberCount"] = 0
        if name == "listrecipient":
            return self._create_recipient(row)
        table.insert(row)
        return row

    def _create_recipient(self, row: Row) -> Row:
        contact = self.store.table("contact").by_id().get(row.get("ContactID"))
        lst = self.store.table("contactslist").by_id().get(row.get("ListID"))
        if contact is None:
            raise ApiError(
                400,
                f'Property "Contact", value "{row.get("ContactID")}" could not be resolved to an object',
            )
        if lst is None:
            raise ApiError(
                400,
                f'Property "List", value "{row.get("ListID")}" could not be resolved to an object',
            )
        for existing in self.store.recipients_by_contact().get(row["ContactID"], ()):
            if existing.get("ListID") == row["ListID"]:
                raise ApiError(
                    400,
                    f'MJ18 A ListRecipient resource with value "{row["ContactID"]}|{row["ListID"]}" '
                    "for ContactID|ListID already exists.",
                )
        row["ListName"] = lst.get("Name", "")
        stamp = self.store.clock_iso()
        row["SubscribedAt"] = stamp
        row["UnsubscribedAt"] = stamp if row.get("IsUnsubscribed") else ""
        self.store.table("listrecipient").insert(row)
        self.store.refresh_subscriber_count(row["ListID"])
        return row

    def _update(self, spec: ResourceSpec, row: Row, body: dict[str, Any]) -> bool:
        values = self._assignments(spec, body, creating=False, current=row)
        changes = {k: v for k, v in values.items() if row.get(k) != v}
        if not changes:
            return False
        name = spec.name
        if name == "contact" and "Email" in changes:
            raise ApiError(400, 'Property "Email" cannot be changed')
        if name == "campaigndraft" and row.get("Used"):
            raise ApiError(400, "A campaign draft that has been used cannot be changed")
        self._check_unique(spec, changes, exclude=row)
        old_list = row.get("ListID")
        row.update(changes)
        stamp = self.store.clock_iso()
        if spec.updated_field and spec.updated_field in row:
            row[spec.updated_field] = stamp
        if (
            name == "contact"
            and "IsExcludedFromCampaigns" in changes
            and "ExclusionFromCampaignsUpdatedAt" in row
        ):
            row["ExclusionFromCampaignsUpdatedAt"] = stamp
        if name == "listrecipient":
            if "IsUnsubscribed" in changes:
                row["UnsubscribedAt"] = stamp if row["IsUnsubscribed"] else ""
            if "ListID" in changes:
                lst = self.store.table("contactslist").by_id().get(row["ListID"])
                row["ListName"] = lst.get("Name", "") if lst else ""
        if name == "contactslist" and "Name" in changes:
            for recipient in self.store.recipients_by_list().get(row["ID"], ()):
                recipient["ListName"] = row["Name"]
            self.store.table("listrecipient").touch()
        self.store.table(spec.name.lower()).touch()
        if name == "listrecipient" and "ListID" in changes:
            self.store.refresh_subscriber_count(old_list)
            self.store.refresh_subscriber_count(row["ListID"])
        return True

    def _delete(self, spec: ResourceSpec, row: Row) -> None:
        table = self.store.table(spec.name.lower())
        if spec.name == "contactslist":
            if not row.get("IsDeleted"):
                row["IsDeleted"] = True  # a soft delete: the list stays readable
                table.touch()
            return
        table.delete(row)
        if spec.name == "listrecipient":
            self.store.refresh_subscriber_count(row.get("ListID"))

    # -- actions and sub-resources ------------------------------------------------------------------

    def _action(
        self,
        method: str,
        spec: ResourceSpec,
        parent: str | None,
        rest: list[str],
        request: SandboxRequest,
    ) -> SandboxResponse:
        self._check_method(spec, method)
        handler = actions.HANDLERS.get(spec.name.lower()) or imports.IMPORT_HANDLERS.get(
            spec.name.lower()
        )
        if handler is None and parent is None and not rest and method == "GET" and spec.fields:
            return self._list(
                spec, request.params
            )  # statistics/link-click, statistics/recipient-esp
        if handler is None:
            raise ApiError(400, f'Unknown action: "{spec.name.rsplit("/", 1)[-1]}"')
        # Only job polls (and the legacy newsletter sub-resources, recorded with a trailing id)
        # take one more segment; anything deeper is an unknown action.
        if len(rest) > (1 if spec.name.lower() in actions.TAKES_TRAILING_ID else 0):
            raise ApiError(400, f'Unknown action: "{rest[-1]}"')
        return handler(self, method, parent, rest, request)

    def _anonymize_contact(self, key: str) -> SandboxResponse:
        contact = self.store.contact(key) if key.isdigit() else None
        if contact is not None and contact["ID"] not in self.store.anonymized:
            digest = hashlib.sha1(str(contact.get("Email", "")).encode()).hexdigest()
            contact["Email"] = f"\\x{digest}@domain.invalid"
            contact["Name"] = "Anonymized"
            if "LastUpdateAt" in contact:
                contact["LastUpdateAt"] = self.store.clock_iso()
            self.store.anonymized.add(contact["ID"])
            self.store.table("contact").touch()
            recipients = self.store.table("listrecipient")
            for row in list(self.store.recipients_by_contact().get(contact["ID"], ())):
                recipients.delete(row)
                self.store.refresh_subscriber_count(row.get("ListID"))
            data_table = self.store.table("contactdata")
            for row in [r for r in data_table.rows if r.get("ContactID") == contact["ID"]]:
                data_table.delete(row)
        return SandboxResponse(200)
