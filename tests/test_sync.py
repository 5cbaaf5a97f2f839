"""Two-way sync with DuckDB, SQLite, PostgreSQL and MariaDB: first run linking by the key, changes
both ways, a quiet second run (no write request in the sandbox's log), conflicts under each
policy, new-only objects, refusals, deletes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import mjquery
from mjquery.sandbox import FaultKind, FaultRule, Sandbox
from mjquery.sync import Direction, Prefer, RefusalKind, Side
from mjquery.writes import WriteOptions
from tests.replicate_support import DbTarget, target_fixture  # noqa: F401
from tests.sync_support import database_rows, mailjet_rows, prepare, qualified, table_name
from tests.writes_support import small_account, writes_in, writes_sandbox

CRM = "email VARCHAR(255) PRIMARY KEY, name VARCHAR(255), is_excluded_from_campaigns BOOLEAN"


@pytest.fixture
def conn(sb: Sandbox) -> Iterator[Any]:
    with mjquery.connect(sandbox=sb, cache_ttl=0) as connection:
        yield connection


def run(conn: Any, target: DbTarget, obj: str = "Contact", name: str = "crm", **kw: Any) -> Any:
    return mjquery.sync(conn, obj, with_=target.url, table=table_name(target, name), **kw)


def contacts(conn: Any) -> list[tuple[Any, ...]]:
    return mailjet_rows(conn, "SELECT Email, Name FROM Contact")


def test_first_run_links_by_key_and_copies_missing_rows_each_way(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    # Mailjet: ann, bob, cy. The table: ann (another spelling of her email, another name), dan.
    prepare(target, CRM, [("Ann@Example.com", "Ann Hall", False), ("dan@example.com", "Dan", True)])
    sb.log.clear()

    report = run(conn, target)

    assert report.first_run
    assert report.plan.links == 1  # ann, whatever the case of her email
    assert (report.to_mailjet.inserted, report.to_database.inserted) == (1, 2)
    assert [
        (c.key, c.column, c.mailjet_value, c.database_value, c.winner) for c in report.conflicts
    ] == [("Ann@Example.com", "Name", "Ann", "Ann Hall", Side.MAILJET)]
    assert report.ok and report.refusals == ()
    # dan is one POST (a few rows: no bulk job); nothing else was written
    assert writes_in(sb) == [("POST", "/v3/REST/contact")]
    expected = [
        ("ann@example.com", "Ann"),
        ("bob@example.com", "Bob"),
        ("cy@example.com", "Cy"),
        ("dan@example.com", "Dan"),
    ]
    assert contacts(conn) == expected
    assert database_rows(target, "email, name") == expected
    excluded = mailjet_rows(conn, "SELECT Email FROM Contact WHERE IsExcludedFromCampaigns")
    assert excluded == [("dan@example.com",)]


def test_changes_on_both_sides_flow_and_a_second_run_writes_nothing(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepare(target, CRM, [("ann@example.com", "Ann", False)])
    run(conn, target)
    table = qualified(target)
    target.execute(f"UPDATE {table} SET name = 'Bob Marley' WHERE email = 'bob@example.com'")
    target.execute(f"INSERT INTO {table} VALUES ('eve@example.com', 'Eve', FALSE)")
    cur = conn.cursor()
    cur.execute("UPDATE Contact SET Name = 'Cy Twombly' WHERE Email = 'cy@example.com'")
    cur.execute("INSERT INTO Contact (Email, Name) VALUES ('fay@example.com', 'Fay')")
    sb.log.clear()

    report = run(conn, target)

    assert not report.first_run
    assert (report.to_mailjet.inserted, report.to_mailjet.updated) == (1, 1)
    assert (report.to_database.inserted, report.to_database.updated) == (1, 1)
    assert report.conflicts == ()
    assert sorted(writes_in(sb)) == [("POST", "/v3/REST/contact"), ("PUT", "/v3/REST/contact/2")]
    both = contacts(conn)
    assert both == database_rows(target, "email, name")
    assert ("bob@example.com", "Bob Marley") in both and ("cy@example.com", "Cy Twombly") in both
    assert ("eve@example.com", "Eve") in both and ("fay@example.com", "Fay") in both

    sb.log.clear()
    again = run(conn, target)
    assert writes_in(sb) == []
    assert again.write_requests == 0
    assert (again.to_mailjet, again.to_database) == (
        again.to_mailjet.__class__(Direction.TO_MAILJET),
        again.to_database.__class__(Direction.TO_DATABASE),
    )
    # one read of Mailjet is all a quiet run costs
    assert [(r.method, r.path) for r in sb.log] == [("GET", "/v3/REST/contact")]


@pytest.mark.parametrize(
    ("prefer", "db_changed_at", "kept"),
    [
        ("mailjet", None, "Ann (Mailjet)"),
        ("database", None, "Ann (database)"),
        ("newer", "2000-01-01 00:00:00", "Ann (Mailjet)"),
        ("newer", "2099-01-01 00:00:00", "Ann (database)"),
    ],
)
@pytest.mark.parametrize("target", ["sqlite", "postgres"], indirect=True)
def test_a_conflict_is_resolved_by_the_policy_and_listed(
    target: DbTarget, prefer: str, db_changed_at: str | None, kept: str
) -> None:
    account = small_account()
    for contact in account.resources["contact"]:
        contact["LastUpdateAt"] = ""  # as production's contacts carry it: set by each change
    sb = Sandbox(data=account)
    with mjquery.connect(sandbox=sb, cache_ttl=0) as conn:
        _conflict(sb, conn, target, prefer, db_changed_at, kept)


def _conflict(
    sb: Sandbox, conn: Any, target: DbTarget, prefer: str, db_changed_at: str | None, kept: str
) -> None:
    columns = CRM + (", updated_at TIMESTAMP" if db_changed_at else "")
    row: tuple[Any, ...] = ("ann@example.com", "Ann", False)
    prepare(target, columns, [row + ((db_changed_at,) if db_changed_at else ())])
    run(conn, target)
    table = qualified(target)
    target.execute(f"UPDATE {table} SET name = 'Ann (database)' WHERE email = 'ann@example.com'")
    conn.cursor().execute("UPDATE Contact SET Name = 'Ann (Mailjet)' WHERE ID = 1")
    sb.log.clear()

    report = run(conn, target, prefer=prefer)

    assert report.prefer is Prefer(prefer)
    [conflict] = report.conflicts
    assert (conflict.key, conflict.column) == ("ann@example.com", "Name")
    assert (conflict.mailjet_value, conflict.database_value) == ("Ann (Mailjet)", "Ann (database)")
    assert conflict.winner is (Side.MAILJET if kept == "Ann (Mailjet)" else Side.DATABASE)
    assert prefer in conflict.why
    assert ("ann@example.com", kept) in contacts(conn)
    assert ("ann@example.com", kept) in database_rows(target, "email, name")
    assert writes_in(sb) == ([("PUT", "/v3/REST/contact/1")] if kept == "Ann (database)" else [])


def test_newer_without_an_updated_at_column_falls_back_to_mailjet(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepare(target, CRM, [("ann@example.com", "Ann", False)])
    run(conn, target)
    target.execute(f"UPDATE {qualified(target)} SET name = 'Ann (database)'")
    conn.cursor().execute("UPDATE Contact SET Name = 'Ann (Mailjet)' WHERE ID = 1")
    [conflict] = run(conn, target, prefer="newer").conflicts
    assert conflict.winner is Side.MAILJET
    assert "no updated-at column" in conflict.why


@pytest.mark.parametrize("target", ["sqlite", "mysql"], indirect=True)
def test_a_new_only_object_reports_updates_without_synchronising_them(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    first = run(conn, target, obj="List", name="lists")  # the table is created from Mailjet
    assert first.to_database.inserted == 2
    assert database_rows(target, "name, is_deleted", "lists") == [("Newsletter", 0), ("VIP", 0)]
    target.execute(f"UPDATE {qualified(target, 'lists')} SET name = 'VIP customers' WHERE id = 8")
    target.execute(f"INSERT INTO {qualified(target, 'lists')} (name) VALUES ('Partners')")
    conn.cursor().execute("UPDATE List SET Name = 'Weekly news' WHERE ID = 7")
    sb.log.clear()

    report = run(conn, target, obj="List", name="lists")

    # the new row flows; neither update does, and both are reported with the rule
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist")]
    assert report.to_mailjet.inserted == 1 and report.to_database.updated == 0
    not_synced = sorted((r.direction, r.key) for r in report.refusals)
    assert not_synced == [
        (Direction.TO_MAILJET, "VIP customers"),
        (Direction.TO_DATABASE, "Newsletter"),
    ]
    for refusal in report.refusals:
        assert refusal.category is RefusalKind.MODE
        assert "only new records are synchronised" in refusal.reason
    assert report.ok  # reported, not failed
    names = mailjet_rows(conn, "SELECT Name FROM List")
    assert names == [("Partners",), ("VIP",), ("Weekly news",)]
    assert database_rows(target, "name", "lists") == [
        ("Newsletter",),
        ("Partners",),
        ("VIP customers",),
    ]


def test_refusals_are_reported_retried_and_never_in_the_snapshot(
    target: DbTarget,
) -> None:
    # the API refuses the first POST of a contact (400), then takes it
    sb = writes_sandbox(
        fault_rules=(FaultRule("POST", "/v3/REST/contact", FaultKind.ERROR_BEFORE, status=400),)
    )
    prepare(
        target,
        CRM + ", delivered_count BIGINT",
        [
            ("ann@example.com", "Ann", False, 99),  # Mailjet counts 0: a read-only column
            ("not-an-email", "Nobody", False, None),
            ("gil@example.com", "Gil", False, None),
        ],
    )
    with mjquery.connect(sandbox=sb, cache_ttl=0) as conn:
        run(conn, target)  # ann linked: DeliveredCount taken from Mailjet (0) on the first run
        target.execute(
            f"UPDATE {qualified(target)} SET delivered_count = 5 WHERE email = 'ann@example.com'"
        )
        sb.log.clear()
        report = run(conn, target)
        reasons = {r.key: (r.category, r.reason) for r in report.refusals}
        assert reasons["not-an-email"][0] is RefusalKind.RULE
        assert "not a valid email address" in reasons["not-an-email"][1]
        assert reasons["ann@example.com"][0] is RefusalKind.RULE
        assert "DeliveredCount is read-only" in reasons["ann@example.com"][1]
        assert not report.ok

        snapshot = target.query(
            f"SELECT db_key FROM {qualified(target, 'mjquery_sync_contact_crm')}"
        )
        assert ("not-an-email",) not in snapshot

        # gil: refused by the API on the first run above, sent again on this one
        assert writes_in(sb) == [("POST", "/v3/REST/contact")]
        assert ("gil@example.com", "Gil") in contacts(conn)
        assert ("gil@example.com",) in snapshot
        # the read-only change is still pending: next run reports it again, sends nothing
        sb.log.clear()
        third = run(conn, target)
        assert {r.key for r in third.failed} == {"not-an-email", "ann@example.com"}
        assert writes_in(sb) == []
        assert database_rows(target, "email, delivered_count")[0] == ("ann@example.com", 5)


def test_an_api_refusal_is_reported_and_sent_again_next_run(target: DbTarget) -> None:
    sb = writes_sandbox(
        fault_rules=(FaultRule("POST", "/v3/REST/contact", FaultKind.ERROR_BEFORE, status=400),)
    )
    prepare(target, CRM, [("gil@example.com", "Gil", False)])
    with mjquery.connect(sandbox=sb, cache_ttl=0) as conn:
        first = run(conn, target)
        [refusal] = first.failed
        assert (refusal.key, refusal.category) == ("gil@example.com", RefusalKind.API)
        assert ("gil@example.com", "Gil") not in contacts(conn)
        snapshot = qualified(target, "mjquery_sync_contact_crm")
        assert ("gil@example.com",) not in target.query(f"SELECT db_key FROM {snapshot}")

        sb.log.clear()
        second = run(conn, target)
        assert second.ok and second.to_mailjet.inserted == 1
        assert writes_in(sb) == [("POST", "/v3/REST/contact")]
        assert ("gil@example.com", "Gil") in contacts(conn)
        assert ("gil@example.com",) in target.query(f"SELECT db_key FROM {snapshot}")


@pytest.mark.parametrize("target", ["duckdb", "postgres"], indirect=True)
def test_deletes_flow_only_with_deletes_as_each_object_allows(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    run(conn, target, obj="List", name="lists")
    target.execute(f"DELETE FROM {qualified(target, 'lists')} WHERE name = 'VIP'")

    without = run(conn, target, obj="List", name="lists")
    [pending] = without.refusals
    assert pending.category is RefusalKind.DELETE and "--deletes" in pending.reason
    assert without.ok

    sb.log.clear()
    deleted = run(conn, target, obj="List", name="lists", deletes=True)
    assert deleted.to_mailjet.deleted == 1
    assert writes_in(sb) == [("DELETE", "/v3/REST/contactslist/8")]
    # List DELETE is a soft delete: the list stays, with IsDeleted = true
    assert mailjet_rows(conn, "SELECT Name, IsDeleted FROM List") == [
        ("Newsletter", False),
        ("VIP", True),
    ]
    sb.log.clear()
    assert run(conn, target, obj="List", name="lists", deletes=True).ok
    assert writes_in(sb) == []
    assert database_rows(target, "name", "lists") == [("Newsletter",)]

    # a list deleted in Mailjet leaves the table too
    conn.cursor().execute("DELETE FROM List WHERE ID = 7")
    report = run(conn, target, obj="List", name="lists", deletes=True)
    assert report.to_database.deleted == 1
    assert database_rows(target, "name", "lists") == []

    # Contact: the v3 API has no contact deletion; the refusal points at GDPR deletion
    run(conn, target)
    target.execute(f"DELETE FROM {qualified(target)} WHERE email = 'bob@example.com'")
    sb.log.clear()
    contact = run(conn, target, deletes=True)
    [refused] = contact.failed
    assert refused.key == "bob@example.com" and refused.category is RefusalKind.RULE
    assert "DELETE /v4/contacts/{contact_ID}" in refused.reason
    assert "gdpr_delete_contacts" in refused.reason
    assert writes_in(sb) == []
    assert ("bob@example.com", "Bob") in contacts(conn)


@pytest.mark.parametrize("target", ["postgres", "mysql"], indirect=True)
def test_a_bulk_run_looks_nothing_up_and_reads_back_only_what_it_wrote(
    sb: Sandbox, target: DbTarget
) -> None:
    # bulk from 2 rows: the changes go as one managemanycontacts job (INSERT ... OR REPLACE)
    options = WriteOptions(bulk_threshold=2, poll_interval=0.01)
    with mjquery.connect(sandbox=sb, cache_ttl=0, write_options=options) as conn:
        prepare(target, CRM, [("ann@example.com", "Ann", False)])
        run(conn, target)
        table = qualified(target)
        target.execute(f"UPDATE {table} SET name = 'Bob Marley' WHERE email = 'bob@example.com'")
        target.execute(f"UPDATE {table} SET name = 'Cy Twombly' WHERE email = 'cy@example.com'")
        target.execute(f"INSERT INTO {table} VALUES ('eve@example.com', 'Eve', FALSE)")
        sb.log.clear()

        report = run(conn, target)

        assert (report.to_mailjet.inserted, report.to_mailjet.updated) == (1, 2)
        assert report.ok and report.write_requests == 1
        assert writes_in(sb) == [("POST", "/v3/REST/contact/managemanycontacts")]
        log = [(r.method, r.path, r.param("countOnly")) for r in sb.log]
        post = log.index(("POST", "/v3/REST/contact/managemanycontacts", None))
        # before the job: the run's own read of the contacts, no look-up of them by Email
        assert log[:post] == [("GET", "/v3/REST/contact", None)]
        # after it (besides its polls): the job's read-back of its contacts (here a count and
        # one page), which the sync reuses: no second read of every contact
        after = [entry for entry in log[post + 1 :] if "managemanycontacts" not in entry[1]]
        assert after == [("GET", "/v3/REST/contact", "1"), ("GET", "/v3/REST/contact", None)]
        both = contacts(conn)
        assert both == database_rows(target, "email, name")
        assert ("eve@example.com", "Eve") in both and ("bob@example.com", "Bob Marley") in both

        sb.log.clear()
        again = run(conn, target)
        assert again.write_requests == 0 and writes_in(sb) == []
        assert (again.to_database.inserted, again.to_database.updated) == (0, 0)


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_a_written_row_without_a_usable_answer_is_read_again_by_id(
    sb: Sandbox, conn: Any, target: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mjquery.sync.run

    prepare(target, CRM, [("ann@example.com", "Ann", False)])
    run(conn, target)
    target.execute(
        f"UPDATE {qualified(target)} SET name = 'Bob Marley' WHERE email = 'bob@example.com'"
    )
    # as if the PUT's answer carried no usable contact (an API that echoes less)
    monkeypatch.setattr(mjquery.sync.run, "_answered", lambda *_args: None)
    sb.log.clear()

    report = run(conn, target)

    assert report.ok and report.to_mailjet.updated == 1
    # the PUT, then bob read back by his ID alone: no second read of every contact
    assert [(r.method, r.path) for r in sb.log] == [
        ("GET", "/v3/REST/contact"),
        ("PUT", "/v3/REST/contact/2"),
        ("GET", "/v3/REST/contact/2"),
    ]
    assert contacts(conn) == database_rows(target, "email, name")
    sb.log.clear()
    assert run(conn, target).write_requests == 0 and writes_in(sb) == []
