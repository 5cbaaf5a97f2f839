"""Contact properties: their definitions (``contactmetadata``) and values (``contactdata``).

One ``contactdata`` row per contact, whose ``ID`` is the contact's ID, holds
``Data: [{"Name", "Value"}]``. What production does, and the sandbox with it:

- Values are strings in every answer, whatever their type (recorded: the gem cassette
  ``contactdata?Limit=1`` answers ``"Value": "N"``; a property stored as a number comes back as
  its text). A value sent as a JSON number or boolean is stored as its text.
- ``PUT /contactdata/{contact}`` changes only the properties it sends: the others keep their
  values (api-behaviour section 7, "updates only the given properties"). A ``null`` value
  unassigns the property (the bulk guide).
- A property must be defined in ``contactmetadata`` first; an undefined name is refused with
  ``"Property not defined"``, a value that does not fit the property's ``Datatype`` with
  ``"Property type does not match definition"`` (the reference's ``Object properties invalid``
  answer, api-behaviour section 4). Types: ``str`` any text (numbers and booleans as their
  text), ``int`` an integer (JSON or digits), ``float`` a number, ``bool`` ``true``/``false``,
  ``datetime`` RFC 3339 or Unix seconds (stored as RFC 3339 UTC; api-behaviour section 7).
- ``POST /contactdata`` for a contact that already has its row does not add a second one: the
  properties sent are merged into it.

The same checks and merge serve ``managecontact``, ``managemanycontacts`` and the CSV import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mjquery.sandbox.api.store import Row, Store
from mjquery.sandbox.api.wire import ApiError

NOT_DEFINED = "Property not defined"
TYPE_MISMATCH = "Property type does not match definition"
_INTEGER = re.compile(r"[-+]?\d+")


def definitions(store: Store) -> dict[str, Row]:
    """The account's property definitions by lower-case name."""
    return {str(row.get("Name", "")).lower(): row for row in store.table("contactmetadata").rows}


def stored_value(datatype: str, value: Any) -> str | None:
    """The text production stores for ``value`` in a property of ``datatype``; None when it
    does not fit the type."""
    if isinstance(value, dict | list):
        return None
    if datatype == "int":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return str(int(value.strip()))
        return None
    if datatype == "float":
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, str):
            try:
                float(value.strip())
            except ValueError:
                return None
            return value.strip()
        return None
    if datatype == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        return None
    if datatype == "datetime":
        return _datetime_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _datetime_text(value: Any) -> str | None:
    moment: datetime
    if isinstance(value, int) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value.strip().isdigit():
        moment = datetime.fromtimestamp(int(value.strip()), UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    else:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def problems(store: Store, values: Mapping[str, Any]) -> list[dict[str, str]]:
    """``[{name: reason}]`` for each property of ``values`` the account would refuse."""
    defined = definitions(store)
    found: list[dict[str, str]] = []
    for name, value in values.items():
        definition = defined.get(str(name).lower())
        if definition is None:
            found.append({name: NOT_DEFINED})
        elif (
            value is not None
            and stored_value(str(definition.get("Datatype", "str")), value) is None
        ):
            found.append({name: TYPE_MISMATCH})
    return found


def check(store: Store, values: Mapping[str, Any]) -> None:
    """Refuse ``values`` as production does when one of them cannot be stored."""
    found = problems(store, values)
    if found:
        raise ApiError(400, "Object properties invalid", {"Properties": found})


def data_row(store: Store, contact_id: int) -> Row | None:
    """The contact's ``contactdata`` row, if it has one."""
    return store.table("contactdata").by_id().get(contact_id)


def merge(store: Store, contact_id: int, values: Mapping[str, Any]) -> Row:
    """Set the properties of ``values`` on the contact (checked first), keeping the others; a
    ``None`` value unassigns the property. Creates the contact's row when it has none."""
    check(store, values)
    table = store.table("contactdata")
    row = data_row(store, contact_id)
    if row is None:
        row = {"ContactID": contact_id, "Data": [], "ID": contact_id}
        if "MethodCollection" in table.spec.field_names:
            row["MethodCollection"] = ""
        table.insert(row)
    defined = definitions(store)
    data = list(row.get("Data") or [])
    for name, value in values.items():
        definition = defined[str(name).lower()]
        canonical = str(definition.get("Name", name))
        data = [item for item in data if str(item.get("Name", "")).lower() != canonical.lower()]
        if value is not None:
            text = stored_value(str(definition.get("Datatype", "str")), value)
            data.append({"Name": canonical, "Value": text})
    row["Data"] = data
    table.touch()
    return row


def values_of(body_data: Any) -> dict[str, Any]:
    """A ``Data`` array of ``{"Name", "Value"}`` (any case) as name -> value; 400 otherwise."""
    if not isinstance(body_data, list):
        raise ApiError(400, 'Mandatory property "Data" is missing')
    values: dict[str, Any] = {}
    for item in body_data:
        lowered = {str(k).lower(): v for k, v in item.items()} if isinstance(item, dict) else {}
        name = lowered.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, 'Invalid json input: a "Data" item needs a "Name"')
        values[name] = lowered.get("value")
    return values
