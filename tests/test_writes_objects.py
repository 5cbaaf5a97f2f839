"""Every allowed write of every writable object, asserted through the request log and a read-back;
every refused write refused before any request, with the rule in the message."""

from __future__ import annotations

import pytest

from mjquery.errors import DataError, NotSupportedError, ProgrammingError
from mjquery.writes import (
    OnError,
    Operation,
    Outcome,
    RowWrite,
    WriteOptions,
    WritePlan,
    dry_run,
    execute,
    gdpr_delete_contacts,
)
from tests.writes_support import (
    CATALOG,
    RecordingTransport,
    client_for,
    row,
    writes_in,
)

INSERT, UPDATE, DELETE = Operation.INSERT, Operation.UPDATE, Operation.DELETE


def plan(table: str, op: Operation, *rows: RowWrite, **kw) -> WritePlan:
    return WritePlan(table, op, tuple(rows), **kw)


def upd(current: dict, **values) -> RowWrite:
    return RowWrite(values=values, current=current)


@pytest.fixture
def rec(sb):
    return RecordingTransport(sb)


@pytest.fixture
def api(sb, rec):
    with client_for(sb, rec) as client:
        yield client


# -- Campaign ------------------------------------------------------------------------------------


def test_campaign_update_stars_and_reads_back(sb, rec, api):
    result = execute(plan("Campaign", UPDATE, upd({"ID": 100}, IsStarred=True)), CATALOG, api)
    assert result.written == 1 and result.failed == ()
    assert rec.bodies == [("PUT", "/v3/REST/campaign/100", {"IsStarred": True})]
    assert api.get("/v3/REST/campaign/100").data[0]["IsStarred"] is True


def test_campaign_update_of_other_columns_is_refused_naming_the_two_allowed(sb, api):
    with pytest.raises(NotSupportedError) as err:
        execute(plan("Campaign", UPDATE, upd({"ID": 100}, Subject="New")), CATALOG, api)
    assert "IsDeleted and IsStarred" in str(err.value)
    assert len(sb.log) == 0


def test_campaign_insert_points_to_campaigndraft(sb, api):
    with pytest.raises(NotSupportedError) as err:
        execute(plan("Campaign", INSERT, RowWrite({"Subject": "x"})), CATALOG, api)
    assert "allows UPDATE only" in str(err.value)
    assert len(sb.log) == 0


# -- CampaignDraft -------------------------------------------------------------------------------


def test_campaigndraft_update_applies_unused_drafts_and_names_used_ones(sb, rec, api):
    p = plan(
        "CampaignDraft",
        UPDATE,
        upd({"ID": 10, "Used": False}, Subject="Summer news!"),
        upd({"ID": 11, "Used": True}, Subject="Changed"),
    )
    result = execute(p, CATALOG, api)
    assert result.written == 1
    assert [(f.key, "Used = false" in f.message) for f in result.failed] == [("ID 11", True)]
    assert writes_in(sb) == [("PUT", "/v3/REST/campaigndraft/10")]
    assert row(sb, "campaigndraft", 10)["Subject"] == "Summer news!"
    assert row(sb, "campaigndraft", 11)["Subject"] == "Spring sale"


