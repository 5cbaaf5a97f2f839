"""``mjquery export`` / ``mjquery import`` and ``--no-safe-updates`` on a real connection to the sandbox.

The commands run through ``main`` with ``connect`` bound to a small in-process account, so the
files written, the rows the account ends with and the API requests made are all checked.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb

import mjquery
from mjquery.cli.main import main
from tests.writes_support import writes_in


class Run:
    def __init__(self, status: int, out: str, err: str, connections: list[Any]) -> None:
        self.status, self.out, self.err, self.connections = status, out, err, connections


def run(sb, *argv: str) -> Run:
    connections: list[Any] = []

    def connect(**kwargs: Any) -> Any:
        kwargs.pop("demo", None)
        connections.append(mjquery.connect(sandbox=sb, **kwargs))
        return connections[-1]

    out, err = io.StringIO(), io.StringIO()
    status = main(["--demo", *argv], connect=connect, stdin=io.StringIO(""), stdout=out, stderr=err)
    return Run(status, out.getvalue(), err.getvalue(), connections)


def emails_in_list(sb, list_id: int) -> list[str]:
    members = {r["ContactID"] for r in sb.data.resources["listrecipient"] if r["ListID"] == list_id}
    return sorted(c["Email"] for c in sb.data.resources["contact"] if c["ID"] in members)


# -- export ---------------------------------------------------------------------------------------


def test_export_a_table_to_csv_with_dash_o(sb, tmp_path: Path) -> None:
    target = tmp_path / "lists.csv"
    result = run(sb, "export", "List", "-o", str(target))
    assert result.status == 0, result.err
    assert result.err == f"exported 2 rows to {target} (csv)\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["ID"], r["Name"]) for r in rows] == [("7", "Newsletter"), ("8", "VIP")]


def test_export_a_select_to_parquet_and_json(sb, tmp_path: Path) -> None:
    select = "SELECT Email, Name FROM Contact WHERE ContactsList = 7 ORDER BY Email"
    parquet = tmp_path / "list7.parquet"
    assert run(sb, "export", select, "-o", str(parquet)).status == 0
    assert duckdb.sql(f"SELECT Email, Name FROM read_parquet('{parquet}')").fetchall() == [
        ("ann@example.com", "Ann"),
        ("bob@example.com", "Bob"),
    ]
    reads = [r for r in sb.log if r.path == "/v3/REST/contact"]
    assert reads and all(r.param("ContactsList") == "7" for r in reads)  # the WHERE was pushed down

    as_json = tmp_path / "list7.json"
    assert run(sb, "export", select, "-o", str(as_json)).status == 0
    assert json.loads(as_json.read_text()) == [
        {"Email": "ann@example.com", "Name": "Ann"},
        {"Email": "bob@example.com", "Name": "Bob"},
    ]


def test_export_format_option_wins_over_the_extension(sb, tmp_path: Path) -> None:
    target = tmp_path / "lists.out"
    result = run(sb, "export", "List", "-o", str(target), "--format", "json")
    assert result.status == 0, result.err
    assert [r["Name"] for r in json.loads(target.read_text())] == ["Newsletter", "VIP"]
    parquet = tmp_path / "lists.data"
    assert (
        run(sb, "export", "SELECT ID FROM List", "--format", "parquet", "-o", str(parquet)).status
        == 0
    )
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchall() == [(2,)]


def test_export_errors_are_one_line(sb, tmp_path: Path) -> None:
    missing = run(sb, "export", "List")
    assert (missing.status, missing.err) == (
        1,
        'mjquery: error: export needs a destination: mjquery export "<select or table>" -o file.csv\n',
    )
    unknown = run(sb, "export", "List", "-o", str(tmp_path / "x.xlsx"))
    assert unknown.status == 1 and "Cannot tell the format" in unknown.err
    bad_format = run(sb, "export", "List", "-o", str(tmp_path / "x.csv"), "--format", "xml")
    assert bad_format.status == 2
    assert not (tmp_path / "x.csv").exists()


def test_export_progress_with_verbose(sb, tmp_path: Path) -> None:
    result = run(sb, "export", "Contact", "-o", str(tmp_path / "c.csv"), "--verbose")
    assert result.status == 0
    assert "exporting: 3 rows" in result.err


# -- import ---------------------------------------------------------------------------------------


def test_import_into_contact_with_list_and_map(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email_address,full name,shoe\nlu@example.com,Lu,41\nmo@example.com,Mo,44\n")
    result = run(
        sb,
        "import",
        str(source),
        "--into",
        "Contact",
        "--list",
        "VIP",
        "--map",
        "email_address=Email",
        "--map",
        "full name=Name",
    )
    assert result.status == 0, result.err
    assert result.err == "imported 2 of 2 rows into Contact; ignored columns: shoe\n"
    assert emails_in_list(sb, 8) == ["lu@example.com", "mo@example.com"]
    names = {c["Email"]: c["Name"] for c in sb.data.resources["contact"]}
    assert names["lu@example.com"] == "Lu" and names["mo@example.com"] == "Mo"
    # The list is found by name with one read; each contact is created and subscribed in one request.
    assert next(r for r in sb.log if r.path == "/v3/REST/contactslist").param("Name") == "VIP"
    assert writes_in(sb) == [("POST", "/v3/REST/contactslist/8/managecontact")] * 2
    assert not (tmp_path / "people.rejected.csv").exists()


def test_import_writes_the_rejected_rows_next_to_the_input_and_exits_3(sb, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text(
        "Email,Name,IsExcludedFromCampaigns\n"
        "ok@example.com,Ok,false\n"
        "ann@example.com,Ann again,false\n"  # exists already: left as it is
        "odd@example.com,Odd,perhaps\n"
    )  # not a boolean: refused before sending
    result = run(sb, "import", str(source), "--into", "Contact")
    rejected = tmp_path / "new.rejected.csv"
    assert result.status == 3
    assert result.err == (
        "imported 1 of 3 rows into Contact; 1 already existed (left unchanged); "
        f"1 rejected, see {rejected}\n"
    )
    rows = list(csv.reader(io.StringIO(rejected.read_text())))
    assert rows[0] == ["Email", "Name", "IsExcludedFromCampaigns", "line", "error"]
    assert [r[:4] for r in rows[1:]] == [["odd@example.com", "Odd", "perhaps", "4"]]
    assert "IsExcludedFromCampaigns" in rows[1][4] and "BOOLEAN" in rows[1][4]
    assert writes_in(sb) == [("POST", "/v3/REST/contact")]  # the bad value never left
    assert next(c["Name"] for c in sb.data.resources["contact"] if c["ID"] == 1) == "Ann"


def test_import_many_contacts_uses_bulk_jobs_and_shows_progress(sb, tmp_path: Path) -> None:
    source = tmp_path / "many.csv"
    source.write_text("Email\n" + "".join(f"p{i}@bulk.example\n" for i in range(150)))
    result = run(
        sb, "import", str(source), "--into", "Contact", "--list", "Newsletter", "--verbose"
    )
    assert result.status == 0, result.err
    lines = result.err.splitlines()
    assert lines[-1] == "imported 150 of 150 rows into Contact"
    # --verbose: the job's ID when it is submitted and when it ends; progress counts both,
    # the rows submitted before the POST goes (it may land without an answer).
    assert lines[:2] == [
        "importing: 150 submitted, 0 confirmed of 150 rows",
        "job 1: 150 rows submitted (lines 2-151)",
    ]
    assert "job 1: Completed" in lines
    assert "importing: 150 submitted, 0 confirmed of 150 rows" in lines
    assert "importing: 150 submitted, 150 confirmed of 150 rows" in lines
    assert [w for w in writes_in(sb)] == [("POST", "/v3/REST/contactslist/7/managemanycontacts")]
    assert len(emails_in_list(sb, 7)) == 2 + 150


def test_import_older_form_and_usage_errors(sb, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text("Email,Name\ncat@example.com,Cat\n")
    assert (
        run(sb, "import", "Contact", str(source)).status == 0
    )  # mjquery import TABLE FILE still works
    assert "cat@example.com" in {c["Email"] for c in sb.data.resources["contact"]}
    no_table = run(sb, "import", str(source))
    assert (no_table.status, no_table.err) == (
        1,
        "mjquery: error: import needs the table: mjquery import file.csv --into Contact\n",
    )
    bad_map = run(sb, "import", str(source), "--into", "Contact", "--map", "mail=Email")
    assert bad_map.status == 1 and "the file has no column 'mail'" in bad_map.err
    no_list = run(sb, "import", str(source), "--into", "Contact", "--list", "Nope")
    assert no_list.status == 1 and "No contact list named 'Nope'" in no_list.err
    not_contact = run(sb, "import", str(source), "--into", "Template", "--list", "VIP")
    assert (
        not_contact.status == 1 and "--list only applies to imports into Contact" in not_contact.err
    )


# -- --no-safe-updates reaches the connection ---------------------------------------------------


def test_no_safe_updates_reaches_the_library_and_allows_update_without_where(sb) -> None:
    refused = run(sb, "-c", "UPDATE Campaign SET IsStarred = true")
    assert refused.status == 1 and "without WHERE" in refused.err
    assert writes_in(sb) == []
    allowed = run(sb, "--no-safe-updates", "-c", "UPDATE Campaign SET IsStarred = true")
    assert allowed.status == 0, allowed.err
    assert allowed.connections[0].write_options.allow_unfiltered is True
    assert writes_in(sb) == [("PUT", "/v3/REST/campaign/100")]
    assert allowed.err.startswith("1 row updated")


def test_a_write_the_api_partly_refuses_prints_each_refusal_and_exits_3(sb) -> None:
    member = sb.data.resources["listrecipient"][0]
    outsider = next(
        c["ID"]
        for c in sb.data.resources["contact"]
        if not any(
            r["ContactID"] == c["ID"] and r["ListID"] == member["ListID"]
            for r in sb.data.resources["listrecipient"]
        )
    )
    result = run(
        sb,
        "-c",
        "INSERT INTO ListRecipient (ContactID, ListID) VALUES "
        f"({member['ContactID']}, {member['ListID']}), ({outsider}, {member['ListID']})",
    )
    assert result.status == 3
    lines = result.err.splitlines()
    assert lines[0].startswith("1 row inserted")
    assert lines[1].startswith("mjquery: warning: 1 row written, 1 failed")
    assert "MJ18" in lines[1] and f"{member['ContactID']}|{member['ListID']}" in lines[1]
    assert any(
        r["ContactID"] == outsider and r["ListID"] == member["ListID"]
        for r in sb.data.resources["listrecipient"]
    )
