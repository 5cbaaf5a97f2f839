"""A statement that reads Mailjet tables in, typed :class:`QueryPlan` out: the planner's steps.

The router (:mod:`mjquery.planner.router`) has parsed the statement and sent here everything that
is not EXPLAIN, SHOW TABLES, DESCRIBE, COPY ... TO or a write to a Mailjet table. Then:

1. resolve tables: Mailjet object, local DuckDB table or CTE (unknown: closest name of both); a
   statement without Mailjet tables is a :class:`LocalStatement`, run by DuckDB as written;
2. bind parameters as typed literals;
3. per SELECT scope: qualify columns (unknown: closest column), split WHERE and JOIN ... ON
   into conjuncts, attach each conjunct to the one table it restricts, classify it against that
   table's filters (:mod:`mjquery.planner.pushdown`);
4. dependent joins and sub-resource parents (keys from one fetch pushed into another);
5. ORDER BY / LIMIT / COUNT(*) pushdown where nothing else happens above the scan;
6. the residual SQL: the statement with every Mailjet table replaced by its fetched table.

Every predicate stays in the residual SQL, so DuckDB's answer never depends on pushdown; exactness
only decides whether LIMIT and COUNT(*) may be answered by the API.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from mjquery.errors import NotSupportedError, ProgrammingError, closest
from mjquery.planner.model import (
    ApiFetch,
    ApiRequest,
    ColumnFill,
    KeySource,
    LocalStatement,
    LocalTables,
    OverLimit,
    PlannerOptions,
    Predicate,
    QueryParam,
    QueryPlan,
    ResultKind,
    fetched_columns,
)
from mjquery.planner.parse import DIALECT, bind_literals
from mjquery.planner.predicates import is_false, split_conjuncts
from mjquery.planner.pushdown import Alternative, Dimension, Pushed, classify
from mjquery.schema.catalog import CatalogLike
from mjquery.schema.model import ExpectedRows, FilterOp, ObjectSchema, SqlType


def plan_query(
    tree: exp.Expr,
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables,
    options: PlannerOptions,
    prefix: str,
    result: ResultKind,
) -> QueryPlan | LocalStatement:
    """The plan of a statement reading Mailjet tables, or a LocalStatement when it reads none."""
    return _Planner(tree, sql, params, catalog, local, options, prefix, result).plan()


def unknown_table(name: str, catalog: CatalogLike, local: LocalTables) -> ProgrammingError:
    """The error for a table that is neither a Mailjet object nor a local table."""
    names = [o.name for o in catalog.objects] + list(local.names)
    aliases = {a.lower(): o.name for o in catalog.objects for a in o.aliases}
    suggestion = closest(name, names)
    if suggestion is None:
        alias = closest(name, list(aliases))
        suggestion = aliases[alias.lower()] if alias else None
    message = f"Unknown table {name!r}."
    message += (
        f" Did you mean {suggestion!r}?" if suggestion else " Run SHOW TABLES to list the tables."
    )
    return ProgrammingError(message)


# -- the per-statement planner ---------------------------------------------------------------


@dataclass
class _Ref:
    """One reference to a Mailjet table in the statement, and what was decided for it."""

    node: exp.Table
    schema: ObjectSchema
    index: int
    name: str = ""
    alias: str = ""
    conjuncts: list[exp.Expr] = field(default_factory=list)
    pushed: Pushed = field(default_factory=Pushed)
    keys: KeySource | None = None
    key_driver: _Ref | None = None
    sort: str | None = None
    limit: int | None = None
    offset: int = 0
    count_only: bool = False
    notes: list[str] = field(default_factory=list)
    extra_predicates: list[Predicate] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        p = self.pushed
        return bool(p.params or p.dimensions or p.contradiction or self.keys is not None)


class _SourceKind(enum.Enum):
    """Where the rows of one FROM / JOIN source of a SELECT come from."""

    MAILJET = "mailjet"  # a Mailjet table: fetched through the API
    LOCAL = "local"  # a table of the local DuckDB database
    DERIVED = "derived"  # a subquery or CTE


@dataclass(frozen=True)
class _Source:
    """One source of a SELECT scope, by its alias."""

    alias: str
    kind: _SourceKind
    ref: _Ref | None = None  # MAILJET: the table reference being planned
    columns: tuple[str, ...] | None = None  # None: unknown (SELECT * of a derived table)


@dataclass(frozen=True)
class _Restriction:
    """A conjunct of WHERE or of a JOIN's ON, and the sources whose rows it may narrow."""

    conjunct: exp.Expr
    restricts: frozenset[str] | None  # aliases; None: every source (WHERE, inner join)

    def narrows(self, alias: str) -> bool:
        return self.restricts is None or alias in self.restricts


@dataclass(frozen=True)
class _JoinKeys:
    """``driver.column = dependent.column``: the driver's values may narrow the dependent's fetch."""

    driver: str  # alias
    driver_column: str
    dependent: str  # alias
    dependent_column: str
    restriction: _Restriction


