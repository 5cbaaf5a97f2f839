"""Smoke test of the start-up and scan benchmark's bookkeeping: ratios, floors and the verdicts
its report prints (not speed: the figures here are made up)."""

from __future__ import annotations

from datetime import UTC, datetime

from bench import bench_startup_scan as bench


def started(wall: float, rss: float) -> bench.Started:
    return bench.Started(wall, rss)


def test_report_states_each_goal_from_the_measured_ratios() -> None:
    s = bench.PartS(
        {
            bench.BASELINE: (started(0.10, 40), started(0.12, 40), started(0.11, 40)),
            bench.LOCAL_ONE_LINER: (started(0.20, 70), started(0.25, 70), started(0.21, 70)),
            bench.TABLES: (started(0.15, 40),),
            bench.DEMO_ONE_LINER: (started(0.2, 70),),
            bench.DEMO_QUERY: (started(0.3, 90),),
            bench.DEMO_FIRST: (started(0.9, 90),),
            bench.CONNECT: (started(0.3, 80),),
        }
    )
    scan = bench.Scan
    z = bench.PartZ(
        contacts=100_000,
        messages=1_000_000,
        concurrency=16,
        at_0ms={
            bench.MJQ: (scan(bench.MJQ, 0.5, 62_000, 0.1, 101),),
            bench.LOOP: (scan(bench.LOOP, 0.6, 62_000),),
            bench.LOOP_PANDAS: (scan(bench.LOOP_PANDAS, 0.7, 62_000),),
        },
        at_50ms={
            bench.MJQ: (scan(bench.MJQ, 0.5, 62_000, 0.1, 101),),
            bench.LOOP: (scan(bench.LOOP, 5.9, 62_000),),
            bench.LOOP_PANDAS: (scan(bench.LOOP_PANDAS, 6.0, 62_000),),
        },
        messages_0ms=(scan(bench.MJQ, 10.0, 8),),
        same_rows=True,
    )
    assert z.floor_50ms() == 7 * 0.050  # ceil(101 / 16) rounds of 50 ms
    settings = bench.Settings(quick=True, scale=50, rounds=1, startup_rounds=3)
    text = bench.report(settings, s, z, datetime.now(UTC), 60.0, ("0", "0"))
    assert "| 1.91x (0.210 s vs 0.110 s) | yes |" in text
    assert "| peak RSS of connect() + SELECT 1 at most 100 MB | 80 MB | yes |" in text
    assert "0.83x the loop's time (0.50 s vs 0.60 s) | yes |" in text
    assert z.chained_floor_50ms() == (2 + 7) * 0.050  # first page, count, ceil(99 / 16) rounds
    assert (
        "| same scan at 50 ms within 1.5x of the floor | 1.43x (0.50 s vs 0.35 s); 1.11x the "
        "0.45 s that first page, count and pages in turn take (1.29x the floor) | yes |" in text
    )
    assert "10.0 µs per message" in text
    assert (
        '`mjquery --demo -c "SELECT 1"` 1.82x `python -c "import duckdb"` (nothing built)' in text
    )
    assert (
        "2.73x (account loaded from the cache), 8.18x on first use (built and cached) | yes |"
        in text
    )
