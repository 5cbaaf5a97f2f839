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


def write_result(
    result: ResultSet, fmt: OutputFormat, stream: TextIO, *, max_width: int | None = None
) -> int:
    """Write ``result`` to ``stream`` in ``fmt``; returns the number of rows written.

    ``max_width`` caps the width of one table cell (longer values end with an ellipsis); it only
    applies to the table format, whose job is to be read on a screen.
    """
    writer = _WRITERS[fmt]
    return writer(result, stream, max_width)


class ResultSequence:
    """The results of several statements on one stream, joined as each format documents:

    - table, markdown, csv, tsv: one after the other, a blank line between two results (each
      with its own header);
    - jsonl: one object per line, all rows in turn;
    - json: with ``several`` statements, one outer array holding each result's array (valid
      JSON whatever the number of results); otherwise the one result's array.

    Call :meth:`close` (also after an error) so the JSON document is complete.
    """

    def __init__(self, fmt: OutputFormat, stream: TextIO, *, several: bool) -> None:
        self.fmt, self.stream, self.several = fmt, stream, several
        self.written = 0
        self._closed = False

    def write(self, result: ResultSet, *, max_width: int | None = None) -> int:
        if self.fmt is OutputFormat.JSON and self.several:
            self.stream.write("[\n" if self.written == 0 else ",\n")
        elif self.written and self.fmt is not OutputFormat.JSONL:
            self.stream.write("\n")
        count = write_result(result, self.fmt, self.stream, max_width=max_width)
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


def _write_delimited(delimiter: str) -> Callable[[ResultSet, TextIO, int | None], int]:
    def write(result: ResultSet, stream: TextIO, _max_width: int | None) -> int:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
        writer.writerow(result.columns)
        count = 0
        for row in result.rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
            count += 1
        return count

    return write


def _write_json(result: ResultSet, stream: TextIO, _max_width: int | None) -> int:
    count = 0
    stream.write("[")
    for row in result.rows:
        stream.write(",\n " if count else "\n ")
        stream.write(_dumps({c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _write_jsonl(result: ResultSet, stream: TextIO, _max_width: int | None) -> int:
    count = 0
    for row in result.rows:
        stream.write(_dumps({c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}))
        stream.write("\n")
        count += 1
    return count


def _cell(value: Any, max_width: int | None) -> str:
    text = NULL_TEXT if value is None else _text(value)
    # One row per line: control characters would break the alignment.
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if max_width is not None and len(text) > max_width:
        text = text[: max(1, max_width - 1)] + "…"
    return text


def _write_table(result: ResultSet, stream: TextIO, max_width: int | None) -> int:
    rows = list(result.rows)
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    headers = [_cell(c, max_width) for c in result.columns]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    # Numbers are right-aligned, like every SQL shell: a column is numeric when all its values are.
    numeric = [
        bool(rows)
        and all(row[i] is None or _is_number(row[i]) for row in rows)
        and any(row[i] is not None for row in rows)
        for i in range(len(headers))
    ]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return (" " + " | ".join(parts)).rstrip() + "\n"

    stream.write(line(headers))
    stream.write("-" + "-+-".join("-" * w for w in widths) + "-\n")
    for row in cells:
        stream.write(line(row))
    return len(rows)


def _markdown_cell(value: Any) -> str:
    text = "" if value is None else _text(value)
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")
    )


def _write_markdown(result: ResultSet, stream: TextIO, _max_width: int | None) -> int:
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


_WRITERS: dict[OutputFormat, Callable[[ResultSet, TextIO, int | None], int]] = {
    OutputFormat.TABLE: _write_table,
    OutputFormat.CSV: _write_delimited(","),
    OutputFormat.TSV: _write_delimited("\t"),
    OutputFormat.JSON: _write_json,
    OutputFormat.JSONL: _write_jsonl,
    OutputFormat.MARKDOWN: _write_markdown,
}
