"""Part (a) of the SELECT benchmark: API requests per query, against the minimum the API allows.

Each :class:`BenchQuery` is a realistic SELECT with a hand-written rule for the fewest requests
the Mailjet API needs to answer it. The numbers in those rules (how many rows match the pushed
filters, which keys a join carries) are found by the benchmark itself with ``countOnly`` probes
and small reads (:class:`Prober`), whose requests are cleared from the server's log before the
query runs. The query then runs through mjquery's DB-API; the requests the *server* served are
compared with the minimum, and with what the engine's ``cursor.stats`` says it sent.

The rules, applied to every query:

- **Reading N rows** that match the pushed filters (N not known in advance) costs one request
  when N < 1000 (a short first page proves there is no more), otherwise ceil(N/1000) pages plus
  one ``countOnly`` request: learning that more pages exist takes either the count or the next
  page, and only the count lets the remaining pages be fetched concurrently. (A strictly
  sequential reader that stops at the first short page would save that one request when N is
  not a multiple of 1000, at the price of the concurrency part (b) measures.) A resource the API
  answers in one response (no paging) costs one request.
- **ORDER BY a sortable column with LIMIT n** (nothing else to filter locally, at least n rows):
  ceil(n/1000) pages; the offsets are known from n, so no count is needed.
- **COUNT(*)** with only exactly pushable filters: one ``countOnly`` request. A filter the API
  answers inexactly (case-insensitive matches) cannot be counted by the API: the rows are read.
- **One object by id**: one request per id.
- **A dependent join**: the small side, plus the cheaper of one request set per key and one read
  of the whole other side (with its own pushed filters).
- **Aggregates** other than COUNT(*) need every matching row (the API has no other aggregate).
- **A contradiction** costs nothing.

Where the API's answer is not exact, N counts the rows the API returns for the pushed filters
(the superset DuckDB filters again).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from mjquery.api import ApiClient, item_path, resource_path

PAGE_SIZE = 1000

Params = tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class ServedCount:
    """Requests a server served since its log was last cleared."""

    requests: int
    throttled: int


class RequestCounter(Protocol):
    """The server's own request log: cleared before a query, read after it."""

    def clear(self) -> None: ...

    def count(self) -> ServedCount: ...

    def calls(self) -> tuple[str, ...]:
        """Every logged request as ``GET /path?params`` (to show where extra requests went)."""
        ...


def _call_words(method: str, path: str, params: Sequence[tuple[str, str]], status: int) -> str:
    query = "&".join(f"{k}={v}" for k, v in params)
    return f"{method} {path}{'?' + query if query else ''}" + (
        "" if status == 200 else f" -> {status}"
    )


