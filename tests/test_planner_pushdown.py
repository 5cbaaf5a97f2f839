"""Planner decisions checked on the typed plan (pure: no sandbox, no DuckDB)."""

from __future__ import annotations

import pytest

from mjquery.errors import ProgrammingError, SqlSyntaxError
from mjquery.planner import (
    LocalStatement,
    LocalTables,
    PlannerOptions,
    Pushdown,
    QueryPlan,
    ResultKind,
    plan_statement,
)
from mjquery.schema import load_catalog

CATALOG = load_catalog()


def plan(sql: str, params: list | None = None, **options: int) -> QueryPlan:
    planned = plan_statement(
        sql,
        params,
        CATALOG,
        LocalTables({"staging": ("Email", "Score")}),
        PlannerOptions(**options),
        prefix="t",
    )
    assert isinstance(planned, QueryPlan)
    return planned


def params(planned: QueryPlan, index: int = 0) -> list[tuple[str, str]]:
    """The pushed parameters of one fetch (the schema's fixed parameters left out)."""
    fetch = planned.fetches[index]
    fixed = {f.name for f in fetch.schema.fixed_params}
    return [(p.name, p.value) for r in fetch.requests for p in r.params if p.name not in fixed]


def test_fixed_parameters_of_the_schema_go_with_every_request() -> None:
    planned = plan("SELECT ID, Subject FROM Message WHERE CampaignID IN (1, 2)")
    for request in planned.fetches[0].requests:
        sent = {(p.name, p.value) for p in request.params}
        assert {
            ("ShowSubject", "true"),
            ("ShowContactAlt", "true"),
            ("ShowCustomID", "true"),
        } <= sent


def test_inclusive_time_bound_is_widened_and_rechecked() -> None:
    planned = plan(
        "SELECT ID FROM Message WHERE ArrivedAt >= '2026-01-01 00:00:00' AND ArrivedAt <= '2026-01-31'"
    )
    assert params(planned) == [("FromTS", "2025-12-31T23:59:59Z"), ("ToTS", "2026-01-31T00:00:01Z")]
    assert {p.pushdown for p in planned.fetches[0].predicates} == {Pushdown.RECHECKED}


def test_or_is_kept_local_and_stays_in_the_residual_sql() -> None:
    planned = plan("SELECT ID FROM Message WHERE CampaignID = 1 OR CampaignID = 2")
    assert params(planned) == []
    assert planned.fetches[0].predicates[0].pushdown is Pushdown.LOCAL
    assert "CampaignID = 1 OR CampaignID = 2" in planned.residual_sql


def test_left_join_on_predicates_push_only_into_the_right_side() -> None:
    planned = plan(
        "SELECT * FROM List l LEFT JOIN Campaign c ON c.ListID = l.ID AND c.IsStarred AND l.IsDeleted"
    )
    by_table = {f.table: f for f in planned.fetches}
    assert params(planned, list(by_table).index("Campaign")) == [("IsStarred", "true")]
    assert by_table["List"].predicates == ()


def test_right_side_of_a_left_join_is_not_restricted_by_where_on_the_left_only() -> None:
    planned = plan(
        "SELECT * FROM Contact c LEFT JOIN ListRecipient r ON r.ContactID = c.ID WHERE c.Email = 'a@b.c'"
    )
    recipient = next(f for f in planned.fetches if f.table == "ListRecipient")
    assert recipient.keys is not None and recipient.keys.target_param == "Contact"
    assert "c.Email = 'a@b.c'" in recipient.keys.key_sql


def test_preserved_side_of_a_left_join_never_depends_on_the_other() -> None:
    planned = plan(
        "SELECT * FROM ListRecipient r LEFT JOIN List l ON r.ListID = l.ID WHERE l.Name = 'x'"
    )
    recipient = next(f for f in planned.fetches if f.table == "ListRecipient")
    assert recipient.keys is None


def test_unfiltered_driver_gives_no_dependent_join() -> None:
    planned = plan("SELECT * FROM List l JOIN ListRecipient r ON r.ListID = l.ID")
    assert all(f.keys is None for f in planned.fetches)


