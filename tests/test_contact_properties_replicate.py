"""Replication of ContactProperties: its property columns are columns like any other, and a
property defined after the first run is a new column of the target (schema evolution), on
DuckDB, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from typing import Any

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from tests.replicate_support import DbTarget, normalise, target_fixture  # noqa: F401

SCALE = 0.05  # 100 contacts


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(scale=SCALE)


def source(conn: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every column of ContactProperties as the connection sees it, ordered by ContactID."""
    cur = conn.cursor()
    cur.execute("SELECT * FROM ContactProperties ORDER BY ContactID")
    return [d[0] for d in cur.description], [
        tuple(normalise(v) for v in row) for row in cur.fetchall()
    ]


def snake(name: str) -> str:
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return str(NamingConvention().normalize_identifier(name))


def assert_equal(conn: Any, target: DbTarget) -> None:
    columns, expected = source(conn)
    got = target.rows("contact_properties", [snake(c) for c in columns], key=snake("ContactID"))
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        assert want == have, f"row differs\n mailjet {want}\n target  {have}"


def test_property_columns_are_replicated_and_a_new_property_is_a_new_column(
    sandbox: Sandbox, target: DbTarget
) -> None:
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    try:
        first = mjquery.replicate(
            conn, to=target.url, dataset=target.dataset, tables=["ContactProperties"]
        )
        assert first.ok, first.failed
        columns, rows = source(conn)
        assert {"plan", "total_orders", "signup_date", "newsletter_opt_in"} <= set(columns)
        assert first.tables[0].inserted == len(rows) > 0
        assert_equal(conn, target)

        # another tool defines a property and sets it on one contact
        sandbox.store.table("contactmetadata").insert(
            {"ID": 99001, "Name": "loyalty_tier", "Datatype": "str", "NameSpace": "static"}
        )
        data = sandbox.store.table("contactdata")
        chosen = min(data.rows, key=lambda r: r["ContactID"])
        chosen["Data"] = [*chosen["Data"], {"Name": "loyalty_tier", "Value": "gold"}]
        data.touch()
        conn.refresh_properties()
        sandbox.log.clear()

        second = mjquery.replicate(
            conn, to=target.url, dataset=target.dataset, tables=["ContactProperties"]
        )
        assert second.ok, second.failed
        # rows are compared by ContactID and their values: the new column is part of every
        # row, so each is written once with it
        assert (second.tables[0].mode, second.tables[0].inserted) == ("incremental", 0)
        assert second.tables[0].updated == len(rows)
        assert_equal(conn, target)
        got = target.query(
            f"SELECT loyalty_tier FROM {target.table('contact_properties')} "
            f"WHERE contact_id = {chosen['ContactID']}"
        )
        assert got == [("gold",)]

        # then only what changes is written
        other = max(data.rows, key=lambda r: r["ContactID"])
        other["Data"] = [*other["Data"], {"Name": "loyalty_tier", "Value": "silver"}]
        data.touch()
        third = mjquery.replicate(
            conn, to=target.url, dataset=target.dataset, tables=["ContactProperties"]
        )
        assert third.ok, third.failed
        assert (third.tables[0].updated, third.tables[0].inserted) == (1, 0)
        assert_equal(conn, target)
        assert {r.method for r in sandbox.log} == {"GET"}  # nothing written to Mailjet
    finally:
        conn.close()
