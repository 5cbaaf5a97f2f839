"""The sandbox's contact and list-membership indexes follow writes incrementally and stay correct.

Each test writes through the HTTP surface and then reads with the filters those indexes serve
(``contact?ContactsList=``, ``listrecipient?ContactsList=/Contact=``, a contact by email), so a
stale index would show as a wrong row set.
"""

from __future__ import annotations

import httpx

from mjquery.sandbox import Sandbox


def _emails(http: httpx.Client, **params: str) -> list[str]:
    return sorted(
        r["Email"]
        for r in http.get("/v3/REST/contact", params={**params, "Limit": "0"}).json()["Data"]
    )


def _recipient_contacts(http: httpx.Client, **params: str) -> list[int]:
    rows = http.get("/v3/REST/listrecipient", params={**params, "Limit": "0"}).json()["Data"]
    return sorted(r["ContactID"] for r in rows)


def test_inserted_contacts_update_the_indexes_in_place_instead_of_rebuilding(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    store = sandbox.store
    by_list, by_contact, by_email = (
        store.recipients_by_list(),
        store.recipients_by_contact(),
        store.contacts_by_email(),
    )
    members = store.list_members(2)
    contacts = [{"Email": f"new{i}@bulk.example", "Name": f"New {i}"} for i in range(5)]
    answer = client.post(
        "/v3/REST/contactslist/2/managemanycontacts",
        json={"Action": "addnoforce", "Contacts": contacts},
    )
    assert answer.status_code == 201
    # The same objects, caught up from the change log: no rebuild from the whole account.
    assert store.recipients_by_list() is by_list
    assert store.recipients_by_contact() is by_contact
    assert store.contacts_by_email() is by_email
    assert store.list_members(2) is members
    assert len(members) == 2 + 5
    assert store.contact("NEW3@bulk.example") is not None


def test_writes_followed_by_filtered_reads_return_the_right_rows(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    assert _emails(client, ContactsList="2") == [
        "bob@acme.com",
        "dave@example.org",
    ]  # indexes built and cached
    client.post(
        "/v3/REST/contactslist/2/managecontact",
        json={"Email": "zoe@new.example", "Action": "addnoforce"},
    )
    client.post(
        "/v3/REST/contactslist/2/managemanycontacts",
        json={
            "Action": "addforce",
            "Contacts": [{"Email": "yan@new.example"}, {"Email": "alice@acme.com"}],
        },
    )
    assert _emails(client, ContactsList="2") == [
        "alice@acme.com",
        "bob@acme.com",
        "dave@example.org",
        "yan@new.example",
        "zoe@new.example",
    ]
    zoe = client.get("/v3/REST/contact/zoe@new.example").json()["Data"][0]
    assert _recipient_contacts(client, Contact=str(zoe["ID"])) == [zoe["ID"]]
    assert _recipient_contacts(client, ContactsList="2") == sorted(
        [1, 2, 4, zoe["ID"], zoe["ID"] + 1]
    )

    # Delete a membership: gone from both list indexes and from the members.
    recipient = client.get("/v3/REST/listrecipient", params={"Contact": str(zoe["ID"])}).json()[
        "Data"
    ][0]
    assert client.delete(f"/v3/REST/listrecipient/{recipient['ID']}").status_code == 204
    assert "zoe@new.example" not in _emails(client, ContactsList="2")
    assert _recipient_contacts(client, Contact=str(zoe["ID"])) == []
    assert _recipient_contacts(client, ContactsList="1") == [
        1,
        2,
        3,
        5,
    ]  # the other list is untouched

    # Re-add after the delete, and an in-place change (unsubscribe) in between: still right.
    client.post(
        "/v3/REST/contact/{}/managecontactslists".format(zoe["ID"]),
        json={
            "ContactsLists": [
                {"ListID": 1, "Action": "unsub"},
                {"ListID": 2, "Action": "addnoforce"},
            ]
        },
    )
    assert "zoe@new.example" in _emails(client, ContactsList="1")
    assert "zoe@new.example" in _emails(client, ContactsList="2")
    unsubscribed = client.get(
        "/v3/REST/listrecipient", params={"ContactsList": "1", "Unsub": "true", "Limit": "0"}
    ).json()["Data"]
    assert sorted(r["ContactID"] for r in unsubscribed) == [3, zoe["ID"]]
    counts = {
        r["ID"]: r["SubscriberCount"] for r in client.get("/v3/REST/contactslist").json()["Data"]
    }
    assert counts[1] == 5 and counts[2] == 5


def test_index_rebuilt_when_the_change_log_no_longer_covers_it(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    from mjquery.sandbox.api import store as store_module

    store = sandbox.store
    store.recipients_by_list()
    contacts = [
        {"Email": f"many{i}@bulk.example"} for i in range(store_module.CHANGE_LOG_LIMIT + 10)
    ]
    client.post(
        "/v3/REST/contactslist/3/managemanycontacts",
        json={"Action": "addnoforce", "Contacts": contacts},
    )
    assert len(store.recipients_by_list()[3]) == 1 + len(contacts)
    counted = client.get("/v3/REST/contact", params={"ContactsList": "3", "countOnly": "1"}).json()
    assert counted["Total"] == 1 + len(contacts)


def test_display_flags_share_the_answer_of_the_rows_they_display(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``ShowSubject`` & co. change the properties shown, not the rows: a page asked for with
    them is served from the rows the same filter found without them (a filter over every
    message is computed once, not once per set of display flags)."""
    sandbox = Sandbox(seed=42, scale=0.05)
    computed: list[str] = []
    original = sandbox._matching

    def counting(table, predicates, sort_keys):  # type: ignore[no-untyped-def]
        computed.append(table.spec.name)
        return original(table, predicates, sort_keys)

    monkeypatch.setattr(sandbox, "_matching", counting)
    with httpx.Client(
        transport=sandbox.transport(),
        base_url="https://api.mailjet.com",
        auth=(sandbox.config.api_key, sandbox.config.api_secret),
    ) as http:
        campaign = http.get("/v3/REST/campaign", params={"Limit": "1"}).json()["Data"][0]["ID"]
        plain = http.get("/v3/REST/message", params={"Campaign": campaign}).json()
        shown = http.get(
            "/v3/REST/message",
            params={"Campaign": campaign, "ShowSubject": "true", "ShowCustomID": "true"},
        ).json()
        contact = plain["Data"][0]["ContactID"]
        other = http.get("/v3/REST/message", params={"Campaign": campaign, "Contact": contact})
    assert computed.count("message") == 2  # the Campaign filter once, Campaign+Contact once
    assert plain["Count"] == shown["Count"] > other.json()["Count"] > 0
    assert [r["ID"] for r in plain["Data"]] == [r["ID"] for r in shown["Data"]]
    assert plain["Data"][0]["Subject"] == "" and shown["Data"][0]["Subject"] != ""
