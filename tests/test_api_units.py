"""API client building blocks: config validation and secrecy, paths, retry waits, limiter, cache, error mapping."""

from __future__ import annotations

import random

import orjson
import pytest

from mjquery import errors
from mjquery.api import (
    ApiAuthenticationError,
    ApiConfig,
    ApiDuplicateError,
    ApiNotFoundError,
    ApiRefusedError,
    ApiRequestError,
    ApiServerError,
    RetryPolicy,
    action_path,
    item_path,
    resource_of,
    resource_path,
)
from mjquery.api.cache import CacheKey, ResponseCache
from mjquery.api.errors import error_for_status
from mjquery.api.ratelimit import RateLimiter
from tests.fake_clock import FakeClock

SECRET = "s3cr3t-VALUE-never-shown"


# --------------------------------------------------------------------------------------- config


def test_config_repr_and_str_hide_the_secret_and_most_of_the_key() -> None:
    cfg = ApiConfig(api_key="0123456789abcdef", api_secret=SECRET)
    for text in (repr(cfg), str(cfg), f"{cfg}"):
        assert SECRET not in text
        assert "0123456789abcdef" not in text
        assert "0123…" in text and "<hidden>" in text


def test_default_base_url_is_mailjet_over_https() -> None:
    assert ApiConfig().base_url == "https://api.mailjet.com"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8025", "http://localhost:1234/", "http://[::1]:80"]
)
def test_plain_http_is_accepted_for_loopback(url: str) -> None:
    assert ApiConfig(base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "verified"), [("https://api.mailjet.com", True), ("http://127.0.0.1:8025", False)]
)
def test_certificates_are_checked_over_https_and_not_loaded_for_loopback_http(
    url: str, verified: bool
) -> None:
    import ssl

    from mjquery.api.client import build_http_client

    with build_http_client(ApiConfig(base_url=url, api_key="k", api_secret="s")) as http:
        context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert (context.verify_mode == ssl.CERT_REQUIRED) is verified
    assert context.check_hostname is verified


def test_plain_http_is_refused_for_a_remote_host() -> None:
    with pytest.raises(errors.InterfaceError, match=r"Refusing plain http:// for api.mailjet.com"):
        ApiConfig(base_url="http://api.mailjet.com")


def test_credentials_in_the_base_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(errors.InterfaceError) as info:
        ApiConfig(base_url=f"https://key:{SECRET}@api.mailjet.com")
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"page_size": 1001}, "page_size must be between 1 and 1000"),
        ({"page_size": 0}, "page_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"rate_limit_per_second": 0}, "rate_limit_per_second"),
        ({"timeout": 0}, "timeout"),
        ({"cache_ttl": -1}, "cache_ttl"),
    ],
)
def test_bad_settings_are_named(kwargs: dict, fragment: str) -> None:
    with pytest.raises(errors.InterfaceError, match=fragment):
        ApiConfig(**kwargs)


def test_retry_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_base=0.2, backoff_max=1.0)
    rng = random.Random(1)
    waits = [[policy.backoff(attempt, rng) for _ in range(50)] for attempt in range(2, 7)]
    for attempt_waits, full in zip(waits, [0.2, 0.4, 0.8, 1.0, 1.0], strict=True):
        assert all(full / 2 <= w <= full for w in attempt_waits)
    with pytest.raises(errors.InterfaceError):
        RetryPolicy(max_attempts=0)


# ---------------------------------------------------------------------------------------- paths


def test_item_path_percent_encodes_user_values() -> None:
    assert item_path("contact", "a+b@x.com") == "/v3/REST/contact/a%2Bb@x.com"
    assert item_path("contact", 42) == "/v3/REST/contact/42"
    assert item_path("contact", "../user") == "/v3/REST/contact/..%2Fuser"
    assert item_path("contact", "..") == "/v3/REST/contact/%2E%2E"
    assert item_path("contactmetadata", "static|age") == "/v3/REST/contactmetadata/static%7Cage"
    assert item_path("contact", "x?Limit=1&a=b") == "/v3/REST/contact/x%3FLimit%3D1%26a%3Db"


