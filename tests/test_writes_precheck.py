"""A write no row could make valid is refused before ANY request, whatever rows would match.

Each statement below used to run its key SELECT first (one GET or more) and was refused only when
rows matched — or not at all when none did. Now the sandbox log must stay empty, and the message
names the rule, the column or the allowed columns.
"""

from __future__ import annotations

import pytest

import mjquery
from mjquery.errors import DataError, NotSupportedError, ProgrammingError
from tests.writes_support import writes_in

REFUSED = [
    # Campaign: UPDATE of IsDeleted and IsStarred only; the match or not of the WHERE does not matter.
    (
        "UPDATE Campaign SET Subject = 'x' WHERE ID = 100",
        NotSupportedError,
        r"Campaign\.Subject is read-only.*may set IsDeleted and IsStarred",
    ),
    (
        "UPDATE Campaign SET Subject = 'x' WHERE ID = 999",
        NotSupportedError,
        r"Campaign\.Subject is read-only.*may set IsDeleted and IsStarred",
    ),
    (
        "UPDATE Campaign SET IsStarred = true, Title = 'x' WHERE Subject LIKE 'Spring%'",
        ProgrammingError,
        r"Campaign has no column 'Title'.*may set IsDeleted and IsStarred",
    ),
    (
        "DELETE FROM Campaign WHERE ID = 100",
        NotSupportedError,
        r"Campaign does not allow DELETE.*IsDeleted and IsStarred",
    ),
    (
        "INSERT INTO Campaign (Subject) SELECT Subject FROM Campaign",
        NotSupportedError,
        r"Campaign does not allow INSERT.*IsDeleted and IsStarred",
    ),
    # Read-only object and read-only / unknown column.
    ("UPDATE Message SET Status = 'x' WHERE ID = 1", NotSupportedError, r"Message is read-only"),
    ("DELETE FROM Message WHERE ID = 1", NotSupportedError, r"Message is read-only"),
    (
        "UPDATE Contact SET CreatedAt = '2020-01-01' WHERE ID = 999",
        NotSupportedError,
        r"Contact\.CreatedAt is read-only.*may set Name and IsExcludedFromCampaigns",
    ),
    (
        "UPDATE Contact SET Nmae = 'x' WHERE ContactsList = 7",
        ProgrammingError,
        r"Contact has no column 'Nmae'\. Did you mean 'Name'\?",
    ),
    (
        "INSERT INTO Contact (Email, Nmae) SELECT Email, Name FROM Contact",
        ProgrammingError,
        r"Contact has no column 'Nmae'",
    ),
    (
        "INSERT INTO Contact (Name) SELECT Name FROM Contact",
        ProgrammingError,
        r"INSERT INTO Contact needs Email",
    ),
    # Type errors of literal values name the column.
    (
        "UPDATE Campaign SET IsStarred = 'maybe' WHERE ID = 999",
        DataError,
        r"Campaign\.IsStarred is BOOLEAN",
    ),
    (
        "UPDATE Contact SET IsExcludedFromCampaigns = 'sometimes' WHERE Email LIKE '%@example.com'",
        DataError,
        r"Contact\.IsExcludedFromCampaigns is BOOLEAN",
    ),
    (
        "UPDATE ListRecipient SET IsUnsubscribed = 'x' WHERE ListID = 7",
        DataError,
        r"ListRecipient\.IsUnsubscribed is BOOLEAN",
    ),
    # Contact DELETE: the GDPR path is named.
    (
        "DELETE FROM Contact WHERE ID = 999",
        NotSupportedError,
        r"GDPR deletion.*gdpr_delete_contacts",
    ),
    # No WHERE.
    ("UPDATE Contact SET Name = 'x'", NotSupportedError, r"without WHERE would change every row"),
    ("DELETE FROM ListRecipient", NotSupportedError, r"without WHERE.*allow-all-rows"),
]


@pytest.mark.parametrize(("sql", "error", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_before_any_request(sb_conn, sb, sql, error, message):
    with pytest.raises(error, match=message):
        sb_conn.cursor().execute(sql)
    assert list(sb.log) == []


@pytest.mark.parametrize(("sql", "error", "message"), REFUSED[:6], ids=[r[0] for r in REFUSED[:6]])
def test_dry_run_refuses_before_any_request_too(sb_conn, sb, sql, error, message):
    with pytest.raises(error, match=message):
        sb_conn.dry_run(sql)
    assert list(sb.log) == []


def test_allowed_statements_still_read_then_write(sb_conn, sb):
    cursor = sb_conn.cursor()
    cursor.execute("UPDATE Campaign SET IsStarred = true WHERE ID = 100")
    assert cursor.rowcount == 1
    assert writes_in(sb) == [("PUT", "/v3/REST/campaign/100")]
    sb.log.clear()
    cursor.execute(
        "UPDATE Campaign SET IsStarred = 'false' WHERE ID = 999"
    )  # a string that is a boolean
    assert cursor.rowcount == 0 and writes_in(sb) == []


def test_row_dependent_rules_still_read_first(sb_conn, sb):
    # CampaignDraft needs Used = false (a property of each row), ContactData property names need
    # ContactMetadata: both are decided after reads, and refuse without writing.
    cursor = sb_conn.cursor()
    with pytest.raises(NotSupportedError, match="Used = false"):
        cursor.execute("UPDATE CampaignDraft SET Title = 'x' WHERE ID = 11")
    with pytest.raises(ProgrammingError, match="'shoe' is not defined in ContactMetadata"):
        cursor.execute("UPDATE ContactData SET shoe = 44 WHERE ID = 1")
    assert len(sb.log) > 0 and writes_in(sb) == []


def test_no_where_with_the_connection_option_or_the_statement_opt_in(sb):
    with mjquery.connect(sandbox=sb, allow_unfiltered_writes=True) as sb_conn:
        sb_conn.cursor().execute("UPDATE Campaign SET IsStarred = true")
        assert writes_in(sb) == [("PUT", "/v3/REST/campaign/100")]
    with mjquery.connect(sandbox=sb) as sb_conn:
        cursor = sb_conn.cursor()
        cursor.execute("UPDATE Campaign SET IsStarred = false -- mjquery: allow-all-rows")
        assert cursor.rowcount == 1