class _Planner:
    def __init__(
        self,
        tree: exp.Expr,
        sql: str,
        params: Sequence[object] | None,
        catalog: CatalogLike,
        local: LocalTables,
        options: PlannerOptions,
        prefix: str,
        result: ResultKind,
    ) -> None:
        self.original = tree
        self.result = result
        self.sql = sql
        self.params = params
        self.catalog = catalog
        self.local = local
        self.options = options
        self.prefix = prefix
        self.refs: list[_Ref] = []
        self.extra_fetches: list[ApiFetch] = []
        # SELECTs whose COUNT(*) the API answered (countOnly=1): DuckDB sums the counts instead
        self.count_rewrites: list[exp.Select] = []
        # SELECTs whose OFFSET the API applied (Offset=): DuckDB must not skip those rows again
        self.offset_rewrites: list[exp.Select] = []
        self._local_conjuncts: dict[str, list[exp.Expr]] = {}

    # -- steps 1/2: resolve tables, bind parameters ---------------------------------------------

    def plan(self) -> QueryPlan | LocalStatement:
        tree = self.original
        _refuse_ddl_on_mailjet(tree, self.catalog)
        target = _changed_table(tree)
        cte_names = {cte.alias.lower() for cte in tree.find_all(exp.CTE) if cte.alias}
        is_query = isinstance(tree, exp.Query)
        mailjet: list[exp.Table] = []
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier) or table.args.get("db"):
                continue
            name = table.name
            if table is target:
                schema = self.catalog.find(name)
                if schema is not None:
                    raise NotSupportedError(
                        f"{schema.name} is a Mailjet object: this statement cannot change it "
                        "here. Local tables need a name that is not a Mailjet table (run SHOW "
                        "TABLES to see those names)."
                    )
                continue
            if name.lower() in cte_names:
                continue
            if self.catalog.find(name) is not None:
                mailjet.append(table)
            elif self.local.find(name) is None and (is_query or isinstance(tree, exp.Insert)):
                raise unknown_table(name, self.catalog, self.local)
        if not mailjet:
            return LocalStatement(self.sql, tuple(self.params or ()), self.result)
        if isinstance(tree, (exp.Update, exp.Delete, exp.Merge)):
            kind = type(tree).__name__.upper()
            raise NotSupportedError(
                f"{kind} of a local table cannot read Mailjet tables in the same statement: "
                "copy the rows first (CREATE TABLE t AS SELECT ... FROM Contact), then use t."
            )
        if isinstance(tree, exp.Insert) and target is None:
            raise NotSupportedError(
                "INSERT into a qualified table name (db.table) cannot read Mailjet tables."
            )

        self.tree = bind_literals(tree, self.params)
        for index, table in enumerate(
            t
            for t in self.tree.find_all(exp.Table)
            if isinstance(t.this, exp.Identifier)
            and not t.args.get("db")
            and t.name.lower() not in cte_names
            and self.catalog.find(t.name) is not None
            and t is not _changed_table(self.tree)
        ):
            schema = self.catalog.find(table.name)
            assert schema is not None
            ref = _Ref(table, schema, index)
            ref.alias = table.alias_or_name
            ref.name = f"{self.prefix}_{index}_{re.sub(r'[^a-z0-9]+', '_', schema.name.lower())}"
            self.refs.append(ref)

        by_node = {id(r.node): r for r in self.refs}
        for scope in traverse_scope(self.tree):
            if isinstance(scope.expression, exp.Select):
                self._plan_scope(scope, by_node)
        for ref in self.refs:
            if not ref.conjuncts and not ref.pushed.predicates and not ref.pushed.params:
                ref.pushed = classify(
                    ref.schema, [], max_value_requests=self.options.max_value_requests
                )
            if ref.schema.parent is not None and ref.keys is None and not _has_parent_value(ref):
                self._fan_out(ref)
        fetches = self._fetches()
        residual = self._residual()
        return QueryPlan(self.sql, fetches, residual, self.result)

    # -- step 3: one SELECT scope --------------------------------------------------------------

    def _plan_scope(self, scope: Scope, by_node: dict[int, _Ref]) -> None:
        select = scope.expression
        assert isinstance(select, exp.Select)
        sources = self._sources(scope, by_node)
        self._check_columns(scope, sources)

        mailjet_sources = [s for s in sources.values() if s.kind is _SourceKind.MAILJET]
        if not mailjet_sources:
            return
        _hide_pseudo_columns(select, mailjet_sources)
        join_keys: list[_JoinKeys] = []
        other_where = 0  # conjuncts that read more than one source (or unknown ones)
        for restriction in _restrictions(select):
            conjunct = restriction.conjunct
            used = self._sources_of(conjunct, scope, sources)
            if used == set() and is_false(conjunct):
                # WHERE 1 = 0: every table it restricts needs no request at all
                for source in mailjet_sources:
                    if source.ref is not None and restriction.narrows(source.alias.lower()):
                        source.ref.conjuncts.append(conjunct)
                continue
            if used is None:
                other_where += 1
                continue
            if len(used) == 1:
                (alias,) = used
                source = sources[alias]
                if source.kind is _SourceKind.MAILJET and restriction.narrows(alias):
                    assert source.ref is not None
                    source.ref.conjuncts.append(conjunct)
                else:
                    other_where += 1
                    if source.kind is _SourceKind.LOCAL and restriction.narrows(alias):
                        self._local_conjuncts.setdefault(alias, []).append(conjunct)
                continue
            other_where += 1
            join_keys.extend(self._join_keys(restriction, scope, sources))

        for source in mailjet_sources:
            ref = source.ref
            assert ref is not None
            ref.pushed = classify(
                ref.schema, ref.conjuncts, max_value_requests=self.options.max_value_requests
            )

        self._dependent_joins(join_keys, sources)

        joins = select.args.get("joins") or []
        if len(sources) == 1 and len(mailjet_sources) == 1 and not joins and other_where == 0:
            ref = mailjet_sources[0].ref
            assert ref is not None
            self._limit_sort_count(select, ref)

    def _sources(self, scope: Scope, by_node: dict[int, _Ref]) -> dict[str, _Source]:
        """The scope's FROM / JOIN sources by lower-case alias, with their columns when known."""
        sources: dict[str, _Source] = {}
        for alias, (_node, source) in scope.selected_sources.items():
            if isinstance(source, exp.Table):
                ref = by_node.get(id(source))
                if ref is not None:
                    cols = ref.schema.all_column_names
                    if ref.schema.parent and ref.schema.parent.column.lower() not in {
                        c.lower() for c in cols
                    }:
                        cols = (*cols, ref.schema.parent.column)
                    sources[alias.lower()] = _Source(alias, _SourceKind.MAILJET, ref, cols)
                else:
                    local = self.local.find(source.name) if not source.args.get("db") else None
                    sources[alias.lower()] = _Source(alias, _SourceKind.LOCAL, None, local)
            elif isinstance(source, Scope):
                sources[alias.lower()] = _Source(
                    alias, _SourceKind.DERIVED, None, _named_selects(source.expression)
                )
        return sources

    def _join_keys(
        self, restriction: _Restriction, scope: Scope, sources: dict[str, _Source]
    ) -> list[_JoinKeys]:
        """``a.x = b.y`` between two sources: either side may drive the other's fetch."""
        conjunct = restriction.conjunct
        if not (
            isinstance(conjunct, exp.EQ)
            and isinstance(conjunct.this, exp.Column)
            and isinstance(conjunct.expression, exp.Column)
        ):
            return []
        left, right = conjunct.this, conjunct.expression
        a = self._resolve(left, scope, sources)
        b = self._resolve(right, scope, sources)
        if not a or not b or a == b:
            return []
        return [
            _JoinKeys(a, left.name, b, right.name, restriction),
            _JoinKeys(b, right.name, a, left.name, restriction),
        ]

    def _check_columns(self, scope: Scope, sources: dict[str, _Source]) -> None:
        """Unknown columns of Mailjet tables: a message naming the closest column."""
        select = scope.expression
        assert isinstance(select, exp.Select)
        aliases = {s.alias_or_name.lower() for s in select.selects if isinstance(s, exp.Alias)}
        for column in scope.columns:
            if column.find_ancestor(exp.Lambda) is not None or isinstance(column.this, exp.Star):
                continue
            if column.find_ancestor(exp.Select) is not select:
                continue  # a column of a subquery: checked in that subquery's own scope
            table = column.table.lower()
            name = column.name
            if table:
                source = sources.get(table)
                if (
                    source is not None
                    and source.kind is _SourceKind.MAILJET
                    and source.columns is not None
                    and name.lower() not in {c.lower() for c in source.columns}
                ):
                    raise self._unknown_column(name, source.columns, source.alias)
                continue
            if name.lower() in aliases or not sources:
                continue
            if any(s.columns is None for s in sources.values()):
                continue
            if any(name.lower() in {c.lower() for c in s.columns or ()} for s in sources.values()):
                continue
            if self._visible_outside(scope, name):
                continue
            if not any(s.kind is _SourceKind.MAILJET for s in sources.values()):
                continue
            every = [c for s in sources.values() for c in (s.columns or ())]
            alias = next(iter(sources.values())).alias if len(sources) == 1 else None
            raise self._unknown_column(name, tuple(every), alias)

    def _visible_outside(self, scope: Scope, name: str) -> bool:
        """A column of an enclosing query (correlated subquery), or of a source of unknown shape."""
        parent = scope.parent
        lowered = name.lower()
        while parent is not None:
            for _, source in parent.selected_sources.values():
                columns = self._source_columns(source)
                if columns is None or lowered in {c.lower() for c in columns}:
                    return True
            parent = parent.parent
        return False

    def _source_columns(self, source: object) -> tuple[str, ...] | None:
        if isinstance(source, exp.Table):
            if source.args.get("db"):
                return None
            schema = self.catalog.find(source.name)
            if schema is not None:
                parent = (schema.parent.column,) if schema.parent else ()
                return schema.all_column_names + parent
            return self.local.find(source.name)
        if isinstance(source, Scope):
            return _named_selects(source.expression)
        return None

    @staticmethod
    def _unknown_column(name: str, columns: tuple[str, ...], table: str | None) -> ProgrammingError:
        where = f" in {table}" if table else ""
        suggestion = closest(name, list(columns))
        hint = (
            f" Did you mean {suggestion!r}?"
            if suggestion
            else " Run DESCRIBE <table> to list the columns."
        )
        return ProgrammingError(f"Unknown column {name!r}{where}.{hint}")

    def _resolve(self, column: exp.Column, scope: Scope, sources: dict[str, _Source]) -> str | None:
        table = column.table.lower()
        if table:
            return table if table in sources else None
        name = column.name.lower()
        owners = [
            a
            for a, s in sources.items()
            if s.columns is not None and name in {c.lower() for c in s.columns}
        ]
        if len(owners) == 1 and not any(s.columns is None for s in sources.values()):
            return owners[0]
        if len(owners) == 1 and len(sources) == 1:
            return owners[0]
        return None

    def _sources_of(
        self, conjunct: exp.Expr, scope: Scope, sources: dict[str, _Source]
    ) -> set[str] | None:
        """The aliases a conjunct reads, or None when it has subqueries or unresolved columns."""
        if conjunct.find(exp.Select, exp.Subquery) is not None:
            return None
        used: set[str] = set()
        for column in conjunct.find_all(exp.Column):
            alias = self._resolve(column, scope, sources)
            if alias is None:
                return None
            used.add(alias)
        return used

    # -- step 5: dependent joins and sub-resource parents ---------------------------------------

    def _dependent_joins(self, candidates: list[_JoinKeys], sources: dict[str, _Source]) -> None:
        for join in candidates:
            driver, dependent = sources[join.driver], sources[join.dependent]
            ref = dependent.ref
            if dependent.kind is not _SourceKind.MAILJET or ref is None or ref.keys is not None:
                continue
            if not join.restriction.narrows(join.dependent):
                continue
            if driver.kind is _SourceKind.DERIVED or ref.pushed.contradiction:
                continue
            if driver.ref is not None and _depends_on(driver.ref, ref):
                continue
            keys = self._key_source(ref, join.dependent_column, driver, join.driver_column)
            if keys is not None:
                ref.keys = keys
                ref.key_driver = driver.ref

    def _key_source(
        self, ref: _Ref, column: str, driver: _Source, driver_column: str
    ) -> KeySource | None:
        schema = ref.schema
        constrained = {c.lower() for c in ref.pushed.constrained_columns}
        if column.lower() in constrained:
            return None
        driver_filtered = driver.kind is _SourceKind.LOCAL or (
            driver.ref is not None and driver.ref.filtered
        )
        words = f"{driver.alias}.{driver_column}"
        parent = schema.parent
        if parent is not None and parent.column.lower() == column.lower():
            return KeySource(
                key_sql="",
                source=words,
                source_fetch=None,
                target_placeholder=parent.placeholder,
                fill_column=parent.column,
                fill_type=SqlType.BIGINT,
                max_keys=self.options.max_fanout,
                over_limit=OverLimit.REFUSE,
                refusal=_parent_refusal(schema, self.options.max_fanout),
            )
        pseudo = schema.pseudo_column(column)
        filters = [f for f in schema.filters_on(column) if f.op in (FilterOp.EQ, FilterOp.IN)]
        if pseudo is not None and filters:
            return KeySource(
                key_sql="",
                source=words,
                source_fetch=None,
                target_param=filters[0].param,
                fill_column=pseudo.name,
                fill_type=pseudo.type,
                max_keys=self.options.max_fanout,
                over_limit=OverLimit.REFUSE,
                refusal=(
                    f"{schema.name}.{pseudo.name} takes one value per request and the join "
                    f"gives more than {self.options.max_fanout} values of {words}: add a "
                    f"filter on {driver.alias}."
                ),
            )
        if not driver_filtered:
            return None
        if filters and pseudo is None:
            comma = any(f.op is FilterOp.IN for f in filters)
            param = next((f.param for f in filters if f.op is FilterOp.IN), filters[0].param)
            return KeySource(
                key_sql="",
                source=words,
                source_fetch=None,
                target_param=param,
                comma_list=comma,
                max_keys=self._key_bound(ref, comma),
                over_limit=OverLimit.FULL_SCAN,
            )
        if (
            schema.key
            and schema.key.lower() == column.lower()
            and schema.item_path
            and not any(schema.pseudo_column(c) for c in constrained)
        ):
            return KeySource(
                key_sql="",
                source=words,
                source_fetch=None,
                target_placeholder="id",
                max_keys=self._key_bound(ref, False),
                over_limit=OverLimit.FULL_SCAN,
            )
        return None

    def _key_bound(self, ref: _Ref, comma_list: bool) -> int:
        """How many keys are sent one request each before one read of the whole table is cheaper.

        A table the schema calls small fits in one page: with two keys or more, one read of the
        table (its own pushed filters applied) costs one request, fewer than one per key. A
        comma-list parameter already takes up to 50 keys in one request.
        """
        if ref.schema.expected_rows is ExpectedRows.SMALL and not comma_list:
            ref.notes.append(
                f"{ref.schema.name} is small (one page): with more than one key it is "
                "read once instead of once per key"
            )
            return min(1, self.options.max_dependent_keys)
        return self.options.max_dependent_keys

    def _fan_out(self, ref: _Ref) -> None:
        """A sub-resource without its parent id: read the parents' ids first (bounded)."""
        parent = ref.schema.parent
        assert parent is not None
        if self.options.max_fanout <= 0:
            raise ProgrammingError(_parent_refusal(ref.schema, 0))
        parent_schema = self.catalog.find(parent.table)
        if parent_schema is None or parent_schema.parent is not None:
            raise ProgrammingError(_parent_refusal(ref.schema, 0))
        name = f"{ref.name}_parents"
        limit = self.options.max_fanout + 1 if parent_schema.paged else None
        fetch = ApiFetch(
            name=name,
            schema=parent_schema,
            alias=parent_schema.name,
            requests=(ApiRequest(parent_schema.path),),
            limit=limit,
            columns=(parent.key,),
            notes=(
                f"reads up to {self.options.max_fanout} {parent_schema.name} ids to fan "
                f"{ref.schema.name} out over them",
            ),
        )
        self.extra_fetches.append(fetch)
        key_sql = (
            exp.select(exp.column(parent.key, quoted=True))
            .distinct()
            .from_(exp.table_(name))
            .where(exp.column(parent.key, quoted=True).is_(exp.null()).not_())
            .sql(DIALECT)
        )
        ref.keys = KeySource(
            key_sql=key_sql,
            source=f"{parent_schema.name}.{parent.key}",
            source_fetch=name,
            target_placeholder=parent.placeholder,
            fill_column=parent.column,
            max_keys=self.options.max_fanout,
            over_limit=OverLimit.REFUSE,
            refusal=_parent_refusal(ref.schema, self.options.max_fanout),
        )
        ref.notes.append(
            f"fans out over at most {self.options.max_fanout} {parent_schema.name} rows "
            f"(one request per {parent.key})"
        )

    # -- step 6: LIMIT / ORDER BY / COUNT(*) ---------------------------------------------------

    def _limit_sort_count(self, select: exp.Select, ref: _Ref) -> None:
        schema = ref.schema
        pushed = ref.pushed
        if (
            pushed.contradiction
            or ref.keys is not None
            or not schema.paged
            or not self.options.push_limit_sort_count
        ):
            return
        plain = not (
            select.args.get("group")
            or select.args.get("having")
            or select.args.get("qualify")
            or select.args.get("distinct")
            or any(s.find(exp.Window) for s in select.selects)
        )
        if not plain:
            return
        aggregates = [s for s in select.selects if s.find(exp.AggFunc)]
        exact = pushed.exact and not pushed.uses_item_path
        if aggregates:
            if (
                exact
                and len(select.selects) == 1
                and not select.args.get("limit")
                and not select.args.get("offset")
                and _is_count_star(select.selects[0], schema)
            ):
                ref.count_only = True
                self.count_rewrites.append(select)
            return
        order = select.args.get("order")
        sort_exact = True
        if order is not None:
            sort_exact = self._sort(order, ref, select)
        limit_node = select.args.get("limit")
        offset_node = select.args.get("offset")
        limit = _int_of(limit_node.expression if limit_node is not None else None)
        offset = _int_of(offset_node.expression if offset_node is not None else None) or 0
        if limit is None or not exact or not sort_exact or pushed.uses_item_path:
            if limit is not None:
                ref.notes.append(
                    "LIMIT is applied by DuckDB: "
                    + (
                        "not every predicate is pushed exactly"
                        if not exact
                        else "the ORDER BY cannot be done by the API"
                    )
                )
            return
        requests = _product(pushed.dimensions)
        if len(requests) <= 1:
            # the fetched table holds exactly the rows [offset, offset + limit): DuckDB keeps the
            # LIMIT (and the ORDER BY) but must not apply the OFFSET a second time
            ref.limit, ref.offset = limit, offset
            if offset:
                self.offset_rewrites.append(select)
        else:
            ref.limit = limit + offset  # each request's first rows; DuckDB picks the final ones

    def _sort(self, order: exp.Order, ref: _Ref, select: exp.Select) -> bool:
        """Push ORDER BY as Sort; True when the API's order gives SQL's first rows."""
        terms = order.expressions
        first = terms[0]
        column = first.this
        if not isinstance(column, exp.Column):
            return False
        if not column.table and _shadowed_by_alias(select, column.name):
            return False  # ORDER BY names an output alias (SELECT ID AS CreatedAt ... ORDER BY CreatedAt)
        key = ref.schema.sort_key(column.name)
        if key is None:
            return False
        desc = bool(first.args.get("desc"))
        if desc and not key.desc_allowed:
            ref.notes.append(f"the API cannot sort {key.column} descending: DuckDB sorts")
            return False
        ref.sort = f"{key.column} DESC" if desc else key.column
        real = ref.schema.column(key.column)
        is_key = ref.schema.key is not None and ref.schema.key.lower() == key.column.lower()
        # NULLs and text collation may order differently on the API: then only DuckDB's order counts
        # the creation timestamp is always set (no "" to sort), unlike other timestamps
        always_set = real is not None and (
            not real.nullable
            or (
                ref.schema.created_column is not None
                and real.name.lower() == ref.schema.created_column.lower()
            )
        )
        safe = is_key or (always_set and real is not None and real.type is not SqlType.VARCHAR)
        if len(terms) > 1 and not is_key:
            safe = False
        return safe

    # -- step 7: fetches and residual SQL ------------------------------------------------------

    def _fetches(self) -> tuple[ApiFetch, ...]:
        fetches: list[ApiFetch] = list(self.extra_fetches)
        projections = _projections(self.tree, self.refs)
        for ref in self.refs:
            keys = ref.keys
            if keys is not None and not keys.key_sql:
                keys = self._key_sql(ref, keys)
            params = list(ref.pushed.params)
            if ref.sort and not ref.count_only:
                params.append(QueryParam("Sort", ref.sort))
            requests: list[ApiRequest] = []
            if not ref.pushed.contradiction:
                for combo in _product(ref.pushed.dimensions):
                    requests.append(_request(ref.schema, params, combo))
                if keys is not None and keys.target_placeholder == "id" and ref.schema.item_path:
                    requests = [
                        ApiRequest(ref.schema.item_path, r.params, r.fills, item=True)
                        for r in requests
                    ]
            predicates = tuple(ref.pushed.predicates) + tuple(ref.extra_predicates)
            fetches.append(
                ApiFetch(
                    name=ref.name,
                    schema=ref.schema,
                    alias=ref.alias,
                    requests=tuple(requests),
                    predicates=predicates,
                    keys=keys,
                    limit=ref.limit,
                    offset=ref.offset,
                    count_only=ref.count_only,
                    contradiction=ref.pushed.contradiction,
                    notes=tuple(ref.notes),
                    columns=projections[id(ref)],
                )
            )
        return _order(fetches)

    def _key_sql(self, ref: _Ref, keys: KeySource) -> KeySource:
        """SELECT DISTINCT driver.key FROM <driver rows> WHERE <driver's own conjuncts>."""
        driver_alias, driver_column = keys.source.rsplit(".", 1)
        driver = ref.key_driver
        if driver is not None:
            table = exp.table_(driver.name).as_(driver_alias, quoted=True)
            conjuncts = [c.copy() for c in driver.conjuncts]
            source_fetch: str | None = driver.name
        else:
            node = self._local_node(driver_alias)
            table = node.copy()
            conjuncts = self._local_conjuncts.get(driver_alias.lower(), [])
            source_fetch = None
        column = exp.column(driver_column, table=driver_alias, quoted=True)
        query = exp.select(column).distinct().from_(table)
        condition = (
            exp.and_(*conjuncts, column.copy().is_(exp.null()).not_())
            if conjuncts
            else column.copy().is_(exp.null()).not_()
        )
        query = query.where(condition)
        return replace(keys, key_sql=query.sql(DIALECT), source_fetch=source_fetch)

    def _local_node(self, alias: str) -> exp.Table:
        for table in self.tree.find_all(exp.Table):
            if table.alias_or_name.lower() == alias.lower() and id(table) not in {
                id(r.node) for r in self.refs
            }:
                return table
        raise ProgrammingError(f"Cannot find the local table {alias!r} of a join.")

    def _residual(self) -> str:
        for select in self.count_rewrites:
            output = select.selects[0]
            name = output.alias if isinstance(output, exp.Alias) else _duckdb_name(output)
            total = exp.cast(
                exp.func(
                    "COALESCE",
                    exp.func("SUM", exp.column("__count", quoted=True)),
                    exp.Literal.number(0),
                ),
                exp.DataType.build("BIGINT"),
            )
            select.set("expressions", [exp.alias_(total, name, quoted=True)])
            select.set("where", None)
        for select in self.offset_rewrites:
            select.set("offset", None)
        for ref in self.refs:
            alias = ref.node.args.get("alias")
            replacement = exp.table_(ref.name)
            if alias is not None:
                replacement.set("alias", alias.copy())
            else:
                replacement.set("alias", exp.TableAlias(this=exp.to_identifier(ref.node.name)))
            ref.node.replace(replacement)
        return self.tree.sql(DIALECT)


