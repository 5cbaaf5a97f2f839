"""The runner of the official Python client's suite (bench/official_client_suite.py): its plugin
sends the client's requests for api.mailjet.com to the sandbox, URLs built as for production,
and the junit report is read into one outcome per test. The suite itself is not in this
repository (docs/production-behaviours.md gives the command)."""

from __future__ import annotations

from pathlib import Path

from mailjet_rest.client import Client

from bench.official_client_plugin import PRODUCTION, ToSandbox
from bench.official_client_suite import outcomes
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxServer
from tests.writes_support import writes_sandbox


def test_the_plugin_sends_production_requests_to_the_sandbox() -> None:
    sb = writes_sandbox()
    with (
        SandboxServer(sb, host="127.0.0.1", port=0) as server,
        Client(auth=(DEMO_API_KEY, DEMO_API_SECRET), version="v3") as client,
    ):
        client.session.mount(PRODUCTION, ToSandbox(server.url))
        listed = client.contactslist.get(filters={"Limit": 10})
        url = client.contact._build_url(id_val="1")
    assert listed.status_code == 200
    assert [row["Name"] for row in listed.json()["Data"]] == ["Newsletter", "VIP"]
    assert url == "https://api.mailjet.com/v3/REST/contact/1"  # built as for production
    assert [(r.method, r.path) for r in sb.log] == [("GET", "/v3/REST/contactslist")]


def test_the_junit_report_gives_one_outcome_per_test(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase name="test_ok" />'
        '<testcase name="test_bad"><failure message="AssertionError: 404 != 200&#10;more" />'
        "</testcase>"
        '<testcase name="test_later"><skipped message="no data.csv" /></testcase>'
        "</testsuite></testsuites>"
    )
    assert [(o.test, o.result, o.reason) for o in outcomes(report)] == [
        ("test_ok", "passed", ""),
        ("test_bad", "failed", "AssertionError: 404 != 200"),
        ("test_later", "skipped", "no data.csv"),
    ]
