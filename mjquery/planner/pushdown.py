"""Match the constraints on one Mailjet table against its schema's filters.

Input: the conjuncts that apply to one table reference. Output: a :class:`Pushed` — the query
parameters every request carries, the *dimensions* that multiply requests (one request per
value of an ``IN`` the API cannot take as a list, one per parent id of a sub-resource, one per
pseudo-column value), and for each conjunct whether it is pushed exactly, pushed but re-checked,
or kept local. Nothing here decides correctness: the residual SQL keeps every predicate.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from sqlglot import exp

from mjquery.errors import ProgrammingError
from mjquery.planner.model import ColumnFill, Predicate, Pushdown, QueryParam
from mjquery.planner.predicates import (
    NOT_A_LITERAL,
    Constraint,
    Shape,
    coerce,
    is_false,
    read_constraints,
)
from mjquery.schema.model import Filter, FilterOp, ObjectSchema, SqlType, TimeFormat


@dataclass(frozen=True)
class Alternative:
    """One value along a dimension: what it adds to the request."""

    params: tuple[QueryParam, ...] = ()
    fills: tuple[ColumnFill, ...] = ()
    path_values: tuple[tuple[str, str], ...] = ()  # (placeholder, value)
    item_id: str | None = None  # GET the item path with this id


@dataclass(frozen=True)
class Dimension:
    column: str
    alternatives: tuple[Alternative, ...]
    why: str  # "one request per value of ID" for EXPLAIN


@dataclass
class Pushed:
    """What the API can do for one table reference."""

    params: list[QueryParam] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    contradiction: str = ""
    # columns constrained by pushed equality (used to decide dependent joins)
    constrained_columns: set[str] = field(default_factory=set)

    @property
    def exact(self) -> bool:
        return all(p.pushdown is Pushdown.EXACT for p in self.predicates)

    @property
    def uses_item_path(self) -> bool:
        return any(a.item_id is not None for d in self.dimensions for a in d.alternatives)


def format_value(value: object, sql_type: SqlType, time_format: TimeFormat | None = None) -> str:
    """A constraint value spelled as the API reads it in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if time_format is TimeFormat.RFC3339:
            return value.replace(microsecond=0).isoformat() + "Z"
        return str(int(value.replace(tzinfo=_dt.UTC).timestamp()))
    if (
        isinstance(value, float)
        and value.is_integer()
        and sql_type in (SqlType.BIGINT, SqlType.INTEGER)
    ):
        return str(int(value))
    return str(value)


def _sql_type(schema: ObjectSchema, column: str) -> SqlType | None:
    real = schema.column(column)
    if real is not None:
        return real.type
    pseudo = schema.pseudo_column(column)
    if pseudo is not None:
        return pseudo.type
    return None


def _filter(schema: ObjectSchema, column: str, *ops: FilterOp) -> Filter | None:
    """The first filter on ``column`` with one of ``ops``, in the order of ``ops``."""
    candidates = schema.filters_on(column)
    for op in ops:
        for candidate in candidates:
            if candidate.op is op:
                return candidate
    return None


_LIKE_OPS = {
    Shape.PREFIX: (FilterOp.PREFIX, FilterOp.PREFIX_CI),
    Shape.SUFFIX: (FilterOp.SUFFIX, FilterOp.SUFFIX_CI),
    Shape.CONTAINS: (FilterOp.CONTAINS, FilterOp.CONTAINS_CI),
}