# -- helpers ---------------------------------------------------------------------------------


def _projections(tree: exp.Expr, refs: Sequence[_Ref]) -> dict[int, tuple[str, ...] | None]:
    """Per table reference (by ``id``): the columns the statement reads from it, or None: all.

    Over-inclusive by design, never under: a column is counted when a column expression names
    it qualified by the reference's alias, or unqualified (whatever table it belongs to), or as
    the head of a struct access (``Headers.From``). ``*`` and ``t.*`` in a SELECT list read every
    column of the tables they cover; a star anywhere else (except ``COUNT(*)``), a join with
    USING or NATURAL, or the alias used as a value (``SELECT c FROM Contact c``) reads every
    column too. A column missed here would be a DuckDB binder error, not a wrong answer.
    """
    by_alias: dict[str, list[_Ref]] = {}
    for ref in refs:
        by_alias.setdefault(ref.alias.lower(), []).append(ref)
    everything: set[int] = set()
    used: dict[int, set[str]] = {id(ref): set() for ref in refs}
    columns_of = {id(ref): {c.lower(): c for c in fetched_columns(ref.schema)} for ref in refs}

    def read_all(found: Sequence[_Ref]) -> None:
        everything.update(id(r) for r in found)

    if any(
        join.args.get("using") or join.args.get("method") or (join.kind or "").upper() == "NATURAL"
        for join in tree.find_all(exp.Join)
    ) or any(tree.find_all(exp.Columns, exp.PositionalColumn)):
        return {id(ref): None for ref in refs}  # columns chosen by position, pattern or name match
    for star in tree.find_all(exp.Star):
        parent = star.parent
        if isinstance(parent, exp.Count):
            continue
        if isinstance(parent, exp.Column) and parent.parent is not None:
            holder = parent.parent
            alias = parent.table.lower()
            if isinstance(holder, exp.Select) and parent in holder.expressions:
                read_all(by_alias.get(alias, []))
                continue
        elif isinstance(parent, exp.Select) and star in parent.expressions:
            read_all([r for r in refs if r.node.find_ancestor(exp.Select) is parent])
            continue
        return {id(ref): None for ref in refs}
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        parts = [p.name for p in column.parts]
        name = parts[-1]
        qualifiers = [p.lower() for p in parts[:-1]]
        if not qualifiers:
            read_all(by_alias.get(name.lower(), []))  # the alias as a value: a struct of the row
            targets: Sequence[_Ref] = refs
            wanted = [name]
        elif qualifiers[-1] in by_alias:
            targets, wanted = by_alias[qualifiers[-1]], [name]
        elif len(qualifiers) >= 2 and qualifiers[-2] in by_alias:
            targets, wanted = by_alias[qualifiers[-2]], [parts[-2]]  # alias.column.field
        else:
            targets, wanted = refs, [parts[0], name]  # column.field, or another table's column
        for ref in targets:
            known = columns_of[id(ref)]
            used[id(ref)].update(known[w.lower()] for w in wanted if w.lower() in known)
    result: dict[int, tuple[str, ...] | None] = {}
    for ref in refs:
        if id(ref) in everything:
            result[id(ref)] = None
        else:
            order = fetched_columns(ref.schema)
            result[id(ref)] = tuple(c for c in order if c in used[id(ref)])
    return result


