"""Which objects can be synchronised, how, and by which key: read from the schema files only.

The rules are the hosted connectors' ones: an object is synchronised when it has a created or
an updated timestamp column (``created_column`` / ``updated_column`` in its schema file). With
an updated column, new and updated records flow; with a created column only, new records only
(updated ones are reported as not synchronised). Changes flow into Mailjet only as far as the
object's write rules allow (INSERT for new rows, UPDATE for changed ones, DELETE for deletes).

One rule needs no timestamp: :func:`compared_by_value`. A property table (ContactProperties,
``property_columns = true``) has one row per contact and neither timestamp, but a sync reads
every contact's row anyway and compares each column with the snapshot by value, which is all
it needs to tell what changed; so it is synchronised fully (updates both ways), keyed by its
contact's ID (or, with ``--key Email``, the contact's email read from Contact). Its own write rules still apply: no INSERT (a row for an unknown contact is
refused) and no DELETE.
"""

from __future__ import annotations

from mjquery.errors import NotSupportedError, ProgrammingError, closest
from mjquery.schema.model import ObjectSchema, Operation, SqlType
from mjquery.sync.model import SyncMode


def compared_by_value(schema: ObjectSchema) -> bool:
    """The object is synchronised without a timestamp: a property table (one row per contact,
    every row read and compared with the snapshot by value each run; see the module docstring)."""
    return schema.property_columns


def id_column(schema: ObjectSchema) -> str:
    """The column holding the object's Mailjet ID, which the snapshot pairs rows by: ``ID``, or
    the key of an object without one (ContactProperties: ContactID, the contact's ID)."""
    if schema.column("ID") is None and schema.key:
        return schema.key
    return "ID"


#: The pseudo-column of a property table a sync can link rows by (``--key Email``). A query
#: fills it only when it filters on it, so the sync reads it from Contact (a join on the
#: contact's ID): every row then has it.
CONTACT_EMAIL = "Email"


def linking_columns(schema: ObjectSchema, key: str) -> tuple[tuple[str, SqlType], ...]:
    """The columns a sync maps besides the object's own: a property table's Email when it is
    the key (``--key Email``); it is read, never written (Mailjet changes a contact's email
    only through Contact)."""
    pseudo = schema.pseudo_column(key) if compared_by_value(schema) else None
    if pseudo is None or pseudo.name != CONTACT_EMAIL:
        return ()
    return ((pseudo.name, pseudo.type),)


def sync_mode(schema: ObjectSchema) -> SyncMode:
    """FULL with an updated column or compared by value, NEW_ONLY with a created column only,
    else NONE."""
    if schema.updated_column or compared_by_value(schema):
        return SyncMode.FULL
    if schema.created_column:
        return SyncMode.NEW_ONLY
    return SyncMode.NONE


def default_key(schema: ObjectSchema) -> str | None:
    """The natural key of the object's INSERT rule (Contact: Email, List: Name) when it is one
    column, else its first one-column unique key; None when it has neither."""
    rule = schema.write_rule(Operation.INSERT)
    if rule is not None and len(rule.natural_key) == 1:
        return rule.natural_key[0]
    for unique in schema.unique_keys:
        if len(unique) == 1:
            return unique[0]
    if compared_by_value(schema):
        return id_column(schema)
    return None


def soft_deleted_column(schema: ObjectSchema) -> str | None:
    """The column a soft DELETE sets (List: IsDeleted); rows holding true count as deleted."""
    if schema.write_rule(Operation.DELETE) is None:
        return None
    column = schema.column("IsDeleted")
    return column.name if column is not None else None


def sync_text(schema: ObjectSchema) -> str:
    """One line for ``describe``: what ``mjquery sync`` does with the object."""
    mode = sync_mode(schema)
    if mode is SyncMode.NONE:
        return "no (neither a created nor an updated timestamp column)"
    if schema.updated_column:
        stamp = f"updated column {schema.updated_column}"
    elif compared_by_value(schema):
        stamp = "no timestamp: every row is read and compared by value"
    else:
        stamp = f"created column {schema.created_column} only"
    text = f"{mode.value} ({stamp})"
    ops = [op.value for op in (Operation.INSERT, Operation.UPDATE) if schema.write_rule(op)]
    if not ops:
        text += "; Mailjet allows no INSERT or UPDATE of it, so changes flow into the database only"
    elif mode is SyncMode.FULL and Operation.UPDATE.value not in ops:
        text += "; Mailjet allows no UPDATE of it, so updates flow into the database only"
    elif Operation.INSERT.value not in ops and schema.write_rule(Operation.DELETE) is None:
        text += "; Mailjet allows no INSERT or DELETE of it: only updates flow into Mailjet"
    key = default_key(schema)
    text += f"; linked by {key}" if key else "; no natural key: --key is required"
    return text


def check_syncable(schema: ObjectSchema) -> SyncMode:
    """The object's mode, or an error naming the rule."""
    mode = sync_mode(schema)
    if mode is SyncMode.NONE:
        where = f" ({schema.source_file})" if schema.source_file else ""
        raise NotSupportedError(
            f"{schema.name} cannot be synchronised: its schema file{where} declares neither a "
            "created nor an updated timestamp column (created_column / updated_column), so new "
            "and changed records cannot be told apart. `mjquery replicate` copies it one way."
        )
    return mode


def key_column(schema: ObjectSchema, key: str | None) -> str:
    """The Mailjet column that links rows (``--key``), checked against the schema."""
    if key is None:
        found = default_key(schema)
        if found is None:
            raise ProgrammingError(
                f"{schema.name} has no natural key to link rows by; name one with --key COLUMN "
                f"(one of {', '.join(schema.column_names)})"
            )
        return found
    if compared_by_value(schema):
        email = schema.pseudo_column(CONTACT_EMAIL)
        if email is not None and key.lower() == email.name.lower():
            return email.name  # filled from Contact by the sync (see linking_columns)
        if key.lower() != id_column(schema).lower():
            raise ProgrammingError(
                f"--key {key}: {schema.name} links rows by {id_column(schema)} (default) or "
                f"by {CONTACT_EMAIL}"
            )
    column = schema.column(key)
    if column is None:
        suggestion = closest(key, schema.column_names)
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        raise ProgrammingError(f"--key {key}: {schema.name} has no such column.{hint}")
    return column.name
