"""The SQL words the shell completes and highlights, taken from the libraries, not a hand-kept list.

Keywords come from the planner (sqlglot's tokenizer, since the planner is the only code that
imports sqlglot) and from DuckDB's ``duckdb_keywords()``; function names
come from DuckDB's ``duckdb_functions()``, which is what the residual SQL runs on.
"""

from __future__ import annotations

import functools
import re

_WORDS = re.compile(r"[A-Z][A-Z_ ]*[A-Z]|[A-Z]")


@functools.lru_cache(maxsize=1)
def sql_keywords() -> tuple[str, ...]:
    """Upper-case SQL keywords, multi-word ones included (``ORDER BY``), sorted."""
    words: set[str] = set()
    # Imported here: sqlglot loads only when the shell first needs its keywords.
    from mjquery.planner import sql_keywords as planner_keywords

    words.update(w.upper() for w in planner_keywords())
    words.update(_duckdb_keywords())
    return tuple(sorted(w for w in words if _WORDS.fullmatch(w)))


def _duckdb_keywords() -> set[str]:
    import duckdb

    with duckdb.connect() as db:
        rows = db.execute("SELECT keyword_name FROM duckdb_keywords()").fetchall()
    words = {str(r[0]).upper() for r in rows}
    # DuckDB lists single words; the clause openers people type as pairs complete better whole.
    words.update(f"{a} BY" for a in ("ORDER", "GROUP", "PARTITION") if a in words)
    words.update(f"{a} JOIN" for a in ("LEFT", "RIGHT", "INNER", "FULL", "CROSS") if a in words)
    return words


@functools.lru_cache(maxsize=1)
def sql_functions() -> tuple[str, ...]:
    """DuckDB's function and macro names (scalar, aggregate, table), lower-case, sorted."""
    import duckdb

    with duckdb.connect() as db:
        rows = db.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'aggregate', 'table', 'macro', 'table_macro')"
        ).fetchall()
    return tuple(sorted({str(r[0]) for r in rows if re.fullmatch(r"[a-z][a-z0-9_]*", str(r[0]))}))


@functools.lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """DuckDB's reserved keywords, upper-case: a name spelled like one must be quoted."""
    import duckdb

    with duckdb.connect() as db:
        rows = db.execute(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
        ).fetchall()
    return frozenset(str(r[0]).upper() for r in rows)
