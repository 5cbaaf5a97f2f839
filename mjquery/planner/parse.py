"""Parse SQL text and bind DB-API parameters, the first two steps of planning.

Parameters use the ``qmark`` style (``?``) with a sequence of values, or, as sqlite3 allows,
``:name`` markers with a mapping (the style of saved ``.sql`` files): :func:`qmark_parameters`
turns the second form into the first before planning. They are bound into the syntax tree as typed
literals, never spliced into the SQL text, so a value can never change the statement's shape.
Syntax errors become :class:`~mjquery.errors.SqlSyntaxError` in plain words, with the line,
column and text of the offending token (:mod:`mjquery.planner.syntax`), which front ends
underline.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from mjquery.errors import InterfaceError, NotSupportedError, ProgrammingError
from mjquery.planner.syntax import syntax_error

DIALECT = "duckdb"

# sqlglot logs a warning when it hands a statement it cannot parse to DuckDB as a command
# (DuckDB then reports any real error); without a handler Python would print it to stderr.
logging.getLogger("sqlglot").addHandler(logging.NullHandler())


_DUCKDB = sqlglot.Dialect.get_or_raise(DIALECT)


class _Parser(_DUCKDB.parser_class):  # type: ignore[misc, name-defined]
    """DuckDB's parser, with each ``?`` keeping its position in the text: parameters bind in
    text order, which a walk of the tree does not give (it meets LIMIT before WHERE, and a
    WITH clause last)."""

    PLACEHOLDER_PARSERS: ClassVar = {
        **_DUCKDB.parser_class.PLACEHOLDER_PARSERS,
        TokenType.PLACEHOLDER: lambda self: self.expression(exp.Placeholder(), token=self._prev),
    }


def parse(sql: str) -> exp.Expr:
    """One SQL statement as a sqlglot tree; several statements are refused.

    The tree is shared by every caller parsing the same text (a statement run many times, as by
    ``executemany``, is parsed once): never change it in place; :func:`bind_literals` and
    ``.copy()`` give a tree of one's own.
    """
    return _parse(sql)


@functools.lru_cache(maxsize=256)
def _parse(sql: str) -> exp.Expr:
    try:
        parsed: list[exp.Expr | None] = _Parser(dialect=_DUCKDB).parse(_DUCKDB.tokenize(sql), sql)
        statements = [s for s in parsed if s is not None]
    except (ParseError, TokenError) as exc:
        raise syntax_error(exc, sql) from exc
    if not statements:
        raise ProgrammingError("Empty statement: nothing to run.")
    if len(statements) > 1:
        raise ProgrammingError(
            "Only one SQL statement can be run at a time; split the text at its semicolons."
        )
    return statements[0]


def placeholders(tree: exp.Expr) -> list[exp.Placeholder]:
    """The ``?`` placeholders of a statement, in text order (their position from :func:`parse`)."""
    found = [p for p in tree.find_all(exp.Placeholder) if not p.this]
    found.sort(key=lambda p: p.meta.get("start", 0))
    return found


def bind_literals(tree: exp.Expr, params: Sequence[object] | None) -> exp.Expr:
    """A copy of ``tree`` with every ``?`` replaced by its parameter as a typed literal."""
    values = list(params or ())
    tree = tree.copy()
    marks = placeholders(tree)
    named = [p for p in tree.find_all(exp.Placeholder) if p.this]
    if named:
        name = named[0].name
        raise ProgrammingError(
            f"The statement has a named parameter (:{name}) but no mapping of values: pass "
            f"{{{name!r}: value}} to execute(), or write ? markers (qmark style) with a sequence."
        )
    if len(marks) != len(values):
        raise ProgrammingError(
            f"The statement has {len(marks)} parameter marker(s) (?) but {len(values)} "
            "value(s) were given."
        )
    for mark, value in zip(marks, values, strict=True):
        mark.replace(literal(value))
    return tree


def literal(value: object) -> exp.Expr:
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
    if isinstance(params, (str, bytes, Mapping)):
        raise InterfaceError(
            "Parameters must be a sequence of values (qmark style, e.g. (42, 'x')), "
            f"not a {type(params).__name__}."
        )
    if not isinstance(params, Iterable):
        raise InterfaceError(
            f"Parameters must be a sequence of values, not a {type(params).__name__}."
        )
    return list(params)


@dataclass(frozen=True)
class NamedMarkers:
    """A statement's ``:name`` markers rewritten as ``?``: the new text and the names in order."""

    sql: str
    names: tuple[str, ...]
    has_qmarks: bool  # the text also has ``?`` markers (mixing the styles is refused)


# Characters after which ``:`` cannot start a marker: ``a:b`` (DuckDB's prefix alias),
# ``arr[1:n]`` (a slice), ``{'k':v}`` (a struct literal), ``x::INT`` (a cast).
_NOT_BEFORE_MARKER = frozenset('_:\'")]}"')


@functools.lru_cache(maxsize=256)
def named_markers(sql: str) -> NamedMarkers:
    """Find ``:name`` markers with sqlglot's tokenizer, so text in strings and comments is skipped."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql)
    except TokenError as exc:
        raise syntax_error(exc, sql) from exc
    pieces: list[str] = []
    names: list[str] = []
    done = 0
    has_qmarks = False
    for colon, name in itertools.pairwise(tokens):
        if colon.token_type is TokenType.PLACEHOLDER:
            has_qmarks = True
        if (
            colon.token_type is not TokenType.COLON
            or name.start != colon.end + 1
            or not name.text.isidentifier()
            or (
                colon.start > 0
                and (sql[colon.start - 1].isalnum() or sql[colon.start - 1] in _NOT_BEFORE_MARKER)
            )
        ):
            continue
        pieces += [sql[done : colon.start], "?"]
        names.append(name.text)
        done = name.end + 1
    if tokens and tokens[-1].token_type is TokenType.PLACEHOLDER:
        has_qmarks = True
    pieces.append(sql[done:])
    return NamedMarkers("".join(pieces), tuple(names), has_qmarks)


def qmark_parameters(sql: str, params: object) -> tuple[str, Sequence[object] | None]:
    """The statement and its parameters in the qmark style the planner binds.

    A mapping goes with ``:name`` markers (as in sqlite3; a name may repeat, unused keys are
    ignored); a sequence with ``?``. A statement with ``:name`` markers and a sequence, or a
    mapping and ``?`` markers, is refused with a message saying which to use.
    """
    if not isinstance(params, Mapping):
        values = check_parameters(params)
        names = tuple(dict.fromkeys(named_markers(sql).names)) if ":" in sql else ()
        if names:
            raise ProgrammingError(
                f"The statement uses named parameters (:{', :'.join(names)}): pass their values "
                f"as a mapping, e.g. {{{names[0]!r}: value}}."
            )
        return sql, values
    markers = named_markers(sql)
    if markers.has_qmarks:
        raise ProgrammingError(
            "The statement mixes ? markers with a mapping of parameters: write :name markers "
            "for a mapping, or pass a sequence for ? markers."
        )
    missing = [n for n in dict.fromkeys(markers.names) if n not in params]
    if missing:
        raise ProgrammingError(
            f"No value for parameter{'s' if len(missing) > 1 else ''} "
            + ", ".join(f":{n}" for n in missing)
            + f"; the mapping has {', '.join(sorted(map(str, params))) or 'no keys'}."
        )
    return markers.sql, [params[n] for n in markers.names]
