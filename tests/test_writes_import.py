"""``mjquery import``: INSERT semantics, every format reported alike, line numbers, the journal.

The command runs through ``main`` against a small in-process account (tests/writes_support.py),
so the summary line, the exit status, the rejected file and the rows the account ends with are
all checked.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

import mjquery
from mjquery.cli.main import main
from mjquery.errors import ProgrammingError
from mjquery.writes import WriteOptions
from mjquery.writes.imports import import_file, read_source
from mjquery.writes.journal import read_journal
from tests.fake_clock import FakeClock
from tests.writes_support import CATALOG, client_for, writes_in, writes_sandbox


class Run:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err


def run(sb: Any, *argv: str, **write: Any) -> Run:
    def connect(**kwargs: Any) -> Any:
        kwargs.pop("demo", None)
        conn = mjquery.connect(
            sandbox=sb, write_options=WriteOptions(poll_interval=0, **write), **kwargs
        )
        conn.api.clock = FakeClock()  # retries and read-backs without waiting
        return conn

    out, err = io.StringIO(), io.StringIO()
    status = main(["--demo", *argv], connect=connect, stdin=io.StringIO(""), stdout=out, stderr=err)
    return Run(status, out.getvalue(), err.getvalue())


def contact(sb: Any, email: str) -> dict[str, Any]:
    return next(c for c in sb.data.resources["contact"] if c["Email"] == email)


def members(sb: Any, list_id: int) -> set[int]:
    return {r["ContactID"] for r in sb.data.resources["listrecipient"] if r["ListID"] == list_id}


# -- INSERT semantics ----------------------------------------------------------------------------


def test_an_existing_contact_is_not_modified_but_added_to_the_list(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email,Name\nann@example.com,Existing Ada\nzed@example.com,Zed\n")
    result = run(sb, "import", str(source), "--into", "Contact", "--list", "VIP")
    assert result.status == 0, result.err
    assert result.err == (
        "imported 1 of 2 rows into Contact; 1 already existed (left unchanged, added to VIP)\n"
    )
    assert contact(sb, "ann@example.com")["Name"] == "Ann"  # not renamed
    assert {1, contact(sb, "zed@example.com")["ID"]} <= members(sb, 8)


def test_upsert_updates_existing_contacts(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email,Name\nann@example.com,Ann Hall\nzed@example.com,Zed\n")
    result = run(sb, "import", str(source), "--into", "Contact", "--upsert")
    assert result.status == 0, result.err
    assert result.err == "imported 2 of 2 rows into Contact (1 existing updated)\n"
    assert contact(sb, "ann@example.com")["Name"] == "Ann Hall"
    assert sorted(writes_in(sb)) == [("POST", "/v3/REST/contact"), ("PUT", "/v3/REST/contact/1")]


def test_a_repeated_key_in_the_file_is_a_duplicate_of_its_first_line(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "Email,Name\nnew@example.com,First\nother@example.com,Other\nNEW@example.com,Second\n"
    )
    result = run(sb, "import", str(source), "--into", "Contact")
    assert result.status == 3
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "people.rejected.csv").read_text())))
    assert [(r["Email"], r["line"], r["error"]) for r in rejected] == [
        ("NEW@example.com", "4", "duplicate of line 2 (same Email NEW@example.com)")
    ]
    assert contact(sb, "new@example.com")["Name"] == "First"


def test_rejected_rows_carry_the_files_line_numbers(sb, tmp_path: Path) -> None:
    # A quoted cell spanning lines and a blank line: line numbers are the file's, not row counts.
    source = tmp_path / "people.csv"
    source.write_text('Email,Name\nok@example.com,"Two\nlines"\n\nbad-address,Bad\nalso-bad,Bad\n')
    result = run(sb, "import", str(source), "--into", "Contact")
    assert result.status == 3
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "people.rejected.csv").read_text())))
    assert [(r["Email"], r["line"]) for r in rejected] == [("bad-address", "5"), ("also-bad", "6")]
    assert rejected[0]["error"] == (
        "Contact.Email is not a valid email address: 'bad-address' (line 5)"
    )


@pytest.mark.parametrize("with_list", [False, True])
def test_a_malformed_email_has_one_plain_reason_with_or_without_a_list(
    sb, tmp_path: Path, with_list: bool
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email,Name\nnot an email,X\n")
    extra = ["--list", "VIP"] if with_list else []
    result = run(sb, "import", str(source), "--into", "Contact", *extra)
    assert result.status == 3
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "people.rejected.csv").read_text())))
    assert rejected[0]["error"] == (
        "Contact.Email is not a valid email address: 'not an email' (line 2)"
    )
    assert writes_in(sb) == []


def test_a_semicolon_delimited_file_is_detected(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email;Name\nsemi@example.com;Semi Colon\n")
    result = run(sb, "import", str(source), "--into", "Contact")
    assert result.status == 0, result.err
    assert contact(sb, "semi@example.com")["Name"] == "Semi Colon"


def test_a_wrong_delimiter_asks_whether_it_is_the_right_one(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email;Name\nsemi@example.com;Semi Colon\n")
    result = run(sb, "import", str(source), "--into", "Contact", "--delimiter", ",")
    assert result.status == 1
    assert "Is the delimiter ';'? Give it with --delimiter ';'." in result.err
    assert writes_in(sb) == []


# -- JSON and JSON lines report like CSV -------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_imports_report_existing_and_refused_rows_like_csv(
    sb, tmp_path: Path, suffix: str
) -> None:
    records = [
        {"Email": "j1@example.com", "Name": "J One"},
        {"Email": "ann@example.com", "Name": "Not Ann"},
        {"Email": "j2@example.com", "IsExcludedFromCampaigns": "perhaps"},
    ]
    source = tmp_path / f"people{suffix}"
    if suffix == ".jsonl":
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        source.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    result = run(sb, "import", str(source), "--into", "Contact")
    rejected_path = tmp_path / f"people.rejected{suffix}"
    assert result.status == 3
    assert result.err == (
        "imported 1 of 3 rows into Contact; 1 already existed (left unchanged); "
        f"1 rejected, see {rejected_path}\n"
    )
    text = rejected_path.read_text()
    rejected = (
        [json.loads(line) for line in text.splitlines()] if suffix == ".jsonl" else json.loads(text)
    )
    assert [(r["Email"], r["line"]) for r in rejected] == [
        ("j2@example.com", 4 if suffix == ".json" else 3)
    ]
    assert "IsExcludedFromCampaigns is BOOLEAN" in rejected[0]["error"]
    assert contact(sb, "ann@example.com")["Name"] == "Ann"


def test_a_json_lines_record_that_is_not_json_is_rejected_by_its_line(sb, tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text('{"Email": "ok@example.com"}\n{"Email": oops}\n[1, 2]\n')
    result = run(sb, "import", str(source), "--into", "Contact")
    assert result.status == 3
    rejected = [json.loads(x) for x in (tmp_path / "rows.rejected.jsonl").read_text().splitlines()]
    assert [(r["line"], r["text"]) for r in rejected] == [(2, '{"Email": oops}'), (3, "[1, 2]")]
    assert rejected[0]["error"].startswith("line 2: not valid JSON")
    assert rejected[1]["error"] == "line 3: not a JSON object"


def test_read_source_numbers_json_records_by_their_first_line(tmp_path: Path) -> None:
    source = tmp_path / "x.json"
    source.write_text('[\n  {"a": 1},\n\n  {\n    "a": 2\n  }\n]')
    assert [r.line for r in read_source(source).rows] == [2, 4]


# -- the journal: interrupted imports resume -----------------------------------------------------


class Interrupt(BaseException):
    pass


def test_an_interrupted_import_resumes_from_its_journal(tmp_path: Path) -> None:
    sb = writes_sandbox()
    source = tmp_path / "many.csv"
    source.write_text("Email,Name\n" + "".join(f"p{i}@x.example,P {i}\n" for i in range(300)))
    journal = tmp_path / "state" / "many.jsonl"
    options = WriteOptions(bulk_threshold=100, bulk_batch_size=100, poll_interval=0, concurrency=1)
    seen: list[str] = []

    def stop_once_the_second_job_is_posted(event: Any) -> None:
        if event.text.startswith("job 2: "):
            raise Interrupt

    with client_for(sb) as api:
        with pytest.raises(Interrupt):
            import_file(
                api,
                source,
                "Contact",
                catalog=CATALOG,
                options=options,
                journal=journal,
                progress=lambda state: seen.append(state.describe()),
                on_event=stop_once_the_second_job_is_posted,
            )
        # The first job was confirmed, the second submitted: the journal says so.
        assert seen[-1] == "200 submitted, 100 confirmed of 300 rows"
        left = read_journal_for(journal)
        assert (len(left.done), len(left.pending)) == (100, 100)
        on_server = {c["Email"] for c in sb.data.resources["contact"]}
        assert sum(f"p{i}@x.example" in on_server for i in range(300)) == 200
        events: list[Any] = []
        report = import_file(
            api,
            source,
            "Contact",
            catalog=CATALOG,
            options=options,
            journal=journal,
            resume=True,
            on_event=events.append,
        )
    assert report.summary() == (
        "imported 300 of 300 rows into Contact (200 by the interrupted run this one resumed)"
    )
    assert events[0].text.startswith(f"resuming the import of {source}")
    assert "100 rows already confirmed are skipped" in events[0].text
    emails = [c["Email"] for c in sb.data.resources["contact"]]
    assert len(emails) == len(set(emails))  # no duplicate
    assert sum(e.endswith("@x.example") for e in emails) == 300
    assert not journal.exists()  # finished: nothing left to resume


def read_journal_for(path: Path) -> Any:
    first = orjson.loads(path.read_bytes().splitlines()[0])
    from mjquery.writes.journal import JournalKey

    key = JournalKey(
        first["input"], first["sha256"], first["table"], first["list_id"], first["mode"]
    )
    return read_journal(path, key)


def test_resume_without_an_interrupted_import_is_an_error(tmp_path: Path) -> None:
    sb = writes_sandbox()
    source = tmp_path / "x.csv"
    source.write_text("Email\nx@example.com\n")
    with client_for(sb) as api, pytest.raises(ProgrammingError, match=r"nothing to resume"):
        import_file(
            api, source, "Contact", catalog=CATALOG, journal=tmp_path / "j.jsonl", resume=True
        )
    assert writes_in(sb) == []


def test_import_from_the_command_line_keeps_its_journal_in_the_state_directory(
    sb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email\nj@example.com\n")
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    assert run(sb, "import", str(source), "--into", "Contact").status == 0
    journals = state / "mjquery" / "state" / "imports"
    assert journals.is_dir() and list(journals.iterdir()) == []  # finished: removed
    again = run(sb, "import", str(source), "--into", "Contact", "--resume")
    assert again.status == 1 and "nothing to resume" in again.err


def journal_events(path: Path) -> list[dict[str, Any]]:
    """The journal's events, without a last line still being written (or cut by the kill)."""
    events = []
    for line in path.read_bytes().splitlines():
        try:
            events.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            break
    return events


