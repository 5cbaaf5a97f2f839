"""Two-way sync of ContactProperties (one row per contact, one typed column per property) with
SQLite and PostgreSQL: no timestamp, every row compared by value with the snapshot.

The account is ``tests/writes_support.small_account``: properties ``age`` (int) and ``country``
(str); contact 1 has age "30", contact 2 has no value (contact 3 has no contactdata object).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.sync import RefusalKind, SyncMode
from mjquery.writes import WriteOptions
from tests.replicate_support import DbTarget, target_fixture  # noqa: F401
from tests.sync_support import database_rows, table_name
from tests.test_sync_cli import cli
from tests.writes_support import writes_in

DATA = "/v3/REST/contactdata"
BULK = "/v3/REST/contact/managemanycontacts"
ON_SERVERS = pytest.mark.parametrize("target", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def conn(sb: Sandbox) -> Iterator[Any]:
    with mjquery.connect(sandbox=sb, cache_ttl=0) as connection:
        yield connection


def run(conn: Any, target: DbTarget, **kw: Any) -> Any:
    return mjquery.sync(
        conn, "ContactProperties", with_=target.url, table=table_name(target, "props"), **kw
    )


def data_of(sb: Sandbox, contact_id: int) -> dict[str, Any]:
    row = next(r for r in sb.store.table("contactdata").rows if r["ContactID"] == contact_id)
    return {item["Name"]: item["Value"] for item in row["Data"]}


def table_rows(target: DbTarget, columns: str = "contact_id, age, country") -> list[Any]:
    return database_rows(target, columns, "props")


def prepared(target: DbTarget) -> None:
    if target.kind == "postgres":
        target.execute(f"CREATE SCHEMA IF NOT EXISTS {target.dataset}")


@ON_SERVERS
def test_first_run_fills_the_table_and_a_second_run_writes_nothing(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepared(target)
    sb.log.clear()

    report = run(conn, target)

    assert report.mode is SyncMode.FULL and report.ok and report.refusals == ()
    assert (report.to_database.inserted, report.to_mailjet.updated) == (2, 0)
    assert writes_in(sb) == []
    assert table_rows(target) == [(1, 30, None), (2, None, None)]

    again = run(conn, target)
    assert again.ok and again.plan.changes == () and again.write_requests == 0
    assert writes_in(sb) == []


@ON_SERVERS
def test_a_database_change_flows_to_mailjet_with_a_put(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepared(target)
    run(conn, target)
    props = table_name(target, "props")
    target.execute(f"UPDATE {props} SET country = 'FR', age = 31 WHERE contact_id = 1")
    sb.log.clear()

    report = run(conn, target)

    assert report.ok and report.to_mailjet.updated == 1 and report.to_database.updated == 0
    assert writes_in(sb) == [("PUT", f"{DATA}/1")]
    assert data_of(sb, 1) == {"age": "31", "country": "FR"}
    assert table_rows(target) == [(1, 31, "FR"), (2, None, None)]
    assert run(conn, target).plan.changes == ()


@ON_SERVERS
def test_many_database_changes_go_as_one_bulk_job(sb: Sandbox, target: DbTarget) -> None:
    prepared(target)
    options = WriteOptions(bulk_threshold=2)
    with mjquery.connect(sandbox=sb, cache_ttl=0, write_options=options) as conn:
        run(conn, target)
        target.execute(f"UPDATE {table_name(target, 'props')} SET country = 'DE'")
        sb.log.clear()

        report = run(conn, target)

        assert report.ok and report.to_mailjet.updated == 2
        assert [w for w in writes_in(sb) if w[0] == "POST"] == [("POST", BULK)]
        assert data_of(sb, 1) == {"age": "30", "country": "DE"}
        assert data_of(sb, 2) == {"country": "DE"}
        assert run(conn, target).plan.changes == ()


@ON_SERVERS
def test_a_mailjet_change_flows_to_the_database(sb: Sandbox, conn: Any, target: DbTarget) -> None:
    prepared(target)
    run(conn, target)
    cur = conn.cursor()
    cur.execute("UPDATE ContactProperties SET country = 'IT' WHERE ContactID = 2")
    sb.log.clear()

    report = run(conn, target)

    assert report.ok and report.to_database.updated == 1 and report.to_mailjet.updated == 0
    assert writes_in(sb) == []
    assert table_rows(target) == [(1, 30, None), (2, None, "IT")]


def test_a_value_of_the_wrong_type_is_refused_naming_the_property_and_retried(
    sb: Sandbox, conn: Any, tmp_path: Any
) -> None:
    # SQLite keeps any value in any column: 'thirty' in the BIGINT column of age
    url = f"sqlite:///{tmp_path}/crm.db"
    mjquery.sync(conn, "ContactProperties", with_=url, table="props")
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute("UPDATE props SET age = 'thirty', country = 'ES' WHERE contact_id = 1")
    sb.log.clear()

    report = mjquery.sync(conn, "ContactProperties", with_=url, table="props")

    assert not report.ok
    [refusal] = report.failed
    assert refusal.category is RefusalKind.RULE and refusal.key == "1"
    assert "the contact property 'age' is of type int (BIGINT)" in refusal.reason
    assert "'thirty'" in refusal.reason
    assert writes_in(sb) == [] and data_of(sb, 1) == {"age": "30"}
    # fixed in the database: the next run sends both columns
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute("UPDATE props SET age = 33 WHERE contact_id = 1")
    report = mjquery.sync(conn, "ContactProperties", with_=url, table="props")
    assert report.ok and report.to_mailjet.updated == 1
    assert data_of(sb, 1) == {"age": "33", "country": "ES"}


@ON_SERVERS
def test_a_new_property_becomes_a_new_column(sb: Sandbox, conn: Any, target: DbTarget) -> None:
    prepared(target)
    run(conn, target)
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO ContactMetadata (Name, Datatype, NameSpace) VALUES ('vip', 'bool', 'static')"
    )
    cur.execute("UPDATE ContactProperties SET vip = TRUE WHERE ContactID = 2")

    report = run(conn, target)

    assert report.ok and report.to_database.updated == 1
    assert table_rows(target, "contact_id, vip") == [(1, None), (2, True)]


@ON_SERVERS
def test_rows_mailjet_does_not_take_are_refused_with_the_rule(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepared(target)
    run(conn, target)
    props = table_name(target, "props")
    target.execute(f"INSERT INTO {props} (contact_id, country) VALUES (99, 'NL')")
    target.execute(f"DELETE FROM {props} WHERE contact_id = 2")
    sb.log.clear()

    report = run(conn, target, deletes=True)

    assert writes_in(sb) == []
    reasons = {r.key: (r.kind.value, r.category, r.reason) for r in report.refusals}
    assert set(reasons) == {"99", "2"}
    assert reasons["99"][:2] == ("insert", RefusalKind.RULE)
    assert "ContactProperties does not allow INSERT" in reasons["99"][2]
    assert reasons["2"][:2] == ("delete", RefusalKind.RULE)
    assert "ContactProperties does not allow DELETE" in reasons["2"][2]


def test_the_command_line_syncs_it_and_describe_shows_its_mode(sb: Sandbox, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    code, out, err = cli(sb, "sync", "ContactProperties", "--with", url, "--table", "props")
    assert code == 0 and "Traceback" not in err
    assert " to database |        2 |" in out
    code, out, _ = cli(sb, "describe", "ContactProperties")
    assert code == 0
    assert (
        "sync: new and updated records (no timestamp: every row is read and compared by "
        "value); Mailjet allows no INSERT or DELETE of it: only updates flow into Mailjet; "
        "linked by ContactID"
    ) in out


@ON_SERVERS
def test_key_email_links_rows_by_the_contacts_email(
    sb: Sandbox, conn: Any, target: DbTarget
) -> None:
    prepared(target)
    report = run(conn, target, key="Email")
    assert report.ok and report.to_database.inserted == 2
    assert table_rows(target, "email, contact_id, age") == [
        ("ann@example.com", 1, 30),
        ("bob@example.com", 2, None),
    ]
    target.execute(
        f"UPDATE {table_name(target, 'props')} SET country = 'PT' WHERE email = 'bob@example.com'"
    )
    sb.log.clear()

    report = run(conn, target, key="Email")

    assert report.ok and report.to_mailjet.updated == 1
    assert writes_in(sb) == [("PUT", f"{DATA}/2")]
    assert data_of(sb, 2) == {"country": "PT"}
    assert run(conn, target, key="Email").plan.changes == ()


def test_another_key_is_refused_with_the_choices(sb: Sandbox, conn: Any, tmp_path: Any) -> None:
    with pytest.raises(mjquery.ProgrammingError) as refused:
        mjquery.sync(
            conn, "ContactProperties", with_=f"sqlite:///{tmp_path}/x.db", table="p", key="age"
        )
    assert str(refused.value) == (
        "--key age: ContactProperties links rows by ContactID (default) or by Email"
    )
