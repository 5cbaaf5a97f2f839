"""The loader turns the API's page bodies into typed DuckDB rows: only the columns a query reads,
batched, exact 64-bit ids, "" as NULL where a number or time is expected, fills per request, and
a page that does not hold what it says is an error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import orjson
import pytest

import mjquery
from mjquery.engine.loader import ROW_COLUMN, TableLoader
from mjquery.errors import OperationalError
from mjquery.planner import ColumnFill
from mjquery.schema import load_catalog
from mjquery.schema.model import SqlType

CATALOG = load_catalog()


def page(rows: list[dict[str, Any]]) -> tuple[bytes, int]:
    """A body as the API sends it, and its row count."""
    return orjson.dumps({"Count": len(rows), "Data": rows, "Total": len(rows)}), len(rows)


def append(loader: TableLoader, rows: list[dict[str, Any]], fills: tuple = ()) -> None:
    body, count = page(rows)
    loader.append(body, count, fills)


def test_pages_are_loaded_in_order_in_batches_with_their_fills() -> None:
    schema = CATALOG.get("Contact")
    db = duckdb.connect()
    loader = TableLoader(db, "loaded", schema, batch_rows=15)
    ids = iter(range(1152921509561800000, 1152921509561900000))
    expected = []
    for page in range(8):
        rows = [
            {"ID": next(ids), "Email": f"p{page}r{i}@example.com", "DeliveredCount": i}
            for i in range(5)
        ]
        fill = (ColumnFill("ContactsList", 1 if page < 4 else 2, SqlType.BIGINT),)
        append(loader, rows, fill)
        expected += [(r["ID"], r["Email"], fill[0].value) for r in rows]
    # pages 0-2 (a full batch), 3 (flushed when the fill changed), 4-6 (a full batch); 7 waits
    assert db.execute("SELECT count(*) FROM loaded").fetchall() == [(35,)]
    loader.flush()
    assert db.execute('SELECT "ID", "Email", "ContactsList" FROM loaded').fetchall() == expected
    assert loader.rows == 40


def test_wide_pages_are_loaded_in_smaller_batches() -> None:
    db = duckdb.connect()
    loader = TableLoader(db, "loaded", CATALOG.get("Contact"), batch_rows=1000, batch_bytes=2000)
    ids = iter(range(1, 1000))
    wide = [{"ID": next(ids), "Name": "x" * 400} for _ in range(3)]  # about 1,300 bytes a page
    narrow = [{"ID": next(ids)} for _ in range(3)]
    append(loader, wide)
    assert db.execute("SELECT count(*) FROM loaded").fetchall() == [(0,)]
    append(loader, wide)  # 2,600 bytes waiting: parsed now, though far from 1,000 rows
    assert db.execute("SELECT count(*) FROM loaded").fetchall() == [(6,)]
    append(loader, narrow)
    append(loader, narrow)
    assert db.execute("SELECT count(*) FROM loaded").fetchall() == [(6,)]
    loader.flush()
    assert loader.rows == 12


def test_a_value_of_the_wrong_type_becomes_null_and_the_others_stay_exact() -> None:
    schema = CATALOG.get("Contact")
    db = duckdb.connect()
    loader = TableLoader(db, "loaded", schema)
    append(loader, [{"ID": 1, "DeliveredCount": 3, "Name": "Ann"}])
    append(loader, [{"ID": 2, "DeliveredCount": "", "Name": 42}])
    append(loader, [{"ID": 9223372036854775807, "DeliveredCount": "x", "Name": None}])
    loader.flush()
    rows = db.execute('SELECT "ID", "DeliveredCount", "Name" FROM loaded ORDER BY 1').fetchall()
    assert rows == [(1, 3, "Ann"), (2, None, "42"), (9223372036854775807, None, None)]


def test_timestamps_json_and_booleans_are_converted_inside_duckdb() -> None:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    loader = TableLoader(db, "drafts", CATALOG.get("CampaignDraftDetailContent"))
    append(
        loader,
        [{"Headers": {"Subject": "Hi", "To": ["a@b.c"]}, "Html-part": "<p>", "Text-part": ""}],
        (ColumnFill("CampaignDraftID", 5, SqlType.BIGINT),),
    )
    loader.flush()
    assert db.execute(
        "SELECT CampaignDraftID, Headers->>'Subject', \"Text-part\" FROM drafts"
    ).fetchall() == [(5, "Hi", "")]

    history = TableLoader(db, "history", CATALOG.get("MessageHistory"))
    append(history, [{"EventAt": 1603783745, "EventType": "sent"}, {"EventAt": 0}, {"EventAt": ""}])
    history.flush()
    assert db.execute("SELECT EventAt FROM history").fetchall() == [
        (dt.datetime(2020, 10, 27, 7, 29, 5),),
        (None,),
        (None,),
    ]

    contacts = TableLoader(
        db, "contacts", CATALOG.get("Contact"), columns=["CreatedAt", "IsOptInPending"]
    )
    append(
        contacts,
        [
            {"CreatedAt": "2020-09-16T10:35:56Z", "IsOptInPending": True},
            {"CreatedAt": "", "IsOptInPending": False},
        ],
    )
    contacts.flush()
    assert db.execute("SELECT * FROM contacts").fetchall() == [
        (dt.datetime(2020, 9, 16, 10, 35, 56), True),
        (None, False),
    ]


def test_only_the_columns_asked_for_are_created_and_none_gives_a_row_count() -> None:
    db = duckdb.connect()
    loader = TableLoader(db, "narrow", CATALOG.get("Message"), columns=["Status", "ID"])
    append(loader, [{"ID": 576460757221292748, "Status": "sent", "Subject": "ignored"}])
    loader.flush()
    assert [d[0] for d in db.execute("SELECT * FROM narrow").description] == ["ID", "Status"]
    assert db.execute("SELECT * FROM narrow").fetchall() == [(576460757221292748, "sent")]

    counted = TableLoader(db, "counted", CATALOG.get("Message"), columns=[])
    append(counted, [{"ID": 1}, {"ID": 2}])
    append(counted, [{"ID": 3}])
    counted.flush()
    assert [d[0] for d in db.execute("SELECT * FROM counted").description] == [ROW_COLUMN]
    assert db.execute("SELECT count(*) FROM counted").fetchall() == [(3,)]


def test_a_page_holding_other_than_its_count_or_not_json_is_an_error() -> None:
    db = duckdb.connect()
    loader = TableLoader(db, "t", CATALOG.get("List"))
    loader.append(b'{"Count":2,"Data":[{"ID":1}],"Total":2}', 2)
    with pytest.raises(OperationalError, match=r"said they held 2 rows but held 1"):
        loader.flush()
    broken = TableLoader(db, "u", CATALOG.get("List"))
    broken.append(b'{"Count":1,"Data":[{"ID":1}', 1)
    with pytest.raises(OperationalError, match=r"could not be read as JSON"):
        broken.flush()


@pytest.mark.parametrize(
    ("sql", "loaded"),
    [
        ("SELECT Email FROM Contact WHERE DeliveredCount > 3", ["DeliveredCount", "Email"]),
        ("SELECT Status, COUNT(*) FROM Message GROUP BY Status", ["Status"]),
        ("SELECT COUNT(*) FROM Contact WHERE Name = 'x'", ["Name"]),
        ("SELECT count(*) FROM Contact c JOIN List l ON true", []),
    ],
)
def test_a_query_loads_only_the_columns_it_reads(
    demo_conn: mjquery.Connection, monkeypatch: pytest.MonkeyPatch, sql: str, loaded: list[str]
) -> None:
    fetches = [f for f in demo_conn.engine.plan(sql).fetches if not f.count_only]
    assert fetches and list(fetches[0].columns or ()) == loaded
    created: list[list[str]] = []
    original = TableLoader.__init__

    def spy(self: TableLoader, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        created.append([c.name for c in self.columns])

    monkeypatch.setattr(TableLoader, "__init__", spy)
    demo_conn.cursor().execute(sql).fetchall()
    assert created[0] == loaded


def test_star_loads_every_column(demo_conn: mjquery.Connection) -> None:
    (fetch,) = demo_conn.engine.plan("SELECT * FROM List").fetches
    assert fetch.columns is None
