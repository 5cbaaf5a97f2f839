"""The SQLAlchemy dialect as pandas, notebooks and BI tools use it: URLs, reflection, Core
statements with pushdown, writes, pandas round trips, and errors a user can act on."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas
import pytest
import sqlalchemy
from sqlalchemy import MetaData, Table, create_engine, delete, insert, inspect, select, update
from sqlalchemy.engine import Engine

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.schema.catalog import load_catalog
from mjquery.sqlalchemy.reflection import SCHEMA_TYPES


@pytest.fixture()
def account() -> Sandbox:
    """A fresh demo account per test: the tests write to it."""
    return Sandbox(seed=21, scale=0.1)


@pytest.fixture()
def engine(account: Sandbox) -> Iterator[Engine]:
    engine = create_engine("mjquery://?demo=true", connect_args={"sandbox": account})
    yield engine
    engine.dispose()


def _requests(account: Sandbox) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return [(r.method, r.path, r.params) for r in account.log]


# -- URLs -------------------------------------------------------------------------------------


def test_the_dialect_is_found_through_its_entry_point() -> None:
    from importlib.metadata import entry_points

    (point,) = [e for e in entry_points(group="sqlalchemy.dialects") if e.name == "mjquery"]
    assert point.load().name == "mjquery"
    assert create_engine("mjquery://?demo=true").dialect.driver == "mjquery"


def test_demo_url_shares_one_sandbox_between_the_engines_connections() -> None:
    engine = create_engine("mjquery://?demo=true")
    with engine.connect() as first:
        a = first.connection.dbapi_connection
        first.exec_driver_sql("INSERT INTO Contact (Email) VALUES ('shared@demo.test')")
    engine.dispose()  # the next connection is a new DB-API connection
    with engine.connect() as second:
        b = second.connection.dbapi_connection
        seen = second.exec_driver_sql(
            "SELECT count(*) FROM Contact WHERE Email = 'shared@demo.test'"
        ).scalar()
    assert a is not b and a.sandbox is b.sandbox
    assert seen == 1
    engine.dispose()


def test_a_thread_sees_its_local_tables_through_every_connection(engine: Engine) -> None:
    frame = pandas.DataFrame({"email": ["a@x.test"], "score": [3]})
    assert frame.to_sql("scores", engine, index=False) == 1
    assert pandas.read_sql("SELECT * FROM scores", engine).values.tolist() == [["a@x.test", 3]]
    with engine.connect() as one, engine.connect() as two:
        assert one.connection.dbapi_connection is two.connection.dbapi_connection
    seen: list[object] = []

    def other_thread() -> None:
        try:
            seen.append(pandas.read_sql("SELECT * FROM scores", engine))
        except Exception as exc:
            seen.append(exc)

    import threading

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(60)
    assert isinstance(seen[0], pandas.errors.DatabaseError)  # its own connection: no such table
    assert "scores" in str(seen[0])


def test_key_pair_in_the_url_is_masked_and_reaches_the_api(account: Sandbox) -> None:
    secret = account.config.api_secret
    url = f"mjquery://{account.config.api_key}:{secret}@/?base_url=http://127.0.0.1:1&cache_ttl=0"
    engine = create_engine(url, connect_args={"transport": account.transport()})
    assert secret not in repr(engine.url) and secret not in str(engine.url)
    assert "***" in repr(engine.url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM List").scalar() > 0
        api = conn.connection.dbapi_connection.api.config
        assert (api.base_url, api.cache_ttl) == ("http://127.0.0.1:1", 0)
    assert secret not in repr(engine) and secret not in repr(engine.pool)


def test_environment_and_profiles_choose_the_account(
    monkeypatch: pytest.MonkeyPatch, tmp_path, account: Sandbox
) -> None:
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", account.config.api_key)
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", account.config.api_secret)
    engine = create_engine(
        "mjquery://?base_url=http://127.0.0.1:1",
        connect_args={"transport": account.transport()},
    )
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM List").scalar() > 0
    config = tmp_path / "config" / "mjquery" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.work]\napi_key = "k"\napi_secret = "s"\nbase_url = "http://127.0.0.1:2"\n'
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    profile_engine = create_engine("mjquery://?profile=work&max_concurrency=3")
    with profile_engine.connect() as conn:
        api = conn.connection.dbapi_connection.api.config
        assert (api.api_key, api.base_url, api.max_concurrency) == ("k", "http://127.0.0.1:2", 3)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mjquery://", "no Mailjet credentials.*mjquery://\\?demo=true"),
        ("mjquery://?profile=nosuch", "no profile 'nosuch'"),
        ("mjquery://KEY@/", "a key without its secret"),
        ("mjquery://KEY:SECRET@api.mailjet.com/", "host part .* is not used.*base_url="),
        ("mjquery:///tmp/x.db?demo=true", "path /tmp/x.db is not used"),
        ("mjquery://?demo=maybe", "demo='maybe' is not true or false"),
        ("mjquery://?demo=true&cache=5", "unknown setting cache .*known: .*cache_ttl"),
        ("mjquery://?demo=true&max_concurrency=lots", "max_concurrency='lots' is not an integer"),
        ("mjquery://K:S@/?demo=true", "choose one account: demo=true or a key pair"),
        ("mjquery://?demo=true&base_url=http://127.0.0.1:8765", "demo=true runs the built-in"),
    ],
)
def test_wrong_urls_are_refused_when_the_engine_is_created(url: str, message: str) -> None:
    with pytest.raises(sqlalchemy.exc.ArgumentError, match=message):
        create_engine(url)


def test_bad_credentials_and_unreachable_api_are_clear_errors(account: Sandbox) -> None:
    wrong = create_engine(
        "mjquery://nobody:wrong-secret@/?base_url=http://127.0.0.1:1",
        connect_args={"transport": account.transport()},
    )
    with pytest.raises(pandas.errors.DatabaseError, match="refused the API key pair") as refused:
        pandas.read_sql("SELECT Name FROM List", wrong)
    cause = refused.value.__cause__
    assert isinstance(cause, sqlalchemy.exc.OperationalError)
    assert isinstance(cause.orig, mjquery.OperationalError)
    assert "wrong-secret" not in str(refused.value)
    unreachable = create_engine("mjquery://k:s@/?base_url=http://127.0.0.1:9&timeout=1")
    with (
        pytest.raises(sqlalchemy.exc.OperationalError, match="Cannot reach the Mailjet API"),
        unreachable.connect() as conn,
    ):
        conn.exec_driver_sql("SELECT Name FROM List")
    with pytest.raises(sqlalchemy.exc.InterfaceError, match="plain http://"):
        create_engine("mjquery://k:s@/?base_url=http://example.com").connect()


# -- reflection ---------------------------------------------------------------------------------


def test_every_mailjet_object_is_reflected_with_typed_columns(engine: Engine) -> None:
    """What a BI tool does on connecting: every table, every column typed, keys, comments."""
    catalog = load_catalog()
    inspector = inspect(engine)
    names = inspector.get_table_names()
    assert names == [o.name for o in catalog.objects]
    assert inspector.get_view_names() == []
    assert inspector.get_schema_names() == ["main"]
    metadata = MetaData()
    metadata.reflect(engine)
    assert sorted(metadata.tables) == sorted(names)
    with engine.connect() as connection:
        # as the connection sees each table (ContactProperties: with the account's properties)
        seen = connection.connection.dbapi_connection.catalog
        resolved = [seen.get(o.name) for o in catalog.objects]
    for schema in resolved:
        table = metadata.tables[schema.name]
        expected = [c.name for c in schema.columns] + [
            p.name
            for p in schema.pseudo_columns
            if p.name.lower() not in {c.name.lower() for c in schema.columns}
        ]
        assert [c.name for c in table.columns] == expected, schema.name
        for column in schema.columns:
            assert isinstance(table.c[column.name].type, SCHEMA_TYPES[column.type]), column
        assert all(not isinstance(c.type, sqlalchemy.types.NullType) for c in table.columns)
        assert [c.name for c in table.primary_key] == ([schema.key] if schema.key else [])
        assert table.comment == (schema.description or None)


def test_contact_reflection_details(engine: Engine) -> None:
    inspector = inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns("Contact")}
    assert isinstance(columns["ID"]["type"], sqlalchemy.BigInteger)
    assert isinstance(columns["CreatedAt"]["type"], sqlalchemy.DateTime)
    assert isinstance(columns["IsExcludedFromCampaigns"]["type"], sqlalchemy.Boolean)
    assert columns["ContactsList"]["comment"].startswith("Filter only")
    assert inspector.get_pk_constraint("Contact")["constrained_columns"] == ["ID"]
    assert [u["column_names"] for u in inspector.get_unique_constraints("Contact")] == [["Email"]]
    assert inspector.has_table("Contact") and inspector.has_table("contactslist")
    assert not inspector.has_table("Contcat")
    with pytest.raises(sqlalchemy.exc.NoSuchTableError, match="Contact"):
        inspector.get_columns("Contcat")
    table = Table("Contact", MetaData(), autoload_with=engine)
    assert table.c.Email.type.python_type is str


def test_local_tables_are_reflected_on_their_connection(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE vip (email VARCHAR PRIMARY KEY, score DECIMAL(6, 2) NOT NULL, seen DATE)"
        )
        conn.exec_driver_sql("CREATE VIEW vip_view AS SELECT email FROM vip")
        inspector = inspect(conn)
        assert "vip" in inspector.get_table_names()
        assert inspector.get_view_names() == ["vip_view"]
        columns = inspector.get_columns("vip")
        assert [(c["name"], type(c["type"]), c["nullable"]) for c in columns] == [
            ("email", sqlalchemy.String, False),
            ("score", sqlalchemy.Numeric, False),
            ("seen", sqlalchemy.Date, True),
        ]
        assert (columns[1]["type"].precision, columns[1]["type"].scale) == (6, 2)
        assert inspector.get_pk_constraint("vip")["constrained_columns"] == ["email"]


# -- statements ---------------------------------------------------------------------------------


def test_core_select_gets_the_same_pushdown_as_typed_sql(engine: Engine, account: Sandbox) -> None:
    contact = Table("Contact", MetaData(), autoload_with=engine)
    statement = select(contact.c.Email).where(contact.c.Email.like("a%")).limit(5)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.cache_enabled = False
        account.log.clear()
        rows = conn.execute(statement).fetchall()
        through_core = _requests(account)
        account.log.clear()
        typed = raw.cursor().execute("SELECT Email FROM Contact WHERE Email LIKE 'a%' LIMIT 5")
        assert [tuple(r) for r in rows] == typed.fetchall()
        assert _requests(account) == through_core
    assert len(rows) == 5 and all(r.Email.startswith("a") for r in rows)
    assert [p for _, _, params in through_core for p in params if p[0] == "EmailLLike"] == [
        ("EmailLLike", "a")
    ]


def test_core_limit_and_sort_are_pushed_to_the_api(engine: Engine, account: Sandbox) -> None:
    list_table = Table("List", MetaData(), autoload_with=engine)
    statement = (
        select(list_table.c.Name, list_table.c.SubscriberCount)
        .where(list_table.c.Name == "Newsletter")
        .order_by(list_table.c.ID.desc())
        .limit(1)
    )
    account.log.clear()
    with engine.connect() as conn:
        assert conn.execute(statement).fetchall()[0].Name == "Newsletter"
    (request,) = account.log.requests(path="/v3/REST/contactslist")
    assert request.param("Name") == "Newsletter"


def test_core_writes_go_through_the_write_path(engine: Engine, account: Sandbox) -> None:
    metadata = MetaData()
    contact = Table("Contact", metadata, autoload_with=engine)
    campaign = Table("Campaign", metadata, autoload_with=engine)
    with engine.connect() as conn:
        account.log.clear()
        inserted = conn.execute(
            insert(contact)
            .values(Email="core@dialect.test", Name="Core")
            .returning(contact.c.ID, contact.c.Email)
        ).one()
        assert inserted.Email == "core@dialect.test" and inserted.ID > 0
        assert [(r.method, r.path) for r in account.log.requests(method="POST")] == [
            ("POST", "/v3/REST/contact")
        ]
        changed = conn.execute(
            update(contact).where(contact.c.Email == "core@dialect.test").values(Name="Renamed")
        )
        assert changed.rowcount == 1
        assert account.log.requests(method="PUT")[0].path == f"/v3/REST/contact/{inserted.ID}"
        assert (
            conn.execute(select(contact.c.Name).where(contact.c.ID == inserted.ID)).scalar()
            == "Renamed"
        )
        with pytest.raises(sqlalchemy.exc.NotSupportedError, match="no contact deletion"):
            conn.execute(delete(contact).where(contact.c.ID == inserted.ID))
        with pytest.raises(sqlalchemy.exc.NotSupportedError, match="Campaign"):
            conn.execute(update(campaign).values(Subject="x"))
        conn.commit()  # accepted; nothing is pending
        conn.rollback()  # accepted; cannot undo what was written
        assert (
            conn.execute(select(contact.c.Name).where(contact.c.ID == inserted.ID)).scalar()
            == "Renamed"
        )


# -- pandas -------------------------------------------------------------------------------------


def test_pandas_reads_through_the_engine_without_warnings(engine: Engine, account: Sandbox) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = pandas.read_sql("SELECT Name, SubscriberCount FROM List ORDER BY ID", engine)
        table = pandas.read_sql_table("List", engine)
        chunks = list(pandas.read_sql("SELECT ID FROM Contact", engine, chunksize=100))
        named = pandas.read_sql(
            sqlalchemy.text("SELECT Name FROM List WHERE Name = :name"),
            engine,
            params={"name": "Newsletter"},
        )
    with mjquery.connect(sandbox=account) as raw:
        expected = raw.cursor().execute("SELECT Name, SubscriberCount FROM List ORDER BY ID")
        assert list(frame.itertuples(index=False, name=None)) == expected.fetchall()
        count = raw.cursor().execute("SELECT count(*) FROM Contact").fetchone()[0]
    assert list(table.columns) == [c.name for c in load_catalog().get("List").columns]
    assert sorted(table["Name"]) == sorted(frame["Name"])
    assert sum(len(c) for c in chunks) == count and len(chunks) == -(-count // 100)
    assert named["Name"].tolist() == ["Newsletter"]


def test_to_sql_into_contact_uses_the_bulk_path(engine: Engine, account: Sandbox) -> None:
    emails = [f"frame{i:03d}@dialect.test" for i in range(120)]
    frame = pandas.DataFrame({"Email": emails, "Name": [f"Frame {i}" for i in range(120)]})
    account.log.clear()
    assert frame.to_sql("Contact", engine, if_exists="append", index=False) == 120
    via_pandas = [(r.method, r.path) for r in account.log if r.method != "GET"]
    assert 0 < len(via_pandas) < 20  # bulk jobs, not 120 POSTs
    assert ("POST", "/v3/REST/contact/managemanycontacts") in via_pandas
    back = pandas.read_sql(
        "SELECT Email, Name FROM Contact WHERE Email LIKE 'frame%@dialect.test' ORDER BY Email",
        engine,
    )
    pandas.testing.assert_frame_equal(back, frame)


def test_to_sql_is_refused_where_the_object_allows_no_insert(
    engine: Engine, account: Sandbox
) -> None:
    frame = pandas.DataFrame({"Subject": ["x"]})
    account.log.clear()
    with pytest.raises(pandas.errors.DatabaseError, match="Message is read-only"):
        frame.to_sql("Message", engine, if_exists="append", index=False)
    with pytest.raises(sqlalchemy.exc.NotSupportedError, match="DROP cannot change it"):
        frame.to_sql("Contact", engine, if_exists="replace", index=False)
    with pytest.raises(ValueError, match="already exists"):
        frame.to_sql("Contact", engine, index=False)
    assert [r for r in account.log if r.method != "GET"] == []


def test_to_sql_of_a_new_name_makes_a_local_table_that_joins_mailjet(engine: Engine) -> None:
    frame = pandas.DataFrame({"list_name": ["Newsletter", "Customers"], "owner": ["ana", "bo"]})
    with engine.connect() as conn:
        assert frame.to_sql("owners", conn, index=False) == 2
        joined = pandas.read_sql(
            "SELECT o.owner, l.SubscriberCount > 0 AS has_subscribers FROM owners o "
            "JOIN List l ON l.Name = o.list_name ORDER BY o.owner",
            conn,
        )
        back = pandas.read_sql_table("owners", conn)
    assert joined.values.tolist() == [["ana", True], ["bo", True]]
    pandas.testing.assert_frame_equal(back, frame)