class _Conjunct:
    """One conjunct being classified: its constraints and how each was pushed."""

    def __init__(self, node: exp.Expression, constraints: list[Constraint]) -> None:
        self.node = node
        self.constraints = constraints
        self.outcomes: list[Pushdown] = []
        self.params: list[str] = []
        self.reasons: list[str] = []

    def record(self, outcome: Pushdown, param: str | None = None, reason: str = "") -> None:
        self.outcomes.append(outcome)
        if param and param not in self.params:
            self.params.append(param)
        if reason and reason not in self.reasons:
            self.reasons.append(reason)

    def predicate(self) -> Predicate:
        sql = self.node.sql(dialect="duckdb")
        if self.outcomes and all(o is Pushdown.EXACT for o in self.outcomes):
            pushdown = Pushdown.EXACT
        elif any(o is not Pushdown.LOCAL for o in self.outcomes):
            pushdown = Pushdown.RECHECKED
        else:
            pushdown = Pushdown.LOCAL
        return Predicate(sql, pushdown, tuple(self.params), "; ".join(self.reasons))


def classify(
    schema: ObjectSchema, conjuncts: list[exp.Expression], *, max_value_requests: int = 100
) -> Pushed:
    """Classify the conjuncts on one table reference (columns already known to belong to it)."""
    pushed = Pushed()
    items: list[_Conjunct] = []
    for node in conjuncts:
        if is_false(node):
            pushed.contradiction = f"{node.sql(dialect='duckdb')} can never hold"
            item = _Conjunct(node, [])
            item.record(Pushdown.EXACT, reason="never true: no request is made")
            items.append(item)
            continue
        read = read_constraints(node)
        if read is None:
            item = _Conjunct(node, [])
            item.record(Pushdown.LOCAL, reason="the API has no filter for this expression")
            _refuse_local_pseudo(schema, node)
            items.append(item)
            continue
        items.append(_Conjunct(node, read[1]))

    has_pseudo = any(
        schema.pseudo_column(c.column) is not None for item in items for c in item.constraints
    )

    # -- equality / IN: intersect the allowed values per column --------------------------------
    by_column: dict[str, list[tuple[_Conjunct, Constraint]]] = {}
    for item in items:
        for constraint in item.constraints:
            if constraint.shape is Shape.VALUES and not constraint.case_insensitive:
                by_column.setdefault(constraint.column.lower(), []).append((item, constraint))
    for entries in by_column.values():
        _push_values(schema, pushed, entries, has_pseudo, max_value_requests)

    # -- LIKE family and ILIKE equality ---------------------------------------------------------
    used_params: set[str] = {p.name.lower() for p in pushed.params}
    for item in items:
        for constraint in item.constraints:
            if constraint.shape in _LIKE_OPS or (
                constraint.shape is Shape.VALUES and constraint.case_insensitive
            ):
                _push_like(schema, pushed, item, constraint, used_params)

    # -- time windows and numeric ranges -------------------------------------------------------
    for bound in (Shape.LOWER, Shape.UPPER):
        per_column: dict[str, list[tuple[_Conjunct, Constraint]]] = {}
        for item in items:
            for constraint in item.constraints:
                if constraint.shape is bound:
                    per_column.setdefault(constraint.column.lower(), []).append((item, constraint))
        for entries in per_column.values():
            _push_range(schema, pushed, entries, bound, used_params)

    for item in items:
        for constraint in item.constraints:
            if schema.pseudo_column(constraint.column) is not None and all(
                o is Pushdown.LOCAL for o in item.outcomes
            ):
                _refuse_local_pseudo(schema, item.node)
        pushed.predicates.append(item.predicate())

    _check_required(schema, pushed)
    return pushed


def _refuse_local_pseudo(schema: ObjectSchema, node: exp.Expression) -> None:
    """A pseudo-column exists only to reach the API: a predicate the API cannot take is an error."""
    for column in node.find_all(exp.Column):
        pseudo = schema.pseudo_column(column.name)
        if pseudo is not None:
            raise ProgrammingError(
                f"{schema.name}.{pseudo.name} only filters the API request: use it as "
                f"{pseudo.name} = <value> or {pseudo.name} IN (...), "
                f"not in {node.sql(dialect='duckdb')!r}."
            )


