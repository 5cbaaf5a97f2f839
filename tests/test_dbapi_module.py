"""The DB-API surface beyond the conformance suite: globals, type codes, parameters, cursors."""

from __future__ import annotations

import datetime as dt

import pytest

import mjquery
from mjquery.sandbox import Sandbox


def test_module_globals() -> None:
    assert (mjquery.apilevel, mjquery.threadsafety, mjquery.paramstyle) == ("2.0", 2, "qmark")
    assert issubclass(
        mjquery.SqlSyntaxError if hasattr(mjquery, "SqlSyntaxError") else mjquery.ProgrammingError,
        mjquery.Error,
    )
    assert mjquery.Timestamp(2024, 1, 2) == dt.datetime(2024, 1, 2)
    assert mjquery.Binary("a") == b"a"


def test_exceptions_are_connection_attributes(demo_conn) -> None:
    for name in (
        "Warning",
        "Error",
        "InterfaceError",
        "DatabaseError",
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    ):
        assert getattr(demo_conn, name) is getattr(mjquery, name)


def test_description_type_codes_come_from_the_schemas(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT ID, Email, CreatedAt, IsExcludedFromCampaigns FROM Contact LIMIT 1")
    codes = [d[1] for d in cur.description]
    assert codes == ["BIGINT", "VARCHAR", "TIMESTAMP", "BOOLEAN"]
    assert (
        codes[0] == mjquery.NUMBER and codes[1] == mjquery.STRING and codes[2] == mjquery.DATETIME
    )
    assert codes[1] != mjquery.NUMBER


def test_fetch_styles_iteration_and_arraysize(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT ID FROM List ORDER BY ID")
    everything = [
        r[0] for r in demo_conn.cursor().execute("SELECT ID FROM List ORDER BY ID").fetchall()
    ]
    cur.arraysize = 2
    assert [r[0] for r in cur.fetchmany()] == everything[:2]
    assert cur.fetchone()[0] == everything[2]
    assert [r[0] for r in cur] == everything[3:]
    assert cur.fetchone() is None
    assert cur.rowcount == len(everything)


def test_parameters_of_every_type_bind_as_values(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT ?, ?, ?, ?, ?, ?", [1, 2.5, "it's", None, True, dt.date(2024, 5, 1)])
    assert cur.fetchone() == (1, 2.5, "it's", None, True, dt.date(2024, 5, 1))
    cur.execute("SELECT count(*) FROM Contact WHERE CreatedAt < ?", [dt.datetime(2000, 1, 1)])
    assert cur.fetchone() == (0,)
    with pytest.raises(mjquery.ProgrammingError, match="2 parameter marker"):
        cur.execute("SELECT count(*) FROM Contact WHERE ID = ? OR ID = ?", [1])
    with pytest.raises(mjquery.InterfaceError, match="sequence"):
        cur.execute("SELECT ?", "x")


def test_executemany_with_mailjet_reads_and_rowcount(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("CREATE TABLE picked (ID BIGINT)")
    ids = [r[0] for r in demo_conn.cursor().execute("SELECT ID FROM List").fetchall()]
    cur.executemany("INSERT INTO picked SELECT ID FROM List WHERE ID = ?", [[i] for i in ids[:2]])
    assert cur.rowcount == 2
    cur.execute("SELECT count(*) FROM picked")
    assert cur.fetchone() == (2,)


def test_commit_is_a_no_op_and_rollback_is_refused(demo_conn) -> None:
    demo_conn.commit()
    with pytest.raises(mjquery.NotSupportedError, match="immediately"):
        demo_conn.rollback()


def test_closed_objects_refuse_work(demo_sandbox: Sandbox) -> None:
    demo_conn = mjquery.connect(sandbox=demo_sandbox)
    cur = demo_conn.cursor()
    with pytest.raises(mjquery.ProgrammingError, match="execute"):
        cur.fetchone()
    cur.close()
    with pytest.raises(mjquery.InterfaceError):
        cur.execute("SELECT 1")
    with demo_conn:
        pass
    with pytest.raises(mjquery.InterfaceError):
        demo_conn.cursor()


def test_context_managers_close(demo_sandbox: Sandbox) -> None:
    with mjquery.connect(sandbox=demo_sandbox) as demo_conn, demo_conn.cursor() as cur:
        cur.execute("SELECT 42")
        assert cur.fetchone() == (42,)
    assert demo_conn.closed


def test_repr_never_shows_the_secret(demo_sandbox: Sandbox) -> None:
    with mjquery.connect(sandbox=demo_sandbox) as demo_conn:
        assert demo_sandbox.config.api_secret not in repr(demo_conn)
        assert demo_sandbox.config.api_secret not in repr(demo_conn.api)


def test_connection_extras_for_front_ends(demo_conn) -> None:
    names = {t["name"] for t in demo_conn.tables()}
    assert {"Contact", "List", "ListRecipient", "Message"} <= names
    assert demo_conn.catalog.find("contactslist").name == "List"
    assert "GET /v3/REST/contactslist" in demo_conn.explain("SELECT * FROM List")


def test_a_profile_without_max_concurrency_gets_the_one_default(demo_sandbox: Sandbox) -> None:
    import re

    from mjquery import config
    from mjquery.api import DEFAULT_MAX_CONCURRENCY, ApiConfig

    profile = config.Profile(name="work", api_key="k", api_secret="s")
    with mjquery.connect(sandbox=demo_sandbox, **profile.connect_kwargs()) as connection:
        in_use = (connection.engine.max_concurrency, connection.api.config.max_concurrency)
    assert (
        in_use
        == (DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_CONCURRENCY)
        == (ApiConfig().max_concurrency,) * 2
    )
    # The config file's documentation names no other default.
    for line in (config.__doc__ or "").splitlines():
        if re.search(r"max_concurrency\s*=\s*\d+", line):
            assert "DEFAULT_MAX_CONCURRENCY" in line, line


def test_rows_stream_in_chunks_and_the_fetched_tables_go_when_exhausted(demo_conn) -> None:
    engine = demo_conn.engine
    fetched_tables = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'mjq%'"
    cur = demo_conn.cursor()
    cur.execute("SELECT ID FROM Contact ORDER BY ID")
    assert cur.rowcount == -1
    first = cur.fetchmany(3)
    assert len(first) == 3 and cur.stats.rows == 3 and cur.rowcount == -1
    rest = list(cur)
    assert cur.fetchone() is None and cur.fetchmany(5) == []
    total = len(first) + len(rest)
    assert cur.rowcount == total == cur.stats.rows
    assert engine.db.execute(fetched_tables).fetchone() == (0,)


def test_another_statement_keeps_an_open_result_complete(demo_conn) -> None:
    a, b = demo_conn.cursor(), demo_conn.cursor()
    everything = [
        r[0] for r in demo_conn.cursor().execute("SELECT ID FROM Contact ORDER BY ID").fetchall()
    ]
    a.execute("SELECT ID FROM Contact ORDER BY ID")
    head = a.fetchmany(2)
    b.execute("SELECT count(*) FROM List")  # the rest of a's rows are read first
    assert b.fetchone()[0] > 0
    assert a.rowcount == len(everything)  # known once read
    assert [r[0] for r in head + a.fetchall()] == everything


def test_a_new_execute_or_close_drops_the_unfetched_rows(demo_conn) -> None:
    fetched_tables = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'mjq%'"
    cur = demo_conn.cursor()
    cur.execute("SELECT ID FROM Contact")
    cur.fetchone()
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    assert demo_conn.engine.db.execute(fetched_tables).fetchone() == (0,)
    cur.execute("SELECT ID FROM List")
    cur.close()
    assert demo_conn.engine.db.execute(fetched_tables).fetchone() == (0,)
