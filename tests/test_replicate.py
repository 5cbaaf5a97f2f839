"""Replication into DuckDB, SQLite, PostgreSQL and MariaDB: rows equal the source, later runs
are incremental by each table's strategy (checked on the sandbox's request log), deletes, faults,
conflicting target shapes, and nothing is ever written to Mailjet."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import mjquery
from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.sandbox import Sandbox
from tests.replicate_support import DbTarget, normalise, target_fixture  # noqa: F401

TABLES = ["Contact", "List", "ListRecipient", "Campaign", "Message", "Template"]
SCALE = 0.05  # 100 contacts, 1,000 messages


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(scale=SCALE)


@pytest.fixture
def conn(sandbox: Sandbox) -> Any:
    connection = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    yield connection
    connection.close()


def source_rows(conn: Any, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    schema = conn.catalog.get(table)
    columns = [c.name for c in schema.columns if not c.write_only]
    cur = conn.cursor()
    cur.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ID")
    return columns, [tuple(normalise(v) for v in row) for row in cur.fetchall()]


def snake(name: str) -> str:
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return str(NamingConvention().normalize_identifier(name))


def assert_equal(conn: Any, target: DbTarget, table: str) -> None:
    columns, expected = source_rows(conn, table)
    got = target.rows(snake(table), [snake(c) for c in columns])
    assert len(got) == len(expected), (
        f"{table}: {len(got)} rows in the target, {len(expected)} in Mailjet"
    )
    for want, have in zip(expected, got, strict=True):
        assert want == have, f"{table}: row differs\n mailjet {want}\n target  {have}"


def only_reads(sandbox: Sandbox) -> None:
    methods = {r.method for r in sandbox.log}
    assert methods <= {"GET"}, f"replication sent {methods - {'GET'}} to Mailjet"


def run(conn: Any, target: DbTarget, **kwargs: Any) -> Any:
    kwargs.setdefault("tables", TABLES)
    return mjquery.replicate(conn, to=target.url, dataset=target.dataset, **kwargs)


def test_full_run_equals_the_source_and_incremental_run_follows_changes(
    conn: Any, sandbox: Sandbox, target: DbTarget
) -> None:
    report = run(conn, target)
    assert report.ok, report.failed
    assert {t.table: t.mode for t in report.tables} == dict.fromkeys(TABLES, "full")
    for table in TABLES:
        assert_equal(conn, target, table)
    messages = next(t for t in report.tables if t.table == "Message")
    assert messages.rows_read == messages.inserted == len(source_rows(conn, "Message")[1])
    only_reads(sandbox)

    # changes through the API (and one GDPR deletion, which only Mailjet itself can do)
    cur = conn.cursor()
    cur.execute("INSERT INTO Contact (Email, Name) VALUES ('new.reader@example.com', 'New Reader')")
    cur.execute("UPDATE Contact SET Name = 'Renamed' WHERE ID = (SELECT min(ID) FROM Contact)")
    cur.execute("SELECT ID FROM Template ORDER BY ID LIMIT 1")
    (template_id,) = cur.fetchone()
    cur.execute(f"DELETE FROM Template WHERE ID = {template_id}")
    cur.execute("SELECT ID FROM List ORDER BY ID LIMIT 1")
    (list_id,) = cur.fetchone()
    cur.execute(f"DELETE FROM List WHERE ID = {list_id}")  # soft delete: IsDeleted = true
    contacts = sandbox.store.table("contact")
    gone = max(
        contacts.rows, key=lambda r: r["ID"] if r["Email"] != "new.reader@example.com" else 0
    )
    contacts.delete(gone)
    messages_table = sandbox.store.table("message")
    newest = max(messages_table.rows, key=lambda r: r["ArrivedAt"])
    for i in range(3):
        row = dict(newest, ID=newest["ID"] + 1000 + i, ArrivedAt=sandbox.store.clock_iso())
        messages_table.insert(row)
    sandbox.log.clear()

    report = run(conn, target)
    message_requests = sandbox.log.requests(method="GET", path="/v3/REST/message")
    only_reads(sandbox)
    assert report.ok, report.failed
    by_table = {t.table: t for t in report.tables}
    assert {t.mode for t in report.tables} == {"incremental"}
    for table in TABLES:
        assert_equal(conn, target, table)
    contact = by_table["Contact"]
    assert (contact.inserted, contact.updated, contact.deleted) == (1, 1, 1)
    assert by_table["Template"].deleted == 1
    assert by_table["List"].updated == 1 and by_table["List"].deleted == 0
    is_deleted = target.query(f"SELECT is_deleted FROM {target.table('list')} WHERE id = {list_id}")
    assert [normalise(v) for (v,) in is_deleted] == [1]
    assert by_table["Message"].inserted == 3
    # messages: one request for the window since the watermark (minus the overlap), not a scan
    assert len(message_requests) == by_table["Message"].requests == 1
    since = message_requests[0].param("FromTS")
    assert since is not None
    watermark = messages.watermark
    assert watermark is not None
    from datetime import datetime

    assert datetime.fromisoformat(since.replace("Z", "+00:00")) == datetime.fromisoformat(
        watermark
    ) - timedelta(days=1)
    # changed-rows tables: every row read, only changed rows written
    assert by_table["Contact"].rows_read == len(source_rows(conn, "Contact")[1])
    assert by_table["Campaign"].inserted + by_table["Campaign"].updated == 0

    # a run with no change writes nothing
    report = run(conn, target, tables=["Contact", "Template", "Campaign"])
    assert [(t.inserted, t.updated, t.deleted) for t in report.tables] == [(0, 0, 0)] * 3
    rows = target.query(
        f"SELECT id, count(*) FROM {target.table('contact')} GROUP BY id HAVING count(*) > 1"
    )
    assert rows == []


def test_awkward_values_arrive_exactly(conn: Any, target: DbTarget) -> None:
    # every destination's fast load path (Parquet through ADBC's COPY, CSV through LOAD DATA)
    # must keep these apart: quotes, commas, backslashes, line breaks, the string 'NULL', an
    # empty string and a NULL, characters outside ASCII
    names = [
        'O"Brien, the \\ backslash',
        "two\nlines\r\nand a tab\t",
        "NULL",
        "",
        "Zoë 🚀 \\N",
    ]
    cur = conn.cursor()
    cur.execute(f"SELECT ID FROM Contact ORDER BY ID LIMIT {len(names)}")
    ids = [row[0] for row in cur.fetchall()]
    for contact_id, name in zip(ids, names, strict=True):
        cur.execute(f"UPDATE Contact SET Name = ? WHERE ID = {contact_id}", (name,))
    report = run(conn, target, tables=["Contact", "Message"])
    assert report.ok, report.failed
    assert_equal(conn, target, "Contact")
    assert_equal(conn, target, "Message")
    got = target.query(
        f"SELECT id, name FROM {target.table('contact')} WHERE id IN ({', '.join(map(str, ids))})"
    )
    assert sorted(got) == sorted(zip(ids, names, strict=True))


def test_keep_names_and_dataset(conn: Any, tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/named.duckdb"
    report = mjquery.replicate(conn, to=url, tables=["List"], keep_names=True, dataset="crm")
    assert report.ok
    found = DbTarget("duckdb", url, "crm")
    rows = found.query('SELECT "ID", "SubscriberCount" FROM crm."List" ORDER BY "ID"')
    cur = conn.cursor()
    cur.execute("SELECT ID, SubscriberCount FROM List ORDER BY ID")
    assert rows == cur.fetchall()


def test_a_table_whose_reads_fail_is_reported_and_retried_next_run(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    inner = sandbox.transport()
    broken = {"on": True}

    def handler(request: httpx.Request) -> httpx.Response:
        if broken["on"] and request.url.path == "/v3/REST/template":
            return httpx.Response(503, json={"ErrorMessage": "maintenance"})
        response = inner.handle_request(request)
        response.read()
        return response

    conn = mjquery.connect(sandbox=sandbox, transport=httpx.MockTransport(handler), cache_ttl=0)
    url = f"duckdb:///{tmp_path}/faults.duckdb"
    target = DbTarget("duckdb", url, None)
    report = mjquery.replicate(conn, to=url, tables=["List", "Template", "Campaign"])
    assert [t.table for t in report.failed] == ["Template"]
    assert "503" in (report.failed[0].error or "") or "maintenance" in (
        report.failed[0].error or ""
    )
    assert_equal(conn, target, "List")
    assert_equal(conn, target, "Campaign")
    assert target.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'template'"
    ) == [(0,)]
    broken["on"] = False
    report = mjquery.replicate(conn, to=url, tables=["List", "Template", "Campaign"])
    assert report.ok
    assert next(t for t in report.tables if t.table == "Template").mode == "full"
    assert_equal(conn, target, "Template")


def test_transient_faults_are_retried(tmp_path: Path) -> None:
    from mjquery.sandbox import SandboxConfig

    sandbox = Sandbox(
        scale=SCALE, config=SandboxConfig(fault_rate=0.2, drop_rate=0.05, fault_seed=3)
    )
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    url = f"duckdb:///{tmp_path}/flaky.duckdb"
    report = mjquery.replicate(conn, to=url, tables=["Contact", "Message"])
    assert report.ok, report.failed
    assert any(r.status >= 500 for r in sandbox.log), "no fault was injected"
    clean = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    # the same data, read without faults for the comparison
    object.__setattr__(sandbox, "config", SandboxConfig())
    target = DbTarget("duckdb", url, None)
    for table in ("Contact", "Message"):
        assert_equal(clean, target, table)


def test_conflicting_target_shape_is_refused_until_full_replace(
    conn: Any, target: DbTarget
) -> None:
    if target.kind == "sqlite":
        target.execute("CREATE TABLE list (id TEXT, name TEXT)")
    elif target.kind == "mysql":
        database = target.schema
        target.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
        target.execute(f"CREATE TABLE {database}.list (id TEXT, name TEXT)")
    else:
        schema = target.schema
        target.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        target.execute(f"CREATE TABLE {schema}.list (id TEXT, name TEXT)")
    report = run(conn, target, tables=["List"])
    assert not report.ok
    error = report.failed[0].error or ""
    assert "list" in error and "column id" in error and "--full --replace" in error
    assert target.query(f"SELECT count(*) FROM {target.table('list')}") == [(0,)]
    with pytest.raises(ProgrammingError, match="only allowed with"):
        run(conn, target, tables=["List"], replace=True)
    report = run(conn, target, tables=["List"], full=True, replace=True)
    assert report.ok, report.failed
    assert_equal(conn, target, "List")


def test_new_column_is_schema_evolution(sandbox: Sandbox, tmp_path: Path) -> None:
    from mjquery.schema import load_catalog

    catalog = load_catalog()
    contact = catalog.get("Contact")
    narrow = dataclasses.replace(
        contact, columns=tuple(c for c in contact.columns if c.name != "Name")
    )
    older = type(catalog)(tuple(narrow if s is contact else s for s in catalog.objects))
    url = f"duckdb:///{tmp_path}/evolve.duckdb"
    first = mjquery.connect(sandbox=sandbox, catalog=older, cache_ttl=0)
    assert mjquery.replicate(first, to=url, tables=["Contact"]).ok
    target = DbTarget("duckdb", url, None)
    columns = {
        r[0]
        for r in target.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'contact'"
        )
    }
    assert "name" not in columns
    current = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    report = mjquery.replicate(current, to=url, tables=["Contact"])
    assert report.ok and report.tables[0].updated == len(source_rows(current, "Contact")[1])
    assert_equal(current, target, "Contact")


def test_newest_first_reads_pages_until_past_the_watermark(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from mjquery.schema import Incremental, load_catalog

    catalog = load_catalog()
    message = catalog.get("Message")
    newest = dataclasses.replace(
        message, incremental=Incremental.NEWEST_FIRST, incremental_overlap_s=0
    )
    catalog = type(catalog)(tuple(newest if s is message else s for s in catalog.objects))
    conn = mjquery.connect(sandbox=sandbox, catalog=catalog, cache_ttl=0)
    url = f"duckdb:///{tmp_path}/newest.duckdb"
    first = mjquery.replicate(conn, to=url, tables=["Message"])
    assert first.ok, first.failed
    table = sandbox.store.table("message")
    last = max(table.rows, key=lambda r: r["ArrivedAt"])
    table.insert(dict(last, ID=last["ID"] + 77, ArrivedAt=sandbox.store.clock_iso()))
    sandbox.log.clear()
    report = mjquery.replicate(conn, to=url, tables=["Message"])
    assert report.ok, report.failed[0].error
    assert report.tables[0].inserted == 1
    requests = sandbox.log.requests(method="GET", path="/v3/REST/message")
    assert len(requests) == 1
    assert requests[0].param("Sort") == "ArrivedAt DESC" and requests[0].param("Limit") == "1000"
    assert_equal(conn, DbTarget("duckdb", url, None), "Message")


def test_dry_run_reads_and_writes_nothing(conn: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/dry.duckdb"
    report = mjquery.replicate(conn, to=url, tables=["Message", "Contact"], dry_run=True)
    assert [t.mode for t in report.tables] == ["full", "full"]
    assert "GET /v3/REST/message" in report.tables[0].plan
    assert len(sandbox.log) == 0
    assert not Path(tmp_path / "dry.duckdb").exists() or DbTarget("duckdb", url, None).query(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mailjet'"
    ) == [(0,)]
    mjquery.replicate(conn, to=url, tables=["Message"])
    sandbox.log.clear()
    report = mjquery.replicate(conn, to=url, tables=["Message"], dry_run=True)
    assert report.tables[0].mode == "incremental" and "FromTS=" in report.tables[0].plan
    assert len(sandbox.log) == 0


def test_tables_that_cannot_be_replicated_name_the_rule(conn: Any, tmp_path: Path) -> None:
    with pytest.raises(NotSupportedError, match="CampaignID"):
        mjquery.replicate(conn, to=f"duckdb:///{tmp_path}/x.duckdb", tables=["LinkClickStatistics"])
    with pytest.raises(NotSupportedError, match="read per CampaignDraft"):
        mjquery.replicate(
            conn, to=f"duckdb:///{tmp_path}/x.duckdb", tables=["CampaignDraftSchedule"]
        )
    with pytest.raises(ProgrammingError, match="Did you mean 'List'"):
        mjquery.replicate(conn, to=f"duckdb:///{tmp_path}/x.duckdb", tables=["Lst"])


@pytest.mark.server
@pytest.mark.parametrize("kill_after_s", [2.0])
def test_sigkill_mid_run_then_rerun_equals_the_source(
    tmp_path: Path, kill_after_s: float, monkeypatch: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig, SandboxServer

    sandbox = Sandbox(scale=SCALE, config=SandboxConfig(latency_ms=40))
    url = f"duckdb:///{tmp_path}/killed.duckdb"
    tables = "Contact,Message,List"
    with SandboxServer(sandbox) as server:
        env = dict(os.environ, MJ_APIKEY_PUBLIC=DEMO_API_KEY, MJ_APIKEY_PRIVATE=DEMO_API_SECRET)
        command = [
            sys.executable,
            "-m",
            "mjquery.cli.main",
            "replicate",
            "--base-url",
            server.url,
            "--to",
            url,
            "--tables",
            tables,
        ]
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(kill_after_s)
        child.send_signal(signal.SIGKILL)
        child.wait()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        conn = mjquery.connect(
            base_url=server.url, api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET
        )
        target = DbTarget("duckdb", url, None)
        for table in tables.split(","):
            assert_equal(conn, target, table)
            duplicates = target.query(
                f"SELECT id FROM mailjet.{snake(table)} GROUP BY id HAVING count(*) > 1"
            )
            assert duplicates == []
        conn.close()


def test_a_non_sql_dlt_destination_parquet_files(
    conn: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    # dlt's filesystem destination (what a bucket on S3/GCS/Azure uses too): Parquet files
    import duckdb

    url = f"file://{tmp_path}/lake"
    tables = ["List", "Contact", "Message"]
    report = mjquery.replicate(conn, to=url, tables=tables)
    assert report.ok, report.failed

    def files(table: str) -> list[tuple[Any, ...]]:
        pattern = f"{tmp_path}/lake/mailjet/{snake(table)}/*.parquet"
        columns, _ = source_rows(conn, table)
        # appended files (named after their load id): a row's newest copy is the current one
        sql = (
            f"SELECT {', '.join(snake(c) for c in columns)} "
            f"FROM read_parquet('{pattern}', filename = true) "
            "QUALIFY row_number() OVER (PARTITION BY id ORDER BY filename DESC) = 1 ORDER BY id"
        )
        return [tuple(normalise(v) for v in row) for row in duckdb.sql(sql).fetchall()]

    for table in tables:
        assert files(table) == source_rows(conn, table)[1], table

    cur = conn.cursor()
    cur.execute("UPDATE Contact SET Name = 'Renamed' WHERE ID = (SELECT min(ID) FROM Contact)")
    messages = sandbox.store.table("message")
    newest = max(messages.rows, key=lambda r: r["ArrivedAt"])
    messages.insert(dict(newest, ID=newest["ID"] + 5000, ArrivedAt=sandbox.store.clock_iso()))
    sandbox.log.clear()
    report = mjquery.replicate(conn, to=url, tables=tables)
    assert report.ok, report.failed
    modes = {t.table: t.mode for t in report.tables}
    # messages: only the window since the watermark is read and appended
    assert modes["Message"] == "incremental"
    requests = sandbox.log.requests(method="GET", path="/v3/REST/message")
    assert len(requests) == 1 and requests[0].param("FromTS") is not None
    for table in tables:
        assert files(table) == source_rows(conn, table)[1], table
    only_reads(sandbox)