@pytest.mark.server
def test_sigkill_mid_import_leaves_a_journal_and_the_re_run_finishes_without_duplicates(
    tmp_path: Path,
) -> None:
    # The real command in its own process against the HTTP sandbox, killed with SIGKILL once
    # its first bulk job was submitted: the journal names the jobs, the progress line never
    # showed fewer rows than the server held, and running the command again finishes it.
    import os
    import signal
    import subprocess
    import sys
    import time

    from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxServer

    total = 3000  # three bulk jobs of 1,000
    source = tmp_path / "many.csv"
    source.write_text("Email,Name\n" + "".join(f"k{i}@kill.example,K {i}\n" for i in range(total)))
    state = tmp_path / "state"
    journals = state / "mjquery" / "state" / "imports"
    sb = writes_sandbox(latency_ms=150)

    def on_server() -> list[str]:
        return [c["Email"] for c in sb.data.resources["contact"] if "@kill." in c["Email"]]

    env = dict(
        os.environ,
        MJ_APIKEY_PUBLIC=DEMO_API_KEY,
        MJ_APIKEY_PRIVATE=DEMO_API_SECRET,
        XDG_STATE_HOME=str(state),
    )
    with SandboxServer(sb) as server:
        command = [
            sys.executable,
            "-m",
            "mjquery.cli.main",
            "import",
            str(source),
            "--into",
            "Contact",
            "--base-url",
            server.url,
            "--verbose",
        ]
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 120
            journal: list[dict[str, Any]] = []
            while time.monotonic() < deadline and child.poll() is None:
                files = list(journals.glob("*.jsonl")) if journals.is_dir() else []
                journal = journal_events(files[0]) if files else []
                if any(e.get("event") == "submitted" and e.get("job") for e in journal):
                    break
                time.sleep(0.02)
            assert child.poll() is None, "the import ended before it could be killed"
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.stderr is not None
        with child.stderr:
            err = child.stderr.read()
        held = len(on_server())
        [path] = journals.glob("*.jsonl")
        events = journal_events(path)
        assert events[0]["event"] == "start" and events[0]["sha256"]
        assert not any(e["event"] == "finished" for e in events)  # killed mid-way
        submitted_jobs = [e["job"] for e in events if e["event"] == "submitted" and e.get("job")]
        assert submitted_jobs and all(f"job {j}: " in err for j in submitted_jobs)
        progress = [x for x in err.splitlines() if x.startswith("importing: ")]
        assert progress, err
        shown = int(progress[-1].split()[1].replace(",", ""))  # "importing: N submitted, ..."
        assert held <= shown  # the progress never said less than the server held

        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "resuming the import of" in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"imported {total:,} of {total:,} rows")
    emails = on_server()
    assert len(emails) == len(set(emails)) == total  # all there, none twice
    assert list(journals.glob("*.jsonl")) == []  # finished: nothing left to resume


