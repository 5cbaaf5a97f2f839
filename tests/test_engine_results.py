"""End-to-end results against the demo sandbox, compared with the sandbox's own data (``sb.data``).

Each test asserts the rows a user would see and the API requests that produced them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from mjquery.sandbox import Sandbox


def rows(demo_sandbox: Sandbox, resource: str) -> list[dict]:
    return demo_sandbox.data.resources[resource]


def ts(text: str) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_every_list_with_typed_columns(demo_conn, demo_sandbox: Sandbox) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT ID, Name, IsDeleted, CreatedAt, SubscriberCount FROM List ORDER BY ID")
    expected = sorted(
        (r["ID"], r["Name"], r["IsDeleted"], ts(r["CreatedAt"]), r["SubscriberCount"])
        for r in rows(demo_sandbox, "contactslist")
    )
    assert cur.fetchall() == expected
    assert [d[1] for d in cur.description] == [
        "BIGINT",
        "VARCHAR",
        "BOOLEAN",
        "TIMESTAMP",
        "BIGINT",
    ]
    assert len(demo_sandbox.log.requests(path="/v3/REST/contactslist")) == 1


def test_list_members_through_dependent_join_read_only_that_list(
    demo_conn, demo_sandbox: Sandbox
) -> None:
    newsletter = next(r for r in rows(demo_sandbox, "contactslist") if r["Name"] == "Newsletter")
    expected = sorted(
        r["ContactID"]
        for r in rows(demo_sandbox, "listrecipient")
        if r["ListID"] == newsletter["ID"]
    )
    cur = demo_conn.cursor()
    cur.execute(
        "SELECT r.ContactID FROM List JOIN ListRecipient r ON r.ListID = List.ID "
        "WHERE List.Name = 'Newsletter' ORDER BY 1"
    )
    assert [r[0] for r in cur.fetchall()] == expected
    recipient_requests = demo_sandbox.log.requests(path="/v3/REST/listrecipient")
    assert recipient_requests and all(
        r.param("ContactsList") == str(newsletter["ID"])
        for r in recipient_requests
        if r.param("countOnly") is None
    )


def test_contacts_of_a_list_by_pseudo_column_join(demo_conn, demo_sandbox: Sandbox) -> None:
    target = next(
        r for r in rows(demo_sandbox, "contactslist") if r["Name"] == "Wholesale partners"
    )
    members = {
        r["ContactID"] for r in rows(demo_sandbox, "listrecipient") if r["ListID"] == target["ID"]
    }
    expected = sorted(c["Email"] for c in rows(demo_sandbox, "contact") if c["ID"] in members)
    cur = demo_conn.cursor()
    cur.execute(
        "SELECT c.Email FROM List l JOIN Contact c ON c.ContactsList = l.ID "
        "WHERE l.Name = ? ORDER BY 1",
        ["Wholesale partners"],
    )
    assert [r[0] for r in cur.fetchall()] == expected
    contact_requests = [
        r
        for r in demo_sandbox.log.requests(path="/v3/REST/contact")
        if r.param("countOnly") is None
    ]
    assert {r.param("ContactsList") for r in contact_requests} == {str(target["ID"])}


def test_aggregate_over_all_messages(demo_conn, demo_sandbox: Sandbox) -> None:
    expected = Counter(m["Status"] for m in rows(demo_sandbox, "message"))
    cur = demo_conn.cursor()
    cur.execute("SELECT Status, COUNT(*) FROM Message GROUP BY Status")
    assert dict(cur.fetchall()) == dict(expected)
    pages = [
        r
        for r in demo_sandbox.log.requests(path="/v3/REST/message")
        if r.param("countOnly") is None
    ]
    assert len(pages) == -(-len(rows(demo_sandbox, "message")) // 1000)
    assert all(r.param("Limit") == "1000" for r in pages)


def test_message_ids_stay_exact_64_bit(demo_conn, demo_sandbox: Sandbox) -> None:
    biggest = max(m["ID"] for m in rows(demo_sandbox, "message"))
    assert biggest > 2**53
    cur = demo_conn.cursor()
    cur.execute("SELECT max(ID) FROM Message")
    assert cur.fetchone() == (biggest,)


def test_message_subject_and_recipient_are_read(demo_conn, demo_sandbox: Sandbox) -> None:
    """Subject, ContactAlt and CustomID come back only with the schema's Show... parameters."""
    first = rows(demo_sandbox, "message")[0]
    cur = demo_conn.cursor()
    cur.execute("SELECT Subject, ContactAlt FROM Message WHERE ID = ?", [first["ID"]])
    assert cur.fetchall() == [(first["Subject"], first["ContactAlt"])]
    assert first["Subject"]
    cur.execute("SELECT COUNT(*) FROM Message WHERE Subject = ?", [first["Subject"]])
    assert cur.fetchone()[0] == sum(
        1 for m in rows(demo_sandbox, "message") if m["Subject"] == first["Subject"]
    )
    assert all(
        r.param("ShowSubject") == "true" for r in demo_sandbox.log.requests(path="/v3/REST/message")
    )


