"""Did an ambiguous write take effect? Read the object back and compare.

The API client calls a ``verify`` when a write got no usable answer (a timeout, a dropped
connection, a 5xx): it may or may not have been applied. :func:`verifier` turns a
:class:`~mjquery.writes.plan.ReadBack` into that function. It answers "applied" only on
evidence the write itself left: the fields a PUT set, a 404 after a DELETE, and for an INSERT an
object with the row's natural key that was *not* there before the write was sent — an object
that existed already proves nothing (it would turn a refused duplicate into a false success).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mjquery.api.client import ApiClient, Page
from mjquery.api.errors import ApiNotFoundError
from mjquery.writes.lookup import membership_holds, normalize
from mjquery.writes.plan import ReadBack

Verify = Callable[[], "bool | Page"]


def verifier(client: ApiClient, read_back: ReadBack) -> Verify:
    """A ``verify`` for the API client: read the object back; did the write take effect?"""

    def verify() -> bool | Page:
        try:
            rows = _read(client, read_back)
        except ApiNotFoundError:
            return read_back.expect is ReadBack.Expect.GONE
        expect = read_back.expect
        if expect is ReadBack.Expect.EXISTS:
            return _page(rows[:1]) if rows else False
        if expect is ReadBack.Expect.MATCHES:
            return _page(rows[:1]) if rows and matches(rows[0], read_back.fields) else False
        if expect is ReadBack.Expect.LISTED:
            lists = {str(r.get("ListID")): r for r in rows}
            return all(
                membership_holds(lists.get(str(list_id)), str(action))
                for list_id, action in read_back.fields.items()
            )
        if expect is ReadBack.Expect.NEW:
            new = [
                r
                for r in rows
                if _same_key(r, read_back.fields) and str(r.get("ID")) not in read_back.baseline
            ]
            return _page(new[:1]) if new else False
        return False  # GONE, and it is still there

    return verify


def _read(client: ApiClient, read_back: ReadBack) -> list[dict[str, Any]]:
    if read_back.listing:
        rows: list[dict[str, Any]] = []
        for batch in client.scan(read_back.path, dict(read_back.params)):
            rows.extend(r for r in batch if isinstance(r, dict))
        return rows
    page = client.get(read_back.path, dict(read_back.params))
    return [r for r in page.data if isinstance(r, dict)]


def _page(rows: list[dict[str, Any]]) -> Page:
    return Page(count=len(rows), total=len(rows), data=rows)


def matches(row: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Whether ``row`` carries ``fields`` (contact data compared property by property)."""
    lowered = {k.lower(): v for k, v in row.items()}
    for name, wanted in fields.items():
        have = lowered.get(name.lower())
        if name.lower() == "data" and isinstance(wanted, list):
            values = {
                str(d.get("Name")).lower(): d.get("Value")
                for d in have or []
                if isinstance(d, dict)
            }
            for item in wanted:
                if loose(values.get(str(item["Name"]).lower())) != loose(item["Value"]):
                    return False
            continue
        if loose(have) != loose(wanted):
            return False
    return True


def _same_key(row: Mapping[str, Any], key: Mapping[str, Any]) -> bool:
    # Natural keys are unique regardless of case (emails, list names).
    lowered = {k.lower(): v for k, v in row.items()}
    return all(normalize(lowered.get(name.lower())) == normalize(v) for name, v in key.items())


def loose(value: Any) -> str:
    """A value as the API may echo it: ``"30"`` and ``30``, ``"true"`` and ``true`` are equal
    (case still counts: a PUT that changes only the case of a name must be seen)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