def _check_required(schema: ObjectSchema, pushed: Pushed) -> None:
    if pushed.contradiction:
        return
    constrained = {c.lower() for c in pushed.constrained_columns}
    missing = [p for p in schema.required_pseudo_columns if p.name.lower() not in constrained]
    if not missing:
        return
    parts = []
    for pseudo in missing:
        allowed = f" (one of {', '.join(pseudo.allowed_values)})" if pseudo.allowed_values else ""
        parts.append(f"{pseudo.name}{allowed}")
    example = " AND ".join(
        f"{p.name} = '{p.allowed_values[0]}'" if p.allowed_values else f"{p.name} = ..."
        for p in missing
    )
    raise ProgrammingError(f"{schema.name} needs {', '.join(parts)}: add WHERE {example}.")


def _push_values(
    schema: ObjectSchema,
    pushed: Pushed,
    entries: list[tuple[_Conjunct, Constraint]],
    has_pseudo: bool,
    max_value_requests: int,
) -> None:
    column = entries[0][1].column
    sql_type = _sql_type(schema, column)
    parent = schema.parent
    is_parent = parent is not None and parent.column.lower() == column.lower()
    if sql_type is None and is_parent:
        sql_type = SqlType.BIGINT
    if sql_type is None:
        for item, _ in entries:
            item.record(Pushdown.LOCAL, reason=f"{column} is not a column of {schema.name}")
        return

    allowed: list[object] | None = None
    for _, constraint in entries:
        values = [coerce(v, sql_type) for v in constraint.values]
        if any(v is NOT_A_LITERAL for v in values):
            for item, _ in entries:
                item.record(Pushdown.LOCAL, reason=f"a value does not fit {column}'s type")
            return
        allowed = values if allowed is None else [v for v in allowed if v in values]
    assert allowed is not None
    allowed = list(dict.fromkeys(allowed))
    if not allowed:
        pushed.contradiction = f"no value of {column} satisfies every condition on it"
        for item, _ in entries:
            item.record(Pushdown.EXACT, reason="never true: no request is made")
        return

    pseudo = schema.pseudo_column(column)
    spelled = [format_value(v, sql_type) for v in allowed]

    if is_parent:
        assert parent is not None
        dimension = Dimension(
            column,
            tuple(
                Alternative(
                    path_values=((parent.placeholder, s),),
                    fills=(ColumnFill(parent.column, v, sql_type),),
                )
                for v, s in zip(allowed, spelled, strict=True)
            ),
            f"one request per {column}",
        )
        _add_dimension(pushed, dimension, entries, Pushdown.EXACT, f"{{{parent.placeholder}}}")
        return

    if pseudo is not None:
        filt = _filter(schema, column, FilterOp.EQ, FilterOp.IN)
        if filt is None:
            raise ProgrammingError(f"{schema.name}.{pseudo.name} has no API filter.")
        if pseudo.allowed_values:
            lowered = {a.lower(): a for a in pseudo.allowed_values}
            for s in spelled:
                if s.lower() not in lowered:
                    raise ProgrammingError(
                        f"{schema.name}.{pseudo.name} = {s!r} is not allowed: use one of "
                        f"{', '.join(pseudo.allowed_values)}."
                    )
        outcome = Pushdown.EXACT if filt.exact else Pushdown.RECHECKED
        if len(allowed) == 1:
            # one value: a plain parameter; the fill keeps DuckDB's own filter true
            dimension = Dimension(
                column,
                (
                    Alternative(
                        params=(QueryParam(filt.param, spelled[0]),),
                        fills=(ColumnFill(pseudo.name, allowed[0], pseudo.type),),
                    ),
                ),
                "",
            )
        else:
            dimension = Dimension(
                column,
                tuple(
                    Alternative(
                        params=(QueryParam(filt.param, s),),
                        fills=(ColumnFill(pseudo.name, v, pseudo.type),),
                    )
                    for v, s in zip(allowed, spelled, strict=True)
                ),
                f"one request per value of {pseudo.name}",
            )
        _add_dimension(pushed, dimension, entries, outcome, filt.param)
        return

    key = schema.key
    if (
        key is not None
        and key.lower() == column.lower()
        and schema.item_path
        and not has_pseudo
        and len(allowed) <= max_value_requests
    ):
        dimension = Dimension(
            column,
            tuple(Alternative(item_id=s) for s in spelled),
            f"one request per {column}" if len(allowed) > 1 else "",
        )
        _add_dimension(pushed, dimension, entries, Pushdown.EXACT, f"path {schema.item_path}")
        return

    if len(allowed) == 1:
        filt = _filter(schema, column, FilterOp.EQ, FilterOp.IN)
        if filt is not None:
            pushed.params.append(QueryParam(filt.param, spelled[0]))
            pushed.constrained_columns.add(column)
            for item, _ in entries:
                item.record(
                    Pushdown.EXACT if filt.exact else Pushdown.RECHECKED,
                    filt.param,
                    "" if filt.exact else filt.description or "the API's match is looser",
                )
            return
    else:
        filt = _filter(schema, column, FilterOp.IN)
        if filt is not None:
            pushed.params.append(QueryParam(filt.param, ",".join(spelled)))
            pushed.constrained_columns.add(column)
            for item, _ in entries:
                item.record(Pushdown.EXACT if filt.exact else Pushdown.RECHECKED, filt.param)
            return
        filt = _filter(schema, column, FilterOp.EQ)
        if filt is not None and len(allowed) <= max_value_requests:
            dimension = Dimension(
                column,
                tuple(Alternative(params=(QueryParam(filt.param, s),)) for s in spelled),
                f"one request per value of {column}",
            )
            _add_dimension(
                pushed,
                dimension,
                entries,
                Pushdown.EXACT if filt.exact else Pushdown.RECHECKED,
                filt.param,
            )
            return
    if sql_type is SqlType.VARCHAR:
        filt = _filter(schema, column, FilterOp.EQ_CI)
        if filt is not None and len(allowed) <= max_value_requests:
            alternatives = tuple(Alternative(params=(QueryParam(filt.param, s),)) for s in spelled)
            if len(alternatives) == 1:
                pushed.params.extend(alternatives[0].params)
                pushed.constrained_columns.add(column)
                for item, _ in entries:
                    item.record(Pushdown.RECHECKED, filt.param, "the API ignores case")
            else:
                _add_dimension(
                    pushed,
                    Dimension(column, alternatives, f"one request per value of {column}"),
                    entries,
                    Pushdown.RECHECKED,
                    filt.param,
                )
            return
    for item, _ in entries:
        item.record(Pushdown.LOCAL, reason=f"the API has no filter on {column}")