# -- faults: the summary, the exit status and the rejected file say what the server holds --------


def faulty_sandbox(*rules: tuple[str, str, str, int]) -> Any:
    from mjquery.sandbox import FaultKind, FaultRule

    return writes_sandbox(
        fault_rules=tuple(FaultRule(m, p, FaultKind(k), times) for m, p, k, times in rules)
    )


def test_an_import_whose_job_polls_all_fail_finishes_from_the_read_back(tmp_path: Path) -> None:
    sb = faulty_sandbox(
        ("GET", r"/v3/REST/contactslist/8/managemanycontacts/\d+", "error-before", 999)
    )
    source = tmp_path / "many.csv"
    source.write_text("Email\n" + "".join(f"q{i}@poll.example\n" for i in range(150)))
    result = run(sb, "import", str(source), "--into", "Contact", "--list", "VIP", "--verbose")
    assert result.status == 0, result.err
    assert result.err.splitlines()[-1] == "imported 150 of 150 rows into Contact"
    assert "job 1: status unknown" in result.err  # the polls failed; the read-back settled it
    assert not (tmp_path / "many.rejected.csv").exists()
    on_list = members(sb, 8)
    assert sum(contact(sb, f"q{i}@poll.example")["ID"] in on_list for i in range(150)) == 150
    polls = [r.status for r in sb.log if "/managemanycontacts/" in r.path]
    assert polls and set(polls) == {503}


