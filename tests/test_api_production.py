"""The API client against the real service's harsh edges, modelled by the sandbox's knobs.

Rate limiting with nginx's HTML 429 and no header (mailjet-apiv3-nodejs#178,
mailjet-apiv3-java#217), eventual consistency of bulk jobs, 401 answers that refuse one
operation rather than the key pair, connections that can never succeed, ~20 s requests.
Rate-limited runs use a fake clock shared by the client and the sandbox: minutes of backoff take
no real time.
"""

from __future__ import annotations

import io
import socket
import ssl
from typing import Any

import httpx
import pytest

import mjquery
from mjquery import errors
from mjquery.api import (
    ApiClient,
    ApiConfig,
    ApiRefusedError,
    ApiUnreachableError,
    RetryPolicy,
    build_http_client,
    item_path,
)
from mjquery.api.config import CONNECT_TIMEOUT, DEFAULT_MAX_WAIT, DEFAULT_TIMEOUT
from mjquery.api.ratelimit import ConcurrencyWindow
from mjquery.cli.main import main
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig
from mjquery.sandbox.config import FaultKind, FaultRule, JobErrorFormat
from mjquery.schema import load_catalog
from mjquery.writes import WriteOptions
from mjquery.writes.bulk import ServerState, read_state, settle, submit
from mjquery.writes.execute import execute
from mjquery.writes.plan import BulkJob, Operation, Outcome, RowWrite, WriteObserver, WritePlan
from tests.fake_clock import FakeClock
from tests.sandbox_fixtures import contact, small_account
from tests.writes_support import client_for, writes_sandbox
from tests.writes_support import small_account as writes_account

CONTACTS = "/v3/REST/contact"


def big_sandbox(n: int, clock: FakeClock | None = None, **knobs: object) -> Sandbox:
    account = small_account()
    account.resources["contact"] = [contact(i, f"user{i:06d}@example.com") for i in range(1, n + 1)]
    config = SandboxConfig(**knobs)  # type: ignore[arg-type]
    if clock is None:
        return Sandbox(data=account, config=config)
    return Sandbox(data=account, config=config, clock=clock)


def writes_sandbox_on(clock: FakeClock, **knobs: object) -> Sandbox:
    """The write tests' small account on ``clock`` (the sandbox's knobs count time on it)."""
    config = SandboxConfig(**knobs)  # type: ignore[arg-type]
    return Sandbox(data=writes_account(), config=config, clock=clock)


def writes_client_on(clock: FakeClock, sb: Sandbox, **settings: object) -> ApiClient:
    """A client of ``sb`` on the same clock, retrying at once (as the write tests' client_for)."""
    config = ApiConfig(
        api_key=DEMO_API_KEY,
        api_secret=DEMO_API_SECRET,
        retry=RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_max=0.0),
        **settings,  # type: ignore[arg-type]
    )
    return ApiClient(config, transport=sb.transport(), clock=clock)


def client(sb: Sandbox, clock: FakeClock | None = None, **settings: object) -> ApiClient:
    config = ApiConfig(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, **settings)  # type: ignore[arg-type]
    if clock is None:
        return ApiClient(config, transport=sb.transport())
    return ApiClient(config, transport=sb.transport(), clock=clock)


# -- concurrency ------------------------------------------------------------------------------------


def test_the_window_starts_modest_grows_without_429_and_halves_on_one() -> None:
    window = ConcurrencyWindow(start=4, ceiling=16)
    assert window.limit == 4
    for _ in range(4):  # a round of four requests
        window.acquire()
    window.release(throttled=False)  # no 429 yet: the first answer of a round doubles it
    assert window.limit == 8
    for _ in range(3):  # the same round's other answers prove nothing more
        window.release(throttled=False)
    assert window.limit == 8
    window.acquire()  # a round of one request (a scan's count) is a round too
    window.release(throttled=False)
    assert window.limit == 16
    window.acquire()
    window.release(throttled=False)
    assert window.limit == 16  # never above the ceiling
    for _ in range(6):  # six requests in flight when the limit is hit
        window.acquire()
    window.release(throttled=True)
    assert window.limit == 8
    for _ in range(5):  # the rest of that volley is refused too: no second halving
        window.release(throttled=True)
    assert window.limit == 8
    for _ in range(8):  # after a 429, one more per round of answers only
        window.acquire()
        window.release(throttled=False)
    assert window.limit == 9


