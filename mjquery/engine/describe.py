"""``SHOW TABLES`` and ``DESCRIBE <table>`` as result sets, built from the schemas.

The same rows back ``Connection.tables()`` / ``Connection.describe()``, so the shell, the CLI and
DB-API users see one description of every table: its columns and types, which predicates the API
can filter on, which columns it can sort by, and which writes are allowed.
"""

from __future__ import annotations

from typing import Any

from mjquery.schema.model import FilterOp, ObjectSchema, Operation

SHOW_COLUMNS = ("name", "kind", "api_path", "operations", "description")
DESCRIBE_COLUMNS = ("column_name", "type", "kind", "filter", "sort", "writable", "description")

_OP_WORDS = {
    FilterOp.EQ: "=",
    FilterOp.IN: "IN",
    FilterOp.EQ_CI: "ILIKE 'x'",
    FilterOp.PREFIX: "LIKE 'x%'",
    FilterOp.PREFIX_CI: "ILIKE 'x%'",
    FilterOp.SUFFIX: "LIKE '%x'",
    FilterOp.SUFFIX_CI: "ILIKE '%x'",
    FilterOp.CONTAINS: "LIKE '%x%'",
    FilterOp.CONTAINS_CI: "ILIKE '%x%'",
    FilterOp.GT: ">",
    FilterOp.GE: ">=",
    FilterOp.LT: "<",
    FilterOp.LE: "<=",
}


def operations(schema: ObjectSchema) -> str:
    """The statements a table allows, in words: "SELECT, INSERT, UPDATE"."""
    return ", ".join(["SELECT", *(op.value for op in schema.operations)])


def show_tables_rows(catalog: Any, local: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [
        (o.name, "mailjet", o.path, operations(o), o.description) for o in catalog.objects
    ]
    for name, query in sorted(getattr(local, "views", {}).items(), key=lambda v: v[0].lower()):
        rows.append((name, "view", None, "SELECT", f"view over Mailjet tables: {query}"))
    for name in sorted(local.names, key=str.lower):
        rows.append(
            (
                name,
                "local",
                None,
                "SELECT, INSERT, UPDATE, DELETE, DROP",
                "table in the local DuckDB database",
            )
        )
    return rows


def _filter_words(schema: ObjectSchema, column: str) -> str:
    words = []
    for f in schema.filters_on(column):
        word = f"{_OP_WORDS[f.op]} ({f.param}{'' if f.exact else ', re-checked'})"
        if word not in words:
            words.append(word)
    key = schema.key
    if key and key.lower() == column.lower() and schema.item_path:
        words.insert(0, "= (by id)")
    if schema.parent and schema.parent.column.lower() == column.lower():
        words.insert(0, f"= or IN (required: {schema.parent.table} id in the path)")
    return "; ".join(words)


def _sort_words(schema: ObjectSchema, column: str) -> str:
    key = schema.sort_key(column)
    if key is None:
        return ""
    return "ASC, DESC" if key.desc_allowed else "ASC only"


def _writable(schema: ObjectSchema, column: str) -> str:
    ops = [
        rule.operation.value
        for rule in schema.writes
        if rule.operation is not Operation.DELETE
        and column.lower() in {c.lower() for c in rule.columns}
    ]
    return ", ".join(ops)


def describe_rows(schema: ObjectSchema) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for column in schema.columns:
        kind = (
            "parent id"
            if schema.parent and schema.parent.column.lower() == column.name.lower()
            else "column"
        )
        if column.write_only:
            kind = "write-only"
        if column.property:
            kind = "property"  # a contact property of the account (ContactMetadata)
        rows.append(
            (
                column.name,
                column.type.value,
                kind,
                _filter_words(schema, column.name),
                _sort_words(schema, column.name),
                _writable(schema, column.name),
                column.description,
            )
        )
        seen.add(column.name.lower())
    for pseudo in schema.pseudo_columns:
        if pseudo.name.lower() in seen:
            continue
        kind = "filter only, required" if pseudo.required else "filter only"
        description = pseudo.description
        if pseudo.allowed_values:
            description = (
                description + " " if description else ""
            ) + f"Allowed: {', '.join(pseudo.allowed_values)}."
        rows.append(
            (
                pseudo.name,
                pseudo.type.value,
                kind,
                _filter_words(schema, pseudo.name),
                "",
                "",
                description,
            )
        )
    return rows
