"""Results never depend on pushdown: mjquery's rows against a reference computed without it.

The reference is a plain DuckDB database holding the sandbox's own rows (``Sandbox.data``, with
the properties the API leaves out while unset as NULL),
typed here from the schema files with no mjquery code (no planner, no loader): RFC 3339 strings
become timestamps, ``""`` becomes NULL. A few hundred queries, generated from a fixed seed,
cover every predicate family the schemas push (``=``/``IN`` on ids and booleans, the LIKE and
ILIKE families, time windows, NULL tests, NOT, OR, ORDER BY / LIMIT / OFFSET, COUNT(*),
dependent joins, IN-subqueries, pseudo-columns) and run through mjquery twice: with the default
planner and with ``push_limit_sort_count=False``. Each must return the reference's rows.

Pseudo-columns have no column in the reference: the generator writes their reference SQL from
the relationship the API filter stands for (``Contact.ContactsList = 7`` is membership in
listrecipient, ``Contact.Campaign = 5`` a message of that campaign, ``Contact.IsUnsubscribed``
a set ``UnsubscribedAt``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.sandbox.api.core import OMITTED_WHEN_UNSET
from mjquery.schema import load_catalog

SEED = 20240601
TABLES = {
    "Contact": "contact",
    "List": "contactslist",
    "ListRecipient": "listrecipient",
    "Message": "message",
    "Campaign": "campaign",
}


# -- the reference database --------------------------------------------------------------------


def _typed(value: object, sql_type: str) -> object:
    """A sandbox value as the schema's SQL type, for the reference's JSON file."""
    if value is None:
        return None
    if sql_type == "TIMESTAMP":
        if value in ("", 0):
            return None
        if isinstance(value, (int, float)):
            moment = dt.datetime.fromtimestamp(value, dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    if sql_type == "VARCHAR":
        return str(value)
    if sql_type == "BIGINT":
        return None if value == "" else int(value)  # type: ignore[arg-type]
    return value


@pytest.fixture(scope="module")
def reference(
    small_demo_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    catalog = load_catalog()
    db = duckdb.connect()
    folder = tmp_path_factory.mktemp("reference")
    for name, resource in TABLES.items():
        schema = catalog.find(name)
        assert schema is not None
        columns = [(c.name, c.type.value) for c in schema.columns]
        path = Path(folder) / f"{resource}.json"
        # Properties the API leaves out while they are unset reach mjquery as NULL.
        omitted = set(OMITTED_WHEN_UNSET.get(resource, ()))
        rows = [
            {
                n: None if n in omitted and row.get(n) in (0, "", None) else _typed(row.get(n), t)
                for n, t in columns
            }
            for row in small_demo_sandbox.data.resources[resource]
        ]
        path.write_text(json.dumps(rows))
        spec = ", ".join(f"'{n}': '{t}'" for n, t in columns)
        # SELECT * leaves the pseudo-columns out, so the reference has only the real columns
        db.execute(
            f'CREATE TABLE "{name}" AS SELECT * FROM read_json(?, columns = {{{spec}}}, '
            "format = 'array')",
            [str(path)],
        )
    yield db
    db.close()


@pytest.fixture(scope="module")
def connections(small_demo_sandbox: Sandbox) -> Iterator[dict[str, object]]:
    pushed = mjquery.connect(sandbox=small_demo_sandbox, cache_ttl=0)
    unpushed = mjquery.connect(sandbox=small_demo_sandbox, cache_ttl=0)
    unpushed.engine.options = replace(unpushed.engine.options, push_limit_sort_count=False)
    yield {"pushed": pushed, "unpushed": unpushed}
    pushed.close()
    unpushed.close()


# -- the generated queries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    sql: str  # what mjquery runs
    reference_sql: str  # what the reference runs (differs only for pseudo-columns)
    ordered: bool  # ORDER BY fully determines the row order


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Data:
    """Values taken from the sandbox's rows, so predicates hit real rows and their edges."""

    def __init__(self, small_demo_sandbox: Sandbox) -> None:
        r = small_demo_sandbox.data.resources
        self.contacts = r["contact"]
        self.lists = r["contactslist"]
        self.recipients = r["listrecipient"]
        self.messages = r["message"]
        self.campaigns = r["campaign"]