def test_count_star_with_pushed_filter(demo_conn, demo_sandbox: Sandbox) -> None:
    campaign = rows(demo_sandbox, "message")[0]["CampaignID"]
    expected = sum(1 for m in rows(demo_sandbox, "message") if m["CampaignID"] == campaign)
    cur = demo_conn.cursor()
    cur.execute("SELECT COUNT(*) AS n FROM Message WHERE CampaignID = ?", [campaign])
    assert cur.fetchall() == [(expected,)]
    assert cur.description[0][0] == "n"
    (request,) = demo_sandbox.log.requests(path="/v3/REST/message")
    assert request.param("countOnly") == "1" and request.param("Campaign") == str(campaign)


def test_order_by_limit_matches_sorting_the_data(demo_conn, demo_sandbox: Sandbox) -> None:
    expected = sorted(
        rows(demo_sandbox, "message"), key=lambda m: (m["ArrivedAt"], m["ID"]), reverse=True
    )[:5]
    cur = demo_conn.cursor()
    cur.execute("SELECT ArrivedAt FROM Message ORDER BY ArrivedAt DESC LIMIT 5")
    assert [r[0] for r in cur.fetchall()] == [ts(m["ArrivedAt"]) for m in expected]
    (request,) = demo_sandbox.log.requests(path="/v3/REST/message")
    assert request.param("Limit") == "5" and request.param("Sort") == "ArrivedAt DESC"


def test_like_is_rechecked_case_sensitively(demo_conn, demo_sandbox: Sandbox) -> None:
    expected = sorted(
        c["Email"] for c in rows(demo_sandbox, "contact") if c["Email"].endswith("@example.com")
    )
    cur = demo_conn.cursor()
    cur.execute("SELECT Email FROM Contact WHERE Email LIKE '%@example.com' ORDER BY Email")
    assert [r[0] for r in cur.fetchall()] == expected
    cur.execute("SELECT count(*) FROM Contact WHERE Email LIKE '%@EXAMPLE.COM'")
    assert cur.fetchone() == (
        sum(1 for c in rows(demo_sandbox, "contact") if c["Email"].endswith("@EXAMPLE.COM")),
    )


def test_timestamps_empty_strings_become_null(demo_conn, demo_sandbox: Sandbox) -> None:
    expected_null = sum(1 for c in rows(demo_sandbox, "contact") if not c.get("LastActivityAt"))
    cur = demo_conn.cursor()
    cur.execute("SELECT count(*) FROM Contact WHERE LastActivityAt IS NULL")
    assert cur.fetchone() == (expected_null,)


def test_union_cte_and_window(demo_conn, demo_sandbox: Sandbox) -> None:
    lists = [r for r in rows(demo_sandbox, "contactslist") if not r["IsDeleted"]]
    ranked = sorted(lists, key=lambda r: -r["SubscriberCount"])
    cur = demo_conn.cursor()
    cur.execute("""
        WITH live AS (SELECT Name, SubscriberCount FROM List WHERE IsDeleted = false)
        SELECT Name, row_number() OVER (ORDER BY SubscriberCount DESC) AS pos FROM live
        UNION ALL
        SELECT 'total', count(*) FROM List
        ORDER BY pos, Name""")
    result = cur.fetchall()
    assert result[: len(ranked)] == [(r["Name"], i + 1) for i, r in enumerate(ranked)]
    assert ("total", len(rows(demo_sandbox, "contactslist"))) in result


def test_sub_resource_with_parent_id_and_missing_item(demo_conn, demo_sandbox: Sandbox) -> None:
    draft = rows(demo_sandbox, "campaigndraft")[0]["ID"]
    cur = demo_conn.cursor()
    cur.execute(
        'SELECT CampaignDraftID, "Html-part" IS NOT NULL FROM CampaignDraftDetailContent '
        "WHERE CampaignDraftID = ?",
        [draft],
    )
    assert [r[0] for r in cur.fetchall()] == [draft]
    cur.execute("SELECT * FROM Contact WHERE ID = 1")
    assert cur.fetchall() == []


def test_local_table_joins_and_ctas_from_mailjet(demo_conn, demo_sandbox: Sandbox) -> None:
    cur = demo_conn.cursor()
    cur.execute("CREATE TEMP TABLE vip AS SELECT ID, Email FROM Contact WHERE Email LIKE 'giulia%'")
    expected = sorted(
        c["Email"] for c in rows(demo_sandbox, "contact") if c["Email"].startswith("giulia")
    )
    cur.execute("SELECT Email FROM vip ORDER BY 1")
    assert [r[0] for r in cur.fetchall()] == expected
    demo_sandbox.log.clear()
    cur.execute(
        "SELECT v.Email, c.CreatedAt IS NOT NULL FROM vip v JOIN Contact c ON c.Email = v.Email ORDER BY 1"
    )
    assert [r[0] for r in cur.fetchall()] == expected
    emails = {r.param("Email") for r in demo_sandbox.log.requests(path="/v3/REST/contact")}
    assert emails == set(expected)  # one request per staged email, no full scan
    cur.execute("INSERT INTO vip VALUES (1, 'x@y.z')")
    assert cur.rowcount == 1
    cur.execute("DROP TABLE vip")


def test_stats_of_the_last_statement(demo_conn, demo_sandbox: Sandbox) -> None:
    cur = demo_conn.cursor()
    cur.execute("SELECT Name FROM List")
    assert cur.rowcount == -1  # a query's row count is known once its rows are fetched
    fetched = cur.fetchall()
    assert cur.stats.requests == 1 and cur.stats.rows == len(fetched) == len(
        rows(demo_sandbox, "contactslist")
    )
    assert cur.rowcount == len(fetched)
    assert cur.stats.elapsed_s > 0
