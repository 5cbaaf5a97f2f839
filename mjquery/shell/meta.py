"""Meta commands of the shell, as people type them by reflex: psql's and pgcli's backslash
commands first (``\\x``, ``\\dt``, ``\\d NAME``, ``\\timing``, ``\\o``, ``\\i``, ``\\e``,
``\\watch``), then the dot commands of the sqlite3 and duckdb shells (``.tables``, ``.mode``,
``.headers`` ...). Their names and help texts are in :data:`mjquery.shell.suggest.META_COMMANDS`
(completion and ``.help`` read them there); this module runs them.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjquery.errors import ProgrammingError
from mjquery.frontend.messages import check_output_file
from mjquery.frontend.runner import classify
from mjquery.frontend.schema_view import describe_notes, describe_result, tables_result
from mjquery.frontend.sqltext import is_complete, parameter_names, split_statements
from mjquery.output import OutputFormat, ResultSet
from mjquery.planner.model import StatementKind
from mjquery.shell.display import Expanded
from mjquery.shell.suggest import META_COMMANDS

if TYPE_CHECKING:
    from mjquery.shell.app import Shell

Handler = Callable[["Shell", str | None], None]


def _switch(current: bool, argument: str | None, name: str) -> bool:
    if argument is None:
        return not current
    lowered = argument.lower()
    if lowered in ("on", "true", "1", "yes"):
        return True
    if lowered in ("off", "false", "0", "no"):
        return False
    raise ProgrammingError(f"{name} takes on or off, not {argument!r}")


def _on_off(value: bool) -> str:
    return "on" if value else "off"


# -- tables and columns ----------------------------------------------------------------------


def _tables(shell: Shell, argument: str | None) -> None:
    """``\\dt [PATTERN]``: the tables (Mailjet objects, then local DuckDB tables), filtered by
    a psql-style pattern (``*``, ``?``; case-insensitive)."""
    listed = tables_result(shell.table_objects())
    rows = list(listed.rows)
    rows += [(name, "(local DuckDB table)", "all", "") for name in shell.local_table_names()]
    if argument:
        pattern = argument.lower()
        if not any(ch in pattern for ch in "*?"):
            pattern = f"*{pattern}*"
        rows = [row for row in rows if fnmatch.fnmatchcase(str(row[0]).lower(), pattern)]
        if not rows:
            shell.info(f"no table matches {argument}")
            return
    shell.print_result(ResultSet(listed.columns, rows), wrap=True)


def _describe(shell: Shell, argument: str | None) -> None:
    """``\\d NAME``: the columns of a table; ``\\d`` alone lists the tables (as psql)."""
    if not argument:
        _tables(shell, None)
        return
    from mjquery.schema.catalog import Catalog

    catalog = getattr(shell.connection, "catalog", None) or Catalog(shell.table_objects())
    if catalog.find(argument) is None and argument.lower() in {
        name.lower() for name in shell.local_table_names()
    }:
        columns = shell.connection.describe(argument)
        shell.print_result(ResultSet(("Column",), [(c["column_name"],) for c in columns]))
        return
    table = catalog.get(argument)
    shell.print_result(describe_result(table), wrap=True)
    for note in describe_notes(table):
        shell.info(note)


# -- display settings ------------------------------------------------------------------------


def _expanded(shell: Shell, argument: str | None) -> None:
    """``\\x [on|off|auto]``; alone it toggles between on and off (as psql)."""
    state = shell.state
    if argument is None:
        state.expanded = Expanded.OFF if state.expanded is not Expanded.OFF else Expanded.ON
    else:
        lowered = argument.lower()
        if lowered == "auto":
            state.expanded = Expanded.AUTO
        else:
            try:
                on = _switch(False, lowered, "\\x")
            except ProgrammingError:
                raise ProgrammingError(f"\\x takes on, off or auto, not {argument!r}") from None
            state.expanded = Expanded.ON if on else Expanded.OFF
    shell.info(
        "Expanded display is used automatically."
        if state.expanded is Expanded.AUTO
        else f"Expanded display is {state.expanded.value}."
    )


def _format(shell: Shell, argument: str | None) -> None:
    if argument:
        shell.state.output_format = OutputFormat.parse(argument)
    shell.info(f"format: {shell.state.output_format.value}")


#: duckdb's ``.mode`` names → (format, expanded display)
_MODES: dict[str, tuple[OutputFormat, bool]] = {
    "table": (OutputFormat.TABLE, False),
    "box": (OutputFormat.TABLE, False),
    "duckbox": (OutputFormat.TABLE, False),
    "column": (OutputFormat.TABLE, False),
    "line": (OutputFormat.TABLE, True),
    "csv": (OutputFormat.CSV, False),
    "tabs": (OutputFormat.TSV, False),
    "tsv": (OutputFormat.TSV, False),
    "json": (OutputFormat.JSON, False),
    "jsonlines": (OutputFormat.JSONL, False),
    "jsonl": (OutputFormat.JSONL, False),
    "markdown": (OutputFormat.MARKDOWN, False),
}


def _mode(shell: Shell, argument: str | None) -> None:
    """``.mode MODE``, as the duckdb shell names them (``line`` is the expanded display)."""
    if argument:
        mode = _MODES.get(argument.lower())
        if mode is None:
            raise ProgrammingError(
                f".mode {argument}: not a mode mjquery has; choose one of {', '.join(_MODES)}"
            )
        shell.state.output_format = mode[0]
        shell.state.expanded = Expanded.ON if mode[1] else Expanded.OFF
    fmt = shell.state.output_format
    shown = "line" if fmt is OutputFormat.TABLE and shell.state.expanded is Expanded.ON else fmt
    shell.info(f"mode: {shown}")


def _headers(shell: Shell, argument: str | None) -> None:
    """``.headers on|off`` (sqlite3, duckdb)."""
    shell.state.headers = _switch(shell.state.headers, argument, ".headers")
    shell.info(f"headers: {_on_off(shell.state.headers)}")


def _tuples_only(shell: Shell, argument: str | None) -> None:
    """``\\t [on|off]``: psql's "tuples only", rows without the column names."""
    shell.state.headers = not _switch(not shell.state.headers, argument, "\\t")
    shell.info(f"Tuples only is {_on_off(not shell.state.headers)}.")


