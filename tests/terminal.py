"""The real ``mjquery`` program in a pseudo-terminal, read through a terminal emulator.

Tests type keys and wait for what the screen shows — the state a user would see — rather than
for fixed pauses: ``wait_for(r"FROM List ORDER")`` returns as soon as the emulated screen has
that text, whatever the speed of the machine. The screen is pyte's VT100 emulation, so what a
test reads is what is on the glass (overwritten characters are gone, cursor moves applied).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyte

COLUMNS, LINES = 120, 40


def mjquery_command() -> list[str]:
    script = Path(sys.executable).parent / "mjquery"
    if script.exists():
        return [str(script)]
    found = shutil.which("mjquery")
    return [found] if found else [sys.executable, "-m", "mjquery.cli.main"]


def _take_controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """``mjquery ARGS`` running in a pseudo-terminal of ``columns`` x ``lines``."""

    def __init__(
        self,
        args: Sequence[str] = ("--demo",),
        *,
        columns: int = COLUMNS,
        lines: int = LINES,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        environment = {
            **os.environ,
            "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "PAGER": "cat",
            "COLUMNS": str(columns),
            "LINES": str(lines),
            **(env or {}),
        }
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        self.process = subprocess.Popen(
            [*mjquery_command(), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
            # The pseudo-terminal becomes the controlling terminal of the program's session, so
            # Ctrl-C typed on it is a SIGINT, as in a real terminal.
            preexec_fn=_take_controlling_terminal,
        )
        os.close(slave)

    # -- reading -------------------------------------------------------------------------------

    def text(self) -> str:
        """The screen as it is now: its lines, trailing spaces removed."""
        return "\n".join(line.rstrip() for line in self.screen.display).rstrip("\n")

    def _pump(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the program exited and the terminal closed
            return False
        if not data:
            return False
        self.raw += data
        self.stream.feed(data)
        return True

    def wait_for(self, pattern: str, timeout: float = 60.0) -> str:
        """Wait until the screen shows ``pattern`` (a regular expression); returns the screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text()
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline or not self._pump(0.05):
                if re.search(pattern, self.text()):
                    return self.text()
                raise AssertionError(f"timed out waiting for {pattern!r}; the screen:\n{screen}")

    def wait_for_prompt(self, timeout: float = 60.0) -> str:
        """Wait until the last non-empty line of the screen is an empty ``mjquery>`` prompt."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.text().splitlines() if line.strip()]
            if lines and lines[-1].rstrip() == "mjquery>":
                return self.text()
            if time.monotonic() > deadline or not self._pump(0.05):
                raise AssertionError(
                    f"timed out waiting for the prompt; the screen:\n{self.text()}"
                )

    def cpu_seconds(self) -> float:
        """CPU time the program has used so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def wait_for_cpu(self, seconds: float, timeout: float = 120.0) -> None:
        """Wait until the program has worked ``seconds`` more CPU seconds (it is busy computing)."""
        start = self.cpu_seconds()
        deadline = time.monotonic() + timeout
        while self.cpu_seconds() - start < seconds:
            if time.monotonic() > deadline:
                raise AssertionError(f"the program did not work {seconds} CPU seconds")
            self._pump(0.1)

    # -- typing --------------------------------------------------------------------------------

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def interrupt(self) -> None:
        """Ctrl-C as the terminal sends it: the interrupt character on the input."""
        self.type("\x03")

    def signal(self, sig: int = signal.SIGINT) -> None:
        os.killpg(self.process.pid, sig)

    def close(self, timeout: float = 30.0) -> int:
        """Wait for the program to end (reading what it still prints); its exit status."""
        deadline = time.monotonic() + timeout
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                self._pump(0.05)
            return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            os.close(self.master)
