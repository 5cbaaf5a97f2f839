"""Syntax errors: one plain sentence, and the position of the token that is wrong."""

from __future__ import annotations

import io

import pytest

import mjquery
from mjquery.cli.main import main
from mjquery.errors import SqlSyntaxError
from mjquery.planner.parse import parse
from mjquery.sandbox import Sandbox


@pytest.mark.parametrize(
    ("sql", "sentence", "line", "column", "text"),
    [
        ("SELEC Name FROM List", "unknown keyword SELEC — did you mean SELECT?", 1, 1, "SELEC"),
        (
            "DELET FROM List WHERE ID = 1",
            "unknown keyword DELET — did you mean DELETE?",
            1,
            1,
            "DELET",
        ),
        ("SELECT Name FORM List", "unknown keyword FORM — did you mean FROM?", 1, 13, "FORM"),
        (
            "SELECT Name FROM List WERE ID = 1",
            "unknown keyword WERE — did you mean WHERE?",
            1,
            23,
            "WERE",
        ),
        (
            "SELECT * FROM List ORDR BY Name",
            "unknown keyword ORDR — did you mean ORDER?",
            1,
            20,
            "ORDR",
        ),
        ("SELECT Name FROM List WHERE", "expected a condition after WHERE", 1, 23, "WHERE"),
        (
            "SELECT Name FROM List\nWHERE Name = 'a' AND",
            "expected a condition after AND",
            2,
            18,
            "AND",
        ),
        ("SELECT Name FROM List WHERE Name =", "expected an expression after '='", 1, 34, "="),
        ("SELECT * FROM", "expected a table name after FROM", 1, 10, "FROM"),
        (
            "SELECT * FROM List ORDER BY",
            "expected a column or expression after ORDER BY",
            1,
            20,
            "ORDER BY",
        ),
        ("SELECT Name FROM List ORDER Name", "expected BY after ORDER", 1, 23, "ORDER"),
        ("SELECT COUNT( FROM List", "missing ): this ( is never closed", 1, 13, "("),
        ("SELECT a b c FROM List", "unexpected 'c'", 1, 12, "c"),
        (
            "SELECT CASE WHEN 1 THEN 2 FROM List",
            "expected END to close the CASE (CASE WHEN ... THEN ... END)",
            1,
            25,
            "2",
        ),
        ("SELECT CAST(1 INTEGER)", "expected AS in CAST (CAST(value AS type))", 1, 15, "INTEGER"),
        (
            "SELECT * FROM List WHERE ID BETWEEN 1",
            "expected AND after BETWEEN (BETWEEN low AND high)",
            1,
            37,
            "1",
        ),
        (
            "SELECT * FROM campaigndraft/detailcontent",
            'a name with / is written in double quotes: "campaigndraft/detailcontent"',
            1,
            15,
            "campaigndraft/detailcontent",
        ),
        (
            "SELECT Name FROM List WHERE Name = 'x",
            "unterminated string: its closing ' is missing",
            1,
            36,
            "'",
        ),
    ],
)
def test_parse_errors_in_plain_words(
    sql: str, sentence: str, line: int, column: int, text: str
) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse(sql)
    error = caught.value
    assert str(error) == f"Syntax error at line {line}, column {column}: {sentence}"
    assert (error.line, error.column, error.highlight) == (line, column, text)
    assert "<class" not in str(error) and "sqlglot" not in str(error)


def test_duckdb_parse_errors_get_the_same_treatment(capfd: pytest.CaptureFixture[str]) -> None:
    with mjquery.connect(demo=True) as connection, pytest.raises(SqlSyntaxError) as caught:
        connection.cursor().execute("CREATE TEMP TABLE t AS\n  SELEC 1")
    error = caught.value
    assert str(error) == (
        "Syntax error at line 2, column 3: unknown keyword SELEC — did you mean SELECT?"
    )
    assert (error.line, error.column, error.highlight) == (2, 3, "SELEC")
    # sqlglot's "falling back to parsing as a Command" warning stays out of the terminal
    assert "Falling back" not in capfd.readouterr().err


def test_the_command_line_underlines_the_offending_word(
    capfd: pytest.CaptureFixture[str],
) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["--demo", "-c", "SELEC Name FROM List"], stdout=out, stderr=err)
    assert status == 1
    assert err.getvalue() == (
        "mjquery: error: Syntax error at line 1, column 1: unknown keyword SELEC — did you mean SELECT?\n"
        "  SELEC Name FROM List\n"
        "  ^^^^^\n"
    )
    # nothing from the parser's own logging reaches the terminal
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("sql", "sentence", "column", "text"),
    [
        # sqlglot read LIMIT and ORDER as aliases of List, and the query ran
        ("SELECT Name FROM List LIMIT", "expected a number after LIMIT", 23, "LIMIT"),
        ("SELECT Name FROM List ORDER", "expected BY after ORDER", 23, "ORDER"),
        # failed in the generated SQL, at a column past the end of the user's text
        (
            "SELECT Name FROM List GROUP BY",
            "expected a column or expression after GROUP BY",
            29,
            "BY",
        ),
        (
            "SELECT * FROM List l JOIN Contact c",
            "expected ON or USING after the joined table (JOIN t ON condition)",
            35,
            "c",
        ),
        # MySQL's form: sqlglot ran it on Mailjet tables, DuckDB refuses it on local ones
        (
            "SELECT Name FROM List LIMIT 1, 2",
            "LIMIT takes one number: write LIMIT n OFFSET m (MySQL's LIMIT m, n)",
            30,
            ",",
        ),
        # ran as an UPDATE that sets nothing, and reported the contact as updated
        (
            "UPDATE Contact SET WHERE ID = 12440901387",
            "expected an assignment (column = value) after SET",
            20,
            "WHERE",
        ),
        (
            "DELETE mine WHERE x = 1",
            "expected FROM after DELETE (DELETE FROM table WHERE ...)",
            8,
            "mine",
        ),
    ],
)
def test_what_duckdb_refuses_is_refused_in_the_user_s_words_before_any_request(
    demo_conn: mjquery.Connection,
    demo_sandbox: Sandbox,
    sql: str,
    sentence: str,
    column: int,
    text: str,
) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        demo_conn.cursor().execute(sql)
    error = caught.value
    assert str(error) == f"Syntax error at line 1, column {column}: {sentence}"
    assert (error.line, error.column, error.highlight) == (1, column, text)
    assert len(demo_sandbox.log) == 0


def test_named_markers_are_still_read_by_mjquery_not_refused_by_duckdb(
    demo_conn: mjquery.Connection,
) -> None:
    cursor = demo_conn.cursor()
    cursor.execute("SELECT Name FROM List WHERE Name = :name", {"name": "Newsletter"})
    assert cursor.fetchall() == [("Newsletter",)]


def test_an_empty_select_list_is_placed_at_its_select() -> None:
    # DuckDB says "SELECT clause without selection list" with no position: mjquery finds it
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["--demo", "-c", "WITH x AS (SELECT FROM List) SELECT * FROM x"], stdout=out, stderr=err
    )
    assert status == 1
    assert err.getvalue() == (
        "mjquery: error: Syntax error at line 1, column 12: expected the columns to select "
        "after SELECT (* for all)\n"
        "  WITH x AS (SELECT FROM List) SELECT * FROM x\n"
        "             ^^^^^^\n"
    )
