"""Engine behaviour a user relies on: error messages, bounds, the cache, progress, interrupts."""

from __future__ import annotations

import pytest

import mjquery
from mjquery.errors import (
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    SqlSyntaxError,
)
from mjquery.sandbox import Sandbox, SandboxConfig


def test_syntax_error_has_line_and_column(demo_conn) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        demo_conn.cursor().execute("SELECT Name\nFROM List\nWHERE Name = = 'x'")
    assert info.value.line == 3
    assert info.value.column is not None
    assert "line 3" in str(info.value)


def test_unknown_table_names_the_closest_mailjet_or_local_table(demo_conn) -> None:
    cur = demo_conn.cursor()
    with pytest.raises(ProgrammingError, match=r"Unknown table 'Contcat'. Did you mean 'Contact'"):
        cur.execute("SELECT * FROM Contcat")
    cur.execute("CREATE TABLE staging_emails (Email VARCHAR)")
    with pytest.raises(ProgrammingError, match=r"Did you mean 'staging_emails'"):
        cur.execute("SELECT * FROM staging_email")


def test_unknown_column_names_the_closest_column(demo_conn, demo_sandbox: Sandbox) -> None:
    with pytest.raises(
        ProgrammingError, match=r"Unknown column 'Emial' in Contact. Did you mean 'Email'"
    ):
        demo_conn.cursor().execute("SELECT Emial FROM Contact")
    with pytest.raises(ProgrammingError, match=r"Did you mean 'Name'"):
        demo_conn.cursor().execute("SELECT l.Nme FROM List l")
    assert len(demo_sandbox.log) == 0  # refused before any request


def test_required_pseudo_columns_are_named_with_their_values(demo_conn) -> None:
    with pytest.raises(ProgrammingError) as info:
        demo_conn.cursor().execute("SELECT * FROM StatCounters WHERE CounterSource = 'APIKey'")
    message = str(info.value)
    assert "CounterResolution" in message and "CounterTiming" in message
    assert "Lifetime" in message  # an allowed value is shown


def test_pseudo_column_in_an_unpushable_predicate_is_refused(demo_conn) -> None:
    with pytest.raises(ProgrammingError, match=r"ContactsList = <value>"):
        demo_conn.cursor().execute("SELECT * FROM Contact WHERE ContactsList > 3")


def test_sub_resource_fan_out_is_bounded_and_names_the_predicate(demo_sandbox: Sandbox) -> None:
    with (
        mjquery.connect(sandbox=demo_sandbox, max_fanout=3) as demo_conn,
        pytest.raises(
            ProgrammingError, match=r"needs CampaignDraftID: add WHERE CampaignDraftID = \.\.\."
        ),
    ):
        demo_conn.cursor().execute("SELECT * FROM CampaignDraftDetailContent")
    with mjquery.connect(sandbox=demo_sandbox, max_fanout=0) as demo_conn:
        demo_sandbox.log.clear()
        with pytest.raises(ProgrammingError, match=r"ContactList needs ContactID"):
            demo_conn.cursor().execute("SELECT * FROM ContactList")
        assert len(demo_sandbox.log) == 0


def test_dependent_join_over_the_key_bound_falls_back_to_one_scan(demo_sandbox: Sandbox) -> None:
    with mjquery.connect(sandbox=demo_sandbox, max_dependent_keys=1) as demo_conn:
        demo_sandbox.log.clear()
        cur = demo_conn.cursor()
        cur.execute(
            "SELECT count(*) FROM List l JOIN ListRecipient r ON r.ListID = l.ID WHERE l.IsDeleted = false"
        )
        expected = sum(
            1
            for r in demo_sandbox.data.resources["listrecipient"]
            if r["ListID"]
            in {x["ID"] for x in demo_sandbox.data.resources["contactslist"] if not x["IsDeleted"]}
        )
        assert cur.fetchone() == (expected,)
        pages = [
            r
            for r in demo_sandbox.log.requests(path="/v3/REST/listrecipient")
            if r.param("countOnly") is None
        ]
        assert all(r.param("ContactsList") is None for r in pages)


def test_writes_to_mailjet_tables_are_not_run_as_local_statements(demo_conn) -> None:
    with pytest.raises(NotSupportedError, match=r"Contact is a Mailjet object"):
        demo_conn.cursor().execute("CREATE TABLE Contact AS SELECT 1 AS x")


