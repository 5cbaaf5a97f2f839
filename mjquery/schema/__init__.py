"""Schema files: load and validate ``schemas/*.toml`` into frozen :class:`ObjectSchema` objects."""

from mjquery.schema.model import (  # noqa: F401
    Column, Filter, FilterOp, ObjectSchema, Operation, Parent, PseudoColumn, SortKey, SqlType,
    TimeFormat, WriteRule,
)
