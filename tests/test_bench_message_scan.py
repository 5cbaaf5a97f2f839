"""Bookkeeping of the message-scan comparison: medians, ratios and verdicts (made-up figures)."""

from __future__ import annotations

from datetime import UTC, datetime

from bench import bench_message_scan as bench


def test_report_compares_the_medians_of_both_versions() -> None:
    runs = {
        "abc1234": [bench.Run(10.0, 2.5, 300, 1001), bench.Run(9.0, 2.4, 310, 1001)],
        "def5678": [bench.Run(8.0, 2.2, 240, 1001), bench.Run(9.0, 2.4, 242, 1001)],
    }
    text = bench.report(
        revision="abc1234",
        current="def5678",
        scale=50,
        messages=1_000_000,
        runs=runs,
        started=datetime.now(UTC),
        elapsed_s=120,
        loads=("1", "2"),
        command="python bench/bench_message_scan.py --against abc1234",
    )
    assert "| abc1234 | 9.50 s | 9.50 µs | 2.45 µs | 305 MB | 1001 |" in text
    assert "| def5678 | 8.50 s | 8.50 µs | 2.30 µs | 241 MB | 1001 |" in text
    assert "wall 0.89x, CPU 0.94x, peak RSS 0.79x" in text
    assert "At least as fast per message: yes; lower peak memory: yes." in text