class SandboxLogCounter:
    """A :class:`RequestCounter` over an in-process sandbox's request log."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def clear(self) -> None:
        self.sandbox.log.clear()

    def count(self) -> ServedCount:
        statuses = [r.status for r in self.sandbox.log]
        return ServedCount(len(statuses), sum(1 for s in statuses if s == 429))

    def calls(self) -> tuple[str, ...]:
        return tuple(_call_words(r.method, r.path, r.params, r.status) for r in self.sandbox.log)


class ProcessLogCounter:
    """A :class:`RequestCounter` over a sandbox running in another process."""

    def __init__(self, process: Any) -> None:
        self.process = process

    def clear(self) -> None:
        self.process.clear()

    def count(self) -> ServedCount:
        served = self.process.served()
        return ServedCount(served.requests, served.throttled)

    def calls(self) -> tuple[str, ...]:
        return tuple(
            _call_words(c.method, c.path, c.params, c.status) for c in self.process.calls()
        )


# ----------------------------------------------------------------------------- the minimum


def read_cost(rows: int) -> int:
    """Requests to read ``rows`` matching rows with the reading rule above."""
    return 1 if rows < PAGE_SIZE else 1 + math.ceil(rows / PAGE_SIZE)


@dataclass(frozen=True)
class ReadCost:
    """One filtered read: N rows match, costing ``requests``."""

    label: str
    rows: int
    requests: int
    paged: bool = True

    def words(self) -> str:
        if not self.paged:
            return f"{self.label}: answered in one response, 1 request"
        if self.rows < PAGE_SIZE:
            return f"{self.label}: N = {self.rows:,} < 1000, 1 page"
        pages = math.ceil(self.rows / PAGE_SIZE)
        return f"{self.label}: N = {self.rows:,}, {pages} pages + 1 countOnly = {self.requests}"


@dataclass(frozen=True)
class Minimum:
    """The fewest requests the API allows for one query, and how that number was reached."""

    requests: int
    reasoning: str


class Prober:
    """Asks the API what the minimum depends on: counts (``countOnly``) and small reads.

    Uses its own client with the cache off; its requests are not counted against the query.
    """

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def count(self, resource: str, params: Params = ()) -> int:
        return self.api.count(resource_path(resource), dict(params))

    def read(self, resource: str, params: Params = (), label: str | None = None) -> ReadCost:
        rows = self.count(resource, params)
        described = ", ".join(f"{k}={v}" for k, v in params) or "no filter"
        return ReadCost(label or f"{resource} ({described})", rows, read_cost(rows))

    def rows(self, resource: str, params: Params = ()) -> list[dict[str, Any]]:
        return [
            row for page in self.api.scan(resource_path(resource), dict(params)) for row in page
        ]

    def item(self, resource: str, key: object) -> dict[str, Any]:
        page = self.api.get(item_path(resource, str(key)))
        return page.data[0]


# ------------------------------------------------------------------------------ the account


@dataclass(frozen=True)
class Facts:
    """Values the queries use, looked up in the demo account (they depend on its scale)."""

    small_list_id: int  # the list named SMALL_LIST
    small_list_name: str
    big_list_id: int  # the list with the most subscribers
    contact_ids: tuple[int, ...]  # the first three contacts by id
    contact_email: str  # the first contact's email
    member_email: str  # a contact in at least two lists
    campaign_id: int  # the first campaign sent to the small list
    window_start: datetime  # a week of messages, two weeks before the latest one
    window_end: datetime
    contact_total: int


SMALL_LIST = "Wholesale partners"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def resolve_facts(prober: Prober) -> Facts:
    lists = prober.rows("contactslist")
    small = next(row for row in lists if row["Name"] == SMALL_LIST)
    big = max(lists, key=lambda row: row.get("SubscriberCount") or 0)
    first = prober.api.get(resource_path("contact"), {"Sort": "ID", "Limit": "3"}).data
    members = prober.api.get(
        resource_path("listrecipient"), {"ContactsList": str(small["ID"]), "Limit": "1000"}
    ).data
    member_email = ""
    for member in members:
        lists_of = prober.api.get(
            resource_path("listrecipient"), {"Contact": str(member["ContactID"]), "Limit": "10"}
        ).data
        if len(lists_of) >= 2:
            member_email = prober.item("contact", member["ContactID"])["Email"]
            break
    campaigns = prober.rows("campaign", (("ContactsList", str(small["ID"])),))
    latest = prober.api.get(
        resource_path("message"), {"Sort": "ArrivedAt DESC", "Limit": "1"}
    ).data[0]
    end = _parse_time(latest["ArrivedAt"]).replace(hour=0, minute=0, second=0) - timedelta(days=7)
    return Facts(
        small_list_id=int(small["ID"]),
        small_list_name=SMALL_LIST,
        big_list_id=int(big["ID"]),
        contact_ids=tuple(int(row["ID"]) for row in first),
        contact_email=first[0]["Email"],
        member_email=member_email,
        campaign_id=int(min(c["ID"] for c in campaigns)),
        window_start=end - timedelta(days=7),
        window_end=end,
        contact_total=prober.count("contact"),
    )


def _ts(moment: datetime) -> str:
    """A time bound as the API's FromTS/ToTS take it (RFC 3339, whole seconds, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------ the queries

MinimumRule = Callable[[Prober, Facts], Minimum]


@dataclass(frozen=True)
class BenchQuery:
    """One query of the suite: SQL with ``?`` parameters taken from the account's facts."""

    key: str
    family: str
    sql: str
    params: Callable[[Facts], tuple[object, ...]]
    minimum: MinimumRule
    expected_rows: Callable[[Prober, Facts], int] | None = None


def _no_params(facts: Facts) -> tuple[object, ...]:
    return ()


def one_read(
    resource: str, params: Callable[[Facts], Params] = lambda f: (), label: str = ""
) -> MinimumRule:
    def rule(prober: Prober, facts: Facts) -> Minimum:
        cost = prober.read(resource, params(facts), label or None)
        return Minimum(cost.requests, "one filtered read. " + cost.words())

    return rule


def fixed(requests: int, reasoning: str) -> MinimumRule:
    return lambda prober, facts: Minimum(requests, reasoning)