def _pager(shell: Shell, argument: str | None) -> None:
    shell.state.pager = _switch(shell.state.pager, argument, ".pager")
    shell.info(f"Pager usage is {_on_off(shell.state.pager)}.")


def _pset(shell: Shell, argument: str | None) -> None:
    """``\\pset pager|expanded|format|tuples_only [VALUE]``: the psql settings mjquery has."""
    name, _, value = (argument or "").partition(" ")
    handlers: dict[str, Handler] = {
        "pager": _pager,
        "expanded": _expanded,
        "x": _expanded,
        "format": _format,
        "tuples_only": _tuples_only,
    }
    handler = handlers.get(name.lower())
    if handler is None:
        raise ProgrammingError(
            f"\\pset {name or '(nothing)'}: mjquery knows {', '.join(sorted(handlers))}"
        )
    handler(shell, value.strip() or None)


def _timing(shell: Shell, argument: str | None) -> None:
    shell.state.timing = _switch(shell.state.timing, argument, "\\timing")
    shell.info(f"Timing is {_on_off(shell.state.timing)}.")


def _explain(shell: Shell, argument: str | None) -> None:
    shell.state.explain = _switch(shell.state.explain, argument, ".explain")
    shell.info(
        "the plan of each query is shown before it runs"
        if shell.state.explain
        else "plans are not shown (EXPLAIN SELECT ... shows one without running it)"
    )


def _safe_updates(shell: Shell, argument: str | None) -> None:
    shell.state.safe_updates = _switch(shell.state.safe_updates, argument, ".safe-updates")
    options = getattr(shell.connection, "write_options", None)
    if options is not None and hasattr(options, "allow_unfiltered"):
        # The library has the same guard; lift or restore it with the shell's.
        shell.connection.write_options = replace(
            options, allow_unfiltered=not shell.state.safe_updates
        )
    state = (
        "on: UPDATE/DELETE need a WHERE clause"
        if shell.state.safe_updates
        else "off: UPDATE/DELETE without WHERE are allowed"
    )
    shell.info(f"safe updates {state}")


# -- files -----------------------------------------------------------------------------------


