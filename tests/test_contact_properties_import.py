"""``mjquery import FILE --into Contact --map column=Property``: contact properties filled from
a file, each value checked against its property's type (a bad one rejects its row only).

The account is ``tests/writes_support.small_account``: properties ``age`` (int) and
``country`` (str); ann@example.com (contact 1, age "30") exists, lists 7 Newsletter and 8 VIP.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.writes.imports import import_file
from tests.test_cli_transfer import run as run_cli
from tests.writes_support import RecordingTransport

BULK = "/v3/REST/contact/managemanycontacts"
PEOPLE = (
    "email,full name,years,where\n"
    "new1@example.com,New One,41,PT\n"
    "new2@example.com,New Two,forty,ES\n"
    "ann@example.com,Ann,50,\n"
    "new3@example.com,New Three,,NL\n"
)
MAP = {"full name": "Name", "years": "age", "where": "country"}


def properties_of(sb: Sandbox, email: str) -> dict[str, Any] | None:
    contact = next(c for c in sb.store.table("contact").rows if c["Email"] == email)
    data = [r for r in sb.store.table("contactdata").rows if r["ContactID"] == contact["ID"]]
    return {i["Name"]: i["Value"] for i in data[0]["Data"]} if data else None


def test_import_maps_file_columns_to_contact_properties(sb: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE)
    transport = RecordingTransport(sb)
    with mjquery.connect(sandbox=sb, transport=transport) as conn:
        report = import_file(conn.api, source, "Contact", catalog=conn.catalog, mapping=MAP)
    assert report.summary() == (
        "imported 2 of 4 rows into Contact; 1 already existed (left unchanged); "
        f"1 rejected, see {tmp_path / 'people.rejected.csv'}"
    )
    assert report.properties == {"years": "age", "where": "country"}
    assert report.ignored_columns == ()
    assert properties_of(sb, "new1@example.com") == {"age": "41", "country": "PT"}
    assert properties_of(sb, "new3@example.com") == {"country": "NL"}  # empty cell: not set
    assert properties_of(sb, "ann@example.com") == {"age": "30"}  # existing: left as it was
    # the new contacts and their properties in one job (POST /contact takes no Properties)
    [(method, path, body)] = transport.bodies
    assert (method, path) == ("POST", BULK)
    assert body["Contacts"] == [
        {
            "Email": "new1@example.com",
            "Name": "New One",
            "Properties": {"age": 41, "country": "PT"},
        },
        {"Email": "new3@example.com", "Name": "New Three", "Properties": {"country": "NL"}},
    ]
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "people.rejected.csv").read_text())))
    assert [(r["email"], r["line"], r["error"]) for r in rejected] == [
        (
            "new2@example.com",
            "3",
            "ContactProperties.age: the contact property 'age' is of type int (BIGINT); "
            "line 3 gives 'forty', which does not fit.",
        )
    ]


def test_upsert_sets_the_properties_of_existing_contacts(sb: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "update.csv"
    source.write_text("email,years\nann@example.com,51\n")
    with mjquery.connect(sandbox=sb) as conn:
        report = import_file(
            conn.api,
            source,
            "Contact",
            catalog=conn.catalog,
            mapping={"years": "age"},
            upsert=True,
        )
    assert (report.written, report.updated, report.rejected) == (1, 1, ())
    assert properties_of(sb, "ann@example.com") == {"age": "51"}


def test_an_unknown_property_is_refused_before_any_write(sb: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE)
    result = run_cli(sb, "import", str(source), "--into", "Contact", "--map", "years=agee")
    assert result.status != 0
    assert (
        "--map years=agee: Contact has no column 'agee' and the account no contact property"
        in result.err
    )
    assert "Did you mean 'age'?" in result.err
    assert [r.method for r in sb.log] == ["GET"]  # the definitions only
    assert "Traceback" not in result.err


def test_cli_import_with_map_to_a_property(sb: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email,years\nnew9@example.com,33\n")
    result = run_cli(sb, "import", str(source), "--into", "Contact", "--map", "years=age")
    assert result.status == 0, result.err
    assert result.err == "imported 1 of 1 rows into Contact\n"
    assert properties_of(sb, "new9@example.com") == {"age": "33"}


def test_import_file_without_a_catalog_reads_the_properties_itself(
    sb: Sandbox, tmp_path: Path
) -> None:
    from tests.writes_support import client_for

    source = tmp_path / "people.csv"
    source.write_text("email,where\nnew8@example.com,SE\n")
    with client_for(sb) as api:
        report = import_file(api, source, "Contact", mapping={"where": "country"})
    assert report.written == 1
    assert properties_of(sb, "new8@example.com") == {"country": "SE"}
    assert [r.path for r in sb.log if r.path.endswith("contactmetadata")] == [
        "/v3/REST/contactmetadata"
    ]
