"""Filter-only pseudo-columns are left out of ``*`` (as SQLite hides HIDDEN columns) and stay
selectable by name; MessageHistory rows say which message they belong to."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import mjquery
from mjquery.errors import ProgrammingError
from mjquery.schema import ObjectSchema, load_catalog
from tests.test_cli_transfer import run as run_cli

CATALOG = load_catalog()
# Tables with filter-only columns that a plain SELECT * can read (no required filter, no parent).
WITH_PSEUDO = [
    o
    for o in CATALOG.objects
    if o.pseudo_columns and not o.required_pseudo_columns and o.parent is None
]


def visible(schema: ObjectSchema) -> list[str]:
    return [c.name for c in schema.columns]


@pytest.mark.parametrize("schema", WITH_PSEUDO, ids=[o.name for o in WITH_PSEUDO])
def test_star_shows_the_real_columns_only(demo_conn: mjquery.Connection, schema) -> None:
    cursor = demo_conn.cursor()
    cursor.execute(f'SELECT * FROM "{schema.name}" LIMIT 1')
    # as the connection sees the table (ContactProperties: with the account's properties)
    assert [d[0] for d in cursor.description] == visible(demo_conn.catalog.get(schema.name))


def test_a_pseudo_column_is_selectable_by_name_and_carries_the_pushed_value(
    demo_conn: mjquery.Connection, demo_sandbox
) -> None:
    cursor = demo_conn.cursor()
    cursor.execute("SELECT MIN(ID) FROM List")
    (list_id,) = cursor.fetchone()
    cursor.execute("SELECT *, ContactsList FROM Contact WHERE ContactsList = ?", [list_id])
    names = [d[0] for d in cursor.description]
    assert names == [*visible(CATALOG.get("Contact")), "ContactsList"]
    rows = cursor.fetchall()
    assert rows and {r[-1] for r in rows} == {list_id}
    reads = [r for r in demo_sandbox.log if r.path == "/v3/REST/contact"]
    assert reads and all(r.param("ContactsList") == str(list_id) for r in reads)


def test_qualified_star_in_a_join_hides_them_too(demo_conn: mjquery.Connection) -> None:
    cursor = demo_conn.cursor()
    cursor.execute(
        "SELECT c.*, l.Name AS ListName FROM Contact c "
        "JOIN ListRecipient lr ON lr.ContactID = c.ID JOIN List l ON l.ID = lr.ListID LIMIT 1"
    )
    assert [d[0] for d in cursor.description] == [*visible(CATALOG.get("Contact")), "ListName"]


def test_star_with_its_own_exclude_keeps_it(demo_conn: mjquery.Connection) -> None:
    cursor = demo_conn.cursor()
    cursor.execute("SELECT * EXCLUDE (Name, ContactsList) FROM Contact LIMIT 1")
    assert [d[0] for d in cursor.description] == [
        c for c in visible(CATALOG.get("Contact")) if c != "Name"
    ]


def test_export_of_a_table_has_no_filter_only_columns(sb, tmp_path: Path) -> None:
    target = tmp_path / "contacts.csv"
    result = run_cli(sb, "export", "Contact", "-o", str(target))
    assert result.status == 0, result.err
    header = next(csv.reader(io.StringIO(target.read_text())))
    assert header == visible(CATALOG.get("Contact"))


def test_message_history_rows_say_which_message_they_belong_to(
    demo_conn: mjquery.Connection, demo_sandbox
) -> None:
    cursor = demo_conn.cursor()
    cursor.execute("SELECT ID FROM Message WHERE Status = 'opened' ORDER BY ID LIMIT 2")
    first, second = (r[0] for r in cursor.fetchall())
    demo_sandbox.log.clear()
    cursor.execute("SELECT * FROM MessageHistory WHERE MessageID IN (?, ?)", [first, second])
    names = [d[0] for d in cursor.description]
    assert names[0] == "MessageID"
    rows = cursor.fetchall()
    assert {r[0] for r in rows} == {first, second}
    by_message = {
        m: [r[names.index("EventType")] for r in rows if r[0] == m] for m in (first, second)
    }
    assert all(events[0] == "sent" and "opened" in events for events in by_message.values())
    # one GET /messagehistory/{message ID} per message, as recorded traffic reads it
    assert sorted(r.path for r in demo_sandbox.log) == sorted(
        f"/v3/REST/messagehistory/{m}" for m in (first, second)
    )


def test_message_history_through_a_join_and_without_a_message(
    demo_conn: mjquery.Connection,
) -> None:
    cursor = demo_conn.cursor()
    cursor.execute("SELECT ID FROM Message WHERE Status = 'opened' ORDER BY ID LIMIT 3")
    ids = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "SELECT m.ID, count(*) FROM Message m JOIN MessageHistory h ON h.MessageID = m.ID "
        "WHERE m.ID IN (?, ?, ?) GROUP BY m.ID ORDER BY m.ID",
        ids,
    )
    rows = cursor.fetchall()
    assert [r[0] for r in rows] == ids and all(count >= 2 for _, count in rows)
    with pytest.raises(ProgrammingError, match=r"MessageHistory needs MessageID: add WHERE"):
        cursor.execute("SELECT * FROM MessageHistory")
