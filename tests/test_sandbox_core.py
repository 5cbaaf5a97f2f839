"""The sandbox answers like Mailjet's v3 REST API: envelope, paging, filters, sort, writes, errors, actions."""

from __future__ import annotations

import httpx
import orjson
import pytest

from mjquery.sandbox import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    FaultKind,
    FaultRule,
    Sandbox,
    SandboxConfig,
)
from tests.fake_clock import FakeClock
from tests.sandbox_fixtures import BASE_URL, small_account


def data(response: httpx.Response) -> list[dict]:
    return response.json()["Data"]


def emails(response: httpx.Response) -> list[str]:
    return [row["Email"] for row in data(response)]


# -- auth and envelope ---------------------------------------------------------------------------


def test_wrong_credentials_get_401_with_empty_body_and_challenge(sandbox: Sandbox) -> None:
    with httpx.Client(
        transport=sandbox.transport(), base_url=BASE_URL, auth=("demo-api-key", "wrong")
    ) as bad:
        response = bad.get("/v3/REST/contact")
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Provide an apiKey and secretKey"'
    assert sandbox.log.requests()[-1].status == 401


def test_no_credentials_get_401(sandbox: Sandbox) -> None:
    with httpx.Client(transport=sandbox.transport(), base_url=BASE_URL) as anonymous:
        assert anonymous.get("/v3/REST/contactslist").status_code == 401


