"""Meta commands of the shell (``.tables``, ``\\d``, ``.format`` ...), in the styles of sqlite3 and psql."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mjquery.errors import ProgrammingError
from mjquery.frontend.schema_view import describe_notes, describe_result, tables_result
from mjquery.frontend.sqltext import parameter_names, parse_param_value, split_statements
from mjquery.output import OutputFormat
from mjquery.shell.suggest import META_COMMANDS

if TYPE_CHECKING:
    from mjquery.shell.app import Shell


def _switch(current: bool, argument: str | None, name: str) -> bool:
    if argument is None:
        return not current
    lowered = argument.lower()
    if lowered in ("on", "true", "1"):
        return True
    if lowered in ("off", "false", "0"):
        return False
    raise ProgrammingError(f"{name} takes on or off, not {argument!r}")


def _tables(shell: Shell, argument: str | None) -> None:
    shell.print_result(tables_result(shell.table_objects()))


def _schema(shell: Shell, argument: str | None) -> None:
    if not argument:
        _tables(shell, None)
        return
    from mjquery.schema.catalog import Catalog

    catalog = getattr(shell.connection, "catalog", None) or Catalog(shell.table_objects())
    table = catalog.get(argument)
    shell.print_result(describe_result(table))
    for note in describe_notes(table):
        shell.info(note)


def _explain(shell: Shell, argument: str | None) -> None:
    shell.state.explain = _switch(shell.state.explain, argument, ".explain")
    shell.info(f"EXPLAIN before each statement: {'on' if shell.state.explain else 'off'}")


def _timing(shell: Shell, argument: str | None) -> None:
    shell.state.timing = _switch(shell.state.timing, argument, ".timing")
    shell.info(f"timing: {'on' if shell.state.timing else 'off'}")


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


def _format(shell: Shell, argument: str | None) -> None:
    if argument:
        shell.state.output_format = OutputFormat.parse(argument)
    shell.info(f"format: {shell.state.output_format.value}")


def _output(shell: Shell, argument: str | None) -> None:
    if not argument or argument.lower() in ("stdout", "-"):
        shell.state.output_path = None
        shell.info("results go to the screen")
        return
    path = Path(argument).expanduser()
    path.write_text("", encoding="utf-8")  # start a fresh file, like sqlite3's .output
    shell.state.output_path = str(path)
    shell.info(f"results go to {path} (.output alone: back to the screen)")


def _read(shell: Shell, argument: str | None) -> None:
    if not argument:
        raise ProgrammingError(".read needs a file: .read report.sql")
    text = Path(argument).expanduser().read_text(encoding="utf-8")
    params = {}
    names: list[str] = []
    for statement in split_statements(text):
        names += [n for n in parameter_names(statement) if n not in names]
    for name in names:
        params[name] = parse_param_value(shell.ask(f":{name} = "))
    shell.run_sql(text, params)


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


COMMANDS: dict[str, Callable[[Shell, str | None], None]] = {
    ".tables": _tables,
    "\\dt": _tables,
    ".schema": _schema,
    "\\d": _schema,
    ".describe": _schema,
    ".explain": _explain,
    ".timing": _timing,
    "\\timing": _timing,
    ".format": _format,
    ".mode": _format,
    ".output": _output,
    "\\o": _output,
    ".read": _read,
    "\\i": _read,
    ".cache": _cache,
    ".profile": _profile,
    ".safe-updates": _safe_updates,
    ".help": _help,
    "\\?": _help,
    "\\h": _help,
    ".quit": _quit,
    ".exit": _quit,
    "\\q": _quit,
}


def run_meta(shell: Shell, text: str) -> None:
    """Run one meta command line."""
    # Not shlex: backslash commands (\\d) and Windows paths must survive as typed.
    parts = text.strip().rstrip(";").split(None, 1)
    name = parts[0].lower()
    argument = parts[1].strip() if len(parts) > 1 else None
    if argument and len(argument) >= 2 and argument[0] == argument[-1] and argument[0] in "'\"":
        argument = argument[1:-1]
    handler = COMMANDS.get(name)
    if handler is None:
        from mjquery.errors import closest

        hint = closest(name, list(COMMANDS))
        raise ProgrammingError(
            f"unknown command {parts[0]!r}" + (f"; did you mean {hint}?" if hint else "; try .help")
        )
    handler(shell, argument)
