"""Smoke test of the DataFrame benchmark: its five ways of reading a DataFrame read the same data.

It checks the benchmark's methods, not their speed (that is bench/bench_dataframes.py's job):
against the sandbox HTTP server, the dialect, the raw DB-API connection, ``fetchall``,
``fetch_df`` and ``fetch_arrow_table`` give equal frames, and the report renders its goals.
"""

from __future__ import annotations

import pytest

from bench import bench_dataframes
from bench.frame_child import METHODS, reader
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxServer

SQL = (
    "SELECT ID, Email, CreatedAt, IsExcludedFromCampaigns, DeliveredCount FROM Contact ORDER BY ID"
)


@pytest.mark.server
def test_every_method_reads_the_same_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", DEMO_API_KEY)
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", DEMO_API_SECRET)
    with SandboxServer(Sandbox(seed=3, scale=0.2), host="127.0.0.1", port=0) as server:
        frames = {}
        for method in METHODS:
            way = reader(method, server.url)
            try:
                done = way.read(SQL)
            finally:
                way.close()
            assert (done.fetch_s is None) == (method in ("sqlalchemy", "dbapi"))
            frames[method] = done.frame
    expected = frames["dbapi"]
    assert len(expected) == 400
    for method, frame in frames.items():
        assert list(frame.columns) == list(expected.columns), method
        for column in expected.columns:
            assert frame[column].tolist() == expected[column].tolist(), (method, column)


def test_report_states_the_goals() -> None:
    def measured(method: str, warm: float, client: float, gc: float) -> bench_dataframes.Measured:
        return bench_dataframes.Measured(
            method, 100, 18, warm * 2, warm, None, warm - client, client, gc, 300.0, 120.0
        )

    results = {
        "sqlalchemy": measured("sqlalchemy", 1.05, 0.55, 0.05),
        "dbapi": measured("dbapi", 1.0, 0.5, 0.0),
        "fetchall": measured("fetchall", 0.9, 0.4, 0.0),
        "fetch_df": measured("fetch_df", 0.6, 0.1, 0.0),
        "fetch_arrow": measured("fetch_arrow", 0.55, 0.05, 0.0),
    }
    text = bench_dataframes.report(results, 50, 4, 3, "python bench/bench_dataframes.py")
    assert "adds +5.0% to a warm `pandas.read_sql`" in text and "at most +10%: met" in text
    assert "(+10.0% on the client side" in text
    assert (
        "is 1.8x faster than `pandas.read_sql` row by row end to end (warm), and 10.0x on the"
        in text
    )
    assert "NOT met end to end, met on the client side" in text
    assert "Of its extra +0.050 s on the client side, +0.050 s is garbage collection" in text


def test_a_read_is_split_into_statement_client_side_and_collection() -> None:
    """The child's clock charges Cursor.execute to the statement, the rest to the client side."""
    import mjquery
    from bench.frame_child import Clock

    clock = Clock()
    clock.install()
    try:
        with mjquery.connect(demo=True) as conn:
            cursor = conn.cursor()
            clock.reset()
            cursor.execute("SELECT ID FROM List")
            assert clock.statement_s > 0
            spent = clock.statement_s
            cursor.fetchall()
            assert clock.statement_s == spent  # fetching is the client side
    finally:
        clock.uninstall()
