"""A fast start: what a one-line command loads, the compiled schema cache, the local shortcut."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mjquery
from mjquery.planner import LocalStatement, LocalTables, plan_statement
from mjquery.schema import catalog as catalog_module
from mjquery.schema import load_catalog

SCHEMAS = Path(mjquery.__file__).resolve().parent.parent / "schemas"


def modules_after(args: list[str], tmp_path: Path) -> set[str]:
    """The modules the mjquery command has imported once it is done (it prints them)."""
    script = (
        "import sys, runpy\n"
        "sys.argv = ['mjquery', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('mjquery.cli.main', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = dict(os.environ, MJ_APIKEY_PUBLIC="key", MJ_APIKEY_PRIVATE="secret")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = str(SCHEMAS.parent)
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


def test_a_local_one_liner_loads_no_parser_no_http_client_and_no_shell(tmp_path: Path) -> None:
    loaded = modules_after(["--base-url", "http://127.0.0.1:9", "-c", "SELECT 1"], tmp_path)
    assert "duckdb" in loaded
    assert not {"sqlglot", "httpx", "prompt_toolkit", "pyarrow", "dlt", "sqlalchemy"} & loaded
    # an ASCII result needs no Unicode width tables; nothing runs in a thread pool
    assert not {"wcwidth", "concurrent.futures"} & loaded


def test_tables_loads_no_duckdb(tmp_path: Path) -> None:
    loaded = modules_after(["tables"], tmp_path)
    assert "mjquery.schema" in loaded
    assert not {"duckdb", "sqlglot", "httpx", "prompt_toolkit"} & loaded


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT 42 AS answer, 'x' AS text",
        "CREATE TABLE mine (x INTEGER)",
        "INSERT INTO mine VALUES (1), (2)",
        "UPDATE mine SET x = 3",
        "DELETE FROM mine WHERE x = 3",
        "DROP TABLE IF EXISTS other",
        "SET TimeZone = 'UTC'",
        "BEGIN",
        "PRAGMA version",
        "WITH a AS (SELECT 1 AS v) SELECT v FROM a",
        "VALUES (1), (2)",
    ],
)
def test_the_shortcut_gives_what_the_router_gives(demo_conn: mjquery.Connection, sql: str) -> None:
    engine = demo_conn.engine
    shortcut = engine.plan(sql)
    routed = plan_statement(sql, None, engine.catalog, LocalTables({"mine": ("x",)}))
    assert isinstance(shortcut, LocalStatement)
    assert shortcut == routed


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'Contact'",  # a table name anywhere: the router decides
        "SELECT * FROM Contact LIMIT 1",
        "EXPLAIN SELECT 1",
        "SHOW TABLES",
        "COPY (SELECT 1) TO '/dev/null'",
    ],
)
def test_statements_the_router_must_see_skip_the_shortcut(
    demo_conn: mjquery.Connection, sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjquery.planner import router

    seen: list[str] = []
    original = router.route

    def spy(tree, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(text)
        return original(tree, text, *args, **kwargs)

    monkeypatch.setattr(router, "route", spy)
    demo_conn.engine.plan(sql)
    assert seen[:1] == [sql]  # (EXPLAIN then routes the statement it explains)


def test_several_statements_are_still_refused_by_the_router(demo_conn: mjquery.Connection) -> None:
    with pytest.raises(mjquery.ProgrammingError, match="Only one SQL statement"):
        demo_conn.engine.plan("SELECT 1; SELECT 2")


def test_the_compiled_catalog_is_reused_and_rebuilt_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    first = load_catalog(folder)
    compiled = list((tmp_path / "cache" / "mjquery").glob("catalog-*.pickle"))
    assert len(compiled) == 1

    catalog_module._cache.clear()  # a new process: only the file on disk remains
    read = []
    monkeypatch.setattr(
        catalog_module,
        "load_schema_file",
        lambda path: read.append(path) or pytest.fail("the compiled catalog was not used"),
    )
    again = load_catalog(folder)
    assert again.objects == first.objects and read == []
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    contact = folder / "Contact.toml"
    contact.write_text(
        contact.read_text().replace(
            'description = "Contacts of the account', 'description = "Every contact of the account'
        )
    )
    catalog_module._cache.clear()
    changed = load_catalog(folder)
    assert changed.get("Contact").description.startswith("Every contact of the account")
    # the new compiled file replaced the stale one (the cache does not grow with each edit)
    now = list((tmp_path / "cache" / "mjquery").glob("catalog-*.pickle"))
    assert len(now) == 1 and now[0].name != compiled[0].name


def test_an_unwritable_cache_folder_only_costs_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    assert len(load_catalog(folder)) == len(list(SCHEMAS.glob("*.toml")))


def test_warm_up_loads_the_parser_and_sends_nothing(
    demo_conn: mjquery.Connection, demo_sandbox
) -> None:
    script = (
        "import sys, mjquery\n"
        "conn = mjquery.connect(api_key='k', api_secret='s', base_url='http://127.0.0.1:9')\n"
        "before = {'sqlglot', 'httpx'} & set(sys.modules)\n"
        "conn.warm_up()\n"
        "print(sorted(before), sorted({'sqlglot', 'httpx'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(SCHEMAS.parent)),
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "[] ['httpx', 'sqlglot']"
    demo_sandbox.log.clear()
    demo_conn.warm_up()
    assert list(demo_sandbox.log) == []


def test_the_command_does_not_load_httpx_s_own_command_line_tool(tmp_path: Path) -> None:
    loaded = modules_after(["--demo", "-c", "SELECT COUNT(*) FROM Contact"], tmp_path)
    assert {"httpx", "sqlglot", "mjquery.sandbox"} <= loaded
    assert not {"click", "rich", "pygments"} & loaded


def test_a_demo_one_liner_on_local_tables_starts_no_sandbox(tmp_path: Path) -> None:
    loaded = modules_after(["--demo", "-c", "SELECT 1"], tmp_path)
    assert "duckdb" in loaded
    assert not {"mjquery.sandbox.api.core", "mjquery.sandbox.demo", "httpx"} & loaded
    assert not list((tmp_path / "cache" / "mjquery").glob("demo-*.pickle"))  # nothing built


def test_the_demo_sandbox_starts_on_the_first_request() -> None:
    with mjquery.connect(demo=True, cache_ttl=0) as conn:
        assert repr(conn) == "<mjquery.Connection open to demo sandbox>"
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert not conn.engine.client_built
        cur.execute("SELECT COUNT(*) FROM List")
        assert cur.fetchall()[0][0] > 0
        assert [r.path for r in conn.sandbox.log] == ["/v3/REST/contactslist"]
