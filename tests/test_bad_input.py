"""Bad input is an ``mjquery.Error`` with a clear message, never a raw Python exception or a hang.

Each case came out of fuzzing the DB-API: deep nesting, thousands of ANDs, parameters that are
not a sequence, sizes that are not numbers, a filter value too long for a URL, a table name that
is not a string, DuckDB errors while pages load, sqlglot writing on stderr.
"""

from __future__ import annotations

import logging
import sys
import traceback

import pytest
from sqlglot import exp

import mjquery
from mjquery.errors import InterfaceError, ProgrammingError
from mjquery.planner.parse import MAX_NESTING, parse
from mjquery.planner.predicates import split_conjuncts
from mjquery.planner.pushdown import MAX_PUSHED_VALUE


def nested(depth: int) -> str:
    return "SELECT " + "(" * depth + "1" + ")" * depth + " AS n"


def test_nested_parentheses_run_up_to_the_limit(demo_conn) -> None:
    cur = demo_conn.cursor()
    for depth in (50, MAX_NESTING):
        cur.execute(nested(depth))
        assert cur.fetchall() == [(1,)]


def test_deeper_nesting_on_a_mailjet_table_is_refused_by_name(demo_conn) -> None:
    cur = demo_conn.cursor()
    column = "(" * MAX_NESTING + "ID" + ")" * MAX_NESTING
    cur.execute(f"SELECT {column} FROM List ORDER BY 1 LIMIT 1")
    assert len(cur.fetchall()) == 1
    deeper = "(" * (MAX_NESTING + 1) + "ID" + ")" * (MAX_NESTING + 1)
    with pytest.raises(ProgrammingError, match=r"nested too deep: 201 levels of parentheses"):
        cur.execute(f"SELECT {deeper} FROM List")
    assert sys.getrecursionlimit() < 12_000  # the planner's deeper limit is put back


def test_deep_nesting_on_local_tables_is_duckdbs_and_errors_are_mjquerys(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute(nested(300))  # no Mailjet table: DuckDB parses it
    assert cur.fetchall() == [(1,)]
    with pytest.raises(mjquery.Error):
        cur.execute(nested(5000))


def test_thousands_of_and_terms_plan_and_run(demo_conn) -> None:
    # 5,000 conditions: the parser's 5,000-level tree used to exhaust the stack
    where = " AND ".join(f"ID <> {i}" for i in range(5000))
    cur = demo_conn.cursor()
    cur.execute(f"SELECT COUNT(*) FROM Contact WHERE {where}")
    assert cur.fetchall() == [(2000,)]


def test_split_conjuncts_is_iterative_and_keeps_the_order() -> None:
    terms = [exp.column(f"c{i}").eq(i) for i in range(10_000)]
    tree: exp.Expression = terms[0]
    for term in terms[1:]:
        tree = exp.And(this=tree, expression=term)  # left-deep, as the parser builds it
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive split would fail at once
    try:
        found = split_conjuncts(exp.Paren(this=tree))
    finally:
        sys.setrecursionlimit(limit)
    assert [t.this.name for t in found] == [f"c{i}" for i in range(10_000)]


@pytest.mark.parametrize("kind", [exp.And, exp.Or])
def test_a_long_chain_is_parsed_into_a_shallow_tree(kind: type[exp.Expression]) -> None:
    word = "AND" if kind is exp.And else "OR"
    tree = parse("SELECT 1 WHERE " + f" {word} ".join(f"x = {i}" for i in range(1024)))
    where = tree.args["where"].this
    depth, node = 0, where
    while isinstance(node, kind):
        node, depth = node.this, depth + 1
    assert depth == 10  # log2(1024): balanced
    leaves, stack = [], [where]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            stack += [current.expression, current.this]
        else:
            leaves.append(current.expression.name)
    assert leaves == [str(i) for i in range(1024)]  # same conditions, same order


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: c.execute("SELECT ?", 42),
            r"Parameters must be a sequence of values, not a int",
        ),
        (
            lambda c: c.execute("SELECT ?, ?", {1, 2}),
            r"a set has no order \(use a list or a tuple\)",
        ),
        (
            lambda c: c.executemany("SELECT ?", None),
            r"executemany\(\) takes a sequence of parameter sets.*not None",
        ),
        (
            lambda c: c.executemany("SELECT ?", 7),
            r"executemany\(\) takes a sequence of parameter sets.*not a int",
        ),
        (
            lambda c: c.execute("SELECT 1").fetchmany("3"),
            r"fetchmany\(\) takes a whole number of rows, not str '3'",
        ),
        (
            lambda c: c.execute("SELECT 1").fetchmany(1.5),
            r"fetchmany\(\) takes a whole number of rows, not float 1.5",
        ),
    ],
)
def test_dbapi_misuse_is_an_interface_error(demo_conn, call, message: str) -> None:
    with pytest.raises(InterfaceError, match=message):
        call(demo_conn.cursor())


