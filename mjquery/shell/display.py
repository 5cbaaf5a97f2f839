"""How the shell shows one result on a screen: pure, so it is tested without a terminal.

psql's habits: a table is printed at its natural width and never cut while it fits the
terminal; a result wider or taller than the screen goes to the pager, which scrolls wide tables
sideways (``less -S``) rather than wrapping them; with the pager off, a wide table is fitted to
the terminal as a whole, its widest columns shortened. A one-column result (EXPLAIN's plan) is
never shortened or chopped: its lines wrap. Expanded display (``\\x``) prints one
``column | value`` line per column; ``auto`` chooses it when the table is wider than the screen.
"""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass

from mjquery.output import Layout, OutputFormat, ResultSet, write_result
from mjquery.output.width import display_width


class Expanded(enum.StrEnum):
    """psql's ``\\x`` setting."""

    OFF = "off"
    ON = "on"
    AUTO = "auto"


@dataclass(frozen=True)
class Screen:
    """The terminal's size, and whether results may go through a pager."""

    columns: int
    lines: int
    pager: bool


@dataclass(frozen=True)
class Shown:
    """A result made ready for the screen: the text, and how to show it."""

    text: str
    page: bool  # through the pager
    chop: bool  # the pager scrolls long lines sideways instead of wrapping them


def _render(result: ResultSet, fmt: OutputFormat, layout: Layout) -> str:
    buffer = io.StringIO()
    write_result(result, fmt, buffer, layout)
    return buffer.getvalue()


def _widest(text: str) -> int:
    return max((display_width(line) for line in text.splitlines()), default=0)


def show(
    result: ResultSet,
    fmt: OutputFormat,
    screen: Screen,
    *,
    expanded: Expanded = Expanded.OFF,
    headers: bool = True,
) -> Shown:
    """``result`` as text for ``screen`` (see the module docstring for the rules)."""
    rows = ResultSet(result.columns, list(result.rows))
    one_column = len(rows.columns) <= 1
    layout = Layout(headers=headers)
    text = _render(rows, fmt, layout)
    if fmt is OutputFormat.TABLE:
        wide_table = _widest(text) > screen.columns
        if expanded is Expanded.ON or (expanded is Expanded.AUTO and wide_table and not one_column):
            layout = Layout(headers=headers, expanded=True)
            text = _render(rows, fmt, layout)
    wide = _widest(text) > screen.columns
    tall = text.count("\n") > screen.lines - 2
    if screen.pager:
        return Shown(text, page=wide or tall, chop=wide and not one_column)
    if wide and fmt is OutputFormat.TABLE and not layout.expanded and not one_column:
        text = _render(rows, fmt, Layout(width=screen.columns, headers=headers))
    return Shown(text, page=False, chop=False)
