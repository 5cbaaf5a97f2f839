"""The loader batches pages into one ``read_json`` per few pages; rows, order and fills stay exact."""

from __future__ import annotations

import os

import duckdb
import orjson

from mjquery.engine.loader import TableLoader
from mjquery.planner import ColumnFill
from mjquery.schema import load_catalog
from mjquery.schema.model import SqlType


def test_pages_are_loaded_in_order_in_batches_with_their_fills(tmp_path) -> None:
    schema = load_catalog().find("Contact")
    db = duckdb.connect()
    loader = TableLoader(db, "loaded", schema, str(tmp_path), batch_pages=3)
    ids = iter(range(1152921509561800000, 1152921509561900000))
    expected = []
    for page in range(8):
        rows = [
            {"ID": next(ids), "Email": f"p{page}r{i}@example.com", "DeliveredCount": i}
            for i in range(5)
        ]
        fill = (ColumnFill("ContactsList", 1 if page < 4 else 2, SqlType.BIGINT),)
        loader.append(orjson.dumps(rows), len(rows), fill)
        expected += [(r["ID"], r["Email"], fill[0].value) for r in rows]
    # pages 0-2 (a full batch), 3 (flushed when the fill changed), 4-6 (a full batch); 7 waits
    assert db.execute("SELECT count(*) FROM loaded").fetchone()[0] == 35
    loader.flush()
    assert db.execute('SELECT "ID", "Email", "ContactsList" FROM loaded').fetchall() == expected
    assert loader.rows == 40
    loader.discard()
    assert os.listdir(tmp_path) == []


def test_a_batch_with_a_value_of_the_wrong_type_is_read_leniently(tmp_path) -> None:
    schema = load_catalog().find("Contact")
    db = duckdb.connect()
    loader = TableLoader(db, "loaded", schema, str(tmp_path), batch_pages=8)
    loader.append(orjson.dumps([{"ID": 1, "DeliveredCount": 3}]), 1, ())
    loader.append(orjson.dumps([{"ID": 2, "DeliveredCount": ""}]), 1, ())
    loader.flush()
    assert db.execute('SELECT "ID", "DeliveredCount" FROM loaded ORDER BY 1').fetchall() == [
        (1, 3),
        (2, None),
    ]
    loader.discard()
