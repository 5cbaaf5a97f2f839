"""The statement router: SQL text in, one typed :data:`~mjquery.planner.model.Statement` out.

The text is parsed once (:func:`mjquery.planner.parse.parse`) and what kind of statement it is
comes from its syntax tree, never from matching the text:

=====================================================  ==========================================
syntax tree                                            statement
=====================================================  ==========================================
``EXPLAIN <statement>``                                :class:`ExplainPlan` of the inner statement
``SHOW TABLES``                                        :class:`ShowTables`
``DESCRIBE <Mailjet table>``                           :class:`DescribeTable`
``INSERT`` / ``UPDATE`` / ``DELETE`` on a Mailjet      :class:`DmlStatement` (the write path)
table
``COPY (SELECT ...) TO 'file'``                        :class:`CopyStatement`
anything reading a Mailjet table                       :class:`QueryPlan` (:mod:`.planner`)
anything else                                          :class:`LocalStatement` (DuckDB, as written)
=====================================================  ==========================================

``EXPLAIN ANALYZE``, ``COPY ... FROM`` and every statement on local tables only go to DuckDB
unchanged. Replication and sync have library and command-line forms, no SQL form; a SQL form
would be one more case here and one more member of the union.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlglot import exp

from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.planner.dml import plan_copy, plan_write, write_target
from mjquery.planner.model import (
    CopyStatement,
    DescribeTable,
    DmlStatement,
    ExplainPlan,
    LocalStatement,
    LocalTables,
    PlannerOptions,
    QueryPlan,
    ResultKind,
    ShowTables,
    Statement,
    StatementClass,
    StatementKind,
)
from mjquery.planner.parse import DIALECT, deep_enough, parse
from mjquery.planner.planner import plan_query, unknown_table
from mjquery.planner.views import expand_views, plan_create_view, plan_drop_view
from mjquery.schema.catalog import CatalogLike
from mjquery.schema.model import ObjectSchema

# Statements that change the database's shape or the session and hand back neither rows nor a
# count (DuckDB answers them with one "Success" column and no row).
_NO_RESULT = (
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Attach,
    exp.Detach,
    exp.Use,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Install,
)
# Raw commands sqlglot keeps as text; of those DuckDB runs, only these give rows.
_COMMANDS_WITH_ROWS = frozenset({"CALL", "EXPLAIN", "FROM", "PIVOT", "UNPIVOT"})


def plan_statement(
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables | None = None,
    options: PlannerOptions | None = None,
    prefix: str = "mj",
) -> Statement:
    """Plan one SQL statement. ``prefix`` makes the fetched tables' names unique per execution."""
    return route(parse(sql), sql, params, catalog, local, options, prefix)


@deep_enough()
def route(
    tree: exp.Expr,
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables | None = None,
    options: PlannerOptions | None = None,
    prefix: str = "mj",
) -> Statement:
    """The statement ``tree`` (parsed from ``sql``) is, with ``params`` bound where needed."""
    local = local or LocalTables()
    options = options or PlannerOptions()
    if isinstance(tree, exp.Command) and tree.name.upper() == "EXPLAIN":
        return _explain(tree, sql, params, catalog, local, options, prefix)
    if isinstance(tree, exp.Show) and tree.name.upper() == "TABLES" and not tree.args.get("from_"):
        return ShowTables()
    if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "VIEW":
        created = plan_create_view(tree, params, catalog, local)
        if created is not None:
            # the query must plan now (unknown tables and columns are refused at CREATE)
            plan_query(
                expand_views(parse(created.query_sql).copy(), local),
                created.query_sql,
                None,
                catalog,
                local,
                options,
                prefix,
                ResultKind.ROWS,
            )
            return created
    if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "VIEW":
        dropped = plan_drop_view(tree, local)
        if dropped is not None:
            return dropped
    if local.views:
        tree, sql = _with_views(tree, sql, local)
    if isinstance(tree, exp.Describe):
        return _describe(tree, sql, params, catalog, local, options, prefix)
    shown = _shown_table(tree, catalog)
    if shown is not None:
        return DescribeTable(shown)  # DuckDB's SHOW <table> is its DESCRIBE <table>
    if isinstance(tree, exp.Summarize) and _mailjet_table(tree.this, catalog) is not None:
        # SUMMARIZE <table> reads the whole table: the query that does, summarised
        whole = exp.select("*").from_(tree.this.copy())
        tree = exp.Summarize(this=whole, table=tree.args.get("table"))
        sql = tree.sql(dialect=DIALECT)
    if isinstance(tree, exp.Copy) and not tree.args.get("kind"):
        return plan_copy(tree, params)  # COPY ... TO: "kind" is set for COPY ... FROM
    target = write_target(tree)
    if target is not None and isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
        schema = catalog.find(target.name)
        if schema is not None:
            return plan_write(tree, schema, params)
    return plan_query(tree, sql, params, catalog, local, options, prefix, result_kind(tree))