class Generator:
    def __init__(self, data: _Data, seed: int) -> None:
        self.d = data
        self.rng = random.Random(seed)

    # values --------------------------------------------------------------------------------

    def pick(self, rows: list[dict], field: str) -> object:
        return self.rng.choice(rows)[field]

    def text_piece(self, text: str) -> tuple[str, str, str]:
        """A prefix, a suffix and an inner part of ``text``, case sometimes changed."""
        rng = self.rng
        n = len(text)
        a = rng.randint(1, max(1, min(6, n)))
        prefix, suffix = text[:a], text[n - a :]
        i = rng.randint(0, max(0, n - 3))
        inner = text[i : i + rng.randint(1, 4)]
        change = rng.choice([str, str, str.upper, str.capitalize, str.swapcase])
        return change(prefix), change(suffix), change(inner)

    def like(self, column: str, rows: list[dict], field: str) -> str:
        rng = self.rng
        text = str(self.pick(rows, field)) or "x"
        prefix, suffix, inner = self.text_piece(text)
        op = rng.choice(["LIKE", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"])
        pattern = rng.choice(
            [
                prefix + "%",
                "%" + suffix,
                "%" + inner + "%",
                text,
                text.upper(),
                "%" + inner.replace(inner[:1], "_", 1) + "%",
                prefix + "_%",
                "%",
                "",
                "%%",
                "%o'b%",
                "%" + inner + "%" + suffix,
                "%\\_%",
                "%50\\%%",
                prefix.lower() + "%",
                "%@" + text.rsplit("@", 1)[-1].upper(),
            ]
        )
        return f"{column} {op} {_lit(pattern)}"

    def timestamp(self, rows: list[dict], field: str) -> str:
        """A literal near a row's timestamp: on it, a fraction off, a second off, a day."""
        rng = self.rng
        raw = str(self.pick(rows, field) or "2024-06-01T00:00:00Z")
        moment = dt.datetime.fromisoformat(raw).replace(tzinfo=None)
        moment += rng.choice(
            [dt.timedelta(0)] * 4
            + [
                dt.timedelta(microseconds=500_000),
                dt.timedelta(microseconds=-1),
                dt.timedelta(seconds=1),
                dt.timedelta(seconds=-1),
                dt.timedelta(microseconds=1),
            ]
        )
        form = rng.randrange(8)
        if form == 0:
            return _lit(moment.isoformat() + "Z")
        if form == 1:
            return "DATE " + _lit(moment.date().isoformat())
        if form == 2:
            return f"CAST({_lit(moment.isoformat(sep=' '))} AS DATE)"
        if form == 3:
            return _lit(moment.isoformat(sep=" ") + "+02:00")
        if form == 4:
            return "TIMESTAMP " + _lit(moment.isoformat(sep=" ", timespec="milliseconds"))
        return "TIMESTAMP " + _lit(moment.isoformat(sep=" "))

    def window(self, column: str, rows: list[dict], field: str) -> str:
        rng = self.rng
        shape = rng.randrange(7)
        a, b = self.timestamp(rows, field), self.timestamp(rows, field)
        if shape == 0:
            return f"{column} BETWEEN {a} AND {b}"
        if shape == 1:
            return f"({column} >= {a}) = ({column} <= {b})"
        if shape == 2:
            return f"{column} NOT BETWEEN {a} AND {b}"
        if shape == 3:
            return f"{a} {rng.choice(['<', '<=', '>', '>='])} {column}"
        return f"{column} {rng.choice(['<', '<=', '>', '>=', '='])} {a}"

    def values(
        self, column: str, rows: list[dict], field: str, quote: bool = False, odd: bool = True
    ) -> str:
        rng = self.rng
        picks = [self.pick(rows, field) for _ in range(rng.randint(1, 4))]
        spell = (lambda v: v if v in ("''", "'no one'") else _lit(str(v))) if quote else str
        if odd and rng.random() < 0.15:
            picks.append(rng.choice(["''", "'no one'"]) if quote else rng.choice([0, 1, 999999999]))
        if len(picks) == 1 or rng.random() < 0.3:
            op = rng.choice(["=", "=", "<>"])
            return f"{column} {op} {spell(picks[0])}"
        neg = "NOT " if rng.random() < 0.15 else ""
        return f"{column} {neg}IN ({', '.join(spell(p) for p in picks)})"

    def boolean(self, column: str) -> str:
        return self.rng.choice(
            [
                f"{column} = true",
                f"{column} = false",
                column,
                f"NOT {column}",
                f"{column} IS TRUE",
                f"{column} IS NOT FALSE",
                f"{column} IN (true)",
            ]
        )

    # atoms per table ------------------------------------------------------------------------

    def contact_atom(self, alias: str = "") -> str:
        p = alias + "." if alias else ""
        d, rng = self.d, self.rng
        kind = rng.randrange(12)
        if kind <= 2:
            return self.like(
                p + rng.choice(["Email", "Email", "Name"]),
                d.contacts,
                "Email" if kind < 2 else "Name",
            )
        if kind == 3:
            return self.values(p + "ID", d.contacts, "ID")
        if kind == 4:
            return self.boolean(p + "IsExcludedFromCampaigns")
        if kind == 5:
            return self.window(p + "CreatedAt", d.contacts, "CreatedAt")
        if kind == 6:
            return self.window(p + "LastActivityAt", d.contacts, "LastActivityAt")
        if kind == 7:
            return p + rng.choice(
                [
                    "UnsubscribedAt IS NULL",
                    "UnsubscribedAt IS NOT NULL",
                    "LastUpdateAt IS NULL",
                    "Name IS NULL",
                    "Email IS NOT NULL",
                ]
            )
        if kind == 8:
            return self.values(p + "Email", d.contacts, "Email", quote=True)
        if kind == 9:
            return f"{p}DeliveredCount {rng.choice(['>', '<=', '='])} {rng.randint(0, 8)}"
        if kind == 10:
            email = str(self.pick(d.contacts, "Email"))
            return f"{p}Email {rng.choice(['=', 'ILIKE'])} {_lit(rng.choice([email.upper(), email.capitalize(), email]))}"
        return self.values(
            p + "LastActivityAt", d.contacts, "LastActivityAt", quote=True, odd=False
        )

    def message_atom(self, alias: str = "") -> str:
        p = alias + "." if alias else ""
        d, rng = self.d, self.rng
        kind = rng.randrange(10)
        if kind <= 2:
            return self.window(p + "ArrivedAt", d.messages, "ArrivedAt")
        if kind == 3:
            return self.values(p + "CampaignID", d.messages, "CampaignID")
        if kind == 4:
            return self.values(p + "ContactID", d.messages, "ContactID")
        if kind == 5:
            return self.values(p + "SenderID", d.messages, "SenderID")
        if kind == 6:
            return self.values(p + "ID", d.messages, "ID")
        if kind == 7:
            value = str(self.pick(d.messages, "ContactAlt"))
            return f"{p}ContactAlt = {_lit(rng.choice([value, value.upper()]))}"
        if kind == 8:
            return self.values(p + "Status", d.messages, "Status", quote=True)
        return self.boolean(p + rng.choice(["IsOpenTracked", "StatePermanent"]))

    def list_atom(self, alias: str = "") -> str:
        p = alias + "." if alias else ""
        d, rng = self.d, self.rng
        kind = rng.randrange(6)
        if kind == 0:
            name = str(self.pick(d.lists, "Name"))
            return f"{p}Name = {_lit(rng.choice([name, name.upper(), name.lower()]))}"
        if kind == 1:
            return self.values(p + "Address", d.lists, "Address", quote=True)
        if kind == 2:
            return self.boolean(p + "IsDeleted")
        if kind == 3:
            return self.values(p + "ID", d.lists, "ID")
        if kind == 4:
            return self.like(p + "Name", d.lists, "Name")
        return self.window(p + "CreatedAt", d.lists, "CreatedAt")

    def recipient_atom(self, alias: str = "") -> str:
        p = alias + "." if alias else ""
        d, rng = self.d, self.rng
        kind = rng.randrange(6)
        if kind == 0:
            return self.values(p + "ListID", d.recipients, "ListID")
        if kind == 1:
            return self.values(p + "ContactID", d.recipients, "ContactID")
        if kind == 2:
            return self.boolean(p + rng.choice(["IsActive", "IsUnsubscribed"]))
        if kind == 3:
            name = str(self.pick(d.recipients, "ListName"))
            return f"{p}ListName = {_lit(rng.choice([name, name.upper()]))}"
        if kind == 4:
            return self.window(p + "SubscribedAt", d.recipients, "SubscribedAt")
        return p + rng.choice(["UnsubscribedAt IS NULL", "UnsubscribedAt IS NOT NULL"])

    def campaign_atom(self, alias: str = "") -> str:
        p = alias + "." if alias else ""
        d, rng = self.d, self.rng
        kind = rng.randrange(6)
        if kind <= 1:
            return self.window(
                p + "SendStartAt", d.campaigns, rng.choice(["SendStartAt", "CreatedAt"])
            )
        if kind == 2:
            return self.boolean(p + rng.choice(["IsDeleted", "IsStarred"]))
        if kind == 3:
            return self.values(p + "FromID", d.campaigns, "FromID")
        if kind == 4:
            return self.values(p + "ListID", d.campaigns, "ListID")
        return self.values(p + "ID", d.campaigns, "ID")

    def where(self, atom, alias: str = "") -> str:
        """One to three conjuncts; sometimes an OR or a NOT around atoms."""
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 3)):
            shape = rng.random()
            if shape < 0.15:
                parts.append(f"({atom(alias)} OR {atom(alias)})")
            elif shape < 0.25:
                parts.append(f"NOT ({atom(alias)})")
            else:
                parts.append(atom(alias))
        return " AND ".join(parts)

    # whole queries ----------------------------------------------------------------------------

    ATOMS: ClassVar[dict[str, str]] = {
        "Contact": "contact_atom",
        "Message": "message_atom",
        "List": "list_atom",
        "ListRecipient": "recipient_atom",
        "Campaign": "campaign_atom",
    }
    ORDER: ClassVar[dict[str, list[str]]] = {
        "Contact": ["ID", "Email", "DeliveredCount", "CreatedAt", "Name"],
        "Message": ["ID", "ArrivedAt", "CampaignID"],
        "List": ["ID", "Name", "CreatedAt", "IsDeleted"],
        "ListRecipient": ["ID", "ListID"],
        "Campaign": ["ID", "SendStartAt"],
    }

    def single(self) -> Case:
        rng = self.rng
        table = rng.choice(
            ["Contact", "Contact", "Message", "Message", "List", "ListRecipient", "Campaign"]
        )
        where = self.where(getattr(self, self.ATOMS[table]))
        shape = rng.randrange(5)
        if shape == 0:
            sql = f"SELECT COUNT(*) FROM {table} WHERE {where}"
            return Case(sql, sql, ordered=True)
        if shape == 1:
            sql = f"SELECT COUNT(*) AS n FROM {table}"
            return Case(sql, sql, ordered=True)
        if shape == 2:
            sql = f"SELECT * FROM {table} WHERE {where}"
            return Case(sql, sql, ordered=False)
        key = rng.choice(self.ORDER[table])
        desc = rng.choice(["", " DESC"])
        limit = rng.choice([1, 3, 10, 100, 1500])
        offset = rng.choice(["", "", f" OFFSET {rng.choice([0, 1, 5, 350])}"])
        filt = f" WHERE {where}" if rng.random() < 0.6 else ""
        if shape == 3 or key == "ID":
            # a unique tie-breaker: the order (and the rows LIMIT keeps) is fully determined
            tail = "" if key == "ID" else f", ID{rng.choice(['', ' DESC'])}"
            sql = f"SELECT ID, {key} FROM {table}{filt} ORDER BY {key}{desc}{tail} LIMIT {limit}{offset}"
        else:
            # ties are allowed to come in any order, but the key values are determined
            sql = f"SELECT {key} FROM {table}{filt} ORDER BY {key}{desc} LIMIT {limit}{offset}"
        return Case(sql, sql, ordered=True)

    def pseudo(self) -> Case:
        """Contact's pseudo-columns, with their reference from the data's relationships."""
        d, rng = self.d, self.rng
        extra = f" AND {self.where(self.contact_atom)}" if rng.random() < 0.5 else ""
        kind = rng.randrange(4)
        if kind == 0:
            lists = sorted({rng.choice(d.lists)["ID"] for _ in range(rng.randint(1, 2))})
            if len(lists) == 1:
                sql = f"SELECT ID, Email, ContactsList FROM Contact WHERE ContactsList = {lists[0]}{extra}"
            else:
                sql = f"SELECT ID, Email, ContactsList FROM Contact WHERE ContactsList IN ({', '.join(map(str, lists))}){extra}"
            ref = (
                "SELECT Contact.ID, Email, r.ListID AS ContactsList FROM Contact JOIN "
                f"(SELECT DISTINCT ContactID, ListID FROM ListRecipient) r ON r.ContactID = Contact.ID "
                f"WHERE r.ListID IN ({', '.join(map(str, lists))}){extra}"
            )
            if rng.random() < 0.4:
                tail = f" ORDER BY ID{rng.choice(['', ' DESC'])}, ContactsList LIMIT {rng.choice([1, 5, 50])}"
                tail += rng.choice(["", f" OFFSET {rng.choice([1, 7])}"])
                return Case(sql + tail, ref + tail, ordered=True)
            return Case(sql, ref, ordered=False)
        if kind == 1:
            want = rng.choice([True, False])
            sql = f"SELECT ID, IsUnsubscribed FROM Contact WHERE IsUnsubscribed = {str(want).lower()}{extra}"
            ref = (
                f"SELECT ID, {str(want).lower()} FROM Contact WHERE UnsubscribedAt IS "
                f"{'NOT ' if want else ''}NULL{extra}"
            )
            return Case(sql, ref, ordered=False)
        if kind == 2:
            campaign = rng.choice(d.campaigns)["ID"]
            sql = f"SELECT ID, Campaign FROM Contact WHERE Campaign = {campaign}{extra}"
            ref = (
                f"SELECT ID, {campaign} FROM Contact WHERE ID IN "
                f"(SELECT ContactID FROM Message WHERE CampaignID = {campaign}){extra}"
            )
            return Case(sql, ref, ordered=False)
        lid = rng.choice(d.lists)["ID"]
        sql = f"SELECT COUNT(*) FROM Contact WHERE ContactsList = {lid}{extra}"
        ref = (
            f"SELECT COUNT(*) FROM Contact WHERE ID IN (SELECT ContactID FROM ListRecipient "
            f"WHERE ListID = {lid}){extra}"
        )
        return Case(sql, ref, ordered=True)

    def join(self) -> Case:
        rng = self.rng
        kind = rng.randrange(6)
        if kind == 0:
            sql = (
                "SELECT l.ID, r.ID, c.Email FROM List l JOIN ListRecipient r ON r.ListID = l.ID "
                f"JOIN Contact c ON c.ID = r.ContactID WHERE {self.where(self.list_atom, 'l')}"
            )
            if rng.random() < 0.5:
                sql += f" AND {self.where(self.contact_atom, 'c')}"
        elif kind == 1:
            sql = (
                "SELECT c.ID, m.ID, m.ArrivedAt FROM Campaign c JOIN Message m ON m.CampaignID = c.ID "
                f"WHERE {self.where(self.campaign_atom, 'c')}"
            )
            if rng.random() < 0.5:
                sql += f" AND {self.where(self.message_atom, 'm')}"
        elif kind == 2:
            sql = (
                "SELECT r.ID, c.ID, c.Email FROM ListRecipient r LEFT JOIN Contact c "
                f"ON c.ID = r.ContactID AND {self.contact_atom('c')} WHERE {self.where(self.recipient_atom, 'r')}"
            )
        elif kind == 3:
            sql = (
                f"SELECT ID, Email FROM Contact WHERE ID IN (SELECT ContactID FROM ListRecipient "
                f"WHERE {self.where(self.recipient_atom)})"
            )
            if rng.random() < 0.5:
                sql += f" AND {self.where(self.contact_atom)}"
        elif kind == 4:
            sql = (
                f"SELECT ID, CampaignID FROM Message WHERE CampaignID IN (SELECT ID FROM Campaign "
                f"WHERE {self.where(self.campaign_atom)}) AND {self.where(self.message_atom)}"
            )
        else:
            sql = (
                "SELECT l.Name, COUNT(*) AS n FROM List l JOIN ListRecipient r ON r.ListID = l.ID "
                f"WHERE {self.where(self.list_atom, 'l')} GROUP BY l.Name"
            )
        return Case(sql, sql, ordered=False)

    def cases(self, count: int) -> list[Case]:
        made = []
        for _ in range(count):
            roll = self.rng.random()
            made.append(
                self.single() if roll < 0.6 else self.pseudo() if roll < 0.75 else self.join()
            )
        return made