def test_paths_refuse_bad_resource_names_and_empty_keys() -> None:
    with pytest.raises(ValueError, match=r"resource"):
        resource_path("contact/../user")
    with pytest.raises(ValueError, match=r"empty"):
        item_path("contact", "")


def test_action_and_data_paths() -> None:
    assert (
        action_path("contact", "a@b.c", "getcontactslists")
        == "/v3/REST/contact/a@b.c/getcontactslists"
    )
    assert (
        action_path("contact", None, "managemanycontacts", 35800)
        == "/v3/REST/contact/managemanycontacts/35800"
    )
    assert resource_path("batchjob", api="DATA") == "/v3/DATA/batchjob"
    assert resource_of("/v3/REST/ContactsList/7/managecontact") == "contactslist"
    assert resource_of("/v3/DATA/contactslist/7/CSVData/text:plain") == "contactslist"
    assert resource_of("/v4/contacts/1") is None


# -------------------------------------------------------------------------------- rate limiter


def test_limiter_paces_requests_one_interval_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock=clock)
    starts = []
    for _ in range(5):
        limiter.acquire()
        starts.append(clock.now)
    assert starts == pytest.approx([100.0, 100.1, 100.2, 100.3, 100.4])


def test_limiter_pause_holds_every_caller_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock)
    assert limiter.acquire() == 0
    limiter.pause_until(clock.now + 2.5)
    assert limiter.acquire() == pytest.approx(2.5)
    assert limiter.acquire() == 0


def test_limiter_halves_towards_the_accepted_rate_on_429_and_creeps_back_up() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock)
    for _ in range(20):  # 20 answers in the last second, unpaced
        limiter.acquire()
        limiter.answered()
        clock.now += 0.05
    assert limiter.rate is None
    limiter.throttled()
    assert limiter.rate == pytest.approx(0.8 * 20)
    limiter.throttled()  # the rest of the same volley: no second cut
    assert limiter.rate == pytest.approx(16.0)
    starts = []
    for _ in range(3):
        limiter.acquire()
        starts.append(clock.now)
    assert starts[2] - starts[0] == pytest.approx(2 / 16.0)
    for _ in range(40):  # 4 s of answers without a 429: about +1/s per second
        clock.now += 0.1
        limiter.answered()
    assert limiter.rate == pytest.approx(20.0, abs=0.2)


def test_limiter_first_cut_counts_the_requests_started_not_only_those_answered() -> None:
    """A first volley refused because other traffic filled the API's window: the pace is cut
    from the rate the client was starting requests at, not from the one answer it had so far."""
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock)
    limiter.acquire()
    limiter.answered()  # the first page
    for _ in range(16):  # then 16 requests at once, refused
        limiter.acquire()
    clock.now += 0.05
    limiter.throttled()
    assert limiter.rate == pytest.approx(0.8 * 17)


def test_limiter_a_refused_first_request_sets_no_pace_and_waits_one_window() -> None:
    """The very first request refused (the API's window was full of other traffic): nothing was
    accepted, so the refusal says nothing of the limit. No pace is set (a pace of 1/s took 10 s to
    creep back to a 10/s limit); the next request waits one window, by which time the traffic
    that filled it has left it. The next 429, with answers to go by, cuts the pace as usual."""
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock)
    limiter.acquire()
    clock.now += 0.05
    refused_at = clock.now
    limiter.throttled()
    assert limiter.rate is None
    assert limiter.acquire() == pytest.approx(1.0)
    assert clock.now == pytest.approx(refused_at + 1.0)
    for _ in range(12):  # then 12 answers in a second, unpaced
        clock.now += 1 / 12
        limiter.acquire()
        limiter.answered()
    clock.now += 0.01
    limiter.throttled()
    assert limiter.rate == pytest.approx(0.8 * 12)  # the 12 answers of the last second


