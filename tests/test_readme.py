"""Every command of the README runs as written, in a fresh directory, as a new user would.

Shell lines run in bash with the installed ``mjquery`` first on the PATH; the interactive ones
(the shell, ``config add-profile``) run in a pseudo-terminal; the SQL block runs as one
``mjquery --demo -c``; the Python blocks run as scripts. Only the two set-up lines (installing
and running the tests, which this test is part of) are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.terminal import Terminal

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_RUN = {'pip install -e ".[dev]"', "pytest"}  # the set-up lines: CI runs them itself
INTERACTIVE = {"mjquery --demo", "mjquery config add-profile work"}
SANDBOX_BLOCK_START = "mjquery sandbox &"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def command_lines(block: str) -> list[str]:
    """The commands of a shell block, without the comments at the end of their lines."""
    lines = [re.sub(r"\s{2,}#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


SHELL_BLOCKS = blocks("sh")
SETUP, USAGE, SANDBOX = SHELL_BLOCKS[0], SHELL_BLOCKS[1], SHELL_BLOCKS[2]
RUN_ONE_BY_ONE = [
    line
    for line in command_lines(SETUP) + command_lines(USAGE)
    if line not in NOT_RUN and line not in INTERACTIVE
]


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    assert len(SHELL_BLOCKS) == 3, "a new shell block needs a way to run here"
    assert command_lines(SANDBOX)[0] == SANDBOX_BLOCK_START
    assert set(command_lines(SETUP)) >= NOT_RUN
    assert set(command_lines(USAGE)) >= INTERACTIVE
    assert len(blocks("sql")) == 1 and len(blocks("python")) == 2


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory holding a copy of examples/, as a clone would."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


@pytest.mark.parametrize("line", RUN_ONE_BY_ONE)
def test_readme_command_runs(line: str, workdir: Path) -> None:
    done = bash(line, workdir)
    assert done.returncode == 0, f"{line}\n{done.stderr}"
    assert "error" not in done.stderr.lower() and "warning" not in done.stderr.lower()
    if "--format csv -o clickers.csv" in line:
        assert (workdir / "clickers.csv").read_text().startswith("Email,Name,clicks")
    elif line.startswith("mjquery --demo export"):
        assert (workdir / "excluded.parquet").stat().st_size > 0
    elif line.startswith("mjquery --demo import"):
        assert "imported 3 of 3 rows into Contact" in done.stderr
    elif line.startswith("mjquery --demo -c"):
        assert " Newsletter " in done.stdout
    elif line.startswith("mjquery config show"):
        assert "base_url" in done.stdout
    elif "completion bash" in line:
        assert done.stderr == ""
    else:
        assert done.stdout


def test_readme_shell_session(workdir: Path) -> None:
    term = Terminal(["--demo"], cwd=workdir)
    try:
        term.wait_for_prompt()
        term.type("SELECT COUNT(*) AS lists FROM List;\r")
        term.wait_for(r"1 row in [0-9.]+ s")
        term.type("\x04")
    finally:
        status = term.close()
    assert status == 0


def test_readme_add_profile(workdir: Path) -> None:
    term = Terminal(["config", "add-profile", "work"], cwd=workdir)
    try:
        term.wait_for(r"API key \(MJ_APIKEY_PUBLIC\):")
        term.type("my-public-key\r")
        term.wait_for(r"API secret key")
        term.type("my-secret-value\r")
        screen = term.wait_for(r"saved profile 'work'")
    finally:
        status = term.close()
    assert status == 0
    assert "my-secret-value" not in screen  # not echoed


def test_readme_sql_runs_as_written(workdir: Path) -> None:
    (sql,) = blocks("sql")
    done = bash(f"mjquery --demo -c {_quote(sql)}", workdir)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr and "error" not in done.stderr
    assert "1 row updated" in done.stderr and "rows inserted" in done.stderr
    assert (workdir / "newsletter.csv").read_text().startswith("Email,Name\n")
    # the last result: the VIP file joined with Contact (three of its four emails are contacts)
    last = done.stdout.rstrip().split("\n\n")[-1].splitlines()
    assert last[0].split("|")[0].strip() == "email" and len(last) == 2 + 3


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_readme_python_runs(number: int, workdir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", blocks("python")[number]],
        cwd=workdir,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.server
def test_readme_sandbox_keeps_changes_between_commands(workdir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lines = command_lines(SANDBOX)
    # as a user waits for "ready" before typing on: the script waits for the log line
    start = (
        f"mjquery sandbox --port {port} > sandbox.log 2>&1 &\n"
        "for _ in $(seq 300); do grep -q ready sandbox.log && break; sleep 0.1; done"
    )
    script = "\n".join([start, *(line.replace("8765", str(port)) for line in lines[1:]), "wait"])
    done = bash(script, workdir)
    assert done.returncode in (0, 143), done.stderr  # 143: the sandbox stopped by kill
    assert "imported 3 of 3 rows into Contact" in done.stderr
    assert re.search(r"nora\.lind@example\.org \| Nora Lind", done.stdout)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
