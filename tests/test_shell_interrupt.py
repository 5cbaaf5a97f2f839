"""Ctrl-C in a real terminal: the prompt comes back within moments, whatever phase the
statement is in, and the session goes on (tests/terminal.py reads the screen)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mjquery.sandbox import Sandbox, SandboxConfig, SandboxServer
from tests.terminal import Terminal

#: The query from the field report: a three-way cross join that keeps DuckDB busy for minutes.
HEAVY = "SELECT COUNT(*) FROM Message a, Message b, Contact c WHERE (a.ID + b.ID + c.ID) % 7 = 3"


@pytest.fixture
def slow_sandbox_url() -> Iterator[str]:
    """The demo account served over HTTP, each request taking a second."""
    sandbox = Sandbox(seed=42, config=SandboxConfig(latency_ms=1000))
    with SandboxServer(sandbox, host="127.0.0.1", port=0) as server:
        yield server.url


def test_ctrl_c_while_duckdb_works_returns_to_the_prompt_and_the_session_goes_on() -> None:
    term = Terminal(["--demo"])
    try:
        term.wait_for_prompt()
        term.type(HEAVY + ";\r")
        term.wait_for(re.escape(HEAVY) + r";\n(?!mjquery>)")
        term.wait_for_cpu(4.0)  # the tables are loaded and DuckDB is deep in the join
        term.interrupt()
        screen = term.wait_for(r"query cancelled", timeout=30)
        assert "RuntimeError" not in screen and "Error" not in screen
        assert "fetching:" not in screen  # no progress line left behind
        term.wait_for_prompt(timeout=30)
        term.type("SELECT Name FROM List ORDER BY ID LIMIT 1;\r")
        term.wait_for(r"1 row in [0-9.]+ s")
        term.type("\x04")
    finally:
        status = term.close()
    assert status == 0


def test_ctrl_c_on_the_command_line_exits_130_at_once() -> None:
    term = Terminal(["--demo", "-c", HEAVY])
    try:
        term.wait_for_cpu(4.0)
        term.interrupt()
        screen = term.wait_for(r"mjquery: query cancelled", timeout=30)
        assert "Traceback" not in screen
    finally:
        status = term.close(timeout=30)
    assert status == 130


@pytest.mark.server
def test_ctrl_c_while_pages_are_fetched_from_a_slow_api(slow_sandbox_url: str) -> None:
    term = Terminal(
        ["--base-url", slow_sandbox_url],
        env={"MJ_APIKEY_PUBLIC": "demo-api-key", "MJ_APIKEY_PRIVATE": "demo-api-secret"},
    )
    try:
        term.wait_for_prompt()
        term.type("SELECT COUNT(*) FROM Message WHERE Subject LIKE '%a%';\r")
        term.wait_for(r"fetching: \d+/\d+ pages")
        term.interrupt()
        screen = term.wait_for(r"query cancelled", timeout=30)
        term.wait_for_prompt(timeout=30)
        assert "fetching:" not in term.text().splitlines()[-1]
        assert "Error" not in screen
        term.type("\x04")
    finally:
        status = term.close()
    assert status == 0
