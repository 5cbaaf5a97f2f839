"""Secrets and local state: the shell history, scratch directories, local file access, extensions.

* the configured secret never reaches the history file, and a syntax error's caret still points
  at the right token once the secret in the line is masked;
* a connection leaves no ``mjquery-*`` scratch directory behind (pages load from memory), and
  an export removes the scratch directories of exports killed mid-way;
* ``connect(local_files=False)`` refuses local files, databases and extensions, and Mailjet
  queries still work;
* a statement never downloads a DuckDB extension.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import mjquery
from mjquery.errors import NotSupportedError
from mjquery.frontend.messages import scrub_at
from mjquery.shell.app import Shell, ShellOptions
from tests.frontend_fakes import FakeConnection

SECRET = "s3cr3t-Key-0123456789"


def typed(text: str, tmp_path: Path, connection: object) -> str:
    """Type ``text`` into a shell whose configured secret is SECRET; its standard error."""
    err = io.StringIO()
    with create_pipe_input() as pipe:
        sh = Shell(
            connection,
            ShellOptions(source="demo", history_file=tmp_path / "history", secrets=(SECRET,)),
            input=pipe,
            output=DummyOutput(),
            stdout=io.StringIO(),
            stderr=err,
        )

        def typist() -> None:
            pipe.send_text(text)
            pipe.send_text("\x04")

        thread = threading.Thread(target=typist, daemon=True)
        thread.start()
        sh.run()
        thread.join()
    return err.getvalue()


def test_the_secret_is_scrubbed_from_the_history_file(tmp_path: Path) -> None:
    typed(f"SELECT '{SECRET}' AS s;\n", tmp_path, FakeConnection())
    history = (tmp_path / "history").read_text()
    assert SECRET not in history
    assert "SELECT '***' AS s;" in history


def test_a_syntax_error_caret_stays_on_its_token_after_the_secret_is_masked(
    tmp_path: Path, demo_sandbox
) -> None:
    with mjquery.connect(sandbox=demo_sandbox) as conn:
        err = typed(f"SELECT '{SECRET}' AS s FORM x;\n", tmp_path, conn)
    assert SECRET not in err
    shown = "  SELECT '***' AS s FORM x\n"
    assert shown in err
    caret = err.split(shown, 1)[1].splitlines()[0]
    assert caret.index("^") == shown.index("FORM") and caret.strip() == "^^^^"


def test_scrub_at_moves_a_position_by_what_the_masks_removed() -> None:
    text = f"{SECRET} x {SECRET} z"
    masked, moved = scrub_at(text, [SECRET], text.rindex("z"))
    assert masked == "*** x *** z" and masked[moved] == "z"
    _, moved = scrub_at(text, [SECRET], 3)  # a position inside a secret: at its mask
    assert moved == 0


def scratch_dirs() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("mjquery-")}


def test_a_connection_leaves_no_scratch_directory(demo_sandbox) -> None:
    # Pages load from memory: a connection, closed or forgotten, leaves nothing in the temp folder.
    before = scratch_dirs()
    conn = mjquery.connect(sandbox=demo_sandbox)
    conn.cursor().execute("SELECT COUNT(*) FROM Contact WHERE Name LIKE 'A%'").fetchall()
    forgotten = mjquery.connect(sandbox=demo_sandbox)
    forgotten.cursor().execute("SELECT Name FROM List").fetchall()
    conn.close()
    assert scratch_dirs() - before == set()


def test_no_scratch_directory_survives_the_process() -> None:
    code = (
        "import mjquery\n"
        "c = mjquery.connect(demo=True)\n"
        "c.cursor().execute('SELECT COUNT(*) FROM Contact').fetchall()\n"
    )
    before = scratch_dirs()
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert scratch_dirs() - before == set()


def test_without_local_files_mailjet_and_local_tables_work(demo_sandbox) -> None:
    with mjquery.connect(sandbox=demo_sandbox, local_files=False) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM Contact")
        assert cur.fetchall() == [(2000,)]
        cur.execute("CREATE TABLE mine AS SELECT Name FROM List")
        cur.execute("SELECT COUNT(*) FROM mine")
        assert cur.fetchall()[0][0] > 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "COPY (SELECT 1 AS x) TO '{tmp}/out.csv'",
        "COPY (SELECT Name FROM List) TO '{tmp}/lists.csv'",
        "ATTACH '{tmp}/other.duckdb'",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "INSERT INTO List (Name) SELECT column0 FROM read_csv('/etc/passwd')",
    ],
)
def test_without_local_files_file_access_is_refused(demo_sandbox, tmp_path: Path, sql: str) -> None:
    with (
        mjquery.connect(sandbox=demo_sandbox, local_files=False) as conn,
        pytest.raises(NotSupportedError, match=r"does not allow local files"),
    ):
        conn.cursor().execute(sql.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_local_files_are_allowed_by_default(demo_conn, tmp_path: Path) -> None:
    target = tmp_path / "lists.csv"
    demo_conn.cursor().execute(f"COPY (SELECT Name FROM List) TO '{target}'")
    assert target.read_text().startswith("Name\n")


def test_no_local_files_from_the_command_line(demo_sandbox, tmp_path: Path) -> None:
    from mjquery.cli.main import main

    seen: list[dict[str, object]] = []

    def connect(**kwargs: object) -> object:
        kwargs.pop("demo", None)
        seen.append(kwargs)
        return mjquery.connect(sandbox=demo_sandbox, **kwargs)  # type: ignore[arg-type]

    err = io.StringIO()
    status = main(
        ["--demo", "--no-local-files", "-c", "SELECT * FROM read_csv('/etc/passwd')"],
        connect=connect,
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert status == 1 and seen == [{"local_files": False}]
    assert "does not allow local files" in err.getvalue()


def test_a_select_never_downloads_an_extension(demo_conn) -> None:
    db = demo_conn.engine.db
    assert db.execute("SELECT current_setting('autoinstall_known_extensions')").fetchall() == [
        (False,)
    ]
    with pytest.raises(mjquery.Error):
        demo_conn.cursor().execute("SELECT * FROM read_json('http://127.0.0.1:9/x.json')")


def test_a_parquet_export_removes_scratch_left_by_a_killed_export(
    demo_conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Parquet export stages its rows in mjquery-export-<pid>-*; killed mid-way, the directory
    # stays. The next export removes those of processes that are gone, and only those.
    from mjquery.writes.transfer import export_query

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid is free now
    stale = temp / f"mjquery-export-{dead.pid}-abc"
    stale.mkdir()
    (stale / "rows.jsonl").write_text('{"a": 1}\n')
    live = temp / f"mjquery-export-{os.getppid()}-def"  # the test runner's parent: alive
    live.mkdir()
    export_query(demo_conn, "SELECT Name FROM List", str(tmp_path / "lists.parquet"))
    assert sorted(p.name for p in temp.iterdir()) == [live.name]
    assert (tmp_path / "lists.parquet").stat().st_size > 0