def test_a_client_starts_with_four_requests_in_flight_and_grows(
    small_demo_sandbox: Sandbox,
) -> None:
    sb = big_sandbox(30_000)
    with client(sb, page_size=1000, max_concurrency=16) as api:
        assert api.concurrency == 4
        rows = sum(len(page) for page in api.scan(CONTACTS))
        assert api.concurrency == 16  # 31 answers without a 429
    assert rows == 30_000


# -- rate limits --------------------------------------------------------------------------------------


def test_a_scan_limited_to_10_requests_a_second_with_html_429s_gets_every_row() -> None:
    clock = FakeClock()
    sb = big_sandbox(20_000, clock, rate_limit=10)
    notices: list[str] = []
    with client(sb, clock, page_size=1000, max_concurrency=16) as api:
        api.on_wait = lambda notice: notices.append(str(notice))
        emails = [row["Email"] for page in api.scan(CONTACTS) for row in page]
        stats = api.stats
    assert emails == [f"user{i:06d}@example.com" for i in range(1, 20_001)]
    refused = [r for r in sb.log if r.status == 429]
    assert refused and stats.throttled == len(refused)
    assert notices and all(n.startswith("rate limited by Mailjet, retrying in ") for n in notices)
    # The client slowed down to the sandbox's pace instead of giving up: the 22 useful requests
    # took about 2 s of (fake) time at 10 a second.
    assert clock.now - 100.0 >= 2.0


def test_the_default_wait_for_rate_limits_is_minutes() -> None:
    assert DEFAULT_MAX_WAIT >= 120
    assert RetryPolicy().rate_limit_backoff_max >= 30


# -- requests that can never succeed fail at once -----------------------------------------------------


def raising(cause: BaseException) -> httpx.MockTransport:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        try:
            raise cause
        except BaseException as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    transport = httpx.MockTransport(handle)
    transport.calls = calls  # type: ignore[attr-defined]
    return transport


@pytest.mark.parametrize(
    ("cause", "says"),
    [
        (
            socket.gaierror(-2, "Name or service not known"),
            "the host name api.mailjet.com could not be resolved (DNS)",
        ),
        (
            ssl.SSLCertVerificationError(
                1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
            ),
            "the TLS certificate of api.mailjet.com could not be verified",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "the connection to api.mailjet.com was refused",
        ),
    ],
)
def test_dns_tls_and_refused_connections_fail_on_the_first_attempt_in_one_line(
    cause: BaseException, says: str
) -> None:
    transport = raising(cause)
    config = ApiConfig(api_key="k" * 12, api_secret="s" * 12)
    with ApiClient(config, transport=transport, clock=FakeClock()) as api:
        with pytest.raises(ApiUnreachableError) as read:
            api.get(CONTACTS)
        with pytest.raises(ApiUnreachableError) as write:
            api.post(CONTACTS, {"Email": "a@b.c"})
    assert len(transport.calls) == 2  # one request each, no retry
    for info in (read, write):
        message = str(info.value)
        assert message.startswith(
            f"Cannot reach the Mailjet API at https://api.mailjet.com: {says}"
        )
        assert "\n" not in message and "after" not in message


def test_a_refused_connection_on_a_real_socket_fails_at_once() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ApiConfig(base_url=f"http://127.0.0.1:{port}", api_key="k" * 12, api_secret="s" * 12)
    clock = FakeClock()
    with ApiClient(config, clock=clock) as api, pytest.raises(errors.OperationalError) as info:
        api.get(CONTACTS)
    assert f"the connection to 127.0.0.1:{port} was refused" in str(info.value)
    assert clock.slept == [] and api.stats.requests == 1


