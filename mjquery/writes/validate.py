"""Check a write plan against the object's schema before any request is sent.

Everything that can be known without the API is refused here, with the rule named:

* a read-only object, an operation the object does not allow (Contact DELETE points to the
  GDPR deletion path), a read-only column, a column the operation may not set (Campaign UPDATE
  names ``IsDeleted`` and ``IsStarred``), a missing required column;
* a value that does not fit its column (:mod:`mjquery.writes.values`), naming the column;
* UPDATE/DELETE without WHERE, unless allowed;
* ContactData properties not defined in ContactMetadata (the caller supplies the defined names,
  read with one GET — a read, never a write).

Rows that break a per-row condition (CampaignDraft UPDATE needs ``Used = false``) are not an
error for the whole statement: they are returned as refused rows, named, and the others go on.

:func:`check_statement` runs the same checks on a statement before its rows are known — before
the SELECT that finds the rows of an UPDATE or DELETE, so a refused statement costs no request at
all, whatever rows would match. It sees the operation, the columns, the literal values given and
whether there is a WHERE; only the checks that need rows or the account (the row condition,
ContactData property names) wait for :func:`validate`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mjquery.errors import DataError, NotSupportedError, ProgrammingError, closest
from mjquery.schema.model import Column, ObjectSchema, Operation, SqlType, WriteRule
from mjquery.schema.properties import datatype_of
from mjquery.writes.plan import RowFailure, WriteOptions, WritePlan
from mjquery.writes.values import to_api_value

#: The documented subscription actions (api-behaviour.md section 7).
LIST_ACTIONS = ("addforce", "addnoforce", "remove", "unsub")

#: The only documented way to delete a contact (api-behaviour.md section 7).
GDPR_DELETE_PATH = "DELETE /v4/contacts/{contact_ID}"


@dataclass(frozen=True)
class CheckedRow:
    """One row that passed validation, with API-ready values.

    ``body``: settable columns as JSON values. ``address``: the values that say which object is
    written (ID / unique key / parent id), from the row's current values or, for INSERT into a
    sub-resource, from the given values. ``properties``: ContactData property values.
    """

    index: int
    body: Mapping[str, Any]
    address: Mapping[str, Any]
    label: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    list_id: int | None = None


@dataclass(frozen=True)
class ValidatedPlan:
    schema: ObjectSchema
    plan: WritePlan
    rule: WriteRule
    rows: tuple[CheckedRow, ...]
    refused: tuple[RowFailure, ...] = ()


def is_contact_data(schema: ObjectSchema) -> bool:
    return schema.resource.lower() == "contactdata"


def is_contact(schema: ObjectSchema) -> bool:
    return schema.resource.lower() == "contact"


def is_property_table(schema: ObjectSchema) -> bool:
    """ContactProperties: contact properties as typed columns (``PUT /contactdata``)."""
    return schema.property_columns


def needs_properties(plan: WritePlan, schema: ObjectSchema) -> bool:
    """Whether validating ``plan`` needs the names defined in ContactMetadata (a table of
    property columns has them as columns already)."""
    return (
        is_contact_data(schema)
        and not is_property_table(schema)
        and plan.operation is not Operation.DELETE
    )


def check_statement(
    schema: ObjectSchema,
    operation: Operation,
    columns: Sequence[str],
    *,
    literals: Sequence[Mapping[str, Any]] = (),
    unfiltered: bool = False,
    opt_in: bool = False,
    options: WriteOptions = WriteOptions(),
) -> WriteRule:
    """Refuse a statement that no row could make valid; sends nothing and reads nothing.

    ``columns``: INSERT's target columns or UPDATE's SET columns. ``literals``: the values known
    from the statement text (INSERT's literal rows; UPDATE's ``SET col = <literal>``), column ->
    value. ContactData property columns are left to :func:`validate` (they need one read of
    ContactMetadata).
    """
    rule = _rule_for(schema, operation)
    _check_unfiltered(schema, operation, unfiltered, opt_in, options)
    settable = _check_columns(operation, schema, rule, list(columns), None, defer_properties=True)
    if operation is Operation.INSERT:
        _check_required(schema, rule, columns, list_given=False)
    for index, row in enumerate(literals):
        for name, value in row.items():
            target = settable.get(name.lower())
            if not isinstance(target, Column):
                continue
            given = "the SET clause" if operation is Operation.UPDATE else f"row {index + 1}"
            _api_value(schema, rule, operation, target, value, given)
    return rule


def validate(
    plan: WritePlan,
    schema: ObjectSchema,
    *,
    options: WriteOptions = WriteOptions(),
    defined_properties: Collection[str] | None = None,
) -> ValidatedPlan:
    """The checked plan, or an error that names the rule. Sends nothing."""
    rule = _rule_for(schema, plan.operation)
    _check_unfiltered(schema, plan.operation, plan.unfiltered, plan.unfiltered_opt_in, options)
    columns = _columns_used(plan)
    settable = _check_columns(plan.operation, schema, rule, columns, defined_properties)
    if plan.operation is Operation.INSERT:
        _check_required(schema, rule, columns, list_given=plan.list_id is not None)
    rows: list[CheckedRow] = []
    refused: list[RowFailure] = []
    for index, row in enumerate(plan.rows):
        address = _address(plan, schema, rule, row.current, row.values, index)
        label = _label(schema, address, row.values, where(plan, index))
        if rule.condition and plan.operation is not Operation.INSERT:
            met = row.condition_met
            if met is None:
                met = condition_holds(rule.condition, row.current)
            if not met:
                refused.append(
                    RowFailure(index, label, _condition_message(schema, rule, plan.operation))
                )
                continue
        body: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        list_id = plan.list_id
        for name, value in row.values.items():
            target = settable.get(name.lower())
            if target is None:
                properties[_property_name(name, defined_properties)] = value
                continue
            if isinstance(target, str):  # a pseudo-column or address column, not sent in the body
                if target == "list":
                    list_id = _list_id(schema, value)
                if target == "properties" and value is not None:
                    if not isinstance(value, Mapping):
                        raise DataError(
                            f"{schema.name}.Properties takes property names and values "
                            f"({where(plan, index)} gives {type(value).__name__})"
                        )
                    properties.update({str(k): v for k, v in value.items() if v is not None})
                continue
            if target.property:  # a property column: sent in Data, checked against its type
                properties[target.name] = _api_value(
                    schema, rule, plan.operation, target, value, where(plan, index)
                )
                continue
            if is_contact_data(schema) and target.name.lower() == "data":
                properties.update(_data_properties(schema, value, defined_properties))
                continue
            body[target.name] = _api_value(
                schema, rule, plan.operation, target, value, where(plan, index)
            )
        rows.append(CheckedRow(index, body, address, label, properties, list_id))
    return ValidatedPlan(schema, plan, rule, tuple(rows), tuple(refused))


# -- rules ---------------------------------------------------------------------------------------


def where(plan: WritePlan, index: int) -> str:
    """How messages name a row: its origin ("line 8") or its position ("row 2")."""
    return plan.rows[index].origin or f"row {index + 1}"


#: What any email address looks like (the sandbox refuses the same; Mailjet's own rule is not
#: published, and this one refuses only what cannot be an address): checked here so that a
#: malformed email gets one plain reason, whichever endpoint would have refused it.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _api_value(
    schema: ObjectSchema,
    rule: WriteRule,
    operation: Operation,
    target: Column,
    value: Any,
    row: str,
) -> Any:
    """``value`` as the API takes it for ``target``; DataError naming the column otherwise."""
    if target.property:
        return property_value(schema, target, value, row)
    api_value = to_api_value(schema.name, target, value, allow_now=_allows_now(schema))
    if operation is Operation.INSERT and api_value is None and target.name in rule.required:
        raise DataError(f"{schema.name}.{target.name} is required: {row} has NULL")
    if (
        target.name.lower() == "action"
        and api_value is not None
        and str(api_value).lower() not in LIST_ACTIONS
    ):
        raise DataError(
            f"{schema.name}.Action must be one of {', '.join(LIST_ACTIONS)}: {row} has '{api_value}'"
        )
    if (
        is_contact(schema)
        and target.name == "Email"
        and api_value is not None
        and not _EMAIL.match(str(api_value))
    ):
        shown = str(api_value) if len(str(api_value)) <= 60 else str(api_value)[:57] + "..."
        raise DataError(f"Contact.Email is not a valid email address: '{shown}' ({row})")
    return api_value


def property_value(schema: ObjectSchema, target: Column, value: Any, row: str) -> Any:
    """A contact property's value, checked against the property's Datatype (the API would
    refuse it with "Property type does not match definition"); NULL unsets the property."""
    try:
        return to_api_value(schema.name, target, value)
    except DataError:
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise DataError(
            f"{schema.name}.{target.name}: the contact property {target.name!r} is of type "
            f"{datatype_of(target)} ({target.type.value}); {row} gives {shown}, which does not "
            "fit."
        ) from None


def _check_unfiltered(
    schema: ObjectSchema,
    operation: Operation,
    unfiltered: bool,
    opt_in: bool,
    options: WriteOptions,
) -> None:
    if (
        unfiltered
        and operation in (Operation.UPDATE, Operation.DELETE)
        and not (options.allow_unfiltered or opt_in)
    ):
        raise NotSupportedError(
            f"{operation.value} on {schema.name} without WHERE would change every row, so it "
            f"is refused. Add a WHERE clause, or opt in: end the statement with "
            f"'-- mjquery: allow-all-rows', or connect with allow_unfiltered_writes=True."
        )


def _check_required(
    schema: ObjectSchema, rule: WriteRule, columns: Sequence[str], *, list_given: bool
) -> None:
    given = {k.lower() for k in columns}
    missing = [
        c
        for c in rule.required
        if c.lower() not in given
        and not (is_contact(schema) and list_given and c.lower() == "contactslist")
    ]
    if missing:
        raise ProgrammingError(
            f"INSERT INTO {schema.name} needs {_and(missing)} "
            f"({'it is' if len(missing) == 1 else 'they are'} required by the Mailjet API)."
        )


def _rule_for(schema: ObjectSchema, operation: Operation) -> WriteRule:
    where = f" (rules in {schema.source_file})" if schema.source_file else ""
    if schema.read_only:
        raise NotSupportedError(
            f"{schema.name} is read-only: the Mailjet API allows no INSERT, UPDATE or DELETE on it{where}."
        )
    rule = schema.write_rule(operation)
    if rule is not None:
        return rule
    allowed = _and([op.value for op in schema.operations])
    if is_contact(schema) and operation is Operation.DELETE:
        raise NotSupportedError(
            "DELETE FROM Contact is refused: the Mailjet v3 API has no contact deletion. The only "
            f"documented way is GDPR deletion, {GDPR_DELETE_PATH}, which anonymises the contact at "
            "once and purges it after 30 days. mjquery offers it as a separate, explicit operation: "
            "connection.gdpr_delete_contacts([contact_id, ...]) (see docs/writes.md). To take "
            "contacts off a list instead, UPDATE ListRecipient SET IsUnsubscribed = true or "
            "DELETE FROM ListRecipient."
        )
    first = schema.write_rule(schema.operations[0]) if schema.operations else None
    note = f" {first.note}" if first is not None and first.note else ""
    raise NotSupportedError(
        f"{schema.name} does not allow {operation.value}: it allows {allowed} only{where}.{note}"
    )


def _columns_used(plan: WritePlan) -> list[str]:
    seen: dict[str, str] = {}
    for row in plan.rows:
        for name in row.values:
            seen.setdefault(name.lower(), name)
    return list(seen.values())


def _check_columns(
    operation: Operation,
    schema: ObjectSchema,
    rule: WriteRule,
    columns: list[str],
    defined_properties: Collection[str] | None,
    *,
    defer_properties: bool = False,
) -> dict[str, Column | str | None]:
    """Map each used column (lower-case) to its Column, 'address'/'list', or None (a property).

    ``defer_properties``: ContactData names that are not columns are taken as properties without
    checking them against ContactMetadata (the statement-level check has not read it).
    """
    allowed = {c.lower() for c in rule.columns}
    op = operation.value
    address_columns = {c.lower() for c in path_columns(schema, rule)}
    result: dict[str, Column | str | None] = {}
    for name in columns:
        lowered = name.lower()
        column = schema.column(name)
        if lowered in address_columns and operation is Operation.INSERT:
            result[lowered] = "address"  # it goes into the path, not the body
            continue
        if is_contact(schema) and lowered == "contactslist" and operation is Operation.INSERT:
            result[lowered] = "list"
            continue
        if is_contact(schema) and lowered == "properties" and operation is Operation.INSERT:
            result[lowered] = "properties"  # contact property values (an import's --map)
            continue
        if column is None:
            if (
                is_contact_data(schema)
                and not is_property_table(schema)
                and schema.pseudo_column(name) is None
            ):
                if not defer_properties:
                    _check_property(schema, name, defined_properties)
                result[lowered] = None
                continue
            if schema.pseudo_column(name) is not None:
                raise NotSupportedError(
                    f"{schema.name}.{schema.pseudo_column(name).name} is a filter-only column: "  # type: ignore[union-attr]
                    f"{op} cannot set it. {op} of {schema.name} may set {_and(rule.columns)}."
                )
            suggestion = closest(name, schema.all_column_names)
            hint = f" Did you mean {suggestion!r}?" if suggestion else ""
            may_set = (
                f" {op} of {schema.name} may set {_and(rule.columns)}." if rule.columns else ""
            )
            raise ProgrammingError(f"{schema.name} has no column {name!r}.{hint}{may_set}")
        if lowered in allowed:
            result[lowered] = column
            continue
        if column.read_only:
            raise NotSupportedError(
                f"{schema.name}.{column.name} is read-only: the Mailjet API sets it. "
                f"{op} of {schema.name} may set {_and(rule.columns) or 'no column'}."
            )
        raise NotSupportedError(
            f"{op} of {schema.name}.{column.name} is not allowed: {schema.name} allows {op} of "
            f"{_and(rule.columns) or 'no column'} only." + (f" {rule.note}" if rule.note else "")
        )
    return result


def path_columns(schema: ObjectSchema, rule: WriteRule) -> tuple[str, ...]:
    """The columns whose values fill the placeholders of the write's path."""
    columns = []
    for placeholder in re.findall(r"{(\w+)}", rule.path or schema.path):
        if schema.parent is not None and schema.parent.placeholder == placeholder:
            columns.append(schema.parent.column)
        else:
            columns.append(placeholder)
    return tuple(columns)


