"""Generate ``docs/cli.md`` from the ``--help`` of every command (a test fails when it is stale).

Regenerate with: ``python -m mjquery.cli.docs > docs/cli.md``
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

COMMANDS: tuple[tuple[str, ...], ...] = (
    (),
    ("run",),
    ("tables",),
    ("describe",),
    ("export",),
    ("import",),
    ("replicate",),
    ("sync",),
    ("config",),
    ("config", "add-profile"),
    ("config", "remove-profile"),
    ("config", "list"),
    ("config", "show"),
    ("config", "path"),
    ("completion",),
    ("sandbox",),
)
WIDTH = "100"


@contextlib.contextmanager
def _fixed_width() -> Iterator[None]:
    # argparse wraps help text to the terminal width; the reference must not depend on it.
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def help_text(command: tuple[str, ...]) -> str:
    """The ``--help`` output of ``mjquery COMMAND``."""
    from mjquery.cli.main import main

    out = io.StringIO()
    # The sandbox's own parser exits after --help: that SystemExit is expected.
    with _fixed_width(), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*command, "--help"], stdout=out)
    return out.getvalue().rstrip() + "\n"


def render_cli_reference() -> str:
    parts = [
        "# mjquery command reference\n",
        "Generated from `--help` by `python -m mjquery.cli.docs > docs/cli.md`; a test fails when it",
        "is out of date. Common options (`--demo`, `--base-url`, `--profile`, `--format`, `-o`,",
        "`--verbose`, `--no-safe-updates`) work before or after the command.\n",
    ]
    for command in COMMANDS:
        title = " ".join(("mjquery", *command))
        parts.append(f"## {title}\n")
        parts.append("```\n" + help_text(command) + "```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render_cli_reference(), end="")
