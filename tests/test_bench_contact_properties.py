"""Smoke test of bench/bench_contact_properties.py at a small scale: its bookkeeping, not speed."""

from __future__ import annotations

from bench.bench_contact_properties import _sandbox, largest_list, timed_read, timed_update
from mjquery.writes import WriteOptions


def test_reads_and_both_update_paths_report_what_the_account_holds() -> None:
    sandbox = _sandbox(0.05, 0)
    typed = timed_read(sandbox, "SELECT * FROM ContactProperties", 1)
    raw = timed_read(sandbox, "SELECT * FROM ContactData", 1)
    assert typed["rows"] == raw["rows"] > 0
    assert typed["requests"] == raw["requests"] + 1  # the definitions
    list_id, members = largest_list(sandbox)
    put = timed_update(0.05, 0, list_id, WriteOptions(bulk_threshold=10**9))
    bulk = timed_update(0.05, 0, list_id, WriteOptions(bulk_threshold=2, poll_interval=0))
    for run in (put, bulk):
        assert run["written"] == run["holding"] == members and run["failed"] == 0
    assert put["writes"] == members and bulk["writes"] == 1