def _check_property(schema: ObjectSchema, name: str, defined: Collection[str] | None) -> None:
    if defined is None:
        raise ProgrammingError(f"{schema.name} has no column {name!r}.")
    if name.lower() not in {d.lower() for d in defined}:
        suggestion = closest(name, list(defined))
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        raise ProgrammingError(
            f"Contact property {name!r} is not defined in ContactMetadata.{hint} Define it first: "
            f"INSERT INTO ContactMetadata (Name, Datatype) VALUES ('{name}', 'str')."
        )


def _property_name(name: str, defined: Collection[str] | None) -> str:
    """The property as ContactMetadata spells it."""
    for candidate in defined or ():
        if candidate.lower() == name.lower():
            return candidate
    return name


def _data_properties(
    schema: ObjectSchema, value: Any, defined: Collection[str] | None
) -> dict[str, Any]:
    """``SET Data = '[{"Name": "age", "Value": 30}]'`` or ``'{"age": 30}'`` as name → value."""
    data_column = schema.column("Data") or Column("Data", SqlType.JSON, read_only=False)
    parsed = to_api_value(
        schema.name, Column(data_column.name, SqlType.JSON, read_only=False), value
    )
    pairs: dict[str, Any] = {}
    if isinstance(parsed, dict):
        pairs = dict(parsed)
    elif isinstance(parsed, list):
        for item in parsed:
            if not isinstance(item, dict):
                raise DataError(f'{schema.name}.Data must be a list of {{"Name", "Value"}} objects')
            lowered = {k.lower(): v for k, v in item.items()}
            if "name" not in lowered:
                raise DataError(f'{schema.name}.Data items need a "Name"')
            pairs[str(lowered["name"])] = lowered.get("value")
    else:
        raise DataError(f"{schema.name}.Data must be a JSON array or object")
    for name in pairs:
        _check_property(schema, name, defined)
    return {_property_name(n, defined): v for n, v in pairs.items()}


