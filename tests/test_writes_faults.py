"""Writes under faults: what a write reports is what the server holds afterwards.

Each test gives chosen requests a fault (the sandbox's ``FaultRule``): the sandbox applies the
request and the answer is lost (``drop-after``, ``error-after``), or the request is answered 503
and never applied (``error-before``), or the body comes back cut short (``truncate``). Then the
report (rowcount, RETURNING, the raised error, the failures) is compared with the sandbox's rows.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import mjquery
from mjquery.errors import IntegrityError, NotSupportedError, OperationalError
from mjquery.sandbox import FaultKind, FaultRule, Sandbox
from mjquery.writes import Operation, Outcome, RowWrite, WriteOptions, WritePlan, execute
from tests.fake_clock import FakeClock
from tests.writes_support import CATALOG, client_for, writes_in, writes_sandbox

LOST = ("drop-after", "error-after", "error-before", "truncate")  # FaultKind values


def no_sleep(_: float) -> None:
    return None


def faulty(*rules: tuple[str, str, str, int, int]) -> Sandbox:
    """The small account, with ``(method, path, kind, times, skip)`` fault rules."""
    return writes_sandbox(
        fault_rules=tuple(
            FaultRule(m, p, FaultKind(k), times, skip) for m, p, k, times, skip in rules
        )
    )


def connect(sb: Sandbox, **options: Any) -> Any:
    conn = mjquery.connect(sandbox=sb, **options)
    conn.api.clock = FakeClock()  # retries and read-backs without waiting
    return conn


def contacts_named(sb: Any, email: str) -> list[dict[str, Any]]:
    return [c for c in sb.data.resources["contact"] if c["Email"].lower() == email.lower()]


# -- a duplicate stays a duplicate, whatever happens to the answer ------------------------------


@pytest.mark.parametrize("kind", LOST)
def test_a_duplicate_insert_is_reported_as_a_duplicate_whatever_the_fault(kind: str) -> None:
    sb = faulty(("POST", "/v3/REST/contact", kind, 9, 0))
    with connect(sb) as conn:
        cur = conn.cursor()
        with pytest.raises(
            IntegrityError, match=r'MJ18 A Contact resource with value "ann@example.com"'
        ):
            cur.execute(
                "INSERT INTO Contact (Email, Name) VALUES ('ann@example.com', 'New') RETURNING Name"
            )
    assert [c["Name"] for c in contacts_named(sb, "ann@example.com")] == ["Ann"]
    assert writes_in(sb) == []  # found before sending: nothing went out


@pytest.mark.parametrize("kind", LOST)
def test_a_new_contact_whose_answer_is_lost_is_written_once_and_returned(kind: str) -> None:
    sb = faulty(("POST", "/v3/REST/contact", kind, 1, 0))
    with connect(sb) as conn:
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO Contact (Email, Name) VALUES ('new@example.com', 'New') RETURNING Name"
        )
        assert (cur.rowcount, cur.fetchall()) == (1, [("New",)])
    assert len(contacts_named(sb, "new@example.com")) == 1
    # Applied once: a POST answered 503 before it was applied is sent again (the read-back
    # found nothing); a POST the sandbox applied is not.
    # (the log shows what the client saw: 0 for a dropped connection)
    seen = {"error-before": [503, 201], "drop-after": [0], "error-after": [503], "truncate": [201]}
    assert [r.status for r in sb.log if r.method == "POST"] == seen[kind]


# -- objects without a single-column key ---------------------------------------------------------


@pytest.mark.parametrize("kind", ("drop-after", "error-after"))
def test_a_list_recipient_whose_answer_is_lost_is_found_by_contact_and_list(kind: str) -> None:
    sb = faulty(("POST", "/v3/REST/listrecipient", kind, 9, 0))
    with connect(sb) as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO ListRecipient (ContactID, ListID) VALUES (3, 8)")
        assert cur.rowcount == 1 and cur.messages == []
    rows = [
        r for r in sb.data.resources["listrecipient"] if (r["ContactID"], r["ListID"]) == (3, 8)
    ]
    assert len(rows) == 1
    assert writes_in(sb) == [("POST", "/v3/REST/listrecipient")]
    reads = [(r.path, dict(r.params)) for r in sb.log if r.method == "GET"]
    assert (
        "/v3/REST/listrecipient",
        {"Contact": "3", "ContactsList": "8", "Limit": "1000", "Offset": "0"},
    ) in reads


@pytest.mark.parametrize(
    ("table", "values", "resource"),
    [
        ("Template", "(Name, OwnerType) VALUES ('Autumn', 'apikey')", "template"),
        ("List", "(Name) VALUES ('Autumn')", "contactslist"),
        ("Segmentation", "(Name, Expression) VALUES ('Autumn', '(age>30)')", "contactfilter"),
    ],
)
def test_an_insert_by_natural_key_whose_answer_is_lost_is_written_once_and_not_twice(
    table: str, values: str, resource: str
) -> None:
    sb = faulty(("POST", f"/v3/REST/{resource}", "drop-after", 1, 0))
    statement = f"INSERT INTO {table} {values}"
    with connect(sb) as conn:
        cur = conn.cursor()
        cur.execute(statement)
        assert cur.rowcount == 1
        # Running it again is refused as a duplicate: no second object.
        with pytest.raises(IntegrityError, match=r"MJ18 .* already exists"):
            cur.execute(statement)
    assert sum(r.get("Name") == "Autumn" for r in sb.data.resources.get(resource, [])) == 1
    assert writes_in(sb) == [("POST", f"/v3/REST/{resource}")]


def test_a_template_without_its_owner_type_is_found_among_the_new_ones() -> None:
    # Only part of the natural key is given: the templates called Autumn before the write are
    # the baseline; after the lost answer, a new one is the row's.
    sb = faulty(("POST", "/v3/REST/template", "error-after", 1, 0))
    sb.data.resources["template"].append(
        {**sb.data.resources["template"][0], "ID": 21, "Name": "Autumn", "OwnerType": "user"}
    )
    sb.store.table("template").touch()
    with connect(sb) as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO Template (Name) VALUES ('Autumn')")
        assert cur.rowcount == 1
    assert sum(r["Name"] == "Autumn" for r in sb.data.resources["template"]) == 2
    assert writes_in(sb) == [("POST", "/v3/REST/template")]


def test_an_object_without_a_natural_key_is_outcome_unknown_with_the_way_to_check() -> None:
    sb = faulty(("POST", "/v3/REST/campaigndraft", "drop-after", 9, 0))
    with connect(sb) as conn:
        cur = conn.cursor()
        with pytest.raises(OperationalError) as raised:
            cur.execute(
                "INSERT INTO CampaignDraft (Locale, Sender, SenderEmail, Subject) "
                "VALUES ('en_US', 'Me', 'me@example.com', 'Autumn news')"
            )
    message = str(raised.value)
    assert message.startswith("INSERT CampaignDraft: outcome unknown for 1 row")
    assert "nothing written" not in message
    assert (
        """Check with: SELECT * FROM "CampaignDraft" WHERE "Locale" = 'en_US' AND "Sender" = 'Me' """
        """AND "SenderEmail" = 'me@example.com'""" in message
    )
    assert "CampaignDraft has no natural key" in message
    # Never sent twice: the draft exists once.
    assert writes_in(sb) == [("POST", "/v3/REST/campaigndraft")]
    assert sum(r["Subject"] == "Autumn news" for r in sb.data.resources["campaigndraft"]) == 1


# -- bulk jobs -----------------------------------------------------------------------------------


def bulk(n: int, start: int = 0) -> tuple[RowWrite, ...]:
    return tuple(
        RowWrite({"Email": f"b{i}@example.com", "Name": f"B {i}"}) for i in range(start, start + n)
    )


@pytest.mark.parametrize("kind", ("drop-after", "error-after"))
def test_a_bulk_job_whose_answers_are_all_lost_is_read_back_not_reported_failed(kind: str) -> None:
    sb = faulty(("POST", "/v3/REST/contact/managemanycontacts", kind, 99, 0))
    with connect(sb, write_options=WriteOptions(bulk_threshold=1, poll_interval=0)) as conn:
        cur = conn.cursor()
        cur.executemany(
            "INSERT INTO Contact (Email, Name) VALUES (?, ?)",
            [(f"b{i}@example.com", f"B {i}") for i in range(3)],
        )
        assert cur.rowcount == 3 and cur.messages == []
    assert all(len(contacts_named(sb, f"b{i}@example.com")) == 1 for i in range(3))
    # The lost answer was resolved by reading the three contacts back: the job went once.
    assert writes_in(sb) == [("POST", "/v3/REST/contact/managemanycontacts")]


def test_a_bulk_job_that_never_reaches_the_api_is_a_network_error_not_a_refusal() -> None:
    sb = writes_sandbox()

    class Refusing(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = sb.transport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                raise httpx.ConnectError("connection refused", request=request)
            return self.inner.handle_request(request)

    conn = mjquery.connect(
        sandbox=sb, transport=Refusing(), write_options=WriteOptions(bulk_threshold=1)
    )
    conn.api.clock = FakeClock()  # retries and read-backs without waiting
    with conn, pytest.raises(OperationalError) as raised:
        conn.cursor().executemany(
            "INSERT INTO Contact (Email) VALUES (?)", [(f"b{i}@example.com",) for i in range(3)]
        )
    assert not isinstance(raised.value, NotSupportedError)
    assert "Cannot reach the Mailjet API" in str(raised.value)
    assert writes_in(sb) == []


def test_failing_job_status_polls_are_retried_then_the_rows_are_read_back() -> None:
    sb = faulty(("GET", r"/v3/REST/contact/managemanycontacts/\d+", "error-before", 999, 0))
    with client_for(sb, clock=FakeClock()) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, bulk(150)),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=100, poll_interval=0, poll_failures=4),
            sleep=no_sleep,
        )
    assert result.written == 150 and result.failed == ()
    polls = [r.status for r in sb.log if "/managemanycontacts/" in r.path]
    assert polls == [503] * 4 * 3  # four polls, each after the client's three attempts
    # Then the contacts were read back: the job's status never came.
    assert [r.path for r in sb.log if r.method == "GET"][-1] == "/v3/REST/contact"


def test_a_contact_the_job_skips_silently_is_reported_not_on_the_server() -> None:
    # A job that says Completed without naming a contact it did not import (reported against
    # the real API: mailjet-apiv3-java#167): the read-back finds it missing.
    sb = writes_sandbox()

    class Skipping(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = sb.transport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith("/managemanycontacts"):
                import orjson

                body = orjson.loads(request.read())
                body["Contacts"] = [c for c in body["Contacts"] if c["Email"] != "b7@example.com"]
                request = httpx.Request(
                    "POST", request.url, headers=request.headers, content=orjson.dumps(body)
                )
            return self.inner.handle_request(request)

    with client_for(sb, Skipping(), clock=FakeClock()) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, bulk(120), list_id=8),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=100, poll_interval=0),
            sleep=no_sleep,
        )
    assert result.written == 119
    [missing] = result.failed
    assert (missing.row_index, missing.outcome) == (7, Outcome.FAILED)
    assert missing.message.startswith("not on the server after job")
    assert "Completed" in missing.message


def test_a_truncated_poll_answer_is_read_again() -> None:
    sb = faulty(("GET", r"/v3/REST/contact/managemanycontacts/\d+", "truncate", 1, 0))
    with client_for(sb, clock=FakeClock()) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, bulk(100)),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=100, poll_interval=0),
            sleep=no_sleep,
        )
    assert result.written == 100 and result.failed == ()


def test_a_lost_job_answer_whose_read_backs_fail_is_read_again_not_left_unknown() -> None:
    # The job is applied and its answer lost; the read-back that would confirm it fails (every
    # attempt of the client), and so does the first read-back after the jobs: the rows are read
    # once more instead of being left "outcome unknown" while the server holds them.
    sb = faulty(
        ("POST", "/v3/REST/contact/managemanycontacts", "drop-after", 1, 0),
        ("GET", "/v3/REST/contact", "error-before", 6, 2),
    )
    with client_for(sb, clock=FakeClock()) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, bulk(3)),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=1, poll_interval=0, concurrency=1),
            sleep=no_sleep,
        )
    assert (result.written, result.failed) == (3, ())
    assert all(len(contacts_named(sb, f"b{i}@example.com")) == 1 for i in range(3))
    assert writes_in(sb) == [("POST", "/v3/REST/contact/managemanycontacts")]
    reads = [r.status for r in sb.log if r.method == "GET" and r.path == "/v3/REST/contact"]
    assert reads == [200, 200, *[503] * 6, 200, 200]  # look-up, 2 failed read-backs, the third


def test_a_row_left_unknown_is_named_in_cursor_messages_and_the_others_count() -> None:
    # Two contacts: the second one's POST is applied but its answer lost, and reading it back
    # fails every time (after the look-up before sending). The statement does not raise: the
    # rowcount is the row known written, and the other row is "outcome unknown" with its check.
    sb = faulty(
        ("POST", "/v3/REST/contact", "drop-after", 1, 1),
        ("GET", r"/v3/REST/contact/two@example\.com", "error-before", 99, 1),
    )
    with connect(sb, write_options=WriteOptions(concurrency=1)) as conn:  # rows in order
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO Contact (Email, Name) VALUES ('one@example.com', 'One'), "
            "('two@example.com', 'Two')"
        )
        assert cur.rowcount == 1
        [(kind, message)] = cur.messages
    assert kind is mjquery.Warning
    assert message.startswith("1 row written, 1 outcome unknown — Email two@example.com: outcome")
    assert 'Check with: SELECT * FROM "Contact" WHERE "Email" = \'two@example.com\'' in message
    assert "nothing written" not in message
    assert len(contacts_named(sb, "two@example.com")) == 1
    assert writes_in(sb) == [("POST", "/v3/REST/contact")] * 2  # neither sent twice


# -- keys the caller already read ----------------------------------------------------------------


@pytest.mark.parametrize("kind", LOST)
def test_keys_the_caller_read_are_not_looked_up_and_a_lost_answer_is_still_settled(
    kind: str,
) -> None:
    from mjquery.writes import OnConflict, prepare, run
    from mjquery.writes.lookup import Probe

    sb = faulty(("POST", "/v3/REST/contact", kind, 1, 0))
    with connect(sb) as conn:
        engine = conn.engine
        plan = WritePlan(
            "Contact",
            Operation.INSERT,
            (
                RowWrite({"Email": "ann@example.com", "Name": "Ann Hall"}),
                RowWrite({"Email": "new@example.com", "Name": "New"}),
            ),
            on_conflict=OnConflict.UPDATE,
        )
        # what a scan just read: ann is contact 1, new@ is nobody yet
        known = {
            Probe(("Email",), ("ann@example.com",)): ({"ID": 1, "Email": "ann@example.com"},),
            Probe(("Email",), ("NEW@example.com",)): (),
        }
        prepared = prepare(plan, engine.catalog, engine.client, WriteOptions(), known=known)
        assert sb.log.requests(method="GET") == []  # nothing looked up
        result = run(prepared, engine.client, WriteOptions(), sleep=no_sleep)
    assert result.written == 2 and result.failed == ()
    assert len(contacts_named(sb, "new@example.com")) == 1  # written once
    assert contacts_named(sb, "ann@example.com")[0]["Name"] == "Ann Hall"
    # each row's object as the server answered (or the read-back found) it
    new_id = contacts_named(sb, "new@example.com")[0]["ID"]
    assert (result.server_rows[0]["ID"], result.server_rows[1]["ID"]) == (1, new_id)
    # a POST answered 503 before it was applied is sent again (the read-back found nothing)
    posts = [("POST", "/v3/REST/contact")] * (2 if kind == "error-before" else 1)
    assert sorted(writes_in(sb)) == [*posts, ("PUT", "/v3/REST/contact/1")]