def test_limiter_never_exceeds_the_configured_rate_and_never_drops_below_one() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock)
    for _ in range(30):
        clock.now += 0.1
        limiter.answered()
    assert limiter.rate == 5.0
    for _ in range(10):
        clock.now += 2.0  # long apart, nothing accepted in between
        limiter.throttled()
    assert limiter.rate == 1.0


# ---------------------------------------------------------------------------------------- cache


def test_cache_key_ignores_parameter_order_and_name_case() -> None:
    a = CacheKey.of("/v3/REST/Contact", (("Limit", "10"), ("ContactsList", "7")))
    b = CacheKey.of("/v3/rest/contact", (("contactslist", "7"), ("limit", "10")))
    assert a == b
    assert a != CacheKey.of("/v3/REST/contact", (("ContactsList", "8"), ("Limit", "10")))


def test_cache_expires_after_ttl_and_respects_its_byte_budget() -> None:
    clock = FakeClock()
    cache = ResponseCache(ttl=5, max_bytes=10, clock=clock)
    k1, k2, k3 = (CacheKey.of(f"/v3/REST/r{i}", ()) for i in range(3))
    cache.put(k1, b"aaaa")
    cache.put(k2, b"bbbb")
    assert cache.get(k1) == b"aaaa"  # k1 is now the most recently used
    cache.put(k3, b"cccc")  # 12 bytes > 10: the least recently used (k2) goes
    assert cache.get(k2) is None and cache.get(k1) == b"aaaa" and cache.get(k3) == b"cccc"
    clock.now += 5
    assert cache.get(k1) is None and len(cache) == 1


def test_cache_invalidation_is_by_resource_prefix_case_insensitive() -> None:
    cache = ResponseCache(ttl=60, max_bytes=1000)
    for path in (
        "/v3/REST/contact",
        "/v3/REST/contact/5",
        "/v3/REST/contactslist",
        "/v3/REST/contactdata/5",
    ):
        cache.put(CacheKey.of(path, ()), b"x")
    assert cache.invalidate("/v3/rest/CONTACT") == 2
    assert cache.get(CacheKey.of("/v3/REST/contactslist", ())) == b"x"
    assert cache.get(CacheKey.of("/v3/REST/contact/5", ())) is None


# ------------------------------------------------------------------------------- error mapping


def test_401_says_the_key_pair_was_refused() -> None:
    err = error_for_status(401, b"", method="GET", path="/v3/REST/contact")
    assert isinstance(err, ApiAuthenticationError)
    assert isinstance(err, errors.AuthenticationError) and isinstance(err, errors.OperationalError)
    assert "refused the API key pair" in str(err) and err.status == 401


def test_a_401_with_a_reason_is_one_refused_operation_not_the_key_pair() -> None:
    # Production answers 401 "Operation not allowed" to DELETE /v3/REST/contact/{id}
    # (mailjet-apiv3-nodejs#129) and 401 "MJ19 Setting a value for property ... is not allowed"
    # to a write of a read-only property (mailjet-apiv3-java#46); the key pair was fine.
    body = b'{"ErrorInfo": "", "ErrorMessage": "Operation not allowed", "StatusCode": 401}'
    err = error_for_status(401, body, method="DELETE", path="/v3/REST/contact/5")
    assert isinstance(err, ApiRefusedError) and isinstance(err, errors.NotSupportedError)
    assert not isinstance(err, errors.AuthenticationError)
    assert (
        str(err)
        == "The Mailjet API refused DELETE /v3/REST/contact/5 (HTTP 401): Operation not allowed"
    )
    mj19 = orjson.dumps(
        {
            "Status": 401,
            "ErrorInfo": "",
            "ErrorMessage": 'Internal error: MJ19 Setting a value for property "UnsubscribedAt" is not allowed',
            "StatusCode": 401,
        }
    )
    err = error_for_status(401, mj19, method="PUT", path="/v3/REST/contact/1")
    assert isinstance(err, ApiRefusedError)
    assert (
        err.api_message
        == 'Internal error: MJ19 Setting a value for property "UnsubscribedAt" is not allowed'
    )


