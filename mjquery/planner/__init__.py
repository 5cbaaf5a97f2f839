"""The planner: the only code that imports sqlglot. SQL text -> typed plan.

from mjquery.planner import plan_statement, LocalTables
plan = plan_statement("SELECT * FROM Contact WHERE ContactsList = 7", None, catalog)
# one typed Statement: QueryPlan, DmlStatement, CopyStatement, LocalStatement, ExplainPlan, ...
plan.fetches[0].requests   # (ApiRequest('/v3/REST/contact', (QueryParam('ContactsList', '7'),), ...),)
plan.residual_sql          # 'SELECT * FROM mj_0_contact AS Contact WHERE ContactsList = 7'

The typed plans (:mod:`mjquery.planner.model`) import no parser; the functions that parse and
plan load sqlglot on first use, so a statement that never needs it (``SELECT 1``, see
:mod:`mjquery.planner.shortcut`) does not pay for importing it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mjquery.planner.model import (
    ApiFetch,
    ApiRequest,
    ColumnFill,
    CopyStatement,
    CreateView,
    DescribeTable,
    DmlStatement,
    DropView,
    ExplainPlan,
    KeySource,
    LocalStatement,
    LocalTables,
    OverLimit,
    PlannerOptions,
    Predicate,
    Pushdown,
    QueryParam,
    QueryPlan,
    ResultKind,
    SetLiteral,
    ShowTables,
    Statement,
    StatementClass,
    StatementKind,
)

if TYPE_CHECKING:
    from mjquery.planner.explain import explain_lines, explain_statement
    from mjquery.planner.router import classify, plan_statement, route

# Loaded on first use: each imports sqlglot.
_LAZY = {
    "explain_lines": "mjquery.planner.explain",
    "explain_statement": "mjquery.planner.explain",
    "classify": "mjquery.planner.router",
    "plan_statement": "mjquery.planner.router",
    "route": "mjquery.planner.router",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mjquery.planner' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ApiFetch",
    "ApiRequest",
    "ColumnFill",
    "CopyStatement",
    "CreateView",
    "DescribeTable",
    "DmlStatement",
    "DropView",
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
    "StatementClass",
    "StatementKind",
    "classify",
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