def classify(sql: str) -> StatementClass:
    """What one statement does, from its syntax tree (the same parse the engine runs; a syntax
    error is raised here as it would be there)."""
    tree = parse(sql)
    if isinstance(tree, exp.Delete):
        return StatementClass(StatementKind.DELETE, bool(tree.args.get("where")))
    if isinstance(tree, exp.Update):
        return StatementClass(StatementKind.UPDATE, bool(tree.args.get("where")))
    if isinstance(tree, exp.Insert):
        return StatementClass(StatementKind.INSERT)
    if result_kind(tree) is ResultKind.ROWS and not isinstance(tree, exp.Merge):
        return StatementClass(StatementKind.QUERY)
    return StatementClass(StatementKind.OTHER)


def result_kind(tree: exp.Expr) -> ResultKind:
    """What DuckDB hands back for the statement ``tree``: rows, a count, or nothing."""
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return ResultKind.ROWS if tree.args.get("returning") else ResultKind.ROWCOUNT
    if isinstance(tree, exp.Copy):
        return ResultKind.ROWCOUNT  # COPY ... FROM: the rows loaded
    if isinstance(tree, _NO_RESULT):
        return ResultKind.NOTHING
    if isinstance(tree, exp.Command):
        return ResultKind.ROWS if tree.name.upper() in _COMMANDS_WITH_ROWS else ResultKind.NOTHING
    if isinstance(tree, exp.Column):
        return ResultKind.NOTHING  # a bare keyword: CHECKPOINT
    return ResultKind.ROWS


def _explain(
    tree: exp.Command,
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables,
    options: PlannerOptions,
    prefix: str,
) -> Statement:
    """``EXPLAIN <statement>``: sqlglot keeps the rest of the text; that text is parsed once."""
    rest = tree.expression
    text = rest.name if isinstance(rest, exp.Expr) else str(rest or "")
    first_word = text.split(None, 1)[0].upper() if text.strip() else ""
    if first_word in ("ANALYZE", "ANALYSE"):
        # EXPLAIN ANALYZE runs the statement: DuckDB's own, on local tables
        return LocalStatement(sql, tuple(params or ()), ResultKind.ROWS)
    if not first_word:
        raise ProgrammingError("EXPLAIN needs a statement to explain: EXPLAIN SELECT ...")
    inner = route(parse(text), text, params, catalog, local, options, prefix)
    return explain(inner, catalog, local, options, prefix)


