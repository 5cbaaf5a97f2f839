"""Many rows: bulk contact jobs, per-row failures, and writes that are never repeated blindly."""

from __future__ import annotations

from mjquery.writes import (
    BulkJob,
    OnError,
    Operation,
    Outcome,
    RowWrite,
    WriteObserver,
    WriteOptions,
    WritePlan,
    execute,
)
from mjquery.writes.bulk import read_state, settle, submit
from tests.writes_support import (
    CATALOG,
    RecordingTransport,
    client_for,
    row,
    writes_in,
    writes_sandbox,
)


def contacts(n: int, start: int = 0) -> tuple[RowWrite, ...]:
    return tuple(
        RowWrite({"Email": f"new{i}@example.com", "Name": f"New {i}"})
        for i in range(start, start + n)
    )


def no_sleep(_: float) -> None:
    return None


def test_large_contact_insert_into_a_list_is_one_job_polled_until_done():
    sb = writes_sandbox()
    rec = RecordingTransport(sb)
    with client_for(sb, rec) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, contacts(250), list_id=8),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=100),
            sleep=no_sleep,
        )
    assert result.written == 250 and result.failed == ()
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist/8/managemanycontacts")]
    body = rec.bodies[0][2]
    assert body["Action"] == "addnoforce" and len(body["Contacts"]) == 250
    assert body["Contacts"][0] == {"Email": "new0@example.com", "Name": "New 0"}
    # The emails are looked up first (one page of the account's contacts is cheaper than 250
    # GETs), the job is polled until it ends, then every row is read back: the contacts and
    # the list's memberships.
    requests = [(r.method, r.path, r.params) for r in sb.log]
    assert requests == [
        ("GET", "/v3/REST/contact", (("countOnly", "1"),)),
        ("GET", "/v3/REST/contact", (("Limit", "1000"), ("Offset", "0"))),
        ("POST", "/v3/REST/contactslist/8/managemanycontacts", ()),
        ("GET", "/v3/REST/contactslist/8/managemanycontacts/1", ()),
        ("GET", "/v3/REST/contactslist/8/managemanycontacts/1", ()),
        ("GET", "/v3/REST/contact", (("countOnly", "1"),)),
        ("GET", "/v3/REST/contact", (("Limit", "1000"), ("Offset", "0"))),
        ("GET", "/v3/REST/listrecipient", (("ContactsList", "8"), ("countOnly", "1"))),
        (
            "GET",
            "/v3/REST/listrecipient",
            (("ContactsList", "8"), ("Limit", "1000"), ("Offset", "0")),
        ),
    ]
    assert result.requests == len(requests) and result.job_ids == (1,)
    emails = {c["Email"] for c in sb.data.resources["contact"]}
    assert {f"new{i}@example.com" for i in range(250)} <= emails
    members = {r["ContactID"] for r in sb.data.resources["listrecipient"] if r["ListID"] == 8}
    assert len(members) == 250


def test_bulk_batches_and_per_contact_errors_from_the_job():
    sb = writes_sandbox()
    with client_for(sb) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, contacts(199)),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=100, bulk_batch_size=100),
            sleep=no_sleep,
        )
    assert writes_in(sb) == [("POST", "/v3/REST/contact/managemanycontacts")] * 2
    assert result.written == 199 and result.failed == () and len(result.job_ids) == 2


def test_a_contact_the_job_refuses_is_reported_with_the_jobs_message():
    # A job carrying an address the sandbox refuses (validation would have refused it before
    # sending, so the job is built by hand): its error file names the contact.
    sb = writes_sandbox()
    job = BulkJob(
        "/v3/REST/contact/managemanycontacts",
        {"Contacts": [{"Email": "ok@example.com"}, {"Email": "not-an-email"}]},
        (0, 1),
        ("ok@example.com", "not-an-email"),
    )
    with client_for(sb) as api:
        run = submit(
            job,
            api,
            WriteOptions(poll_interval=0),
            state_of=lambda jobs: read_state(
                api, CATALOG.get("Contact"), CATALOG.get("ListRecipient"), jobs
            ),
            observer=WriteObserver(),
            sleep=no_sleep,
        )
        settled = settle(
            [run], read_state(api, CATALOG.get("Contact"), CATALOG.get("ListRecipient"), [job])
        )
    assert run.status == "Completed" and run.errors == {"not-an-email": "Invalid email address"}
    assert settled.outcomes == {0: Outcome.WRITTEN, 1: Outcome.FAILED}
    assert [(f.row_index, f.key, f.message) for f in settled.failures] == [
        (1, "Email not-an-email", "Invalid email address")
    ]
    assert any("/JSONError/" in r.path for r in sb.log)


