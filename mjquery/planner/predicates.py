"""Read one WHERE/ON conjunct as a typed constraint on one column, if the API could use it.

This step knows SQL shapes (``=``, ``IN``, ``LIKE``, ranges, bare booleans) and literal values,
and nothing about a particular Mailjet object: :mod:`mjquery.planner.pushdown` matches the
constraints against an object's declared filters.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass

from sqlglot import exp

from mjquery.schema.model import SqlType


class Shape(enum.StrEnum):
    """The predicate shape, independent of any filter."""

    VALUES = "values"  # col = v, col IN (v, ...)
    PREFIX = "prefix"  # col LIKE 'x%'
    SUFFIX = "suffix"  # col LIKE '%x'
    CONTAINS = "contains"  # col LIKE '%x%'
    LOWER = "lower"  # col > v / col >= v
    UPPER = "upper"  # col < v / col <= v


@dataclass(frozen=True)
class Constraint:
    """``column <shape> values`` read from one conjunct (a BETWEEN gives two)."""

    column: str
    shape: Shape
    values: tuple[object, ...]  # VALUES: the allowed values; others: one value
    case_insensitive: bool = False  # ILIKE
    inclusive: bool = True  # LOWER/UPPER: >= / <=


NOT_A_LITERAL = object()


def literal_value(node: exp.Expr) -> object:
    """The Python value of a literal expression, or NOT_A_LITERAL."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return NOT_A_LITERAL
    if isinstance(node, exp.Neg):
        inner = literal_value(node.this)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
        return NOT_A_LITERAL
    if isinstance(node, exp.Cast):
        inner = literal_value(node.this)
        if not isinstance(inner, str):
            return NOT_A_LITERAL
        target = node.to.this
        if target in (
            exp.DataType.Type.TIMESTAMP,
            exp.DataType.Type.TIMESTAMPNTZ,
            exp.DataType.Type.DATETIME,
        ):
            parsed = sql_timestamp(inner)
            return parsed if parsed is not None else NOT_A_LITERAL
        if target is exp.DataType.Type.DATE:
            # DuckDB keeps only the date: CAST('2024-03-01 15:30' AS DATE) compares as midnight
            parsed = sql_timestamp(inner)
            if parsed is None:
                return NOT_A_LITERAL
            return _dt.datetime.combine(parsed.date(), _dt.time())
        if target in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
            return inner
        return NOT_A_LITERAL
    return NOT_A_LITERAL


def sql_timestamp(text: str) -> _dt.datetime | None:
    """The naive UTC instant DuckDB's TIMESTAMP compares ``text`` as, or None when pushing it is unsafe.

    A non-zero UTC offset gives None: DuckDB's TIMESTAMP reads such a string as its wall-clock
    time and drops the offset ('10:00+02:00' compares as 10:00), while the offset says 08:00
    UTC. Which instant the user meant is unclear, so the predicate stays in DuckDB only.
    """
    try:
        value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None and value.utcoffset() != _dt.timedelta(0):
        return None
    return value.replace(tzinfo=None)


def coerce(value: object, sql_type: SqlType) -> object:
    """``value`` as the column type would compare it, or NOT_A_LITERAL when we cannot be sure."""
    if value is NOT_A_LITERAL or value is None:
        return NOT_A_LITERAL
    if sql_type in (SqlType.BIGINT, SqlType.INTEGER):
        if isinstance(value, bool):
            return NOT_A_LITERAL
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        return NOT_A_LITERAL
    if sql_type is SqlType.DOUBLE:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return NOT_A_LITERAL
    if sql_type is SqlType.BOOLEAN:
        return value if isinstance(value, bool) else NOT_A_LITERAL
    if sql_type is SqlType.VARCHAR:
        return value if isinstance(value, str) else NOT_A_LITERAL
    if sql_type is SqlType.TIMESTAMP:
        if isinstance(value, _dt.datetime):
            return value
        if isinstance(value, str):
            parsed = sql_timestamp(value)
            return parsed if parsed is not None else NOT_A_LITERAL
        return NOT_A_LITERAL
    return NOT_A_LITERAL


