"""The write path depends on the API client and the schemas only: never sqlglot, httpx or the engine."""

from __future__ import annotations

from pathlib import Path

from tests.test_engine_layering import imported_modules

WRITES = Path(__file__).resolve().parent.parent / "mjquery" / "writes"
FORBIDDEN = {
    "sqlglot",
    "httpx",
    "mjquery.planner",
    "mjquery.engine",
    "mjquery.dbapi",
    "mjquery.cli",
}


def test_writes_imports_only_api_and_schema():
    offenders = []
    for path in sorted(WRITES.rglob("*.py")):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN):
                offenders.append(f"{path.name} imports {name}")
            # DuckDB only converts exported rows to Parquet (transfer.py).
            if name == "duckdb" and path.name != "transfer.py":
                offenders.append(f"{path.name} imports duckdb")
    assert offenders == []