def _restrictions(select: exp.Select) -> list[_Restriction]:
    """The conjuncts of WHERE and of the joins' ON that may narrow a source's rows.

    A WHERE conjunct, or one of an inner or cross join's ON, narrows every source; one of a LEFT
    JOIN's ON narrows only the joined (right) side. Other outer joins narrow nothing.
    """
    where = select.args.get("where")
    found = [_Restriction(c, None) for c in split_conjuncts(where.this if where else None)]
    for join in select.args.get("joins") or []:
        on = join.args.get("on")
        if on is None:
            continue
        side = (join.side or "").upper()
        kind = (join.kind or "").upper()
        right = (
            join.this.alias_or_name.lower()
            if isinstance(join.this, (exp.Table, exp.Subquery))
            else ""
        )
        restricts: frozenset[str] | None
        if side == "" and kind in ("", "INNER", "CROSS"):
            restricts = None
        elif side == "LEFT" and kind in ("", "OUTER"):
            restricts = frozenset({right})
        else:
            continue
        found.extend(_Restriction(c, restricts) for c in split_conjuncts(on))
    return found


def _hide_pseudo_columns(select: exp.Select, mailjet_sources: Sequence[_Source]) -> None:
    """``*`` and ``t.*`` leave out the filter-only pseudo-columns of Mailjet tables.

    As SQLite hides a virtual table's HIDDEN columns: a pseudo-column (``Contact.ContactsList``)
    only carries a filter into the request, so it is NULL unless filtered on and is no data of
    the row; it stays selectable by name. DuckDB's ``EXCLUDE`` leaves it out.
    """
    hidden = {
        source.alias.lower(): (source.alias, _pseudo_only(source.ref.schema))
        for source in mailjet_sources
        if source.ref is not None and _pseudo_only(source.ref.schema)
    }
    if not hidden:
        return
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            excluded = [
                exp.column(name, table=alias, quoted=True)
                for alias, names in hidden.values()
                for name in names
            ]
            _exclude(projection, excluded)
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            found = hidden.get(projection.table.lower())
            if found is not None:
                _exclude(projection.this, [exp.column(name, quoted=True) for name in found[1]])