def _address(
    plan: WritePlan,
    schema: ObjectSchema,
    rule: WriteRule,
    current: Mapping[str, Any],
    values: Mapping[str, Any],
    index: int,
) -> dict[str, Any]:
    """Which object a row writes: ID or unique key for UPDATE/DELETE; the parent id for sub-resources."""
    source = {
        k.lower(): v
        for k, v in (current if plan.operation is not Operation.INSERT else values).items()
    }
    address: dict[str, Any] = {}
    placeholders = re.findall(r"{(\w+)}", rule.path or schema.path)
    for placeholder, column in zip(placeholders, path_columns(schema, rule), strict=True):
        value = source.get(column.lower())
        if value is None:
            value = {k.lower(): v for k, v in plan.rows[index].current.items()}.get(column.lower())
        if value is None:
            raise ProgrammingError(
                f"{plan.operation.value} of {schema.name} needs {column} in every row "
                f"(it addresses {(rule.path or schema.path).replace('{' + placeholder + '}', '<' + column + '>')})."
            )
        typed = schema.column(column)
        if typed is not None and typed.type in (SqlType.BIGINT, SqlType.INTEGER):
            value = to_api_value(schema.name, typed, value)
        address[placeholder] = value
    if plan.operation is Operation.INSERT or placeholders:
        return address
    if schema.key and source.get(schema.key.lower()) not in (None, ""):
        address["id"] = source[schema.key.lower()]
        return address
    for unique in schema.unique_keys:
        if all(source.get(c.lower()) not in (None, "") for c in unique):
            address["id"] = "|".join(str(source[c.lower()]) for c in unique)
            return address
    raise ProgrammingError(
        f"{plan.operation.value} of {schema.name}: {where(plan, index)} has no {schema.key or 'key'} to address it."
    )