# -- 401: a refused operation is not a refused key pair ------------------------------------------------


def test_a_contact_deleted_through_v3_is_refused_with_the_apis_reason() -> None:
    sb = writes_sandbox()
    with client_for(sb) as api, pytest.raises(ApiRefusedError) as info:
        api.delete(item_path("contact", 1))
    assert not isinstance(info.value, errors.AuthenticationError)
    assert str(info.value) == (
        "The Mailjet API refused DELETE /v3/REST/contact/1 (HTTP 401): Operation not allowed"
    )
    assert [(r.method, r.status) for r in sb.log] == [("DELETE", 401)]


def test_a_401_with_a_reason_fails_one_row_and_the_statement_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Production answers 401 "MJ19 Setting a value for property ... is not allowed" to a write it
    # refuses (mailjet-apiv3-java#46): that row fails with the reason; the others are written.
    from mjquery.sandbox.api import core
    from mjquery.sandbox.api.wire import ApiError

    sb = writes_sandbox()
    update = core.Sandbox._update

    def refuse_one(self: core.Sandbox, spec, row, body):  # type: ignore[no-untyped-def]
        if spec.name == "contact" and row.get("ID") == 2:
            raise ApiError(401, 'MJ19 Setting a value for property "Name" is not allowed')
        return update(self, spec, row, body)

    monkeypatch.setattr(core.Sandbox, "_update", refuse_one)
    plan = WritePlan(
        "Contact",
        Operation.UPDATE,
        tuple(
            RowWrite({"Name": name}, {"ID": i})
            for i, name in ((1, "One"), (2, "Two"), (3, "Three"))
        ),
    )
    with client_for(sb) as api:
        result = execute(plan, load_catalog(), api, WriteOptions())
    assert result.written == 2
    (failure,) = result.failed
    assert 'MJ19 Setting a value for property "Name" is not allowed' in failure.message
    assert {r["ID"]: r["Name"] for r in sb.data.resources["contact"] if r["ID"] in (1, 3)} == {
        1: "One",
        3: "Three",
    }


# -- eventual consistency -------------------------------------------------------------------------------


def test_rows_of_a_completed_job_not_yet_visible_are_waited_for_not_failed() -> None:
    # Knob job_visible_after: the job reports Completed before its contacts can be read. The
    # read-back that settles every row polls, with backoff, before calling a row failed. The
    # sandbox and the client share a fake clock: the polls' waits are what makes the job visible.
    clock = FakeClock()
    sb = writes_sandbox_on(clock, job_visible_after=1.5)
    rows = tuple(
        RowWrite({"Email": f"late{i}@example.com", "Name": f"Late {i}"}) for i in range(120)
    )
    with writes_client_on(clock, sb, consistency_wait=10) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, rows),
            load_catalog(),
            api,
            WriteOptions(bulk_threshold=100, poll_interval=0),
        )
    assert result.failed == () and result.written == 120
    emails = {r["Email"] for r in sb.data.resources["contact"]}
    assert all(f"late{i}@example.com" in emails for i in range(120))
    reads = [r for r in sb.log if r.method == "GET" and r.path == CONTACTS]
    assert len(reads) >= 4  # the contacts were read back more than once


# -- timeouts --------------------------------------------------------------------------------------------


def test_default_timeouts_fit_20_second_production_requests() -> None:
    # A maintainer in mailjet-apiv3-php#157: 20 seconds "is the maximum limit that Mailjet would
    # take to handle the request".
    config = ApiConfig()
    assert config.timeout == DEFAULT_TIMEOUT >= 3 * 20
    http = build_http_client(config)
    assert http.timeout.read == DEFAULT_TIMEOUT and http.timeout.connect == CONNECT_TIMEOUT
    http.close()


# -- a bulk job's error file, whatever its layout ------------------------------------------------------