def test_campaigndraft_insert_then_content_then_schedule(sb, rec, api):
    created = execute(
        plan(
            "CampaignDraft",
            INSERT,
            RowWrite(
                {
                    "Locale": "en_US",
                    "Sender": "Me",
                    "SenderEmail": "me@example.com",
                    "Subject": "Autumn",
                    "ContactsListID": 7,
                    "Title": "Autumn news",
                }
            ),
            returning=("ID", "Status"),
        ),
        CATALOG,
        api,
    )
    assert created.written == 1
    draft_id = created.returned_rows[0]["ID"]
    content = execute(
        plan(
            "CampaignDraftDetailContent",
            INSERT,
            RowWrite({"CampaignDraftID": draft_id, "Html-part": "<p>Hi</p>", "Text-part": "Hi"}),
        ),
        CATALOG,
        api,
    )
    assert content.written == 1
    schedule = execute(
        plan(
            "CampaignDraftSchedule",
            INSERT,
            RowWrite({"CampaignDraftID": draft_id, "Date": "2030-04-22T09:00:00+01:00"}),
        ),
        CATALOG,
        api,
    )
    assert schedule.written == 1, schedule.failed
    assert rec.bodies[1:] == [
        (
            "POST",
            f"/v3/REST/campaigndraft/{draft_id}/detailcontent",
            {"Html-part": "<p>Hi</p>", "Text-part": "Hi"},
        ),
        (
            "POST",
            f"/v3/REST/campaigndraft/{draft_id}/schedule",
            {"Date": "2030-04-22T09:00:00+01:00"},
        ),
    ]
    read = api.get(f"/v3/REST/campaigndraft/{draft_id}/detailcontent").data[0]
    assert read["Html-part"] == "<p>Hi</p>"
    assert api.get(f"/v3/REST/campaigndraft/{draft_id}").data[0]["Status"] == 1


def test_schedule_with_a_bad_date_is_refused_naming_the_column(sb, api):
    with pytest.raises(DataError) as err:
        execute(
            plan(
                "CampaignDraftSchedule",
                INSERT,
                RowWrite({"CampaignDraftID": 10, "Date": "next tuesday"}),
            ),
            CATALOG,
            api,
        )
    assert "CampaignDraftSchedule.Date" in str(err.value)
    assert len(sb.log) == 0


# -- templates -----------------------------------------------------------------------------------


def test_template_detailcontent_insert_and_update(sb, rec, api):
    execute(
        plan(
            "TemplateDetailContent",
            INSERT,
            RowWrite({"TemplateID": 20, "Html-part": "<b>x</b>", "Text-part": "x"}),
        ),
        CATALOG,
        api,
    )
    result = execute(
        plan("TemplateDetailContent", UPDATE, upd({"TemplateID": 20}, **{"Text-part": "y"})),
        CATALOG,
        api,
    )
    assert result.written == 1
    assert rec.bodies == [
        ("POST", "/v3/REST/template/20/detailcontent", {"Html-part": "<b>x</b>", "Text-part": "x"}),
        ("PUT", "/v3/REST/template/20/detailcontent", {"Text-part": "y"}),
    ]
    read = api.get("/v3/REST/template/20/detailcontent").data[0]
    assert (read["Html-part"], read["Text-part"]) == ("<b>x</b>", "y")


def test_template_delete(sb, api):
    result = execute(plan("Template", DELETE, upd({"ID": 20})), CATALOG, api)
    assert result.written == 1
    assert writes_in(sb) == [("DELETE", "/v3/REST/template/20")]
    assert all(t["ID"] != 20 for t in sb.data.resources["template"])


# -- ContactData ---------------------------------------------------------------------------------


def test_contactdata_update_by_property_columns_and_by_data(sb, rec, api):
    result = execute(
        plan(
            "ContactData",
            UPDATE,
            upd({"ID": 1}, age=31, Country="FR"),
            upd({"ID": 2}, Data='[{"Name": "age", "Value": 40}]'),
        ),
        CATALOG,
        api,
    )
    assert result.written == 2
    # The two PUTs run concurrently: their order is not part of the contract.
    assert sorted(rec.bodies, key=lambda body: body[1]) == [
        (
            "PUT",
            "/v3/REST/contactdata/1",
            {"Data": [{"Name": "age", "Value": 31}, {"Name": "country", "Value": "FR"}]},
        ),
        ("PUT", "/v3/REST/contactdata/2", {"Data": [{"Name": "age", "Value": 40}]}),
    ]
    data = {d["Name"]: str(d["Value"]) for d in api.get("/v3/REST/contactdata/1").data[0]["Data"]}
    assert data == {"age": "31", "country": "FR"}


