"""The ``mjquery`` commands. Each is a few lines over the library: connect, run, format."""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import textwrap
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mjquery import config as config_module
from mjquery.errors import AuthenticationError, Error, NotSupportedError, ProgrammingError
from mjquery.frontend.cancel import Interruptible, QueryCancelled
from mjquery.frontend.messages import (
    check_output_file,
    error_message,
    pointer_lines,
    scrub_secrets,
    statement_label,
)
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import (
    EXIT_PARTLY_REFUSED,
    WRITE_KINDS,
    StatementRunner,
    WriteGuard,
    status_line,
)
from mjquery.frontend.sqltext import (
    parameter_names,
    split_statements,
)
from mjquery.output import Layout, OutputFormat, ResultSequence, ResultSet, write_result

DEMO_SOURCE = "demo account (in-process sandbox)"


class StatementFailed(Exception):
    """A statement of a run failed; ``label`` names it when the run had several."""

    def __init__(self, cause: BaseException, number: int, total: int, sql: str) -> None:
        super().__init__(str(cause))
        self.cause, self.number, self.total, self.sql = cause, number, total, sql

    @property
    def prefix(self) -> str:
        """``statement 2 (UPDATE Contact SET …): `` when the run had several, else nothing."""
        return f"{statement_label(self.number, self.sql)}: " if self.total > 1 else ""


@dataclass
class Context:
    """One invocation: its options, streams, and the connection opened on first use."""

    options: argparse.Namespace
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    connect: Callable[..., Any] | None = None
    settings: config_module.ResolvedSettings | None = None
    _connection: Any = field(default=None, init=False)
    _interruptible: Interruptible | None = field(default=None, init=False)

    # -- connection ----------------------------------------------------------------------------

    @property
    def source(self) -> str:
        if self.options.demo:
            return DEMO_SOURCE
        return self.settings.source if self.settings else "(not connected)"

    def connection(self) -> Any:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> Any:
        connect = self.connect
        if connect is None:
            import mjquery

            connect = getattr(mjquery, "connect", None)
            if connect is None:
                raise NotSupportedError(
                    "this mjquery installation has no DB-API module (mjquery.connect)"
                )
        if self.options.demo:
            if self.options.profile:
                raise ProgrammingError("--demo and --profile cannot be used together")
            return connect(demo=True, **self._write_kwargs())
        self.settings = config_module.resolve_settings(
            profile=self.options.profile, base_url=self.options.base_url, warn=self.warn
        )
        if self.options_verbose:
            self.warn(f"credentials: {self.settings.note}")
        return connect(**self.settings.profile.connect_kwargs(), **self._write_kwargs())

    def _write_kwargs(self) -> dict[str, Any]:
        # The library refuses UPDATE/DELETE without WHERE too; --no-safe-updates lifts both guards.
        kwargs: dict[str, Any] = (
            {} if getattr(self.options, "safe_updates", True) else {"allow_unfiltered_writes": True}
        )
        if not getattr(self.options, "local_files", True):
            kwargs["local_files"] = False
        return kwargs

    @property
    def still_running(self) -> bool:
        """Whether a cancelled statement is still stopping on a worker thread."""
        return self._interruptible is not None and self._interruptible.busy

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    # -- messages ------------------------------------------------------------------------------

    def interruptible(self, progress: ProgressLine | None = None) -> Interruptible:
        """Ctrl-C handling for the connection's calls (frontend.cancel); fetch progress goes to
        ``progress`` and is where a cancelled fetch stops."""
        connection = self.connection()
        interruptible = Interruptible(
            getattr(connection, "interrupt", None), notify=lambda text: self.warn(text)
        )

        def on_pages(pages_done: int, pages_expected: int | None) -> None:
            interruptible.check()
            if progress is not None:
                progress.pages(pages_done, pages_expected)

        if hasattr(connection, "progress"):
            connection.progress = on_pages
            if progress is not None:
                connection.on_wait = progress.notice  # "rate limited by Mailjet, retrying in 20 s"
        self._interruptible = interruptible
        return interruptible

    def warn(self, message: str) -> None:
        print(f"mjquery: {message}", file=self.stderr)

    @property
    def secrets(self) -> tuple[str, ...]:
        return config_module.secrets_of(self.settings.profile if self.settings else None)

    def scrub(self, text: str) -> str:
        """``text`` with the active profile's secret replaced by ``***``."""
        return scrub_secrets(text, self.secrets)

    def message_of(self, exc: BaseException) -> str:
        """One line that says what went wrong (secrets scrubbed)."""
        prefix = ""
        if isinstance(exc, StatementFailed):
            prefix, exc = exc.prefix, exc.cause
        message = error_message(exc, verbose=self.options_verbose)
        if isinstance(exc, AuthenticationError) and self.settings is not None:
            message += f" The key pair came from {self.settings.note}."
        return self.scrub(prefix + message)

    def report(self, exc: BaseException) -> None:
        """The error on standard error: its line, the offending SQL underlined, and with
        ``--verbose`` the traceback."""
        print(f"mjquery: error: {self.message_of(exc)}", file=self.stderr)
        if isinstance(exc, StatementFailed):
            for line in pointer_lines(exc.cause, exc.sql, self.secrets):
                print(line, file=self.stderr)
            exc = exc.cause
        if self.options_verbose:
            text = "".join(traceback.format_exception(exc))
            print(self.scrub(text), file=self.stderr, end="")

    @property
    def options_verbose(self) -> bool:
        return bool(getattr(self.options, "verbose", False))

    # -- output --------------------------------------------------------------------------------

    @property
    def output_format(self) -> OutputFormat:
        return OutputFormat.parse(self.options.format or "table")

    def layout(self, stream: TextIO, *, wrap: bool = False) -> Layout:
        """The table layout for ``stream``: expanded with ``-x``; with ``wrap``, long text is
        wrapped to the terminal's width when ``stream`` is one (in full otherwise)."""
        width = shutil.get_terminal_size().columns if wrap and is_terminal(stream) else None
        return Layout(
            width=width,
            wrap=width is not None,
            expanded=bool(getattr(self.options, "expanded", False)),
        )

    @contextlib.contextmanager
    def output(self) -> Iterator[TextIO]:
        """Standard output, or the ``-o`` file (created or truncated)."""
        if not self.options.output:
            yield self.stdout
            return
        path = check_output_file(self.options.output)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            yield handle


