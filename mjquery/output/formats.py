"""The output formats: aligned table, CSV, TSV, JSON, JSON lines and Markdown.

CSV, TSV and JSON lines stream row by row, so exporting a large result does not hold it in
memory; the table and Markdown formats must see every row to align the columns.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from mjquery.output.width import clip, display_width, pad, wrap


class OutputFormat(enum.StrEnum):
    """The formats ``--format`` and ``.format`` accept."""

    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"
    MARKDOWN = "markdown"

    @classmethod
    def parse(cls, text: str) -> OutputFormat:
        """The format named ``text`` (case-insensitive); ``ValueError`` names the choices."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(f.value for f in cls)
            raise ValueError(f"unknown format {text!r}: choose one of {choices}") from None


@dataclass(frozen=True)
class ResultSet:
    """Column names and rows of one statement's result."""

    columns: tuple[str, ...]
    rows: Iterable[Sequence[Any]]


NULL_TEXT = "NULL"


@dataclass(frozen=True)
class Layout:
    """How the table format lays a result out on a screen (other formats ignore it).

    ``width``: fit each line of the table into this many columns by shortening the widest
    columns (their values end with ``…``, or with ``wrap`` continue on the next lines); None
    never shortens anything. ``expanded``: one
    ``column | value`` line per column, records one after the other (psql's ``\\x``).
    """

    width: int | None = None
    expanded: bool = False
    wrap: bool = False  # with ``width``: shortened values go on onto more lines, not cut
    headers: bool = True  # column names above the rows (table, csv, tsv)


PLAIN = Layout()


def write_result(
    result: ResultSet, fmt: OutputFormat, stream: TextIO, layout: Layout = PLAIN
) -> int:
    """Write ``result`` to ``stream`` in ``fmt``; returns the number of rows written."""
    if fmt is OutputFormat.TABLE and layout.expanded:
        return _write_expanded(result, stream, layout)
    writer = _WRITERS[fmt]
    return writer(result, stream, layout)


class ResultSequence:
    """The results of several statements on one stream, joined as each format documents:

    - table, markdown, csv, tsv: one after the other, a blank line between two results (each
      with its own header);
    - jsonl: one object per line, all rows in turn;
    - json: with ``several`` statements, one outer array holding each result's array (valid
      JSON whatever the number of results); otherwise the one result's array.

    Call :meth:`close` (also after an error) so the JSON document is complete.
    """

    def __init__(
        self, fmt: OutputFormat, stream: TextIO, *, several: bool, layout: Layout = PLAIN
    ) -> None:
        self.fmt, self.stream, self.several, self.layout = fmt, stream, several, layout
        self.written = 0
        self._closed = False

    def write(self, result: ResultSet) -> int:
        if self.fmt is OutputFormat.JSON and self.several:
            self.stream.write("[\n" if self.written == 0 else ",\n")
        elif self.written and self.fmt is not OutputFormat.JSONL:
            self.stream.write("\n")
        count = write_result(result, self.fmt, self.stream, self.layout)
        self.written += 1
        return count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.fmt is OutputFormat.JSON and self.several:
            self.stream.write("]\n" if self.written else "[]\n")


# -- values -> text --------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # Keep integral decimals as integers; others as float (JSON has no decimal type).
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _json_value(value: Any) -> Any:
    # JSON has no NaN/Infinity: write null rather than invalid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False)


