"""UPDATE ContactProperties: PUT /contactdata/{ContactID} for a few rows, managemanycontacts
jobs with Properties for many, every value checked against its property's type first.

The account is ``tests/writes_support.small_account``: properties ``age`` (int) and ``country``
(str); contact 1 (ann@example.com) has age "30", contact 2 (bob@example.com) has no value.
"""

from __future__ import annotations

from typing import Any

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.sandbox.config import FaultKind, FaultRule
from mjquery.writes import WriteOptions
from tests.writes_support import RecordingTransport, writes_in, writes_sandbox

DATA = "/v3/REST/contactdata"
BULK = "/v3/REST/contact/managemanycontacts"


def data_of(sb: Sandbox, contact_id: int) -> dict[str, Any]:
    row = next(r for r in sb.store.table("contactdata").rows if r["ContactID"] == contact_id)
    return {item["Name"]: item["Value"] for item in row["Data"]}


def connect(sb: Sandbox, **kwargs: Any) -> tuple[mjquery.Connection, RecordingTransport]:
    transport = RecordingTransport(sb, **kwargs)
    return mjquery.connect(sandbox=sb, transport=transport), transport


def test_a_few_rows_are_one_put_each_with_only_the_properties_set(sb: Sandbox) -> None:
    conn, transport = connect(sb)
    with conn:
        cur = conn.cursor()
        cur.execute("UPDATE ContactProperties SET country = 'FR' WHERE ContactID IN (1, 2)")
        assert cur.rowcount == 2 and cur.messages == []
        assert sorted(transport.bodies) == [
            ("PUT", f"{DATA}/1", {"Data": [{"Name": "country", "Value": "FR"}]}),
            ("PUT", f"{DATA}/2", {"Data": [{"Name": "country", "Value": "FR"}]}),
        ]
        # the other properties keep their values
        assert data_of(sb, 1) == {"age": "30", "country": "FR"}
        assert data_of(sb, 2) == {"country": "FR"}
        cur.execute("SELECT ContactID, age, country FROM ContactProperties ORDER BY 1")
        assert cur.fetchall() == [(1, 30, "FR"), (2, None, "FR")]


def test_values_are_sent_as_their_type_and_null_unsets(sb: Sandbox) -> None:
    conn, transport = connect(sb)
    with conn:
        cur = conn.cursor()
        cur.execute(
            "UPDATE ContactProperties SET age = age + 1, country = NULL WHERE ContactID = 1"
        )
        assert cur.rowcount == 1
        assert transport.bodies == [
            (
                "PUT",
                f"{DATA}/1",
                {"Data": [{"Name": "age", "Value": 31}, {"Name": "country", "Value": None}]},
            )
        ]
        assert data_of(sb, 1) == {"age": "31"}


def test_a_value_of_the_wrong_type_is_refused_before_any_request(sb: Sandbox) -> None:
    conn, _ = connect(sb)
    with conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM ContactProperties WHERE ContactID = 1")  # definitions read
        sb.log.clear()
        with pytest.raises(mjquery.DataError) as refused:
            cur.execute("UPDATE ContactProperties SET age = 'thirty' WHERE ContactID = 1")
        assert str(refused.value) == (
            "ContactProperties.age: the contact property 'age' is of type int (BIGINT); the "
            "SET clause gives 'thirty', which does not fit."
        )
        assert len(sb.log) == 0


def test_a_computed_value_of_the_wrong_type_is_refused_before_any_write(sb: Sandbox) -> None:
    conn, _ = connect(sb)
    with conn:
        with pytest.raises(mjquery.DataError, match=r"'age' is of type int \(BIGINT\)"):
            conn.cursor().execute(
                "UPDATE ContactProperties SET age = 'x' || ContactID WHERE ContactID = 1"
            )
        assert writes_in(sb) == []
        assert data_of(sb, 1) == {"age": "30"}


