"""ApiClient against the sandbox: request plans from its log, faults, rate limits, auth, writes, real sockets."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest

from mjquery import errors
from mjquery.api import ApiClient, ApiConfig, Page, RetryPolicy, item_path, resource_path
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig, SandboxServer
from tests.fake_clock import FakeClock
from tests.sandbox_fixtures import contact, small_account

CONTACTS = "/v3/REST/contact"
FAST_RETRY = RetryPolicy(max_attempts=8, backoff_base=0.005, backoff_max=0.05)


def make_sandbox(n_contacts: int, clock: FakeClock | None = None, **knobs: object) -> Sandbox:
    account = small_account()
    account.resources["contact"] = [
        contact(i, f"user{i:05d}@example.com", CreatedAt="2024-01-01T10:00:00Z")
        for i in range(1, n_contacts + 1)
    ]
    config = SandboxConfig(**knobs)  # type: ignore[arg-type]
    if clock is None:
        return Sandbox(data=account, config=config)
    return Sandbox(data=account, config=config, clock=clock)


def make_client(sb: Sandbox, clock: FakeClock | None = None, **overrides: object) -> ApiClient:
    settings: dict[str, object] = {
        "api_key": DEMO_API_KEY,
        "api_secret": DEMO_API_SECRET,
        "retry": FAST_RETRY,
    }
    settings.update(overrides)
    config = ApiConfig(**settings)  # type: ignore[arg-type]
    if clock is None:
        return ApiClient(config, transport=sb.transport())
    return ApiClient(config, transport=sb.transport(), clock=clock)


def set_knobs(sb: Sandbox, **knobs: object) -> None:
    sb.config = dataclasses.replace(sb.config, **knobs)  # type: ignore[arg-type]


def emails(pages: Iterator[list[dict]] | list[list[dict]]) -> list[str]:
    return [row["Email"] for page in pages for row in page]


ALL_EMAILS = [f"user{i:05d}@example.com" for i in range(1, 2501)]


@pytest.fixture(scope="module")
def big() -> Sandbox:
    return make_sandbox(2500)


def test_a_full_scan_asks_for_1000_rows_a_page_and_counts_once(big: Sandbox) -> None:
    big.log.clear()
    with make_client(big) as api:
        got = emails(api.scan(CONTACTS))
    assert got == ALL_EMAILS
    gets = big.log.requests("GET", CONTACTS)
    assert len(gets) == 4
    assert [r.param("countOnly") for r in gets].count("1") == 1
    pages = sorted(
        (int(r.param("Offset") or 0), r.param("Limit"))
        for r in gets
        if r.param("countOnly") is None
    )
    # without a caller's limit the last page asks for a full page too: rows added since the count arrive
    assert pages == [(0, "1000"), (1000, "1000"), (2000, "1000")]


def test_a_small_result_is_one_request(big: Sandbox) -> None:
    big.log.clear()
    with make_client(big) as api:
        got = emails(api.scan(CONTACTS, limit=20, offset=100))
    assert got == ALL_EMAILS[100:120]
    assert [(r.param("Limit"), r.param("Offset")) for r in big.log] == [("20", "100")]


def test_count_is_one_countonly_request(big: Sandbox) -> None:
    big.log.clear()
    with make_client(big) as api:
        assert api.count(CONTACTS) == 2500
    assert [r.params for r in big.log] == [(("countOnly", "1"),)]


def test_faults_drops_and_truncations_are_retried_without_losing_or_repeating_rows() -> None:
    sb = make_sandbox(2500, fault_rate=0.2, drop_rate=0.1, truncate_rate=0.1, fault_seed=7)
    with make_client(sb, page_size=250, max_concurrency=4) as api:
        got = emails(api.scan(CONTACTS))
        stats = api.stats
    assert got == ALL_EMAILS
    seen = {r.status for r in sb.log}
    assert 0 in seen and seen & {500, 502, 503}  # the sandbox did drop and fail requests
    # 11 useful answers (first page, count, 9 pages); every other request was a retry
    assert stats.requests == len(sb.log) and stats.retries == len(sb.log) - 11 > 0


def test_the_sandbox_rate_limit_never_surfaces_as_an_error() -> None:
    clock = FakeClock()  # the client and the sandbox's one-second window share it: no real waits
    sb = make_sandbox(1500, clock, rate_limit=25)
    # The backoff must be able to outlast the API's one-second window (the default policy's does).
    patient = RetryPolicy(max_attempts=6, backoff_base=0.1, backoff_max=1.0)
    with make_client(sb, clock, page_size=50, max_concurrency=8, retry=patient) as api:
        got = emails(api.scan(CONTACTS))
        stats = api.stats
    assert len(got) == 1500
    throttled = sum(1 for r in sb.log if r.status == 429)
    assert throttled > 0 and stats.throttled == throttled


def test_a_client_side_rate_limit_under_the_servers_avoids_429s() -> None:
    clock = FakeClock()
    sb = make_sandbox(1200, clock, rate_limit=40)
    with make_client(sb, clock, page_size=100, max_concurrency=8, rate_limit_per_second=30) as api:
        got = emails(api.scan(CONTACTS))
    assert len(got) == 1200
    # 13 requests at 30 a second: the pacing took 12 intervals of fake time, not real time.
    assert clock.waited >= 12 / 30 * 0.99
    assert [r.status for r in sb.log].count(429) == 0
    assert len(sb.log) == 1 + 1 + 11


def test_a_refused_key_pair_is_one_request_and_a_message_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sb = make_sandbox(3)
    caplog.set_level(logging.DEBUG, logger="mjquery.api")
    secret = "not-the-demo-secret-0123"
    api = ApiClient(
        ApiConfig(api_key=DEMO_API_KEY, api_secret=secret, retry=FAST_RETRY),
        transport=sb.transport(),
    )
    with api, pytest.raises(errors.OperationalError) as info:
        list(api.scan(CONTACTS))
    assert "refused the API key pair (HTTP 401)" in str(info.value)
    assert [r.status for r in sb.log] == [401]
    assert secret not in str(info.value) + repr(info.value) + repr(api) + caplog.text


def test_the_cache_answers_repeats_and_a_write_refreshes_it() -> None:
    sb = make_sandbox(5)
    with make_client(sb) as api:
        assert api.count(CONTACTS) == 5
        assert api.count(CONTACTS) == 5
        assert len(sb.log) == 1
        api.post(resource_path("contact"), {"Email": "new@example.com"})
        assert api.count(CONTACTS) == 6
        assert api.stats.cache_hits == 1
    assert [(r.method, r.status) for r in sb.log] == [("GET", 200), ("POST", 201), ("GET", 200)]


def test_duplicate_email_is_an_integrity_error_and_unknown_contact_is_not_found() -> None:
    sb = make_sandbox(2)
    with make_client(sb) as api:
        with pytest.raises(
            errors.IntegrityError,
            match=r'MJ18 A Contact resource with value "user00001@example.com"',
        ):
            api.post(resource_path("contact"), {"Email": "user00001@example.com"})
        with pytest.raises(
            errors.ProgrammingError, match=r"Not found: GET /v3/REST/contact/nobody%2Bx@example.com"
        ):
            api.get(item_path("contact", "nobody+x@example.com"))
        assert (
            api.get(item_path("contact", "user00002@example.com")).data[0]["Email"]
            == "user00002@example.com"
        )


def _read_back(api: ApiClient, sb: Sandbox, email: str, **knobs: object) -> Page:
    set_knobs(sb, **knobs)  # the read-back itself goes through
    return api.get(CONTACTS, {"Email": email})


def test_a_dropped_answer_to_a_post_is_resolved_by_reading_back_not_by_resending() -> None:
    sb = make_sandbox(2, drop_rate=1.0)
    with make_client(sb) as api:
        created = api.post(
            resource_path("contact"),
            {"Email": "new@example.com"},
            verify=lambda: _read_back(api, sb, "new@example.com", drop_rate=0.0),
        )
    assert created.data[0]["Email"] == "new@example.com"
    assert [(r.method, r.status) for r in sb.log] == [("POST", 0), ("GET", 200)]


def test_a_post_that_failed_with_5xx_is_sent_again_once_reading_back_shows_it_missing() -> None:
    sb = make_sandbox(2, fault_rate=1.0, fault_statuses=(503,))
    with make_client(sb) as api:
        created = api.post(
            resource_path("contact"),
            {"Email": "new@example.com"},
            verify=lambda: _read_back(api, sb, "new@example.com", fault_rate=0.0),
        )
    assert created.data[0]["Email"] == "new@example.com"
    assert [(r.method, r.status) for r in sb.log] == [("POST", 503), ("GET", 200), ("POST", 201)]


def test_a_dropped_post_without_verify_says_the_outcome_is_unknown() -> None:
    sb = make_sandbox(2, drop_rate=1.0)
    with (
        make_client(sb) as api,
        pytest.raises(errors.OperationalError, match=r"may or may not have been applied"),
    ):
        api.post(resource_path("contact"), {"Email": "new@example.com"})
    assert [(r.method, r.status) for r in sb.log] == [("POST", 0)]


@pytest.mark.server
def test_the_client_works_over_real_sockets_on_loopback() -> None:
    sb = make_sandbox(1200)
    with (
        SandboxServer(sb, host="127.0.0.1", port=0) as server,
        ApiClient(
            ApiConfig(
                base_url=server.url,
                api_key=DEMO_API_KEY,
                api_secret=DEMO_API_SECRET,
                retry=FAST_RETRY,
            )
        ) as api,
    ):
        got = emails(api.scan(CONTACTS))
    assert len(got) == 1200 and len(set(got)) == 1200
    assert len(sb.log) == 3


def test_a_501_fault_fails_at_once_with_the_apis_message() -> None:
    sb = make_sandbox(2, fault_rate=1.0, fault_statuses=(501,))
    with make_client(sb) as api, pytest.raises(errors.OperationalError) as info:
        api.get(CONTACTS)
    assert str(info.value) == (
        "The Mailjet API failed on GET /v3/REST/contact (HTTP 501): "
        "Internal server error (injected by the sandbox)"
    )
    assert [(r.method, r.status) for r in sb.log] == [("GET", 501)]


def test_a_transient_5xx_fault_is_still_retried() -> None:
    sb = make_sandbox(2, fault_rate=1.0, fault_statuses=(503,))
    with (
        make_client(
            sb, retry=RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)
        ) as api,
        pytest.raises(errors.OperationalError, match=r"HTTP 503\) after 3 attempts"),
    ):
        api.get(CONTACTS)
    assert [r.status for r in sb.log] == [503, 503, 503]


def test_a_path_the_api_has_no_handler_for_is_not_retried() -> None:
    sb = make_sandbox(2)
    with make_client(sb) as api, pytest.raises(errors.OperationalError) as info:
        api.get("/v3/wrongresourcepath")
    assert str(info.value) == (
        "The Mailjet API failed on GET /v3/wrongresourcepath (HTTP 500): "
        'Could not determine HTTP module for request "wrongresourcepath"'
    )
    assert [(r.method, r.status) for r in sb.log] == [("GET", 500)]


def test_after_a_429_the_client_slows_down_by_itself() -> None:
    clock = FakeClock()
    sb = make_sandbox(1500, clock, rate_limit=25)
    patient = RetryPolicy(max_attempts=8, backoff_base=0.1, backoff_max=1.0)
    with make_client(sb, clock, page_size=25, max_concurrency=16, retry=patient) as api:
        got = emails(api.scan(CONTACTS))
        stats = api.stats
    assert len(got) == 1500
    throttled = [r.status for r in sb.log].count(429)
    # 61 useful requests at 16 in flight; without adapting the pace, 60-80 of them were refused
    # (the bound leaves room for a busy machine, where answers bunch up; it is far below 60)
    assert 0 < throttled <= 15 and stats.throttled == throttled