def split_conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    """``a AND (b AND c)`` as ``[a, b, c]``; parentheses around a conjunct are dropped.

    Iterative and linear: a WHERE of thousands of ANDs is a left-deep tree thousands deep.
    """
    if node is None:
        return []
    found: list[exp.Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        while isinstance(current, exp.Paren):
            current = current.this
        if isinstance(current, exp.And):
            stack.append(current.expression)  # popped after the left side: text order kept
            stack.append(current.this)
        else:
            found.append(current)
    return found


def is_false(node: exp.Expr) -> bool:
    """A conjunct that can never hold: ``FALSE``, ``1 = 0``, ``x IN ()``."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Boolean):
        return not node.this
    if (
        isinstance(node, exp.In)
        and not node.expressions
        and node.args.get("query") is None
        and node.args.get("unnest") is None
        and not node.args.get("field")
    ):
        return True
    if isinstance(node, (exp.EQ, exp.NEQ)):
        left, right = literal_value(node.this), literal_value(node.expression)
        if left is not NOT_A_LITERAL and right is not NOT_A_LITERAL and type(left) is type(right):
            return (left != right) if isinstance(node, exp.EQ) else (left == right)
    return False


@dataclass(frozen=True)
class _Comparison:
    """``col op literal``, or ``literal op col`` (``flipped``)."""

    column: exp.Column
    value: object
    flipped: bool


def _column_and_value(node: exp.Expr) -> _Comparison | None:
    """The column and the literal a comparison puts side by side, or None for other shapes."""
    left, right = node.this, node.args.get("expression")
    if isinstance(left, exp.Column) and right is not None:
        value = literal_value(right)
        if value is not NOT_A_LITERAL:
            return _Comparison(left, value, False)
    if isinstance(right, exp.Column) and isinstance(left, exp.Expr):
        value = literal_value(left)
        if value is not NOT_A_LITERAL:
            return _Comparison(right, value, True)
    return None


def read_constraints(node: exp.Expr) -> list[Constraint] | None:
    """The constraints one conjunct puts on one column, or None when it is not API-shaped."""
    while isinstance(node, exp.Paren):
        node = node.this
    if node.args.get("negate") or node.args.get("symmetric"):
        # sqlglot keeps NOT LIKE / NOT ILIKE as LIKE with negate=True, and BETWEEN SYMMETRIC's
        # bounds may come in either order: reading either as its plain form would push the
        # opposite (or a too narrow) filter
        return None
    if isinstance(node, exp.Column):  # a bare boolean column
        return [Constraint(node.name, Shape.VALUES, (True,))]
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Column):
        return [Constraint(node.this.name, Shape.VALUES, (False,))]
    if (
        isinstance(node, exp.Is)
        and isinstance(node.this, exp.Column)
        and isinstance(node.expression, exp.Boolean)
    ):
        return [Constraint(node.this.name, Shape.VALUES, (bool(node.expression.this),))]
    if isinstance(node, exp.EQ):
        found = _column_and_value(node)
        if found is None or found.value is None:
            return None
        return [Constraint(found.column.name, Shape.VALUES, (found.value,))]
    if isinstance(node, exp.In):
        if (
            not isinstance(node.this, exp.Column)
            or node.args.get("query") is not None
            or node.args.get("unnest") is not None
        ):
            return None
        values = [literal_value(v) for v in node.expressions]
        if any(v is NOT_A_LITERAL or v is None for v in values):
            return None
        unique = tuple(dict.fromkeys(values))
        return [Constraint(node.this.name, Shape.VALUES, unique)]
    if isinstance(node, (exp.Like, exp.ILike)):
        if not isinstance(node.this, exp.Column) or node.args.get("escape") is not None:
            return None
        pattern = literal_value(node.expression)
        if not isinstance(pattern, str):
            return None
        constraint = _like(node.this.name, pattern, isinstance(node, exp.ILike))
        return [constraint] if constraint else None
    if isinstance(node, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
        found = _column_and_value(node)
        if found is None or found.value is None:
            return None
        lower = isinstance(node, (exp.GT, exp.GTE)) != found.flipped
        inclusive = isinstance(node, (exp.GTE, exp.LTE))
        shape = Shape.LOWER if lower else Shape.UPPER
        return [Constraint(found.column.name, shape, (found.value,), inclusive=inclusive)]
    if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        low, high = literal_value(node.args["low"]), literal_value(node.args["high"])
        if low is NOT_A_LITERAL or high is NOT_A_LITERAL or low is None or high is None:
            return None
        name = node.this.name
        return [
            Constraint(name, Shape.LOWER, (low,)),
            Constraint(name, Shape.UPPER, (high,)),
        ]
    return None


def _like(column: str, pattern: str, case_insensitive: bool) -> Constraint | None:
    """A LIKE pattern as prefix/suffix/contains/equality, when it is one of those."""
    if "\\" in pattern or "_" in pattern:
        return None  # '_' is a wildcard the API has no equivalent for
    starts = pattern.startswith("%")
    ends = pattern.endswith("%") and len(pattern) > 1
    core = pattern[1 if starts else 0 : len(pattern) - (1 if ends else 0)]
    if "%" in core or core == "":
        return None
    if starts and ends:
        shape = Shape.CONTAINS
    elif starts:
        shape = Shape.SUFFIX
    elif ends:
        shape = Shape.PREFIX
    else:
        shape = Shape.VALUES
    return Constraint(column, shape, (core,), case_insensitive=case_insensitive)
