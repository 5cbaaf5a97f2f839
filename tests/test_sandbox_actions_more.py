"""The sandbox's list verification, import jobs (importlist, CSV), legacy newsletter actions,
sender validation and DNS check: answer fields as the reference lists them, and the behaviour."""

from __future__ import annotations

import httpx
import pytest

from mjquery.sandbox import Sandbox
from mjquery.sandbox.api.reference import load_reference
from tests.sandbox_fixtures import reference_row

SPECS = load_reference()


def fields_of(resource: str) -> set[str]:
    return {f.name for f in SPECS[resource].fields}


def data(response: httpx.Response) -> list[dict]:
    assert response.status_code in (200, 201), response.text
    return response.json()["Data"]


def members(client: httpx.Client, list_id: int) -> dict[str, bool]:
    """Email -> unsubscribed, for the members of a list."""
    recipients = data(
        client.get("/v3/REST/listrecipient", params={"ContactsList": list_id, "Limit": 0})
    )
    emails = {
        c["ID"]: c["Email"].lower()
        for c in data(client.get("/v3/REST/contact", params={"Limit": 0}))
    }
    return {emails[r["ContactID"]]: r["IsUnsubscribed"] for r in recipients}


# -- answer fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "resource"),
    [
        ("GET", "/v3/REST/contactslist/1/verify", "contactslist/verify"),
        ("GET", "/v3/REST/newsletter/1/detailcontent", "newsletter/detailcontent"),
        ("POST", "/v3/REST/sender/1/validate", "sender/validate"),
        ("POST", "/v3/REST/dns/1/check", "dns/check"),
    ],
)
def test_answer_fields_equal_the_references(
    client: httpx.Client, method: str, path: str, resource: str
) -> None:
    rows = data(client.request(method, path))
    assert len(rows) == 1
    assert set(rows[0]) == fields_of(resource)


def test_newsletter_schedule_answers_the_reference_fields(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.store.table("campaigndraft").by_id()[1]["Status"] = 1
    sandbox.store.sub_resources["campaigndraft/schedule"][1] = {
        "Date": "2099-01-02T09:00:00Z",
        "Status": "Programmed",
    }
    rows = data(client.get("/v3/REST/newsletter/1/schedule"))
    assert rows == [{"Date": "2099-01-02T09:00:00Z"}]
    assert set(rows[0]) == fields_of("newsletter/schedule")


def test_importlist_post_answers_the_reference_fields(client: httpx.Client) -> None:
    rows = data(
        client.post(
            "/v3/REST/contactslist/2/importlist", json={"ListID": 1, "Action": "addnoforce"}
        )
    )
    assert set(rows[0]) == fields_of("contactslist/importlist")
    assert rows[0]["ListID"] == 1 and rows[0]["Action"] == "addnoforce"


# -- verify ----------------------------------------------------------------------------------------


def test_verify_counts_the_lists_members(client: httpx.Client) -> None:
    # List 1: alice, bob, erin subscribed; carol unsubscribed.
    (row,) = data(client.get("/v3/REST/contactslist/1/verify"))
    assert row["ContactListID"] == 1 and row["Count"] == 4 and row["Status"] == "Completed"
    assert row["Summary"]["result"] == {
        "deliverable": 3,
        "undeliverable": 0,
        "do_not_send": 1,
        "catch_all": 0,
        "unknown": 0,
    }
    assert row["Summary"]["risk"] == {"low": 3, "medium": 1, "high": 0, "unknown": 0}
    # List 2: bob, and dave who is excluded from campaigns.
    (row,) = data(client.get("/v3/REST/contactslist/2/verify"))
    assert row["Count"] == 2 and row["Summary"]["result"]["do_not_send"] == 1


def test_verify_follows_membership_changes(client: httpx.Client) -> None:
    client.post(
        "/v3/REST/contactslist/2/managecontact",
        json={"Email": "info@acme.com", "Action": "addforce"},
    )
    (row,) = data(client.get("/v3/REST/contactslist/2/verify"))
    assert row["Count"] == 3 and row["Summary"]["result"]["catch_all"] == 1


def test_verify_of_an_unknown_list_is_404(client: httpx.Client) -> None:
    assert client.get("/v3/REST/contactslist/999/verify").status_code == 404


# -- importlist ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        # list 1 = alice, bob, carol (unsubscribed), erin; list 2 = bob, dave
        (
            "addnoforce",
            {"alice": False, "bob": False, "carol": False, "erin": False, "dave": False},
        ),
        ("unsub", {"alice": True, "bob": True, "carol": True, "erin": True, "dave": False}),
        (
            "duplicate-override",
            {"alice": False, "bob": False, "carol": True, "erin": False, "dave": False},
        ),
    ],
)
def test_importlist_copies_the_source_members(
    client: httpx.Client, action: str, expected: dict[str, bool]
) -> None:
    answer = client.post("/v3/REST/contactslist/2/importlist", json={"ListID": 1, "Action": action})
    assert answer.status_code == 201
    got = {email.split("@")[0]: unsub for email, unsub in members(client, 2).items()}
    assert got == expected
    assert set(members(client, 1)) == {
        "alice@acme.com",
        "bob@acme.com",
        "carol@example.org",
        "erin@acme.com",
    }