def _output(shell: Shell, argument: str | None) -> None:
    if not argument or argument.lower() in ("stdout", "-"):
        shell.state.output_path = None
        shell.info("results go to the screen")
        return
    path = check_output_file(argument)
    path.write_text(
        "", encoding="utf-8"
    )  # start a fresh file, like psql's \o and sqlite3's .output
    shell.state.output_path = str(path)
    shell.info(f"results go to {path} (\\o alone: back to the screen)")


def script_parts(text: str) -> list[tuple[bool, str]]:
    """A file for ``\\i`` as psql reads one: ``(True, line)`` for a meta command (a line
    starting with ``\\`` or ``.`` between statements), ``(False, sql)`` for the SQL between
    them."""
    parts: list[tuple[bool, str]] = []
    pending: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith(("\\", ".")) and not split_statements("\n".join(pending)):
            pending = []
            parts.append((True, line.strip()))
            continue
        pending.append(line)
        if is_complete("\n".join(pending)):
            parts.append((False, "\n".join(pending)))
            pending = []
    if split_statements("\n".join(pending)):
        parts.append((False, "\n".join(pending)))
    return parts


def _read(shell: Shell, argument: str | None) -> None:
    """``\\i FILE`` / ``.read FILE``: its statements and meta commands, in order (as psql), after
    asking for the values of its ``:name`` parameters; it stops at the first failure."""
    if not argument:
        raise ProgrammingError("\\i needs a file: \\i report.sql")
    text = Path(argument).expanduser().read_text(encoding="utf-8")
    parts = script_parts(text)
    params: dict[str, Any] = {}
    names: list[str] = []
    for is_meta, part in parts:
        for statement in [] if is_meta else split_statements(part):
            names += [n for n in parameter_names(statement) if n not in names]
    for name in names:
        params[name] = shell.ask(f":{name} = ")
    for is_meta, part in parts:
        if is_meta:
            run_meta(shell, part)
        elif not shell.run_sql(part, params):
            return