def _pseudo_only(schema: ObjectSchema) -> tuple[str, ...]:
    """The pseudo-columns of a table that are not also real columns."""
    real = {c.lower() for c in schema.column_names}
    return tuple(p.name for p in schema.pseudo_columns if p.name.lower() not in real)


def _exclude(star: exp.Star, columns: list[exp.Column]) -> None:
    """Add ``columns`` to the star's ``EXCLUDE`` list, leaving out names it already excludes."""
    present = list(star.args.get("except_") or [])
    named = {c.name.lower() for c in present if isinstance(c, exp.Column)}
    present.extend(c for c in columns if c.name.lower() not in named)
    star.set("except_", present)


def _named_selects(query: exp.Expr) -> tuple[str, ...] | None:
    """The output column names of a subquery or CTE, or None when it selects ``*``."""
    if not isinstance(query, exp.Query):
        return None
    if any(
        isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
        for s in query.selects
    ):
        return None
    return tuple(query.named_selects)


def _changed_table(tree: exp.Expr) -> exp.Table | None:
    """The table a statement creates, drops or writes to (never a Mailjet table here)."""
    if isinstance(tree, (exp.Create, exp.Insert, exp.Update, exp.Delete, exp.Drop)):
        target = tree.this
        if isinstance(target, exp.Schema):
            target = target.this
        return target if isinstance(target, exp.Table) else None
    return None