def test_importlist_no_override_keeps_existing_members(client: httpx.Client) -> None:
    client.put("/v3/REST/listrecipient/5", json={"IsUnsubscribed": True})  # bob on list 2
    client.post(
        "/v3/REST/contactslist/2/importlist", json={"ListID": 1, "Action": "duplicate-no-override"}
    )
    got = {email.split("@")[0]: unsub for email, unsub in members(client, 2).items()}
    assert got == {"alice": False, "bob": True, "carol": True, "erin": False, "dave": False}


def test_importlist_job_is_polled_by_its_id(client: httpx.Client) -> None:
    (posted,) = data(
        client.post("/v3/REST/contactslist/2/importlist", json={"ListID": 1, "Action": "addforce"})
    )
    path = f"/v3/REST/contactslist/2/importlist/{posted['JobID']}"
    first, second = data(client.get(path))[0], data(client.get(path))[0]
    assert first["Status"] == "In Progress"
    assert (
        second["Status"] == "Completed"
        and second["Count"] == 4
        and second["JobID"] == posted["JobID"]
    )
    assert (
        client.get("/v3/REST/contactslist/1/importlist/" + str(posted["JobID"])).status_code == 404
    )
    assert (
        data(client.get("/v3/REST/contact/managemanycontacts")) == []
    )  # not a managemanycontacts job


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"ListID": 999, "Action": "addforce"},
            'Property "ListID", value "999" could not be resolved to an object',
        ),
        (
            {"ListID": 2, "Action": "addforce"},
            "The source list and the destination list must be different",
        ),
        ({"ListID": 1, "Action": "copy"}, "Object properties invalid"),
    ],
)
def test_importlist_refuses_bad_requests(client: httpx.Client, body: dict, message: str) -> None:
    answer = client.post("/v3/REST/contactslist/2/importlist", json=body)
    assert answer.status_code == 400 and answer.json()["ErrorMessage"] == message


# -- CSV import ------------------------------------------------------------------------------------

CSV = b'"email","age","city"\n"new1@x.com",42,Lyon\n"bar@example.com",13\n"new2@x.com",abc,Nice\n"ALICE@acme.com",31,Paris\n'