def test_a_lost_job_answer_rejects_exactly_the_rows_not_on_the_server(tmp_path: Path) -> None:
    # Every answer to the job's POST is lost after the server applied it; one row is malformed
    # and one contact exists already: the rejected file holds the malformed row only.
    sb = faulty_sandbox(("POST", "/v3/REST/contact/managemanycontacts", "drop-after", 99))
    source = tmp_path / "many.csv"
    rows = [f"r{i}@lost.example,R {i}" for i in range(120)]
    rows[5] = "not-an-email,Bad"
    rows[9] = "bob@example.com,Not Bob"
    source.write_text("Email,Name\n" + "".join(r + "\n" for r in rows))
    result = run(sb, "import", str(source), "--into", "Contact")
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "many.rejected.csv").read_text())))
    assert [(r["Email"], r["line"]) for r in rejected] == [("not-an-email", "7")]
    assert result.status == 3
    assert result.err.splitlines()[-1].startswith(
        "imported 118 of 120 rows into Contact; 1 already existed (left unchanged); 1 rejected"
    )
    on_server = {c["Email"] for c in sb.data.resources["contact"]}
    assert {r.split(",")[0] for r in rows} - on_server == {"not-an-email"}
    assert contact(sb, "bob@example.com")["Name"] == "Bob"
    assert writes_in(sb) == [("POST", "/v3/REST/contact/managemanycontacts")]  # sent once