def test_contactdata_undefined_property_is_refused_before_any_write(sb, api):
    with pytest.raises(ProgrammingError) as err:
        execute(plan("ContactData", UPDATE, upd({"ID": 1}, favourite_color="blue")), CATALOG, api)
    assert "'favourite_color' is not defined in ContactMetadata" in str(err.value)
    assert writes_in(sb) == []  # only the ContactMetadata read happened
    assert [r.path for r in sb.log] == ["/v3/REST/contactmetadata"]


def test_contactdata_delete(sb, api):
    result = execute(plan("ContactData", DELETE, upd({"ID": 1})), CATALOG, api)
    assert result.written == 1
    assert writes_in(sb) == [("DELETE", "/v3/REST/contactdata/1")]


# -- ContactList, ListRecipient ------------------------------------------------------------------


def test_contactlist_insert_one_request_per_contact_with_all_its_lists(sb, rec, api):
    p = plan(
        "ContactList",
        INSERT,
        RowWrite({"ContactID": 3, "ListID": 7, "Action": "addforce"}),
        RowWrite({"ContactID": 3, "ListID": 8, "Action": "addnoforce"}),
        RowWrite({"ContactID": 1, "ListID": 7, "Action": "unsub"}),
    )
    result = execute(p, CATALOG, api)
    assert result.written == 3
    assert rec.bodies == [
        (
            "POST",
            "/v3/REST/contact/3/managecontactslists",
            {
                "ContactsLists": [
                    {"ListID": 7, "Action": "addforce"},
                    {"ListID": 8, "Action": "addnoforce"},
                ]
            },
        ),
        (
            "POST",
            "/v3/REST/contact/1/managecontactslists",
            {"ContactsLists": [{"ListID": 7, "Action": "unsub"}]},
        ),
    ]
    lists = {r["ListID"]: r["IsUnsub"] for r in api.get("/v3/REST/contact/3/getcontactslists").data}
    assert lists == {7: False, 8: False}
    assert api.get("/v3/REST/contact/1/getcontactslists").data[0]["IsUnsub"] is True


def test_contactlist_unknown_action_is_refused(sb, api):
    with pytest.raises(DataError) as err:
        execute(
            plan(
                "ContactList",
                INSERT,
                RowWrite({"ContactID": 3, "ListID": 7, "Action": "subscribe"}),
            ),
            CATALOG,
            api,
        )
    assert "addforce, addnoforce, remove, unsub" in str(err.value)
    assert len(sb.log) == 0


def test_listrecipient_insert_update_delete(sb, rec, api):
    created = execute(
        plan("ListRecipient", INSERT, RowWrite({"ContactID": 3, "ListID": 8}), returning=("ID",)),
        CATALOG,
        api,
    )
    new_id = created.returned_rows[0]["ID"]
    execute(plan("ListRecipient", UPDATE, upd({"ID": new_id}, IsUnsubscribed=True)), CATALOG, api)
    assert api.get(f"/v3/REST/listrecipient/{new_id}").data[0]["IsUnsubscribed"] is True
    execute(plan("ListRecipient", DELETE, upd({"ID": new_id})), CATALOG, api)
    assert [(m, p) for m, p, _ in rec.bodies] == [
        ("POST", "/v3/REST/listrecipient"),
        ("PUT", f"/v3/REST/listrecipient/{new_id}"),
        ("DELETE", f"/v3/REST/listrecipient/{new_id}"),
    ]
    assert all(r["ID"] != new_id for r in sb.data.resources["listrecipient"])


def test_listrecipient_string_into_bigint_is_refused_naming_the_column(sb, api):
    with pytest.raises(DataError) as err:
        execute(
            plan("ListRecipient", INSERT, RowWrite({"ContactID": 3, "ListID": "eight"})),
            CATALOG,
            api,
        )
    assert "ListRecipient.ListID is BIGINT" in str(err.value)
    assert len(sb.log) == 0


# -- Contact -------------------------------------------------------------------------------------


