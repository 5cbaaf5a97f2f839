"""Smoke test of the SELECT benchmark: part (a) on three queries, in process, at scale 1.

It checks the benchmark's bookkeeping, not speed: the requests the sandbox logged for each query
are the ones the engine's ``cursor.stats`` reports, the hand-worked minimums come out as the rules
say for this account, and the report renders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import mjquery
from bench import bench_select
from bench.select_suite import SUITE, Prober, SandboxLogCounter, SuiteResult, run_suite
from mjquery.api import ApiClient, ApiConfig
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox

PICKED = ("q11", "q16", "q31")  # a pseudo-column filter, a COUNT, a dependent join


@pytest.fixture(scope="module")
def suite_result() -> Iterator[SuiteResult]:
    sandbox = Sandbox(seed=42, scale=1)
    config = ApiConfig(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, cache_ttl=0)
    with ApiClient(config, transport=sandbox.transport()) as api:
        conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
        try:
            queries = [q for q in SUITE if q.key in PICKED]
            yield run_suite(conn, SandboxLogCounter(sandbox), Prober(api), queries)
        finally:
            conn.close()


def test_suite_has_enough_queries_with_unique_keys() -> None:
    assert len(SUITE) >= 25
    assert len({q.key for q in SUITE}) == len(SUITE)


def test_served_requests_equal_engine_stats(suite_result: SuiteResult) -> None:
    assert [o.query.key for o in suite_result.outcomes] == list(PICKED)
    for outcome in suite_result.outcomes:
        assert outcome.error is None, outcome.error
        assert outcome.served > 0
        assert outcome.engine_requests == outcome.served, outcome.query.key


def test_minimums_follow_the_rules(suite_result: SuiteResult) -> None:
    by_key = {o.query.key: o for o in suite_result.outcomes}
    # 62 members in the small list at scale 1: one short page
    assert by_key["q11"].minimum.requests == 1
    assert "N = 62 < 1000" in by_key["q11"].minimum.reasoning
    assert by_key["q16"].minimum.requests == 1
    # the list by name (1), then its members with ContactsList=id (1)
    assert by_key["q31"].minimum.requests == 2
    assert by_key["q11"].rows == 62


def test_report_renders_part_a(suite_result: SuiteResult) -> None:
    settings = bench_select.Settings(quick=True, scale=1, repeats=1)
    results = bench_select.Results(
        settings, datetime(2026, 1, 1, tzinfo=UTC), 1.0, 0.0, suite_result, None, None, None
    )
    text = bench_select.report(results)
    assert "## (a) API requests per query" in text
    assert "| q31 | dependent join |" in text
    assert f"{suite_result.at_minimum} of 3 at the minimum" in text
    assert DEMO_API_SECRET not in text