def top_n(limit: int, sort: str) -> MinimumRule:
    def rule(prober: Prober, facts: Facts) -> Minimum:
        pages = math.ceil(limit / PAGE_SIZE)
        return Minimum(
            pages,
            f"Sort={sort} is sortable: LIMIT {limit} = ceil({limit}/1000) = {pages} "
            f"page{'s' if pages > 1 else ''}, offsets known from the limit (no count)",
        )

    return rule


def _list_join(prober: Prober, facts: Facts) -> Minimum:
    small = prober.read("contactslist", (("Name", facts.small_list_name),), "List (Name=...)")
    per_key = prober.read(
        "listrecipient",
        (("ContactsList", str(facts.small_list_id)),),
        "ListRecipient per key (ContactsList=id)",
    )
    whole = prober.read("listrecipient", (), "whole ListRecipient")
    best = min(per_key.requests, whole.requests)
    return Minimum(
        small.requests + best,
        f"small side {small.words()}; 1 key. {per_key.words()}; vs {whole.words()}; "
        f"{small.requests} + {best}",
    )


def _member_lists(prober: Prober, facts: Facts) -> Minimum:
    contact = prober.read("contact", (("Email", facts.member_email),), "Contact (Email=...)")
    contact_id = prober.rows("contact", (("Email", facts.member_email),))[0]["ID"]
    memberships = prober.read(
        "listrecipient", (("Contact", str(contact_id)),), "ListRecipient (Contact=id)"
    )
    keys = {row["ListID"] for row in prober.rows("listrecipient", (("Contact", str(contact_id)),))}
    whole = prober.read("contactslist", (), "whole List")
    best = min(len(keys), whole.requests)
    return Minimum(
        contact.requests + memberships.requests + best,
        f"{contact.words()}; {memberships.words()}; then List: {len(keys)} keys (one GET each) "
        f"vs {whole.words()}; {contact.requests} + {memberships.requests} + {best}",
    )


def _starred_join(prober: Prober, facts: Facts) -> Minimum:
    small = prober.read("campaign", (("IsStarred", "true"),), "Campaign (IsStarred=true)")
    keys = sorted({int(row["ID"]) for row in prober.rows("campaign", (("IsStarred", "true"),))})
    per_key = [prober.read("message", (("Campaign", str(k)),), f"Campaign={k}") for k in keys]
    per_key_total = sum(c.requests for c in per_key)
    whole = prober.read("message", (), "whole Message")
    best = min(per_key_total, whole.requests)
    sizes = ", ".join(f"{c.rows:,}" for c in per_key)
    return Minimum(
        small.requests + best,
        f"small side {small.words()}; {len(keys)} keys, messages per key N = {sizes} "
        f"-> {per_key_total} requests; vs {whole.words()}; {small.requests} + {best}",
    )


BOUNCED = ("softbounced", "hardbounced")


def _bounce_join(prober: Prober, facts: Facts) -> Minimum:
    params = (("Campaign", str(facts.campaign_id)),)
    small = prober.read("message", params, "Message (Campaign=id)")
    keys = {
        row["ContactID"] for row in prober.rows("message", params) if row.get("Status") in BOUNCED
    }
    whole = prober.read("contact", (), "whole Contact")
    best = min(len(keys), whole.requests)
    return Minimum(
        small.requests + best,
        f"small side {small.words()}; {len(keys)} bounced contacts (one GET each) "
        f"vs {whole.words()}; {small.requests} + {best}",
    )


def _offset_rows(prober: Prober, facts: Facts) -> int:
    return max(0, min(10, facts.contact_total - 500))


