"""Entry point of the ``mjquery`` command: parse the arguments, run the command, map errors to exit codes.

Every error reaches the user as one line on standard error (``mjquery: error: ...``) and a
non-zero exit status; ``--verbose`` adds the traceback. Secrets of the active profile are scrubbed
from every message, whatever layer wrote it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TextIO

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
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        # The sandbox command owns its options.
        from mjquery.sandbox.cli import main as sandbox_main

        return sandbox_main(args[1:])

    from mjquery.cli.commands import Context, dispatch
    from mjquery.cli.options import build_parser

    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
        return int(exc.code or 0)

    context = Context(options=options, stdin=stdin, stdout=stdout, stderr=stderr, connect=connect)
    try:
        return dispatch(context)
    except KeyboardInterrupt:
        print("mjquery: interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `mjquery ... | head`: the reader is gone; that is not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        print(f"mjquery: error: {context.message_of(exc)}", file=stderr)
        if getattr(options, "verbose", False):
            text = "".join(traceback.format_exception(exc))
            print(context.scrub(text), file=stderr, end="")
        return EXIT_ERROR
    finally:
        context.close()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
