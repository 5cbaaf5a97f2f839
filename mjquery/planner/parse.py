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

import contextlib
import datetime as _dt
import decimal
import functools
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.planner.syntax import syntax_error

DIALECT = "duckdb"

_DUCKDB = sqlglot.Dialect.get_or_raise(DIALECT)


class _Parser(_DUCKDB.parser_class):  # type: ignore[misc, name-defined]
    """DuckDB's parser, with each ``?`` keeping its position in the text: parameters bind in
    text order, which a walk of the tree does not give (it meets LIMIT before WHERE, and a
    WITH clause last). It prints nothing."""

    PLACEHOLDER_PARSERS: ClassVar = {
        **_DUCKDB.parser_class.PLACEHOLDER_PARSERS,
        TokenType.PLACEHOLDER: lambda self: self.expression(exp.Placeholder(), token=self._prev),
    }

    def _warn_unsupported(self) -> None:
        # sqlglot logs "Falling back to parsing as a 'Command'" with the statement's text
        # (printed on stderr when logging is not configured, and the text may hold a secret);
        # DuckDB then reports any real error in the statement.
        return None


#: Parentheses nested deeper than this are refused before parsing (sqlglot, and every step
#: after it, walks the tree recursively).
MAX_NESTING = 200

#: The recursion limit while a statement is planned: enough for MAX_NESTING levels.
_PLANNING_RECURSION_LIMIT = 12_000
_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_before = 0


@contextlib.contextmanager
def deep_enough() -> Iterator[None]:
    """Plan with a recursion limit deep statements fit in; RecursionError becomes an mjquery
    error. The limit is the interpreter's: raised while any thread plans, then put back."""
    global _recursion_users, _recursion_before
    with _recursion_lock:
        if _recursion_users == 0:
            _recursion_before = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_recursion_before, _PLANNING_RECURSION_LIMIT))
        _recursion_users += 1
    try:
        yield
    except RecursionError:
        raise ProgrammingError(
            "The statement is nested too deeply to plan; simplify its nested expressions."
        ) from None
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0:
                sys.setrecursionlimit(_recursion_before)


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
        tokens = _DUCKDB.tokenize(sql)
        depth = deepest = 0
        for token in tokens:
            if token.token_type is TokenType.L_PAREN:
                depth += 1
                deepest = max(deepest, depth)
            elif token.token_type is TokenType.R_PAREN:
                depth -= 1
        if deepest > MAX_NESTING:
            raise ProgrammingError(
                f"The statement is nested too deep: {deepest} levels of parentheses (at most "
                f"{MAX_NESTING})."
            )
        with deep_enough():
            parsed: list[exp.Expr | None] = _Parser(dialect=_DUCKDB).parse(tokens, sql)
        statements = [s for s in parsed if s is not None]
    except (ParseError, TokenError) as exc:
        raise syntax_error(exc, sql) from exc
    if not statements:
        raise ProgrammingError("Empty statement: nothing to run.")
    if len(statements) > 1:
        raise ProgrammingError(
            "Only one SQL statement can be run at a time; split the text at its semicolons."
        )
    return balance_connectives(statements[0])


#: A chain of AND (or OR) longer than this is rebuilt as a balanced tree.
_LONG_CHAIN = 16


def balance_connectives(tree: exp.Expr) -> exp.Expr:
    """Rebuild long ``a AND b AND c ...`` chains (and OR chains) as balanced trees.

    The parser makes a chain of n conditions a tree n levels deep, and every later step walks
    trees recursively or looks up ancestors: thousands of ANDs would exhaust the stack or take
    quadratic time. AND and OR are associative (NULLs included), so a balanced tree of the same
    conditions, in the same order, means the same.
    """
    connectives: tuple[type[exp.Expr], ...] = (exp.And, exp.Or)
    for kind in connectives:
        roots: list[exp.Expr] = [
            node for node in tree.find_all(kind) if not isinstance(node.parent, kind)
        ]
        for root in roots:
            leaves: list[exp.Expr] = []
            stack: list[exp.Expr] = [root]
            while stack:
                node = stack.pop()
                if isinstance(node, kind):
                    stack.append(node.expression)
                    stack.append(node.this)
                else:
                    leaves.append(node)
            if len(leaves) <= _LONG_CHAIN:
                continue
            level: list[exp.Expr] = leaves
            while len(level) > 1:
                level = [
                    kind(this=level[i], expression=level[i + 1]) if i + 1 < len(level) else level[i]
                    for i in range(0, len(level), 2)
                ]
            if root is tree:
                tree = level[0]
            else:
                root.replace(level[0])
    return tree


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
