"""The account clock: the demo account lives at its own date, advancing in real time from the start.

Every time the sandbox writes or compares (CreatedAt of a new contact, job times, schedule
checks, ``Period``) reads that one clock, so a programmed draft of the demo account stays
programmed however late the machine's clock is, and data written in a session sits just after
the account's history.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import mjquery
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig
from mjquery.sandbox.demo import DEMO_NOW
from tests.sandbox_fixtures import BASE_URL, small_account

#: An account date far from the machine's clock, so a test cannot pass by reading the wrong one.
FUTURE_START = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def client_for(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        transport=sandbox.transport(), base_url=BASE_URL, auth=(DEMO_API_KEY, DEMO_API_SECRET)
    )


def data(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code in (200, 201), response.text
    return response.json()["Data"]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def started_at(start: datetime, account: Any = None) -> Sandbox:
    return Sandbox(data=account or small_account(), config=SandboxConfig(start=start))


@pytest.fixture(scope="module")
def demo() -> Sandbox:
    return Sandbox()


@pytest.fixture(scope="module")
def demo_http(demo: Sandbox) -> Iterator[httpx.Client]:
    with client_for(demo) as http:
        yield http


# -- the demo account ------------------------------------------------------------------------------


def test_the_demo_clock_starts_at_the_demo_date_and_advances(demo: Sandbox) -> None:
    first = demo.store.clock()
    assert DEMO_NOW <= first < DEMO_NOW + timedelta(minutes=5)
    time.sleep(0.02)
    assert demo.store.clock() > first


def test_a_fresh_demo_sandbox_shows_its_programmed_draft(
    demo: Sandbox, demo_http: httpx.Client
) -> None:
    # The machine's clock may well be past the draft's date; the account's is not.
    programmed = data(demo_http.get("/v3/REST/campaigndraft", params={"Status": 1, "Limit": 0}))
    assert len(programmed) == 1 and programmed[0]["Status"] == 1
    draft_id = programmed[0]["ID"]
    (schedule,) = data(demo_http.get(f"/v3/REST/campaigndraft/{draft_id}/schedule"))
    assert moment(schedule["Date"]) > demo.store.clock()
    # Reading campaigns runs the due-schedule check too: still no campaign for this draft.
    assert demo_http.get(f"/v3/REST/campaign/mj.nl={draft_id}").status_code == 404
    assert data(demo_http.get(f"/v3/REST/campaigndraft/{draft_id}"))[0]["Status"] == 1


def test_mjquery_reads_the_programmed_draft_and_its_schedule() -> None:
    with mjquery.connect(demo=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT ID, Status FROM CampaignDraft WHERE Status = 1")
        programmed = cursor.fetchall()
        assert len(programmed) == 1 and programmed[0][1] == 1
        cursor.execute("SELECT * FROM CampaignDraftSchedule")
        schedules = cursor.fetchall()
    assert [row[0] for row in schedules] == [programmed[0][0]]
    assert schedules[0][1] > DEMO_NOW.replace(tzinfo=None)  # DuckDB gives naive UTC times


def test_a_contact_created_in_the_demo_is_stamped_with_the_account_clock(
    demo: Sandbox, demo_http: httpx.Client
) -> None:
    (created,) = data(demo_http.post("/v3/REST/contact", json={"Email": "clock.check@example.com"}))
    stamped = moment(created["CreatedAt"])
    assert abs((stamped - demo.store.clock()).total_seconds()) < 1
    newest_before = max(
        moment(c["CreatedAt"])
        for c in demo.store.table("contact").rows
        if c["ID"] != created["ID"] and c["CreatedAt"]
    )
    assert (
        newest_before <= stamped < DEMO_NOW + timedelta(minutes=5)
    )  # just after the account's history


def test_writes_and_jobs_of_a_session_read_the_account_clock() -> None:
    sandbox = started_at(FUTURE_START)
    with client_for(sandbox) as http:
        (recipient,) = data(http.post("/v3/REST/listrecipient", json={"ContactID": 4, "ListID": 1}))
        (renamed,) = data(http.put("/v3/REST/contact/2", json={"Name": "Renamed"}))
        body = {
            "Contacts": [{"Email": "job.clock@example.com"}],
            "ContactsLists": [{"ListID": 1, "Action": "addforce"}],
        }
        (job,) = data(http.post("/v3/REST/contact/managemanycontacts", json=body))
        (batchjob,) = data(http.get(f"/v3/REST/batchjob/{job['JobID']}"))
    clock = sandbox.store.clock()
    assert abs((moment(recipient["SubscribedAt"]) - clock).total_seconds()) < 1
    assert (
        abs(batchjob["JobStart"] - clock.timestamp()) < 1
        and batchjob["RequestAt"] == batchjob["JobStart"]
    )
    assert abs((moment(renamed["LastUpdateAt"]) - clock).total_seconds()) < 1


# -- schedules ---------------------------------------------------------------------------------------


def test_a_schedule_just_ahead_of_the_account_clock_fires_once_that_time_has_come() -> None:
    sandbox = started_at(FUTURE_START)
    due = sandbox.store.clock() + timedelta(seconds=0.3)
    with client_for(sandbox) as http:
        posted = http.post("/v3/REST/campaigndraft/1/schedule", json={"Date": due.isoformat()})
        assert posted.status_code == 201, posted.text
        assert data(http.get("/v3/REST/campaigndraft/1"))[0]["Status"] == 1
        assert http.get("/v3/REST/campaigndraft/1/schedule").status_code == 200
        time.sleep(max(0.0, (due - sandbox.store.clock()).total_seconds()) + 0.05)
        (draft,) = data(http.get("/v3/REST/campaigndraft/1"))
        assert draft["Status"] == 2
        assert http.get("/v3/REST/campaigndraft/1/schedule").status_code == 404
        (campaign,) = data(http.get("/v3/REST/campaign/mj.nl=1"))
    # Sent on the account clock's date, not the machine's.
    assert abs((moment(campaign["SendStartAt"]) - due).total_seconds()) < 1
    assert abs((moment(draft["DeliveredAt"]) - due).total_seconds()) < 1


def test_a_schedule_behind_the_account_clock_is_refused_even_if_the_machine_clock_is_earlier() -> (
    None
):
    sandbox = started_at(FUTURE_START)
    machine_future = FUTURE_START - timedelta(
        days=1
    )  # after the machine's clock, before the account's
    assert machine_future > datetime.now(UTC)
    with client_for(sandbox) as http:
        refused = http.post(
            "/v3/REST/campaigndraft/1/schedule", json={"Date": machine_future.isoformat()}
        )
        accepted = http.post(
            "/v3/REST/campaigndraft/1/schedule",
            json={"Date": (FUTURE_START + timedelta(hours=1)).isoformat()},
        )
    assert (
        refused.status_code == 400
        and refused.json()["ErrorMessage"] == "The schedule date is in the past"
    )
    assert accepted.status_code == 201, accepted.text


# -- Period, explicit start, accounts without a date ---------------------------------------------------


def test_period_reads_the_configured_start() -> None:
    # The small account's one click happened on 2024-02-11 at 08:00; its own date is June 2024.
    def campaign_ids(start: datetime | None, period: str) -> list[int]:
        sandbox = started_at(start) if start else Sandbox(data=small_account())
        with client_for(sandbox) as http:
            return [
                c["ID"]
                for c in data(http.get("/v3/REST/clickstatistics", params={"Period": period}))
            ]

    assert campaign_ids(datetime(2024, 2, 11, 15, 0, tzinfo=UTC), "Day") == [1]
    assert campaign_ids(datetime(2024, 2, 12, 1, 0), "Day") == []  # naive: UTC
    assert campaign_ids(datetime(2024, 2, 12, 1, 0), "Month") == [1]
    assert campaign_ids(None, "Month") == []  # the account's own date, 2024-06-01


def test_an_account_without_a_date_follows_the_machine_clock() -> None:
    account = small_account()
    undated = SimpleNamespace(
        resources=account.resources, sub_resources=account.sub_resources, api_key_id=1
    )
    sandbox = Sandbox(data=undated)
    with client_for(sandbox) as http:
        (created,) = data(http.post("/v3/REST/contact", json={"Email": "wall.clock@example.com"}))
    assert abs((moment(created["CreatedAt"]) - datetime.now(UTC)).total_seconds()) < 2