def _edit(shell: Shell, argument: str | None) -> None:
    """``\\e [FILE]``: edit the last statement (or FILE) in ``$VISUAL``/``$EDITOR``; the result
    runs when it ends with ``;`` (as psql), else it waits at the prompt."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    if argument:
        path = Path(argument).expanduser()
        command = f"{editor} {shlex.quote(str(path))}"
        _run_editor(command)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    else:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".sql", prefix="mjquery-", delete=False, encoding="utf-8"
        ) as handle:
            handle.write((shell.state.last_sql or "").rstrip() + "\n")
            path = Path(handle.name)
        try:
            _run_editor(f"{editor} {shlex.quote(str(path))}")
            text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
    text = text.strip()
    if not text:
        shell.info("nothing to run")
    elif is_complete(text):
        shell.run_sql(text, {})
        shell.state.last_sql = text
    else:
        shell.state.next_input = text  # the next prompt starts with it


def _run_editor(command: str) -> None:
    status = subprocess.call(command, shell=True)
    if status != 0:
        raise ProgrammingError(f"the editor ({command}) exited with status {status}")


_WATCH_ARGUMENT = re.compile(r"(?:(?:i|interval)=)?(?P<seconds>\d+(?:\.\d+)?)$")
_WATCH_COUNT = re.compile(r"(?:c|count)=(?P<count>\d+)$")


def _watch(shell: Shell, argument: str | None) -> None:
    """``\\watch [SECONDS] [count=N]``: run the last query again every SECONDS (default 2)
    until Ctrl-C, an error, or N runs (as psql), each run reading the API afresh."""
    interval, count = 2.0, None
    for word in (argument or "").split():
        if m := _WATCH_ARGUMENT.match(word):
            interval = float(m.group("seconds"))
        elif m := _WATCH_COUNT.match(word):
            count = int(m.group("count"))
        else:
            raise ProgrammingError(f"\\watch takes seconds and count=N, not {word!r}")
    sql = shell.state.last_sql
    if not sql:
        raise ProgrammingError("\\watch repeats the last statement, and there is none yet")
    kinds = {classify(s).kind for s in split_statements(sql)}
    if kinds - {StatementKind.QUERY}:
        raise ProgrammingError("\\watch repeats queries only, not statements that change data")
    # Each run asks the API again, as psql's \watch asks the server: answers kept in the cache
    # (5 minutes by default) would show the same rows run after run.
    connection = shell.connection
    cached = getattr(connection, "cache_enabled", False)
    if cached:
        connection.cache_enabled = False
    runs = 0
    try:
        while count is None or runs < count:
            if runs:
                time.sleep(interval)
            shell.info(f"{time.strftime('%a %d %b %Y %H:%M:%S')} (every {interval:g}s)")
            if not shell.run_sql(sql, {}):
                return
            runs += 1
    except KeyboardInterrupt:
        return
    finally:
        if cached:
            connection.cache_enabled = True


# -- the session -----------------------------------------------------------------------------


def _cache(shell: Shell, argument: str | None) -> None:
    connection = shell.connection
    action = (argument or "").lower()
    if action == "clear":
        connection.clear_cache()
        shell.info("cache cleared")
        return
    if action in ("on", "off"):
        connection.cache_enabled = action == "on"
    elif action:
        raise ProgrammingError(f".cache takes clear, on or off, not {argument!r}")
    state = "on" if getattr(connection, "cache_enabled", True) else "off"
    shell.info(f"cache: {state}")


def _refresh(shell: Shell, argument: str | None) -> None:
    """``.refresh``: read the account's contact properties again (ContactProperties' columns)."""
    refresh = getattr(shell.connection, "refresh_properties", None)
    if refresh is None:
        raise ProgrammingError(".refresh needs a connection to a Mailjet account")
    refresh()
    shell.info("contact properties will be read again when ContactProperties is next used")


def _profile(shell: Shell, argument: str | None) -> None:
    shell.info(f"connected to: {shell.options.source or 'Mailjet'}")


def _help(shell: Shell, argument: str | None) -> None:
    width = max(len(name) for name, _ in META_COMMANDS)
    lines = [f"  {name.ljust(width)}  {text}" for name, text in META_COMMANDS]
    lines.append(
        "SQL statements run at ; (Alt-Enter runs without it). Ctrl-C cancels, Ctrl-D quits,"
        " Ctrl-R searches the history."
    )
    shell.stdout.write("\n".join(lines) + "\n")


def _quit(shell: Shell, argument: str | None) -> None:
    shell.state.running = False


COMMANDS: dict[str, Handler] = {
    "\\x": _expanded,
    "\\l": _tables,
    "\\dt": _tables,
    "\\dt+": _tables,  # psql's + adds sizes and descriptions: descriptions are always shown
    "\\d": _describe,
    "\\d+": _describe,
    "\\timing": _timing,
    "\\o": _output,
    "\\i": _read,
    "\\e": _edit,
    "\\watch": _watch,
    "\\t": _tuples_only,
    "\\pset": _pset,
    "\\conninfo": _profile,
    "\\?": _help,
    "\\h": _help,
    "\\q": _quit,
    ".tables": _tables,
    ".schema": _describe,
    ".describe": _describe,
    ".explain": _explain,
    ".timing": _timing,
    ".format": _format,
    ".mode": _mode,
    ".headers": _headers,
    ".pager": _pager,
    ".output": _output,
    ".read": _read,
    ".cache": _cache,
    ".refresh": _refresh,
    ".profile": _profile,
    ".safe-updates": _safe_updates,
    ".help": _help,
    ".quit": _quit,
    ".exit": _quit,
}


def _suggestion(name: str) -> str:
    """``; did you mean \\dt?`` for a close name of the same kind (\\ or .), else a pointer
    to the help."""
    same_kind = [c for c in COMMANDS if c[0] == name[0]]
    close = difflib.get_close_matches(name.lower(), same_kind, n=1, cutoff=0.7)
    return f"; did you mean {close[0]}?" if close else "; \\? or .help lists the commands"


def run_meta(shell: Shell, text: str) -> None:
    """Run one meta command line."""
    # Not shlex: backslash commands (\d) and Windows paths must survive as typed.
    parts = text.strip().rstrip(";").split(None, 1)
    name = parts[0].lower()
    argument = parts[1].strip() if len(parts) > 1 else None
    if argument and len(argument) >= 2 and argument[0] == argument[-1] and argument[0] in "'\"":
        argument = argument[1:-1]
    handler = COMMANDS.get(name)
    if handler is None:
        raise ProgrammingError(f"unknown command {parts[0]}{_suggestion(name)}")
    handler(shell, argument)
