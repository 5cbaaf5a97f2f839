"""``mjquery.planner.sql_keywords``: the DuckDB dialect's keywords, for the shell's completion."""

from __future__ import annotations

from mjquery.planner import sql_keywords


def test_keywords_are_the_duckdb_dialects_words_without_operators() -> None:
    words = sql_keywords()
    assert {
        "SELECT",
        "ORDER BY",
        "GROUP BY",
        "QUALIFY",
        "SUMMARIZE",
        "ATTACH",
        "PIVOT_WIDER",
    } <= set(words)
    assert list(words) == sorted(set(words))
    assert all(w == w.upper() and w[0].isalpha() for w in words)
    assert not {"**", "//", "::", "<=", "=>"} & set(words)