def test_cache_answers_repeated_queries_and_can_be_disabled(
    demo_conn, demo_sandbox: Sandbox
) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT Name FROM List")
    first = cur.fetchall()
    assert cur.stats.requests == 1
    cur.execute("SELECT Name FROM List")
    assert cur.fetchall() == first
    assert cur.stats.requests == 0 and cur.stats.cache_hits == 1
    demo_conn.cache_enabled = False
    cur.execute("SELECT Name FROM List")
    assert cur.stats.requests == 1
    demo_conn.cache_enabled = True
    demo_conn.clear_cache()
    cur.execute("SELECT Name FROM List")
    assert cur.stats.requests == 1


def test_progress_callback_sees_pages(demo_conn) -> None:
    seen: list[tuple[int, int | None]] = []
    demo_conn.progress = lambda done, expected: seen.append((done, expected))
    demo_conn.cursor().execute("SELECT count(*) FROM Message WHERE Status <> 'x'")
    assert seen and seen[-1][0] >= 1
    assert seen[-1][1] == seen[-1][0]


def test_keyboard_interrupt_propagates_and_leaves_the_connection_usable(demo_conn) -> None:
    calls = {"n": 0}

    def interrupt(done: int, expected: int | None) -> None:
        calls["n"] += 1
        raise KeyboardInterrupt

    demo_conn.progress = interrupt
    with pytest.raises(KeyboardInterrupt):
        demo_conn.cursor().execute("SELECT count(*) FROM Message WHERE Status <> 'x'")
    demo_conn.progress = None
    cur = demo_conn.cursor()
    cur.execute("SELECT count(*) FROM List WHERE Name <> ''")
    assert cur.fetchone()[0] > 0
    cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'mjq%'")
    assert cur.fetchone() == (0,)  # the interrupted statement's tables are gone


def test_bad_credentials_are_an_operational_error_without_the_secret(demo_sandbox: Sandbox) -> None:
    with (
        mjquery.connect(
            sandbox=demo_sandbox, api_key="wrong-key", api_secret="very-secret-value"
        ) as demo_conn,
        pytest.raises(OperationalError) as info,
    ):
        demo_conn.cursor().execute("SELECT * FROM List")
    assert "401" in str(info.value)
    assert "very-secret-value" not in str(info.value)


def test_explain_makes_no_request_and_says_what_is_pushed(demo_conn, demo_sandbox: Sandbox) -> None:
    text = demo_conn.explain(
        "SELECT Email FROM Contact WHERE ContactsList = ? AND Name LIKE 'A_%'", [7]
    )
    assert len(demo_sandbox.log) == 0
    assert "GET /v3/REST/contact?ContactsList=7" in text
    assert "ContactsList = 7: pushed exactly" in text
    assert "Name LIKE 'A_%': kept local" in text
    assert "DuckDB then runs:" in text
    cur = demo_conn.cursor()
    cur.execute("EXPLAIN SELECT COUNT(*) FROM Message WHERE CampaignID = 5")
    lines = [r[0] for r in cur.fetchall()]
    assert any("countOnly=1" in line for line in lines)
    assert len(demo_sandbox.log) == 0


def test_show_tables_and_describe(demo_conn) -> None:
    cur = demo_conn.cursor()
    cur.execute("CREATE TABLE mine (x INTEGER)")
    cur.execute("SHOW TABLES")
    tables = {r[0]: r for r in cur.fetchall()}
    assert tables["Contact"][1] == "mailjet" and tables["mine"][1] == "local"
    cur.execute("DESCRIBE Contact")
    columns = {r[0]: r for r in cur.fetchall()}
    assert columns["Email"][1] == "VARCHAR"
    assert "LIKE 'x%' (EmailLLike, re-checked)" in columns["Email"][3]
    assert columns["CreatedAt"][4] == "ASC, DESC"
    assert columns["ContactsList"][2] == "filter only"
    assert demo_conn.describe("ListRecipient")[0]["column_name"] == "ID"
    with pytest.raises(ProgrammingError, match=r"Did you mean 'Contact'"):
        demo_conn.describe("Contacs")
    cur.execute("DESCRIBE mine")
    assert cur.fetchall()[0][0] == "x"


def test_parameters_are_values_never_sql(demo_conn, demo_sandbox: Sandbox) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT count(*) FROM List WHERE Name = ?", ["x' OR '1'='1"])
    assert cur.fetchone() == (0,)
    (request,) = demo_sandbox.log.requests(path="/v3/REST/contactslist")
    assert request.param("Name") == "x' OR '1'='1"


