"""The statement router: one parse, one typed statement, decided by the syntax tree (not the text)."""

from __future__ import annotations

import pytest

import mjquery
from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.planner import (
    CopyStatement,
    DescribeTable,
    DmlStatement,
    ExplainPlan,
    LocalStatement,
    LocalTables,
    QueryPlan,
    ResultKind,
    ShowTables,
    plan_statement,
)
from mjquery.planner.model import StatementClass, StatementKind
from mjquery.planner.router import classify
from mjquery.schema import Operation, load_catalog
from tests.writes_support import writes_in

CATALOG = load_catalog()
LOCAL = LocalTables({"mine": ("x",)})


def route(sql: str, params: list[object] | None = None) -> object:
    return plan_statement(sql, params, CATALOG, LOCAL, prefix="t")


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT * FROM List", QueryPlan),
        ("WITH l AS (SELECT * FROM List) SELECT Name FROM l", QueryPlan),
        ("INSERT INTO mine SELECT ID FROM List", QueryPlan),
        ("UPDATE Contact SET Name = 'x' WHERE ID = 1", DmlStatement),
        ("DELETE FROM ListRecipient WHERE ID = 1", DmlStatement),
        ("INSERT INTO Contact (Email) VALUES ('a@b.c')", DmlStatement),
        ("COPY (SELECT Name FROM List) TO 'lists.csv'", CopyStatement),
        ("COPY List TO 'lists.csv'", CopyStatement),
        ("SHOW TABLES", ShowTables),
        ("show tables;", ShowTables),
        ("DESCRIBE Contact", DescribeTable),
        ("EXPLAIN SELECT * FROM List", ExplainPlan),
        ("EXPLAIN UPDATE Contact SET Name = 'x' WHERE ID = 1", ExplainPlan),
        ("SELECT 42", LocalStatement),
        ("SHOW ALL TABLES", LocalStatement),
        ("DESCRIBE mine", LocalStatement),
        ("EXPLAIN ANALYZE SELECT 1", LocalStatement),
        ("COPY mine FROM 'x.csv'", LocalStatement),
    ],
)
def test_each_statement_form_gets_its_typed_statement(sql: str, kind: type) -> None:
    assert type(route(sql)) is kind


@pytest.mark.parametrize(
    ("sql", "result"),
    [
        ("SELECT * FROM mine", ResultKind.ROWS),
        ("INSERT INTO mine VALUES (1)", ResultKind.ROWCOUNT),
        ("INSERT INTO mine VALUES (1) RETURNING x", ResultKind.ROWS),
        ("UPDATE mine SET x = 2", ResultKind.ROWCOUNT),
        ("DELETE FROM mine", ResultKind.ROWCOUNT),
        ("COPY mine FROM 'x.csv'", ResultKind.ROWCOUNT),
        ("CREATE TABLE other (y INTEGER)", ResultKind.NOTHING),
        ("DROP TABLE mine", ResultKind.NOTHING),
        ("SET TimeZone = 'UTC'", ResultKind.NOTHING),
        ("BEGIN", ResultKind.NOTHING),
        ("CHECKPOINT", ResultKind.NOTHING),
        ("PRAGMA version", ResultKind.ROWS),
        ("CALL pragma_version()", ResultKind.ROWS),
    ],
)
def test_what_a_local_statement_hands_back_comes_from_its_tree(
    sql: str, result: ResultKind
) -> None:
    planned = route(sql)
    assert isinstance(planned, LocalStatement)
    assert planned.result is result


def test_a_statement_reading_mailjet_tables_into_a_local_one_reports_a_rowcount() -> None:
    planned = route("INSERT INTO mine SELECT ID FROM List WHERE Name = 'x'")
    assert isinstance(planned, QueryPlan)
    assert planned.result is ResultKind.ROWCOUNT
    assert [f.table for f in planned.fetches] == ["List"]


def test_leading_comments_do_not_hide_the_statement_kind() -> None:
    assert isinstance(route("-- how many lists?\nEXPLAIN SELECT * FROM List"), ExplainPlan)
    assert isinstance(route("/* all of them */ SHOW TABLES"), ShowTables)
    assert isinstance(
        route("-- fix names\nUPDATE Contact SET Name = 'x' WHERE ID = 1"), DmlStatement
    )


def test_the_opt_in_is_a_comment_not_words_inside_a_string() -> None:
    opted = route("UPDATE Contact SET Name = 'x' -- mjquery: allow-all-rows")
    assert isinstance(opted, DmlStatement) and opted.opt_in and opted.unfiltered
    quoted = route("UPDATE Contact SET Name = '-- mjquery: allow-all-rows'")
    assert isinstance(quoted, DmlStatement) and not quoted.opt_in and quoted.unfiltered


def test_a_string_that_looks_like_the_opt_in_does_not_unlock_an_unfiltered_update(
    sb_conn, sb
) -> None:
    with pytest.raises(NotSupportedError, match="without WHERE"):
        sb_conn.cursor().execute("UPDATE List SET Name = '-- mjquery: allow-all-rows'")
    assert writes_in(sb) == []


def test_explain_of_a_write_shows_how_its_rows_are_found_and_sends_nothing(sb_conn, sb) -> None:
    text = sb_conn.explain("UPDATE Contact SET Name = 'Ann' WHERE Email = 'ann@example.com'")
    lines = text.splitlines()
    assert lines[0].startswith("UPDATE Contact: the rows to change come from the query below")
    assert any("GET /v3/REST/contact?Email=ann@example.com" in line for line in lines)
    cursor = sb_conn.cursor()
    cursor.execute("EXPLAIN INSERT INTO Contact (Email) VALUES ('a@b.c'), ('d@e.f')")
    assert cursor.fetchall() == [
        (
            "INSERT INTO Contact: 2 rows given in the statement, checked against the table's "
            "write rules, then written through the API; nothing is read first.",
        )
    ]
    assert list(sb.log) == []