def test_a_header_naming_a_column_twice_is_refused_before_any_write(sb, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email,Name,email\na@b.example,A,c@d.example\n")
    result = run(sb, "import", str(source), "--into", "Contact")
    assert result.status == 1
    assert (
        f"{source}: the header names 'email' twice (columns 1 and 3); rename one of them"
        in result.err
    )
    assert writes_in(sb) == []


def test_rows_left_outcome_unknown_keep_the_journal_and_the_next_run_settles_them(
    sb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First run: the job is applied but its answer is lost, and every read after it fails, so
    # no row can be settled. Second run, the API healthy again: it finds them all on the server.
    from bench.fault_matrix import Blackout

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    source = tmp_path / "many.csv"
    source.write_text("Email\n" + "".join(f"u{i}@dark.example\n" for i in range(120)))

    def dark(**kwargs: Any) -> Any:
        kwargs.pop("demo", None)
        conn = mjquery.connect(
            sandbox=sb,
            transport=Blackout(sb),
            write_options=WriteOptions(poll_interval=0),
            **kwargs,
        )
        conn.api.clock = FakeClock()
        return conn

    err = io.StringIO()
    status = main(
        ["--demo", "import", str(source), "--into", "Contact"],
        connect=dark,
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=err,
    )
    rejected_path = tmp_path / "many.rejected.csv"
    lines = err.getvalue().splitlines()
    assert status == 3
    assert lines[-2] == (
        f"imported 0 of 120 rows into Contact; 120 outcome unknown, see {rejected_path}"
    )
    assert lines[-1].startswith("the journal ") and lines[-1].endswith(
        "is kept: run the same import again to settle the rows whose outcome is unknown"
    )
    rejected = list(csv.DictReader(io.StringIO(rejected_path.read_text())))
    assert len(rejected) == 120
    assert all(r["error"].startswith("outcome unknown") for r in rejected)
    assert (
        "Check with: SELECT ID, Email, Name FROM Contact WHERE Email = 'u0@dark.example'"
        in (rejected[0]["error"])
    )
    assert sum(c["Email"].endswith("@dark.example") for c in sb.data.resources["contact"]) == 120

    again = run(sb, "import", str(source), "--into", "Contact")
    assert again.status == 0, again.err
    assert again.err.splitlines()[-1] == (
        "imported 120 of 120 rows into Contact (120 by the interrupted run this one resumed)"
    )
    assert not rejected_path.exists()
    assert list((tmp_path / "state" / "mjquery" / "state" / "imports").iterdir()) == []
    emails = [c["Email"] for c in sb.data.resources["contact"]]
    assert len(emails) == len(set(emails))
    assert [w for w in writes_in(sb) if "managemanycontacts" in w[1]] == [
        ("POST", "/v3/REST/contact/managemanycontacts")
    ]  # sent once
