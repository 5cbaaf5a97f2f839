"""``mjquery sync`` from the command line (exit status, summary, dry run, the password never
shown, ``describe``), and a sync killed with SIGKILL mid-run then run again."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mjquery
from mjquery.cli.main import main
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig, SandboxServer
from tests.replicate_support import PG_URL, DbTarget, target_fixture  # noqa: F401
from tests.sync_support import database_rows, mailjet_rows, prepare, qualified, table_name
from tests.writes_support import writes_in

CRM = "email VARCHAR(255), name VARCHAR(255)"


def cli(sb: Sandbox, *args: str) -> tuple[int, str, str]:
    """Run ``mjquery ARGS`` on ``sb`` (``--demo`` routes the connection to it)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*args, "--demo"],
        stdout=out,
        stderr=err,
        stdin=io.StringIO(""),
        connect=lambda **_kw: mjquery.connect(sandbox=sb, cache_ttl=0),
    )
    return code, out.getvalue(), err.getvalue()


def test_a_run_prints_the_summary_and_exits_0_then_3_when_rows_are_refused(
    sb: Sandbox, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    code, out, err = cli(sb, "sync", "Contact", "--with", url, "--table", "crm", "-f", "csv")
    assert code == 0, err
    assert out.splitlines()[:3] == [
        "Direction,Inserted,Updated,Deleted,Not synchronised",
        "to Mailjet,0,0,0,0",
        "to database,3,0,0,0",
    ]
    assert "synchronised Contact with crm" in err and "first run" in err

    target = DbTarget("sqlite", url, None)
    target.execute(
        "INSERT INTO crm (email, name) VALUES ('no-at-sign', 'X'), ('new@example.com', 'New')"
    )
    code, out, err = cli(sb, "sync", "Contact", "--with", url, "--table", "crm", "-f", "csv")
    assert code == 3
    assert "to Mailjet,1,0,0,1" in out
    assert "mjquery: warning: to Mailjet, insert no-at-sign: refused by a rule:" in err
    assert "not a valid email address" in err
    assert "Traceback" not in err


def test_every_runs_one_sync_after_the_other_until_ctrl_c(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mjquery.cli.runs

    real_sleep = time.sleep
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        if seconds != 60:  # not the wait between runs
            real_sleep(seconds)
            return
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt  # Ctrl-C while it waits for the third run

    monkeypatch.setattr(mjquery.cli.runs.time, "sleep", sleep)
    url = f"sqlite:///{tmp_path}/crm.db"
    code, _out, err = cli(sb, "sync", "Contact", "--with", url, "--table", "crm", "--every", "1m")
    assert code == 0, err
    lines = err.splitlines()
    kinds = [
        "summary" if line.startswith("synchronised") else "wait"
        for line in lines
        if line.startswith(("synchronised", "mjquery: next run"))
    ]
    assert kinds == ["summary", "wait", "summary", "wait"], lines
    assert "first run" in lines[0] and "incremental" in lines[2]
    assert lines[-1] == "mjquery: stopped between runs after 2 run(s)"
    assert "Traceback" not in err


def test_dry_run_prints_the_plan_and_changes_nothing(sb: Sandbox, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    target = DbTarget("sqlite", url, None)
    prepare(target, CRM, [("ann@example.com", "Ann Hall"), ("dan@example.com", "Dan")])
    sb.log.clear()
    code, out, err = cli(
        sb, "sync", "Contact", "--with", url, "--table", "crm", "--dry-run", "-f", "csv"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "to Mailjet,1,0,0,0" in lines and "to database,2,1,0,0" in lines
    assert "to Mailjet,insert,dan@example.com,," in out
    assert any(line.startswith("to database,insert,bob@example.com,2,") for line in lines)
    assert "ann@example.com,Name,Ann,Ann Hall,mailjet,--prefer mailjet" in lines
    assert "plan for Contact" in err
    assert writes_in(sb) == []
    assert database_rows(target, "email, name") == [
        ("ann@example.com", "Ann Hall"),
        ("dan@example.com", "Dan"),
    ]
    assert target.query("SELECT name FROM sqlite_master WHERE name LIKE 'mjquery_sync%'") == []


@pytest.mark.parametrize("target", ["postgres"], indirect=True)
def test_the_password_is_never_shown(sb: Sandbox, target: DbTarget) -> None:
    # the test server trusts 127.0.0.1: the password is accepted and must not be echoed
    url = PG_URL.replace("postgres@", "postgres:hunter2@")
    code, out, err = cli(
        sb, "sync", "Contact", "--with", url, "--table", table_name(target), "-f", "csv"
    )
    assert code == 0, err
    assert "hunter2" not in out + err and "postgres:***@" in err
    bad = url.replace("/test", "/no_such_database")
    code, out, err = cli(sb, "sync", "Contact", "--with", bad, "--table", "crm")
    assert code == 1
    assert "hunter2" not in out + err and "mjquery: error: cannot connect to" in err


def test_bad_arguments_name_what_to_type(sb: Sandbox, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    code, _, err = cli(sb, "sync", "Contct", "--with", url, "--table", "crm")
    assert code == 1 and "'Contact'" in err
    code, _, err = cli(sb, "sync", "ContactData", "--with", url, "--table", "crm")
    assert code == 1 and "created_column / updated_column" in err
    code, _, err = cli(sb, "sync", "Contact", "--with", url, "--table", "crm", "--map", "x")
    assert code == 1 and "database_column=MailjetColumn" in err
    DbTarget("sqlite", url, None).execute("CREATE TABLE other (mail TEXT, name TEXT)")
    code, _, err = cli(sb, "sync", "Contact", "--with", url, "--table", "other")
    assert code == 1 and "--map COLUMN=Email" in err
    code, _, err = cli(
        sb, "sync", "Contact", "--with", url, "--table", "other", "--map", "mail=Emial"
    )
    assert code == 1 and "did you mean 'Email'" in err
    code, _, err = cli(sb, "sync", "Contact", "--with", url, "--table", "crm", "--every", "5x")
    assert code == 1 and "--every" in err
    assert "Traceback" not in err


def test_describe_says_which_objects_sync_fully_and_which_new_only(sb: Sandbox) -> None:
    code, out, _ = cli(sb, "describe", "Contact")
    assert code == 0
    assert "sync: new and updated records (updated column LastUpdateAt); linked by Email" in out
    code, out, _ = cli(sb, "describe", "List")
    assert "sync: new records only (created column CreatedAt only); linked by Name" in out


def test_map_links_columns_of_other_names(sb: Sandbox, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    target = DbTarget("sqlite", url, None)
    prepare(target, "mail TEXT, full_name TEXT, notes TEXT", [("ann@example.com", "Ann H", "vip")])
    code, _, err = cli(
        sb,
        "sync",
        "Contact",
        "--with",
        url,
        "--table",
        "crm",
        "--map",
        "mail=Email,full_name=Name",
        "--prefer",
        "database",
    )
    assert code == 0, err
    assert ("ann@example.com", "Ann H") in mailjet_rows(
        mjquery.connect(sandbox=sb, cache_ttl=0), "SELECT Email, Name FROM Contact"
    )
    assert database_rows(target, "mail, full_name, notes")[0] == ("ann@example.com", "Ann H", "vip")


@pytest.mark.server
@pytest.mark.parametrize("target", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("kill_after_s", [0.8, 2.0])
def test_sigkill_mid_run_then_rerun_leaves_no_duplicates(
    target: DbTarget, kill_after_s: float
) -> None:
    # 100 contacts in Mailjet, 300 others in the table (no unique constraint on it): both
    # directions, and a bulk job into Mailjet, with 30 ms per request
    sandbox = Sandbox(scale=0.05, config=SandboxConfig(latency_ms=30))
    rows = [(f"crm{i:03d}@example.com", f"Crm {i}") for i in range(300)]
    prepare(target, CRM, rows)
    with SandboxServer(sandbox) as server:
        env = dict(os.environ, MJ_APIKEY_PUBLIC=DEMO_API_KEY, MJ_APIKEY_PRIVATE=DEMO_API_SECRET)
        command = [
            sys.executable,
            "-m",
            "mjquery.cli.main",
            "sync",
            "Contact",
            "--base-url",
            server.url,
            "--with",
            target.url,
            "--table",
            table_name(target),
        ]
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(kill_after_s)
        child.send_signal(signal.SIGKILL)
        child.wait()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        with mjquery.connect(
            base_url=server.url, api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, cache_ttl=0
        ) as conn:
            in_mailjet = mailjet_rows(conn, "SELECT Email, Name FROM Contact")
        in_table = database_rows(target, "email, name")
        assert len(in_mailjet) == 400 and len(set(in_mailjet)) == 400
        assert in_table == in_mailjet  # no duplicate on either side, both sides equal
        sandbox.log.clear()
        again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        assert [r for r in sandbox.log if r.method in ("POST", "PUT", "DELETE")] == []
    assert qualified(target)  # the table's own schema is dropped by the fixture
