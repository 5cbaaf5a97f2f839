"""The planner: the only code that imports sqlglot. SQL text -> typed plan.

from mjquery.planner import plan_statement, LocalTables
plan = plan_statement("SELECT * FROM Contact WHERE ContactsList = 7", None, catalog)
# one typed Statement: QueryPlan, DmlStatement, CopyStatement, LocalStatement, ExplainPlan, ...
plan.fetches[0].requests   # (ApiRequest('/v3/REST/contact', (QueryParam('ContactsList', '7'),), ...),)
plan.residual_sql          # 'SELECT * FROM mj_0_contact AS Contact WHERE ContactsList = 7'
"""

from mjquery.planner.explain import explain_lines, explain_statement
from mjquery.planner.model import (
    ApiFetch,
    ApiRequest,
    ColumnFill,
    CopyStatement,
    DescribeTable,
    DmlStatement,
    ExplainPlan,
    KeySource,
    LocalStatement,
    OverLimit,
    Predicate,
    Pushdown,
    QueryParam,
    QueryPlan,
    ResultKind,
    SetLiteral,
    ShowTables,
    Statement,
)
from mjquery.planner.planner import LocalTables, PlannerOptions
from mjquery.planner.router import plan_statement, route

__all__ = [
    "ApiFetch",
    "ApiRequest",
    "ColumnFill",
    "CopyStatement",
    "DescribeTable",
    "DmlStatement",
    "ExplainPlan",
    "KeySource",
    "LocalStatement",
    "LocalTables",
    "OverLimit",
    "PlannerOptions",
    "Predicate",
    "Pushdown",
    "QueryParam",
    "QueryPlan",
    "ResultKind",
    "SetLiteral",
    "ShowTables",
    "Statement",
    "explain_lines",
    "explain_statement",
    "plan_statement",
    "route",
    "sql_keywords",
]


def sql_keywords() -> tuple[str, ...]:
    """The SQL keywords of sqlglot's DuckDB tokenizer (the dialect mjquery parses), upper case,
    multi-word ones included (``ORDER BY``), sorted; operators and symbols are left out. For
    completion in the shell."""
    from sqlglot.dialects.duckdb import DuckDB

    words = {k.upper() for k in DuckDB.Tokenizer.KEYWORDS}
    return tuple(
        sorted(
            w for w in words if w[:1].isalpha() and w.replace(" ", "").replace("_", "").isalnum()
        )
    )
