"""Export to CSV / JSON / Parquet and CSV import with a rejected-rows file."""

from __future__ import annotations

import csv
import json
import sqlite3

import duckdb
import pytest

from mjquery.errors import ProgrammingError
from mjquery.writes import WriteOptions
from mjquery.writes.imports import import_file, parse_mapping, rejected_path_for
from mjquery.writes.transfer import ExportFormat, export_query, write_rows
from tests.writes_support import CATALOG, client_for, writes_in, writes_sandbox


@pytest.fixture
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE Contact (ID INTEGER, Email TEXT, Name TEXT)")
    conn.executemany(
        "INSERT INTO Contact VALUES (?, ?, ?)",
        [(1, "ann@example.com", "Ann"), (2, "bob@example.com", None)],
    )
    yield conn
    conn.close()


def test_export_csv_with_header_and_delimiter(db, tmp_path):
    out = tmp_path / "c.csv"
    report = export_query(db, "Contact", out, delimiter=";")
    assert (report.rows, report.format, report.columns) == (
        2,
        ExportFormat.CSV,
        ("ID", "Email", "Name"),
    )
    assert out.read_text().splitlines() == [
        "ID;Email;Name",
        "1;ann@example.com;Ann",
        "2;bob@example.com;",
    ]
    export_query(db, "SELECT Email FROM Contact ORDER BY ID DESC", out, header=False)
    assert out.read_text().splitlines() == ["bob@example.com", "ann@example.com"]


def test_export_json_and_parquet(db, tmp_path):
    export_query(db, "SELECT * FROM Contact", tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text()) == [
        {"ID": 1, "Email": "ann@example.com", "Name": "Ann"},
        {"ID": 2, "Email": "bob@example.com", "Name": None},
    ]
    export_query(db, "SELECT * FROM Contact", tmp_path / "c.parquet")
    rows = duckdb.sql(
        f"SELECT ID, Email, Name FROM read_parquet('{tmp_path / 'c.parquet'}') ORDER BY ID"
    ).fetchall()
    assert rows == [(1, "ann@example.com", "Ann"), (2, "bob@example.com", None)]


def test_export_format_errors(db, tmp_path):
    with pytest.raises(ProgrammingError, match=r"use .csv, .parquet or .json"):
        export_query(db, "Contact", tmp_path / "c.xlsx")
    with pytest.raises(ProgrammingError, match=r"csv, parquet or json"):
        export_query(db, "Contact", tmp_path / "c.out", format="xml")


def test_import_maps_columns_rejects_bad_rows_and_writes_the_rejected_file(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(
        "email_address,Name,IsExcludedFromCampaigns,shoe size\n"
        "gus@example.com,Gus,false,44\n"
        "ann@example.com,Ann again,false,38\n"
        "hal@example.com,Hal,perhaps,41\n"
        "ivy@example.com,Ivy,true,39\n"
    )
    sb = writes_sandbox()
    with client_for(sb) as api:
        report = import_file(
            api,
            source,
            "Contact",
            catalog=CATALOG,
            mapping=parse_mapping(["email_address=Email"]),
            options=WriteOptions(concurrency=1),
        )
    assert (report.read, report.written, report.existed) == (4, 2, 1)
    assert report.ignored_columns == ("shoe size",)
    assert (
        report.rejected_path
        == str(rejected_path_for(source))
        == str(tmp_path / "people.rejected.csv")
    )
    with open(report.rejected_path, newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(r["email_address"], r["line"]) for r in rejected] == [("hal@example.com", "4")]
    assert "Contact.IsExcludedFromCampaigns is BOOLEAN" in rejected[0]["error"]
    assert rejected[0]["shoe size"] == "41"
    # The existing contact is left as it was; the type error never reached the API.
    assert writes_in(sb) == [("POST", "/v3/REST/contact")] * 2
    assert "imported 2 of 4 rows" in report.summary()


# The 10,000-row round trip runs in bench/bench_writes.py over the real HTTP server; here 1,500
# rows in three jobs keep the suite fast.
def test_import_many_rows_into_a_list_round_trips(tmp_path):
    source = tmp_path / "big.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name"])
        writer.writerows([f"person{i:05d}@example.org", f"Person {i}"] for i in range(1_500))
    sb = writes_sandbox()
    seen = []
    with client_for(sb) as api:
        report = import_file(
            api,
            source,
            "Contact",
            catalog=CATALOG,
            list_name="VIP",
            options=WriteOptions(poll_interval=0.0, bulk_batch_size=500),
            progress=lambda state: seen.append((state.confirmed, state.total)),
        )
        assert report.written == 1_500 and report.rejected == () and report.rejected_path is None
        writes = writes_in(sb)
        assert writes == [("POST", "/v3/REST/contactslist/8/managemanycontacts")] * 3
        assert seen[-1] == (1_500, 1_500)
        # Read the list back through the API and write it out again: the same rows.
        rows = [r for page in api.scan("/v3/REST/contact", {"ContactsList": 8}) for r in page]
    out = tmp_path / "back.csv"
    write_rows(
        out, ExportFormat.CSV, ("Email", "Name"), [sorted((r["Email"], r["Name"]) for r in rows)]
    )
    assert out.read_text() == source.read_text().replace("\r\n", "\n")


def test_import_into_an_unknown_list_or_column_stops_before_any_write(tmp_path):
    source = tmp_path / "x.csv"
    source.write_text("Email\nx@example.com\n")
    sb = writes_sandbox()
    with client_for(sb) as api:
        with pytest.raises(ProgrammingError, match=r"No contact list named 'Nope'"):
            import_file(api, source, "Contact", catalog=CATALOG, list_name="Nope")
        with pytest.raises(ProgrammingError, match=r"has no column 'Mail'"):
            import_file(api, source, "Contact", catalog=CATALOG, mapping={"Email": "Mail"})
    assert writes_in(sb) == []