def test_unknown_and_refused_columns_and_operations(sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    with pytest.raises(mjquery.ProgrammingError, match=r"no column 'agee'.*Did you mean 'age'"):
        cur.execute("UPDATE ContactProperties SET agee = 3 WHERE ContactID = 1")
    with pytest.raises(mjquery.NotSupportedError, match=r"ContactID is read-only"):
        cur.execute("UPDATE ContactProperties SET ContactID = 3 WHERE ContactID = 1")
    with pytest.raises(mjquery.NotSupportedError, match=r"does not allow DELETE"):
        cur.execute("DELETE FROM ContactProperties WHERE ContactID = 1")
    with pytest.raises(mjquery.NotSupportedError, match=r"without WHERE would change every row"):
        cur.execute("UPDATE ContactProperties SET age = 3")


def test_many_rows_go_through_managemanycontacts_with_properties(sb: Sandbox) -> None:
    conn, transport = connect(sb)
    with conn:
        conn.write_options = WriteOptions(bulk_threshold=2, poll_interval=0.01)
        cur = conn.cursor()
        cur.execute("UPDATE ContactProperties SET country = 'DE' WHERE ContactID IN (1, 2)")
        assert cur.rowcount == 2 and cur.messages == []
        # one job for both contacts, addressed by email (the rows come in any order)
        [(method, path, body)] = transport.bodies
        assert (method, path) == ("POST", BULK)
        assert sorted(body["Contacts"], key=lambda c: c["Email"]) == [
            {"Email": "ann@example.com", "Properties": {"country": "DE"}},
            {"Email": "bob@example.com", "Properties": {"country": "DE"}},
        ]
        assert data_of(sb, 1) == {"age": "30", "country": "DE"}
        assert data_of(sb, 2) == {"country": "DE"}
        gets = [r.path for r in sb.log if r.method == "GET"]
        # the contacts' emails (the job addresses contacts by email), then after the job:
        # its status, the contacts and their data read back
        assert sorted(p for p in gets if p.startswith("/v3/REST/contact/") and "@" not in p)[
            :2
        ] == ["/v3/REST/contact/1", "/v3/REST/contact/2"]
        assert any(p.startswith(f"{BULK}/") for p in gets)
        assert gets[-2:] and {gets[-1], gets[-2]} == {f"{DATA}/1", f"{DATA}/2"}


def test_a_lost_answer_to_a_put_is_resolved_by_reading_the_data_back(sb: Sandbox) -> None:
    conn, transport = connect(sb, lose_answer_of="PUT")
    with conn:
        cur = conn.cursor()
        cur.execute("UPDATE ContactProperties SET country = 'IT' WHERE ContactID = 1")
        assert cur.rowcount == 1 and cur.messages == []
        # sent once: the read-back showed the value there, so it was not sent again
        assert [b[0] for b in transport.bodies] == ["PUT"]
        assert data_of(sb, 1)["country"] == "IT"


def test_dry_run_shows_the_requests(sb_conn: mjquery.Connection, sb: Sandbox) -> None:
    planned = sb_conn.dry_run("UPDATE ContactProperties SET country = 'ES' WHERE ContactID = 1")
    assert planned.count == 1
    assert [w.describe() for w in planned.writes] == [f"PUT {DATA}/1"]
    assert writes_in(sb) == []


def test_a_job_whose_changes_show_late_is_read_back_until_they_do() -> None:
    # eventual consistency: the job reports Completed before its values can be read
    sb = writes_sandbox(job_visible_after=0.5)
    with mjquery.connect(sandbox=sb) as conn:
        conn.write_options = WriteOptions(bulk_threshold=2, poll_interval=0.01)
        cur = conn.cursor()
        cur.execute("UPDATE ContactProperties SET age = 40 WHERE ContactID IN (1, 2)")
        assert cur.rowcount == 2 and cur.messages == []
        assert data_of(sb, 1)["age"] == data_of(sb, 2)["age"] == "40"
        # read back more than once: the first read showed the old values
        assert len([r for r in sb.log if r.path == f"{DATA}/1" and r.method == "GET"]) >= 3


def test_a_lost_answer_to_the_job_is_resolved_from_the_values_read_back() -> None:
    rule = FaultRule("POST", BULK, FaultKind.ERROR_AFTER)
    sb = writes_sandbox(fault_rules=(rule,))
    with mjquery.connect(sandbox=sb) as conn:
        conn.write_options = WriteOptions(bulk_threshold=2, poll_interval=0.01)
        cur = conn.cursor()
        cur.execute("UPDATE ContactProperties SET country = 'PT' WHERE ContactID IN (1, 2)")
        assert cur.rowcount == 2 and cur.messages == []
        # applied once, never sent again: the values were read back after the lost answer
        assert [r.path for r in sb.log if r.method == "POST"] == [BULK]
        assert data_of(sb, 1)["country"] == data_of(sb, 2)["country"] == "PT"


def test_failing_to_read_the_emails_writes_nothing_and_says_so() -> None:
    rule = FaultRule("GET", r"/v3/REST/contact/\d+", FaultKind.ERROR_BEFORE, times=100)
    sb = writes_sandbox(fault_rules=(rule,))
    with mjquery.connect(sandbox=sb, max_wait=0) as conn:
        conn.write_options = WriteOptions(bulk_threshold=2, poll_interval=0.01)
        with pytest.raises(mjquery.OperationalError) as failed:
            conn.cursor().execute(
                "UPDATE ContactProperties SET country = 'PT' WHERE ContactID IN (1, 2)"
            )
    assert "UPDATE ContactProperties: nothing written: reading the contacts' emails" in str(
        failed.value
    )
    assert writes_in(sb) == []
