"""Where production differs from the reference, the sandbox does what production does.

Each test names its evidence: recorded traffic (the gem cassettes, tests/data/gem-cassettes.json)
or a maintainer's answer in an official client's issue tracker. The knobs that make the sandbox
harsher where evidence is thin (eventual consistency, job error files, lagging statistics) are
tested at the end.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import orjson
import pytest

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig
from mjquery.sandbox.config import JobErrorFormat
from tests.fake_clock import FakeClock
from tests.sandbox_fixtures import BASE_URL, small_account


def data(response: httpx.Response) -> list[dict]:
    assert response.status_code in (200, 201), response.text
    return response.json()["Data"]


def open_client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(
        transport=sb.transport(), base_url=BASE_URL, auth=(DEMO_API_KEY, DEMO_API_SECRET)
    )


def contact_data(client: httpx.Client, contact_id: int) -> dict[str, str]:
    (row,) = data(client.get(f"/v3/REST/contactdata/{contact_id}"))
    return {item["Name"]: item["Value"] for item in row["Data"]}


# -- contact properties -----------------------------------------------------------------------------


def test_contactdata_put_changes_only_the_properties_sent(client: httpx.Client) -> None:
    # api-behaviour section 7: "PUT /contactdata/{contact_id} updates only the given properties".
    # Replacing the whole array erased a contact's other properties.
    assert contact_data(client, 1) == {"age": "31"}
    (row,) = data(
        client.put("/v3/REST/contactdata/1", json={"Data": [{"Name": "city", "Value": "Paris"}]})
    )
    assert {i["Name"]: i["Value"] for i in row["Data"]} == {"age": "31", "city": "Paris"}
    assert contact_data(client, 1) == {"age": "31", "city": "Paris"}


def test_contactdata_values_are_strings_in_answers(client: httpx.Client) -> None:
    # Recorded: contactdata?Limit=1 answers "Value": "N" (gem cassette); the guide's PUT sends a
    # JSON number (examples/contactdata.put.request.json), which comes back as text.
    client.put("/v3/REST/contactdata/alice@acme.com", json={"Data": [{"Name": "age", "value": 42}]})
    assert contact_data(client, 1) == {"age": "42"}


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"Name": "age", "Value": "forty"}, "Property type does not match definition"),
        ({"Name": "age", "Value": True}, "Property type does not match definition"),
        ({"Name": "shoe_size", "Value": "44"}, "Property not defined"),
    ],
)
def test_contactdata_refuses_a_wrong_type_or_an_undefined_property(
    client: httpx.Client, item: dict, reason: str
) -> None:
    # The reference's "Object properties invalid" answer (api-behaviour section 4); properties
    # must be defined in contactmetadata first (section 7).
    response = client.put("/v3/REST/contactdata/1", json={"Data": [item]})
    assert response.status_code == 400
    assert response.json() == {
        "ErrorInfo": {"Properties": [{item["Name"]: reason}]},
        "ErrorMessage": "Object properties invalid",
        "StatusCode": 400,
    }
    assert contact_data(client, 1) == {"age": "31"}  # nothing changed


def test_contactdata_null_unassigns_a_property(client: httpx.Client) -> None:
    client.put("/v3/REST/contactdata/1", json={"Data": [{"Name": "age", "Value": None}]})
    assert contact_data(client, 1) == {}


def test_contactdata_post_keeps_one_row_per_contact(client: httpx.Client, sandbox: Sandbox) -> None:
    # The row's ID is the contact's ID (recorded contactdata?Limit=1: "ContactID": 254509966,
    # "ID": 254509966): a POST for a contact that has its row merges into it.
    (row,) = data(
        client.post(
            "/v3/REST/contactdata",
            json={"ContactID": 1, "Data": [{"Name": "city", "Value": "Lyon"}]},
        )
    )
    assert row["ID"] == row["ContactID"] == 1
    rows = [r for r in sandbox.data.resources["contactdata"] if r["ContactID"] == 1]
    assert len(rows) == 1
    assert contact_data(client, 1) == {"age": "31", "city": "Lyon"}
    (new,) = data(
        client.post(
            "/v3/REST/contactdata", json={"ContactID": 2, "Data": [{"Name": "age", "Value": 7}]}
        )
    )
    assert new["ID"] == 2 and contact_data(client, 2) == {"age": "7"}


# -- contacts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["1", "999"])
def test_deleting_a_contact_through_v3_is_401_operation_not_allowed(
    client: httpx.Client, sandbox: Sandbox, key: str
) -> None:
    # mailjet-apiv3-nodejs#129: "Error: Unsuccessful: 401 Operation not allowed" (not 405).
    response = client.delete(f"/v3/REST/contact/{key}")
    assert response.status_code == 401
    assert response.json()["ErrorMessage"] == "Operation not allowed"
    assert sandbox.store.contact(1) is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v3/REST/contact/alice"),
        ("GET", "/v3/REST/contact/alice/getcontactslists"),
        ("PUT", "/v3/REST/contact/alice"),
    ],
)
def test_a_contact_key_neither_id_nor_email_is_400(
    client: httpx.Client, method: str, path: str
) -> None:
    # mailjet-apiv3-python#43: 400 'Unexpected error during GET: Invalid email address
    # "(...)", reason: "No @ character in mail"', not a 404.
    response = client.request(method, path, json={"Name": "x"} if method == "PUT" else None)
    assert response.status_code == 400
    assert response.json()["ErrorMessage"] == (
        f'Unexpected error during {method}: Invalid email address "alice", '
        'reason: "No @ character in mail"'
    )


def test_a_read_only_property_sent_with_another_value_is_401_mj19(client: httpx.Client) -> None:
    # mailjet-apiv3-java#46: 401 "Internal error: MJ19 Setting a value for property
    # \"UnsubscribedAt\" is not allowed" for a PUT of a contact read back and edited.
    response = client.put(
        "/v3/REST/contact/1", json={"Name": "Alice B", "CreatedAt": "2001-01-01T00:00:00Z"}
    )
    assert response.status_code == 401
    assert response.json()["ErrorMessage"] == (
        'Internal error: MJ19 Setting a value for property "CreatedAt" is not allowed'
    )
    assert data(client.get("/v3/REST/contact/1"))[0]["Name"] == "Alice"


def test_demo_contact_ids_are_above_two_to_the_32(small_demo_sandbox: Sandbox) -> None:
    # Production contact IDs reach ~1.2e10 today; the demo's must not fit in 32 bits either.
    ids = [row["ID"] for row in small_demo_sandbox.data.resources["contact"]]
    assert min(ids) > 2**32


def test_ids_are_never_reused_after_a_delete(client: httpx.Client) -> None:
    (first,) = data(client.post("/v3/REST/listrecipient", json={"ContactID": 6, "ListID": 1}))
    assert client.delete(f"/v3/REST/listrecipient/{first['ID']}").status_code == 204
    (second,) = data(client.post("/v3/REST/listrecipient", json={"ContactID": 6, "ListID": 2}))
    assert second["ID"] > first["ID"]


# -- paging and sorting -------------------------------------------------------------------------------


def test_limit_zero_ignores_the_offset(client: httpx.Client, sandbox: Sandbox) -> None:
    # Mailjet staff in mailjet-apiv3-nodejs#68 ("this is because you set the limit to 0") and
    # mailjet-gem#167 (limit: 0, offset: 1000 gave the same 1000 rows as offset 0).
    first = data(client.get("/v3/REST/contact", params={"Limit": 0}))
    offset = data(client.get("/v3/REST/contact", params={"Limit": 0, "Offset": 3}))
    assert offset == first and len(first) == 6
    assert len(data(client.get("/v3/REST/contact", params={"Limit": 1000, "Offset": 3}))) == 3


@pytest.mark.parametrize(
    ("sort", "field"),
    [("ID+DESC", "id+desc"), ("Name", "name"), ("LastActivityAt DESC", "lastactivityat")],
)
def test_refused_sorts_name_the_field_as_production_does(
    client: httpx.Client, sort: str, field: str
) -> None:
    # A literal "+" (%2B) is not a space: mailjet-apiv3-java#155 ('Cannot sort on field
    # id+desc'), mailjet-apiv3-python#46; a field that is not sortable: mailjet-apiv3-php#178.
    response = client.get("/v3/REST/contact", params={"Sort": sort})
    assert response.status_code == 400
    assert response.json()["ErrorMessage"] == (
        f"Unexpected error during GET: Invalid sort specification: Cannot sort on field {field}"
    )


def test_campaigns_come_by_creation_time_without_a_sort() -> None:
    # Mailjet staff in mailjet-apiv3-python#46: "by default the campaigns are being retrieved
    # based on CreatedAt, but in ascending order".
    account = small_account()
    template = account.resources["campaign"][0]
    account.resources["campaign"] = [
        {**template, "ID": 1, "CreatedAt": "2024-03-01T00:00:00Z"},
        {**template, "ID": 2, "CreatedAt": "2024-01-01T00:00:00Z"},
        {**template, "ID": 3, "CreatedAt": "2024-02-01T00:00:00Z"},
    ]
    with open_client(Sandbox(data=account)) as client:
        rows = data(client.get("/v3/REST/campaign"))
        by_id = data(client.get("/v3/REST/campaign", params={"Sort": "ID"}))
    assert [r["ID"] for r in rows] == [2, 3, 1]
    assert [r["ID"] for r in by_id] == [1, 2, 3]


# -- answers ---------------------------------------------------------------------------------------


def test_the_csv_upload_answers_200(client: httpx.Client) -> None:
    # Recorded: gem cassette Mailjet_ContactslistCsv/returns_id answers 200 {"ID": 2}.
    response = client.post(
        "/v3/DATA/contactslist/1/CSVData/text:plain",
        content=b'"email","age"\n"foo@example.org",42\n',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200 and set(response.json()) == {"ID"}


def test_a_bulk_job_poll_gives_times_as_strings_and_echoes_its_lists(client: httpx.Client) -> None:
    # The Go client's Contactsjob struct reads JobStart/JobEnd as strings, and its
    # ContactManagemanycontacts carries the ContactsLists the poll echoes.
    lists = [{"ListID": 2, "Action": "addnoforce"}]
    posted = data(
        client.post(
            "/v3/REST/contact/managemanycontacts",
            json={"ContactsLists": lists, "Contacts": [{"Email": "new@x.org"}]},
        )
    )
    path = f"/v3/REST/contact/managemanycontacts/{posted[0]['JobID']}"
    (running,) = data(client.get(path))
    (done,) = data(client.get(path))
    assert running["Status"] == "In Progress" and running["JobEnd"] == ""
    assert done["Status"] == "Completed" and done["Count"] == 1
    assert isinstance(done["JobStart"], str) and done["JobStart"].endswith("Z")
    assert isinstance(done["JobEnd"], str) and done["JobEnd"] >= done["JobStart"]
    assert done["ContactsLists"] == lists


def test_a_429_is_an_html_page_without_rate_limit_headers() -> None:
    # mailjet-apiv3-nodejs#178: the body is '<html><body><h1>429 Too Many Requests</h1>...';
    # mailjet-apiv3-java#217: no header says when the next request may go.
    clock = FakeClock()
    sb = Sandbox(data=small_account(), config=SandboxConfig(rate_limit=1), clock=clock)
    with open_client(sb) as client:
        assert client.get("/v3/REST/contactslist").status_code == 200
        refused = client.get("/v3/REST/contactslist")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "text/html"
    assert b"<h1>429 Too Many Requests</h1>" in refused.content
    assert not any(
        name.lower().startswith(("retry-after", "x-ratelimit", "ratelimit"))
        for name in refused.headers
    )


def test_message_history_by_id_gives_the_events_and_none_for_an_unknown_message(
    small_demo_sandbox: Sandbox,
) -> None:
    # Recorded: GET /v3/REST/messagehistory/576460757221292748 -> its 6 events;
    # GET /v3/REST/messagehistory/123 -> 200 {"Count": 0, "Data": [], "Total": 0}.
    with open_client(small_demo_sandbox) as client:
        message = data(client.get("/v3/REST/message", params={"Limit": 1}))[0]["ID"]
        events = client.get(f"/v3/REST/messagehistory/{message}")
        unknown = client.get("/v3/REST/messagehistory/123")
    assert events.status_code == 200 and events.json()["Count"] >= 1
    assert events.json()["Data"][0]["EventType"] == "sent"
    assert unknown.status_code == 200
    assert unknown.json() == {"Count": 0, "Data": [], "Total": 0}


def test_unset_properties_production_leaves_out_are_left_out(small_demo_sandbox: Sandbox) -> None:
    # api-behaviour section 3 (campaign SegmentationID/WorkflowID, message StateID are "returned
    # only if ..."); the recorded campaign?Limit=1 and message?Limit=1 carry none of them.
    with open_client(small_demo_sandbox) as client:
        campaigns = data(client.get("/v3/REST/campaign", params={"Limit": 1000}))
        messages = data(client.get("/v3/REST/message", params={"Limit": 50}))
    assert all("WorkflowID" not in c or c["WorkflowID"] != 0 for c in campaigns)
    assert all("SegmentationID" not in c or c["SegmentationID"] != 0 for c in campaigns)
    assert any("SegmentationID" not in c for c in campaigns)
    assert all("StateID" not in m or m["StateID"] != 0 for m in messages)
    assert all(m["Subject"] == "" and m["ContactAlt"] == "" for m in messages)


# -- harsher knobs ---------------------------------------------------------------------------------


def test_a_completed_job_may_not_be_visible_yet() -> None:
    # Knob job_visible_after: eventual consistency, as users of the bulk endpoints report
    # (mailjet-apiv3-java#167: contacts "silently not imported" when read right after).
    clock = FakeClock()
    sb = Sandbox(data=small_account(), config=SandboxConfig(job_visible_after=30), clock=clock)
    with open_client(sb) as client:
        posted = data(
            client.post(
                "/v3/REST/contact/managemanycontacts",
                json={"Contacts": [{"Email": "late@x.org", "Properties": {"city": "Nantes"}}]},
            )
        )
        path = f"/v3/REST/contact/managemanycontacts/{posted[0]['JobID']}"
        client.get(path)
        (done,) = data(client.get(path))
        assert done["Status"] == "Completed" and done["Count"] == 1
        assert client.get("/v3/REST/contact/late@x.org").status_code == 404
        clock.advance(30)
        (contact,) = data(client.get("/v3/REST/contact/late@x.org"))
        assert contact_data(client, contact["ID"]) == {"city": "Nantes"}


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (JobErrorFormat.LIST, [{"Email": "bad", "Error": "Invalid email address"}]),
        (
            JobErrorFormat.ENVELOPE,
            {
                "Count": 1,
                "Data": [{"ContactEmail": "bad", "ErrorMessage": "Invalid email address"}],
                "Total": 1,
            },
        ),
        (
            JobErrorFormat.OBJECT,
            {"Errors": [{"Email": "bad", "Message": "Invalid email address", "Line": 2}]},
        ),
    ],
)
def test_the_job_error_file_layout_is_a_knob(layout: JobErrorFormat, expected: object) -> None:
    sb = Sandbox(data=small_account(), config=SandboxConfig(job_error_format=layout))
    with open_client(sb) as client:
        posted = data(
            client.post(
                "/v3/REST/contact/managemanycontacts",
                json={"Contacts": [{"Email": "ok@x.org"}, {"Email": "bad"}]},
            )
        )
        job = posted[0]["JobID"]
        client.get(f"/v3/REST/contact/managemanycontacts/{job}")
        (done,) = data(client.get(f"/v3/REST/contact/managemanycontacts/{job}"))
        assert done["Error"] == "1 contact(s) could not be processed"
        answer = client.get(f"/v3/DATA/batchjob/{job}/JSONError/application:json/LAST")
    assert answer.status_code == 200 and orjson.loads(answer.content) == expected


def test_lagging_statistics_leave_out_the_latest_hours() -> None:
    # Knob statistics_lag_hours: production's statistics trail the messages by hours (a send
    # showed in the statistics ~10 hours later: mailjet-apiv3-nodejs#116).
    plain = Sandbox(seed=42, scale=0.05)
    lagging = Sandbox(seed=42, scale=0.05, config=SandboxConfig(statistics_lag_hours=24 * 30))
    with open_client(plain) as a, open_client(lagging) as b:
        everything = data(a.get("/v3/REST/openinformation", params={"Limit": 1000}))
        behind = data(b.get("/v3/REST/openinformation", params={"Limit": 1000}))
        contacts_a = a.get("/v3/REST/contactstatistics", params={"countOnly": 1}).json()["Total"]
        contacts_b = b.get("/v3/REST/contactstatistics", params={"countOnly": 1}).json()["Total"]
    cutoff = lagging.store.clock_timestamp() - 24 * 30 * 3600
    assert 0 < len(behind) < len(everything)
    assert all(moment(row["OpenedAt"]) <= cutoff for row in behind if row["OpenedAt"])
    assert contacts_a == contacts_b  # cumulative counters are served as they are


def moment(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_template_content_ignores_properties_it_does_not_know(client: httpx.Client) -> None:
    # The official Python client's integration test test_live_template_content_builder_lifecycle
    # posts its TemplateContentBuilder's Author/Name/Locale with the parts and expects 201; the
    # older draft content endpoint refuses an unknown property (api-behaviour section 4).
    template = data(client.get("/v3/REST/template", params={"Limit": 1}))[0]["ID"]
    body = {"Author": "CI", "Name": "n", "Locale": "en_US", "Html-part": "<p>x</p>"}
    (content,) = data(client.post(f"/v3/REST/template/{template}/detailcontent", json=body))
    assert content["Html-part"] == "<p>x</p>" and "Author" not in content
    draft = client.post("/v3/REST/campaigndraft/1/detailcontent", json=body)
    assert draft.status_code == 400


def test_a_created_object_may_not_be_readable_yet() -> None:
    # Knob write_visible_after: eventual consistency of a single write. The object's unique key
    # counts at once (a second POST is a duplicate); reads see it only later.
    clock = FakeClock()
    sb = Sandbox(data=small_account(), config=SandboxConfig(write_visible_after=5), clock=clock)
    with open_client(sb) as client:
        (created,) = data(client.post("/v3/REST/contact", json={"Email": "new@x.org"}))
        assert client.get("/v3/REST/contact/new@x.org").status_code == 404
        assert client.get(f"/v3/REST/contact/{created['ID']}").status_code == 404
        listed = data(client.get("/v3/REST/contact", params={"Limit": 1000}))
        assert "new@x.org" not in {row["Email"] for row in listed}
        counted = client.get("/v3/REST/contact", params={"countOnly": 1}).json()["Total"]
        assert counted == len(listed) == 6
        again = client.post("/v3/REST/contact", json={"Email": "new@x.org"})
        assert again.status_code == 400 and again.json()["ErrorMessage"].startswith("MJ18")
        clock.advance(5)
        assert data(client.get("/v3/REST/contact/new@x.org"))[0]["ID"] == created["ID"]
        assert client.get("/v3/REST/contact", params={"countOnly": 1}).json()["Total"] == 7