def _label(
    schema: ObjectSchema, address: Mapping[str, Any], values: Mapping[str, Any], row: str
) -> str:
    if "id" in address:
        return f"{schema.key or 'key'} {address['id']}"
    lowered = {k.lower(): v for k, v in values.items()}
    for unique in schema.unique_keys:
        if len(unique) == 1 and lowered.get(unique[0].lower()) not in (None, ""):
            return f"{unique[0]} {lowered[unique[0].lower()]}"
    parts = [f"{k} {v}" for k, v in address.items()]
    if lowered.get("listid") is not None and "ListID" not in address:
        parts.append(f"ListID {lowered['listid']}")
    return ", ".join(parts) if parts else row


def _list_id(schema: ObjectSchema, value: Any) -> int:
    return int(to_api_value(schema.name, Column("ContactsList", SqlType.BIGINT), value))


def _allows_now(schema: ObjectSchema) -> bool:
    # The schedule endpoint documents "NOW" as a Date (api-behaviour.md section 10).
    return schema.resource.lower().endswith("schedule")


_CONDITION = re.compile(r"^\s*(\w+)\s*=\s*(true|false|'[^']*'|-?\d+)\s*$", re.IGNORECASE)


def condition_holds(condition: str, current: Mapping[str, Any]) -> bool:
    """Evaluate a simple ``Column = literal`` row condition against the row's current values."""
    match = _CONDITION.match(condition)
    if match is None:
        raise NotSupportedError(
            f"Cannot check the write condition {condition!r} without the SQL engine"
        )
    column, literal = match.group(1), match.group(2)
    value = {k.lower(): v for k, v in current.items()}.get(column.lower())
    lowered = literal.lower()
    if lowered in ("true", "false"):
        if isinstance(value, str):
            value = value.lower() in ("true", "1", "t")
        return value is not None and bool(value) == (lowered == "true")
    if literal.startswith("'"):
        return value == literal[1:-1]
    return value is not None and str(value) == literal


def _condition_message(schema: ObjectSchema, rule: WriteRule, op: Operation) -> str:
    note = f" ({rule.note})" if rule.note else ""
    return f"refused: {schema.name} allows {op.value} only where {rule.condition}{note}"


def _and(items: Collection[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
