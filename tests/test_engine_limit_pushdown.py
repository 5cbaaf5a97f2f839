"""LIMIT / OFFSET / ORDER BY / COUNT(*) pushdown never changes the rows.

Every query runs twice against the same demo sandbox: with the planner's defaults and with
``push_limit_sort_count=False`` (DuckDB sorts, limits and counts every matching row). The rows
must be identical; a few queries also check the requests, so a pushdown that silently stopped
happening would fail too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import mjquery
from mjquery.sandbox import Sandbox


def run(
    demo_sandbox: Sandbox, sql: str, params: list | None = None, *, pushdown: bool
) -> list[tuple]:
    with mjquery.connect(sandbox=demo_sandbox, cache_ttl=0) as conn:
        if not pushdown:
            conn.engine.options = replace(conn.engine.options, push_limit_sort_count=False)
        cur = conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall()


QUERIES = [
    "SELECT ID, Email FROM Contact LIMIT 10 OFFSET 500",
    "SELECT ID, Email FROM Contact LIMIT 10",
    "SELECT ID FROM Contact OFFSET 1990",
    "SELECT ID FROM Contact LIMIT 5 OFFSET 0",
    "SELECT ID FROM Contact LIMIT 0",
    "SELECT ID FROM Contact LIMIT 10 OFFSET 1995",
    "SELECT ID FROM Contact LIMIT 1500 OFFSET 300",
    "SELECT ID FROM Contact LIMIT 10 OFFSET 5000",
    "SELECT ID, CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 7 OFFSET 30",
    "SELECT ID, CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 1200",
    "SELECT ID FROM Contact ORDER BY ID DESC LIMIT 3 OFFSET 4",
    "SELECT ID FROM Contact ORDER BY ID OFFSET 1995",
    "SELECT ID FROM Contact WHERE IsExcludedFromCampaigns = false ORDER BY ID LIMIT 4 OFFSET 20",
    "SELECT ID FROM Contact WHERE ID IN (12440901103, 12440901600, 12440901712) ORDER BY ID LIMIT 1 OFFSET 1",
    "SELECT ID FROM Contact WHERE IsExcludedFromCampaigns IN (true, false) ORDER BY ID LIMIT 3 OFFSET 2",
    "SELECT ID FROM Contact WHERE Email LIKE '%a%' ORDER BY ID LIMIT 3 OFFSET 2",
    "SELECT ID AS CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 5",
    "SELECT COUNT(*) FROM Contact",
    "SELECT COUNT(*) FROM Contact OFFSET 1",
    "SELECT COUNT(*) AS n FROM Contact LIMIT 1 OFFSET 0",
    "SELECT COUNT(*) FROM Contact WHERE IsExcludedFromCampaigns = true",
    "SELECT COUNT(ID) FROM Contact WHERE IsExcludedFromCampaigns = true LIMIT 1",
    "SELECT * FROM (SELECT ID FROM Contact ORDER BY ID LIMIT 3 OFFSET 5) ORDER BY ID",
    "WITH recent AS (SELECT ID, CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 4 OFFSET 2) "
    "SELECT ID FROM recent ORDER BY CreatedAt DESC",
    "(SELECT ID FROM Contact ORDER BY ID LIMIT 3 OFFSET 5) UNION ALL (SELECT ID FROM List ORDER BY ID LIMIT 2 OFFSET 1)",
    "SELECT ID FROM Contact WHERE IsExcludedFromCampaigns = true UNION ALL "
    "SELECT ID FROM Contact WHERE IsExcludedFromCampaigns = false ORDER BY ID LIMIT 10 OFFSET 5",
    "SELECT ID FROM Contact WHERE ID IN (SELECT ID FROM Contact ORDER BY ID LIMIT 2 OFFSET 3) ORDER BY ID",
    "SELECT ID, Name FROM List ORDER BY ID LIMIT 3 OFFSET 2",
    "SELECT ID, ArrivedAt FROM Message ORDER BY ArrivedAt DESC LIMIT 5 OFFSET 10",
    "SELECT DISTINCT IsExcludedFromCampaigns FROM Contact ORDER BY 1 LIMIT 1 OFFSET 1",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_rows_are_the_same_with_and_without_limit_pushdown(demo_sandbox: Sandbox, sql: str) -> None:
    assert run(demo_sandbox, sql, pushdown=True) == run(demo_sandbox, sql, pushdown=False)


def test_pushed_offset_is_not_applied_twice(demo_sandbox: Sandbox) -> None:
    contacts = demo_sandbox.data.resources["contact"]
    expected = [(c["ID"], c["Email"]) for c in contacts[500:510]]
    demo_sandbox.log.clear()
    assert (
        run(demo_sandbox, "SELECT ID, Email FROM Contact LIMIT 10 OFFSET 500", pushdown=True)
        == expected
    )
    (request,) = demo_sandbox.log.requests(path="/v3/REST/contact")
    assert (request.param("Limit"), request.param("Offset")) == ("10", "500")


def test_sorted_page_with_offset_reads_one_page(demo_sandbox: Sandbox) -> None:
    expected = sorted(c["ID"] for c in demo_sandbox.data.resources["contact"])[3:10]
    demo_sandbox.log.clear()
    got = run(demo_sandbox, "SELECT ID FROM Contact ORDER BY ID LIMIT 7 OFFSET 3", pushdown=True)
    assert [r[0] for r in got] == expected
    (request,) = demo_sandbox.log.requests(path="/v3/REST/contact")
    assert (request.param("Sort"), request.param("Limit"), request.param("Offset")) == (
        "ID",
        "7",
        "3",
    )


def test_order_by_an_output_alias_is_not_sent_as_sort(demo_sandbox: Sandbox) -> None:
    ids = sorted((c["ID"] for c in demo_sandbox.data.resources["contact"]), reverse=True)[:5]
    demo_sandbox.log.clear()
    got = run(
        demo_sandbox,
        "SELECT ID AS CreatedAt FROM Contact ORDER BY CreatedAt DESC LIMIT 5",
        pushdown=True,
    )
    assert [r[0] for r in got] == ids
    assert all(r.param("Sort") is None for r in demo_sandbox.log.requests(path="/v3/REST/contact"))