# -- dispatch ---------------------------------------------------------------------------------


def dispatch(context: Context) -> int:
    command = context.options.command
    if command is None:
        if context.options.sql is not None:
            return run_sql(context, context.options.sql, {})
        if not is_terminal(context.stdin):
            return run_sql(context, context.stdin.read(), {})
        return run_shell(context)
    if context.options.sql is not None:
        raise ProgrammingError(f"-c cannot be combined with the {command!r} command")
    handlers: dict[str, Callable[[Context], int]] = {
        "run": run_file,
        "tables": show_tables,
        "describe": describe_table,
        "export": export_command,
        "import": import_command,
        "config": config_command,
        "completion": completion_command,
        "replicate": replicate_command,
        "sync": sync_command,
    }
    return handlers[command](context)


def run_shell(context: Context) -> int:
    from mjquery.shell.app import ShellOptions
    from mjquery.shell.app import run_shell as run

    connection = context.connection()
    return run(
        connection,
        ShellOptions(
            source=context.source,
            output_format=context.output_format,
            safe_updates=context.options.safe_updates,
            verbose=context.options_verbose,
            secrets=config_module.secrets_of(
                context.settings.profile if context.settings else None
            ),
        ),
    )


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``--param name=value`` pairs as a mapping."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip(":")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ProgrammingError(f"--param expects NAME=VALUE, got {pair!r}")
        values[name] = value  # text: see frontend.sqltext.typed_values
    return values


def run_file(context: Context) -> int:
    path = context.options.file
    text = context.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return run_sql(context, text, parse_params(context.options.param))


def run_sql(context: Context, text: str, params: dict[str, Any]) -> int:
    """Run every statement of ``text`` and print each result; stops at the first error."""
    statements = split_statements(text)
    if not statements:
        raise ProgrammingError("no SQL statement to run")
    # a --param no statement uses is a typo or the wrong file: say so rather than run without it
    used = {name for sql in statements for name in parameter_names(sql)}
    unused = sorted(set(params) - used)
    if unused:
        known = ", ".join(f":{name}" for name in sorted(used)) or "none"
        raise ProgrammingError(
            f"--param {', '.join(unused)}: not used by the SQL (its parameters: {known})"
        )
    connection = context.connection()
    progress = ProgressLine(context.stderr) if is_terminal(context.stderr) else None
    interruptible = context.interruptible(progress)
    runner = StatementRunner(
        connection,
        guard=WriteGuard(safe_updates=context.options.safe_updates),
        interruptible=interruptible,
    )
    fmt = context.output_format
    partly_refused = False
    with context.output() as out:
        results = ResultSequence(fmt, out, several=len(statements) > 1, layout=context.layout(out))
        try:
            for number, sql in enumerate(statements, 1):
                try:
                    partly_refused |= _run_one(context, runner, results, sql, params, progress)
                except (KeyboardInterrupt, BrokenPipeError, QueryCancelled):
                    raise
                except Exception as exc:
                    raise StatementFailed(exc, number, len(statements), sql) from exc
        finally:
            if progress is not None:
                progress.clear()
            results.close()
            out.flush()
    return EXIT_PARTLY_REFUSED if partly_refused else 0


def _run_one(
    context: Context,
    runner: StatementRunner,
    results: ResultSequence,
    sql: str,
    params: dict[str, Any],
    progress: ProgressLine | None,
) -> bool:
    """One statement: its rows to the output, its status, notices and warnings to standard
    error. True when the API refused some of the rows of a write."""
    executed = runner.execute(sql, params)
    if progress is not None:
        progress.clear()
    if executed.columns is not None:
        results.write(ResultSet(executed.columns, executed.rows()))
    stats = executed.stats()
    if context.options_verbose or executed.kind in WRITE_KINDS:
        print(
            status_line(stats, kind=executed.kind, timing=context.options_verbose),
            file=context.stderr,
        )
    if context.options_verbose or is_terminal(context.stderr):
        for notice in executed.notices():
            print(f"mjquery: {notice}", file=context.stderr)
    warnings = executed.warnings()
    for warning in warnings:
        print(f"mjquery: warning: {warning}", file=context.stderr)
    return bool(warnings)