def _cases() -> list[Case]:
    return Generator(_Data(Sandbox(seed=42, scale=0.2)), SEED).cases(300)


CASES = _cases()


def _normalise(rows: list[tuple], ordered: bool) -> object:
    return list(rows) if ordered else Counter(rows)


@pytest.mark.parametrize("case", CASES, ids=[f"q{i:03d}" for i in range(len(CASES))])
def test_rows_match_the_reference(
    case: Case, reference: duckdb.DuckDBPyConnection, connections: dict[str, object]
) -> None:
    expected = _normalise(reference.execute(case.reference_sql).fetchall(), case.ordered)
    for mode, conn in connections.items():
        cur = conn.cursor()  # type: ignore[attr-defined]
        cur.execute(case.sql)
        got = _normalise(cur.fetchall(), case.ordered)
        assert got == expected, f"{mode}: {case.sql}"


# -- the mismatches found, each as a small test ----------------------------------------------


def _rows_and_params(
    small_demo_sandbox: Sandbox, connections: dict[str, object], sql: str, path: str
) -> tuple[list, list]:
    small_demo_sandbox.log.clear()
    cur = connections["pushed"].cursor()  # type: ignore[attr-defined]
    cur.execute(sql)
    rows = cur.fetchall()
    return rows, [dict(r.params) for r in small_demo_sandbox.log.requests(path=path)]


