"""Errors as the front ends show them: one line that says what went wrong, and for a syntax
error the statement's line with the offending text underlined (as psql does). The configured
secrets are never shown: :func:`scrub_secrets` masks them, and the underline moves with the
masked line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mjquery.errors import Error, ProgrammingError, SqlSyntaxError

MASK = "***"


def scrub_secrets(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def scrub_at(text: str, secrets: Sequence[str], column: int) -> tuple[str, int]:
    """``text`` scrubbed, and where position ``column`` of the original text is in it: a caret
    under the scrubbed line still points at the same token."""
    out: list[str] = []
    moved = column
    i = 0
    while i < len(text):
        secret = next((s for s in secrets if s and text.startswith(s, i)), None)
        if secret is None:
            out.append(text[i])
            i += 1
            continue
        out.append(MASK)
        if i + len(secret) <= column:
            moved -= len(secret) - len(MASK)
        elif i < column:
            moved = len("".join(out)) - len(MASK)  # the caret was inside the secret
        i += len(secret)
    return "".join(out), max(0, moved)


def error_message(exc: BaseException, *, verbose: bool = False) -> str:
    """One line that says what went wrong; never a traceback.

    An exception mjquery does not raise on purpose is named as a bug. ``verbose`` adds the
    API's status and message when there is one.
    """
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"{exc.filename}: no such file"
    elif isinstance(exc, OSError) and exc.filename:
        text = f"{exc.filename}: {exc.strerror}"
    elif isinstance(exc, (Error, ValueError, OSError)):
        text = str(exc) or type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc} (an mjquery bug; --verbose shows the details)"
    status = getattr(exc, "status", None)
    if verbose and status is not None:
        api_message = getattr(exc, "api_message", "") or ""
        # the credentials 401 has an empty body: nothing to quote after the status
        text += f" [HTTP {status}: {api_message}]" if api_message else f" [HTTP {status}]"
    return " ".join(text.split())


def pointer_lines(exc: BaseException, sql: str, secrets: Sequence[str] = ()) -> list[str]:
    """For a syntax error with a position in ``sql``: that line, and carets under the text.

    Empty for other errors, or when the position is not in ``sql``. ``secrets`` are masked in
    the line, and the carets stay under the same text.
    """
    if not isinstance(exc, SqlSyntaxError) or exc.line is None or not exc.column:
        return []
    lines = sql.splitlines()
    if not 1 <= exc.line <= len(lines):
        return []
    line = lines[exc.line - 1].expandtabs(1)
    start = exc.column - 1
    if start > len(line):
        return []
    width = max(1, min(len(exc.highlight or " "), max(1, len(line) - start)))
    if any(secret and secret in line for secret in secrets):
        masked, moved = scrub_at(line, secrets, start)
        end = scrub_at(line, secrets, start + width)[1]
        line, start, width = masked, moved, max(1, end - moved)
    return [f"  {line}", f"  {' ' * start}{'^' * width}"]


def statement_label(number: int, sql: str, words: int = 5) -> str:
    """``statement 2 (UPDATE Contact SET Name = …)``: which statement of several failed."""
    parts = sql.split()
    text = " ".join(parts[:words]) + (" …" if len(parts) > words else "")
    return f"statement {number} ({text})"


def check_output_file(path: str | Path) -> Path:
    """``path`` as a file to write, or an error naming what is wrong with it before anything
    runs (a missing directory would otherwise surface as "no such file" after the work)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ProgrammingError(f"{target} is a directory; give a file name")
    if not target.parent.is_dir():
        raise ProgrammingError(f"{target.parent}: the directory does not exist (for {target})")
    return target
