"""The live data of a sandbox account: tables, their indexes, and derived views kept consistent after writes.

Each table wraps the demo account's row sequence for one resource. Writable resources are plain
lists mutated in place (so ``Sandbox.data`` shows the writes); read-only ones may be lazy
sequences and are never copied. Every write bumps the table's ``version``; indexes and the
query cache are keyed by versions, so nothing stale is ever served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import Any

from mjquery.sandbox.reference import ResourceSpec

Row = dict[str, Any]

#: Tables whose versions every cached query result depends on: the cross-resource filters
#: (contact by list, list recipient by contact email, ...) read them.
SHARED_DEPENDENCIES = ("contact", "listrecipient", "contactslist")


class Table:
    """The rows of one resource plus lazily built indexes."""

    def __init__(self, spec: ResourceSpec, rows: Sequence[Row]) -> None:
        self.spec = spec
        self.rows = rows
        self.version = 0
        self._by_id: dict[int, Row] | None = None
        self._by_id_version = -1

    @property
    def writable(self) -> bool:
        return isinstance(self.rows, list)

    def ensure_list(self) -> list[Row]:
        """The rows as a mutable list (a lazy sequence is materialised on the first write)."""
        if not isinstance(self.rows, list):
            self.rows = list(self.rows)
        return self.rows

    def by_id(self) -> dict[int, Row]:
        if self._by_id is None or self._by_id_version != self.version:
            id_field = self.spec.id_field or "ID"
            self._by_id = {row[id_field]: row for row in self.rows if id_field in row}
            self._by_id_version = self.version
        return self._by_id

    def next_id(self) -> int:
        ids = self.by_id()
        return (max(ids) + 1) if ids else 1

    def insert(self, row: Row) -> None:
        rows = self.ensure_list()
        index = self.by_id()
        rows.append(row)
        self.version += 1
        # An insert keeps the id index valid: update it instead of rebuilding 100,000 entries.
        index[row.get(self.spec.id_field or "ID")] = row
        self._by_id_version = self.version

    def delete(self, row: Row) -> None:
        rows = self.ensure_list()
        for position, candidate in enumerate(rows):
            if candidate is row:
                del rows[position]
                break
        self.version += 1

    def touch(self) -> None:
        """Record an in-place change of some row."""
        index_valid = self._by_id_version == self.version
        self.version += 1
        if index_valid:
            self._by_id_version = self.version


class Store:
    """All tables of the account, the derived indexes, and the cache of query results."""

    def __init__(self, specs: dict[str, ResourceSpec], data: Any) -> None:
        self.data = data
        self.lock = threading.RLock()
        self.tables: dict[str, Table] = {}
        resources: dict[str, Sequence[Row]] = data.resources
        for name, spec in specs.items():
            rows = resources.get(spec.name)
            if rows is None:
                rows = []
                resources[spec.name] = rows
            self.tables[name] = Table(spec, rows)
        self.sub_resources: dict[str, dict[int, Row]] = data.sub_resources
        self.now: datetime = getattr(data, "now", None) or datetime.now(UTC)
        self.anonymized: set[int] = set()
        self._derived: dict[Hashable, tuple[Hashable, Any]] = {}
        self._query_cache: OrderedDict[Hashable, list[Row]] = OrderedDict()

    def table(self, name: str) -> Table:
        return self.tables[name]

    def versions(self, name: str) -> tuple[int, ...]:
        names = (name, *SHARED_DEPENDENCIES)
        return tuple(self.tables[n].version if n in self.tables else 0 for n in names)

    # -- derived views, rebuilt when the tables they read change -------------------------------

    def derived(self, key: str, depends_on: tuple[str, ...], build: Callable[[], Any]) -> Any:
        stamp = tuple(self.tables[n].version for n in depends_on)
        cached = self._derived.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = build()
        self._derived[key] = (stamp, value)
        return value

    def contacts_by_email(self) -> dict[str, Row]:
        def build() -> dict[str, Row]:
            return {str(row.get("Email", "")).lower(): row for row in self.tables["contact"].rows}

        return self.derived("contact-email", ("contact",), build)

    def contact(self, key: str | int) -> Row | None:
        """A contact by numeric ID or by email (case-insensitive)."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return self.tables["contact"].by_id().get(int(key))
        return self.contacts_by_email().get(str(key).lower())

    def recipients_by_list(self) -> dict[int, list[Row]]:
        def build() -> dict[int, list[Row]]:
            index: dict[int, list[Row]] = {}
            for row in self.tables["listrecipient"].rows:
                index.setdefault(row.get("ListID"), []).append(row)
            return index

        return self.derived("recipients-by-list", ("listrecipient",), build)

    def recipients_by_contact(self) -> dict[int, list[Row]]:
        def build() -> dict[int, list[Row]]:
            index: dict[int, list[Row]] = {}
            for row in self.tables["listrecipient"].rows:
                index.setdefault(row.get("ContactID"), []).append(row)
            return index

        return self.derived("recipients-by-contact", ("listrecipient",), build)

    def list_members(self, list_id: int) -> frozenset[int]:
        def build() -> dict[int, frozenset[int]]:
            return {lid: frozenset(r.get("ContactID") for r in rows) for lid, rows in self.recipients_by_list().items()}

        return self.derived("list-members", ("listrecipient",), build).get(list_id, frozenset())

    def campaign_contacts(self, campaign_id: int) -> frozenset[int]:
        """Contacts a campaign sent to (read from the messages: a read-only table)."""

        def build() -> dict[int, set[int]]:
            index: dict[int, set[int]] = {}
            for row in self.tables["message"].rows:
                index.setdefault(row.get("CampaignID"), set()).add(row.get("ContactID"))
            return index

        return frozenset(self.derived("campaign-contacts", ("message",), build).get(campaign_id, ()))

    def refresh_subscriber_count(self, list_id: int) -> None:
        """SubscriberCount counts every recipient row of the list (unsubscribed ones included)."""
        lists = self.tables["contactslist"]
        row = lists.by_id().get(list_id)
        if row is not None and "SubscriberCount" in row:
            count = len(self.recipients_by_list().get(list_id, ()))
            if row["SubscriberCount"] != count:
                row["SubscriberCount"] = count
                lists.touch()

    # -- query cache ------------------------------------------------------------------------------

    def cached_query(self, key: Hashable, compute: Callable[[], list[Row]]) -> list[Row]:
        cached = self._query_cache.get(key)
        if cached is not None:
            self._query_cache.move_to_end(key)
            return cached
        result = compute()
        self._query_cache[key] = result
        while len(self._query_cache) > 64:
            self._query_cache.popitem(last=False)
        return result