def test_not_like_is_not_pushed_as_like(
    small_demo_sandbox: Sandbox,
    reference: duckdb.DuckDBPyConnection,
    connections: dict[str, object],
) -> None:
    # sqlglot spells NOT LIKE as LIKE(negate=True): it was sent as EmailRLike, the opposite set
    sql = "SELECT ID FROM Contact WHERE Email NOT LIKE '%@example.com' AND Email NOT ILIKE 'A%'"
    rows, params = _rows_and_params(small_demo_sandbox, connections, sql, "/v3/REST/contact")
    assert sorted(rows) == sorted(reference.execute(sql).fetchall())
    assert rows and not any(k.startswith("Email") for p in params for k in p)


def test_a_date_cast_bounds_at_midnight(
    small_demo_sandbox: Sandbox,
    reference: duckdb.DuckDBPyConnection,
    connections: dict[str, object],
) -> None:
    # CAST('2026-03-27 15:30:00' AS DATE) is 2026-03-27 for DuckDB; FromTS was sent as 15:29:59
    sql = "SELECT ID FROM Message WHERE ArrivedAt >= CAST('2026-03-27 15:30:00' AS DATE)"
    rows, params = _rows_and_params(small_demo_sandbox, connections, sql, "/v3/REST/message")
    assert sorted(rows) == sorted(reference.execute(sql).fetchall())
    assert {p.get("FromTS") for p in params} == {"2026-03-26T23:59:59Z"}


