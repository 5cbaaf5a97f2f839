"""Writes from SQL through the DB-API: rows found by the SELECT engine, then the write path."""

from __future__ import annotations

import csv

import pytest

import mjquery
from mjquery.errors import IntegrityError, NotSupportedError, ProgrammingError
from mjquery.planner import LocalStatement, LocalTables, ResultKind, plan_statement
from mjquery.writes import WriteOptions
from tests.writes_support import CATALOG, row, writes_in


def run(sb_conn, sql, params=None):
    cursor = sb_conn.cursor()
    cursor.execute(sql, params)
    return cursor


def test_insert_values_with_returning(sb_conn, sb):
    cur = run(
        sb_conn,
        "INSERT INTO Contact (Email, Name) VALUES ('jo@example.com', 'Jo'), (?, upper('kim')) "
        "RETURNING ID, Email, Name",
        ["kim@example.com"],
    )
    assert cur.rowcount == 2
    rows = cur.fetchall()
    assert [(r[1], r[2]) for r in rows] == [("jo@example.com", "Jo"), ("kim@example.com", "KIM")]
    assert all(isinstance(r[0], int) for r in rows)
    assert writes_in(sb) == [("POST", "/v3/REST/contact")] * 2
    assert run(sb_conn, "SELECT Name FROM Contact WHERE Email = 'kim@example.com'").fetchall() == [
        ("KIM",)
    ]


