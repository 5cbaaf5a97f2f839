"""Replication: copy Mailjet tables into a database with dlt, incrementally.

    import mjquery
    with mjquery.connect(demo=True) as conn:
        report = mjquery.replicate(conn, to="duckdb:///mailjet.duckdb", tables=["Contact", "List"])
        for table in report.tables:
            print(table.table, table.mode, table.rows_read, table.inserted, table.updated)

The engine reads (pushdown, paging, rate limit) and hands Arrow batches to one dlt resource
per table (:mod:`mjquery.replicate.source`); dlt creates the tables, merges on the primary key,
evolves the schema and commits the watermarks with the rows (:mod:`mjquery.replicate.run`).
Each table's strategy is declared in its schema file (:mod:`mjquery.replicate.plan`).
"""

import sys
import types
from typing import Any

from mjquery.replicate.plan import STRATEGY_LABEL, Replicability, replicability, strategy_text
from mjquery.replicate.run import (
    Progress,
    ReplicationError,
    ReplicationReport,
    TableReport,
    TargetShapeError,
    replicate,
)
from mjquery.replicate.target import DEFAULT_TARGET, Target, parse_target

__all__ = [
    "DEFAULT_TARGET",
    "STRATEGY_LABEL",
    "Progress",
    "Replicability",
    "ReplicationError",
    "ReplicationReport",
    "TableReport",
    "Target",
    "TargetShapeError",
    "parse_target",
    "replicability",
    "replicate",
    "strategy_text",
]


class _CallableModule(types.ModuleType):
    """``mjquery.replicate(conn, ...)`` works although ``mjquery.replicate`` is this package."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReplicationReport:
        return replicate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
