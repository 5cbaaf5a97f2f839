"""The engine: runs a QueryPlan (API fetches into DuckDB, then the residual SQL).

engine = Engine(catalog, api_client)
result = engine.execute("SELECT Email FROM Contact WHERE ContactsList = ?", [7])
result.columns, result.rows, result.stats      # StatementStats(requests, cache_hits, elapsed_s, rows)
"""

from mjquery.engine.executor import (
    Engine,
    FrameKind,
    Result,
    ResultColumn,
    RowStream,
    StatementStats,
)

__all__ = ["Engine", "FrameKind", "Result", "ResultColumn", "RowStream", "StatementStats"]
