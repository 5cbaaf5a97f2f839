"""Views over Mailjet tables, DESCRIBE of a query, SHOW <table> and SUMMARIZE <table>.

What a new user tries first after SELECT: each reads current rows through the API (a view is its
query, run at every read, with its pushdown), or none when only the shape is asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import mjquery
from mjquery.dbapi import Connection
from mjquery.sandbox import Sandbox


def _rows(conn: Connection, sql: str, params: object = None) -> list[tuple[object, ...]]:
    cursor = conn.cursor()
    cursor.execute(sql, params)  # type: ignore[arg-type]
    return cursor.fetchall() if cursor.description else []


def test_describe_of_a_query_types_its_columns_without_a_request(
    demo_conn: Connection, demo_sandbox: Sandbox
) -> None:
    rows = _rows(demo_conn, "DESCRIBE SELECT Email, ID, CreatedAt FROM Contact WHERE ID > 5")
    assert [(r[0], r[1]) for r in rows] == [
        ("Email", "VARCHAR"),
        ("ID", "BIGINT"),
        ("CreatedAt", "TIMESTAMP"),
    ]
    assert len(demo_sandbox.log) == 0


def test_show_of_a_mailjet_table_is_its_describe(demo_conn: Connection) -> None:
    assert _rows(demo_conn, "SHOW Contact") == _rows(demo_conn, "DESCRIBE Contact")
    assert _rows(demo_conn, 'SHOW "List"')[0][0] == "ID"


def test_summarize_of_a_mailjet_table_reads_it(
    demo_conn: Connection, demo_sandbox: Sandbox
) -> None:
    rows = {r[0]: r for r in _rows(demo_conn, "SUMMARIZE List")}
    assert set(rows) >= {"ID", "Name", "SubscriberCount"}
    (count,) = _rows(demo_conn, "SELECT count(*) FROM List")[0]
    assert rows["ID"][-2] == count  # SUMMARIZE's count column: every list was read
    assert demo_sandbox.log.requests(path="/v3/REST/contactslist")


def test_a_view_reads_current_rows_with_its_pushdown(sb_conn: Connection, sb: Sandbox) -> None:
    _rows(
        sb_conn,
        "CREATE VIEW acme AS SELECT Email, Name FROM Contact WHERE Email LIKE '%@acme.test'",
    )
    assert len(sb.log) == 0  # creating it reads nothing
    before = _rows(sb_conn, "SELECT count(*) FROM acme")[0][0]
    (request,) = sb.log.requests(path="/v3/REST/contact")
    assert request.param("EmailRLike") == "@acme.test"

    _rows(sb_conn, "INSERT INTO Contact (Email, Name) VALUES ('new@acme.test', 'New')")
    sb_conn.cursor().execute("SELECT 1")  # nothing cached: the view's next read is current
    after = _rows(sb_conn, "SELECT Name FROM acme WHERE Email = 'new@acme.test'")
    assert after == [("New",)]
    assert _rows(sb_conn, "SELECT count(*) FROM acme")[0][0] == before + 1


def test_views_on_views_describe_show_and_drop(demo_conn: Connection) -> None:
    _rows(
        demo_conn, "CREATE VIEW a_contacts AS SELECT Email, ID FROM Contact WHERE Email LIKE 'a%'"
    )
    _rows(demo_conn, "CREATE VIEW a_count AS SELECT count(*) AS n FROM a_contacts")
    (n,) = _rows(demo_conn, "SELECT n FROM a_count")[0]
    assert n == _rows(demo_conn, "SELECT count(*) FROM Contact WHERE Email LIKE 'a%'")[0][0]
    assert [(r[0], r[1]) for r in _rows(demo_conn, "DESCRIBE a_contacts")] == [
        ("Email", "VARCHAR"),
        ("ID", "BIGINT"),
    ]
    shown = {r[0]: r[1] for r in _rows(demo_conn, "SHOW TABLES")}
    assert shown["a_contacts"] == shown["a_count"] == "view"

    _rows(
        demo_conn,
        "CREATE OR REPLACE VIEW a_contacts AS SELECT Email, ID FROM Contact WHERE Email LIKE 'b%'",
    )
    assert (
        _rows(demo_conn, "SELECT n FROM a_count")[0][0]
        == _rows(demo_conn, "SELECT count(*) FROM Contact WHERE Email LIKE 'b%'")[0][0]
    )

    _rows(demo_conn, "DROP VIEW a_count")
    _rows(demo_conn, "DROP VIEW a_contacts")
    with pytest.raises(mjquery.ProgrammingError, match="Unknown table 'a_contacts'"):
        _rows(demo_conn, "SELECT * FROM a_contacts")


@pytest.mark.parametrize(
    ("sql", "error", "message"),
    [
        (
            "CREATE VIEW v AS SELECT Emial FROM Contact",
            mjquery.ProgrammingError,
            "Unknown column 'Emial' in Contact. Did you mean 'Email'?",
        ),
        (
            "CREATE VIEW Contact AS SELECT Email FROM Contact",
            mjquery.ProgrammingError,
            "'Contact' is a Mailjet table: give the view another name.",
        ),
        (
            "CREATE VIEW named AS SELECT ID FROM List",
            mjquery.ProgrammingError,
            "View 'named' already exists: CREATE OR REPLACE VIEW changes it.",
        ),
        (
            "INSERT INTO named (ID) VALUES (1)",
            mjquery.NotSupportedError,
            "named is a view over Mailjet tables: write to the tables it reads.",
        ),
        (
            "CREATE VIEW named AS SELECT 1 AS x",
            mjquery.ProgrammingError,
            "'named' is a view over Mailjet tables: DROP VIEW named first",
        ),
    ],
)
def test_view_mistakes_are_refused_with_what_to_do(
    demo_conn: Connection, sql: str, error: type[Exception], message: str
) -> None:
    _rows(demo_conn, "CREATE VIEW named AS SELECT Name FROM List")
    with pytest.raises(error) as raised:
        _rows(demo_conn, sql)
    assert message in str(raised.value)


def test_a_view_outlives_the_connection_in_a_database_file(
    demo_sandbox: Sandbox, tmp_path: Path
) -> None:
    path = str(tmp_path / "local.duckdb")
    with mjquery.connect(sandbox=demo_sandbox, local_database=path) as first:
        _rows(first, "CREATE VIEW list_names AS SELECT ID, Name FROM List")
        _rows(first, "CREATE TEMP VIEW gone AS SELECT ID FROM List")
        expected = _rows(first, "SELECT * FROM list_names ORDER BY ID")
    with mjquery.connect(sandbox=demo_sandbox, local_database=path) as second:
        assert _rows(second, "SELECT * FROM list_names ORDER BY ID") == expected
        with pytest.raises(mjquery.ProgrammingError, match="Unknown table 'gone'"):
            _rows(second, "SELECT * FROM gone")


def test_the_dialect_reflects_a_view_over_mailjet_tables(demo_sandbox: Sandbox) -> None:
    engine = create_engine("mjquery://?demo=true", connect_args={"sandbox": demo_sandbox})
    with engine.connect() as connection:
        connection.execute(text("CREATE VIEW recent AS SELECT Email, CreatedAt FROM Contact"))
        demo_sandbox.log.clear()
        inspector = inspect(connection)
        assert "recent" in inspector.get_view_names()
        assert inspector.has_table("recent")
        columns = inspector.get_columns("recent")
        assert [(c["name"], type(c["type"]).__name__) for c in columns] == [
            ("Email", "String"),
            ("CreatedAt", "DateTime"),
        ]
        assert inspector.get_view_definition("recent") == "SELECT Email, CreatedAt FROM Contact"
        assert len(demo_sandbox.log) == 0  # reflection asks the API nothing
    engine.dispose()
