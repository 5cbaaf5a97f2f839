"""Find objects by their natural key: duplicates before an INSERT, and what a write left behind.

An INSERT's natural key (the schema file's ``natural_key``: Contact ``Email``, ListRecipient
``ContactID`` + ``ListID``) says which existing object a new row would collide with. A
:class:`Probe` is the part of that key a row gives; :func:`find_existing` answers, for many
probes at once, which objects the server holds now. It picks the cheaper of two ways to read:

* one request per probe: the object's unique-key address (``/contact/<email>``,
  ``/template/apikey|Promo``) or a listing narrowed by the key columns' equality filters
  (``/listrecipient?Contact=1&ContactsList=7``);
* one scan of the table (its ``countOnly`` total decides), narrowed by the filters whose value
  every probe shares (``/listrecipient?ContactsList=7``), when that takes fewer requests.

Rows are matched here, whatever the API's filters did: values are compared as text, without
regard to case (Mailjet's emails and list names are unique regardless of case).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mjquery.api.client import ApiClient
from mjquery.api.errors import ApiNotFoundError
from mjquery.schema.model import Filter, FilterOp, ObjectSchema, Operation
from mjquery.writes.paths import item_path

Row = Mapping[str, Any]

#: Below this many probes, one request each (no count request to compare with a scan).
_FEW = 3


def normalize(value: Any) -> str:
    """A value as the API compares keys: text, trimmed, without case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def param_text(value: Any) -> str:
    """A value spelled as a query parameter or a path key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def natural_key(schema: ObjectSchema) -> tuple[str, ...]:
    """The columns of the object's natural key (empty when it has none)."""
    rule = schema.write_rule(Operation.INSERT)
    return rule.natural_key if rule is not None else ()


@dataclass(frozen=True, eq=False)
class Probe:
    """The objects whose ``columns`` hold ``values`` (as the API takes them).

    Two probes are equal when they look for the same key, whatever the case of its values.
    """

    columns: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(normalize(v) for v in self.values)

    def _identity(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(c.lower() for c in self.columns), self.key

    def __hash__(self) -> int:
        return hash(self._identity())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Probe):
            return NotImplemented
        return self._identity() == other._identity()

    def matches(self, row: Row) -> bool:
        lowered = {str(k).lower(): v for k, v in row.items()}
        return all(
            normalize(lowered.get(column.lower())) == wanted
            for column, wanted in zip(self.columns, self.key, strict=True)
        )

    def label(self) -> str:
        """``Email ann@example.com``; ``ContactID 1, ListID 7``."""
        return ", ".join(
            f"{c} {param_text(v)}" for c, v in zip(self.columns, self.values, strict=True)
        )

    def check_sql(self, table: str) -> str:
        """A SELECT a user can run to see the objects this probe finds."""
        conditions = " AND ".join(
            f'"{c}" = {_sql_literal(v)}' for c, v in zip(self.columns, self.values, strict=True)
        )
        return f'SELECT * FROM "{table}" WHERE {conditions}'


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def probe_for(schema: ObjectSchema, body: Mapping[str, Any]) -> Probe | None:
    """The natural-key columns an INSERT row gives, as a probe (None when it gives none)."""
    lowered = {k.lower(): v for k, v in body.items()}
    given = [
        (column, lowered[column.lower()])
        for column in natural_key(schema)
        if lowered.get(column.lower()) not in (None, "")
    ]
    if not given:
        return None
    return Probe(tuple(c for c, _ in given), tuple(v for _, v in given))


def is_complete(schema: ObjectSchema, probe: Probe) -> bool:
    """Whether ``probe`` gives the whole natural key (then a match is a duplicate)."""
    return len(probe.columns) == len(natural_key(schema))


@dataclass(frozen=True)
class ProbeRequest:
    """How one probe is read: ``GET path`` (``listing``: every page, with ``params``)."""

    path: str
    params: Mapping[str, str]
    listing: bool


def _eq_filter(schema: ObjectSchema, column: str) -> Filter | None:
    filters = [f for f in schema.filters_on(column) if f.op is FilterOp.EQ]
    return filters[0] if filters else None


def request_for(schema: ObjectSchema, probe: Probe) -> ProbeRequest:
    """The unique-key address of the probe's object, else a listing narrowed by its filters."""
    by_column = {c.lower(): v for c, v in zip(probe.columns, probe.values, strict=True)}
    if schema.key and schema.item_path and set(by_column) == {schema.key.lower()}:
        # the object's ID (contacts of a ContactProperties update): its own path
        return ProbeRequest(
            item_path(schema, param_text(by_column[schema.key.lower()])), {}, listing=False
        )
    for unique in schema.unique_keys:
        if {c.lower() for c in unique} != set(by_column):
            continue
        parts = [param_text(by_column[c.lower()]) for c in unique]
        # A lone all-digit value would be read as an ID: address it by a filter instead.
        if len(parts) == 1 and parts[0].isdigit():
            break
        return ProbeRequest(item_path(schema, "|".join(parts)), {}, listing=False)
    params: dict[str, str] = {}
    for column, value in zip(probe.columns, probe.values, strict=True):
        flt = _eq_filter(schema, column)
        if flt is not None:
            params[flt.param] = param_text(value)
    return ProbeRequest(schema.path, params, listing=True)