def test_below_the_threshold_contacts_are_plain_posts():
    sb = writes_sandbox()
    with client_for(sb) as api:
        result = execute(
            WritePlan("Contact", Operation.INSERT, contacts(5)),
            CATALOG,
            api,
            WriteOptions(bulk_threshold=6),
        )
    assert result.written == 5
    assert writes_in(sb) == [("POST", "/v3/REST/contact")] * 5


def test_a_lost_answer_is_read_back_and_not_repeated():
    sb = writes_sandbox()
    rec = RecordingTransport(sb, lose_answer_of="POST")
    with client_for(sb, rec) as api:
        result = execute(
            WritePlan(
                "Contact",
                Operation.INSERT,
                (RowWrite({"Email": "once@example.com"}),),
                returning=("ID",),
            ),
            CATALOG,
            api,
        )
    assert result.written == 1 and result.failed == ()
    assert writes_in(sb) == [("POST", "/v3/REST/contact")]  # applied once, never re-sent
    assert next(r.path for r in sb.log if r.method == "GET") == "/v3/REST/contact/once@example.com"
    assert sum(c["Email"] == "once@example.com" for c in sb.data.resources["contact"]) == 1
    assert result.returned_rows[0]["ID"]


def test_a_write_that_did_not_happen_is_sent_again_after_the_read_back():
    sb = writes_sandbox()
    rec = RecordingTransport(sb, fail_before="PUT")
    with client_for(sb, rec) as api:
        result = execute(
            WritePlan("Contact", Operation.UPDATE, (RowWrite({"Name": "Ann B"}, {"ID": 1}),)),
            CATALOG,
            api,
        )
    assert result.written == 1
    assert [(m, p) for m, p, _ in rec.bodies] == [("PUT", "/v3/REST/contact/1")] * 2
    assert [r.path for r in sb.log if r.method == "GET"] == ["/v3/REST/contact/1"]
    assert row(sb, "contact", 1)["Name"] == "Ann B"


def test_a_lost_delete_answer_is_confirmed_by_the_soft_delete_read_back():
    sb = writes_sandbox()
    rec = RecordingTransport(sb, lose_answer_of="DELETE")
    with client_for(sb, rec) as api:
        result = execute(
            WritePlan("List", Operation.DELETE, (RowWrite({}, {"ID": 8}),)), CATALOG, api
        )
    assert result.written == 1
    assert writes_in(sb) == [("DELETE", "/v3/REST/contactslist/8")]


def test_failures_keep_going_unless_asked_to_stop():
    sb = writes_sandbox()
    rows = (
        RowWrite({"Name": "x"}, {"ID": 1}),
        RowWrite({"Name": "y"}, {"ID": 999}),
        RowWrite({"Name": "z"}, {"ID": 2}),
    )
    with client_for(sb) as api:
        going = execute(
            WritePlan("Contact", Operation.UPDATE, rows), CATALOG, api, WriteOptions(concurrency=1)
        )
        assert going.written == 2 and [f.key for f in going.failed] == ["ID 999"]
        assert "1 failed" in going.summary() and "ID 999" in going.summary()
        stopping = execute(
            WritePlan("Contact", Operation.UPDATE, rows),
            CATALOG,
            api,
            WriteOptions(on_error=OnError.STOP),
        )
    assert (stopping.written, stopping.skipped, stopping.stopped) == (1, 1, True)
    assert "stopped at the first failure" in stopping.summary()


def test_a_select_right_after_a_write_sees_it():
    sb = writes_sandbox()
    with client_for(sb) as api:
        assert api.get("/v3/REST/contact/1").data[0]["Name"] == "Ann"  # now cached
        execute(
            WritePlan("Contact", Operation.UPDATE, (RowWrite({"Name": "Annie"}, {"ID": 1}),)),
            CATALOG,
            api,
        )
        assert api.get("/v3/REST/contact/1").data[0]["Name"] == "Annie"
