"""The live data of a sandbox account: tables, their indexes, and derived views kept consistent after writes.

Each table wraps the demo account's row sequence for one resource. Writable resources are plain
lists mutated in place (so ``Sandbox.data`` shows the writes); read-only ones may be lazy
sequences and are never copied. Every write bumps the table's ``version``; indexes and the
query cache are keyed by versions, so nothing stale is ever served.

Inserts and deletes are also recorded in a short change log per table, so the indexes the write
path reads after every row (contacts by email, list recipients by list and by contact, list
members) are brought up to date by applying the rows added or removed since they were built,
instead of being rebuilt from the whole account: importing a contact costs the same whatever the
size of the account. An in-place change (``touch``) may change any indexed field, so it makes
the next read rebuild.

The account clock (:meth:`Store.clock`) is the one time every part of the sandbox reads: the
timestamps written by requests (``CreatedAt`` of a new row, ``SubscribedAt``, ``ModifiedAt``,
``LastUpdateAt``, job times...), the schedule checks of campaign drafts (a programmed draft is
sent once its date is behind the clock; a schedule date behind it is refused), ``Period``
filters and the statistics recomputed for them. An account that has its own ``now`` (the demo
account: a fixed date, so its data is the same on every run) lives at its own date, which
advances in real time from the moment the sandbox starts: the clock is that ``now`` plus the
time elapsed since the store was built (a monotonic count, so changes of the machine's clock
do not move it). So data written during a session is a few minutes newer than the account's
history, not months, and the demo's programmed draft stays programmed until its date comes in
account time. ``SandboxConfig.start`` sets the starting point explicitly (tests); an account
without ``now`` and no explicit start keeps the machine's wall clock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from mjquery.sandbox.api.reference import ResourceSpec

Row = dict[str, Any]
#: Rows by one of their values (an ID as the API serves it). The keys looked up are values read
#: from other rows, typed ``Any`` like every row value, so the key type stays open.
Index = dict[Any, Row]
#: Rows grouped by one of their values (list recipients by ListID...).
Groups = dict[Any, list[Row]]
_T = TypeVar("_T")

#: Tables whose versions every cached query result depends on: the cross-resource filters
#: (contact by list, list recipient by contact email, ...) read them.
SHARED_DEPENDENCIES = ("contact", "listrecipient", "contactslist")

#: Changes kept per table for incremental index updates; an index older than that is rebuilt.
CHANGE_LOG_LIMIT = 4096


class ChangeKind(Enum):
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True, eq=False)
class Change:
    """One row added to or removed from a table; ``version`` is the table's version after it."""

    version: int
    kind: ChangeKind
    row: Row


