"""Tables as SQLAlchemy sees them: Mailjet objects from the schema files, local tables from DuckDB.

A Mailjet object's columns are its schema file's columns followed by its filter-only
pseudo-columns (``Contact.ContactsList``), the same list ``SELECT *`` returns; the description
of each becomes the column comment, so a BI tool shows which are which. Its key is the primary
key, its ``unique_keys`` are unique constraints, and a sub-resource's parent id is a foreign key
to the parent object. Local tables (the connection's own DuckDB database) are read from DuckDB's
``duckdb_columns()``, ``duckdb_tables()`` and ``duckdb_constraints()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.engine.interfaces import (
    ReflectedColumn,
    ReflectedComputed,
    ReflectedForeignKeyConstraint,
    ReflectedIdentity,
    ReflectedIndex,
    ReflectedPrimaryKeyConstraint,
    ReflectedUniqueConstraint,
)

from mjquery.schema.model import ObjectSchema, SqlType

#: The SQLAlchemy type of each schema-file type.
SCHEMA_TYPES: dict[SqlType, type[sqltypes.TypeEngine[Any]]] = {
    SqlType.BIGINT: sqltypes.BigInteger,
    SqlType.INTEGER: sqltypes.Integer,
    SqlType.DOUBLE: sqltypes.Double,
    SqlType.BOOLEAN: sqltypes.Boolean,
    SqlType.VARCHAR: sqltypes.String,
    SqlType.TIMESTAMP: sqltypes.DateTime,
    SqlType.JSON: sqltypes.JSON,
}

#: DuckDB type names (``information_schema.columns.data_type``) of local tables.
DUCKDB_TYPES: dict[str, type[sqltypes.TypeEngine[Any]]] = {
    "BIGINT": sqltypes.BigInteger,
    "HUGEINT": sqltypes.BigInteger,
    "UBIGINT": sqltypes.BigInteger,
    "UHUGEINT": sqltypes.BigInteger,
    "INTEGER": sqltypes.Integer,
    "UINTEGER": sqltypes.BigInteger,
    "SMALLINT": sqltypes.SmallInteger,
    "USMALLINT": sqltypes.Integer,
    "TINYINT": sqltypes.SmallInteger,
    "UTINYINT": sqltypes.SmallInteger,
    "DOUBLE": sqltypes.Double,
    "FLOAT": sqltypes.Float,
    "REAL": sqltypes.Float,
    "DECIMAL": sqltypes.Numeric,
    "NUMERIC": sqltypes.Numeric,
    "BOOLEAN": sqltypes.Boolean,
    "VARCHAR": sqltypes.String,
    "TEXT": sqltypes.Text,
    "JSON": sqltypes.JSON,
    "UUID": sqltypes.Uuid,
    "DATE": sqltypes.Date,
    "TIME": sqltypes.Time,
    "TIMESTAMP": sqltypes.DateTime,
    "TIMESTAMP_S": sqltypes.DateTime,
    "TIMESTAMP_MS": sqltypes.DateTime,
    "TIMESTAMP_NS": sqltypes.DateTime,
    "INTERVAL": sqltypes.Interval,
    "BLOB": sqltypes.LargeBinary,
}

_TYPE_NAME = re.compile(r"^([A-Z_ ]+?)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$")


def duckdb_type(name: str) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type of a DuckDB type name; NullType for nested and unknown types."""
    text = name.strip().upper()
    if text in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return sqltypes.DateTime(timezone=True)
    if text in ("TIME WITH TIME ZONE", "TIMETZ"):
        return sqltypes.Time(timezone=True)
    match = _TYPE_NAME.match(text)
    kind = DUCKDB_TYPES.get(match.group(1).strip()) if match else None
    if match is None or kind is None:
        return sqltypes.NullType()
    if kind is sqltypes.Numeric and match.group(2):
        return sqltypes.Numeric(int(match.group(2)), int(match.group(3) or 0))
    if kind is sqltypes.String and match.group(2):
        return sqltypes.String(int(match.group(2)))
    return kind()


def mailjet_columns(schema: ObjectSchema) -> list[ReflectedColumn]:
    """Columns of a Mailjet object, in ``SELECT *`` order (real columns, then pseudo-columns)."""
    columns: list[ReflectedColumn] = []
    seen: set[str] = set()
    for column in schema.columns:
        comment = column.description or None
        if column.write_only:
            comment = ((comment or "") + " (write-only: reads give NULL)").strip()
        columns.append(
            ReflectedColumn(
                name=column.name,
                type=SCHEMA_TYPES[column.type](),
                nullable=column.nullable,
                default=None,
                autoincrement=False,
                comment=comment,
            )
        )
        seen.add(column.name.lower())
    for pseudo in schema.pseudo_columns:
        if pseudo.name.lower() in seen:
            continue
        required = ", required" if pseudo.required else ""
        columns.append(
            ReflectedColumn(
                name=pseudo.name,
                type=SCHEMA_TYPES[pseudo.type](),
                nullable=True,
                default=None,
                autoincrement=False,
                comment=f"Filter only{required}: {pseudo.description}".rstrip(": "),
            )
        )
        seen.add(pseudo.name.lower())
    return columns


