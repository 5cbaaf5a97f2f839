"""The shell driven through prompt_toolkit's pipe input, on a stand-in connection."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

import mjquery
from mjquery.dbapi import Connection
from mjquery.frontend import runner
from mjquery.shell.app import Shell
from tests.frontend_fakes import FakeConnection
from tests.shell_driver import Keys, shell


@pytest.fixture(autouse=True)
def _qmark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mjquery, "paramstyle", "qmark", raising=False)


def test_multi_line_statement_runs_at_semicolon_and_prints_table_and_status(tmp_path: Path) -> None:
    s = shell("SELECT Name, SubscriberCount\nFROM List\nORDER BY 2 DESC;\n", tmp_path)
    assert s.status == 0
    assert s.out.splitlines()[:3] == [
        " Name       | SubscriberCount",
        "------------+-----------------",
        " Newsletter |            1200",
    ]
    status = s.err.splitlines()[-1]
    assert status.startswith("3 rows in ") and status.endswith(" s · 2 API requests · 1 cache hit")
    assert s.connection.executed == [
        ("SELECT Name, SubscriberCount\nFROM List\nORDER BY 2 DESC", None)
    ]


def test_errors_keep_the_shell_running(tmp_path: Path) -> None:
    s = shell("SELECT nope FROM List;\nSELECT 1 AS one;\n", tmp_path)
    assert "error: " in s.err and "nope" in s.err
    assert " one" in s.out


def test_syntax_errors_are_one_sentence_with_a_caret_under_the_offending_word(
    tmp_path: Path, demo_conn: Connection
) -> None:
    s = shell("SELECT *\nFROM List  FORM y;\nSELEC Name FROM List;\n", tmp_path, demo_conn)  # type: ignore[arg-type]
    assert (
        "error: Syntax error at line 2, column 12: unknown keyword FORM — did you mean FROM?\n"
        "  FROM List  FORM y\n"
        "             ^^^^\n"
    ) in s.err
    assert (
        "error: Syntax error at line 1, column 1: unknown keyword SELEC — did you mean SELECT?\n"
        "  SELEC Name FROM List\n"
        "  ^^^^^\n"
    ) in s.err


def test_history_is_saved_privately(tmp_path: Path) -> None:
    shell("SELECT 1 AS one;\n", tmp_path)
    history = tmp_path / "history"
    assert "SELECT 1 AS one;" in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_meta_commands(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    s = shell(
        f".format csv\n.output {target}\nSELECT Name FROM List ORDER BY ID;\n.output\n"
        ".timing off\n.explain\n.cache clear\n.cache off\n.profile\n.tables\n.schema List\n"
        "\\d Contcat\n.nope\n",
        tmp_path,
    )
    assert target.read_text() == "Name\nNewsletter\nVIP\nTrial\n"  # results only, not the query
    assert (
        "format: csv" in s.err
        and "Timing is off." in s.err
        and "the plan of each query is shown before it runs" in s.err
    )
    assert s.connection.cleared == 1 and s.connection.cache_enabled is False
    assert "connected to: demo account" in s.err
    assert "Table,Resource,Writes,Description" in s.out
    assert "SubscriberCount,BIGINT" in s.out
    assert "Unknown table 'Contcat'. Did you mean 'Contact'?" in s.err
    assert "error: unknown command .nope; \\? or .help lists the commands" in s.err


def test_explain_shows_the_plan_and_then_runs_the_statement(tmp_path: Path) -> None:
    s = shell(".explain on\nSELECT Name FROM List WHERE ID = 2;\n", tmp_path)
    assert "plan of: SELECT Name FROM List WHERE ID = 2" in s.err
    assert s.connection.executed == [("SELECT Name FROM List WHERE ID = 2", None)]
    assert " VIP" in s.out


def test_read_prompts_for_parameters_and_binds_them(tmp_path: Path) -> None:
    report = tmp_path / "report.sql"
    report.write_text(
        "-- big lists\nSELECT Name FROM List WHERE SubscriberCount > :min ORDER BY Name;\n"
    )
    s = shell(f".format csv\n.read {report}\n100\n", tmp_path)
    assert s.out.splitlines() == ["Name", "Newsletter", "Trial"]
    assert s.connection.executed[-1][1] == ["100"]


def test_update_without_where_is_refused_then_confirmed_with_the_dry_run_count(
    tmp_path: Path,
) -> None:
    class Writable(FakeConnection):
        def dry_run(self, sql, params=None):  # type: ignore[no-untyped-def]
            self.dry_runs = getattr(self, "dry_runs", 0) + 1
            return type("DryRun", (), {"count": 2})()

    s = shell(
        "DELETE FROM Contact;\nUPDATE Contact SET Name = 'x' WHERE ID > 0;\nn\n"
        "UPDATE Contact SET Name = 'x' WHERE ID > 0;\ny\n",
        tmp_path,
        Writable(),
    )
    assert "DELETE without WHERE would change every row" in s.err
    # answering n is the user's choice, not an error
    assert "\ncancelled: nothing was changed\n" in s.err
    assert "error: cancelled" not in s.err
    assert [sql for sql, _ in s.connection.executed] == [
        "UPDATE Contact SET Name = 'x' WHERE ID > 0"
    ]
    assert s.connection.dry_runs == 2
    assert "2 rows updated" in s.err


def test_quit_words_and_help(tmp_path: Path) -> None:
    s = shell(".help\nquit\nSELECT 1;\n", tmp_path)
    assert ".schema" in s.out and "Ctrl-D quits" in s.out
    assert s.connection.executed == []  # nothing after quit ran


def test_tab_completes_a_table_name(tmp_path: Path) -> None:
    s = shell(
        [
            Keys("SELECT Name FROM Contac", then="SELECT Name FROM Contac"),
            Keys("\t", then="SELECT Name FROM Contact"),
            Keys(";\n"),
        ],
        tmp_path,
    )
    assert s.connection.executed[0][0] == "SELECT Name FROM Contact"


def test_refusals_a_write_leaves_on_the_cursor_are_shown_as_warnings(tmp_path: Path) -> None:
    connection = FakeConnection()
    connection.write_warnings = ["1 row written, 1 failed — ListID 7: MJ18 already exists."]
    s = shell("UPDATE Contact SET Name = 'Ann B' WHERE ID = 1;\ny\n", tmp_path, connection)
    assert "warning: 1 row written, 1 failed — ListID 7: MJ18 already exists." in s.err


def test_the_status_line_times_the_statement_not_the_pager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """psql's timing: the time a user spends reading the pager is not the statement's."""
    clock = [100.0]
    monkeypatch.setattr(runner, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    paged: list[str] = []

    def page(self: Shell, text: str, *, chop: bool = True) -> None:
        paged.append(text)
        clock[0] += 60.0  # a minute of reading

    monkeypatch.setattr(Shell, "page", page)
    s = shell("SELECT range AS n FROM range(100);\n", tmp_path, pager=True)
    assert len(paged) == 1 and " 99" in paged[0]  # taller than the screen: paged
    assert s.err.splitlines()[-1].startswith("100 rows in 0.000 s")