def test_contact_insert_reports_the_duplicate_and_writes_the_others(sb, rec, api):
    p = plan(
        "Contact",
        INSERT,
        RowWrite({"Email": "dee@example.com", "Name": "Dee"}),
        RowWrite({"Email": "ann@example.com"}),
        RowWrite({"Email": "eve@example.com"}),
        returning=("ID", "Email", "CreatedAt"),
    )
    result = execute(p, CATALOG, api, WriteOptions(concurrency=1))
    assert result.written == 2
    assert [(f.row_index, f.key) for f in result.failed] == [(1, "Email ann@example.com")]
    assert "MJ18" in result.failed[0].message
    assert [r["Email"] for r in result.returned_rows] == ["dee@example.com", "eve@example.com"]
    assert all(r["ID"] and r["CreatedAt"] for r in result.returned_rows)
    # The emails are looked up first (three of them: one count and one page of the account's
    # contacts is cheaper than three GETs); the duplicate is found there and never sent.
    assert [(r.method, r.path, r.params) for r in sb.log][:2] == [
        ("GET", "/v3/REST/contact", (("countOnly", "1"),)),
        ("GET", "/v3/REST/contact", (("Limit", "1000"), ("Offset", "0"))),
    ]
    assert writes_in(sb) == [("POST", "/v3/REST/contact")] * 2


def test_contact_insert_on_error_stop(sb, api):
    p = plan(
        "Contact",
        INSERT,
        RowWrite({"Email": "ann@example.com"}),
        RowWrite({"Email": "eve@example.com"}),
    )
    result = execute(p, CATALOG, api, WriteOptions(on_error=OnError.STOP))
    assert (result.written, len(result.failed), result.stopped, result.skipped) == (0, 2, True, 1)
    assert result.failed[1].outcome is Outcome.NOT_ATTEMPTED
    assert writes_in(sb) == []  # the duplicate was found before sending: nothing went out


def test_contact_insert_into_a_list_uses_managecontact(sb, rec, api):
    result = execute(
        plan("Contact", INSERT, RowWrite({"Email": "fay@example.com", "Name": "Fay"}), list_id=8),
        CATALOG,
        api,
    )
    assert result.written == 1
    assert rec.bodies == [
        (
            "POST",
            "/v3/REST/contactslist/8/managecontact",
            {"Email": "fay@example.com", "Action": "addnoforce", "Name": "Fay"},
        )
    ]
    assert api.get("/v3/REST/contact/fay@example.com/getcontactslists").data[0]["ListID"] == 8


def test_contact_update_by_id_and_by_email(sb, rec, api):
    result = execute(
        plan(
            "Contact",
            UPDATE,
            upd({"ID": 1}, Name="Annie"),
            upd({"Email": "bob@example.com"}, IsExcludedFromCampaigns=True),
        ),
        CATALOG,
        api,
    )
    assert result.written == 2
    assert rec.bodies == [
        ("PUT", "/v3/REST/contact/1", {"Name": "Annie"}),
        ("PUT", "/v3/REST/contact/bob@example.com", {"IsExcludedFromCampaigns": True}),
    ]
    assert row(sb, "contact", 1)["Name"] == "Annie"
    assert row(sb, "contact", 2)["IsExcludedFromCampaigns"] is True


def test_contact_delete_is_refused_pointing_to_the_gdpr_path(sb, api):
    with pytest.raises(NotSupportedError) as err:
        execute(plan("Contact", DELETE, upd({"ID": 1})), CATALOG, api)
    assert "/v4/contacts/{contact_ID}" in str(err.value)
    assert "gdpr_delete_contacts" in str(err.value)
    assert len(sb.log) == 0


def test_gdpr_delete_is_a_separate_named_operation(sb, api):
    result = gdpr_delete_contacts(api, [3])
    assert result.written == 1
    assert writes_in(sb) == [("DELETE", "/v4/contacts/3")]
    assert row(sb, "contact", 3)["Email"].endswith("@domain.invalid")