def explain(
    statement: Statement,
    catalog: CatalogLike,
    local: LocalTables | None = None,
    options: PlannerOptions | None = None,
    prefix: str = "mj",
) -> ExplainPlan:
    """What ``EXPLAIN`` shows for ``statement``: a query's plan; for a write or a COPY, the plan
    of the query that finds its rows."""
    match statement:
        case QueryPlan():
            return ExplainPlan(statement)
        case LocalStatement():
            return ExplainPlan(QueryPlan(statement.sql, (), statement.sql, statement.result))
        case DmlStatement(source_sql=str(source)) | CopyStatement(source_sql=source):
            found = plan_statement(source, None, catalog, local, options, prefix)
            if not isinstance(found, QueryPlan):
                found = QueryPlan(source, (), source)
            return ExplainPlan(found, statement)
        case DmlStatement():
            return ExplainPlan(QueryPlan("", (), ""), statement)
        case _:
            raise ProgrammingError(
                "EXPLAIN works on SELECT and other statements, not on SHOW, DESCRIBE or EXPLAIN."
            )


def _with_views(tree: exp.Expr, sql: str, local: LocalTables) -> tuple[exp.Expr, str]:
    """The statement with its views over Mailjet tables read as their queries."""
    target = write_target(tree)
    if target is not None and local.find_view(target.name) is not None:
        raise NotSupportedError(
            f"{target.name} is a view over Mailjet tables: write to the tables it reads."
        )
    if (
        isinstance(tree, exp.Describe)
        and isinstance(tree.this, exp.Table)
        and local.find_view(tree.this.name) is not None
    ):
        tree = exp.Describe(this=exp.select("*").from_(tree.this.copy()))
    if isinstance(tree, exp.Drop):
        return tree, sql  # DROP TABLE names what it drops: nothing to read
    expanded = tree.copy()
    if isinstance(expanded, exp.Create):
        # CREATE TABLE t AS <query>: the query reads the views, the name is the new table's
        if isinstance(expanded.expression, exp.Query):
            expanded.set("expression", expand_views(expanded.expression, local))
    else:
        expanded = expand_views(expanded, local)
    if expanded == tree:
        return tree, sql
    return expanded, expanded.sql(dialect=DIALECT)


def _mailjet_table(node: exp.Expr | None, catalog: CatalogLike) -> ObjectSchema | None:
    """The Mailjet object ``node`` names, when it is a plain table name."""
    if isinstance(node, exp.Table) and not node.args.get("db"):
        found: ObjectSchema | None = catalog.find(node.name)
        return found
    return None


def _shown_table(tree: exp.Expr, catalog: CatalogLike) -> ObjectSchema | None:
    """The Mailjet object of ``SHOW <table>`` (sqlglot keeps that SHOW as text)."""
    if not (isinstance(tree, exp.Command) and tree.name.upper() == "SHOW"):
        return None
    rest = tree.expression
    text = (rest.name if isinstance(rest, exp.Expr) else str(rest or "")).strip()
    if text.startswith('"') and text.endswith('"') and len(text) > 1:
        text = text[1:-1].replace('""', '"')
    found: ObjectSchema | None = catalog.find(text) if text else None
    return found


def _describe(
    tree: exp.Describe,
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    local: LocalTables,
    options: PlannerOptions,
    prefix: str,
) -> Statement:
    target = tree.this
    if isinstance(target, exp.Table) and not target.args.get("db"):
        schema = catalog.find(target.name)
        if schema is not None:
            return DescribeTable(schema)
        if local.find(target.name) is None:
            raise unknown_table(target.name, catalog, local)
    elif isinstance(target, exp.Query):
        # DESCRIBE <query>: its columns need no rows, so its Mailjet tables are loaded empty
        # (no request) and DuckDB describes the query over them
        inner = plan_query(
            target,
            target.sql(dialect=DIALECT),
            params,
            catalog,
            local,
            options,
            prefix,
            ResultKind.ROWS,
        )
        if isinstance(inner, QueryPlan):
            fetches = tuple(
                replace(f, contradiction="DESCRIBE reads no rows", keys=None) for f in inner.fetches
            )
            return QueryPlan(sql, fetches, "DESCRIBE " + inner.residual_sql, ResultKind.ROWS)
    return LocalStatement(sql, tuple(params or ()), ResultKind.ROWS)