def _refuse_ddl_on_mailjet(tree: exp.Expr, catalog: CatalogLike) -> None:
    """DROP, ALTER, TRUNCATE and COMMENT change local tables only; on a Mailjet object they are
    refused by name (DuckDB would otherwise act on the statement's scratch copy of its rows)."""
    if not isinstance(tree, (exp.Drop, exp.Alter, exp.TruncateTable, exp.Comment)):
        return
    for table in tree.find_all(exp.Table):
        schema = None if table.args.get("db") else catalog.find(table.name)
        if schema is not None:
            verb = tree.key.upper().replace("TRUNCATETABLE", "TRUNCATE")
            raise NotSupportedError(
                f"{schema.name} is a Mailjet object: {verb} cannot change it ({verb} works on "
                "local tables only). Its rows change with INSERT, UPDATE and DELETE as its rules "
                f"allow: DESCRIBE {schema.name} shows them."
            )


def _has_parent_value(ref: _Ref) -> bool:
    parent = ref.schema.parent
    return parent is not None and (
        parent.column.lower() in {c.lower() for c in ref.pushed.constrained_columns}
        or bool(ref.pushed.contradiction)
    )


def _parent_refusal(schema: ObjectSchema, bound: int) -> str:
    parent = schema.parent
    assert parent is not None
    beyond = f" (mjquery reads at most {bound} {parent.table} rows to fan out)" if bound else ""
    return (
        f"{schema.name} needs {parent.column}: add WHERE {parent.column} = ... "
        f"(or join {parent.table} with a filter){beyond}."
    )