def _add_dimension(
    pushed: Pushed,
    dimension: Dimension,
    entries: list[tuple[_Conjunct, Constraint]],
    outcome: Pushdown,
    param: str,
) -> None:
    pushed.dimensions.append(dimension)
    pushed.constrained_columns.add(dimension.column)
    for item, _ in entries:
        item.record(outcome, param)


def _push_like(
    schema: ObjectSchema,
    pushed: Pushed,
    item: _Conjunct,
    constraint: Constraint,
    used_params: set[str],
) -> None:
    sql_type = _sql_type(schema, constraint.column)
    if sql_type is not SqlType.VARCHAR:
        item.record(Pushdown.LOCAL, reason="the API has no filter for this pattern")
        return
    if constraint.shape is Shape.VALUES:  # ILIKE without wildcards
        ops: tuple[FilterOp, ...] = (FilterOp.EQ_CI,)
    else:
        exact_op, ci_op = _LIKE_OPS[constraint.shape]
        ops = (ci_op,) if constraint.case_insensitive else (exact_op, ci_op)
    filt = _filter(schema, constraint.column, *ops)
    if filt is None or filt.param.lower() in used_params:
        item.record(
            Pushdown.LOCAL, reason=f"the API has no filter for this pattern on {constraint.column}"
        )
        return
    used_params.add(filt.param.lower())
    pushed.params.append(QueryParam(filt.param, str(constraint.values[0])))
    # a case-insensitive API match for a case-sensitive LIKE returns more rows: re-check
    loosened = filt.op is not ops[0]
    exact = filt.exact and not loosened
    item.record(
        Pushdown.EXACT if exact else Pushdown.RECHECKED,
        filt.param,
        "the API ignores case" if loosened else "",
    )