def test_demo_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    with mjquery.connect(demo=True, cache_ttl=0) as demo_conn:
        assert demo_conn.sandbox is not None
        cur = demo_conn.cursor()
        cur.execute("SELECT count(*) FROM Contact")
        assert cur.fetchone()[0] == len(demo_conn.sandbox.data.resources["contact"])


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, demo_sandbox: Sandbox) -> None:
    with pytest.raises(mjquery.InterfaceError, match=r"MJ_APIKEY_PUBLIC"):
        mjquery.connect(base_url="http://127.0.0.1:9")
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", demo_sandbox.config.api_key)
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", demo_sandbox.config.api_secret)
    with mjquery.connect(
        transport=demo_sandbox.transport(), base_url="http://127.0.0.1:8765"
    ) as demo_conn:
        cur = demo_conn.cursor()
        cur.execute("SELECT count(*) FROM List")
        assert cur.fetchone()[0] == len(demo_sandbox.data.resources["contactslist"])


def test_slow_api_and_rate_limit_are_survived() -> None:
    demo_sandbox = Sandbox(
        seed=3, scale=0.05, config=SandboxConfig(latency_ms=5, fault_rate=0.2, fault_seed=1)
    )
    with mjquery.connect(sandbox=demo_sandbox, cache_ttl=0) as demo_conn:
        cur = demo_conn.cursor()
        cur.execute("SELECT count(*) FROM Contact WHERE Email <> ''")
        assert cur.fetchone()[0] == len(demo_sandbox.data.resources["contact"])


def test_a_parent_without_the_sub_resource_contributes_no_rows() -> None:
    from mjquery.api import action_path

    demo_sandbox = Sandbox(seed=7, scale=0.2)
    with mjquery.connect(sandbox=demo_sandbox, cache_ttl=0) as demo_conn:
        cur = demo_conn.cursor()
        drafts = [
            r[0]
            for r in cur.execute(
                "SELECT ID FROM CampaignDraft WHERE Status = 0 ORDER BY ID"
            ).fetchall()
        ]
        every = [r[0] for r in cur.execute("SELECT ID FROM CampaignDraft").fetchall()]
        # The demo's own programmed draft stays programmed (its date is ahead of the account clock).
        programmed = [
            r[0] for r in cur.execute("SELECT ID FROM CampaignDraft WHERE Status = 1").fetchall()
        ]
        scheduled, unscheduled = drafts[0], drafts[1]
        demo_conn.api.post(
            action_path("campaigndraft", scheduled, "schedule"), {"Date": "2031-01-01T10:00:00Z"}
        )
        demo_sandbox.log.clear()
        cur.execute("SELECT CampaignDraftID FROM CampaignDraftSchedule")
        assert sorted(cur.fetchall()) == sorted((i,) for i in [*programmed, scheduled])
        schedule_reads = [r for r in demo_sandbox.log if r.path.endswith("/schedule")]
        assert sorted(int(r.path.split("/")[4]) for r in schedule_reads) == sorted(every)
        with_schedule = len(programmed) + 1
        assert sorted(r.status for r in schedule_reads) == [200] * with_schedule + [404] * (
            len(every) - with_schedule
        )
        # Explicit parent ids: the one without a schedule adds nothing, the other its row.
        cur.execute(
            "SELECT CampaignDraftID FROM CampaignDraftSchedule WHERE CampaignDraftID IN (?, ?)",
            [unscheduled, scheduled],
        )
        assert cur.fetchall() == [(scheduled,)]
        cur.execute("SELECT * FROM CampaignDraftSchedule WHERE CampaignDraftID = ?", [unscheduled])
        assert cur.fetchall() == []


def test_other_errors_of_a_sub_resource_still_fail_the_query(demo_sandbox: Sandbox) -> None:
    import httpx

    inner = demo_sandbox.transport()

    def refuse_schedules(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/schedule"):
            return httpx.Response(403, json={"ErrorMessage": "no access", "StatusCode": 403})
        return inner.handle_request(request)

    with (
        mjquery.connect(
            sandbox=demo_sandbox, transport=httpx.MockTransport(refuse_schedules)
        ) as demo_conn,
        pytest.raises(
            OperationalError, match=r"not allowed to GET /v3/REST/campaigndraft/\d+/schedule"
        ),
    ):
        demo_conn.cursor().execute("SELECT * FROM CampaignDraftSchedule")
