"""INSERT OR REPLACE, INSERT OR IGNORE and ON CONFLICT on Mailjet tables.

An existing object is found by the object's natural key before anything is sent: OR REPLACE
updates it (an upsert), OR IGNORE leaves it; plain INSERT refuses it as a duplicate. Objects
without a natural key refuse both forms before any request.
"""

from __future__ import annotations

import pytest

from mjquery.errors import IntegrityError, NotSupportedError
from tests.writes_support import row, writes_in


def test_insert_or_replace_updates_the_existing_contact_and_creates_the_new(sb, sb_conn) -> None:
    cur = sb_conn.cursor()
    cur.execute(
        "INSERT OR REPLACE INTO Contact (Email, Name) VALUES "
        "('ann@example.com', 'Ann Hall'), ('new@example.com', 'New')"
    )
    assert cur.rowcount == 2 and cur.messages == []
    assert row(sb, "contact", 1)["Name"] == "Ann Hall"
    assert any(c["Email"] == "new@example.com" for c in sb.data.resources["contact"])
    assert sorted(writes_in(sb)) == [("POST", "/v3/REST/contact"), ("PUT", "/v3/REST/contact/1")]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT OR IGNORE INTO Contact (Email, Name) VALUES ('ann@example.com', 'X'), ('new@example.com', 'New')",
        "INSERT INTO Contact (Email, Name) VALUES ('ann@example.com', 'X'), ('new@example.com', 'New') "
        "ON CONFLICT DO NOTHING",
    ],
)
def test_insert_or_ignore_leaves_the_existing_contact(sb, sb_conn, sql: str) -> None:
    cur = sb_conn.cursor()
    cur.execute(sql)
    assert cur.rowcount == 1 and cur.messages == []  # only the new row counts
    assert row(sb, "contact", 1)["Name"] == "Ann"
    assert writes_in(sb) == [("POST", "/v3/REST/contact")]


def test_plain_insert_still_refuses_the_duplicate(sb, sb_conn) -> None:
    with pytest.raises(
        IntegrityError, match=r'MJ18 A Contact resource with value "ann@example.com"'
    ):
        sb_conn.cursor().execute(
            "INSERT INTO Contact (Email, Name) VALUES ('ann@example.com', 'X')"
        )
    assert writes_in(sb) == []


def test_insert_or_replace_of_a_list_membership_updates_it(sb, sb_conn) -> None:
    cur = sb_conn.cursor()
    cur.execute(
        "INSERT OR REPLACE INTO ListRecipient (ContactID, ListID, IsUnsubscribed) VALUES (1, 7, true)"
    )
    assert cur.rowcount == 1
    member = next(
        r for r in sb.data.resources["listrecipient"] if (r["ContactID"], r["ListID"]) == (1, 7)
    )
    assert member["IsUnsubscribed"] is True
    assert writes_in(sb) == [("PUT", f"/v3/REST/listrecipient/{member['ID']}")]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "INSERT OR REPLACE INTO CampaignDraft (Locale, Sender, SenderEmail, Subject) "
            "VALUES ('en_US', 'Me', 'me@example.com', 'Hi')",
            r"INSERT OR REPLACE INTO CampaignDraft is not supported: CampaignDraft has no natural key",
        ),
        (
            "INSERT OR IGNORE INTO CampaignDraft (Locale, Sender, SenderEmail, Subject) "
            "VALUES ('en_US', 'Me', 'me@example.com', 'Hi')",
            r"INSERT OR IGNORE INTO CampaignDraft is not supported",
        ),
        (
            "INSERT INTO Contact (Email, Name) VALUES ('ann@example.com', 'X') "
            "ON CONFLICT (Email) DO UPDATE SET Name = excluded.Name",
            r"ON CONFLICT DO UPDATE is not supported on Mailjet tables: write INSERT OR REPLACE",
        ),
        (
            "INSERT OR ROLLBACK INTO Contact (Email) VALUES ('x@example.com')",
            r"INSERT OR ROLLBACK is not supported on Mailjet tables",
        ),
    ],
)
def test_conflict_clauses_an_object_cannot_honour_are_refused_before_any_request(
    sb, sb_conn, sql: str, message: str
) -> None:
    with pytest.raises(NotSupportedError, match=message):
        sb_conn.cursor().execute(sql)
    assert len(sb.log) == 0