def upload(client: httpx.Client, list_id: int, body: bytes) -> int:
    answer = client.post(
        f"/v3/DATA/contactslist/{list_id}/CSVData/text:plain",
        content=body,
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 200  # recorded: gem cassette Mailjet_ContactslistCsv/returns_id
    return answer.json()["ID"]


def start_import(client: httpx.Client, **body: object) -> int:
    (row,) = data(client.post("/v3/REST/csvimport", json=body))
    assert row["Status"] == "Upload" and set(row) == fields_of("csvimport")
    return row["ID"]


def test_csv_import_runs_through_its_statuses_and_adds_contacts(client: httpx.Client) -> None:
    job = start_import(client, ContactsListID=2, DataID=upload(client, 2, CSV), Method="addnoforce")
    assert members(client, 2).keys() == {
        "bob@acme.com",
        "dave@example.org",
    }  # nothing before the job runs
    statuses = [data(client.get(f"/v3/REST/csvimport/{job}"))[0] for _ in range(4)]
    assert [s["Status"] for s in statuses] == ["Prepare", "Importing", "Completed", "Completed"]
    done = statuses[-1]
    assert (done["Count"], done["Errcount"], done["Current"]) == (2, 2, 4)
    assert members(client, 2).keys() == {
        "bob@acme.com",
        "dave@example.org",
        "new1@x.com",
        "alice@acme.com",
    }
    data_rows = data(client.get("/v3/REST/contactdata", params={"Limit": 0}))
    new1 = data(client.get("/v3/REST/contact/new1@x.com"))[0]
    values = next(r["Data"] for r in data_rows if r["ContactID"] == new1["ID"])
    assert sorted((d["Name"], d["Value"]) for d in values) == [("age", "42"), ("city", "Lyon")]


def test_csv_error_file_has_the_refused_lines_with_an_error_column(client: httpx.Client) -> None:
    job = start_import(client, ContactsListID=2, DataID=upload(client, 2, CSV), Method="addnoforce")
    for _ in range(3):
        client.get(f"/v3/REST/csvimport/{job}")
    answer = client.get(f"/v3/DATA/batchjob/{job}/CSVError/text:csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv"
    assert answer.text.splitlines() == [
        '"email","age","city",error',
        '"bar@example.com",13,###Too few columns at line 3',
        '"new2@x.com",abc,Nice,###Property type does not match definition for "age" at line 4',
    ]
    assert (
        client.get("/v3/DATA/batchjob/99999/CSVError/text:csv").json()["ErrorMessage"]
        == "Source object not found"
    )


def test_csv_import_with_field_names_and_dates(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.store.table("contactmetadata").insert(
        reference_row("contactmetadata", 3, Name="birthday", Datatype="datetime")
    )
    options = (
        '{"DateTimeFormat": "yyyy/mm/dd", "TimezoneOffset": 2, "FieldNames": ["email", "birthday"]}'
    )
    data_id = upload(client, 1, b"zoe@x.com,1990/05/17\nyan@x.com,17-05-1990\n")
    job = start_import(
        client, ContactsListID=1, DataID=data_id, Method="addforce", ImportOptions=options
    )
    rows = [data(client.get(f"/v3/REST/csvimport/{job}"))[0] for _ in range(3)]
    assert (rows[-1]["Status"], rows[-1]["Count"], rows[-1]["Errcount"]) == ("Completed", 1, 1)
    zoe = data(client.get("/v3/REST/contact/zoe@x.com"))[0]
    values = next(
        r["Data"]
        for r in data(client.get("/v3/REST/contactdata", params={"Limit": 0}))
        if r["ContactID"] == zoe["ID"]
    )
    assert values == [{"Name": "birthday", "Value": "1990-05-16T22:00:00Z"}]


def test_csv_import_exclusion_is_global_and_sets_the_flag(client: httpx.Client) -> None:
    data_id = upload(client, 1, b"email\nbob@acme.com\n")
    refused = client.post(
        "/v3/REST/csvimport",
        json={"ContactsListID": 1, "DataID": data_id, "Method": "excludemarketing"},
    )
    assert refused.status_code == 400 and refused.json()["ErrorMessage"].startswith(
        "MJ08 Property ContactsList is invalid"
    )
    job = start_import(client, DataID=data_id, Method="excludemarketing")
    for _ in range(3):
        client.get(f"/v3/REST/csvimport/{job}")
    assert data(client.get("/v3/REST/contact/bob@acme.com"))[0]["IsExcludedFromCampaigns"] is True


def test_an_aborted_csv_import_imports_nothing(client: httpx.Client) -> None:
    job = start_import(client, ContactsListID=2, DataID=upload(client, 2, CSV), Method="addforce")
    client.get(f"/v3/REST/csvimport/{job}")
    (row,) = data(client.put(f"/v3/REST/csvimport/{job}", json={"Status": "Abort"}))
    assert row["Status"] == "Abort"
    assert data(client.get(f"/v3/REST/csvimport/{job}"))[0]["Status"] == "Abort"
    assert members(client, 2).keys() == {"bob@acme.com", "dave@example.org"}
    late = client.put(f"/v3/REST/csvimport/{job}", json={"Status": "Upload"})
    assert late.status_code == 400


def test_csv_import_refuses_an_unknown_data_id(client: httpx.Client) -> None:
    answer = client.post(
        "/v3/REST/csvimport", json={"ContactsListID": 1, "DataID": 4242, "Method": "addforce"}
    )
    assert answer.status_code == 400 and "could not be resolved" in answer.json()["ErrorMessage"]


# -- newsletter: the legacy view of drafts -----------------------------------------------------------


def test_newsletter_content_is_the_drafts(client: httpx.Client) -> None:
    draft = data(client.get("/v3/REST/campaigndraft/1/detailcontent"))[0]
    newsletter = data(client.get("/v3/REST/newsletter/1/detailcontent"))[0]
    assert newsletter == {k: draft[k] for k in ("Headers", "Html-part", "Text-part")}
    client.put("/v3/REST/newsletter/1/detailcontent", json={"Html-part": "<p>New</p>"})
    assert (
        data(client.get("/v3/REST/campaigndraft/1/detailcontent"))[0]["Html-part"] == "<p>New</p>"
    )
    client.put("/v3/REST/campaigndraft/1/detailcontent", json={"Text-part": "New"})
    assert data(client.get("/v3/REST/newsletter/1/detailcontent"))[0]["Text-part"] == "New"
    assert client.delete("/v3/REST/newsletter/1/detailcontent").status_code == 204
    assert data(client.get("/v3/REST/campaigndraft/1/detailcontent"))[0]["Html-part"] == ""


def test_newsletter_schedule_and_send_act_on_the_draft(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    client.post(
        "/v3/REST/contactslist/1/managecontact",
        json={"Email": "zed@acme.com", "Action": "addforce"},
    )
    assert data(client.get("/v3/REST/newsletter/1/schedule")) == []
    rows = data(
        client.post("/v3/REST/newsletter/1/schedule", json={"Date": "2099-04-22T09:00:00+01:00"})
    )
    assert rows == [{"Date": "2099-04-22T09:00:00+01:00"}]
    assert (
        data(client.get("/v3/REST/campaigndraft/1/schedule"))[0]["Date"]
        == "2099-04-22T09:00:00+01:00"
    )
    assert data(client.get("/v3/REST/newsletter/1/status")) == [{"Status": "Programmed"}]
    assert client.delete("/v3/REST/newsletter/1/schedule").status_code == 204
    assert data(client.get("/v3/REST/campaigndraft/1/status")) == [{"Status": "Draft"}]
    assert data(client.post("/v3/REST/newsletter/1/send")) == [{"Status": "programmed"}]
    assert data(client.get("/v3/REST/campaigndraft/1"))[0]["Status"] == 2
    newsletter_row = sandbox.store.table("newsletter").by_id().get(1)
    assert (
        newsletter_row is not None
        and newsletter_row["Status"] == 2
        and newsletter_row["IsHandled"] is True
    )
    tested = client.post(
        "/v3/REST/newsletter/1/test", json={"Recipients": [{"Email": "qa@acme.com", "Name": "QA"}]}
    )
    assert tested.status_code == 201


def test_newsletter_of_an_unknown_id_is_404(client: httpx.Client) -> None:
    assert client.get("/v3/REST/newsletter/999/detailcontent").status_code == 404


def test_a_recorded_trailing_id_is_accepted_on_newsletter_content(client: httpx.Client) -> None:
    assert client.get("/v3/REST/newsletter/1/detailcontent/1").status_code == 200


# -- sender validation, DNS check ------------------------------------------------------------------


def test_sender_validate_succeeds_when_the_domain_checks_ok(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sender = sandbox.store.table("sender").by_id()[1]
    sender["Status"] = "Inactive"
    (failed,) = data(client.post("/v3/REST/sender/1/validate"))
    assert failed["ValidationMethod"] == "" and set(failed["Errors"]) == {
        "DNSValidationError",
        "FileValidationError",
    }
    assert data(client.get("/v3/REST/sender/1"))[0]["Status"] == "Inactive"
    dns = sandbox.store.table("dns").by_id()[1]
    dns.update(DKIMStatus="OK", DKIMRecordValue="k=rsa; p=abc")
    sender["DNSID"] = 1
    (ok,) = data(client.post("/v3/REST/sender/1/validate"))
    assert ok == {"Errors": {}, "GlobalError": "", "ValidationMethod": "DNS"}
    assert data(client.get("/v3/REST/sender/1"))[0]["Status"] == "Active"


def test_dns_check_reports_the_records_by_id_or_domain(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    dns = sandbox.store.table("dns").by_id()[1]
    dns.update(
        Domain="acme.com",
        SPFStatus="OK",
        SPFRecordValue="v=spf1 include:spf.mailjet.com -all",
        DKIMStatus="Not Checked",
    )
    (row,) = data(client.post("/v3/REST/dns/acme.com/check"))
    assert row == {
        "DKIMErrors": ["no DKIM record"],
        "DKIMRecordCurrentValue": "",
        "DKIMStatus": "Error",
        "SPFErrors": [],
        "SPFRecordsCurrentValues": ["v=spf1 include:spf.mailjet.com -all"],
        "SPFStatus": "OK",
    }
    assert data(client.get("/v3/REST/dns/1"))[0]["DKIMStatus"] == "Error"


# -- nothing answers 501 ---------------------------------------------------------------------------


def _valid_path(spec_path: str) -> str:
    return spec_path.replace("{id}", "1").replace("{job id}", "1").replace("{contact_ID}", "1")


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if "GET" in s.methods))
def test_no_gettable_resource_answers_501(client: httpx.Client, name: str) -> None:
    answer = client.get(_valid_path(SPECS[name].path))
    assert answer.status_code < 500, answer.text


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/v3/REST/contact/1/nosuchaction", 'Unknown action: "nosuchaction"'),
        ("GET", "/v3/REST/contactslist/1/verify/extra", 'Unknown action: "extra"'),
        ("GET", "/v3/REST/contact/1/getcontactslists/x", 'Unknown action: "x"'),
        ("GET", "/v3/REST/nosuchresource", 'Unknown resource: "nosuchresource"'),
    ],
)
def test_unknown_actions_are_400(
    client: httpx.Client, method: str, path: str, message: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 400
    assert answer.json()["ErrorMessage"] == message


# -- the SQL tables over these endpoints ------------------------------------------------------------


def test_mjquery_reads_verification_and_newsletter_tables(sandbox: Sandbox) -> None:
    import mjquery

    sandbox.store.table("campaigndraft").by_id()[1]["Status"] = 1
    sandbox.store.sub_resources["campaigndraft/schedule"][1] = {
        "Date": "2099-01-02T09:00:00Z",
        "Status": "Programmed",
    }
    with mjquery.connect(sandbox=sandbox, cache_ttl=0) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT ContactListID, Count FROM ListVerification WHERE ContactListID = 1")
        assert cursor.fetchall() == [(1, 4)]
        cursor.execute(
            'SELECT NewsletterID, "Text-part" FROM NewsletterDetailContent WHERE NewsletterID = 1'
        )
        assert cursor.fetchall() == [(1, "Hi")]
        cursor.execute(
            "SELECT NewsletterID, CAST(Date AS VARCHAR) FROM NewsletterSchedule WHERE NewsletterID = 1"
        )
        assert cursor.fetchall() == [(1, "2099-01-02 09:00:00")]
    paths = [r.path for r in sandbox.log]
    assert paths[-3:] == [
        "/v3/REST/contactslist/1/verify",
        "/v3/REST/newsletter/1/detailcontent",
        "/v3/REST/newsletter/1/schedule",
    ]


def test_drafts_and_newsletters_never_share_a_new_id(client: httpx.Client) -> None:
    body = {
        "Locale": "en_US",
        "Sender": "Acme",
        "SenderEmail": "news@acme.com",
        "Subject": "Hi",
        "ContactsListID": 1,
    }
    newsletters = [data(client.post("/v3/REST/newsletter", json=body))[0]["ID"] for _ in range(2)]
    draft = data(client.post("/v3/REST/campaigndraft", json={**body, "Title": "t"}))[0]["ID"]
    drafts = {r["ID"] for r in data(client.get("/v3/REST/campaigndraft", params={"Limit": 0}))}
    assert draft not in newsletters and not drafts & set(newsletters)