def test_a_timestamp_with_an_offset_stays_in_duckdb(
    small_demo_sandbox: Sandbox,
    reference: duckdb.DuckDBPyConnection,
    connections: dict[str, object],
) -> None:
    # DuckDB compares '... 10:00:00+02:00' as 10:00 (offset dropped); ToTS was sent as 08:00 UTC
    sql = "SELECT ID FROM Message WHERE ArrivedAt < '2026-03-27 10:00:00+02:00'"
    rows, params = _rows_and_params(small_demo_sandbox, connections, sql, "/v3/REST/message")
    assert sorted(rows) == sorted(reference.execute(sql).fetchall())
    assert rows and not any("ToTS" in p or "FromTS" in p for p in params)


def test_campaign_time_window_is_on_send_start(
    small_demo_sandbox: Sandbox,
    reference: duckdb.DuckDBPyConnection,
    connections: dict[str, object],
) -> None:
    # the sandbox bounded CreatedAt while the schema (and the reference) push SendStartAt
    sql = "SELECT ID FROM Campaign WHERE SendStartAt > TIMESTAMP '2025-06-01' AND SendStartAt < '2026-06-01'"
    rows, params = _rows_and_params(small_demo_sandbox, connections, sql, "/v3/REST/campaign")
    expected = reference.execute(sql).fetchall()
    assert expected and sorted(rows) == sorted(expected)
    assert params and params[0].get("FromTS") == "2025-06-01T00:00:00Z"