SUITE: tuple[BenchQuery, ...] = (
    # -- one table, equality and ids
    BenchQuery(
        "q01",
        "single table",
        "SELECT ID, Name, SubscriberCount FROM List WHERE IsDeleted = false ORDER BY Name",
        _no_params,
        one_read("contactslist", lambda f: (("IsDeleted", "false"),)),
    ),
    BenchQuery(
        "q02",
        "by id",
        "SELECT ID, Email, Name, CreatedAt FROM Contact WHERE ID = ?",
        lambda f: (f.contact_ids[0],),
        fixed(1, "one GET /contact/{id}"),
        lambda p, f: 1,
    ),
    BenchQuery(
        "q03",
        "by id",
        "SELECT ID, Email FROM Contact WHERE ID IN (?, ?, ?)",
        lambda f: f.contact_ids,
        fixed(3, "three ids, one GET /contact/{id} each"),
        lambda p, f: 3,
    ),
    BenchQuery(
        "q04",
        "equality (re-checked)",
        "SELECT * FROM Contact WHERE Email = ?",
        lambda f: (f.contact_email,),
        one_read("contact", lambda f: (("Email", f.contact_email),), "Contact (Email=...)"),
        lambda p, f: 1,
    ),
    BenchQuery(
        "q05",
        "sub-resource",
        "SELECT ListID, IsUnsub, SubscribedAt FROM ContactList WHERE ContactID = ?",
        lambda f: (f.contact_ids[0],),
        fixed(1, "GET /contact/{id}/getcontactslists is answered in one response: 1 request"),
    ),
    # -- filter families
    BenchQuery(
        "q06",
        "LIKE prefix",
        "SELECT ID, Email FROM Contact WHERE Email LIKE 'anna%'",
        _no_params,
        one_read("contact", lambda f: (("EmailLLike", "anna"),)),
    ),
    BenchQuery(
        "q07",
        "LIKE suffix",
        "SELECT ID, Email, CreatedAt FROM Contact WHERE Email LIKE '%@oldisp.test'",
        _no_params,
        one_read("contact", lambda f: (("EmailRLike", "@oldisp.test"),)),
    ),
    BenchQuery(
        "q08",
        "LIKE contains",
        "SELECT ID, Email FROM Contact WHERE Email LIKE '%son%'",
        _no_params,
        one_read("contact", lambda f: (("EmailLike", "son"),)),
    ),
    BenchQuery(
        "q09",
        "ILIKE prefix",
        "SELECT ID, Email FROM Contact WHERE Email ILIKE 'ANNA%'",
        _no_params,
        one_read("contact", lambda f: (("EmailLLikeCI", "ANNA"),)),
    ),
    BenchQuery(
        "q10",
        "boolean",
        "SELECT ID, Email FROM Contact WHERE IsExcludedFromCampaigns = true",
        _no_params,
        one_read("contact", lambda f: (("IsExcludedFromCampaigns", "true"),)),
    ),
    BenchQuery(
        "q11",
        "pseudo-column",
        "SELECT ID, Email FROM Contact WHERE ContactsList = ?",
        lambda f: (f.small_list_id,),
        one_read(
            "contact",
            lambda f: (("ContactsList", str(f.small_list_id)),),
            "Contact (ContactsList=small list)",
        ),
    ),
    BenchQuery(
        "q12",
        "two filters",
        "SELECT ContactID, UnsubscribedAt FROM ListRecipient WHERE ListID = ? AND IsUnsubscribed = true",
        lambda f: (f.small_list_id,),
        one_read(
            "listrecipient", lambda f: (("ContactsList", str(f.small_list_id)), ("Unsub", "true"))
        ),
    ),
    BenchQuery(
        "q13",
        "time range",
        "SELECT ID, ArrivedAt, Status FROM Message WHERE ArrivedAt >= ? AND ArrivedAt < ?",
        lambda f: (f.window_start, f.window_end),
        one_read(
            "message",
            lambda f: (
                ("FromTS", _ts(f.window_start - timedelta(seconds=1))),
                ("ToTS", _ts(f.window_end)),
            ),
            "Message (FromTS=start-1s, exclusive; ToTS=end)",
        ),
    ),
    BenchQuery(
        "q14",
        "not pushable, small table",
        "SELECT ID, Subject FROM CampaignDraft WHERE Status = 2",
        _no_params,
        one_read("campaigndraft", label="whole CampaignDraft (Status is never pushed)"),
    ),
    BenchQuery(
        "q15",
        "boolean + sort",
        "SELECT ID, Subject, SendStartAt FROM Campaign WHERE IsStarred = true ORDER BY ID DESC",
        _no_params,
        one_read("campaign", lambda f: (("IsStarred", "true"),)),
    ),
    # -- COUNT
    BenchQuery(
        "q16",
        "COUNT",
        "SELECT COUNT(*) FROM Contact",
        _no_params,
        fixed(1, "one countOnly request"),
    ),
    BenchQuery(
        "q17",
        "COUNT",
        "SELECT COUNT(*) FROM Contact WHERE ContactsList = ?",
        lambda f: (f.big_list_id,),
        fixed(1, "exact filter: one countOnly request"),
    ),
    BenchQuery(
        "q18",
        "COUNT",
        "SELECT COUNT(*) FROM Message WHERE CampaignID = ?",
        lambda f: (f.campaign_id,),
        fixed(1, "exact filter: one countOnly request"),
    ),
    BenchQuery(
        "q19",
        "COUNT",
        "SELECT COUNT(*) FROM Contact WHERE IsExcludedFromCampaigns = true AND ContactsList = ?",
        lambda f: (f.big_list_id,),
        fixed(1, "two exact filters: one countOnly request"),
    ),
    BenchQuery(
        "q20",
        "COUNT (inexact filter)",
        "SELECT COUNT(*) FROM Contact WHERE Email LIKE '%@oldisp.test'",
        _no_params,
        one_read(
            "contact",
            lambda f: (("EmailRLike", "@oldisp.test"),),
            "EmailRLike is re-checked, so rows are read: Contact (EmailRLike)",
        ),
    ),
    # -- ORDER BY ... LIMIT
    BenchQuery(
        "q21",
        "ORDER BY LIMIT",
        "SELECT Email, CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 20",
        _no_params,
        top_n(20, "CreatedAt DESC"),
        lambda p, f: 20,
    ),
    BenchQuery(
        "q22",
        "ORDER BY LIMIT",
        "SELECT ID, ArrivedAt, Status FROM Message ORDER BY ArrivedAt DESC LIMIT 100",
        _no_params,
        top_n(100, "ArrivedAt DESC"),
        lambda p, f: 100,
    ),
    BenchQuery(
        "q23",
        "ORDER BY LIMIT",
        "SELECT ID, Email FROM Contact WHERE ContactsList = ? ORDER BY CreatedAt DESC LIMIT 10",
        lambda f: (f.small_list_id,),
        top_n(10, "CreatedAt DESC with ContactsList=id"),
        lambda p, f: 10,
    ),
    BenchQuery(
        "q24",
        "ORDER BY LIMIT",
        "SELECT Email, CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 2500",
        _no_params,
        top_n(2500, "CreatedAt DESC"),
        lambda p, f: min(2500, f.contact_total),
    ),
    BenchQuery(
        "q25",
        "ORDER BY LIMIT (not sortable)",
        "SELECT Email, LastActivityAt FROM Contact ORDER BY LastActivityAt DESC LIMIT 10",
        _no_params,
        one_read("contact", label="LastActivityAt is not sortable, every contact is read: Contact"),
        lambda p, f: 10,
    ),
    BenchQuery(
        "q26",
        "LIMIT OFFSET",
        "SELECT ID, Email FROM Contact LIMIT 10 OFFSET 500",
        _no_params,
        fixed(1, "no ORDER BY, nothing local: one page Limit=10&Offset=500"),
        _offset_rows,
    ),
    # -- aggregates
    BenchQuery(
        "q27",
        "aggregate",
        "SELECT split_part(Email, '@', 2) AS domain, COUNT(*) AS contacts FROM Contact "
        "GROUP BY domain ORDER BY contacts DESC LIMIT 10",
        _no_params,
        one_read("contact", label="every contact: Contact"),
    ),
    BenchQuery(
        "q28",
        "aggregate",
        "SELECT date_trunc('month', CreatedAt) AS month, COUNT(*) AS signups FROM Contact "
        "WHERE ContactsList = ? GROUP BY month ORDER BY month",
        lambda f: (f.big_list_id,),
        one_read(
            "contact",
            lambda f: (("ContactsList", str(f.big_list_id)),),
            "Contact (ContactsList=biggest list)",
        ),
    ),
    BenchQuery(
        "q29",
        "aggregate",
        "SELECT AVG(DeliveredCount) AS avg_delivered, MAX(LastActivityAt) AS last_activity FROM Contact "
        "WHERE IsExcludedFromCampaigns = false",
        _no_params,
        one_read("contact", lambda f: (("IsExcludedFromCampaigns", "false"),)),
    ),
    BenchQuery(
        "q30",
        "aggregate",
        "SELECT Status, COUNT(*) AS messages FROM Message WHERE CampaignID = ? GROUP BY Status",
        lambda f: (f.campaign_id,),
        one_read("message", lambda f: (("Campaign", str(f.campaign_id)),)),
    ),
    # -- joins
    BenchQuery(
        "q31",
        "dependent join",
        "SELECT lr.ContactID, lr.SubscribedAt FROM List l JOIN ListRecipient lr ON lr.ListID = l.ID "
        "WHERE l.Name = ?",
        lambda f: (f.small_list_name,),
        _list_join,
    ),
    BenchQuery(
        "q32",
        "three-table join",
        "SELECT l.Name, lr.SubscribedAt FROM Contact c JOIN ListRecipient lr ON lr.ContactID = c.ID "
        "JOIN List l ON l.ID = lr.ListID WHERE c.Email = ?",
        lambda f: (f.member_email,),
        _member_lists,
    ),
    BenchQuery(
        "q33",
        "join + aggregate",
        "SELECT c.Subject, m.Status, COUNT(*) AS messages FROM Campaign c JOIN Message m ON m.CampaignID = c.ID "
        "WHERE c.IsStarred = true GROUP BY ALL ORDER BY ALL",
        _no_params,
        _starred_join,
    ),
    BenchQuery(
        "q34",
        "dependent join",
        "SELECT c.Email, c.Name FROM Message m JOIN Contact c ON c.ID = m.ContactID "
        "WHERE m.CampaignID = ? AND m.Status IN ('softbounced', 'hardbounced')",
        lambda f: (f.campaign_id,),
        _bounce_join,
    ),
    # -- contradictions
    BenchQuery(
        "q35",
        "contradiction",
        "SELECT * FROM Contact WHERE ID = 1 AND ID = 2",
        _no_params,
        fixed(0, "ID = 1 AND ID = 2 is always false: no request"),
        lambda p, f: 0,
    ),
    BenchQuery(
        "q36",
        "contradiction",
        "SELECT COUNT(*) FROM Contact WHERE IsExcludedFromCampaigns = true AND IsExcludedFromCampaigns = false",
        _no_params,
        fixed(0, "a boolean both true and false: no request"),
    ),
)


