"""Result formatters shared by the ``mjquery`` command and the shell.

A result is a :class:`ResultSet` (column names and an iterable of rows); a formatter writes it
to a text stream in one :class:`OutputFormat`. Formatting knows nothing about the REPL or the
DB-API: it is tested on plain Python values.
"""

from __future__ import annotations

from mjquery.output.formats import (
    Layout,
    OutputFormat,
    ResultSequence,
    ResultSet,
    write_result,
)

__all__ = ["Layout", "OutputFormat", "ResultSequence", "ResultSet", "write_result"]
