"""The engine: runs a QueryPlan (API fetches into DuckDB, then the residual SQL) and write plans."""