def shared_params(schema: ObjectSchema, probes: Sequence[Probe]) -> dict[str, str]:
    """Filters whose value every probe shares: they narrow a scan for all of them."""
    params: dict[str, str] = {}
    if not probes:
        return params
    first = probes[0]
    for column, value, key in zip(first.columns, first.values, first.key, strict=True):
        flt = _eq_filter(schema, column)
        if flt is None:
            continue
        if all(
            column.lower() in (c.lower() for c in p.columns)
            and p.key[[c.lower() for c in p.columns].index(column.lower())] == key
            for p in probes
        ):
            params[flt.param] = param_text(value)
    return params


Found = Mapping[Probe, tuple[Row, ...]]
"""The objects each probe found (an empty tuple: none)."""


def find_existing(
    client: ApiClient, schema: ObjectSchema, probes: Sequence[Probe], *, workers: int = 4
) -> Found:
    """The objects the server holds now for each probe (reads only; API errors propagate)."""
    distinct = list(dict.fromkeys(probes))
    if not distinct:
        return {}
    requests = {p: request_for(schema, p) for p in distinct}
    shared = shared_params(schema, distinct)
    use_scan = all(r.listing and not r.params for r in requests.values())
    if not use_scan and len(distinct) >= _FEW and schema.paged:
        total = client.count(schema.path, shared)
        use_scan = max(1, math.ceil(total / client.config.page_size)) < len(distinct)
    if use_scan:
        return _scan(client, schema, distinct, shared)
    with ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(distinct))), thread_name_prefix="mjquery-lookup"
    ) as pool:
        found = pool.map(lambda p: _read_one(client, requests[p], p), distinct)
        return dict(zip(distinct, found, strict=True))


def find_one(client: ApiClient, schema: ObjectSchema, probe: Probe) -> tuple[Row, ...]:
    """The objects the server holds now for one probe."""
    return _read_one(client, request_for(schema, probe), probe)


def _read_one(client: ApiClient, request: ProbeRequest, probe: Probe) -> tuple[Row, ...]:
    if not request.listing:
        try:
            page = client.get(request.path)
        except ApiNotFoundError:
            return ()
        return tuple(r for r in page.data if isinstance(r, dict) and probe.matches(r))
    rows: list[Row] = []
    for batch in client.scan(request.path, request.params):
        rows.extend(r for r in batch if isinstance(r, dict) and probe.matches(r))
    return tuple(rows)


def _scan(
    client: ApiClient, schema: ObjectSchema, probes: Sequence[Probe], params: Mapping[str, str]
) -> dict[Probe, tuple[Row, ...]]:
    groups: dict[tuple[str, ...], dict[tuple[str, ...], Probe]] = {}
    for probe in probes:
        groups.setdefault(tuple(c.lower() for c in probe.columns), {})[probe.key] = probe
    found: dict[Probe, list[Row]] = {p: [] for p in probes}
    for batch in client.scan(schema.path, params):
        for row in batch:
            if not isinstance(row, dict):
                continue
            lowered = {str(k).lower(): v for k, v in row.items()}
            for columns, by_key in groups.items():
                hit = by_key.get(tuple(normalize(lowered.get(c)) for c in columns))
                if hit is not None:
                    found[hit].append(row)
    return {p: tuple(rows) for p, rows in found.items()}


@dataclass(frozen=True)
class Existing:
    """What the server held for an INSERT's rows before anything was sent (by row index).

    ``probes``: the natural key each row gives. ``objects``: the object a row's *whole* key
    found — the row collides with it. ``baselines``: the IDs each probe found; a row that gives
    only part of its key (a Template without OwnerType) may not collide with them, and after a
    lost answer an object outside them is the row's.
    """

    probes: Mapping[int, Probe] = field(default_factory=dict)
    objects: Mapping[int, Row] = field(default_factory=dict)
    baselines: Mapping[int, frozenset[str]] = field(default_factory=dict)


def membership_holds(row: Row | None, action: str) -> bool:
    """Whether a contact's membership of a list (``None``: not a member) is what ``action``
    leaves: ``addnoforce`` a member, ``addforce`` a subscribed one, ``unsub`` an unsubscribed
    one, ``remove`` none."""
    action = action.lower()
    if action == "remove":
        return row is None
    if row is None:
        return False
    lowered = {str(k).lower(): v for k, v in row.items()}
    unsubscribed = normalize(lowered.get("isunsub", lowered.get("isunsubscribed"))) == "true"
    if action == "addforce":
        return not unsubscribed
    if action == "unsub":
        return unsubscribed
    return True
