"""Views over Mailjet tables: ``CREATE VIEW``, ``DROP VIEW``, and reading them.

A DuckDB view over ``Contact`` could only read the rows fetched for the statement that created
it (they are dropped after it), so a view whose query reads Mailjet tables is kept by mjquery
(:mod:`mjquery.engine.views` stores its query) and every statement naming it reads the query
instead, as a subquery under the view's name: each read fetches current rows, with the pushdown
the view's own WHERE allows. A view reading only local tables stays DuckDB's.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.planner.model import CreateView, DropView, LocalTables
from mjquery.planner.parse import DIALECT, bind_literals, parse
from mjquery.schema.catalog import CatalogLike

#: How deep views may be built on views (a deeper chain is taken for a cycle).
MAX_DEPTH = 16


def expand_views(tree: exp.Expr, local: LocalTables) -> exp.Expr:
    """``tree`` with every table naming a view over Mailjet tables replaced by the view's query
    (a subquery with the table's name or alias), views inside views included."""
    if not local.views:
        return tree
    for _ in range(MAX_DEPTH):
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        found = [
            table
            for table in tree.find_all(exp.Table)
            if not table.args.get("db")
            and table.name.lower() not in ctes
            and local.find_view(table.name) is not None
        ]
        if not found:
            return tree
        for table in found:
            query = parse(local.find_view(table.name) or "").copy()  # parse() shares its trees
            alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            replacement = exp.Subquery(this=query, alias=alias)
            if table is tree:
                return replacement
            table.replace(replacement)
    raise ProgrammingError(
        f"Views over Mailjet tables are nested more than {MAX_DEPTH} deep, or refer to each "
        "other in a cycle: DROP VIEW one of them and create it again."
    )


def reads_mailjet(tree: exp.Expr, catalog: CatalogLike) -> bool:
    """Whether ``tree`` (views expanded) reads a Mailjet table."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return any(
        catalog.find(table.name) is not None
        for table in tree.find_all(exp.Table)
        if not table.args.get("db") and table.name.lower() not in ctes
    )


def plan_create_view(
    tree: exp.Create,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables,
) -> CreateView | None:
    """The :class:`CreateView` of ``CREATE VIEW v AS <query>`` when the query reads Mailjet
    tables (directly or through other such views); None for a view DuckDB can keep itself."""
    query = tree.expression
    if not isinstance(tree.this, exp.Table) or not isinstance(query, exp.Query):
        return None
    name = tree.this.name
    if not reads_mailjet(expand_views(query.copy(), local), catalog):
        if local.find_view(name) is not None:
            raise ProgrammingError(
                f"{name!r} is a view over Mailjet tables: DROP VIEW {name} first, or give the "
                "new view another name."
            )
        return None
    if tree.this.args.get("db"):
        raise NotSupportedError(
            f"A view over Mailjet tables lives in the one schema: CREATE VIEW {name} AS ..."
        )
    if catalog.find(name) is not None:
        raise ProgrammingError(f"{name!r} is a Mailjet table: give the view another name.")
    replace = bool(tree.args.get("replace"))
    if local.find(name) is not None:
        raise ProgrammingError(
            f"{name!r} is already a table or view of the local database: give the view another "
            f"name, or DROP it first."
        )
    bound = bind_literals(query.copy(), params)
    return CreateView(
        name=name,
        query_sql=bound.sql(dialect=DIALECT),
        replace=replace,
        if_not_exists=bool(tree.args.get("exists")),
        temporary=tree.find(exp.TemporaryProperty) is not None,
    )


def plan_drop_view(tree: exp.Drop, local: LocalTables) -> DropView | None:
    """The :class:`DropView` of ``DROP VIEW`` naming views over Mailjet tables; None when it
    names none (DuckDB drops its own views)."""
    tables = [t for t in tree.args.get("expressions") or tree.args.get("tables") or []]
    names = [t.name for t in tables if isinstance(t, exp.Table)]
    ours = [n for n in names if local.find_view(n) is not None]
    if not ours:
        return None
    if len(ours) != len(names):
        raise NotSupportedError(
            "DROP VIEW names views over Mailjet tables and other views at once: drop them in "
            "two statements."
        )
    return DropView(tuple(ours))