def _text(value: Any) -> str:
    """A value as plain text for CSV, TSV, Markdown and table cells (NULL is handled by callers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return _dumps(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


# -- writers ---------------------------------------------------------------------------------


def _write_delimited(delimiter: str) -> Callable[[ResultSet, TextIO, Layout], int]:
    def write(result: ResultSet, stream: TextIO, layout: Layout) -> int:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
        if layout.headers:
            writer.writerow(result.columns)
        count = 0
        for row in result.rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
            count += 1
        return count

    return write


def _write_json(result: ResultSet, stream: TextIO, _layout: Layout) -> int:
    count = 0
    stream.write("[")
    for row in result.rows:
        stream.write(",\n " if count else "\n ")
        stream.write(_dumps({c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _write_jsonl(result: ResultSet, stream: TextIO, _layout: Layout) -> int:
    count = 0
    for row in result.rows:
        stream.write(_dumps({c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}))
        stream.write("\n")
        count += 1
    return count


def _cell(value: Any) -> str:
    text = NULL_TEXT if value is None else _text(value)
    # One row per line: control characters would break the alignment.
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


#: A column is never shortened below this many columns to fit a table on the screen.
MIN_COLUMN_WIDTH = 6


#: Prose is shortened to this width before other columns are touched (narrower, it is unreadable).
MIN_PROSE_WIDTH = 16


def _table_overhead(columns: int) -> int:
    return 2 + 3 * max(0, columns - 1)  # "-a-+-b-+-c-", the rule under the names


def fit_widths(
    widths: list[int],
    width: int,
    prefer: list[bool] | None = None,
    floors: list[int] | None = None,
) -> list[int]:
    """Column widths whose table lines fit ``width`` columns: the widest columns are shortened
    to one common limit, the narrow ones keep their width (as far as possible).

    ``prefer``: the columns to shorten first (prose, which wraps well), down to
    :data:`MIN_PROSE_WIDTH`; the others only when that is not enough. ``floors``: no column
    is made narrower than its floor (its longest word, when cells wrap), so the result may
    still be wider than ``width``.
    """
    overhead = _table_overhead(len(widths))
    lowest = floors or [0] * len(widths)
    phases = [(prefer, MIN_PROSE_WIDTH)] if prefer and any(prefer) else []
    phases.append(([True] * len(widths), MIN_COLUMN_WIDTH))
    for chosen, floor in phases:
        assert chosen is not None
        limit = max(w for w, c in zip(widths, chosen, strict=True) if c)
        fitted = widths
        while limit > floor:
            fitted = [
                min(w, max(limit, f)) if c else w
                for w, c, f in zip(widths, chosen, lowest, strict=True)
            ]
            if sum(fitted) + overhead <= width:
                return fitted
            limit -= 1
        widths = fitted
    return widths


def _longest_word(text: str) -> int:
    return max((display_width(word) for word in text.split(" ")), default=0)


def _write_table(result: ResultSet, stream: TextIO, layout: Layout) -> int:
    rows = list(result.rows)
    cells = [[_cell(v) for v in row] for row in rows]
    headers = [_cell(c) for c in result.columns]
    widths = [display_width(h) if layout.headers else 0 for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], display_width(text))
    if layout.width is not None and layout.wrap:
        # Words are never broken (names above all: they are what people type), so a column is
        # never narrower than its longest word; a table that cannot fit that way is shown as
        # records, one line per column (as psql's \x auto does), wrapped to the width.
        floors = [
            max([_longest_word(row[i]) for row in cells] + [_longest_word(headers[i])])
            for i in range(len(widths))
        ]
        if sum(floors) + _table_overhead(len(widths)) > layout.width:
            return _write_expanded(ResultSet(result.columns, rows), stream, layout)
        prose = [any(" " in row[i] for row in cells) for i in range(len(widths))]
        widths = fit_widths(widths, layout.width, prose, floors)
    elif layout.width is not None:
        widths = fit_widths(widths, layout.width)
    # Numbers are right-aligned, like every SQL shell: a column is numeric when all its values are.
    numeric = [
        bool(rows)
        and all(row[i] is None or _is_number(row[i]) for row in rows)
        and any(row[i] is not None for row in rows)
        for i in range(len(headers))
    ]

    def line(values: list[str]) -> str:
        """One row: values cut to their column, or with ``wrap`` on as many lines as needed."""
        if not layout.wrap:
            return line_of([clip(v, w) for v, w in zip(values, widths, strict=True)])
        pieces = [wrap(v, w) for v, w in zip(values, widths, strict=True)]
        height = max((len(p) for p in pieces), default=1)
        return "".join(line_of([p[i] if i < len(p) else "" for p in pieces]) for i in range(height))

    def line_of(values: list[str]) -> str:
        parts = [pad(v, w, right=num) for v, w, num in zip(values, widths, numeric, strict=True)]
        return (" " + " | ".join(parts)).rstrip() + "\n"

    if layout.headers:
        stream.write(line(headers))
        stream.write("-" + "-+-".join("-" * w for w in widths) + "-\n")
    for row in cells:
        stream.write(line(row))
    return len(rows)


def _write_expanded(result: ResultSet, stream: TextIO, layout: Layout) -> int:
    """psql's expanded display: ``-[ RECORD 1 ]`` then one ``column | value`` line per column.

    With ``layout.wrap`` and a width, a long value goes on over more lines, each under the last.
    """
    names = [_cell(c) for c in result.columns]
    records = [[_cell(v) for v in row] for row in result.rows]
    key_width = max((display_width(n) for n in names), default=0)
    value_width = max((display_width(v) for values in records for v in values), default=0)
    room = None
    if layout.width is not None and layout.wrap:
        room = max(MIN_PROSE_WIDTH, layout.width - key_width - 3)
        value_width = min(value_width, room)
    rule = "-" * (key_width + 1) + "+" + "-" * (value_width + 1)
    if layout.width is not None:
        rule = rule[: layout.width]
    for number, values in enumerate(records, 1):
        title = f"-[ RECORD {number} ]"
        stream.write(title + rule[len(title) :] + "\n")
        for name, value in zip(names, values, strict=True):
            pieces = [value] if room is None else wrap(value, room)
            stream.write(f"{pad(name, key_width)} | {pieces[0]}".rstrip() + "\n")
            for piece in pieces[1:]:
                stream.write(f"{pad('', key_width)} | {piece}".rstrip() + "\n")
    if not records:
        stream.write("(no rows)\n")
    return len(records)


def _markdown_cell(value: Any) -> str:
    text = "" if value is None else _text(value)
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")
    )


def _write_markdown(result: ResultSet, stream: TextIO, _layout: Layout) -> int:
    rows = list(result.rows)
    stream.write("| " + " | ".join(_markdown_cell(c) for c in result.columns) + " |\n")
    aligns = []
    for i in range(len(result.columns)):
        numeric = bool(rows) and all(r[i] is None or _is_number(r[i]) for r in rows)
        aligns.append("---:" if numeric else "---")
    stream.write("| " + " | ".join(aligns) + " |\n")
    for row in rows:
        stream.write("| " + " | ".join(_markdown_cell(v) for v in row) + " |\n")
    return len(rows)


_WRITERS: dict[OutputFormat, Callable[[ResultSet, TextIO, Layout], int]] = {
    OutputFormat.TABLE: _write_table,
    OutputFormat.CSV: _write_delimited(","),
    OutputFormat.TSV: _write_delimited("\t"),
    OutputFormat.JSON: _write_json,
    OutputFormat.JSONL: _write_jsonl,
    OutputFormat.MARKDOWN: _write_markdown,
}