def mailjet_primary_key(schema: ObjectSchema) -> ReflectedPrimaryKeyConstraint:
    return ReflectedPrimaryKeyConstraint(
        constrained_columns=[schema.key] if schema.key else [], name=None
    )


def mailjet_unique_constraints(schema: ObjectSchema) -> list[ReflectedUniqueConstraint]:
    return [
        ReflectedUniqueConstraint(name=None, column_names=list(columns), duplicates_index=None)
        for columns in schema.unique_keys
    ]


def mailjet_foreign_keys(
    schema: ObjectSchema, table_names: set[str]
) -> list[ReflectedForeignKeyConstraint]:
    """A sub-resource's parent id refers to its parent object's key."""
    parent = schema.parent
    if parent is None or parent.table not in table_names:
        return []
    return [
        ReflectedForeignKeyConstraint(
            name=None,
            constrained_columns=[parent.column],
            referred_schema=None,
            referred_table=parent.table,
            referred_columns=[parent.key],
            options={},
        )
    ]


@dataclass(frozen=True)
class SequenceIdentity:
    """The settings of the sequence numbering an ``Identity()`` column (DuckDB has no IDENTITY:
    the dialect makes one sequence per such column and marks it)."""

    always: bool
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cycle: bool

    def reflected(self) -> ReflectedIdentity:
        return ReflectedIdentity(
            always=self.always,
            on_null=False,
            start=self.start,
            increment=self.increment,
            minvalue=self.minvalue,
            maxvalue=self.maxvalue,
            cycle=self.cycle,
            cache=None,
            order=False,
            nominvalue=False,
            nomaxvalue=False,
        )


@dataclass(frozen=True)
class LocalColumn:
    """One column of a local DuckDB table, as ``duckdb_columns()`` describes it."""

    name: str
    data_type: str
    nullable: bool
    default: str | None
    comment: str | None = None
    generated: str | None = None  # a generated column's expression (DuckDB's are VIRTUAL)
    identity: SequenceIdentity | None = None  # an Identity() column: its sequence's settings

    @property
    def sequence(self) -> str | None:
        """The sequence numbering the column (its default is ``nextval('<sequence>')``)."""
        found = re.fullmatch(r"nextval\('(.*)'\)", (self.default or "").strip(), re.IGNORECASE)
        if found is None:
            return None
        name = found.group(1).replace("''", "'")
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('""', '"')
        return name.rsplit(".", 1)[-1] if '"' not in name else name

    def reflected(self) -> ReflectedColumn:
        # a key numbered by a sequence (how the dialect creates autoincrementing keys)
        numbered = self.sequence is not None
        column = ReflectedColumn(
            name=self.name,
            type=duckdb_type(self.data_type),
            nullable=self.nullable,
            default=None if self.generated or self.identity else self.default,
            autoincrement=numbered,
            comment=self.comment or None,
        )
        if self.identity is not None:
            column["identity"] = self.identity.reflected()
        if self.generated:
            column["computed"] = ReflectedComputed(
                sqltext=_uncast(self.generated, self.data_type), persisted=False
            )
        return column


def _uncast(expression: str, data_type: str) -> str:
    """A generated column's expression as written: DuckDB keeps ``a + 1`` of an INTEGER column
    as ``CAST((a + 1) AS INTEGER)``."""
    found = re.fullmatch(r"CAST\((.*) AS (.+)\)", expression.strip(), re.DOTALL)
    if found is None or found.group(2).upper() != data_type.upper():
        return expression
    inner = found.group(1).strip()
    if inner.startswith("(") and inner.endswith(")") and _balanced(inner[1:-1]):
        inner = inner[1:-1]
    return inner


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _identifier(text: str) -> str | None:
    """The column an index expression names, or None when it is an expression: DuckDB lists
    ``a`` and ``"b c"`` (quotes doubled inside) for columns, ``(lower(a))`` for expressions."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", text) else None


def local_index(name: str, unique: bool, expressions: list[str]) -> ReflectedIndex:
    """One index of a local table, from ``duckdb_indexes()``."""
    columns = [_identifier(text) for text in expressions]
    index = ReflectedIndex(name=name, column_names=columns, unique=unique, dialect_options={})
    if None in columns:
        index["expressions"] = [
            column if column is not None else text
            for column, text in zip(columns, expressions, strict=True)
        ]
    return index
