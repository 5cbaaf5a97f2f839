"""Errors as the front ends show them: one line that says what went wrong, and for a syntax
error the statement's line with the offending text underlined (as psql does)."""

from __future__ import annotations

from pathlib import Path

from mjquery.errors import Error, ProgrammingError, SqlSyntaxError


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
        text += f" [HTTP {status}: {getattr(exc, 'api_message', '') or ''}]"
    return " ".join(text.split())


def pointer_lines(exc: BaseException, sql: str) -> list[str]:
    """For a syntax error with a position in ``sql``: that line, and carets under the text.

    Empty for other errors, or when the position is not in ``sql``.
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
