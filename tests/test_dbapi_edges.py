"""DB-API behaviours found by using the module as a new user would: closing twice, threads,
``:name`` parameters with a mapping, the BOOLEAN type object, descriptions of SHOW/DESCRIBE/EXPLAIN,
and the data-frame fast path (``fetch_df`` / ``fetch_arrow_table``)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import threading

import pandas
import pyarrow
import pytest

import mjquery
from mjquery.sandbox import Sandbox


@pytest.fixture(scope="module")
def account() -> Sandbox:
    """A demo account of its own: these tests write to it."""
    return Sandbox(seed=11, scale=0.1)


@pytest.fixture()
def conn(account: Sandbox):
    with mjquery.connect(sandbox=account) as connection:
        yield connection


# -- close ------------------------------------------------------------------------------------


def test_a_second_close_does_nothing_and_closed_objects_still_refuse_work(
    account: Sandbox,
) -> None:
    conn = mjquery.connect(sandbox=account)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    cur.close()
    other = conn.cursor()
    conn.close()
    conn.close()
    other.close()  # a cursor of a closed connection closes quietly too
    assert conn.closed
    with pytest.raises(mjquery.InterfaceError, match="cursor is closed"):
        cur.execute("SELECT 1")
    with pytest.raises(mjquery.InterfaceError, match="connection is closed"):
        conn.cursor()


# -- threads ----------------------------------------------------------------------------------


def test_threadsafety_2_threads_share_a_connection_each_with_its_own_cursor(conn) -> None:
    assert mjquery.threadsafety == 2
    queries = {
        "lists": "SELECT ID, Name FROM List ORDER BY ID",
        "contacts": "SELECT ID, Email FROM Contact ORDER BY ID LIMIT 300",
        "count": "SELECT count(*) FROM Contact",
        "local": "SELECT i, i * i FROM range(2000) t(i)",
    }
    expected = {name: conn.cursor().execute(sql).fetchall() for name, sql in queries.items()}
    conn.clear_cache()
    results: dict[str, list[object]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(len(queries) * 2)

    def work(name: str, sql: str, round_: int) -> None:
        try:
            cur = conn.cursor()
            start.wait()
            cur.execute(sql)
            rows = []
            while chunk := cur.fetchmany(7):  # interleave fetches with the other threads
                rows += chunk
            results[f"{name}{round_}"] = rows
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=work, args=(name, sql, round_))
        for name, sql in queries.items()
        for round_ in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    for name in queries:
        assert results[f"{name}1"] == expected[name]
        assert results[f"{name}2"] == expected[name]


def test_fetching_rows_another_thread_executed_on_the_same_cursor_is_an_error(conn) -> None:
    cur = conn.cursor()
    cur.execute("SELECT ID FROM List ORDER BY ID")
    outcome: list[BaseException | object] = []

    def other() -> None:
        try:
            outcome.append(cur.fetchall())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(30)
    assert isinstance(outcome[0], mjquery.ProgrammingError)
    assert "give each thread its own cursor" in str(outcome[0])
    # the thread that ran the statement still gets every row: nothing was consumed or lost
    assert len(cur.fetchall()) == conn.cursor().execute("SELECT count(*) FROM List").fetchone()[0]


def test_a_cursor_busy_in_one_thread_refuses_a_second_thread(conn) -> None:
    cur = conn.cursor()
    inside = threading.Event()
    release = threading.Event()
    attempts: list[BaseException | None] = []

    def progress(done: int, expected: int | None) -> None:
        # called while the first thread's execute() is fetching pages
        inside.set()
        release.wait(30)

    def second() -> None:
        inside.wait(30)
        try:
            cur.execute("SELECT 1")
            attempts.append(None)
        except BaseException as exc:
            attempts.append(exc)
        finally:
            release.set()

    conn.progress = progress
    thread = threading.Thread(target=second)
    thread.start()
    try:
        cur.execute("SELECT Email FROM Contact ORDER BY ID")
    finally:
        conn.progress = None
        thread.join(30)
    assert isinstance(attempts[0], mjquery.ProgrammingError)
    assert "in use by another thread" in str(attempts[0])
    assert len(cur.fetchall()) > 0  # the first thread's statement was not disturbed


# -- parameters ---------------------------------------------------------------------------------


def test_named_parameters_with_a_mapping_are_pushed_like_qmark_ones(conn, account: Sandbox) -> None:
    cur = conn.cursor()
    email = cur.execute("SELECT Email FROM Contact ORDER BY ID LIMIT 1").fetchone()[0]
    account.log.clear()
    conn.clear_cache()
    cur.execute(
        "SELECT Email, ':not_a_marker', 2::INT FROM Contact WHERE Email = :email -- :nor_this\n"
        "AND lower(Email) = lower(:email)",
        {"email": email, "unused": 1},
    )
    assert cur.fetchall() == [(email, ":not_a_marker", 2)]
    contact_requests = account.log.requests(path="/v3/REST/contact")
    assert [r.param("Email") for r in contact_requests] == [email]


def test_named_parameter_mistakes_say_what_to_pass(conn) -> None:
    cur = conn.cursor()
    with pytest.raises(mjquery.ProgrammingError, match=r"No value for parameter :limit_to"):
        cur.execute("SELECT * FROM range(10) LIMIT :limit_to", {"limit": 3})
    with pytest.raises(mjquery.ProgrammingError, match=r"pass their values as a mapping"):
        cur.execute("SELECT :a", [1])
    with pytest.raises(mjquery.ProgrammingError, match=r"mixes \? markers with a mapping"):
        cur.execute("SELECT ?, :a", {"a": 1})
    with pytest.raises(mjquery.InterfaceError, match="sequence"):
        cur.execute("SELECT ?", 5)
    assert cur.execute("SELECT :n + 1, :n", {"n": 41}).fetchone() == (42, 41)


def test_executemany_takes_mappings_for_local_and_mailjet_tables(conn, account: Sandbox) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE seen (name VARCHAR, day DATE)")
    cur.executemany(
        "INSERT INTO seen VALUES (:name, :day)",
        [{"name": "a", "day": dt.date(2026, 1, 2)}, {"name": "b", "day": dt.date(2026, 1, 3)}],
    )
    assert cur.execute("SELECT * FROM seen ORDER BY name").fetchall() == [
        ("a", dt.date(2026, 1, 2)),
        ("b", dt.date(2026, 1, 3)),
    ]
    account.log.clear()
    cur.executemany(
        "INSERT INTO Contact (Email, Name) VALUES (:email, :name)",
        [{"email": f"named{i}@edges.test", "name": f"Named {i}"} for i in range(3)],
    )
    assert cur.rowcount == 3
    posts = account.log.requests(method="POST")
    assert len(posts) == 3 and all(r.path == "/v3/REST/contact" for r in posts)
    rows = cur.execute(
        "SELECT Email, Name FROM Contact WHERE Email LIKE 'named%@edges.test' ORDER BY Email"
    ).fetchall()
    assert rows == [(f"named{i}@edges.test", f"Named {i}") for i in range(3)]


# -- type objects and descriptions ----------------------------------------------------------------


def test_booleans_have_their_own_type_object(conn) -> None:
    cur = conn.cursor()
    cur.execute("SELECT IsExcludedFromCampaigns, ID FROM Contact LIMIT 1")
    flag, ident = (d[1] for d in cur.description)
    assert flag == mjquery.BOOLEAN and flag != mjquery.NUMBER
    assert ident == mjquery.NUMBER and ident != mjquery.BOOLEAN


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW TABLES",
        "DESCRIBE Contact",
        "EXPLAIN SELECT Email FROM Contact WHERE Email LIKE 'a%'",
        "DESCRIBE local_t",
        "EXPLAIN SELECT * FROM local_t",
    ],
)
def test_show_describe_explain_are_described_like_any_result(conn, sql: str) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE local_t (a INTEGER)")
    cur.execute(sql)
    rows = cur.fetchall()
    assert rows
    assert all(len(d) == 7 for d in cur.description)
    assert all(d[1] == mjquery.STRING for d in cur.description)
    assert all(len(row) == len(cur.description) for row in rows)


def test_description_gives_precision_and_scale_of_decimals(conn) -> None:
    cur = conn.cursor()
    cur.execute("SELECT CAST(1.5 AS DECIMAL(9, 2)) AS amount, 'x' AS label")
    assert cur.description[0] == ("amount", "DECIMAL(9,2)", None, None, 9, 2, None)
    assert cur.description[1] == ("label", "VARCHAR", None, None, None, None, None)


# -- fetch_df / fetch_arrow_table ----------------------------------------------------------------


_QUERY = "SELECT ID, Email, CreatedAt, IsExcludedFromCampaigns FROM Contact ORDER BY ID"


def test_fetch_df_and_fetch_arrow_table_give_the_rows_fetchall_gives(conn) -> None:
    expected = conn.cursor().execute(_QUERY).fetchall()
    cur = conn.cursor()
    frame = cur.execute(_QUERY).fetch_df()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["ID", "Email", "CreatedAt", "IsExcludedFromCampaigns"]
    assert frame["ID"].tolist() == [r[0] for r in expected]
    assert frame["Email"].tolist() == [r[1] for r in expected]
    assert cur.rowcount == len(expected) and cur.stats.rows == len(expected)
    table = cur.execute(_QUERY).fetch_arrow_table()
    assert isinstance(table, pyarrow.Table)
    assert table.to_pylist() == [dict(zip(table.column_names, r, strict=True)) for r in expected]
    assert str(table.schema.field("ID").type) == "int64"
    assert cur.fetchall() == []


def test_fetch_frames_after_partial_fetches_and_materialised_results(conn) -> None:
    expected = conn.cursor().execute(_QUERY).fetchall()
    cur = conn.cursor()
    cur.execute(_QUERY)
    first = cur.fetchone()
    table = cur.fetch_arrow_table()  # one row went to Python, a chunk is buffered
    assert [first, *[tuple(r.values()) for r in table.to_pylist()]] == expected
    cur.execute(_QUERY)
    head = cur.fetchmany(3)
    conn.cursor().execute("SELECT 1")  # another statement: the rest is read into memory
    frame = cur.fetch_df()
    assert head + list(frame.itertuples(index=False, name=None)) == expected
    rows = conn.cursor().execute("SHOW TABLES").fetch_arrow_table()  # rows built in Python
    assert rows.num_rows == len(conn.tables())


def test_fetch_arrow_table_without_pyarrow_says_what_to_install(
    conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    cur = conn.cursor().execute("SELECT 1")
    with pytest.raises(mjquery.NotSupportedError, match="pip install pyarrow"):
        cur.fetch_arrow_table()
    assert cur.fetchall() == [(1,)]  # the result is still there


def test_parameters_bind_in_text_order_across_clauses(conn, account: Sandbox) -> None:
    # A walk of the syntax tree meets LIMIT before WHERE and a WITH clause last; the values
    # must still go to the markers in the order they are written.
    cur = conn.cursor()
    cur.execute(
        "WITH wanted AS (SELECT ? AS prefix)\n"
        "SELECT Email FROM Contact, wanted\nWHERE Email LIKE wanted.prefix || ?\n"
        "ORDER BY Email LIMIT ? OFFSET ?",
        ["a", "%", 3, 1],
    )
    everything = conn.cursor().execute(
        "SELECT Email FROM Contact WHERE Email LIKE 'a%' ORDER BY Email"
    )
    assert cur.fetchall() == everything.fetchall()[1:4]
    account.log.clear()
    conn.clear_cache()
    cur.execute("SELECT Name FROM List\nWHERE Name = ?\nLIMIT ?", ["Newsletter", 1])
    assert cur.fetchall() == [("Newsletter",)]
    assert [r.param("Name") for r in account.log.requests(path="/v3/REST/contactslist")] == [
        "Newsletter"
    ]


def test_connections_opening_one_local_database_file_share_its_tables(
    account: Sandbox, tmp_path
) -> None:
    path = str(tmp_path / "local.duckdb")
    with (
        mjquery.connect(sandbox=account, local_database=path) as first,
        mjquery.connect(sandbox=account, local_database=path) as second,
    ):
        first.cursor().execute("CREATE TABLE notes AS SELECT ID, Name FROM List")
        expected = first.cursor().execute("SELECT ID, Name FROM List ORDER BY ID").fetchall()
        assert second.cursor().execute("SELECT * FROM notes ORDER BY ID").fetchall() == expected
    with mjquery.connect(sandbox=account, local_database=path) as later:
        assert len(later.cursor().execute("SELECT * FROM notes").fetchall()) == len(expected)
