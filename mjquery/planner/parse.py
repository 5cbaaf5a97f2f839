"""Parse SQL text and bind DB-API parameters, the first two steps of planning.

Parameters use the ``qmark`` style (``?``). They are bound into the syntax tree as typed
literals, never spliced into the SQL text, so a value can never change the statement's shape.
Syntax errors become :class:`~mjquery.errors.SqlSyntaxError` with line, column and the
offending text, which front ends use to point at the mistake.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from mjquery.errors import InterfaceError, NotSupportedError, ProgrammingError, SqlSyntaxError

DIALECT = "duckdb"


def parse(sql: str) -> exp.Expression:
    """One SQL statement as a sqlglot tree; several statements are refused."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        raise _syntax_error(exc) from exc
    except TokenError as exc:
        raise SqlSyntaxError(f"SQL syntax error: {exc}") from exc
    if not statements:
        raise ProgrammingError("Empty statement: nothing to run.")
    if len(statements) > 1:
        raise ProgrammingError(
            "Only one SQL statement can be run at a time; split the text at its semicolons."
        )
    return statements[0]


def _syntax_error(exc: ParseError) -> SqlSyntaxError:
    first = exc.errors[0] if exc.errors else {}
    line = first.get("line")
    column = first.get("col")
    highlight = first.get("highlight") or None
    description = first.get("description") or "invalid SQL"
    where = f" at line {line}, column {column}" if line is not None else ""
    near = f" near {highlight!r}" if highlight else ""
    return SqlSyntaxError(
        f"SQL syntax error{where}{near}: {description}",
        line=line,
        column=column,
        highlight=highlight,
    )


def placeholders(tree: exp.Expression) -> list[exp.Placeholder]:
    """The ``?`` placeholders of a statement, in text order."""
    found = [p for p in tree.find_all(exp.Placeholder) if not p.this]
    found.sort(key=lambda p: (p.meta.get("line", 0), p.meta.get("col", 0)))
    return found


def bind_parameters(tree: exp.Expression, params: Sequence[object] | None) -> exp.Expression:
    """Replace every ``?`` with its parameter as a typed literal. Returns a new tree."""
    values = list(params or ())
    tree = tree.copy()
    marks = placeholders(tree)
    named = [p for p in tree.find_all(exp.Placeholder) if p.this]
    if named:
        raise ProgrammingError(
            "Named parameters are not supported: mjquery uses the qmark style, write ? and pass "
            "a sequence of values."
        )
    if len(marks) != len(values):
        raise ProgrammingError(
            f"The statement has {len(marks)} parameter marker(s) (?) but {len(values)} "
            "value(s) were given."
        )
    for mark, value in zip(marks, values, strict=True):
        mark.replace(literal(value))
    return tree


def literal(value: object) -> exp.Expression:
    """A Python value as a SQL literal expression of the matching type."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Literal.number(repr(value))
    if isinstance(value, decimal.Decimal):
        return exp.cast(exp.Literal.string(str(value)), exp.DataType.build("DECIMAL(38, 10)"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return exp.cast(
            exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP")
        )
    if isinstance(value, _dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, _dt.time):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("TIME"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return exp.Anonymous(this="unhex", expressions=[exp.Literal.string(bytes(value).hex())])
    raise NotSupportedError(
        f"Parameters of type {type(value).__name__} are not supported; pass str, int, float, "
        "bool, None, Decimal, date, datetime, time or bytes."
    )


def check_parameters(params: object) -> Sequence[object] | None:
    """Reject mappings and strings given as the parameter sequence (a common slip)."""
    if params is None:
        return None
    if isinstance(params, (str, bytes, dict)):
        raise InterfaceError(
            "Parameters must be a sequence of values (qmark style, e.g. (42, 'x')), "
            f"not a {type(params).__name__}."
        )
    return list(params)  # type: ignore[call-overload]