# ------------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class QueryOutcome:
    """One query's measured cost next to its minimum."""

    query: BenchQuery
    params: tuple[object, ...]
    minimum: Minimum
    served: int  # requests the server served for the query
    engine_requests: int | None  # cursor.stats.requests (None if the query failed)
    rows: int | None
    expected_rows: int | None
    elapsed_s: float
    error: str | None = None
    calls: tuple[str, ...] = ()  # the requests served, kept when the query missed its minimum
    retries: int = 0  # requests the client repeated (a timeout, a dropped connection, a 429)

    @property
    def at_minimum(self) -> bool:
        return self.error is None and self.served == self.minimum.requests

    @property
    def stats_agree(self) -> bool:
        return self.engine_requests == self.served

    @property
    def rows_ok(self) -> bool:
        return self.expected_rows is None or self.rows == self.expected_rows


@dataclass(frozen=True)
class SuiteResult:
    facts: Facts
    outcomes: tuple[QueryOutcome, ...] = field(default_factory=tuple)

    @property
    def at_minimum(self) -> int:
        return sum(1 for o in self.outcomes if o.at_minimum)


def _client_retries(connection: Any) -> int:
    """The requests the connection's API client has repeated so far (0 before its first)."""
    engine = getattr(connection, "engine", None)
    if engine is None or not engine.client_built:
        return 0
    return int(engine.client.stats.retries)