@pytest.mark.parametrize("layout", list(JobErrorFormat))
def test_a_refused_contact_is_named_whatever_the_error_file_layout(layout: JobErrorFormat) -> None:
    # Knob job_error_format: the reference names the JSON error file but shows no layout.
    sb = writes_sandbox(job_error_format=layout)
    job = BulkJob(
        "/v3/REST/contact/managemanycontacts",
        {"Contacts": [{"Email": "ok@example.com"}, {"Email": "not-an-email"}]},
        (0, 1),
        ("ok@example.com", "not-an-email"),
    )
    catalog = load_catalog()
    with client_for(sb) as api:

        def state(jobs: object) -> ServerState:
            return read_state(api, catalog.get("Contact"), catalog.get("ListRecipient"), [job])

        run = submit(
            job, api, WriteOptions(poll_interval=0), state_of=state, observer=WriteObserver()
        )
        settled = settle([run], state([job]))
    assert run.errors == {"not-an-email": "Invalid email address"}
    assert settled.outcomes == {0: Outcome.WRITTEN, 1: Outcome.FAILED}
    (failure,) = settled.failures
    assert failure.message == "Invalid email address"


# -- the rate-limit notice on the command's progress line ----------------------------------------------


class Terminal(io.StringIO):
    """Standard error as a terminal: the command shows its progress line there."""

    def isatty(self) -> bool:
        return True


def test_the_command_says_it_is_rate_limited_on_its_progress_line() -> None:
    # Real time here (the command builds its own client): a sandbox at 2 requests a second answers
    # the first volley of a 4-page scan with HTML 429s, and the command keeps going.
    sb = big_sandbox(3_500, rate_limit=2)

    def connect(**kwargs: Any) -> Any:
        kwargs.pop("demo", None)
        return mjquery.connect(sandbox=sb, **kwargs)

    out, err = io.StringIO(), Terminal()
    status = main(
        [
            "--demo",
            "--format",
            "csv",
            "-c",
            "SELECT COUNT(*) AS n FROM (SELECT Email FROM Contact)",
        ],
        connect=connect,
        stdin=io.StringIO(""),
        stdout=out,
        stderr=err,
    )
    assert status == 0, err.getvalue()
    assert out.getvalue().splitlines() == ["n", "3500"]
    refused = sum(1 for r in sb.log if r.status == 429)
    assert refused >= 1
    lines = [part for part in err.getvalue().split("\r\x1b[K") if part]
    notices = [line for line in lines if line.startswith("rate limited by Mailjet, retrying in ")]
    assert len(notices) == refused


def test_a_lost_answer_whose_object_is_not_yet_visible_is_written_not_failed() -> None:
    # Knob write_visible_after: the POST creating the contact is applied but its answer is lost;
    # the read-back does not see the contact yet, so the client sends it again, which the API
    # refuses as a duplicate. The object exists: the client reads back with backoff until it
    # shows, and the row is reported written (once), not failed.
    clock = FakeClock()
    sb = writes_sandbox_on(
        clock,
        write_visible_after=3,
        fault_rules=(FaultRule("POST", CONTACTS, FaultKind.ERROR_AFTER),),
    )
    plan = WritePlan(
        "Contact", Operation.INSERT, (RowWrite({"Email": "late@example.com", "Name": "Late"}),)
    )
    with writes_client_on(clock, sb, consistency_wait=10) as api:
        result = execute(plan, load_catalog(), api, WriteOptions())
    assert result.failed == () and result.written == 1
    assert [c["Email"] for c in sb.data.resources["contact"]].count("late@example.com") == 1
    posts = [r.status for r in sb.log if r.method == "POST"]
    assert posts == [503, 400]  # the answer lost, then the duplicate
    reads = [r.status for r in sb.log if r.method == "GET"]
    assert reads[-1] == 200 and 404 in reads  # read again until the contact showed
    assert clock.now - 100.0 >= 3