def test_a_contact_key_that_is_no_email_is_not_found_when_read() -> None:
    # Production answers 400 to GET /contact/<not an id or email> (mailjet-apiv3-python#43):
    # no contact can have that key, so reads treat it as not found; a write stays refused.
    body = orjson.dumps(
        {
            "ErrorInfo": "",
            "ErrorMessage": 'Unexpected error during GET: Invalid email address "x", reason: "No @ character in mail"',
            "StatusCode": 400,
        }
    )
    read = error_for_status(400, body, method="GET", path="/v3/REST/contact/x")
    assert isinstance(read, ApiNotFoundError) and read.status == 400
    write = error_for_status(400, body, method="PUT", path="/v3/REST/contact/x")
    assert isinstance(write, ApiRequestError) and not isinstance(write, ApiNotFoundError)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  \r\n",
        # The v3.1 Send API's JSON 401 is about the key pair too (recorded in the gem cassettes).
        b'{"ErrorIdentifier": "x", "StatusCode": 401, "ErrorMessage": "API key authentication/authorization failure. You may be unauthorized to access the API or your API key may be expired. Visit API keys management section to check your keys."}',
    ],
)
def test_a_401_about_the_key_pair_stays_a_credentials_error(body: bytes) -> None:
    err = error_for_status(401, body, method="GET", path="/v3/REST/contact")
    assert isinstance(err, ApiAuthenticationError)


def test_mj18_is_an_integrity_error_with_the_api_message() -> None:
    body = b'{"ErrorInfo": "", "ErrorMessage": "MJ18 A Contact resource with value \\"a@b.c\\" for Email already exists.", "StatusCode": 400}'
    err = error_for_status(400, body, method="POST", path="/v3/REST/contact")
    assert isinstance(err, ApiDuplicateError) and isinstance(err, errors.IntegrityError)
    assert str(err).startswith(
        'MJ18 A Contact resource with value "a@b.c" for Email already exists.'
    )
    assert (err.status, err.method, err.path) == (400, "POST", "/v3/REST/contact")


def test_400_shows_the_api_error_message_including_object_details() -> None:
    body = (
        b'{"ErrorInfo":{"Properties":[{"age":"Property not defined"}]},'
        b'"ErrorMessage":"Object properties invalid","StatusCode":400}'
    )
    err = error_for_status(400, body, method="POST", path="/v3/REST/contactslist/7/managecontact")
    assert isinstance(err, ApiRequestError) and isinstance(err, errors.ProgrammingError)
    assert (
        err.api_message
        == 'Object properties invalid {"Properties":[{"age":"Property not defined"}]}'
    )
    assert (
        "rejected POST /v3/REST/contactslist/7/managecontact (HTTP 400): Object properties invalid"
        in str(err)
    )


def test_404_is_a_clear_not_found() -> None:
    err = error_for_status(
        404,
        b'{"ErrorInfo":"","ErrorMessage":"Object not found","StatusCode":404}',
        method="GET",
        path="/v3/REST/contact/x@y.z",
    )
    assert isinstance(err, ApiNotFoundError)
    assert str(err) == "Not found: GET /v3/REST/contact/x@y.z (HTTP 404): Object not found"


def test_5xx_is_operational_and_html_bodies_are_not_echoed() -> None:
    err = error_for_status(
        502, b"<html>Bad gateway</html>", method="GET", path="/v3/REST/contact", attempts=6
    )
    assert isinstance(err, ApiServerError) and isinstance(err, errors.OperationalError)
    assert str(err) == "The Mailjet API failed on GET /v3/REST/contact (HTTP 502) after 6 attempts"


def test_the_api_layer_imports_neither_sqlglot_nor_duckdb() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mjquery.api; "
        "print(sorted(m for m in ('sqlglot', 'duckdb') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
