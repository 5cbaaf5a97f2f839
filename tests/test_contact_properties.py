"""ContactProperties: one row per contact, one typed column per property of the account.

The account here is ``tests/writes_support.small_account``: properties ``age`` (int) and
``country`` (str); contact 1 has ``age = "30"``, contact 2 has no value, contact 3 no data row.
Every test checks the rows and the requests the sandbox served.
"""

from __future__ import annotations

import datetime as dt

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from tests.writes_support import writes_sandbox

METADATA = "/v3/REST/contactmetadata"
DATA = "/v3/REST/contactdata"


def _gets(sb: Sandbox, path: str | None = None) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [
        (r.path, r.params)
        for r in sb.log
        if r.method == "GET" and (path is None or r.path.startswith(path))
    ]


def _define(sb: Sandbox, name: str, datatype: str) -> None:
    """A property defined by another tool, straight in the account."""
    table = sb.store.table("contactmetadata")
    table.insert(
        {"ID": 100 + len(table.rows), "Name": name, "Datatype": datatype, "NameSpace": "static"}
    )


def _set_data(sb: Sandbox, contact_id: int, data: list[dict[str, str]]) -> None:
    """A contact's property values as the account holds them (strings, as the API sends)."""
    table = sb.store.table("contactdata")
    next(r for r in table.rows if r["ContactID"] == contact_id)["Data"] = data
    table.touch()