def _depends_on(ref: _Ref, other: _Ref) -> bool:
    """Whether ``ref``'s keys come, directly or through other fetches, from ``other``."""
    seen: _Ref | None = ref
    while seen is not None:
        if seen is other:
            return True
        seen = seen.key_driver
    return False


def _is_count_star(node: exp.Expr, schema: ObjectSchema) -> bool:
    if isinstance(node, exp.Alias):
        node = node.this
    if not isinstance(node, exp.Count) or node.args.get("distinct"):
        return False
    arg = node.this
    if arg is None or isinstance(arg, exp.Star):
        return True
    if isinstance(arg, exp.Column) and schema.key and arg.name.lower() == schema.key.lower():
        column = schema.column(arg.name)
        return column is not None and not column.nullable
    return False


def _shadowed_by_alias(select: exp.Select, name: str) -> bool:
    """True when an output column is called ``name`` but is not the table column ``name``."""
    for output in select.selects:
        if isinstance(output, exp.Alias) and output.alias.lower() == name.lower():
            inner = output.this
            if not (isinstance(inner, exp.Column) and inner.name.lower() == name.lower()):
                return True
    return False


def _duckdb_name(node: exp.Expr) -> str:
    """The column name DuckDB gives an unaliased select expression (for COUNT rewrites)."""
    if isinstance(node, exp.Count) and (node.this is None or isinstance(node.this, exp.Star)):
        return "count_star()"
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Column):
        return f"count({node.this.name})"
    return node.sql(DIALECT)


