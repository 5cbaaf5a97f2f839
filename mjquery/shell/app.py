"""The interactive shell: a prompt_toolkit session around a :class:`~mjquery.frontend.runner.StatementRunner`.

The loop reads a statement (multi-line, runs at ``;``), runs it, prints the result as a table
(through a pager when it is longer than the screen) and a status line, and keeps going after
errors and Ctrl-C. Meta commands live in :mod:`mjquery.shell.meta`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from pygments.lexers.sql import SqlLexer

from mjquery import config as config_module
from mjquery.frontend.cancel import Interruptible, QueryCancelled
from mjquery.frontend.messages import error_message, pointer_lines, scrub_secrets, statement_label
from mjquery.frontend.progress import ProgressLine, is_terminal
from mjquery.frontend.runner import StatementRunner, WriteCancelled, WriteGuard, status_line
from mjquery.frontend.sqltext import split_statements
from mjquery.output import Layout, OutputFormat, ResultSet, write_result
from mjquery.shell.completer import SqlCompleter
from mjquery.shell.display import Expanded, Screen, Shown, show
from mjquery.shell.keys import QUIT_WORDS, build_key_bindings
from mjquery.shell.vocabulary import reserved_words, sql_functions, sql_keywords

PROMPT = "mjquery> "
CONTINUATION = "    ...> "
STYLE = Style.from_dict(
    {
        "completion-menu.completion": "bg:#303030 #dddddd",
        "completion-menu.completion.current": "bg:#00aaaa #000000",
        "completion-menu.meta.completion": "bg:#202020 #999999",
        "completion-menu.meta.completion.current": "bg:#00aaaa #000000",
    }
)
RED, YELLOW, DIM, RESET = "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"


@dataclass(frozen=True)
class ShellOptions:
    """How the shell starts. ``history_file=None`` uses the XDG data directory."""

    source: str = ""
    output_format: OutputFormat = OutputFormat.TABLE
    safe_updates: bool = True
    verbose: bool = False
    secrets: tuple[str, ...] = ()
    history_file: Path | None = None
    use_pager: bool | None = None  # None: when standard output is a terminal
    color: bool | None = None  # None: when standard output is a terminal


@dataclass
class ShellState:
    """What meta commands change."""

    output_format: OutputFormat
    explain: bool = False  # show each query's plan before running it
    timing: bool = True
    safe_updates: bool = True
    output_path: str | None = None
    expanded: Expanded = Expanded.OFF
    pager: bool = True
    headers: bool = True
    running: bool = True
    last_sql: str | None = None  # what \watch repeats and \e edits
    next_input: str = ""  # what the next prompt starts with (after \e)


class _ScrubbedHistory(History):
    """A history that never holds the configured secrets: each entry is scrubbed before it is
    kept in memory or written to the file."""

    def __init__(self, inner: History, secrets: Sequence[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def load_history_strings(self) -> Iterable[str]:
        return (scrub_secrets(s, self.secrets) for s in self.inner.load_history_strings())

    def append_string(self, string: str) -> None:
        super().append_string(scrub_secrets(string, self.secrets))

    def store_string(self, string: str) -> None:
        self.inner.store_string(scrub_secrets(string, self.secrets))


def open_history(path: Path | None, secrets: Sequence[str] = ()) -> History:
    """The persistent history file (created with mode 600), or memory when it cannot be written.

    Entries are written without the configured secrets (``***`` instead).
    """
    path = config_module.history_path() if path is None else path
    inner: History
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        inner = FileHistory(str(path))
    except OSError:
        inner = InMemoryHistory()
    return _ScrubbedHistory(inner, secrets)


class Shell:
    """One interactive session on one connection."""

    def __init__(
        self,
        connection: Any,
        options: ShellOptions | None = None,
        *,
        input: Input | None = None,
        output: Output | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.connection = connection
        self.options = options or ShellOptions()
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.state = ShellState(
            output_format=self.options.output_format, safe_updates=self.options.safe_updates
        )
        self.color = is_terminal(self.stdout) if self.options.color is None else self.options.color
        self.use_pager = (
            is_terminal(self.stdout) if self.options.use_pager is None else self.options.use_pager
        )
        self._input, self._output = input, output
        self._reading_properties = False  # contact properties being read for completion
        self.session: PromptSession[str] = PromptSession(
            message=PROMPT,
            prompt_continuation=lambda width, line, soft: (
                CONTINUATION[-width:] if width else CONTINUATION
            ),
            multiline=True,
            history=open_history(self.options.history_file, self.options.secrets),
            enable_history_search=False,  # Up/Down walk the history; Ctrl-R searches it
            lexer=PygmentsLexer(SqlLexer),
            completer=SqlCompleter(
                self.table_objects,
                keywords=sql_keywords,
                functions=sql_functions,
                reserved=reserved_words,
                table=self.table_object,
            ),
            complete_while_typing=True,
            key_bindings=build_key_bindings(),
            style=STYLE,
            input=input,
            output=output,
        )
        self.progress = ProgressLine(self.stderr, terminal=is_terminal(self.stderr))
        self.interruptible = Interruptible(getattr(connection, "interrupt", None), notify=self.info)
        if hasattr(connection, "progress"):
            connection.progress = self._on_pages
            if self.progress.terminal:
                connection.on_wait = (
                    self.progress.notice
                )  # "rate limited by Mailjet, retrying in 20 s"
        self.runner = StatementRunner(
            connection,
            guard=WriteGuard(safe_updates=self.state.safe_updates, confirm=self.confirm_write),
            interruptible=self.interruptible,
        )

    def _on_pages(self, pages_done: int, pages_expected: int | None) -> None:
        """The connection's fetch callback: the progress line, and where Ctrl-C stops a fetch."""
        self.interruptible.check()
        if self.progress.terminal:
            self.progress.pages(pages_done, pages_expected)

    # -- catalog --------------------------------------------------------------------------------

    def local_table_names(self) -> list[str]:
        """The user's own tables in the connection's DuckDB database."""
        tables = getattr(self.connection, "tables", None)
        if tables is None:
            return []
        return [row["name"] for row in tables() if row.get("kind") == "local"]

    def table_objects(self) -> tuple[Any, ...]:
        catalog = getattr(self.connection, "catalog", None)
        if catalog is None:
            from mjquery.schema.catalog import load_catalog

            catalog = load_catalog()
        return tuple(catalog.objects)

    def table_object(self, name: str) -> Any:
        """One table as the connection sees it (ContactProperties with its property columns).

        Completion runs as the user types: it never waits for the API. When the account's
        contact properties are not read yet, they are read in the background (once) and the
        file's columns are offered meanwhile.
        """
        catalog = getattr(self.connection, "catalog", None)
        if catalog is None:
            return None
        if getattr(catalog, "properties_loaded", True):
            return catalog.find(name)
        found = catalog.base.find(name) if hasattr(catalog, "base") else None
        if found is not None and found.property_columns and not self._reading_properties:
            self._reading_properties = True

            def read() -> None:
                try:
                    catalog.find(name)
                except Exception:  # completion offers the file's columns then
                    return
                finally:
                    self._reading_properties = False

            threading.Thread(target=read, name="mjquery-properties", daemon=True).start()
        return found

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        warm_up = getattr(self.connection, "warm_up", None)
        if warm_up is not None:
            # the parser and the HTTP client load while the user types the first statement
            threading.Thread(target=warm_up, name="mjquery-warm-up", daemon=True).start()
        self.info(
            f"mjquery shell on {self.options.source or 'Mailjet'}. "
            "End statements with ; — .help for commands, Ctrl-D to quit."
        )
        while self.state.running:
            default, self.state.next_input = self.state.next_input, ""
            try:
                text = self.session.prompt(default=default)
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt clears the line
            except EOFError:
                break  # Ctrl-D
            self.handle(text)
        return 0

    def handle(self, text: str) -> None:
        """Run one buffer: a meta command, or SQL statements (each runs until one fails)."""
        stripped = text.strip()
        if not stripped:
            return
        if stripped.lower() in QUIT_WORDS:
            self.state.running = False
            return
        if stripped.startswith((".", "\\")):
            from mjquery.shell.meta import run_meta

            try:
                run_meta(self, stripped)
            except KeyboardInterrupt:
                self.error("cancelled")
            except Exception as exc:
                self.show_error(exc, stripped)
            return
        self.run_sql(text, {})
        self.state.last_sql = text

    def run_sql(self, text: str, params: dict[str, Any]) -> bool:
        """Run the statements of ``text``; False when one failed or was cancelled."""
        statements = split_statements(text)
        for number, sql in enumerate(statements, 1):
            try:
                self.run_statement(sql, params)
            except (KeyboardInterrupt, QueryCancelled) as exc:
                self.progress.clear()
                self.error(str(exc) if isinstance(exc, QueryCancelled) else "query cancelled")
                return False
            except WriteCancelled as exc:
                self.info(str(exc))  # the user said no: not an error
                return False
            except Exception as exc:
                self.progress.clear()
                label = statement_label(number, sql) if len(statements) > 1 else None
                self.show_error(exc, sql, label=label)
                return False
        return True

    def run_statement(self, sql: str, params: dict[str, Any]) -> None:
        self.runner.guard = WriteGuard(
            safe_updates=self.state.safe_updates, confirm=self.confirm_write
        )
        if self.state.explain:
            plan = self.runner.plan(sql, params)
            if plan:
                self.info(plan)
        executed = self.runner.execute(sql, params)
        self.progress.clear()
        if executed.columns is not None:
            self.print_result(ResultSet(executed.columns, executed.rows()))
        stats = executed.stats()
        self.info(status_line(stats, kind=executed.kind, timing=self.state.timing))
        for notice in executed.notices():
            self.info(notice)
        for warning in executed.warnings():
            self.warn(warning)

    # -- output -----------------------------------------------------------------------------------

    def print_result(self, result: ResultSet, *, wrap: bool = False) -> None:
        """Show a result: to the ``\\o`` file, or on the screen (through the pager when it is
        taller or wider than the terminal; see :mod:`mjquery.shell.display`). ``wrap``: long
        text (descriptions) wraps to the terminal's width."""
        state = self.state
        if state.output_path:
            layout = Layout(expanded=state.expanded is Expanded.ON, headers=state.headers)
            with open(state.output_path, "a", encoding="utf-8", newline="") as handle:
                write_result(result, state.output_format, handle, layout)
            return
        size = shutil.get_terminal_size((100, 24))
        if wrap and state.output_format is OutputFormat.TABLE:
            rows = ResultSet(result.columns, list(result.rows))
            buffer = StringIO()
            write_result(
                rows,
                state.output_format,
                buffer,
                Layout(width=size.columns, wrap=True, headers=state.headers),
            )
            shown = Shown(buffer.getvalue(), page=False, chop=False)
            if self.use_pager and state.pager and shown.text.count("\n") > size.lines - 2:
                shown = Shown(shown.text, page=True, chop=False)
        else:
            shown = show(
                result,
                state.output_format,
                Screen(size.columns, size.lines, pager=self.use_pager and state.pager),
                expanded=state.expanded,
                headers=state.headers,
            )
        if shown.page:
            self.page(shown.text, chop=shown.chop)
        else:
            self.stdout.write(shown.text)
            self.stdout.flush()

    def page(self, text: str, *, chop: bool = True) -> None:
        """Show ``text`` through ``$MJQUERY_PAGER`` or ``$PAGER``; by default ``less``, which
        quits when the text fits the screen and, with ``chop``, scrolls long lines sideways
        (``-S``) instead of wrapping them."""
        default = "less -SRFX" if chop else "less -RFX"
        pager = os.environ.get("MJQUERY_PAGER") or os.environ.get("PAGER") or default
        try:
            process = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE)
            assert process.stdin is not None
            try:
                process.stdin.write(text.encode("utf-8", "replace"))
                process.stdin.close()
            except BrokenPipeError:
                pass
            process.wait()
        except OSError:
            self.stdout.write(text)

    def info(self, message: str) -> None:
        self.stderr.write((f"{DIM}{message}{RESET}" if self.color else message) + "\n")
        self.stderr.flush()

    def warn(self, message: str) -> None:
        self.stderr.write(
            (f"{YELLOW}warning: {message}{RESET}" if self.color else f"warning: {message}") + "\n"
        )
        self.stderr.flush()

    def error(self, message: str) -> None:
        self.stderr.write((f"{RED}{message}{RESET}" if self.color else message) + "\n")
        self.stderr.flush()

    def scrub(self, text: str) -> str:
        return scrub_secrets(text, self.options.secrets)

    def show_error(self, exc: BaseException, sql: str, *, label: str | None = None) -> None:
        """The error in colour; for a syntax error, the statement line with the bad text marked.

        ``label`` names the statement when the input held several.
        """
        message = error_message(exc, verbose=self.options.verbose)
        self.error(self.scrub(f"error: {label + ': ' if label else ''}{message}"))
        for line in pointer_lines(exc, sql, self.options.secrets):
            self.stderr.write(line + "\n")
        if self.options.verbose:
            import traceback

            self.stderr.write(self.scrub("".join(traceback.format_exception(exc))))

    # -- confirmation --------------------------------------------------------------

    def ask(self, question: str, *, is_password: bool = False) -> str:
        """A one-line answer from the user (no history, no completion)."""
        session: PromptSession[str] = PromptSession(input=self._input, output=self._output)
        return session.prompt(question, is_password=is_password)

    def confirm_write(self, count: int | None) -> bool:
        """Ask before an UPDATE/DELETE runs; ``count`` is the dry-run's number of rows (None: unknown)."""
        rows = (
            "an unknown number of rows"
            if count is None
            else ("1 row" if count == 1 else f"{count} rows")
        )
        if count == 0:
            return True  # nothing changes: nothing to confirm
        try:
            answer = self.ask(f"This will change {rows}. Continue? [y/N] ")
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in ("y", "yes")


def run_shell(connection: Any, options: ShellOptions | None = None, **kwargs: Any) -> int:
    """Start the shell on ``connection``; returns the exit status.

    A statement cancelled with Ctrl-C that DuckDB is still stopping would hold up closing the
    connection and leaving the interpreter: the process then ends at once.
    """
    shell = Shell(connection, options, **kwargs)
    status = shell.run()
    if shell.interruptible.busy:
        for stream in (shell.stdout, shell.stderr):
            stream.flush()
        os._exit(status)
    return status