# -- schema commands (no credentials needed) -------------------------------------------------


def _catalog() -> Any:
    from mjquery.schema.catalog import load_catalog

    return load_catalog()


def show_tables(context: Context) -> int:
    from mjquery.frontend.schema_view import tables_result

    with context.output() as out:
        write_result(
            tables_result(_catalog().objects),
            context.output_format,
            out,
            context.layout(out, wrap=True),
        )
    return 0


def describe_table(context: Context) -> int:
    from mjquery.frontend.schema_view import describe_notes, describe_result, legend

    table = _catalog().get(context.options.table)
    notes: tuple[str, ...] = ()
    if table.property_columns:
        table, notes = _with_account_properties(context, table)
    with context.output() as out:
        write_result(
            describe_result(table), context.output_format, out, context.layout(out, wrap=True)
        )
        if context.output_format is OutputFormat.TABLE:
            terminal = is_terminal(out)
            width = shutil.get_terminal_size().columns
            for note in (*notes, *describe_notes(table)):
                out.write((textwrap.fill(note, width) if terminal else note) + "\n")
            if terminal:
                out.write("\n" + legend(width) + "\n")
    return 0


def _with_account_properties(context: Context, table: Any) -> tuple[Any, tuple[str, ...]]:
    """ContactProperties with the account's property columns when the command can connect
    (``--demo`` or credentials; one read of ContactMetadata), else the file's columns and a
    note saying why the properties are not listed."""
    try:
        return context.connection().catalog.get(table.name), ()
    except Error as exc:
        return table, (
            "properties: one more column per contact property of the account, not listed "
            f"here: {exc}",
        )


# -- export / import ---------------------------------------------------------------------------


def export_command(context: Context) -> int:
    from mjquery.cli.transfer import export

    return export(context)


def import_command(context: Context) -> int:
    from mjquery.cli.transfer import import_file

    return import_file(context)


# -- completion ------------------------------------------------------------------------------


def completion_command(context: Context) -> int:
    from mjquery.cli.completion import script
    from mjquery.cli.options import build_parser

    context.stdout.write(script(context.options.shell, build_parser()))
    return 0


def sync_command(context: Context) -> int:
    from mjquery.cli.sync import sync

    return sync(context)


def replicate_command(context: Context) -> int:
    from mjquery.cli.replicate import replicate

    return replicate(context)


# -- config ----------------------------------------------------------------------------------


def config_command(context: Context) -> int:
    options = context.options
    path = config_module.config_path()
    action = options.config_command
    if action == "path":
        print(path, file=context.stdout)
        return 0
    if action == "show":
        settings = config_module.show_settings(
            profile=context.options.profile, base_url=context.options.base_url
        )
        write_result(
            ResultSet(
                ("Setting", "Value", "Source"), [(s.name, s.value, s.source) for s in settings]
            ),
            context.output_format if options.format else OutputFormat.TABLE,
            context.stdout,
            context.layout(context.stdout, wrap=True),
        )
        return 0
    current = config_module.load_config(path, warn=context.warn)
    if action == "list":
        rows = [
            (
                p.name + (" (default)" if p.name == current.default_profile else ""),
                p.masked_key,
                p.base_url or "",
                "" if p.cache_ttl is None else p.cache_ttl,
                "" if p.max_concurrency is None else p.max_concurrency,
            )
            for p in current.profiles
        ]
        write_result(
            ResultSet(("Profile", "API key", "Base URL", "Cache TTL", "Concurrency"), rows),
            context.output_format if options.format else OutputFormat.TABLE,
            context.stdout,
        )
        return 0
    if action == "remove-profile":
        config_module.save_config(config_module.remove_profile(current, options.name))
        print(f"removed profile {options.name!r} from {path}", file=context.stderr)
        return 0
    # add-profile
    api_key = options.api_key or _ask(context, "API key (MJ_APIKEY_PUBLIC): ")
    secret = config_module.prompt_secret()
    if not api_key or not secret:
        raise ProgrammingError("an API key and a secret key are both required")
    profile = config_module.Profile(
        name=options.name,
        api_key=api_key,
        api_secret=secret,
        base_url=options.profile_base_url,
        cache_ttl=options.cache_ttl,
        max_concurrency=options.max_concurrency,
        rate_limit_per_second=options.rate_limit_per_second,
    )
    updated = config_module.add_profile(current, profile, make_default=options.make_default)
    config_module.save_config(updated)
    default = " (default)" if updated.default_profile == options.name else ""
    print(f"saved profile {options.name!r}{default} to {path}", file=context.stderr)
    return 0


def _ask(context: Context, prompt: str) -> str:
    context.stderr.write(prompt)
    context.stderr.flush()
    line = context.stdin.readline()
    if not line:
        raise ProgrammingError("no input: give the key with --api-key")
    return line.strip()