def _int_of(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _product(dimensions: Sequence[Dimension]) -> list[tuple[Alternative, ...]]:
    return list(itertools.product(*(d.alternatives for d in dimensions))) if dimensions else [()]


def _request(
    schema: ObjectSchema, params: list[QueryParam], combo: tuple[Alternative, ...]
) -> ApiRequest:
    path = schema.path
    all_params = list(params)
    fills: list[ColumnFill] = []
    item = False
    for alternative in combo:
        all_params.extend(alternative.params)
        fills.extend(alternative.fills)
        for segment in alternative.path_values:
            path = path.replace("{" + segment.placeholder + "}", segment.value)
        if alternative.item_id is not None and schema.item_path:
            path = re.sub(r"\{[^{}]+\}", alternative.item_id, schema.item_path)
            item = True
    if item:
        # an item GET takes no filters: DuckDB re-checks them (they stay in the residual SQL)
        all_params = []
    # parameters the schema sends with every request (message ShowSubject=true, ...): without
    # them the API leaves those columns empty
    all_params += [QueryParam(fixed.name, fixed.value) for fixed in schema.fixed_params]
    return ApiRequest(path, tuple(all_params), tuple(fills), item=item)


def _order(fetches: list[ApiFetch]) -> tuple[ApiFetch, ...]:
    """Fetches in an order where every key source runs before the fetch that needs its keys."""
    done: list[ApiFetch] = []
    names: set[str] = set()
    pending = list(fetches)
    while pending:
        for fetch in pending:
            needed = fetch.keys.source_fetch if fetch.keys is not None else None
            if needed is None or needed in names:
                done.append(fetch)
                names.add(fetch.name)
                pending.remove(fetch)
                break
        else:  # pragma: no cover - cycles are prevented when dependencies are chosen
            done.extend(pending)
            break
    return tuple(done)