def _push_range(
    schema: ObjectSchema,
    pushed: Pushed,
    entries: list[tuple[_Conjunct, Constraint]],
    bound: Shape,
    used_params: set[str],
) -> None:
    column = entries[0][1].column
    sql_type = _sql_type(schema, column)
    if sql_type not in (SqlType.TIMESTAMP, SqlType.BIGINT, SqlType.INTEGER):
        for item, _ in entries:
            item.record(Pushdown.LOCAL, reason=f"the API has no range filter on {column}")
        return
    values = [(item, c, coerce(c.values[0], sql_type)) for item, c in entries]
    usable = [(item, c, v) for item, c, v in values if v is not NOT_A_LITERAL]
    for item, _, v in values:
        if v is NOT_A_LITERAL:
            item.record(Pushdown.LOCAL, reason=f"a value does not fit {column}'s type")
    if not usable:
        return
    if bound is Shape.LOWER:
        ops = (FilterOp.GE, FilterOp.GT)
        tightest = max(usable, key=lambda e: (e[2], not e[1].inclusive))
    else:
        ops = (FilterOp.LE, FilterOp.LT)
        tightest = min(usable, key=lambda e: (e[2], e[1].inclusive))
    filt = _filter(schema, column, *ops)
    if filt is None or filt.param.lower() in used_params:
        for item, _, _ in usable:
            item.record(Pushdown.LOCAL, reason=f"the API has no range filter on {column}")
        return
    item, constraint, value = tightest
    api_value, exact = _bound_value(value, constraint, filt.op, sql_type)
    used_params.add(filt.param.lower())
    pushed.params.append(
        QueryParam(filt.param, format_value(api_value, sql_type, filt.value_format))
    )
    exact = exact and filt.exact
    item.record(
        Pushdown.EXACT if exact else Pushdown.RECHECKED,
        filt.param,
        "" if exact else "the API's bound is looser (whole seconds / inclusive)",
    )
    for other, _, _ in usable:
        if other is not item:
            other.record(Pushdown.RECHECKED, filt.param, "a tighter bound was pushed")


def _bound_value(
    value: object, constraint: Constraint, api_op: FilterOp, sql_type: SqlType
) -> tuple[object, bool]:
    """The value to send so the API's bound contains SQL's, and whether they are equal."""
    lower = api_op in (FilterOp.GE, FilterOp.GT)
    api_inclusive = api_op in (FilterOp.GE, FilterOp.LE)
    step: object
    if isinstance(value, _dt.datetime):
        whole = value.replace(microsecond=0)
        fractional = whole != value
        if fractional:
            # round outwards to whole seconds: the API bound becomes looser, never tighter
            value = whole if lower else whole + _dt.timedelta(seconds=1)
        step = _dt.timedelta(seconds=1)
        exact = not fractional
    else:
        exact = True
        if isinstance(value, float):
            value = math.floor(value) if lower else math.ceil(value)
            exact = False
        step = 1
    if constraint.inclusive == api_inclusive:
        return value, exact
    if constraint.inclusive and not api_inclusive:
        # SQL >= v with an exclusive API bound: send v - step (looser for sub-step values)
        value = value - step if lower else value + step  # type: ignore[operator]
        return value, exact and sql_type in (SqlType.BIGINT, SqlType.INTEGER)
    # SQL > v with an inclusive API bound: send v, the API returns v too; DuckDB drops it
    return value, False
