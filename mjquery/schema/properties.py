"""Contact properties as typed columns: a catalog whose ContactProperties table has one column
per property the account defines.

Schema files describe what every account has; contact properties differ per account (one defines
``plan`` and ``signup_date``, another ``firstname`` and ``vip``). A schema file marked
``property_columns = true`` (``schemas/ContactProperties.toml``) holds the columns every account
has, and :class:`ConnectionCatalog` adds, per connection, one column per definition read from the
account's ``contactmetadata`` — typed from its ``Datatype`` (:data:`DATATYPES`) — the first time
the table is looked up. The definitions are kept for the connection; :meth:`ConnectionCatalog.refresh`
forgets them, so the next look-up reads them again (a property defined meanwhile, by this
connection or another tool, then becomes a column).

This module does not read the API: the catalog is given a ``read`` function (the engine's, which
sends ``GET /v3/REST/contactmetadata``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mjquery.schema.catalog import Catalog
from mjquery.schema.model import Column, ObjectSchema, Operation, SqlType, TimeFormat

__all__ = [
    "DATATYPES",
    "ConnectionCatalog",
    "PropertyDefinition",
    "datatype_of",
    "definitions_from_rows",
    "with_properties",
]

#: A property's ``Datatype`` (contactmetadata) and the SQL type of its column.
DATATYPES: dict[str, SqlType] = {
    "str": SqlType.VARCHAR,
    "int": SqlType.BIGINT,
    "float": SqlType.DOUBLE,
    "bool": SqlType.BOOLEAN,
    "datetime": SqlType.TIMESTAMP,
}


@dataclass(frozen=True)
class PropertyDefinition:
    """One contact property of the account, as ``contactmetadata`` defines it."""

    name: str
    datatype: str  # str | int | float | bool | datetime


def definitions_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[PropertyDefinition]:
    """The definitions in ``contactmetadata`` rows as the API sends them (``Name``, ``Datatype``)."""
    found: list[PropertyDefinition] = []
    for row in rows:
        name = row.get("Name") if isinstance(row, Mapping) else None
        if isinstance(name, str) and name:
            found.append(PropertyDefinition(name, str(row.get("Datatype") or "str")))
    return found


def datatype_of(column: Column) -> str:
    """The Mailjet ``Datatype`` a property column was made from (``str`` for VARCHAR ...)."""
    for datatype, sql_type in DATATYPES.items():
        if sql_type is column.type:
            return datatype
    return "str"


def with_properties(
    schema: ObjectSchema, definitions: Sequence[PropertyDefinition]
) -> ObjectSchema:
    """``schema`` with one column per definition after the file's own columns.

    A property named like one of the file's columns (``ContactID``) is left out, with a note: it
    stays readable in ContactData. A property named like a pseudo-column (``Status``) takes the
    name: the table is there for the account's data, and the pseudo-column's filter is dropped.
    An unknown ``Datatype`` reads as text. UPDATE may set every property column.
    """
    taken = {c.name.lower() for c in schema.columns}
    columns: list[Column] = []
    notes: list[str] = []
    seen: set[str] = set()
    for definition in definitions:
        lowered = definition.name.lower()
        if not definition.name or lowered in seen:
            continue
        seen.add(lowered)
        if lowered in taken:
            notes.append(
                f"The contact property {definition.name!r} has the name of a column of "
                f"{schema.name}: read it from ContactData."
            )
            continue
        datatype = definition.datatype.lower()
        sql_type = DATATYPES.get(datatype, SqlType.VARCHAR)
        columns.append(
            Column(
                name=definition.name,
                type=sql_type,
                read_only=False,
                description=f"Contact property ({definition.datatype or 'str'})",
                time_format=TimeFormat.RFC3339 if sql_type is SqlType.TIMESTAMP else None,
                property=True,
            )
        )
    names = {c.name.lower() for c in columns}
    pseudo = tuple(p for p in schema.pseudo_columns if p.name.lower() not in names)
    filters = tuple(f for f in schema.filters if f.column.lower() not in names)
    for dropped in schema.pseudo_columns:
        if dropped.name.lower() in names:
            notes.append(
                f"The contact property {dropped.name!r} hides the filter column of the same "
                "name: the column holds the property."
            )
    writes = tuple(
        replace(rule, columns=tuple(c.name for c in columns))
        if rule.operation is Operation.UPDATE
        else rule
        for rule in schema.writes
    )
    return replace(
        schema,
        columns=schema.columns + tuple(columns),
        pseudo_columns=pseudo,
        filters=filters,
        writes=writes,
        notes=schema.notes + tuple(notes),
    )


class ConnectionCatalog:
    """A connection's view of the catalog: the schema files, with the property columns of the
    account added to each ``property_columns`` table when it is first looked up.

    ``objects`` (SHOW TABLES, completion of table names) never reads the API: it shows a
    property table with its property columns once they are known, with the file's columns
    before. ``find``/``get`` of a property table read the definitions (once) if needed.
    """

    def __init__(self, base: Catalog, read: Callable[[], Sequence[PropertyDefinition]]) -> None:
        self.base = base
        self.directory = base.directory
        self._read = read
        self._lock = threading.Lock()
        self._definitions: tuple[PropertyDefinition, ...] | None = None
        self._resolved: dict[str, ObjectSchema] = {}

    # -- the property columns -----------------------------------------------------------------

    @property
    def properties_loaded(self) -> bool:
        """Whether the account's property definitions have been read (and are kept)."""
        return self._definitions is not None

    @property
    def definitions(self) -> tuple[PropertyDefinition, ...]:
        """The account's property definitions, read now if they were not yet."""
        with self._lock:
            if self._definitions is None:
                self._definitions = tuple(self._read())
                self._resolved = {}
            return self._definitions

    def refresh(self) -> None:
        """Forget the definitions: the next look-up of a property table reads them again."""
        with self._lock:
            self._definitions = None
            self._resolved = {}

    def _resolve(self, schema: ObjectSchema) -> ObjectSchema:
        if not schema.property_columns:
            return schema
        definitions = self.definitions
        with self._lock:
            resolved = self._resolved.get(schema.name)
            if resolved is None:
                resolved = with_properties(schema, definitions)
                self._resolved[schema.name] = resolved
            return resolved

    # -- CatalogLike ----------------------------------------------------------------------------

    @property
    def objects(self) -> tuple[ObjectSchema, ...]:
        """All tables; a property table with its property columns when they are known."""
        if self._definitions is None:
            return self.base.objects
        return tuple(self._resolve(o) for o in self.base.objects)

    @property
    def names(self) -> tuple[str, ...]:
        return self.base.names

    def find(self, name: str) -> ObjectSchema | None:
        found = self.base.find(name)
        return None if found is None else self._resolve(found)

    def get(self, name: str) -> ObjectSchema:
        return self._resolve(self.base.get(name))

    def __contains__(self, name: object) -> bool:
        return name in self.base

    def __iter__(self) -> Iterator[ObjectSchema]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.base)

    def __repr__(self) -> str:
        state = "properties read" if self.properties_loaded else "properties not read yet"
        return f"ConnectionCatalog({len(self.base)} tables from {self.directory}, {state})"
