"""The meta commands people type by reflex: psql's and pgcli's, then the duckdb shell's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.shell.meta import COMMANDS
from mjquery.shell.suggest import META_ARGUMENTS, META_COMMANDS
from tests.frontend_fakes import FakeConnection
from tests.shell_driver import shell


def test_every_listed_command_runs_and_every_command_is_listed_or_an_alias() -> None:
    listed = {name for name, _ in META_COMMANDS}
    assert listed <= set(COMMANDS)
    assert set(COMMANDS) - listed == {
        "\\l",
        "\\h",
        "\\dt+",
        "\\d+",
        ".describe",
        ".exit",
    }  # aliases
    assert set(META_ARGUMENTS) <= set(COMMANDS)


def test_backslash_x_toggles_expanded_display(tmp_path: Path) -> None:
    s = shell(
        "\\x\nSELECT Name, SubscriberCount FROM List WHERE ID = 2;\n\\x off\n\\x auto\n", tmp_path
    )
    assert s.out.splitlines() == [
        "-[ RECORD 1 ]---+----",
        "Name            | VIP",
        "SubscriberCount | 7",
    ]
    assert "Expanded display is on." in s.err
    assert "Expanded display is off." in s.err
    assert "Expanded display is used automatically." in s.err


def test_backslash_x_names_its_three_values_and_plus_commands_are_psql_s(tmp_path: Path) -> None:
    s = shell("\\x bogus\n\\d+ List\n\\dt+ campaign*\n", tmp_path)
    assert "error: \\x takes on, off or auto, not 'bogus'" in s.err
    assert "unknown command" not in s.err
    assert "SubscriberCount" in s.out  # \d+ List: its columns
    assert "CampaignDraft" in s.out  # \dt+ campaign*: the tables


def test_duckdb_mode_and_headers(tmp_path: Path) -> None:
    s = shell(
        ".mode csv\n.headers off\nSELECT Name FROM List WHERE ID < 3 ORDER BY ID;\n"
        ".headers on\n.mode line\nSELECT Name FROM List WHERE ID = 2;\n.mode xml\n",
        tmp_path,
    )
    assert s.out.splitlines() == ["Newsletter", "VIP", "-[ RECORD 1 ]", "Name | VIP"]
    assert "mode: csv" in s.err and "mode: line" in s.err
    assert ".mode xml: not a mode mjquery has; choose one of table" in s.err


def test_tuples_only(tmp_path: Path) -> None:
    s = shell("\\t\nSELECT Name FROM List WHERE ID = 2;\n", tmp_path)
    assert s.out.splitlines() == [" VIP"]
    assert "Tuples only is on." in s.err


def table_names(out: str) -> list[str]:
    return [name for line in out.splitlines()[2:] if (name := line.split("|")[0].strip())]


@pytest.mark.parametrize(
    ("command", "part"),
    [("\\dt campaign*", "campaign"), ("\\dt *statistics", "statistics"), ("\\dt draft", "draft")],
)
def test_dt_lists_the_tables_a_pattern_matches(command: str, part: str, tmp_path: Path) -> None:
    names = table_names(shell(command + "\n", tmp_path).out)
    assert names and all(part in n.lower() for n in names)


def test_l_lists_every_table(tmp_path: Path) -> None:
    names = table_names(shell("\\l\n", tmp_path).out)
    assert {"Contact", "List", "Campaign", "MessageHistory"} <= set(names)


def test_timing_and_unknown_commands_suggest_only_close_names(tmp_path: Path) -> None:
    s = shell("\\timing off\n\\timng\n.tabels\n\\foo\n\\dz\n", tmp_path)
    assert "Timing is off." in s.err
    assert "unknown command \\timng; did you mean \\timing?" in s.err
    assert "unknown command .tabels; did you mean .tables?" in s.err
    assert "unknown command \\foo; \\? or .help lists the commands" in s.err
    assert "\\\\" not in s.err  # never a doubled backslash
    assert "did you mean \\q" not in s.err


def test_o_to_a_missing_directory_says_so(tmp_path: Path) -> None:
    s = shell(f"\\o {tmp_path}/nowhere/out.txt\n", tmp_path)
    assert f"error: {tmp_path}/nowhere: the directory does not exist" in s.err


def test_i_runs_a_file(tmp_path: Path) -> None:
    report = tmp_path / "r.sql"
    report.write_text("SELECT Name FROM List WHERE ID = 3;")
    s = shell(f"\\i {report}\n", tmp_path)
    assert " Trial" in s.out


def test_i_runs_the_meta_commands_of_a_file_too(tmp_path: Path) -> None:
    report = tmp_path / "r.sql"
    report.write_text(
        "-- a report\n\\x on\nSELECT Name\n  FROM List WHERE ID = 2;\n.mode csv\n"
        "SELECT Name FROM List WHERE ID = 3; SELECT 1 AS n;\n"
    )
    s = shell(f"\\i {report}\n", tmp_path)
    assert s.out.splitlines() == ["-[ RECORD 1 ]", "Name | VIP", "Name", "Trial", "n", "1"]
    assert "error" not in s.err


def test_e_edits_the_last_statement_and_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.py"
    # an "editor" that changes the statement's ID = 1 into ID = 2
    editor.write_text(
        "import pathlib, sys\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('ID = 1', 'ID = 2'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    s = shell("SELECT Name FROM List WHERE ID = 1;\n\\e\n", tmp_path)
    assert [sql for sql, _ in s.connection.executed] == [
        "SELECT Name FROM List WHERE ID = 1",
        "SELECT Name FROM List WHERE ID = 2",
    ]
    assert " VIP" in s.out


def test_watch_repeats_the_last_query(tmp_path: Path) -> None:
    s = shell("SELECT COUNT(*) AS n FROM List;\n\\watch 0.01 count=3\n", tmp_path)
    assert [sql for sql, _ in s.connection.executed] == ["SELECT COUNT(*) AS n FROM List"] * 4
    assert s.err.count("(every 0.01s)") == 3


def test_watch_refuses_statements_that_change_data(tmp_path: Path) -> None:
    class Writable(FakeConnection):
        def dry_run(self, sql, params=None):  # type: ignore[no-untyped-def]
            return type("DryRun", (), {"count": 0})()

    s = shell("UPDATE Contact SET Name = 'x' WHERE ID = 1;\n\\watch 1\n", tmp_path, Writable())
    assert "\\watch repeats queries only" in s.err
    assert len(s.connection.executed) == 1


def test_watch_reads_the_api_afresh_each_run_not_the_cache(
    tmp_path: Path, demo_conn: mjquery.Connection, demo_sandbox: Sandbox
) -> None:
    s = shell("SELECT COUNT(*) AS n FROM List;\n\\watch 0.01 count=2\n", tmp_path, demo_conn)
    assert s.err.count("(every 0.01s)") == 2
    # the statement, then each of the two runs of \watch: three reads of the list resource
    assert len(demo_sandbox.log.requests("GET", "/v3/REST/contactslist")) == 3
    assert demo_conn.cache_enabled  # the cache is back on after \watch