def test_limit_offset_pushed_for_a_single_exact_request() -> None:
    planned = plan(
        "SELECT * FROM Campaign WHERE IsStarred = true ORDER BY ID DESC LIMIT 10 OFFSET 20"
    )
    fetch = planned.fetches[0]
    assert (fetch.limit, fetch.offset) == (10, 20)
    assert ("Sort", "ID DESC") in params(planned)


def test_limit_not_pushed_when_sorting_by_text_or_desc_is_not_allowed() -> None:
    text = plan("SELECT Email FROM Contact ORDER BY Email LIMIT 3").fetches[0]
    assert text.limit is None and ("Sort", "Email") in [
        (p.name, p.value) for p in text.requests[0].params
    ]
    desc = plan("SELECT ID FROM Contact ORDER BY ID DESC LIMIT 3").fetches[0]
    assert desc.limit is None and desc.requests[0].param("Sort") is None
    assert any("descending" in note for note in desc.notes)


def test_limit_over_several_requests_caps_each_request() -> None:
    fetch = plan(
        "SELECT ID FROM Message WHERE CampaignID IN (1, 2) ORDER BY ID LIMIT 5 OFFSET 5"
    ).fetches[0]
    assert len(fetch.requests) == 2 and (fetch.limit, fetch.offset) == (10, 0)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM Message GROUP BY Status",
        "SELECT COUNT(*) FROM Contact WHERE Email = 'a@b.c'",  # only re-checked
        "SELECT COUNT(DISTINCT CampaignID) FROM Message",
        "SELECT COUNT(*), 1 FROM Message",
    ],
)
def test_count_only_needs_a_bare_count_and_exact_predicates(sql: str) -> None:
    assert not plan(sql).fetches[0].count_only


def test_comma_list_filter_takes_one_request() -> None:
    fetch = plan("SELECT * FROM AppPreferences WHERE PrefKey IN ('a', 'b')").fetches[0]
    assert [(p.name, p.value) for p in fetch.requests[0].params] == [("Key", "a,b")]
    assert len(fetch.requests) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM Contact WHERE Email IN ()",
        "SELECT * FROM Contact WHERE ContactsList = 1 AND ContactsList = 2",
        "SELECT * FROM Contact WHERE false",
        "SELECT * FROM Message WHERE CampaignID IN (1, 2) AND CampaignID IN (3)",
    ],
)
def test_contradictions_make_no_request(sql: str) -> None:
    fetch = plan(sql).fetches[0]
    assert fetch.contradiction and fetch.requests == ()


def test_in_list_too_long_for_per_value_requests_stays_local() -> None:
    values = ", ".join(str(i) for i in range(5))
    fetch = plan(
        f"SELECT * FROM Message WHERE CampaignID IN ({values})", max_value_requests=3
    ).fetches[0]
    assert len(fetch.requests) == 1 and fetch.predicates[0].pushdown is Pushdown.LOCAL


def test_parameters_are_bound_as_literals() -> None:
    planned = plan("SELECT * FROM List WHERE Name = ? AND ID > ?", ["it's", 3])
    assert ("Name", "it's") in params(planned)
    assert "Name = 'it''s'" in planned.residual_sql and "ID > 3" in planned.residual_sql


def test_statement_shape_errors() -> None:
    with pytest.raises(ProgrammingError, match="one SQL statement"):
        plan("SELECT 1; SELECT 2")
    with pytest.raises(ProgrammingError, match="qmark"):
        plan("SELECT * FROM List WHERE Name = :name", [])
    with pytest.raises(SqlSyntaxError) as info:
        plan("SELECT * FROM List WHERE (")
    assert info.value.line == 1


def test_local_only_statements_pass_through_with_their_parameters() -> None:
    planned = plan_statement(
        "INSERT INTO staging VALUES (?, ?)",
        ["a@b.c", 1],
        CATALOG,
        LocalTables({"staging": ("Email", "Score")}),
    )
    assert planned == LocalStatement(
        "INSERT INTO staging VALUES (?, ?)", ("a@b.c", 1), ResultKind.ROWCOUNT
    )


def test_correlated_subquery_columns_are_not_unknown() -> None:
    planned = plan(
        "SELECT Name FROM List l WHERE EXISTS (SELECT 1 FROM ListRecipient r WHERE r.ListID = l.ID AND IsActive)"
    )
    assert len(planned.fetches) == 2