def test_explain_of_show_or_describe_is_refused() -> None:
    with pytest.raises(ProgrammingError, match="not on SHOW, DESCRIBE"):
        route("EXPLAIN SHOW TABLES")


def test_local_statements_with_returning_and_copy_from_report_rows_and_counts(
    sb_conn, tmp_path
) -> None:
    cursor = sb_conn.cursor()
    cursor.execute("CREATE TABLE mine (x INTEGER)")
    assert cursor.rowcount == -1 and cursor.description is None
    cursor.execute("INSERT INTO mine VALUES (1), (2) RETURNING x")
    assert sorted(cursor.fetchall()) == [(1,), (2,)]
    data = tmp_path / "more.csv"
    data.write_text("x\n3\n4\n5\n")
    cursor.execute(f"COPY mine FROM '{data}' (HEADER)")
    assert cursor.rowcount == 3
    cursor.execute("SELECT count(*) FROM mine")
    assert cursor.fetchall() == [(5,)]


def test_update_of_a_local_table_reading_mailjet_tables_says_what_to_do_instead() -> None:
    with pytest.raises(NotSupportedError, match=r"copy the rows first \(CREATE TABLE t AS"):
        route("UPDATE mine SET x = 1 WHERE x IN (SELECT ID FROM List)")


def test_one_text_is_parsed_once(sb_conn) -> None:
    """executemany parses its text at most once, whatever the number of rows (a statement on
    local tables only is not parsed by sqlglot at all: DuckDB's parser types it)."""
    cursor = sb_conn.cursor()
    cursor.execute("CREATE TABLE mine (x INTEGER)")
    before = parse_cache_misses()
    cursor.executemany("INSERT INTO mine VALUES (?)", [(i,) for i in range(20)])
    assert parse_cache_misses() - before <= 1
    cursor.execute("SELECT count(*) FROM mine")
    assert cursor.fetchall() == [(20,)]
    before = parse_cache_misses()
    cursor.executemany(
        "SELECT Name FROM List WHERE ID = ?", [(i,) for i in range(1, 6)]
    )  # reads a Mailjet table: the router parses it, once
    assert parse_cache_misses() - before == 1


def parse_cache_misses() -> int:
    from mjquery.planner.parse import _parse

    return _parse.cache_info().misses


def test_a_write_keeps_its_operation_and_table() -> None:
    planned = route("DELETE FROM ListRecipient WHERE ListID = 7")
    assert isinstance(planned, DmlStatement)
    assert (planned.operation, planned.table) == (Operation.DELETE, "ListRecipient")
    assert planned.source_sql is not None and "ListID = 7" in planned.source_sql


@pytest.mark.parametrize(
    ("sql", "kind", "where"),
    [
        ("UPDATE Contact SET Name = 'x' WHERE ID = 1", StatementKind.UPDATE, True),
        ("update Contact set Name = 'where'", StatementKind.UPDATE, False),
        ("DELETE FROM List WHERE ID IN (SELECT ID FROM List)", StatementKind.DELETE, True),
        ("DELETE FROM List -- WHERE ID = 1", StatementKind.DELETE, False),
        (
            "UPDATE List SET Name = (SELECT Name FROM List WHERE ID = 1)",
            StatementKind.UPDATE,
            False,
        ),
        ("UPDATE Contact SET Name = :name WHERE ID = :id", StatementKind.UPDATE, True),
        ("/* UPDATE */ -- DELETE\nSELECT 1", StatementKind.QUERY, False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", StatementKind.QUERY, False),
        ("INSERT INTO Contact (Email) VALUES ('a@b.c')", StatementKind.INSERT, False),
        ("INSERT INTO Contact (Email) VALUES ('a@b.c') RETURNING ID", StatementKind.INSERT, False),
        ("EXPLAIN SELECT * FROM List", StatementKind.QUERY, False),
        ("SHOW TABLES", StatementKind.QUERY, False),
        ("DESCRIBE List", StatementKind.QUERY, False),
        ("SUMMARIZE List", StatementKind.QUERY, False),
        ("FROM List", StatementKind.QUERY, False),
        ("CREATE TABLE t AS SELECT 1", StatementKind.OTHER, False),
        ("COPY (SELECT 1) TO 'x.csv'", StatementKind.OTHER, False),
        ("SET threads = 2", StatementKind.OTHER, False),
    ],
)
def test_classify_from_the_syntax_tree(sql: str, kind: StatementKind, where: bool) -> None:
    assert classify(sql) == StatementClass(kind, where)


def test_classify_raises_the_syntax_error_the_engine_would() -> None:
    with pytest.raises(ProgrammingError, match="SELEC"):
        classify("SELEC Name FROM List")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "CREATE TABLE mine (x INTEGER)",
        "INSERT INTO mine VALUES (1)",
        "UPDATE mine SET x = 3",
        "DELETE FROM mine WHERE x = 3",
        "SET TimeZone = 'UTC'",
        "PRAGMA version",
        "SELECT * FROM List",
        "UPDATE List SET Name = 'x'",
    ],
)
def test_the_connection_classifies_as_the_router(demo_conn: mjquery.Connection, sql: str) -> None:
    # The connection takes DuckDB's parser for statements that cannot involve Mailjet; its
    # answer must be the router's all the same.
    assert demo_conn.classify(sql) == classify(sql)
