"""The ``mjquery`` command on a stand-in connection: every command, format and exit code."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
from pathlib import Path

import pytest

import mjquery
from mjquery.cli.main import main
from tests.frontend_fakes import FakeConnection


@pytest.fixture(autouse=True)
def _qmark(monkeypatch: pytest.MonkeyPatch) -> None:
    # The stand-in runs on DuckDB, which takes ? markers.
    monkeypatch.setattr(mjquery, "paramstyle", "qmark", raising=False)


class Run:
    def __init__(self, status: int, out: str, err: str, connections: list[FakeConnection]) -> None:
        self.status, self.out, self.err, self.connections = status, out, err, connections


def run(*argv: str, stdin: str = "") -> Run:
    connections: list[FakeConnection] = []

    def connect(**kwargs: object) -> FakeConnection:
        connections.append(FakeConnection(**kwargs))
        return connections[-1]

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), connect=connect, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Run(status, out.getvalue(), err.getvalue(), connections)


QUERY = "SELECT Name, SubscriberCount FROM List ORDER BY SubscriberCount DESC"


def test_c_prints_an_aligned_table_and_closes_the_connection() -> None:
    result = run("--demo", "-c", QUERY)
    assert result.status == 0, result.err
    assert result.out.splitlines() == [
        " Name       | SubscriberCount",
        "------------+-----------------",
        " Newsletter |            1200",
        " Trial      |             310",
        " VIP        |               7",
    ]
    assert result.err == ""
    assert result.connections[0].kwargs == {"demo": True}
    assert result.connections[0].closed


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "--format", "csv", "-c", QUERY],
        ["-c", QUERY, "--format", "csv", "--demo"],
        ["-f", "csv", "--demo", "-c", QUERY],
    ],
)
def test_common_options_anywhere(argv: list[str]) -> None:
    result = run(*argv)
    assert result.status == 0, result.err
    assert list(csv.reader(io.StringIO(result.out)))[1] == ["Newsletter", "1200"]


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("table", lambda out: out.splitlines()[2] == " Newsletter |            1200"),
        ("csv", lambda out: out.splitlines()[:2] == ["Name,SubscriberCount", "Newsletter,1200"]),
        ("tsv", lambda out: out.splitlines()[1] == "Newsletter\t1200"),
        ("json", lambda out: json.loads(out)[2] == {"Name": "VIP", "SubscriberCount": 7}),
        (
            "jsonl",
            lambda out: (
                json.loads(out.splitlines()[1]) == {"Name": "Trial", "SubscriberCount": 310}
            ),
        ),
        (
            "markdown",
            lambda out: (
                out.splitlines()[:3]
                == ["| Name | SubscriberCount |", "| --- | ---: |", "| Newsletter | 1200 |"]
            ),
        ),
    ],
)
def test_every_format(fmt: str, check) -> None:  # type: ignore[no-untyped-def]
    result = run("--demo", "--format", fmt, "-c", QUERY)
    assert result.status == 0, result.err
    assert check(result.out), result.out


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--demo", "--format", "xml", "-c", QUERY).status == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_output_file_gets_the_results_only(tmp_path: Path) -> None:
    target = tmp_path / "lists.csv"
    result = run("--demo", "-c", QUERY, "--format", "csv", "-o", str(target))
    assert result.status == 0 and result.out == ""
    assert target.read_text().splitlines()[0] == "Name,SubscriberCount"


def test_stdin_is_read_when_it_is_not_a_terminal() -> None:
    result = run("--demo", "--format", "csv", stdin="select 1 as one;\nselect 2 as two;")
    assert result.status == 0, result.err
    assert result.out.splitlines() == ["one", "1", "", "two", "2"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        # csv and tsv: a blank line between two results, each with its header
        ("csv", "a,b\n1,x\n\nc\n2\n3\n"),
        ("tsv", "a\tb\n1\tx\n\nc\n2\n3\n"),
        # jsonl: one object per line, all rows in turn
        ("jsonl", '{"a": 1, "b": "x"}\n{"c": 2}\n{"c": 3}\n'),
    ],
)
def test_several_statements_are_joined_as_documented(fmt: str, expected: str) -> None:
    # the real engine: a CREATE returns no rows, so it prints nothing between the two results
    sql = (
        "SELECT 1 AS a, 'x' AS b; CREATE TEMP TABLE t AS SELECT 2 AS c;"
        " SELECT * FROM t UNION ALL SELECT 3 ORDER BY 1"
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["--demo", "-f", fmt, "-c", sql], stdout=out, stderr=err) == 0, err.getvalue()
    assert out.getvalue() == expected


def test_several_statements_in_json_are_one_valid_document() -> None:
    result = run("--demo", "-f", "json", "-c", "SELECT 1 AS a; SELECT 2 AS b UNION ALL SELECT 3")
    assert result.status == 0, result.err
    assert json.loads(result.out) == [[{"a": 1}], [{"b": 2}, {"b": 3}]]
    single = run("--demo", "-f", "json", "-c", "SELECT 1 AS a")
    assert json.loads(single.out) == [{"a": 1}]  # one statement: its array, as before


def test_a_failing_statement_of_several_is_named_and_the_json_stays_valid() -> None:
    result = run(
        "--demo", "-f", "json", "-c", "SELECT 1 AS a; SELECT nope FROM List WHERE ID = 1; SELECT 3"
    )
    assert result.status == 1
    assert json.loads(result.out) == [[{"a": 1}]]  # what ran before the error
    first_line = result.err.splitlines()[0]
    assert first_line.startswith("mjquery: error: statement 2 (SELECT nope FROM List WHERE …): ")
    assert [sql for sql, _ in result.connections[0].executed] == [
        "SELECT 1 AS a",
        "SELECT nope FROM List WHERE ID = 1",
    ]


def test_run_binds_file_parameters_as_query_parameters(tmp_path: Path) -> None:
    report = tmp_path / "report.sql"
    report.write_text(
        "-- lists bigger than :min\nSELECT Name FROM List WHERE SubscriberCount > :min\n"
        "AND Name <> :skip ORDER BY Name;\n"
    )
    result = run(
        "run", str(report), "--param", "min=100", "-p", "skip=Trial", "--demo", "-f", "csv"
    )
    assert result.status == 0, result.err
    assert result.out.splitlines() == ["Name", "Newsletter"]
    sql, params = result.connections[0].executed[0]
    assert params == ["100", "Trial"]  # text: DuckDB compares it with the BIGINT column
    assert "Trial" not in sql and "100" not in sql


def test_run_without_a_parameter_value_fails_with_a_hint(tmp_path: Path) -> None:
    report = tmp_path / "report.sql"
    report.write_text("SELECT Name FROM List WHERE Name = :list_name;")
    result = run("--demo", "run", str(report))
    assert result.status == 1
    assert result.err == (
        "mjquery: error: no value for parameter :list_name; pass --param list_name=VALUE\n"
    )


def test_run_refuses_a_parameter_the_file_does_not_use(tmp_path: Path) -> None:
    report = tmp_path / "report.sql"
    report.write_text(
        "-- :list_name in a comment is not a parameter\nSELECT Name FROM List WHERE Name = :name;"
    )
    result = run(
        "--demo", "run", str(report), "--param", "list_name=Newsletter", "--param", "name=x"
    )
    assert result.status == 1
    assert result.err == (
        "mjquery: error: --param list_name: not used by the SQL (its parameters: :name)\n"
    )
    assert result.connections == [] or result.connections[0].executed == []


def test_run_reads_standard_input_for_dash() -> None:
    result = run("--demo", "run", "-", "-f", "csv", stdin="SELECT COUNT(*) AS n FROM Contact;")
    assert result.out.splitlines() == ["n", "2"]


def test_missing_file_is_one_line() -> None:
    result = run("--demo", "run", "nope.sql")
    assert (result.status, result.err) == (1, "mjquery: error: nope.sql: no such file\n")


def test_sql_errors_are_one_line_without_traceback() -> None:
    result = run("--demo", "-c", "SELECT nope FROM List")
    assert result.status == 1
    assert result.err.startswith("mjquery: error: ")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_verbose_shows_the_traceback_and_status_lines() -> None:
    ok = run("--demo", "--verbose", "-c", "SELECT 1")
    assert ok.status == 0
    assert ok.err.startswith("1 row in ") and ok.err.rstrip().endswith(
        "2 API requests · 1 cache hit"
    )
    failed = run("--demo", "-c", "SELECT nope FROM List", "--verbose")
    assert failed.status == 1 and "Traceback (most recent call last)" in failed.err


def test_update_without_where_is_refused_unless_allowed() -> None:
    refused = run("--demo", "-c", "UPDATE List SET Name = 'x'")
    assert refused.status == 1
    assert "UPDATE without WHERE would change every row" in refused.err
    assert refused.connections[0].executed == []
    allowed = run("--demo", "--no-safe-updates", "-c", "UPDATE List SET Name = 'x'")
    assert allowed.status == 0, allowed.err
    assert allowed.connections[0].executed == [("UPDATE List SET Name = 'x'", None)]


def test_no_credentials_is_an_error_that_names_the_fixes() -> None:
    result = run("-c", "SELECT 1")
    assert result.status == 1
    assert "no Mailjet credentials" in result.err and "--demo" in result.err
    assert result.connections == []


def test_environment_credentials_reach_connect_and_the_secret_is_scrubbed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "very-private-secret"
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", "pub")
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", secret)
    result = run("--base-url", "http://127.0.0.1:1", "-c", f"SELECT '{secret}' AS s FROM nowhere")
    assert result.connections[0].kwargs == {
        "api_key": "pub",
        "api_secret": secret,
        "base_url": "http://127.0.0.1:1",
    }
    assert result.status == 1
    assert secret not in result.err


def test_demo_and_profile_conflict() -> None:
    result = run("--demo", "--profile", "work", "-c", "SELECT 1")
    assert (result.status, result.err) == (
        1,
        "mjquery: error: --demo and --profile cannot be used together\n",
    )


def test_no_statement_is_an_error() -> None:
    assert run("--demo", "-c", "-- nothing").err == "mjquery: error: no SQL statement to run\n"


def test_tables_lists_the_catalog_without_credentials() -> None:
    result = run("tables", "--format", "csv")
    assert result.status == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    by_name = {r["Table"]: r for r in rows}
    assert by_name["List"]["Resource"] == "contactslist"
    assert by_name["Contact"]["Resource"] == "contact"
    assert result.connections == []


def test_describe_shows_pushed_filters() -> None:
    result = run("describe", "contactslist", "-f", "json")
    assert result.status == 0, result.err
    columns = {c["Column"]: c for c in json.loads(result.out)}
    assert "Name" in columns and columns["ID"]["Type"] == "BIGINT"
    assert any(c["Pushed to API"] for c in columns.values())


def test_describe_says_that_statistics_lag_behind_the_messages() -> None:
    # Production's statistics trail the messages by hours (mailjet-apiv3-nodejs#116).
    lagging = run("describe", "OpenInformation")
    assert lagging.status == 0, lagging.err
    assert lagging.out.rstrip().endswith(
        "Note: Mailjet computes these statistics from the messages with a delay of up to hours; "
        "the latest activity may be missing."
    )
    assert "Note:" not in run("describe", "Contact").out
    assert "Note:" not in run("describe", "OpenInformation", "-f", "json").out  # stays JSON


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_and_describe_print_descriptions_in_full_when_piped() -> None:
    from mjquery.schema.catalog import load_catalog

    contact = load_catalog().get("Contact")
    longest = max((c.description for c in contact.columns), key=len)
    assert len(longest) > 70  # cut at 70 before
    result = run("describe", "Contact")
    assert " ".join(longest.split()) in result.out
    assert "…" not in result.out
    assert "(filter only)" in result.out and "Pushed to API: the predicates" not in result.out


def test_on_a_terminal_describe_wraps_to_its_width_and_explains_filter_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    out = Terminal()
    assert main(["describe", "Contact"], stdout=out, stderr=io.StringIO()) == 0
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 90
    assert "…" not in text
    assert "(filter only): not a field of the API's rows but a filter it accepts" in text
    tables = Terminal()
    assert main(["tables"], stdout=tables, stderr=io.StringIO()) == 0
    assert max(len(line) for line in tables.getvalue().splitlines()) <= 90


def test_on_an_80_column_terminal_describe_never_breaks_a_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mjquery.schema.catalog import load_catalog

    monkeypatch.setenv("COLUMNS", "80")
    out = Terminal()
    assert main(["describe", "Contact"], stdout=out, stderr=io.StringIO()) == 0
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    words = set(text.replace("|", " ").split())
    assert {c.name for c in load_catalog().get("Contact").columns} <= words
    tables = Terminal()
    assert main(["tables"], stdout=tables, stderr=io.StringIO()) == 0
    words = set(tables.getvalue().replace("|", " ").split())
    assert {"CampaignDraftDetailContent", "campaigndraft/detailcontent"} <= words


def test_expanded_option() -> None:
    result = run("--demo", "-x", "-c", "SELECT Name, SubscriberCount FROM List WHERE ID = 2")
    assert result.status == 0, result.err
    assert result.out.splitlines() == [
        "-[ RECORD 1 ]---+----",
        "Name            | VIP",
        "SubscriberCount | 7",
    ]
    assert run("--demo", "--expanded", "-c", "SELECT 1 AS a").out.startswith("-[ RECORD 1 ]")


def test_describe_unknown_table_suggests_the_closest() -> None:
    result = run("describe", "Contcat")
    assert result.status == 1
    assert result.err == "mjquery: error: Unknown table 'Contcat'. Did you mean 'Contact'?\n"


def test_export_writes_the_file_in_the_format_of_its_extension(tmp_path: Path) -> None:
    target = tmp_path / "contacts.jsonl"
    result = run("export", "Contact", str(target), "--demo")
    assert result.status == 0, result.err
    assert result.err == f"exported 2 rows to {target} (jsonl)\n"
    assert [json.loads(line)["Email"] for line in target.read_text().splitlines()] == [
        "ann@example.com",
        "bob@acme.test",
    ]
    assert result.connections[0].executed[0][0] == 'SELECT * FROM "Contact"'


def test_export_of_a_query_and_an_unknown_extension(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    assert run("export", "SELECT Name FROM List WHERE ID = 2", str(target), "--demo").status == 0
    assert target.read_text() == "Name\nVIP\n"
    bad = run("export", "List", str(tmp_path / "x.xlsx"), "--demo")
    assert bad.status == 1 and "Cannot tell the format of" in bad.err and ".parquet" in bad.err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help").status == 0
    assert "examples:" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_the_installed_distribution_s(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(flag).status == 0
    assert capsys.readouterr().out == f"mjquery {importlib.metadata.version('mjquery')}\n"


def test_c_with_a_subcommand_is_refused() -> None:
    result = run("-c", "SELECT 1", "tables")
    assert result.status == 1 and "-c cannot be combined" in result.err
