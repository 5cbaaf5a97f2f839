"""Entry point of the ``mjquery`` command: parse the arguments, run the command, map errors to exit codes.

Every error reaches the user as one line on standard error (``mjquery: error: ...``) and a
non-zero exit status; ``--verbose`` adds the traceback. Secrets of the active profile are scrubbed
from every message, whatever layer wrote it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from mjquery.cli.commands import Context

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(
    argv: Sequence[str] | None = None,
    *,
    connect: Callable[..., Any] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``mjquery`` with ``argv``; returns the exit status.

    ``connect`` replaces ``mjquery.connect`` and the streams replace the process's (tests).
    """
    _skip_httpx_cli()
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        # The sandbox command owns its options.
        from mjquery.sandbox.cli import main as sandbox_main

        return sandbox_main(args[1:])

    from mjquery.cli.options import build_parser

    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
        return int(exc.code or 0)

    from mjquery.cli.commands import Context, dispatch
    from mjquery.frontend.cancel import QueryCancelled

    context = Context(options=options, stdin=stdin, stdout=stdout, stderr=stderr, connect=connect)
    try:
        return dispatch(context)
    except KeyboardInterrupt:
        print("mjquery: interrupted", file=stderr)
        _exit_now_if_stuck(context, EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except QueryCancelled as exc:
        print(f"mjquery: {exc}", file=stderr)
        _exit_now_if_stuck(context, EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `mjquery ... | head`: the reader is gone; that is not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        context.report(exc)
        return EXIT_ERROR
    finally:
        context.close()


def _skip_httpx_cli() -> None:
    """Keep ``import httpx`` from loading httpx's own command-line tool.

    httpx imports its CLI (``httpx._main``, with click, rich and pygments) whenever those are
    installed, and dlt installs them: that is about half of httpx's import time, paid by the
    first request of every ``mjquery`` process for a tool it never runs. With the module marked
    absent, httpx falls back to its stub ``main`` (httpx/__init__.py catches the ImportError).
    Only this command's process is changed; ``import mjquery`` in a user's program is not.
    """
    if "httpx" not in sys.modules:
        # None in sys.modules is the documented way to make an import raise ImportError
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _exit_now_if_stuck(context: Context, status: int) -> None:
    """End the process at once when a cancelled statement is still stopping inside DuckDB:
    closing the connection (or the interpreter's exit) would wait for it."""
    if context.still_running:
        for stream in (context.stdout, context.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