def test_default_limit_is_ten_and_total_is_the_page_size(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.store.table("contact").ensure_list().extend(
        dict(row, ID=100 + i, Email=f"x{i}@bulk.com")
        for i, row in enumerate([sandbox.data.resources["contact"][0]] * 20)
    )
    sandbox.store.table("contact").touch()
    body = client.get("/v3/REST/contact").json()
    assert (body["Count"], body["Total"], len(body["Data"])) == (10, 10, 10)
    assert client.get("/v3/REST/contact", params={"Limit": 0}).json()["Count"] == 26
    assert client.get("/v3/REST/contact", params={"Limit": 5000}).json()["Count"] == 26


def test_limit_offset_page_through_in_id_order(client: httpx.Client) -> None:
    first = client.get("/v3/REST/contact", params={"Limit": 4}).json()
    second = client.get("/v3/REST/contact", params={"Limit": 4, "Offset": 4}).json()
    assert [r["ID"] for r in first["Data"]] == [1, 2, 3, 4]
    assert [r["ID"] for r in second["Data"]] == [5, 6]
    assert (second["Count"], second["Total"]) == (2, 2)


def test_count_only_gives_the_number_of_matches_and_no_rows(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    body = client.get("/v3/REST/contact", params={"countOnly": 1, "ContactsList": 1}).json()
    assert body == {"Count": 4, "Data": [], "Total": 4}
    assert sandbox.log.requests(path="/v3/REST/contact")[-1].param("countonly") == "1"


def test_resource_and_parameter_names_are_case_insensitive(client: httpx.Client) -> None:
    response = client.get(
        "/v3/REST/Contact", params={"limit": 2, "OFFSET": 1, "sort": "email DESC"}
    )
    assert response.status_code == 200
    assert emails(response) == ["erin@acme.com", "dave@example.org"]


def test_unknown_parameters_are_ignored(client: httpx.Client) -> None:
    response = client.get("/v3/REST/contact", params={"InvalidParameter": 0, "Limit": 100})
    assert response.json()["Count"] == 6


def test_message_ids_above_2_53_come_back_exact(client: httpx.Client) -> None:
    raw = client.get("/v3/REST/message", params={"Limit": 1}).content
    assert b"1152921509561800355" in raw
    assert orjson.loads(raw)["Data"][0]["ID"] == 1152921509561800355


def test_message_optional_fields_need_their_show_flag(client: httpx.Client) -> None:
    plain = data(client.get("/v3/REST/message", params={"Limit": 1}))[0]
    shown = data(
        client.get(
            "/v3/REST/message", params={"Limit": 1, "ShowSubject": "true", "ShowCustomID": 1}
        )
    )[0]
    # Recorded (gem cassette message?Limit=1): without the flags production still sends
    # "Subject": "" and "ContactAlt": ""; CustomID is only there with ShowCustomID.
    assert plain["Subject"] == "" and plain["ContactAlt"] == "" and "CustomID" not in plain
    assert (
        shown["Subject"] == "Subject 1"
        and shown["CustomID"] == "cust-1"
        and shown["ContactAlt"] == ""
    )


# -- single records --------------------------------------------------------------------------------


def test_contact_by_id_and_by_email_case_insensitively(client: httpx.Client) -> None:
    assert data(client.get("/v3/REST/contact/3"))[0]["Email"] == "Carol@Example.org"
    by_email = client.get("/v3/REST/contact/carol@example.org").json()
    assert by_email["Count"] == 1 and by_email["Data"][0]["ID"] == 3


def test_unknown_record_is_404_object_not_found(client: httpx.Client) -> None:
    for path in (
        "/v3/REST/contact/nobody@nowhere.com",
        "/v3/REST/contact/999",
        "/v3/REST/contact/999/getcontactslists",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "ErrorInfo": "",
            "ErrorMessage": "Object not found",
            "StatusCode": 404,
        }


def test_composite_unique_key_joined_with_pipe(client: httpx.Client) -> None:
    assert data(client.get("/v3/REST/template/apikey|Welcome"))[0]["ID"] == 1
    assert client.get("/v3/REST/template/apikey|Nope").status_code == 404


def test_unknown_resource_and_path(client: httpx.Client) -> None:
    response = client.get("/v3/REST/contacts")
    assert response.status_code == 400
    assert response.json()["ErrorMessage"] == 'Unknown resource: "contacts"'
    other = client.get("/v3/wrongresourcepath")
    assert other.status_code == 500 and other.json()["ErrorInfo"] == "EFPWebError"


# -- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"ContactsList": 1},
            ["alice@acme.com", "bob@acme.com", "Carol@Example.org", "erin@acme.com"],
        ),
        ({"ContactsList": 2, "EmailRLike": "@example.org"}, ["dave@example.org"]),
        ({"EmailLLike": "carol"}, []),
        ({"EmailLLikeCI": "carol"}, ["Carol@Example.org"]),
        ({"EmailLike": "@acme"}, ["alice@acme.com", "bob@acme.com", "erin@acme.com"]),
        ({"EmailRLikeCI": "EXAMPLE.ORG"}, ["Carol@Example.org", "dave@example.org"]),
        ({"Email": "CAROL@example.org"}, ["Carol@Example.org"]),
        ({"IsExcludedFromCampaigns": "true"}, ["dave@example.org"]),
        ({"IsUnsubscribed": "true"}, ["Carol@Example.org"]),
        ({"Campaign": 100}, ["alice@acme.com", "Carol@Example.org", "erin@acme.com"]),
        (
            {"ContactsList": 1, "contactslist": 2},
            ["alice@acme.com", "bob@acme.com", "Carol@Example.org", "erin@acme.com"],
        ),
    ],
)
def test_contact_filters(client: httpx.Client, params: dict, expected: list[str]) -> None:
    response = client.get("/v3/REST/contact", params={**params, "Limit": 100})
    assert response.status_code == 200
    assert emails(response) == expected


def test_listrecipient_filters(client: httpx.Client) -> None:
    def ids(**params: object) -> list[int]:
        return [
            r["ID"]
            for r in data(client.get("/v3/REST/listrecipient", params={**params, "Limit": 100}))
        ]

    assert ids(ContactsList=1) == [1, 2, 3, 4]
    assert ids(Contact=2) == [2, 5]
    assert ids(ContactEmail="BOB@acme.com") == [2, 5]
    assert ids(ContactsList=1, Unsub="true") == [3]
    assert ids(IgnoreDeleted="true") == [1, 2, 3, 4, 5, 6]
    assert ids(IsExcludedFromCampaigns="true") == [6]