class Table:
    """The rows of one resource plus lazily built indexes."""

    def __init__(self, spec: ResourceSpec, rows: Sequence[Row]) -> None:
        self.spec = spec
        self.rows = rows
        self.version = 0
        self._by_id: Index | None = None
        self._by_id_version = -1
        self._max_id = 0
        self._max_id_version = -1
        #: The highest ID this table ever held: deleted IDs are never given out again.
        self._high_water = 0
        self._changes: list[Change] = []
        #: The oldest version from which ``_changes`` holds every change (a touch moves it on).
        self._changes_from = 0

    @property
    def writable(self) -> bool:
        return isinstance(self.rows, list)

    def ensure_list(self) -> list[Row]:
        """The rows as a mutable list (a lazy sequence is materialised on the first write)."""
        if not isinstance(self.rows, list):
            self.rows = list(self.rows)
        return self.rows

    def by_id(self) -> Index:
        if self._by_id is None or self._by_id_version != self.version:
            id_field = self.spec.id_field or "ID"
            self._by_id = {row[id_field]: row for row in self.rows if id_field in row}
            self._by_id_version = self.version
        return self._by_id

    def next_id(self) -> int:
        """The ID of the next row: above every ID the table ever held, as production's are (an
        ID is never reused after a delete, so a stale reference can never reach a new object)."""
        if self._max_id_version != self.version:
            self._max_id = max((i for i in self.by_id() if isinstance(i, int)), default=0)
            self._max_id_version = self.version
        self._high_water = max(self._high_water, self._max_id)
        return self._high_water + 1

    def insert(self, row: Row) -> None:
        rows = self.ensure_list()
        index = self.by_id()
        rows.append(row)
        max_id_valid = self._max_id_version == self.version
        self.version += 1
        # An insert keeps the id index valid: update it instead of rebuilding 100,000 entries.
        row_id = row.get(self.spec.id_field or "ID")
        index[row_id] = row
        self._by_id_version = self.version
        if max_id_valid:
            if isinstance(row_id, int) and row_id > self._max_id:
                self._max_id = row_id
            self._max_id_version = self.version
        self._record(ChangeKind.INSERT, row)

    def delete(self, row: Row) -> None:
        row_id = row.get(self.spec.id_field or "ID")
        if isinstance(row_id, int):
            self._high_water = max(self._high_water, row_id, self.next_id() - 1)
        rows = self.ensure_list()
        for position, candidate in enumerate(rows):
            if candidate is row:
                del rows[position]
                break
        self.version += 1
        self._record(ChangeKind.DELETE, row)

    def touch(self) -> None:
        """Record an in-place change of some row."""
        index_valid = self._by_id_version == self.version
        self.version += 1
        if index_valid:
            self._by_id_version = self.version
        self._changes.clear()
        self._changes_from = self.version

    def _record(self, kind: ChangeKind, row: Row) -> None:
        self._changes.append(Change(self.version, kind, row))
        if len(self._changes) > CHANGE_LOG_LIMIT:
            dropped = self._changes[: len(self._changes) // 2]
            del self._changes[: len(dropped)]
            self._changes_from = dropped[-1].version

    def changes_since(self, version: int) -> list[Change] | None:
        """The inserts and deletes after ``version``, or None when they are not all known."""
        if version < self._changes_from or version > self.version:
            return None
        if not self._changes or self._changes[-1].version <= version:
            return []
        # Versions in the log are increasing: find the first change after ``version``.
        low, high = 0, len(self._changes)
        while low < high:
            middle = (low + high) // 2
            if self._changes[middle].version <= version:
                low = middle + 1
            else:
                high = middle
        return self._changes[low:]


class Store:
    """All tables of the account, the derived indexes, and the cache of query results."""

    def __init__(
        self, specs: dict[str, ResourceSpec], data: Any, start: datetime | None = None
    ) -> None:
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
        origin: datetime | None = start or getattr(data, "now", None)
        if origin is not None and origin.tzinfo is None:
            origin = origin.replace(tzinfo=UTC)  # account times are UTC
        #: The account's time when the store was built; None = the account follows the wall clock.
        self.clock_origin = origin
        self._clock_started = time.monotonic()
        self.anonymized: set[int] = set()
        self._derived: dict[str, tuple[tuple[int, ...], Any]] = {}
        self._query_cache: OrderedDict[Hashable, Sequence[Row]] = OrderedDict()

    def table(self, name: str) -> Table:
        return self.tables[name]

    # -- the account clock --------------------------------------------------------------------------

    def start_clock(self) -> None:
        """Count the account's elapsed time from now on (the sandbox calls it once it is ready)."""
        self._clock_started = time.monotonic()

    def clock(self) -> datetime:
        """The account's current time (UTC): its ``now`` plus the real time elapsed since it was built."""
        if self.clock_origin is None:
            return datetime.now(UTC)
        return self.clock_origin + timedelta(seconds=time.monotonic() - self._clock_started)

    def clock_timestamp(self) -> float:
        """The account clock as Unix seconds (to compare with parsed dates)."""
        return self.clock().timestamp()

    def clock_iso(self) -> str:
        """The account clock as the API writes times (``2026-10-03T09:12:44Z``)."""
        return self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")

    def versions(self, name: str) -> tuple[int, ...]:
        names = (name, *SHARED_DEPENDENCIES)
        return tuple(self.tables[n].version if n in self.tables else 0 for n in names)

    # -- derived views, rebuilt when the tables they read change -------------------------------

    def derived(
        self,
        key: str,
        depends_on: tuple[str, ...],
        build: Callable[[], _T],
        apply: Callable[[_T, Change], None] | None = None,
    ) -> _T:
        """A value computed from tables, cached until one of them changes.

        With ``apply`` (which updates the value in place for one inserted or deleted row of the
        single table it depends on), a value older than the table is caught up from the table's
        change log rather than rebuilt, when the log covers the gap.
        """
        stamp = tuple(self.tables[n].version for n in depends_on)
        cached = self._derived.get(key)
        if cached is not None and cached[0] == stamp:
            hit: _T = cached[1]
            return hit
        if cached is not None and apply is not None and len(depends_on) == 1:
            changes = self.tables[depends_on[0]].changes_since(cached[0][0])
            if changes is not None:
                value: _T = cached[1]
                for change in changes:
                    apply(value, change)
                self._derived[key] = (stamp, value)
                return value
        built = build()
        self._derived[key] = (stamp, built)
        return built

    def contacts_by_email(self) -> dict[str, Row]:
        def build() -> dict[str, Row]:
            return {str(row.get("Email", "")).lower(): row for row in self.tables["contact"].rows}

        def apply(index: dict[str, Row], change: Change) -> None:
            email = str(change.row.get("Email", "")).lower()
            if change.kind is ChangeKind.INSERT:
                index[email] = change.row
            elif index.get(email) is change.row:
                del index[email]
                # Emails are unique, but a built index keeps the last row of a duplicate: do the same.
                for row in reversed(self.tables["contact"].rows):
                    if str(row.get("Email", "")).lower() == email:
                        index[email] = row
                        break

        return self.derived("contact-email", ("contact",), build, apply)

    def contact(self, key: str | int) -> Row | None:
        """A contact by numeric ID or by email (case-insensitive)."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return self.tables["contact"].by_id().get(int(key))
        return self.contacts_by_email().get(str(key).lower())

    def _recipients_by(self, field: str) -> Groups:
        """List recipient rows grouped by ``field``, in table order."""

        def build() -> Groups:
            index: Groups = {}
            for row in self.tables["listrecipient"].rows:
                index.setdefault(row.get(field), []).append(row)
            return index

        def apply(index: Groups, change: Change) -> None:
            value = change.row.get(field)
            if change.kind is ChangeKind.INSERT:
                index.setdefault(value, []).append(change.row)
                return
            group = index.get(value, [])
            for position, row in enumerate(group):
                if row is change.row:
                    del group[position]
                    break
            if not group:
                index.pop(value, None)

        return self.derived(f"recipients-by-{field}", ("listrecipient",), build, apply)

    def recipients_by_list(self) -> Groups:
        return self._recipients_by("ListID")

    def recipients_by_contact(self) -> Groups:
        return self._recipients_by("ContactID")

    def list_members(self, list_id: int) -> AbstractSet[Any]:
        """The contact IDs on a list (a live index: read it, do not change it)."""

        def build() -> dict[Any, set[Any]]:
            return {
                lid: {r.get("ContactID") for r in rows}
                for lid, rows in self.recipients_by_list().items()
            }

        def apply(index: dict[Any, set[Any]], change: Change) -> None:
            list_id, contact_id = change.row.get("ListID"), change.row.get("ContactID")
            if change.kind is ChangeKind.INSERT:
                index.setdefault(list_id, set()).add(contact_id)
                return
            members = index.get(list_id)
            still_there = any(
                r.get("ContactID") == contact_id for r in self.recipients_by_list().get(list_id, ())
            )
            if members is not None and not still_there:
                members.discard(contact_id)

        return self.derived("list-members", ("listrecipient",), build, apply).get(
            list_id, frozenset()
        )

    def campaign_contacts(self, campaign_id: int) -> frozenset[Any]:
        """Contacts a campaign sent to (read from the messages: a read-only table)."""

        def build() -> dict[Any, set[Any]]:
            index: dict[Any, set[Any]] = {}
            for row in self.tables["message"].rows:
                index.setdefault(row.get("CampaignID"), set()).add(row.get("ContactID"))
            return index

        return frozenset(
            self.derived("campaign-contacts", ("message",), build).get(campaign_id, ())
        )

    def refresh_subscriber_count(self, list_id: int | None) -> None:
        """SubscriberCount counts every recipient row of the list (unsubscribed ones included)."""
        lists = self.tables["contactslist"]
        row = lists.by_id().get(list_id)
        if row is not None and "SubscriberCount" in row:
            count = len(self.recipients_by_list().get(list_id, ()))
            if row["SubscriberCount"] != count:
                row["SubscriberCount"] = count
                lists.touch()

    # -- query cache ------------------------------------------------------------------------------

    def cached_query(self, key: Hashable, compute: Callable[[], Sequence[Row]]) -> Sequence[Row]:
        cached = self._query_cache.get(key)
        if cached is not None:
            self._query_cache.move_to_end(key)
            return cached
        result = compute()
        self._query_cache[key] = result
        while len(self._query_cache) > 64:
            self._query_cache.popitem(last=False)
        return result