def run_suite(
    connection: Any,
    counter: RequestCounter,
    prober: Prober,
    queries: Sequence[BenchQuery] = SUITE,
    facts: Facts | None = None,
) -> SuiteResult:
    """Run ``queries`` on ``connection`` (cache off), counting what the server serves for each."""
    facts = facts or resolve_facts(prober)
    outcomes = []
    cursor = connection.cursor()
    for query in queries:
        params = query.params(facts)
        minimum = query.minimum(prober, facts)
        expected = query.expected_rows(prober, facts) if query.expected_rows else None
        counter.clear()
        retried_before = _client_retries(connection)
        started = time.perf_counter()
        error = None
        rows: int | None = None
        engine: int | None = None
        try:
            cursor.execute(query.sql, list(params) or None)
            rows = len(cursor.fetchall())
            engine = cursor.stats.requests
        except Exception as exc:  # a failing query is reported, not fatal to the run
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        served = counter.count().requests
        calls = counter.calls() if served != minimum.requests or error else ()
        retries = _client_retries(connection) - retried_before
        outcomes.append(
            QueryOutcome(
                query,
                params,
                minimum,
                served,
                engine,
                rows,
                expected,
                elapsed,
                error,
                calls,
                retries,
            )
        )
    return SuiteResult(facts, tuple(outcomes))
