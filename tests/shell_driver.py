"""Drive the shell through prompt_toolkit's pipe input: type keys, collect what it printed."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from mjquery.shell.app import Shell, ShellOptions
from tests.frontend_fakes import FakeConnection


class Session:
    def __init__(self, out: str, err: str, connection: Any, status: int) -> None:
        self.out, self.err, self.connection, self.status = out, err, connection, status


@dataclass(frozen=True)
class Keys:
    """Keys to type, and the text the input line must show before the next keys are typed."""

    text: str
    then: str | None = None


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def shell(
    keys: str | list[Keys], tmp_path: Path, connection: Any = None, *, pager: bool = False
) -> Session:
    """Type ``keys`` into a shell, then Ctrl-D. ``pager``: results taller or wider than the
    terminal go to ``Shell.page`` (as on a terminal).

    Given as a list, each :class:`Keys` waits until the input line shows its ``then`` text
    before the next keys go: completion runs after a key press, in the background.
    """
    connection = connection or FakeConnection()
    out, err = io.StringIO(), io.StringIO()
    steps = [Keys(keys)] if isinstance(keys, str) else keys
    with create_pipe_input() as pipe:
        sh = Shell(
            connection,
            ShellOptions(source="demo account", history_file=tmp_path / "history", use_pager=pager),
            input=pipe,
            output=DummyOutput(),
            stdout=out,
            stderr=err,
        )
        failure: list[BaseException] = []

        def typist() -> None:
            try:
                for step in steps:
                    pipe.send_text(step.text)
                    if step.then is not None:
                        wait_for(
                            lambda line=step.then: sh.session.default_buffer.text == line,
                            f"the input line to read {step.then!r}",
                        )
            except BaseException as exc:  # reported by the test, after the session ends
                failure.append(exc)
            finally:
                pipe.send_text("\x04")  # Ctrl-D ends the session

        thread = threading.Thread(target=typist, daemon=True)
        thread.start()
        status = sh.run()
        thread.join()
    if failure:
        raise failure[0]
    return Session(out.getvalue(), err.getvalue(), connection, status)
