"""Schema files: load and validate ``schemas/*.toml`` into frozen :class:`ObjectSchema` objects.

``load_catalog()`` gives the :class:`Catalog` of every table; ``catalog.get("contact")``
resolves a SQL name or alias case-insensitively and suggests the closest name when unknown.
"""

from mjquery.schema.catalog import Catalog, default_schema_directory, load_catalog  # noqa: F401
from mjquery.schema.loader import SchemaError, load_schema_file  # noqa: F401
from mjquery.schema.model import (  # noqa: F401
    Column,
    ExpectedRows,
    Filter,
    FilterOp,
    FixedParam,
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
