"""``mjquery replicate`` from the command line, the strategies in the schema files and in
``describe``/EXPLAIN, the engine's Arrow interface, and dlt kept under mjquery's control."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mjquery
from mjquery.cli.main import main
from mjquery.cli.replicate import parse_interval
from mjquery.errors import ProgrammingError
from mjquery.replicate import parse_target
from mjquery.sandbox import Sandbox
from mjquery.schema import Incremental, SchemaError, load_catalog, load_schema_file


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


def test_list_shows_every_table_with_its_strategy() -> None:
    code, out, _ = cli("replicate", "--list", "--format", "csv")
    assert code == 0
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    assert len(rows) == len(load_catalog().objects)
    assert ",yes,time window," in rows["Message"] and "FromTS" in rows["Message"]
    assert ',yes,"full read, changed rows written",' in rows["Contact"]
    assert ",no,," in rows["LinkClickStatistics"] and "CampaignID" in rows["LinkClickStatistics"]
    assert ",yes,full refresh," in rows["CampaignStatistics"]


def test_describe_and_explain_show_the_strategy() -> None:
    code, out, _ = cli("describe", "Message")
    assert code == 0
    assert "replication: time window: later runs request only rows with ArrivedAt" in out
    with mjquery.connect(demo=True) as conn:
        text = conn.explain("SELECT * FROM Contact")
    assert "replication: full read, changed rows written" in text


def test_cli_run_summary_exit_codes_and_no_secret(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("replicate", "--demo", "--tables", "List,Campaign")
    assert code == 0, err
    assert (tmp_path / "mailjet.duckdb").exists()
    assert "List" in out and "Campaign" in out and "ok" in out
    assert "replicated into duckdb:///mailjet.duckdb (dataset main): 2/2 tables" in err
    # a wrong database: one line, exit 1, the password never printed
    code, out, err = cli(
        "replicate", "--demo", "--tables", "List", "--to", "postgresql://u:s3cr3t-pw@127.0.0.1:1/x"
    )
    assert code in (1, 3)
    assert "s3cr3t-pw" not in out + err and "***" in err
    for path in Path(os.environ["XDG_STATE_HOME"]).rglob("*"):
        if path.is_file():
            assert b"s3cr3t-pw" not in path.read_bytes(), path
    code, _, err = cli("replicate", "--demo", "--replace")
    assert code == 1 and "--replace is only allowed with --full" in err
    code, _, err = cli("replicate", "--demo", "--every", "soon")
    assert code == 1 and "30s, 15m, 1h or 1d" in err


def test_dlt_is_isolated_from_the_users_dlt_configuration(tmp_path: Path, monkeypatch: Any) -> None:
    # a user's dlt settings that would change what replication does are not read
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text('[schema]\nnaming = "direct"\n')
    monkeypatch.setenv("SCHEMA__NAMING", "direct")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "true")
    conn = mjquery.connect(sandbox=Sandbox(scale=0.02))
    report = mjquery.replicate(conn, to=f"duckdb:///{tmp_path}/iso.duckdb", tables=["List"])
    assert report.ok and report.tables[0].target_table == "list"
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    context = Container()[PluggableRunContext].context
    assert context.runtime_config.dlthub_telemetry is False
    from mjquery.config import state_dir

    state = state_dir() / "dlt"
    assert context.data_dir == str(state)
    assert any((state / "pipelines").iterdir())


def test_target_urls() -> None:
    assert parse_target(None).display == "duckdb:///mailjet.duckdb"
    pg = parse_target("postgresql://me:pa%40ss@db:5432/crm")
    assert pg.display == "postgresql://me:***@db:5432/crm" and pg.password == "pa@ss"
    assert "pa" not in repr(pg).replace("parse", "")
    assert parse_target("mysql://root@h/shop").dataset == "shop"
    assert parse_target("sqlite:///x.db").dataset == "main"
    assert parse_target("duckdb:///x.duckdb", "crm").dataset == "crm"
    # the default DuckDB file: `mailjet` is its catalog, so the tables go to its main schema
    # (a schema `mailjet` beside the catalog `mailjet` is ambiguous to DuckDB)
    assert parse_target(None).dataset == "main"
    assert parse_target("duckdb:///other.duckdb").dataset == "mailjet"
    assert parse_target("postgresql://u@h/db").dataset == "mailjet"
    with pytest.raises(mjquery.InterfaceError, match="ambiguous; leave --dataset out"):
        parse_target("duckdb:///mailjet.duckdb", "mailjet")
    with pytest.raises(mjquery.InterfaceError, match="not a URL"):
        parse_target("mailjet.duckdb")
    with pytest.raises(mjquery.InterfaceError, match="not a database mjquery or dlt knows"):
        parse_target("oracle9://x/y")
    assert parse_interval("15m") == 900 and parse_interval("1d") == 86400
    with pytest.raises(ProgrammingError):
        parse_interval("0s")


def test_engine_record_batches() -> None:
    sandbox = Sandbox(scale=0.05)
    with mjquery.connect(sandbox=sandbox, cache_ttl=0) as conn:
        batches = list(
            conn.engine.record_batches(
                "SELECT ID, Email, CreatedAt, IsExcludedFromCampaigns FROM Contact "
                "WHERE Email LIKE 'a%'",
                batch_rows=10,
            )
        )
        rows = [r for b in batches for r in zip(*(c.to_pylist() for c in b.columns), strict=True)]
        cur = conn.cursor()
        cur.execute(
            "SELECT ID, Email, CreatedAt, IsExcludedFromCampaigns FROM Contact WHERE Email LIKE 'a%'"
        )
        assert sorted(rows) == sorted(cur.fetchall()) and rows
        assert all(b.num_rows <= 10 for b in batches)
        assert [str(t) for t in batches[0].schema.types] == [
            "int64",
            "string",
            "timestamp[us]",
            "bool",
        ]
        first = sandbox.log.requests(path="/v3/REST/contact")[0]
        assert first.param("EmailLLike") == "a"  # pushdown intact
        assert conn.engine.last_batch_stats.rows == len(rows)
        with pytest.raises(ProgrammingError, match="takes a SELECT"):
            list(conn.engine.record_batches("SHOW TABLES"))
        with pytest.raises(mjquery.DatabaseError):
            list(conn.engine.record_batches("UPDATE Contact SET Name = 'x' WHERE ID = 1"))
        assert {r.method for r in sandbox.log} == {"GET"}


def test_schema_files_declare_a_consistent_strategy(tmp_path: Path) -> None:
    catalog = load_catalog()
    expected = {
        "Message": Incremental.TIME_WINDOW,
        "Contact": Incremental.CHANGED_ROWS,
        "Template": Incremental.CHANGED_ROWS,
        "CampaignDraft": Incremental.CHANGED_ROWS,
        "List": Incremental.CHANGED_ROWS,
        "CampaignStatistics": Incremental.FULL_REFRESH,
        "LinkClickStatistics": None,
    }
    for name, strategy in expected.items():
        assert catalog.get(name).incremental is strategy, name
    source = (Path(catalog.get("List").source_file)).read_text()
    bad = tmp_path / "List.toml"
    bad.write_text(source.replace('incremental = "changed_rows"', 'incremental = "time_window"'))
    with pytest.raises(SchemaError, match="time_window needs a lower-bound filter"):
        load_schema_file(bad)
    bad.write_text(source.replace('incremental = "changed_rows"', 'incremental = "sometimes"'))
    with pytest.raises(SchemaError, match="incremental: 'sometimes' is not one of"):
        load_schema_file(bad)


class _Terminal(io.StringIO):
    """Standard error as a terminal: the progress display is drawn on it."""

    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_and_only_the_summary_in_a_pipe(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from mjquery.frontend.progress import ERASE_LINE

    monkeypatch.chdir(tmp_path)
    args = ("replicate", "--demo", "--tables", "Contact,Message", "--to", "duckdb:///p.duckdb")
    err = _Terminal()
    code = main(list(args), stdout=io.StringIO(), stderr=err, stdin=io.StringIO(""))
    assert code == 0, err.getvalue()
    shown = [part.strip() for part in err.getvalue().split(ERASE_LINE)]
    reading = [s for s in shown if s.startswith("[2/2] Message: reading ")]
    assert reading, shown
    # pages, rows read and an estimate of the time left, per table
    assert any("/20 pages, " in s and " rows, ETA " in s for s in reading), reading
    assert any(s.startswith("[1/2] Contact: reading ") for s in shown)
    loading = [s for s in shown if ": loading " in s]
    assert [s.split(":")[0] for s in loading] == ["[1/2] Contact", "[2/2] Message"]
    assert (
        "(0/22,000 rows loaded)" in loading[0] and "(2,000/22,000 rows loaded), ETA" in (loading[1])
    )
    # the line is erased before the summary
    assert shown[-1].startswith("replicated into duckdb:///p.duckdb")
    # in a pipe: the summary and nothing else
    code, out, err_text = cli(*args)
    assert code == 0
    (line,) = err_text.splitlines()
    assert line.startswith("replicated into duckdb:///p.duckdb (dataset mailjet): 2/2 tables, ")
    assert "Contact" in out and "Message" in out


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), (" 2 m ", 120)]
)
def test_interval_parsing(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["soon", "15", "0s", "1w", "-5m", "1.5h", "m15", ""])
def test_bad_interval_is_a_clear_error(text: str) -> None:
    with pytest.raises(ProgrammingError, match=r"--every .*: use a duration like 30s, 15m, 1h"):
        parse_interval(text)
    code, _, err = cli("replicate", "--demo", f"--every={text}")
    assert code == 1 and err.startswith("mjquery: error: --every") and "Traceback" not in err


_started: list[Any] = []


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    """A test that fails while its ``replicate --every`` child runs does not leave it running."""
    yield
    while _started:
        child = _started.pop()
        if child.poll() is None:
            child.kill()
        child.communicate()


def _replicate_process(server_url: str, *args: str) -> Any:
    import subprocess
    import sys

    from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET

    env = dict(os.environ, MJ_APIKEY_PUBLIC=DEMO_API_KEY, MJ_APIKEY_PRIVATE=DEMO_API_SECRET)
    command = [sys.executable, "-m", "mjquery.cli.main", "replicate", "--base-url", server_url]
    child = subprocess.Popen(
        [*command, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _started.append(child)
    return child


@pytest.mark.server
def test_every_runs_again_until_ctrl_c_between_runs(tmp_path: Path) -> None:
    import signal

    from mjquery.sandbox import SandboxServer
    from tests.replicate_support import DbTarget
    from tests.test_replicate import assert_equal

    sandbox = Sandbox(scale=0.05)
    url = f"duckdb:///{tmp_path}/every.duckdb"
    with SandboxServer(sandbox) as server:
        child = _replicate_process(
            server.url, "--every", "2s", "--tables", "List,Message", "--to", url
        )
        assert child.stderr is not None
        lines: list[str] = []
        while sum("next run in 2s" in line for line in lines) < 2:
            line = child.stderr.readline()
            assert line, f"the process ended: {lines}"
            lines.append(line.strip())
        message_requests = sandbox.log.requests(method="GET", path="/v3/REST/message")
        child.send_signal(signal.SIGINT)  # while it waits for the third run
        _, rest = child.communicate(timeout=60)
        lines += rest.splitlines()
    assert child.returncode == 0, "\n".join(lines)
    # one run after the other: each summary, then the wait, never two runs at once
    kinds = [
        "summary" if line.startswith("replicated into") else "wait"
        for line in lines
        if line.startswith(("replicated into", "mjquery: next run"))
    ]
    assert kinds == ["summary", "wait", "summary", "wait"], lines
    assert lines[-1] == "mjquery: stopped between runs after 2 run(s)"
    # the second run was incremental: one request for the messages' window
    windows = [r.param("FromTS") for r in message_requests]
    assert windows[0] is None and windows[-1] is not None
    assert {r.method for r in sandbox.log} == {"GET"}
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    for table in ("List", "Message"):
        assert_equal(conn, DbTarget("duckdb", url, None), table)


@pytest.mark.server
def test_ctrl_c_inside_a_run_stops_it_and_the_next_run_completes(tmp_path: Path) -> None:
    import signal
    import time

    from mjquery.sandbox import SandboxConfig, SandboxServer
    from tests.replicate_support import DbTarget
    from tests.test_replicate import assert_equal

    sandbox = Sandbox(scale=0.1, config=SandboxConfig(latency_ms=150))
    url = f"duckdb:///{tmp_path}/interrupted.duckdb"
    args = ("--tables", "Contact,Message", "--to", url)
    with SandboxServer(sandbox) as server:
        child = _replicate_process(server.url, "--every", "1h", *args)
        deadline = time.monotonic() + 60
        while len(sandbox.log) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sandbox.log) >= 2, "the run never started reading"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        assert "interrupted during a run" in err and "Traceback" not in err
        assert "replicated into" not in err  # it never finished that run
        again = _replicate_process(server.url, *args)
        _, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    target = DbTarget("duckdb", url, None)
    for table in ("Contact", "Message"):
        assert_equal(conn, target, table)
        assert (
            target.query(f"SELECT id FROM mailjet.{table.lower()} GROUP BY id HAVING count(*) > 1")
            == []
        )


def test_exit_3_when_a_table_fails_and_the_others_commit(tmp_path: Path) -> None:
    from mjquery.sandbox import SandboxConfig
    from tests.replicate_support import DbTarget
    from tests.test_replicate import assert_equal

    # every read of templates fails (503 each retry); the other tables are fine
    sandbox = Sandbox(
        scale=0.05,
        config=SandboxConfig(fault_rate=1.0, fault_statuses=(503,), fault_paths="/template$"),
    )

    def connect(**_: Any) -> Any:
        return mjquery.connect(sandbox=sandbox, cache_ttl=0)

    url = f"duckdb:///{tmp_path}/partial.duckdb"
    args = [
        "replicate",
        "--demo",
        "--tables",
        "List,Template,Campaign",
        "--to",
        url,
        "--format",
        "csv",
    ]
    out, err = io.StringIO(), io.StringIO()
    code = main(args, connect=connect, stdout=out, stderr=err)
    assert code == 3, err.getvalue()
    status = {
        line.split(",")[0]: line.rsplit(",", 1)[1] for line in out.getvalue().splitlines()[1:]
    }
    assert status["List"] == status["Campaign"] == "ok"
    assert status["Template"].startswith("FAILED")
    assert "mjquery: warning: Template: " in err.getvalue() and "2/3 tables" in err.getvalue()
    assert {r.method for r in sandbox.log} == {"GET"}
    assert any(r.status == 503 for r in sandbox.log)
    target = DbTarget("duckdb", url, None)
    check = mjquery.connect(sandbox=Sandbox(scale=0.05), cache_ttl=0)
    assert_equal(check, target, "List")
    assert_equal(check, target, "Campaign")
