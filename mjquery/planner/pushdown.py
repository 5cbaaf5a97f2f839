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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
class PathValue:
    """A value written into the request path: ``{CampaignDraftID}`` -> ``42``."""

    placeholder: str
    value: str


@dataclass(frozen=True)
class Alternative:
    """One value along a dimension: what it adds to the request."""

    params: tuple[QueryParam, ...] = ()
    fills: tuple[ColumnFill, ...] = ()
    path_values: tuple[PathValue, ...] = ()
    item_id: str | None = None  # GET the item path with this id


@dataclass(frozen=True)
class Dimension:
    """A column whose allowed values each need a request of their own."""

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

    def __init__(self, node: exp.Expr, constraints: Sequence[Constraint]) -> None:
        self.node = node
        self.constraints = tuple(constraints)
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


@dataclass(frozen=True)
class _Entry:
    """One constraint on a column, and the conjunct it was read from."""

    item: _Conjunct
    constraint: Constraint


def _record_all(
    entries: Sequence[_Entry], outcome: Pushdown, param: str = "", reason: str = ""
) -> None:
    for entry in entries:
        entry.item.record(outcome, param or None, reason)


def classify(
    schema: ObjectSchema, conjuncts: list[exp.Expr], *, max_value_requests: int = 100
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
        constraints = read_constraints(node)
        if constraints is None:
            item = _Conjunct(node, [])
            item.record(Pushdown.LOCAL, reason="the API has no filter for this expression")
            _refuse_local_pseudo(schema, node)
            items.append(item)
            continue
        too_long = _too_long(constraints)
        if too_long is not None:
            pseudo = schema.pseudo_column(too_long.column)
            if pseudo is not None:
                raise ProgrammingError(
                    f"{schema.name}.{pseudo.name}: a value of more than {MAX_PUSHED_VALUE:,} "
                    "characters is too long to send to the API."
                )
            item = _Conjunct(node, [])
            item.record(
                Pushdown.LOCAL,
                reason=f"a value longer than {MAX_PUSHED_VALUE:,} characters is not sent to the API",
            )
            items.append(item)
            continue
        items.append(_Conjunct(node, constraints))

    has_pseudo = any(
        schema.pseudo_column(c.column) is not None for item in items for c in item.constraints
    )

    # -- equality / IN: intersect the allowed values per column --------------------------------
    by_column: dict[str, list[_Entry]] = {}
    for item in items:
        for constraint in item.constraints:
            if constraint.shape is Shape.VALUES and not constraint.case_insensitive:
                by_column.setdefault(constraint.column.lower(), []).append(_Entry(item, constraint))
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
        per_column: dict[str, list[_Entry]] = {}
        for item in items:
            for constraint in item.constraints:
                if constraint.shape is bound:
                    per_column.setdefault(constraint.column.lower(), []).append(
                        _Entry(item, constraint)
                    )
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


#: A value longer than this is not sent as a query parameter (servers, and httpx, refuse URLs
#: that long): the condition is evaluated locally instead.
MAX_PUSHED_VALUE = 2_000


def _too_long(constraints: list[Constraint]) -> Constraint | None:
    for constraint in constraints:
        if any(isinstance(v, str) and len(v) > MAX_PUSHED_VALUE for v in constraint.values):
            return constraint
    return None


def _refuse_local_pseudo(schema: ObjectSchema, node: exp.Expr) -> None:
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


@dataclass(frozen=True)
class _Values:
    """Equality / IN constraints on one column, intersected: the values the column may take."""

    entries: tuple[_Entry, ...]
    column: str
    sql_type: SqlType
    allowed: tuple[object, ...]  # as the column compares them, deduplicated, in order
    spelled: tuple[str, ...]  # the same, as the API reads them
    other_pseudo: bool  # the table's conjuncts also constrain a pseudo-column
    max_requests: int  # how many requests the values may turn into


def _push_values(
    schema: ObjectSchema,
    pushed: Pushed,
    entries: list[_Entry],
    has_pseudo: bool,
    max_value_requests: int,
) -> None:
    """Push ``col = v`` / ``col IN (...)``: the first strategy of :data:`_VALUE_STRATEGIES`
    that applies wins."""
    values = _intersect(schema, pushed, entries, has_pseudo, max_value_requests)
    if values is None:
        return
    for strategy in _VALUE_STRATEGIES:
        if strategy(schema, pushed, values):
            pushed.constrained_columns.add(values.column)
            return
    _record_all(values.entries, Pushdown.LOCAL, reason=f"the API has no filter on {values.column}")


def _intersect(
    schema: ObjectSchema,
    pushed: Pushed,
    entries: list[_Entry],
    other_pseudo: bool,
    max_requests: int,
) -> _Values | None:
    """The values every constraint allows; None when nothing is left to push (recorded)."""
    column = entries[0].constraint.column
    sql_type = _sql_type(schema, column)
    parent = schema.parent
    if sql_type is None and parent is not None and parent.column.lower() == column.lower():
        sql_type = SqlType.BIGINT
    if sql_type is None:
        _record_all(entries, Pushdown.LOCAL, reason=f"{column} is not a column of {schema.name}")
        return None
    allowed: list[object] | None = None
    for entry in entries:
        values = [coerce(v, sql_type) for v in entry.constraint.values]
        if any(v is NOT_A_LITERAL for v in values):
            _record_all(entries, Pushdown.LOCAL, reason=f"a value does not fit {column}'s type")
            return None
        allowed = values if allowed is None else [v for v in allowed if v in values]
    unique = tuple(dict.fromkeys(allowed or ()))
    if not unique:
        pushed.contradiction = f"no value of {column} satisfies every condition on it"
        _record_all(entries, Pushdown.EXACT, reason="never true: no request is made")
        return None
    spelled = tuple(format_value(v, sql_type) for v in unique)
    return _Values(tuple(entries), column, sql_type, unique, spelled, other_pseudo, max_requests)


def _add_dimension(
    pushed: Pushed, values: _Values, alternatives: tuple[Alternative, ...], why: str
) -> None:
    pushed.dimensions.append(Dimension(values.column, alternatives, why))


def _outcome(filt: Filter) -> Pushdown:
    return Pushdown.EXACT if filt.exact else Pushdown.RECHECKED


def _push_parent_id(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """A sub-resource's parent id goes into the path: one request per id."""
    parent = schema.parent
    if parent is None or parent.column.lower() != values.column.lower():
        return False
    alternatives = tuple(
        Alternative(
            path_values=(PathValue(parent.placeholder, s),),
            fills=(ColumnFill(parent.column, v, values.sql_type),),
        )
        for v, s in zip(values.allowed, values.spelled, strict=True)
    )
    _add_dimension(pushed, values, alternatives, f"one request per {values.column}")
    _record_all(values.entries, Pushdown.EXACT, f"{{{parent.placeholder}}}")
    return True


def _push_pseudo_column(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """A pseudo-column's value becomes its parameter and is written into every row fetched."""
    pseudo = schema.pseudo_column(values.column)
    if pseudo is None:
        return False
    filt = _filter(schema, values.column, FilterOp.EQ, FilterOp.IN)
    if filt is None:
        raise ProgrammingError(f"{schema.name}.{pseudo.name} has no API filter.")
    if pseudo.allowed_values:
        lowered = {a.lower() for a in pseudo.allowed_values}
        for s in values.spelled:
            if s.lower() not in lowered:
                raise ProgrammingError(
                    f"{schema.name}.{pseudo.name} = {s!r} is not allowed: use one of "
                    f"{', '.join(pseudo.allowed_values)}."
                )
    # one request per value; with one value a plain parameter (the fill keeps DuckDB's own
    # filter true)
    alternatives = tuple(
        Alternative(
            params=(QueryParam(filt.param, s),),
            fills=(ColumnFill(pseudo.name, v, pseudo.type),),
        )
        for v, s in zip(values.allowed, values.spelled, strict=True)
    )
    why = f"one request per value of {pseudo.name}" if len(alternatives) > 1 else ""
    _add_dimension(pushed, values, alternatives, why)
    _record_all(values.entries, _outcome(filt), filt.param)
    return True


def _push_item_ids(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """``key = v``: GET the object by id (one request per id), when no pseudo-column needs a list."""
    key = schema.key
    if (
        key is None
        or key.lower() != values.column.lower()
        or not schema.item_path
        or values.other_pseudo
        or len(values.allowed) > values.max_requests
    ):
        return False
    alternatives = tuple(Alternative(item_id=s) for s in values.spelled)
    why = f"one request per {values.column}" if len(alternatives) > 1 else ""
    _add_dimension(pushed, values, alternatives, why)
    _record_all(values.entries, Pushdown.EXACT, f"path {schema.item_path}")
    return True


def _push_one_value(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """One value and an equality parameter: a parameter of every request."""
    if len(values.allowed) != 1:
        return False
    filt = _filter(schema, values.column, FilterOp.EQ, FilterOp.IN)
    if filt is None:
        return False
    pushed.params.append(QueryParam(filt.param, values.spelled[0]))
    reason = "" if filt.exact else filt.description or "the API's match is looser"
    _record_all(values.entries, _outcome(filt), filt.param, reason)
    return True


def _push_value_list(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """Several values and a parameter taking a comma list: one request for all of them."""
    if len(values.allowed) < 2:
        return False
    filt = _filter(schema, values.column, FilterOp.IN)
    if filt is None:
        return False
    pushed.params.append(QueryParam(filt.param, ",".join(values.spelled)))
    _record_all(values.entries, _outcome(filt), filt.param)
    return True


def _push_value_per_request(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """Several values and an equality parameter: one request per value (bounded)."""
    if len(values.allowed) < 2 or len(values.allowed) > values.max_requests:
        return False
    filt = _filter(schema, values.column, FilterOp.EQ)
    if filt is None:
        return False
    alternatives = tuple(Alternative(params=(QueryParam(filt.param, s),)) for s in values.spelled)
    _add_dimension(pushed, values, alternatives, f"one request per value of {values.column}")
    _record_all(values.entries, _outcome(filt), filt.param)
    return True


def _push_value_ignoring_case(schema: ObjectSchema, pushed: Pushed, values: _Values) -> bool:
    """Text with only a case-insensitive equality parameter: pushed, and DuckDB re-checks."""
    if values.sql_type is not SqlType.VARCHAR or len(values.allowed) > values.max_requests:
        return False
    filt = _filter(schema, values.column, FilterOp.EQ_CI)
    if filt is None:
        return False
    alternatives = tuple(Alternative(params=(QueryParam(filt.param, s),)) for s in values.spelled)
    if len(alternatives) == 1:
        pushed.params.extend(alternatives[0].params)
        _record_all(values.entries, Pushdown.RECHECKED, filt.param, "the API ignores case")
    else:
        _add_dimension(pushed, values, alternatives, f"one request per value of {values.column}")
        _record_all(values.entries, Pushdown.RECHECKED, filt.param)
    return True


#: The ways ``col = v`` / ``col IN (...)`` can reach the API, in order of preference.
_VALUE_STRATEGIES: tuple[Callable[[ObjectSchema, Pushed, _Values], bool], ...] = (
    _push_parent_id,
    _push_pseudo_column,
    _push_item_ids,
    _push_one_value,
    _push_value_list,
    _push_value_per_request,
    _push_value_ignoring_case,
)


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


@dataclass(frozen=True)
class _Bound:
    """One range constraint and its value as the column compares it."""

    entry: _Entry
    value: Any


def _push_range(
    schema: ObjectSchema,
    pushed: Pushed,
    entries: list[_Entry],
    bound: Shape,
    used_params: set[str],
) -> None:
    column = entries[0].constraint.column
    sql_type = _sql_type(schema, column)
    if sql_type not in (SqlType.TIMESTAMP, SqlType.BIGINT, SqlType.INTEGER):
        _record_all(entries, Pushdown.LOCAL, reason=f"the API has no range filter on {column}")
        return
    usable: list[_Bound] = []
    for entry in entries:
        value = coerce(entry.constraint.values[0], sql_type)
        if value is NOT_A_LITERAL:
            entry.item.record(Pushdown.LOCAL, reason=f"a value does not fit {column}'s type")
        else:
            usable.append(_Bound(entry, value))
    if not usable:
        return
    if bound is Shape.LOWER:
        ops = (FilterOp.GE, FilterOp.GT)
        tightest = max(usable, key=_lower_tightness)
    else:
        ops = (FilterOp.LE, FilterOp.LT)
        tightest = min(usable, key=_upper_tightness)
    filt = _filter(schema, column, *ops)
    if filt is None or filt.param.lower() in used_params:
        _record_all(
            [b.entry for b in usable],
            Pushdown.LOCAL,
            reason=f"the API has no range filter on {column}",
        )
        return
    api_value, exact = _bound_value(tightest.value, tightest.entry.constraint, filt.op, sql_type)
    used_params.add(filt.param.lower())
    pushed.params.append(
        QueryParam(filt.param, format_value(api_value, sql_type, filt.value_format))
    )
    exact = exact and filt.exact
    tightest.entry.item.record(
        Pushdown.EXACT if exact else Pushdown.RECHECKED,
        filt.param,
        "" if exact else "the API's bound is looser (whole seconds / inclusive)",
    )
    for other in usable:
        if other.entry.item is not tightest.entry.item:
            other.entry.item.record(Pushdown.RECHECKED, filt.param, "a tighter bound was pushed")


def _lower_tightness(bound: _Bound) -> tuple[Any, bool]:
    """Order of lower bounds: the larger value, and at equal values the exclusive one, is tighter."""
    return bound.value, not bound.entry.constraint.inclusive


def _upper_tightness(bound: _Bound) -> tuple[Any, bool]:
    """Order of upper bounds (the smallest wins): at equal values the exclusive one is tighter."""
    return bound.value, bound.entry.constraint.inclusive


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