def test_insert_select_from_a_csv_file_into_a_list(sb_conn, sb, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("email,name\nlu@example.com,Lu\nmo@example.com,Mo\n")
    cur = run(
        sb_conn,
        "INSERT INTO Contact (Email, Name, ContactsList) SELECT email, name, 8 FROM read_csv(?)",
        [str(path)],
    )
    assert cur.rowcount == 2
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist/8/managecontact")] * 2
    members = run(
        sb_conn, "SELECT Email FROM Contact WHERE ContactsList = 8 ORDER BY Email"
    ).fetchall()
    assert members == [("lu@example.com",), ("mo@example.com",)]


def test_update_finds_keys_with_pushdown_and_writes_one_put_per_row(sb_conn, sb):
    cur = run(sb_conn, "UPDATE Contact SET Name = Name || ' (ex)' WHERE ContactsList = 7")
    assert cur.rowcount == 2
    reads = [r for r in sb.log if r.method == "GET" and r.path == "/v3/REST/contact"]
    assert reads and all(r.param("ContactsList") == "7" for r in reads)  # the WHERE was pushed down
    assert sorted(writes_in(sb)) == [("PUT", "/v3/REST/contact/1"), ("PUT", "/v3/REST/contact/2")]
    assert row(sb, "contact", 1)["Name"] == "Ann (ex)" and row(sb, "contact", 3)["Name"] == "Cy"


def test_campaign_star_and_the_refused_column(sb_conn, sb):
    assert run(sb_conn, "UPDATE Campaign SET IsStarred = true WHERE ID = 100").rowcount == 1
    assert row(sb, "campaign", 100)["IsStarred"] is True
    sb.log.clear()
    with pytest.raises(NotSupportedError, match=r"IsDeleted and IsStarred"):
        run(sb_conn, "UPDATE Campaign SET Subject = 'x' WHERE ID = 100")
    assert writes_in(sb) == []


def test_campaigndraft_used_rows_are_named_and_the_others_applied(sb_conn, sb):
    cur = run(sb_conn, "UPDATE CampaignDraft SET Title = 'Q3' WHERE ID IN (10, 11)")
    assert cur.rowcount == 1
    assert writes_in(sb) == [("PUT", "/v3/REST/campaigndraft/10")]
    assert cur.messages and "ID 11" in cur.messages[0][1] and "Used = false" in cur.messages[0][1]
    with pytest.raises(NotSupportedError, match=r"nothing written.*ID 11"):
        run(sb_conn, "UPDATE CampaignDraft SET Title = 'Q3' WHERE ID = 11")


def test_draft_content_schedule_and_template_cleanup(sb_conn, sb):
    run(
        sb_conn,
        'INSERT INTO CampaignDraftDetailContent (CampaignDraftID, "Html-part", "Text-part") '
        "VALUES (10, '<p>Hi</p>', 'Hi')",
    )
    run(
        sb_conn,
        "INSERT INTO CampaignDraftSchedule (CampaignDraftID, Date) VALUES (10, '2030-01-01T09:00:00Z')",
    )
    assert row(sb, "campaigndraft", 10)["Status"] == 1
    assert run(sb_conn, "DELETE FROM Template WHERE Name LIKE 'Old%'").rowcount == 1
    assert writes_in(sb) == [
        ("POST", "/v3/REST/campaigndraft/10/detailcontent"),
        ("POST", "/v3/REST/campaigndraft/10/schedule"),
        ("DELETE", "/v3/REST/template/20"),
    ]


def test_unsubscribe_people_from_a_list(sb_conn, sb):
    cur = run(
        sb_conn, "UPDATE ListRecipient SET IsUnsubscribed = true WHERE ListID = 7 AND ContactID = 2"
    )
    assert cur.rowcount == 1
    assert writes_in(sb) == [("PUT", "/v3/REST/listrecipient/2")]
    assert row(sb, "listrecipient", 2)["IsUnsubscribed"] is True


def test_contactdata_property_update_and_undefined_property(sb_conn, sb):
    assert run(sb_conn, "UPDATE ContactData SET age = 45 WHERE ID = 1").rowcount == 1
    assert {d["Name"]: str(d["Value"]) for d in row(sb, "contactdata", 1)["Data"]} == {"age": "45"}
    sb.log.clear()
    with pytest.raises(ProgrammingError, match=r"'shoe' is not defined in ContactMetadata"):
        run(sb_conn, "UPDATE ContactData SET shoe = 44 WHERE ID = 1")
    assert writes_in(sb) == []


def test_contact_delete_is_refused_and_gdpr_is_named(sb_conn, sb):
    with pytest.raises(NotSupportedError, match=r"gdpr_delete_contacts"):
        run(sb_conn, "DELETE FROM Contact WHERE ID = 3")
    assert sb_conn.gdpr_delete_contacts([3]).written == 1
    assert writes_in(sb) == [("DELETE", "/v4/contacts/3")]


def test_duplicate_insert_raises_integrity_error_when_nothing_was_written(sb_conn):
    with pytest.raises(IntegrityError, match=r"MJ18"):
        run(sb_conn, "INSERT INTO Contact (Email) VALUES ('ann@example.com')")


def test_update_without_where_needs_the_opt_in(sb_conn, sb):
    with pytest.raises(NotSupportedError, match=r"without WHERE"):
        run(sb_conn, "UPDATE List SET Name = Name")
    assert writes_in(sb) == []
    cur = run(sb_conn, "UPDATE Campaign SET IsStarred = true -- mjquery: allow-all-rows")
    assert cur.rowcount == 1


def test_connection_option_allows_unfiltered_writes(sb):
    with mjquery.connect(sandbox=sb, allow_unfiltered_writes=True) as sb_conn:
        assert run(sb_conn, "UPDATE Campaign SET IsStarred = false").rowcount == 1


def test_dry_run_counts_without_writing(sb_conn, sb):
    planned = sb_conn.dry_run(
        "UPDATE Contact SET IsExcludedFromCampaigns = true WHERE Email LIKE '%@example.com'"
    )
    assert planned.count == 3 and planned.requests == 3
    assert writes_in(sb) == []


def test_bulk_threshold_from_the_connection_options(sb):
    with mjquery.connect(
        sandbox=sb, write_options=WriteOptions(bulk_threshold=2, poll_interval=0)
    ) as sb_conn:
        cur = run(
            sb_conn,
            "INSERT INTO Contact (Email, ContactsList) VALUES ('p1@example.com', 8), ('p2@example.com', 8)",
        )
    assert cur.rowcount == 2
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist/8/managemanycontacts")]


def test_copy_to_csv_with_options(sb_conn, tmp_path):
    out = tmp_path / "contacts.csv"
    cur = run(
        sb_conn,
        f"COPY (SELECT ID, Email FROM Contact ORDER BY ID) TO '{out}' (HEADER, DELIMITER ';')",
    )
    assert cur.rowcount == 3
    with out.open(newline="") as handle:
        assert list(csv.reader(handle, delimiter=";")) == [
            ["ID", "Email"],
            ["1", "ann@example.com"],
            ["2", "bob@example.com"],
            ["3", "cy@example.com"],
        ]
    run(sb_conn, f"COPY List TO '{tmp_path / 'lists.json'}'")
    assert (tmp_path / "lists.json").read_text().count('"Name"') == 2


def test_local_tables_keep_their_own_writes(sb_conn, sb):
    run(sb_conn, "CREATE TABLE mine (x INTEGER)")
    assert run(sb_conn, "INSERT INTO mine VALUES (1), (2)").rowcount == 2
    planned = plan_statement(
        "INSERT INTO mine VALUES (1)", None, CATALOG, LocalTables({"mine": ("x",)})
    )
    assert planned == LocalStatement("INSERT INTO mine VALUES (1)", (), ResultKind.ROWCOUNT)
    assert writes_in(sb) == []


def test_executemany_insert_is_one_write_and_uses_bulk_jobs(sb):
    rows = [(f"m{i}@example.com", f"M {i}") for i in range(5)]
    with mjquery.connect(
        sandbox=sb, write_options=WriteOptions(bulk_threshold=3, poll_interval=0)
    ) as sb_conn:
        cur = sb_conn.cursor()
        cur.executemany("INSERT INTO Contact (Email, Name, ContactsList) VALUES (?, ?, 8)", rows)
        assert cur.rowcount == 5
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist/8/managemanycontacts")]
    assert {c["Email"] for c in sb.data.resources["contact"]} >= {e for e, _ in rows}