def test_contactslist_filters(client: httpx.Client) -> None:
    assert [
        r["ID"] for r in data(client.get("/v3/REST/contactslist", params={"IsDeleted": "false"}))
    ] == [1, 2]
    assert [
        r["ID"] for r in data(client.get("/v3/REST/contactslist", params={"ExcludeID": 2}))
    ] == [1, 3]
    assert [r["ID"] for r in data(client.get("/v3/REST/contactslist", params={"Name": "vip"}))] == [
        2
    ]


def test_time_window_from_exclusive_to_inclusive(client: httpx.Client) -> None:
    def days(**params: object) -> list[str]:
        rows = data(client.get("/v3/REST/message", params={**params, "Limit": 100}))
        return [r["ArrivedAt"][8:10] for r in rows]

    assert days(FromTS="2024-03-02T12:00:00Z", ToTS="2024-03-04T12:00:00Z") == ["03", "04"]
    assert days(FromTS=1709467200) == ["04", "05", "06"]  # 2024-03-03T12:00:00Z
    assert days(MessageStatus="opened,bounced") == ["03", "06"]


def test_integer_filter_accepts_a_comma_list(client: httpx.Client) -> None:
    assert [
        r["ID"] for r in data(client.get("/v3/REST/listrecipient", params={"Contact": "1,6"}))
    ] == [1, 7]


def test_bad_filter_value_is_400(client: httpx.Client) -> None:
    response = client.get("/v3/REST/contact", params={"IsExcludedFromCampaigns": "maybe"})
    assert response.status_code == 400
    assert (
        response.json()["ErrorMessage"]
        == 'Invalid value for filter "IsExcludedFromCampaigns": "maybe"'
    )


