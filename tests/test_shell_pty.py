"""End to end: the real ``mjquery`` program in a pseudo-terminal, typing a query with completion."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r")
CURSOR_FORWARD = re.compile(r"\x1b\[(\d*)C")


def plain(text: str) -> str:
    """The terminal output without escape sequences (cursor-forward moves become spaces)."""
    text = CURSOR_FORWARD.sub(lambda m: " " * int(m.group(1) or 1), text)
    return ANSI.sub("", text)


def _command() -> list[str]:
    script = Path(sys.executable).parent / "mjquery"
    if script.exists():
        return [str(script), "--demo"]
    found = shutil.which("mjquery")
    return [found, "--demo"] if found else [sys.executable, "-m", "mjquery.cli.main", "--demo"]


class Terminal:
    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {
            **os.environ,
            "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "PAGER": "cat",
            "COLUMNS": "120",
            "LINES": "40",
        }
        self.process = subprocess.Popen(
            _command(),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, pattern: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, plain(self.screen)):
                return plain(self.screen)
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    break
        raise AssertionError(
            f"timed out waiting for {pattern!r}; screen was:\n{plain(self.screen)}"
        )

    def type(self, text: str, pause: float = 0.4) -> None:
        os.write(self.master, text.encode())
        time.sleep(pause)

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            os.close(self.master)


def test_typing_a_query_with_completion_prints_the_table() -> None:
    term = Terminal()
    try:
        term.read_until(r"mjquery>")
        term.type("SELECT Name, SubscriberCount FROM Lis")
        term.type("\t")  # completes the common part: List
        term.type(" ORDER BY SubscriberCount DESC;")
        term.type("\r", pause=0)
        screen = term.read_until(r"\d+ rows in [0-9.]+ s")
        assert re.search(r"FROM List ORDER BY", screen)
        assert re.search(r" Name +\| SubscriberCount", screen)
        assert re.search(r" Newsletter +\| +1090", screen)
        assert re.search(r"7 rows in [0-9.]+ s · 1 API request", screen)
        term.read_until(r"rows in [0-9.]+ s[^\n]*\n(.|\n)*mjquery>")  # the next prompt is up
        term.type("\x04", pause=0)  # Ctrl-D
    finally:
        status = term.close()
    assert status == 0
