"""ApiClient against a scripted Mailjet double (httpx.MockTransport): paging, retries, cache, writes, secrecy."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from mjquery import errors
from mjquery.api import (
    ApiClient,
    ApiConfig,
    ApiOutcomeUnknownError,
    ApiRateLimitError,
    ApiUnreachableError,
    Page,
    RetryPolicy,
    item_path,
)
from tests.fake_clock import FakeClock

KEY = "public-key-0123456789"
SECRET = "private-secret-abcdefgh"
CONTACTS = "/v3/REST/contact"

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_max=0.005)


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]


Fault = Callable[[httpx.Request], "httpx.Response | None"]


@dataclass
class FakeMailjet:
    """Enough of Mailjet v3 for the client: contacts with Limit/Offset/countOnly, writes, faults.

    ``faults`` are consumed one per request, in order, before normal handling: each returns a
    response to send instead, raises an httpx error, or returns None to serve normally.
    """

    n_contacts: int = 0
    latency: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.contacts = [
            {"ID": 1152921509561800000 + i, "Email": f"user{i}@example.com", "Name": f"User {i}"}
            for i in range(self.n_contacts)
        ]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def requests(self, method: str = "GET") -> list[Seen]:
        return [s for s in self.seen if s.method == method]

    def handle(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        with self.lock:
            self.seen.append(Seen(request.method, request.url.path, params))
            fault = self.faults.pop(0) if self.faults else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if request.headers.get("Authorization") != httpx.BasicAuth(KEY, SECRET)._auth_header:
                return httpx.Response(
                    401,
                    headers={"WWW-Authenticate": 'Basic realm="Provide an apiKey and secretKey"'},
                )
            if fault is not None:
                answer = fault(request)
                if answer is not None:
                    return answer
            return self.serve(request, params)
        finally:
            with self.lock:
                self.in_flight -= 1

    def serve(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        path = request.url.path
        lower = {k.lower(): v for k, v in params.items()}
        if request.method == "GET" and path == CONTACTS:
            rows = self.contacts
            if "email" in lower:
                rows = [r for r in rows if r["Email"] == lower["email"]]
            if lower.get("countonly") == "1":
                return envelope([], total=len(rows))
            limit = int(lower.get("limit", "10")) or 1000
            offset = int(lower.get("offset", "0"))
            page = rows[offset : offset + min(limit, 1000)]
            return envelope(page)
        if path.startswith(CONTACTS + "/"):
            key = path.rsplit("/", 1)[1]
            found = [r for r in self.contacts if key in (str(r["ID"]), r["Email"])]
            if not found:
                return error(404, "Object not found")
            if request.method == "GET":
                return envelope(found)
            if request.method == "PUT":
                changes = orjson.loads(request.content)
                if all(found[0].get(k) == v for k, v in changes.items()):
                    return httpx.Response(304)
                found[0].update(changes)
                return envelope(found)
            if request.method == "DELETE":
                self.contacts.remove(found[0])
                return httpx.Response(204)
        if request.method == "POST" and path == CONTACTS:
            body = orjson.loads(request.content)
            if any(r["Email"] == body["Email"] for r in self.contacts):
                return error(
                    400,
                    f'MJ18 A Contact resource with value "{body["Email"]}" for Email already exists.',
                )
            row = {"ID": 1152921509561800000 + len(self.contacts) + 1000, **body}
            self.contacts.append(row)
            return envelope([row], status=201)
        if request.method == "GET" and path == "/v3/REST/contactslist":
            return envelope([{"ID": 7, "Name": "Newsletter"}])
        return error(400, "Unknown resource")


def envelope(rows: list[dict], *, total: int | None = None, status: int = 200) -> httpx.Response:
    n = len(rows) if total is None else total
    return httpx.Response(
        status,
        content=orjson.dumps({"Count": n, "Data": rows, "Total": n}),
        headers={"Content-Type": "application/json"},
    )


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=orjson.dumps({"ErrorInfo": "", "ErrorMessage": message, "StatusCode": status}),
    )


def status_fault(status: int, headers: dict[str, str] | None = None) -> Fault:
    return lambda request: httpx.Response(
        status, headers=headers or {}, content=b'{"ErrorMessage":"boom"}'
    )


def raise_fault(exc_type: type[httpx.HTTPError]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return fault


def after_serving(exc_type: type[httpx.HTTPError], server: FakeMailjet) -> Fault:
    """The server applies the request, then the answer is lost."""

    def fault(request: httpx.Request) -> httpx.Response:
        server.serve(request, dict(request.url.params))
        raise exc_type("simulated", request=request)

    return fault


def truncated_fault(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Length": "500"}, content=b'{"Count": 1, "Data": [{"ID"'
    )


def make_client(
    server: FakeMailjet, clock: FakeClock | None = None, **overrides: object
) -> ApiClient:
    settings: dict[str, object] = {
        "api_key": KEY,
        "api_secret": SECRET,
        "retry": FAST_RETRY,
        "page_size": 100,
    }
    settings.update(overrides)
    config = ApiConfig(**settings)  # type: ignore[arg-type]
    if clock is None:
        return ApiClient(config, transport=server.transport())
    return ApiClient(config, transport=server.transport(), clock=clock)


# ---------------------------------------------------------------------------------------- paging


def test_a_short_first_page_is_the_only_request() -> None:
    server = FakeMailjet(n_contacts=42)
    with make_client(server) as api:
        pages = list(api.scan(CONTACTS, {"Sort": "Email DESC"}))
    assert [len(p) for p in pages] == [42]
    assert [s.params for s in server.seen] == [
        {"Sort": "Email DESC", "Limit": "100", "Offset": "0"}
    ]


def test_a_full_scan_counts_once_then_fetches_the_rest_in_order() -> None:
    server = FakeMailjet(n_contacts=1050)
    progress: list[tuple[int, int | None]] = []
    with make_client(server) as api:
        pages = list(
            api.scan(CONTACTS, on_progress=lambda done, expected: progress.append((done, expected)))
        )
        stats = api.stats
    rows = [r for page in pages for r in page]
    assert [r["Email"] for r in rows] == [f"user{i}@example.com" for i in range(1050)]
    assert rows[7]["ID"] == 1152921509561800007  # 64-bit ids stay exact
    gets = server.seen
    assert len(gets) == 1 + 1 + 10
    assert [s.params for s in gets if "countOnly" in s.params] == [{"countOnly": "1"}]
    page_params = sorted(
        (int(s.params["Offset"]), int(s.params["Limit"])) for s in gets if "Offset" in s.params
    )
    assert page_params == [(o, 100) for o in range(0, 1100, 100)]
    assert progress[0] == (1, None) and progress[-1] == (11, 11)
    assert (stats.requests, stats.pages, stats.retries) == (12, 11, 0)


def test_rows_added_during_a_scan_are_still_read() -> None:
    server = FakeMailjet(n_contacts=250)
    grown = False

    def grow(request: httpx.Request) -> None:
        nonlocal grown
        if request.url.params.get("countOnly") and not grown:
            grown = True
            server.contacts.extend(
                {"ID": 9000 + i, "Email": f"late{i}@example.com"} for i in range(200)
            )
        return None

    server.faults = [
        grow
    ] * 2  # the first page, then the count (which sees the old total, then rows arrive)
    with make_client(server, max_concurrency=2) as api:
        rows = [r for page in api.scan(CONTACTS) for r in page]
    assert len(rows) == 450 and len({r["Email"] for r in rows}) == 450
    offsets = sorted(int(s.params["Offset"]) for s in server.seen if "Offset" in s.params)
    assert offsets == [0, 100, 200, 300, 400]


def test_limit_and_offset_cap_the_pages_requested() -> None:
    server = FakeMailjet(n_contacts=1000)
    with make_client(server) as api:
        rows = [r for page in api.scan(CONTACTS, limit=250, offset=10) for r in page]
    assert [r["Email"] for r in rows] == [f"user{i}@example.com" for i in range(10, 260)]
    limits = sorted(
        (int(s.params["Offset"]), int(s.params["Limit"]))
        for s in server.seen
        if "Offset" in s.params
    )
    assert limits == [(10, 100), (110, 100), (210, 50)]


def test_a_limit_beyond_the_first_page_needs_no_count() -> None:
    server = FakeMailjet(n_contacts=1000)
    with make_client(server) as api:
        rows = [r for page in api.scan(CONTACTS, {"Sort": "Email"}, limit=250) for r in page]
    assert len(rows) == 250
    assert sorted((s.params for s in server.seen), key=lambda p: int(p["Offset"])) == [
        {"Sort": "Email", "Limit": "100", "Offset": "0"},
        {"Sort": "Email", "Limit": "100", "Offset": "100"},
        {"Sort": "Email", "Limit": "50", "Offset": "200"},
    ]
    assert not any("countOnly" in s.params for s in server.seen)


def test_a_limit_past_the_matching_rows_stops_at_the_short_page() -> None:
    server = FakeMailjet(n_contacts=230)
    with make_client(server, max_concurrency=1) as api:
        rows = [r for page in api.scan(CONTACTS, limit=900) for r in page]
    assert [r["Email"] for r in rows] == [f"user{i}@example.com" for i in range(230)]
    offsets = [int(s.params["Offset"]) for s in server.seen]
    assert not any("countOnly" in s.params for s in server.seen)
    # the first page alone, then one page in flight at a time: the short page at 200 ends the scan
    assert offsets == [0, 100, 200]


def test_a_limit_within_the_first_page_costs_one_request() -> None:
    server = FakeMailjet(n_contacts=1000)
    with make_client(server) as api:
        pages = list(api.scan(CONTACTS, limit=30))
    assert [len(p) for p in pages] == [30]
    assert [s.params for s in server.seen] == [{"Limit": "30", "Offset": "0"}]


def test_limit_zero_sends_nothing() -> None:
    server = FakeMailjet(n_contacts=10)
    with make_client(server) as api:
        assert list(api.scan(CONTACTS, limit=0)) == []
    assert server.seen == []


def test_scan_fetches_concurrently_but_within_max_concurrency() -> None:
    server = FakeMailjet(n_contacts=2000, latency=0.02)
    with make_client(server, max_concurrency=4) as api:
        total_rows = sum(len(p) for p in api.scan(CONTACTS))
    assert total_rows == 2000
    # Four requests were in flight at once, never more: concurrent, and bounded.
    assert server.max_in_flight == 4


def test_scan_stays_a_bounded_window_ahead_of_a_slow_consumer() -> None:
    server = FakeMailjet(n_contacts=3000)
    with make_client(server, max_concurrency=3) as api:
        scan = api.scan(CONTACTS)
        next(scan)
        next(scan)
        time.sleep(0.1)  # let the workers run as far ahead as they may
        fetched_pages = sum(1 for s in server.seen if "Offset" in s.params)
        scan.close()
    # first page + the one consumed + 3 in flight and 3 answered, waiting for the consumer
    assert fetched_pages <= 1 + 1 + 2 * 3


def test_count_is_one_countonly_request() -> None:
    server = FakeMailjet(n_contacts=1234)
    with make_client(server) as api:
        assert api.count(CONTACTS, {"Email": "user5@example.com"}) == 1
        assert api.count(CONTACTS) == 1234
    assert [s.params for s in server.seen] == [
        {"Email": "user5@example.com", "countOnly": "1"},
        {"countOnly": "1"},
    ]


def test_scan_refuses_paging_parameters_in_params() -> None:
    with make_client(FakeMailjet()) as api, pytest.raises(errors.InterfaceError, match=r"Limit"):
        list(api.scan(CONTACTS, {"Limit": 5}))


def test_scan_raw_gives_each_page_as_json_bytes() -> None:
    server = FakeMailjet(n_contacts=150)
    with make_client(server) as api:
        raw = list(api.scan_raw(CONTACTS))
    assert [p.rows for p in raw] == [100, 50]
    assert orjson.loads(raw[1].data_json)[0] == {
        "ID": 1152921509561800100,
        "Email": "user100@example.com",
        "Name": "User 100",
    }


def test_parameters_are_encoded_as_the_api_reads_them() -> None:
    server = FakeMailjet()
    with make_client(server) as api:
        api.get(
            CONTACTS,
            {"IsExcludedFromCampaigns": False, "ContactsList": 7, "Sort": "CreatedAt DESC"},
        )
    assert server.seen[0].params == {
        "IsExcludedFromCampaigns": "false",
        "ContactsList": "7",
        "Sort": "CreatedAt DESC",
    }


def test_paths_that_are_not_plain_api_paths_are_refused() -> None:
    server = FakeMailjet()
    with make_client(server) as api:
        for bad in (
            "https://evil.example/v3/REST/contact",
            "//evil.example/x",
            "/v3/REST/../x",
            "/v3/REST/contact?Limit=1",
        ):
            with pytest.raises(errors.InterfaceError, match=r"Not an API path"):
                api.get(bad)
    assert server.seen == []


# --------------------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "fault",
    [
        status_fault(500),
        status_fault(502),
        status_fault(503),
        raise_fault(httpx.ReadTimeout),
        raise_fault(httpx.ReadError),
        raise_fault(httpx.RemoteProtocolError),
        raise_fault(httpx.ConnectError),
        truncated_fault,
    ],
    ids=["500", "502", "503", "timeout", "read-error", "dropped", "connect", "truncated"],
)
def test_get_is_retried_after_a_transient_failure(fault: Fault) -> None:
    server = FakeMailjet(n_contacts=3, faults=[fault, fault])
    with make_client(server) as api:
        page = api.get(CONTACTS, {"Limit": 10})
        stats = api.stats
    assert len(page.data) == 3
    assert len(server.seen) == 3 and stats.retries == 2 and stats.requests == 3


def test_get_gives_up_after_max_attempts_with_an_operational_error() -> None:
    server = FakeMailjet(faults=[status_fault(503)] * 10)
    with make_client(server) as api, pytest.raises(errors.OperationalError) as info:
        api.get(CONTACTS)
    assert (
        str(info.value)
        == "The Mailjet API failed on GET /v3/REST/contact (HTTP 503) after 4 attempts: boom"
    )
    assert len(server.seen) == 4


@pytest.mark.parametrize("status", [501, 505])
def test_a_permanent_server_error_fails_at_once_with_the_apis_message(status: int) -> None:
    server = FakeMailjet(n_contacts=3, faults=[status_fault(status)] * 10)
    with make_client(server) as api, pytest.raises(errors.OperationalError) as info:
        api.get(CONTACTS)
    assert (
        str(info.value) == f"The Mailjet API failed on GET /v3/REST/contact (HTTP {status}): boom"
    )
    assert len(server.seen) == 1 and api.stats.retries == 0


def test_the_unknown_path_500_is_not_retried_but_another_500_is() -> None:
    def efp(request: httpx.Request) -> httpx.Response:
        body = {
            "ErrorInfo": "EFPWebError",
            "ErrorMessage": 'Could not determine HTTP module for request "x"',
            "StatusCode": 500,
        }
        return httpx.Response(500, content=orjson.dumps(body))

    server = FakeMailjet(n_contacts=3, faults=[efp] * 10)
    with (
        make_client(server) as api,
        pytest.raises(errors.OperationalError, match=r"Could not determine HTTP module"),
    ):
        api.get(CONTACTS)
    assert len(server.seen) == 1
    server = FakeMailjet(n_contacts=3, faults=[status_fault(500)])
    with make_client(server) as api:
        assert len(api.get(CONTACTS, {"Limit": 10}).data) == 3
    assert len(server.seen) == 2


def test_a_write_answered_501_is_not_sent_again_nor_read_back() -> None:
    server = FakeMailjet(faults=[status_fault(501)] * 10)
    calls: list[int] = []
    with (
        make_client(server) as api,
        pytest.raises(errors.OperationalError, match=r"HTTP 501\): boom"),
    ):
        api.post(CONTACTS, {"Email": "a@b.c"}, verify=lambda: calls.append(1) or False)
    assert len(server.seen) == 1 and calls == []


def test_an_unreachable_api_is_an_operational_error_naming_the_host() -> None:
    server = FakeMailjet(faults=[raise_fault(httpx.ConnectError)] * 10)
    with make_client(server) as api, pytest.raises(ApiUnreachableError) as info:
        api.get(CONTACTS)
    assert isinstance(info.value, errors.OperationalError)
    assert str(info.value).startswith(
        "Cannot reach the Mailjet API at https://api.mailjet.com (GET /v3/REST/contact): "
        "could not connect"
    )
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_429_honours_retry_after_and_holds_back_every_request() -> None:
    clock = FakeClock()
    server = FakeMailjet(n_contacts=1, faults=[status_fault(429, {"Retry-After": "0.2"})])
    with make_client(server, clock) as api:
        started = clock.monotonic()
        page = api.get(CONTACTS)
        elapsed = clock.monotonic() - started
        stats = api.stats
    assert len(page.data) == 1 and elapsed == pytest.approx(0.2)
    assert (stats.throttled, stats.retries) == (1, 1)


def test_429_without_retry_after_backs_off_and_never_surfaces() -> None:
    clock = FakeClock()
    server = FakeMailjet(n_contacts=1, faults=[status_fault(429)] * 3)
    with make_client(server, clock) as api:
        assert len(api.get(CONTACTS).data) == 1
    assert len(server.seen) == 4
    assert len(clock.slept) == 3  # one backoff before each retry, on the fake clock


def test_429s_are_waited_out_for_minutes_with_exponential_backoff_and_said() -> None:
    # Mailjet publishes no limit and sends no Retry-After (mailjet-apiv3-java#217): the client
    # backs off 0.25, 0.5, 1, 2... s (with jitter, up to 60 s), and tells whoever shows progress.
    clock = FakeClock()
    server = FakeMailjet(n_contacts=1, faults=[status_fault(429)] * 10)
    notices: list[str] = []
    with make_client(server, clock) as api:
        api.on_wait = lambda notice: notices.append(str(notice))
        started = clock.monotonic()
        assert len(api.get(CONTACTS).data) == 1
        waited = clock.monotonic() - started
        stats = api.stats
    assert len(server.seen) == 11 and (stats.throttled, stats.retries) == (10, 10)
    waits = clock.slept
    assert len(waits) == 10
    for n, wait in enumerate(waits, start=1):
        full = min(60.0, 0.25 * 2.0 ** (n - 1))
        assert wait >= full / 2  # at least the backoff (the slowed pace may ask for more)
    assert waits[-1] >= 30  # the backoff grew to tens of seconds
    assert waited == pytest.approx(sum(waits)) and waited > 60  # a minute and more
    assert len(notices) == 10 and notices[0].startswith("rate limited by Mailjet, retrying in ")


def test_429_for_longer_than_max_wait_is_a_rate_limit_error() -> None:
    clock = FakeClock()
    server = FakeMailjet(faults=[status_fault(429)] * 100)
    with make_client(server, clock, max_wait=120) as api, pytest.raises(ApiRateLimitError) as info:
        api.get(CONTACTS)
    assert isinstance(info.value, errors.RateLimitError)
    message = str(info.value)
    assert "HTTP 429" in message and "(max_wait 2 min)" in message
    assert sum(clock.slept) <= 120
    assert 7 <= len(server.seen) <= 12  # 0.25, 0.5, 1... 32 s: about 10 tries in 2 minutes


def test_a_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    server = FakeMailjet(faults=[status_fault(429, {"Retry-After": "3600"})])
    with (
        make_client(server, FakeClock()) as api,
        pytest.raises(ApiRateLimitError, match=r"asks to wait 3600 s"),
    ):
        api.get(CONTACTS)
    assert len(server.seen) == 1


def test_client_side_rate_limit_paces_requests() -> None:
    clock = FakeClock()
    server = FakeMailjet(n_contacts=1)
    with make_client(server, clock, rate_limit_per_second=50, cache_ttl=0) as api:
        started = clock.monotonic()
        for _ in range(6):
            api.get(CONTACTS)
        elapsed = clock.monotonic() - started
    assert elapsed == pytest.approx(5 / 50)


def test_400_and_404_are_not_retried() -> None:
    server = FakeMailjet()
    with make_client(server) as api:
        with pytest.raises(
            errors.ProgrammingError,
            match=r"Not found: GET /v3/REST/contact/nobody@x.com \(HTTP 404\)",
        ):
            api.get(item_path("contact", "nobody@x.com"))
        with pytest.raises(errors.ProgrammingError, match=r"Unknown resource"):
            api.get("/v3/REST/contacts")
    assert len(server.seen) == 2


# ------------------------------------------------------------------------------------------ auth


def test_401_says_the_key_pair_was_refused_and_never_shows_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeMailjet()
    caplog.set_level(logging.DEBUG, logger="mjquery.api")
    api = ApiClient(
        ApiConfig(api_key=KEY, api_secret="wrong-" + SECRET, retry=FAST_RETRY),
        transport=server.transport(),
    )
    with api, pytest.raises(errors.AuthenticationError) as info:
        api.get(CONTACTS)
    message = str(info.value)
    assert "refused the API key pair (HTTP 401)" in message
    assert len(server.seen) == 1  # a refused key is not retried
    for text in (message, repr(info.value), repr(api), caplog.text):
        assert SECRET not in text and "Authorization" not in text


def test_logs_name_method_path_params_and_status_but_not_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeMailjet(n_contacts=2, faults=[status_fault(503)])
    caplog.set_level(logging.DEBUG, logger="mjquery.api")
    with make_client(server) as api:
        api.get(CONTACTS, {"Email": "user1@example.com"})
    assert "GET /v3/REST/contact {'Email': 'user1@example.com'} -> 503" in caplog.text
    assert "-> 200 in" in caplog.text
    assert SECRET not in caplog.text and KEY not in caplog.text


# ----------------------------------------------------------------------------------------- cache


def test_repeated_gets_are_answered_from_the_cache() -> None:
    server = FakeMailjet(n_contacts=5)
    with make_client(server) as api:
        first = api.get(CONTACTS, {"Limit": 3})
        first.data[0]["Name"] = "changed by the caller"
        second = api.get(CONTACTS, {"limit": 3})  # parameter names are case-insensitive for the API
        stats = api.stats
    assert len(server.seen) == 1 and stats.cache_hits == 1
    assert second.data[0]["Name"] == "User 0"  # each hit is a fresh copy


def test_the_cache_can_be_disabled_and_expires() -> None:
    server = FakeMailjet(n_contacts=5)
    with make_client(server, cache_ttl=0.05) as api:
        api.get(CONTACTS)
        time.sleep(0.06)
        api.get(CONTACTS)
        api.cache_enabled = False
        api.get(CONTACTS)
        api.get(CONTACTS)
    assert len(server.seen) == 4


def test_invalidate_drops_only_that_resource() -> None:
    server = FakeMailjet(n_contacts=5)
    with make_client(server) as api:
        api.get(CONTACTS)
        api.get("/v3/REST/contactslist")
        assert api.invalidate("Contact") == 1
        api.get(CONTACTS)
        api.get("/v3/REST/contactslist")
    assert [s.path for s in server.seen] == [CONTACTS, "/v3/REST/contactslist", CONTACTS]


def test_a_repeated_scan_is_served_from_the_cache() -> None:
    server = FakeMailjet(n_contacts=250)
    with make_client(server) as api:
        list(api.scan(CONTACTS))
        sent = len(server.seen)
        rows = sum(len(p) for p in api.scan(CONTACTS))
        stats = api.stats
    assert rows == 250 and len(server.seen) == sent == 4 and stats.cache_hits == 4


# ---------------------------------------------------------------------------------------- writes


def test_post_creates_and_a_duplicate_email_is_an_integrity_error() -> None:
    server = FakeMailjet(n_contacts=1)
    with make_client(server) as api:
        created = api.post(CONTACTS, {"Email": "new@example.com"})
        assert created.data[0]["Email"] == "new@example.com"
        with pytest.raises(
            errors.IntegrityError, match=r'MJ18 A Contact resource with value "user0@example.com"'
        ):
            api.post(CONTACTS, {"Email": "user0@example.com"})
    assert len(server.requests("POST")) == 2


def test_a_write_invalidates_cached_reads() -> None:
    server = FakeMailjet(n_contacts=1)
    with make_client(server) as api:
        assert api.count(CONTACTS) == 1
        api.post(CONTACTS, {"Email": "new@example.com"})
        assert api.count(CONTACTS) == 2


def test_put_returns_none_on_304_and_delete_returns_none() -> None:
    server = FakeMailjet(n_contacts=1)
    with make_client(server) as api:
        path = item_path("contact", "user0@example.com")
        assert api.put(path, {"Name": "User 0"}) is None
        updated = api.put(path, {"Name": "Renamed"})
        assert updated is not None and updated.data[0]["Name"] == "Renamed"
        assert api.delete(path) is None
    assert server.contacts == []


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_a_lost_answer_without_verify_is_an_unknown_outcome_not_a_retry(
    exc_type: type[httpx.HTTPError],
) -> None:
    server = FakeMailjet()
    server.faults = [after_serving(exc_type, server)]
    with make_client(server) as api, pytest.raises(ApiOutcomeUnknownError) as info:
        api.post(CONTACTS, {"Email": "new@example.com"})
    assert isinstance(info.value, errors.OperationalError)
    assert "may or may not have been applied" in str(info.value)
    assert len(server.requests("POST")) == 1


def test_a_lost_answer_is_resolved_by_reading_the_object_back() -> None:
    server = FakeMailjet()
    server.faults = [after_serving(httpx.ReadTimeout, server)]
    with make_client(server) as api:

        def verify() -> Page:
            return api.get(CONTACTS, {"Email": "new@example.com"})

        created = api.post(CONTACTS, {"Email": "new@example.com"}, verify=verify)
    assert created.data[0]["Email"] == "new@example.com"
    assert len(server.requests("POST")) == 1  # applied: not sent again
    assert [c["Email"] for c in server.contacts] == ["new@example.com"]


def test_a_write_that_did_not_land_is_sent_again_after_verify_says_so() -> None:
    server = FakeMailjet(faults=[status_fault(503)])
    checks: list[bool] = []
    with make_client(server) as api:

        def verify() -> bool:
            checks.append(bool(api.get(CONTACTS, {"Email": "new@example.com"}).data))
            return checks[-1]

        created = api.post(CONTACTS, {"Email": "new@example.com"}, verify=verify)
    assert checks == [False]
    assert created.data[0]["Email"] == "new@example.com"
    assert len(server.requests("POST")) == 2


def test_429_on_a_write_is_retried_because_the_api_refused_it() -> None:
    server = FakeMailjet(faults=[status_fault(429)])
    with make_client(server, FakeClock()) as api:
        api.post(CONTACTS, {"Email": "new@example.com"})
    assert len(server.requests("POST")) == 2 and len(server.contacts) == 1


def test_a_write_whose_connection_never_opened_is_retried() -> None:
    server = FakeMailjet(faults=[raise_fault(httpx.ConnectError)])
    with make_client(server) as api:
        api.post(CONTACTS, {"Email": "new@example.com"})
    assert len(server.requests("POST")) == 2 and len(server.contacts) == 1


def test_a_delete_with_a_lost_answer_is_confirmed_by_a_404() -> None:
    server = FakeMailjet(n_contacts=1)
    server.faults = [after_serving(httpx.ReadError, server)]
    with make_client(server) as api:
        path = item_path("contact", "user0@example.com")

        def gone() -> bool:
            try:
                api.get(path)
            except errors.ProgrammingError:
                return True
            return False

        api.delete(path, verify=gone)
    assert len(server.requests("DELETE")) == 1 and server.contacts == []


# ------------------------------------------------------------------------------ life cycle, misc


def test_progress_reports_pages_done_and_expected_with_a_limit() -> None:
    server = FakeMailjet(n_contacts=1000)
    progress: list[tuple[int, int | None]] = []
    with make_client(server) as api:
        list(
            api.scan(
                CONTACTS,
                limit=350,
                on_progress=lambda done, expected: progress.append((done, expected)),
            )
        )
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]  # with a limit the pages are known at once
    assert sorted(int(s.params["Limit"]) for s in server.seen if "Limit" in s.params) == [
        50,
        100,
        100,
        100,
    ]


def test_stats_are_snapshots_and_can_be_reset() -> None:
    server = FakeMailjet(n_contacts=3)
    with make_client(server) as api:
        api.get(CONTACTS)
        before = api.stats
        api.get(CONTACTS)
        assert (before.requests, before.cache_hits) == (1, 0)
        assert (api.stats.requests, api.stats.cache_hits) == (1, 1)
        api.reset_stats()
        assert api.stats.requests == 0 and api.stats.pages == 0


def test_a_closed_client_refuses_requests() -> None:
    api = make_client(FakeMailjet())
    api.close()
    api.close()  # idempotent
    with pytest.raises(errors.InterfaceError, match=r"closed"):
        api.get(CONTACTS)


def test_an_abandoned_scan_stops_fetching() -> None:
    server = FakeMailjet(n_contacts=5000, latency=0.01)
    with make_client(server, max_concurrency=2) as api:
        for _ in api.scan(CONTACTS):
            break
        time.sleep(0.1)
    assert len(server.seen) <= 1 + 1 + 2


def test_concurrent_callers_share_one_client_safely() -> None:
    server = FakeMailjet(n_contacts=600, latency=0.005)
    results: list[int] = []
    with make_client(server, cache_ttl=0) as api:

        def work() -> None:
            results.append(sum(len(p) for p in api.scan(CONTACTS)))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = api.stats
    assert results == [600] * 4
    assert stats.requests == 4 * (1 + 1 + 5) and stats.pages == 4 * 6