def test_one_typed_column_per_property(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT * FROM ContactProperties ORDER BY ContactID")
    assert [(d[0], d[1]) for d in cur.description] == [
        ("ContactID", "BIGINT"),
        ("age", "BIGINT"),
        ("country", "VARCHAR"),
    ]
    assert cur.fetchall() == [(1, 30, None), (2, None, None)]
    # the definitions (one page), then the data (one page)
    assert [p for p, _ in _gets(sb)] == [METADATA, DATA]


def test_every_datatype_becomes_its_sql_type() -> None:
    sb = writes_sandbox()
    for name, datatype in [
        ("plan", "str"),
        ("orders", "int"),
        ("spent", "float"),
        ("vip", "bool"),
        ("joined", "datetime"),
        ("renewal", "datetime"),
    ]:
        _define(sb, name, datatype)
    _set_data(
        sb,
        2,
        [
            {"Name": "plan", "Value": "pro"},
            {"Name": "orders", "Value": "12"},
            {"Name": "spent", "Value": "99.5"},
            {"Name": "vip", "Value": "true"},
            {"Name": "joined", "Value": "2025-03-04T05:06:07Z"},
            {"Name": "renewal", "Value": "1767225600"},  # Unix seconds: 2026-01-01
            {"Name": "age", "Value": "not a number"},  # as the API may hold it: reads as NULL
        ],
    )
    with mjquery.connect(sandbox=sb) as conn:
        cur = conn.cursor()
        cur.execute(
            "SELECT plan, orders, spent, vip, joined, age, renewal FROM ContactProperties "
            "WHERE ContactID = 2"
        )
        assert [d[1] for d in cur.description] == [
            "VARCHAR",
            "BIGINT",
            "DOUBLE",
            "BOOLEAN",
            "TIMESTAMP",
            "BIGINT",
            "TIMESTAMP",
        ]
        assert cur.fetchall() == [
            ("pro", 12, 99.5, True, dt.datetime(2025, 3, 4, 5, 6, 7), None, dt.datetime(2026, 1, 1))
        ]


def test_contact_id_is_one_get_of_the_data_object(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT age FROM ContactProperties WHERE ContactID = 1")
    assert cur.fetchall() == [(30,)]
    assert [p for p, _ in _gets(sb)] == [METADATA, f"{DATA}/1"]
    sb.log.clear()
    cur.execute("SELECT age FROM ContactProperties WHERE ContactID IN (1, 2, 99)")
    assert sorted(cur.fetchall(), key=str) == [(30,), (None,)]
    # the definitions are kept for the connection: one GET per id (1 is answered from the
    # connection's cache), 99 has no data (404, no row)
    assert sorted(p for p, _ in _gets(sb)) == [f"{DATA}/2", f"{DATA}/99"]


def test_list_and_email_filters_are_pushed(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT ContactID, age FROM ContactProperties WHERE ContactsList = 7 ORDER BY 1")
    assert cur.fetchall() == [(1, 30), (2, None)]
    assert _gets(sb, DATA) == [(DATA, (("ContactsList", "7"), ("Limit", "1000"), ("Offset", "0")))]
    sb.log.clear()
    cur.execute(
        "SELECT ContactID, Email, age FROM ContactProperties WHERE Email = 'ann@example.com'"
    )
    assert cur.fetchall() == [(1, "ann@example.com", 30)]
    assert [r.param("ContactEmail") for r in sb.log if r.path == DATA] == ["ann@example.com"]


def test_join_from_contact_pushes_the_contact_ids(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    cur.execute(
        "SELECT c.Email, p.age FROM Contact c JOIN ContactProperties p ON p.ContactID = c.ID "
        "WHERE c.Email = 'ann@example.com'"
    )
    assert cur.fetchall() == [("ann@example.com", 30)]
    data = _gets(sb, DATA)
    assert data == [(f"{DATA}/1", ())]  # the driver's key, not a scan of every contact's data


def test_join_from_list_recipient(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    cur = sb_conn.cursor()
    cur.execute(
        "SELECT r.ContactID, p.age FROM ListRecipient r "
        "JOIN ContactProperties p ON p.ContactID = r.ContactID WHERE r.ListID = 7 ORDER BY 1"
    )
    assert cur.fetchall() == [(1, 30), (2, None)]
    assert sorted(p for p, _ in _gets(sb, DATA)) == [f"{DATA}/1", f"{DATA}/2"]


def test_a_filter_on_a_property_is_applied_by_duckdb(
    sb: Sandbox, sb_conn: mjquery.Connection
) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT ContactID FROM ContactProperties WHERE age >= 18")
    assert cur.fetchall() == [(1,)]
    # the API has no filter on property values: one read of the data, DuckDB filters
    assert _gets(sb, DATA) == [(DATA, (("Limit", "1000"), ("Offset", "0")))]


def test_unknown_property_names_the_closest(sb_conn: mjquery.Connection) -> None:
    with pytest.raises(
        mjquery.ProgrammingError, match=r"Unknown column 'agee'.*Did you mean 'age'"
    ):
        sb_conn.cursor().execute("SELECT agee FROM ContactProperties")


def test_describe_and_explain_show_the_properties(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    described = {c["column_name"]: c for c in sb_conn.describe("ContactProperties")}
    assert described["age"]["type"] == "BIGINT"
    assert described["age"]["kind"] == "property"
    assert described["age"]["writable"] == "UPDATE"
    assert described["country"]["description"] == "Contact property (str)"
    assert described["ContactID"]["filter"].startswith("= (by id)")
    rows = sb_conn.cursor().execute("DESCRIBE ContactProperties").fetchall()
    assert [r[0] for r in rows][:3] == ["ContactID", "age", "country"]
    plan = sb_conn.explain("SELECT country FROM ContactProperties WHERE ContactID = 1")
    assert "GET /v3/REST/contactdata/1" in plan
    assert "ContactID, country" in plan
    assert [p for p, _ in _gets(sb)] == [METADATA]  # describe and EXPLAIN read only the definitions


def test_columns_are_read_once_and_refreshed_on_request(
    sb: Sandbox, sb_conn: mjquery.Connection
) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    assert [d[0] for d in cur.description] == ["ContactID", "age", "country"]
    _define(sb, "plan", "str")
    cur.execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    assert [d[0] for d in cur.description] == ["ContactID", "age", "country"]  # kept
    assert len(_gets(sb, METADATA)) == 1
    sb_conn.refresh_properties()
    cur.execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    assert [d[0] for d in cur.description] == ["ContactID", "age", "country", "plan"]
    assert cur.fetchall() == [(1, 30, None, None)]
    assert len(_gets(sb, METADATA)) == 2


def test_defining_a_property_through_the_connection_adds_its_column(
    sb: Sandbox, sb_conn: mjquery.Connection
) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    cur.execute(
        "INSERT INTO ContactMetadata (Name, Datatype, NameSpace) VALUES ('vip', 'bool', 'static')"
    )
    cur.execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    assert [d[0] for d in cur.description] == ["ContactID", "age", "country", "vip"]


def test_other_statements_do_not_read_the_definitions(
    sb: Sandbox, sb_conn: mjquery.Connection
) -> None:
    cur = sb_conn.cursor()
    cur.execute("SELECT Email FROM Contact WHERE ID = 1")
    cur.execute("SHOW TABLES")
    names = [r[0] for r in cur.fetchall()]
    assert "ContactProperties" in names
    assert _gets(sb, METADATA) == []


def test_a_property_named_like_a_filter_column_takes_the_name() -> None:
    sb = writes_sandbox()
    _define(sb, "Status", "str")
    _set_data(sb, 1, [{"Name": "age", "Value": "30"}, {"Name": "Status", "Value": "gold"}])
    with mjquery.connect(sandbox=sb) as conn:
        cur = conn.cursor()
        cur.execute("SELECT ContactID, Status FROM ContactProperties WHERE Status = 'gold'")
        assert cur.fetchall() == [(1, "gold")]
        # a property, not the API's contact Status filter: nothing pushed
        assert [r.param("Status") for r in sb.log if r.path == DATA] == [None]


def test_failure_to_read_the_definitions_is_the_api_error() -> None:
    sb = writes_sandbox()
    with (
        mjquery.connect(sandbox=sb, api_key="wrong", api_secret="wrong") as conn,
        pytest.raises(mjquery.OperationalError, match="MJ_APIKEY"),
    ):
        conn.cursor().execute("SELECT * FROM ContactProperties")
    assert [r.path for r in sb.log] == [METADATA]


def test_completion_offers_the_property_columns(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from mjquery.shell.completer import SqlCompleter
    from mjquery.shell.vocabulary import sql_functions, sql_keywords

    catalog = sb_conn.catalog
    completer = SqlCompleter(
        lambda: catalog.objects,
        keywords=sql_keywords,
        functions=sql_functions,
        table=catalog.find,
    )
    doc = Document("SELECT ag FROM ContactProperties")
    doc = Document(doc.text, cursor_position=len("SELECT ag"))
    completions = list(completer.get_completions(doc, CompleteEvent(completion_requested=True)))
    age = next(c for c in completions if c.text == "age")
    assert age.display_meta_text.startswith("BIGINT")
    assert [r.path for r in sb.log] == [METADATA]  # read once, on this first use


def test_shell_refresh_command(sb: Sandbox, sb_conn: mjquery.Connection) -> None:
    from mjquery.shell.meta import COMMANDS

    messages: list[str] = []
    shell = type("S", (), {"connection": sb_conn, "info": staticmethod(messages.append)})()
    sb_conn.cursor().execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    _define(sb, "tier", "str")
    COMMANDS[".refresh"](shell, None)  # type: ignore[arg-type]
    cur = sb_conn.cursor().execute("SELECT * FROM ContactProperties WHERE ContactID = 1")
    assert [d[0] for d in cur.description][-1] == "tier"
    assert messages == ["contact properties will be read again when ContactProperties is next used"]


def test_cli_describe_lists_the_account_properties(sb: Sandbox) -> None:
    from tests.test_cli_transfer import run as run_cli

    result = run_cli(sb, "describe", "ContactProperties", "--format", "csv")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert [line.split(",")[0] for line in lines[1:4]] == ["ContactID", "age", "country"]
    assert [r.path for r in sb.log] == [METADATA]


def test_cli_describe_without_credentials_says_why_properties_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from mjquery.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    status = main(["describe", "ContactProperties"], stdin=io.StringIO(""), stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    assert "ContactID" in out.getvalue()
    assert "properties: one more column per contact property of the account, not listed" in (
        out.getvalue()
    )
    assert "no Mailjet credentials" in out.getvalue()


def test_sqlalchemy_reflects_the_property_columns(sb: Sandbox) -> None:
    from sqlalchemy import create_engine, inspect

    engine = create_engine("mjquery://?demo=true", connect_args={"sandbox": sb})
    try:
        columns = {
            c["name"]: str(c["type"]) for c in inspect(engine).get_columns("ContactProperties")
        }
    finally:
        engine.dispose()
    assert columns["age"] == "BIGINT" and columns["country"] == "VARCHAR"


def test_awkward_property_names() -> None:
    sb = writes_sandbox()
    _define(sb, "Signup Date", "datetime")
    _define(sb, "Data", "str")  # the name of the API's own list of values
    _define(sb, "contactid", "int")  # the name of a column: left out, with a note
    _set_data(
        sb,
        1,
        [
            {"Name": "Signup Date", "Value": "2024-02-03T00:00:00Z"},
            {"Name": "Data", "Value": "x"},
            {"Name": "contactid", "Value": "5"},
        ],
    )
    with mjquery.connect(sandbox=sb) as conn:
        cur = conn.cursor()
        cur.execute(
            'SELECT ContactID, "Signup Date", "Data" FROM ContactProperties WHERE ContactID = 1'
        )
        assert cur.fetchall() == [(1, dt.datetime(2024, 2, 3), "x")]
        cur.execute("UPDATE ContactProperties SET \"Data\" = 'y' WHERE ContactID = 1")
        assert cur.rowcount == 1
        notes = conn.catalog.get("ContactProperties").notes
        assert any("'contactid' has the name of a column" in n for n in notes)
    assert {i["Name"]: i["Value"] for i in sb.store.table("contactdata").rows[0]["Data"]}[
        "Data"
    ] == "y"


def test_shell_completion_reads_the_properties_in_the_background(
    sb: Sandbox, sb_conn: mjquery.Connection
) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from mjquery.shell.app import Shell, ShellOptions
    from tests.shell_driver import wait_for

    with create_pipe_input() as pipe:
        shell = Shell(sb_conn, ShellOptions(), input=pipe, output=DummyOutput())
        # not read yet: the file's columns at once, the account's read meanwhile
        first = shell.table_object("ContactProperties")
        assert [c.name for c in first.columns] == ["ContactID"]
        wait_for(lambda: sb_conn.catalog.properties_loaded, "the properties to be read")
        later = shell.table_object("ContactProperties")
        assert [c.name for c in later.columns] == ["ContactID", "age", "country"]
    assert [r.path for r in sb.log] == [METADATA]
