"""Schema files: load and validate ``schemas/*.toml`` into frozen :class:`ObjectSchema` objects.

``load_catalog()`` gives the :class:`Catalog` of every table; ``catalog.get("contact")``
resolves a SQL name or alias case-insensitively and suggests the closest name when unknown.
"""

from mjquery.schema.catalog import (
    Catalog,
    CatalogLike,
    default_schema_directory,
    load_catalog,
)
from mjquery.schema.loader import SchemaError, load_schema_file
from mjquery.schema.model import (
    Column,
    ExpectedRows,
    Filter,
    FilterOp,
    FixedParam,
    Incremental,
    ObjectSchema,
    Operation,
    Parent,
    PseudoColumn,
    SortKey,
    SqlType,
    TimeFormat,
    UnpushedParam,
    WriteRule,
)

__all__ = [
    "Catalog",
    "CatalogLike",
    "Column",
    "ExpectedRows",
    "Filter",
    "FilterOp",
    "FixedParam",
    "Incremental",
    "ObjectSchema",
    "Operation",
    "Parent",
    "PseudoColumn",
    "SchemaError",
    "SortKey",
    "SqlType",
    "TimeFormat",
    "UnpushedParam",
    "WriteRule",
    "default_schema_directory",
    "load_catalog",
    "load_schema_file",
]