def test_fetchmany_of_more_rows_than_any_result_gives_them_all(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT * FROM range(5)")
    assert len(cur.fetchmany(10**20)) == 5
    cur.execute("SELECT Name FROM List")
    assert len(cur.fetchmany(10**20)) == len(
        demo_conn.cursor().execute("SELECT Name FROM List").fetchall()
    )
    cur.arraysize = "3"  # type: ignore[assignment]
    with pytest.raises(InterfaceError, match=r"arraysize must be a whole number of rows, not str"):
        cur.fetchmany()


def test_executemany_takes_any_iterable_of_parameter_sets(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.executemany("SELECT ?", ((i,) for i in range(3)))
    assert cur.rowcount == -1 or cur.rowcount >= 0


@pytest.mark.parametrize("name", [5, None])
def test_describe_takes_a_table_name(demo_conn, name: object) -> None:
    with pytest.raises(ProgrammingError, match=r"describe\(\) takes a table name as a string"):
        demo_conn.describe(name)  # type: ignore[arg-type]


def test_a_filter_value_too_long_for_a_url_is_filtered_locally(demo_conn, demo_sandbox) -> None:
    long = "x" * 70_000
    cur = demo_conn.cursor()
    cur.execute("SELECT COUNT(*) FROM Contact WHERE Email = ? OR Name = ?", [long, long])
    assert cur.fetchall() == [(0,)]
    cur.execute("SELECT Email FROM Contact WHERE Email = ?", [long])
    assert cur.fetchall() == []
    sent = [p for r in demo_sandbox.log if r.path == "/v3/REST/contact" for _, p in r.params]
    assert sent and all(len(v) <= MAX_PUSHED_VALUE for v in sent)
    plan = demo_conn.explain("SELECT Email FROM Contact WHERE Email = ?", [long])
    assert f"a value longer than {MAX_PUSHED_VALUE:,} characters is not sent to the API" in plan


def test_a_long_value_for_an_api_only_filter_is_refused(demo_conn, demo_sandbox) -> None:
    with pytest.raises(
        ProgrammingError, match=r"Contact.ContactsList: a value of more than 2,000 characters"
    ):
        demo_conn.cursor().execute("SELECT * FROM Contact WHERE ContactsList = ?", ["7" * 3000])
    assert len(demo_sandbox.log) == 0


def test_duckdb_errors_while_pages_load_are_mjquery_errors(demo_sandbox) -> None:
    # A setting the user changed makes DuckDB refuse the engine's own statements: at some
    # depths reading the local tables, at others loading the pages. Either way an mjquery error.
    in_loading = 0
    for depth in range(3, 30):
        with mjquery.connect(sandbox=demo_sandbox) as conn:
            cur = conn.cursor()
            cur.execute(f"SET max_expression_depth = {depth}")
            try:
                cur.execute("SELECT Email, CreatedAt FROM Contact LIMIT 3")
            except mjquery.Error as exc:
                assert "Max expression depth" in str(exc)
                frames = traceback.extract_tb(exc.__cause__.__traceback__) if exc.__cause__ else []
                in_loading += any(f.name in ("_load", "flush") for f in frames)
    assert in_loading > 0


def test_sqlglot_prints_nothing_for_a_statement_it_cannot_parse(demo_conn, capfd, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(mjquery.Error):
        demo_conn.cursor().execute("SHOW ALL THINGS")
    assert capfd.readouterr().err == ""
    assert not [r for r in caplog.records if "Falling back" in r.getMessage()]


def test_a_value_duckdb_cannot_convert_while_pages_load_is_a_data_error(small_demo_sandbox) -> None:
    # An epoch timestamp out of DuckDB's range in an API answer: DuckDB's ConversionException
    # is raised by the loader's INSERT (TableLoader.flush, called from Engine._load).
    import duckdb
    import httpx
    import orjson

    class FarFuture(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = small_demo_sandbox.transport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.inner.handle_request(request)
            if request.url.path != "/v3/REST/batchjob":
                return response
            body = orjson.loads(response.read())
            for row in body["Data"]:
                row["AliveAt"] = 1e300
            return httpx.Response(200, json=body)

    with (
        mjquery.connect(sandbox=small_demo_sandbox, transport=FarFuture()) as conn,
        pytest.raises(mjquery.DataError, match=r"Conversion Error: .*out of range") as raised,
    ):
        conn.cursor().execute("SELECT ID, AliveAt FROM BatchJob")
    assert isinstance(raised.value.__cause__, duckdb.ConversionException)
    frames = traceback.extract_tb(raised.value.__cause__.__traceback__)
    assert [f.name for f in frames if f.name in ("_load", "flush")] == ["_load", "flush"]