def test_contact_read_only_column_and_type_errors(sb, api):
    with pytest.raises(NotSupportedError) as err:
        execute(plan("Contact", UPDATE, upd({"ID": 1}, CreatedAt="2020-01-01")), CATALOG, api)
    assert "Contact.CreatedAt is read-only" in str(err.value)
    with pytest.raises(DataError) as err:
        execute(
            plan(
                "Contact",
                INSERT,
                RowWrite({"Email": "x@example.com", "IsExcludedFromCampaigns": "maybe"}),
            ),
            CATALOG,
            api,
        )
    assert "Contact.IsExcludedFromCampaigns is BOOLEAN" in str(err.value)
    with pytest.raises(ProgrammingError) as err:
        execute(plan("Contact", UPDATE, upd({"ID": 1}, Nmae="x")), CATALOG, api)
    assert "Did you mean 'Name'" in str(err.value)
    with pytest.raises(ProgrammingError) as err:
        execute(plan("Contact", INSERT, RowWrite({"Name": "No email"})), CATALOG, api)
    assert "needs Email" in str(err.value)
    assert len(sb.log) == 0


# -- List, read-only objects, safety -------------------------------------------------------------


def test_list_delete_is_the_api_soft_delete(sb, rec, api):
    result = execute(plan("List", DELETE, upd({"ID": 8})), CATALOG, api)
    assert result.written == 1
    assert writes_in(sb) == [("DELETE", "/v3/REST/contactslist/8")]
    assert api.get("/v3/REST/contactslist/8").data[0]["IsDeleted"] is True


@pytest.mark.parametrize("table", [o.name for o in CATALOG.objects if o.read_only][:6])
def test_read_only_objects_are_refused(sb, api, table):
    with pytest.raises(NotSupportedError) as err:
        execute(plan(table, INSERT, RowWrite({"ID": 1})), CATALOG, api)
    assert f"{table} is read-only" in str(err.value)
    assert len(sb.log) == 0


@pytest.mark.parametrize(
    "table,op",
    [
        (o.name, op)
        for o in CATALOG.objects
        if o.writes
        for op in Operation
        if o.write_rule(op) is None and not (o.name == "Contact" and op is DELETE)
    ],
)
def test_operations_the_schema_does_not_declare_are_refused(sb, api, table, op):
    with pytest.raises(NotSupportedError) as err:
        execute(plan(table, op, upd({"ID": 1})), CATALOG, api)
    assert f"does not allow {op.value}" in str(err.value)
    assert len(sb.log) == 0


def test_update_without_where_needs_an_opt_in(sb, api):
    rows = [upd({"ID": 1}, Name="Same"), upd({"ID": 2}, Name="Same")]
    with pytest.raises(NotSupportedError) as err:
        execute(plan("Contact", UPDATE, *rows, unfiltered=True), CATALOG, api)
    assert "without WHERE" in str(err.value) and "allow-all-rows" in str(err.value)
    assert len(sb.log) == 0
    assert (
        execute(
            plan("Contact", UPDATE, *rows, unfiltered=True, unfiltered_opt_in=True), CATALOG, api
        ).written
        == 2
    )
    assert (
        execute(
            plan("Contact", UPDATE, *rows, unfiltered=True),
            CATALOG,
            api,
            WriteOptions(allow_unfiltered=True),
        ).written
        == 2
    )


def test_dry_run_returns_the_planned_writes_and_sends_nothing(sb, api):
    run = dry_run(
        plan(
            "CampaignDraft",
            UPDATE,
            upd({"ID": 10, "Used": False}, Title="t"),
            upd({"ID": 11, "Used": True}, Title="t"),
        ),
        CATALOG,
        api,
    )
    assert run.count == 1 and run.requests == 1
    assert run.writes[0].describe() == "PUT /v3/REST/campaigndraft/10"
    assert [f.key for f in run.refused] == ["ID 11"]
    assert "1 row(s) would change" in run.describe()
    assert len(sb.log) == 0
