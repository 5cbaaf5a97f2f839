"""Statement splitting, completeness and parameter binding."""

from __future__ import annotations

import pytest

from mjquery.errors import ProgrammingError
from mjquery.frontend.sqltext import (
    bind_parameters,
    is_complete,
    parameter_names,
    split_statements,
)


def test_split_ignores_semicolons_in_strings_names_and_comments() -> None:
    text = """-- a report
    SELECT 'a;b' AS "x;y" FROM List; /* c; */
    -- only a comment;
    SELECT 2"""
    assert split_statements(text) == [
        "-- a report\n    SELECT 'a;b' AS \"x;y\" FROM List",
        "/* c; */\n    -- only a comment;\n    SELECT 2",
    ]


def test_split_of_comments_only_is_empty() -> None:
    assert split_statements("-- nothing\n/* here */ ;;") == []


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("SELECT 1;", True),
        ("SELECT 1; -- trailing comment", True),
        ("SELECT 1", False),
        ("SELECT ';'", False),
        ("SELECT 'it''s';", True),
        ("SELECT 'open;", False),
        ("SELECT 1 /* ; */", False),
        ("SELECT 1; /* open", False),
        ("", False),
    ],
)
def test_is_complete(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_parameter_names_skip_casts_strings_and_comments() -> None:
    sql = "SELECT x::INT, ':nope' FROM t -- :no\nWHERE a = :list_name AND b = :n OR c = :list_name"
    assert parameter_names(sql) == ["list_name", "n"]


SQL = "SELECT * FROM List WHERE Name = :name AND ID > :id AND Name LIKE '%x' OR ID = :id"


@pytest.mark.parametrize(
    ("style", "sql", "params"),
    [
        ("named", SQL, {"name": "N", "id": 3}),
        (
            "qmark",
            "SELECT * FROM List WHERE Name = ? AND ID > ? AND Name LIKE '%x' OR ID = ?",
            ["N", 3, 3],
        ),
        (
            "numeric",
            "SELECT * FROM List WHERE Name = :1 AND ID > :2 AND Name LIKE '%x' OR ID = :2",
            ["N", 3],
        ),
        (
            "pyformat",
            "SELECT * FROM List WHERE Name = %(name)s AND ID > %(id)s AND Name LIKE '%%x' OR ID = %(id)s",
            {"name": "N", "id": 3},
        ),
        (
            "format",
            "SELECT * FROM List WHERE Name = %s AND ID > %s AND Name LIKE '%%x' OR ID = %s",
            ["N", 3, 3],
        ),
    ],
)
def test_bind_rewrites_markers_not_values(style: str, sql: str, params: object) -> None:
    bound = bind_parameters(SQL, {"name": "N", "id": 3, "unused": 1}, style)
    assert (bound.sql, bound.parameters) == (sql, params)


def test_a_value_with_quotes_never_reaches_the_sql_text() -> None:
    bound = bind_parameters("SELECT :v", {"v": "x'; DROP TABLE t; --"}, "qmark")
    assert bound.sql == "SELECT ?"
    assert bound.parameters == ["x'; DROP TABLE t; --"]


def test_missing_parameter_says_how_to_pass_it() -> None:
    with pytest.raises(
        ProgrammingError, match="no value for parameter :list_name; pass --param list_name=VALUE"
    ):
        bind_parameters("SELECT :list_name", {}, "named")


def test_statements_without_parameters_pass_none() -> None:
    assert bind_parameters("SELECT 1", {"x": 1}, "qmark").parameters is None


def test_param_values_stay_text_except_a_count_after_limit_or_offset() -> None:
    sql = "SELECT * FROM List WHERE Name = :name AND ID > :id LIMIT :n OFFSET :skip"
    bound = bind_parameters(sql, {"name": "42", "id": "7", "n": "10", "skip": "007"}, "qmark")
    assert bound.parameters == ["42", "7", 10, 7]
    # a LIMIT value that is not a whole number stays as given (DuckDB says what is wrong)
    assert bind_parameters("SELECT 1 LIMIT :n", {"n": "ten"}, "qmark").parameters == ["ten"]
