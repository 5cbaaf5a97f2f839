"""The planner: the only code that imports sqlglot. SQL text -> typed plan.

    from mjquery.planner import plan_statement, LocalTables
    plan = plan_statement("SELECT * FROM Contact WHERE ContactsList = 7", None, catalog)
    plan.fetches[0].requests   # (ApiRequest('/v3/REST/contact', (QueryParam('ContactsList', '7'),), ...),)
    plan.residual_sql          # 'SELECT * FROM mj_0_contact AS Contact WHERE ContactsList = 7'
"""

from mjquery.planner.explain import explain_lines
from mjquery.planner.model import (
    ApiFetch, ApiRequest, ColumnFill, DescribeTable, ExplainPlan, KeySource, LocalStatement,
    OverLimit, Predicate, Pushdown, QueryParam, QueryPlan, ShowTables, Statement,
)
from mjquery.planner.planner import LocalTables, PlannerOptions, plan_statement

__all__ = [
    "ApiFetch", "ApiRequest", "ColumnFill", "DescribeTable", "ExplainPlan", "KeySource",
    "LocalStatement", "LocalTables", "OverLimit", "PlannerOptions", "Predicate", "Pushdown",
    "QueryParam", "QueryPlan", "ShowTables", "Statement", "explain_lines", "plan_statement",
    "sql_keywords",
]


def sql_keywords() -> tuple[str, ...]:
    """SQL keywords the parser knows, for completion in the shell."""
    from sqlglot.tokens import Tokenizer

    return tuple(sorted({k.upper() for k in Tokenizer.KEYWORDS if k.replace(" ", "").isalpha()}))