def test_filtered_pages_come_from_the_cache_and_see_writes(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    assert client.get("/v3/REST/contact", params={"ContactsList": 2}).json()["Count"] == 2
    client.post("/v3/REST/listrecipient", json={"ContactAlt": "frank@other.net", "ListID": 2})
    assert client.get("/v3/REST/contact", params={"ContactsList": 2}).json()["Count"] == 3


# -- sort ------------------------------------------------------------------------------------------


def test_sort_ascending_descending_and_refusals(client: httpx.Client) -> None:
    by_delivered = data(
        client.get("/v3/REST/contact", params={"Sort": "DeliveredCount DESC", "Limit": 3})
    )
    assert [r["DeliveredCount"] for r in by_delivered] == [9, 5, 4]
    refused = client.get("/v3/REST/contact", params={"Sort": "ID DESC"})
    assert refused.status_code == 400
    assert refused.json()["ErrorMessage"] == (
        "Unexpected error during GET: Invalid sort specification: Cannot sort on field id desc"
    )
    not_sortable = client.get("/v3/REST/contact", params={"Sort": "Name"})
    assert not_sortable.status_code == 400
    assert not_sortable.json()["ErrorMessage"] == (
        "Unexpected error during GET: Invalid sort specification: Cannot sort on field name"
    )


# -- writes ----------------------------------------------------------------------------------------


def test_create_contact_returns_201_with_the_record(client: httpx.Client, sandbox: Sandbox) -> None:
    response = client.post("/v3/REST/contact", json={"Email": "new@acme.com", "Name": "New"})
    assert response.status_code == 201
    row = response.json()["Data"][0]
    assert (row["ID"], row["Email"], row["Name"], row["LastActivityAt"]) == (
        7,
        "new@acme.com",
        "New",
        "",
    )
    assert sandbox.data.resources["contact"][-1]["Email"] == "new@acme.com"
    assert data(client.get("/v3/REST/contact/new@acme.com"))[0]["ID"] == 7


def test_duplicate_contact_email_is_mj18(client: httpx.Client) -> None:
    response = client.post("/v3/REST/contact", json={"Email": "bob@acme.com"})
    assert response.status_code == 400
    assert response.json() == {
        "ErrorInfo": "",
        "ErrorMessage": 'MJ18 A Contact resource with value "bob@acme.com" for Email already exists.',
        "StatusCode": 400,
    }


def test_put_is_a_patch_and_304_when_nothing_changes(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    # Read-only properties sent back unchanged are tolerated, in another date format too (as
    # the recorded PUT of the gem cassette resource/test_contact/update sends them).
    created = client.get("/v3/REST/contact/2").json()["Data"][0]["CreatedAt"]
    as_sent = created.replace("T", " ").replace("Z", " UTC")
    same = client.put("/v3/REST/contact/2", json={"Name": "Bob", "CreatedAt": as_sent, "ID": 2})
    assert same.status_code == 304 and same.content == b""
    changed = client.put(
        "/v3/REST/contact/bob@acme.com", json={"Name": "Robert", "Email": "bob@acme.com"}
    )
    assert changed.status_code == 200
    row = changed.json()["Data"][0]
    assert row["Name"] == "Robert" and row["LastUpdateAt"] != "" and row["DeliveredCount"] == 9
    assert sandbox.store.contact(2)["Name"] == "Robert"


def test_unknown_property_is_refused(client: httpx.Client) -> None:
    response = client.post("/v3/REST/contact", json={"Email": "x@y.com", "Contacts": []})
    assert response.status_code == 400
    assert (
        response.json()["ErrorMessage"]
        == 'Invalid json input: object ""->"TContact" has no property "Contacts"'
    )


def test_methods_not_allowed_are_405(client: httpx.Client) -> None:
    assert client.delete("/v3/REST/campaign/1").status_code == 405
    assert client.post("/v3/REST/message", json={}).status_code == 405
    assert client.put("/v3/REST/statcounters/1", json={}).status_code == 405


def test_deleting_a_list_is_a_soft_delete(client: httpx.Client) -> None:
    response = client.delete("/v3/REST/contactslist/2")
    assert response.status_code == 204 and response.content == b""
    assert data(client.get("/v3/REST/contactslist/2"))[0]["IsDeleted"] is True
    assert client.get("/v3/REST/contactslist", params={"IsDeleted": "false"}).json()["Count"] == 1


def test_listrecipient_writes_by_alt_keys_update_subscriber_count(client: httpx.Client) -> None:
    created = client.post(
        "/v3/REST/listrecipient", json={"ContactAlt": "frank@other.net", "ListAlt": "VIP"}
    )
    assert created.status_code == 201
    row = created.json()["Data"][0]
    assert (row["ContactID"], row["ListID"], row["ListName"], row["IsActive"]) == (
        6,
        2,
        "VIP",
        True,
    )
    assert data(client.get("/v3/REST/contactslist/2"))[0]["SubscriberCount"] == 3
    unknown = client.post(
        "/v3/REST/listrecipient", json={"ContactAlt": "nobody@x.com", "ListID": 2}
    )
    assert (
        unknown.json()["ErrorMessage"]
        == 'Property "Contact", alternate key value "nobody@x.com" could not be resolved to an ID'
    )
    assert client.delete(f"/v3/REST/listrecipient/{row['ID']}").status_code == 204
    assert data(client.get("/v3/REST/contactslist/2"))[0]["SubscriberCount"] == 2


# -- actions ---------------------------------------------------------------------------------------


def test_getcontactslists_is_derived_from_listrecipient(client: httpx.Client) -> None:
    rows = data(client.get("/v3/REST/contact/bob@acme.com/getcontactslists"))
    assert rows == [
        {"IsActive": True, "IsUnsub": False, "ListID": 1, "SubscribedAt": "2024-01-15T00:00:00Z"},
        {"IsActive": True, "IsUnsub": False, "ListID": 2, "SubscribedAt": "2024-01-15T00:00:00Z"},
    ]


def test_managecontactslists_applies_each_action(client: httpx.Client) -> None:
    body = {
        "ContactsLists": [{"ListID": 2, "Action": "addnoforce"}, {"ListID": 1, "Action": "remove"}]
    }
    response = client.post("/v3/REST/contact/1/managecontactslists", json=body)
    assert response.status_code == 201
    assert [r["ListID"] for r in data(client.get("/v3/REST/contact/1/getcontactslists"))] == [2]
    bad = client.post(
        "/v3/REST/contact/1/managecontactslists",
        json={"ContactsLists": [{"ListID": 99, "Action": "x"}]},
    )
    assert bad.status_code == 400
    assert bad.json()["ErrorMessage"] == {
        "ContactsLists": [{"ListID": 99, "Action": "x", "Error": "listID missing or not valid"}]
    }


def test_managecontact_creates_and_subscribes(client: httpx.Client, sandbox: Sandbox) -> None:
    body = {
        "Email": "gina@acme.com",
        "Name": "Gina",
        "Action": "addforce",
        "Properties": {"age": 40},
    }
    response = client.post("/v3/REST/contactslist/2/managecontact", json=body)
    assert response.status_code == 201
    answer = data(response)[0]
    assert answer["Email"] == "gina@acme.com" and answer["Action"] == "addforce"
    assert "gina@acme.com" in emails(client.get("/v3/REST/contact", params={"ContactsList": 2}))
    stored = [
        r for r in sandbox.data.resources["contactdata"] if r["ContactID"] == answer["ContactID"]
    ]
    assert stored[0]["Data"] == [{"Name": "age", "Value": "40"}]
    bad = client.post(
        "/v3/REST/contactslist/2/managecontact", json={**body, "Properties": {"shoe": 1}}
    )
    assert bad.json() == {
        "ErrorInfo": {"Properties": [{"shoe": "Property not defined"}]},
        "ErrorMessage": "Object properties invalid",
        "StatusCode": 400,
    }


def test_bulk_job_goes_through_in_progress_then_completed_with_errors(client: httpx.Client) -> None:
    body = {
        "ContactsLists": [{"ListID": 2, "Action": "addnoforce"}],
        "Contacts": [
            {"Email": "h1@acme.com", "Name": "H1"},
            {"Email": "not-an-email"},
            {"Email": "bob@acme.com"},
        ],
    }
    posted = client.post("/v3/REST/contact/managemanycontacts", json=body)
    assert posted.status_code == 201
    job_id = data(posted)[0]["JobID"]
    first = data(client.get(f"/v3/REST/contact/managemanycontacts/{job_id}"))[0]
    assert first["Status"] == "In Progress"
    done = data(client.get(f"/v3/REST/contact/managemanycontacts/{job_id}"))[0]
    assert (done["Status"], done["Count"], done["Error"]) == (
        "Completed",
        2,
        "1 contact(s) could not be processed",
    )
    assert done["ErrorFile"].endswith(f"/v3/DATA/batchjob/{job_id}/JSONError/application:json/LAST")
    errors = client.get(f"/v3/DATA/batchjob/{job_id}/JSONError/application:json/LAST").json()
    assert errors == [{"Email": "not-an-email", "Error": "Invalid email address"}]
    assert {"h1@acme.com", "bob@acme.com"} <= set(
        emails(client.get("/v3/REST/contact", params={"ContactsList": 2}))
    )


def test_list_bulk_job_polls_under_its_list(client: httpx.Client) -> None:
    posted = client.post(
        "/v3/REST/contactslist/1/ManageManyContacts",
        json={"Action": "unsub", "Contacts": [{"Email": "alice@acme.com"}]},
    )
    job_id = data(posted)[0]["JobID"]
    for _ in range(2):
        status = data(client.get(f"/v3/REST/contactslist/1/managemanycontacts/{job_id}"))[0][
            "Status"
        ]
    assert status == "Completed"
    assert client.get(f"/v3/REST/contactslist/2/managemanycontacts/{job_id}").status_code == 404
    assert data(client.get("/v3/REST/contact/1/getcontactslists"))[0]["IsUnsub"] is True


def test_draft_content_schedule_send_and_status(client: httpx.Client) -> None:
    assert data(client.get("/v3/REST/campaigndraft/1/detailcontent"))[0]["Html-part"] == "<p>Hi</p>"
    put = client.put("/v3/REST/campaigndraft/1/detailcontent", json={"Text-part": "Hello"})
    assert data(put)[0] == {
        "Headers": {},
        "Html-part": "<p>Hi</p>",
        "Text-part": "Hello",
        "MJMLContent": "",
    }
    scheduled = client.post(
        "/v3/REST/campaigndraft/1/schedule", json={"Date": "2099-01-01T09:00:00+01:00"}
    )
    assert scheduled.status_code == 201 and data(scheduled)[0]["Status"] == "programmed"
    assert data(client.get("/v3/REST/campaigndraft/1/status"))[0] == {"Status": "Programmed"}
    assert client.delete("/v3/REST/campaigndraft/1/schedule").status_code == 204
    assert data(client.get("/v3/REST/campaigndraft/1/status"))[0] == {"Status": "Draft"}
    assert (
        client.post(
            "/v3/REST/campaigndraft/1/test", json={"Recipients": [{"Email": "t@acme.com"}]}
        ).status_code
        == 201
    )
    assert client.post("/v3/REST/campaigndraft/1/send").status_code == 201
    assert data(client.get("/v3/REST/campaigndraft/1"))[0]["Status"] == 2
    again = client.post("/v3/REST/campaigndraft/1/send")
    assert (
        again.status_code == 400
        and again.json()["ErrorMessage"] == "The campaign draft status is Sent"
    )


def test_template_detailcontent_unknown_template_has_the_newer_error_shape(
    client: httpx.Client,
) -> None:
    assert data(client.get("/v3/REST/template/1/detailcontent"))[0]["Text-part"] is None
    response = client.get("/v3/REST/template/77/detailcontent")
    assert response.status_code == 404 and set(response.json()) == {
        "ErrorIdentifier",
        "StatusCode",
        "ErrorMessage",
    }


def test_v4_contact_delete_anonymises(client: httpx.Client) -> None:
    response = client.delete("/v4/contacts/5")
    assert response.status_code == 200 and response.content == b""
    assert client.delete("/v4/contacts/123456").status_code == 200
    assert "erin@acme.com" not in emails(client.get("/v3/REST/contact", params={"Limit": 100}))
    anonymised = data(client.get("/v3/REST/contact/5"))[0]
    assert anonymised["Email"].endswith("@domain.invalid") and anonymised["Name"] == "Anonymized"
    assert client.get("/v3/REST/contact", params={"IncludeAnonymized": "true"}).json()["Count"] == 6
    assert client.get("/v3/REST/contact/5/getcontactslists").json()["Count"] == 0


# -- request log -----------------------------------------------------------------------------------


def test_log_records_method_path_params_as_sent_and_status(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.log.clear()
    client.get("/v3/REST/contact?Limit=2&EmailLLike=a&Limit=3")
    client.get("/v3/REST/contact/nobody@x.com")
    first, second = sandbox.log.requests(method="GET")
    assert (first.path, first.params, first.status) == (
        "/v3/REST/contact",
        (("Limit", "2"), ("EmailLLike", "a"), ("Limit", "3")),
        200,
    )
    assert first.param("limit") == "2" and first.param("Offset") is None
    assert (second.path, second.status) == ("/v3/REST/contact/nobody@x.com", 404)
    assert len(sandbox.log) == 2


# -- knobs -----------------------------------------------------------------------------------------


def _client(config: SandboxConfig, clock: FakeClock | None = None) -> tuple[Sandbox, httpx.Client]:
    if clock is None:
        sb = Sandbox(data=small_account(), config=config)
    else:
        sb = Sandbox(data=small_account(), config=config, clock=clock)
    return sb, httpx.Client(
        transport=sb.transport(), base_url=BASE_URL, auth=(DEMO_API_KEY, DEMO_API_SECRET)
    )


def test_rate_limit_answers_429() -> None:
    clock = FakeClock()
    sb, http = _client(SandboxConfig(rate_limit=3), clock)
    statuses = [http.get("/v3/REST/contactslist").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    clock.advance(1.0)  # the one-second window has moved past the first three
    statuses.append(http.get("/v3/REST/contactslist").status_code)
    assert statuses[-1] == 200
    assert [r.status for r in sb.log] == statuses


def test_injected_faults_are_5xx_in_the_configured_fraction() -> None:
    _sb, http = _client(SandboxConfig(fault_rate=0.5, fault_seed=3))
    statuses = [http.get("/v3/REST/contactslist").status_code for _ in range(200)]
    faults = [s for s in statuses if s != 200]
    assert set(faults) <= {500, 502, 503} and 60 <= len(faults) <= 140


def test_dropped_connections_and_truncated_bodies_fail_the_client() -> None:
    sb, http = _client(SandboxConfig(drop_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/v3/REST/contact")
    assert sb.log[-1].status == 0
    sb, http = _client(SandboxConfig(truncate_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/v3/REST/contact")


def test_latency_is_added_without_serialising_threads() -> None:
    import time
    from concurrent.futures import ThreadPoolExecutor

    _sb, http = _client(SandboxConfig(latency_ms=100))

    def timed_get(_: int) -> tuple[float, float, int]:
        started = time.perf_counter()
        status = http.get("/v3/REST/contactslist").status_code
        return started, time.perf_counter(), status

    with ThreadPoolExecutor(8) as pool:
        spans = list(pool.map(timed_get, range(8)))
    assert [status for _, _, status in spans] == [200] * 8
    # Each request waited its 100 ms, and all eight were waiting at the same time: the last one
    # started before the first one finished, so the latency did not serialise them.
    assert all(end - start >= 0.1 for start, end, _ in spans)
    assert max(start for start, _, _ in spans) < min(end for _, end, _ in spans)


def test_an_answer_lost_after_the_write_was_applied() -> None:
    sb, http = _client(SandboxConfig(error_after_rate=1.0, fault_methods=("POST",)))
    answer = http.post("/v3/REST/contactslist", json={"Name": "Lost answer"})
    assert answer.status_code in (500, 502, 503)
    # Applied all the same; reads are not faulted (POST only).
    lists = http.get("/v3/REST/contactslist", params={"Name": "Lost answer"}).json()["Data"]
    assert [row["Name"] for row in lists] == ["Lost answer"]
    assert [(r.method, r.status) for r in sb.log][1] == ("GET", 200)


def test_fault_rates_apply_to_the_chosen_methods_and_paths_only() -> None:
    config = SandboxConfig(fault_rate=1.0, fault_methods=("GET",), fault_paths=r"/contact$")
    _sb, http = _client(config)
    assert http.get("/v3/REST/contact").status_code in (500, 502, 503)
    assert http.get("/v3/REST/contactslist").status_code == 200
    assert http.post("/v3/REST/contact", json={"Email": "f@example.com"}).status_code == 201


def test_fault_rules_put_faults_on_chosen_requests() -> None:
    rules = (
        FaultRule("POST", r"/v3/REST/contact", FaultKind.DROP_AFTER, times=1, skip=1),
        FaultRule("GET", r"/v3/REST/contact/\d+", FaultKind.ERROR_BEFORE, times=2),
    )
    sb, http = _client(SandboxConfig(fault_rules=rules))
    assert http.post("/v3/REST/contact", json={"Email": "r1@example.com"}).status_code == 201
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v3/REST/contact", json={"Email": "r2@example.com"})  # applied, answer lost
    assert http.post("/v3/REST/contact", json={"Email": "r3@example.com"}).status_code == 201
    assert [http.get("/v3/REST/contact/1").status_code for _ in range(3)] == [503, 503, 200]
    emails = {c["Email"] for c in sb.data.resources["contact"]}
    assert {"r1@example.com", "r2@example.com", "r3@example.com"} <= emails
    assert [r.status for r in sb.log if r.method == "POST"] == [201, 0, 201]


def test_a_fault_configuration_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not a regular expression: '\('"):
        SandboxConfig(fault_paths="(")
    with pytest.raises(ValueError, match=r"at most 1"):
        SandboxConfig(fault_rate=0.6, drop_rate=0.6)
