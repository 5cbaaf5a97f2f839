"""Read one ``schemas/<Object>.toml`` file into a validated, frozen :class:`ObjectSchema`.

A schema file is hand-kept data, so every mistake in it must be caught here, when it is
loaded, with a message that names the file and the key (``schemas/Contact.toml: filters[3].op:
'equal' is not one of eq, in, ...``) — never later as a wrong API request. Checks that need
the other files (duplicate names, parent tables) live in :mod:`mjquery.schema.catalog`.

File layout (all keys optional unless marked; ``docs/schema-format.md`` is the full reference)::

    name = "Contact"                      # required: SQL name
    resource = "contact"                  # required: API resource (always also an alias)
    path = "/v3/REST/contact"             # required
    description, aliases, item_path, key, unique_keys, paged, created_column, updated_column, notes,
    lags (true: statistics that trail the messages by hours; describe says so)
    property_columns = true               # plus one column per contact property (per connection)
    [parent]            placeholder, column, table, key
    columns = [ { name, type, read_only, description, time_format, nullable, write_only }, ... ]
    filters = [ { param, column, op, exact, description, value_format }, ... ]
                        # column defaults to param, exact to true
    pseudo_columns = [ { name, type, description, required, allowed_values }, ... ]
    sortable = [ { column, desc_allowed }, ... ]
    [[writes]]          operation, columns, required, condition, note, resource, path, natural_key
    unpushed_filters = [ { name, reason }, ... ]
    unpushed_sorts = [ { name, reason }, ... ]
    fixed_params = [ { name, value, reason }, ... ]
    example = "SELECT ..."                # an example query for docs/tables.md
    expected_rows = "small"               # or "unknown" (default): typically well under 1,000 rows
    incremental = "changed_rows"          # replication strategy: time_window, newest_first,
                                          # changed_rows or full_refresh (absent: not replicated)
    incremental_overlap = "1h"            # time_window / newest_first: re-read this far back
"""

from __future__ import annotations

import re
import tomllib
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from mjquery.errors import Error
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

__all__ = ["SchemaError", "load_schema_file"]


class SchemaError(Error):
    """A schema file is malformed. The message names the file and the offending key."""


E = TypeVar("E", bound=Enum)

_TOP_KEYS = {
    "name",
    "resource",
    "path",
    "description",
    "aliases",
    "item_path",
    "key",
    "unique_keys",
    "paged",
    "created_column",
    "updated_column",
    "notes",
    "lags",
    "parent",
    "columns",
    "filters",
    "pseudo_columns",
    "sortable",
    "writes",
    "unpushed_filters",
    "unpushed_sorts",
    "fixed_params",
    "example",
    "expected_rows",
    "incremental",
    "incremental_overlap",
    "property_columns",
}
_FIXED_KEYS = {"name", "value", "reason"}
_COLUMN_KEYS = {"name", "type", "read_only", "description", "time_format", "nullable", "write_only"}
_FILTER_KEYS = {"param", "column", "op", "exact", "description", "value_format"}
_PSEUDO_KEYS = {"name", "type", "description", "required", "allowed_values"}
_SORT_KEYS = {"column", "desc_allowed"}
_WRITE_KEYS = {
    "operation",
    "columns",
    "required",
    "condition",
    "note",
    "resource",
    "path",
    "natural_key",
}
_PARENT_KEYS = {"placeholder", "column", "table", "key"}
_UNPUSHED_KEYS = {"name", "reason"}

_STRING_OPS = {
    FilterOp.EQ_CI,
    FilterOp.PREFIX,
    FilterOp.PREFIX_CI,
    FilterOp.SUFFIX,
    FilterOp.SUFFIX_CI,
    FilterOp.CONTAINS,
    FilterOp.CONTAINS_CI,
}
_RANGE_OPS = {FilterOp.GT, FilterOp.GE, FilterOp.LT, FilterOp.LE}
_RANGE_TYPES = {SqlType.TIMESTAMP, SqlType.BIGINT, SqlType.INTEGER, SqlType.DOUBLE}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class _Reader:
    """Typed access to one file's parsed TOML, raising SchemaError that names file and key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> SchemaError:
        return SchemaError(f"{self.source}: {key}: {message}")

    def check_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                prefix = f"{where}." if where else ""
                known = ", ".join(sorted(allowed))
                raise self.fail(f"{prefix}{key}", f"unknown key (known keys: {known})")

    def string(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        *,
        required: bool = False,
        default: str = "",
    ) -> str:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(_join(where, key), "is required")
            return default
        if not isinstance(value, str):
            raise self.fail(_join(where, key), f"must be a string, not {_kind(value)}")
        if required and not value.strip():
            raise self.fail(_join(where, key), "must not be empty")
        return value

    def optional_string(self, table: dict[str, Any], key: str, where: str) -> str | None:
        value = self.string(table, key, where)
        return value or None

    def boolean(self, table: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_join(where, key), f"must be true or false, not {_kind(value)}")
        return value

    def strings(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(_join(where, key), "must be a list of strings")
        return tuple(value)

    def tables(self, table: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of tables ({ ... } or [[...]])")
        return value

    def enum(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        enum_type: type[E],
        *,
        required: bool = True,
    ) -> E | None:
        raw = table.get(key)
        if raw is None:
            if required:
                raise self.fail(_join(where, key), "is required")
            return None
        choices = [str(m.value) for m in enum_type]
        if isinstance(raw, str):
            for member in enum_type:
                if str(member.value).lower() == raw.lower():
                    return member
        raise self.fail(_join(where, key), f"{raw!r} is not one of {', '.join(choices)}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def load_schema_file(path: Path | str) -> ObjectSchema:
    """Parse and validate one schema file. Raises :class:`SchemaError` naming file and key."""
    path = Path(path)
    source = _display_name(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{source}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SchemaError(f"{source}: cannot be read: {exc.strerror or exc}") from exc
    return build_schema(data, source)


def _display_name(path: Path) -> str:
    parent = path.parent.name
    return f"{parent}/{path.name}" if parent else path.name


def build_schema(data: dict[str, Any], source: str) -> ObjectSchema:
    """Validate parsed TOML (``source`` is the file name used in messages)."""
    r = _Reader(source)
    r.check_keys(data, _TOP_KEYS, "")

    name = r.string(data, "name", "", required=True)
    resource = r.string(data, "resource", "", required=True)
    path = r.string(data, "path", "", required=True)
    if not path.startswith("/"):
        raise r.fail("path", f"must start with '/', got {path!r}")

    columns = tuple(
        _column(r, raw, f"columns[{i}]") for i, raw in enumerate(r.tables(data, "columns"))
    )
    if not columns:
        raise r.fail("columns", "at least one column is required")
    pseudo_columns = tuple(
        _pseudo(r, raw, f"pseudo_columns[{i}]")
        for i, raw in enumerate(r.tables(data, "pseudo_columns"))
    )
    _no_duplicates(r, "columns", [c.name for c in columns] + [p.name for p in pseudo_columns])
    real = {c.name.lower(): c for c in columns}
    every: dict[str, Column | PseudoColumn] = {
        **real,
        **{p.name.lower(): p for p in pseudo_columns},
    }

    def real_column(key: str, value: str) -> Column:
        found = real.get(value.lower())
        if found is None:
            raise r.fail(key, f"{value!r} is not a column of {name}")
        return found

    filters = tuple(
        _filter(r, raw, f"filters[{i}]", every) for i, raw in enumerate(r.tables(data, "filters"))
    )
    # One parameter may implement several shapes (Key=a and Key=a,b), but each only once.
    _no_duplicates(
        r, "filters", [f"{f.param} {f.op.value}" for f in filters], what="parameter and op"
    )

    sortable: list[SortKey] = []
    for i, raw in enumerate(r.tables(data, "sortable")):
        where = f"sortable[{i}]"
        r.check_keys(raw, _SORT_KEYS, where)
        column = real_column(f"{where}.column", r.string(raw, "column", where, required=True))
        sortable.append(
            SortKey(column=column.name, desc_allowed=r.boolean(raw, "desc_allowed", where, False))
        )
    _no_duplicates(r, "sortable", [s.column for s in sortable])

    key = r.optional_string(data, "key", "")
    if key is not None:
        key = real_column("key", key).name
    unique_raw = data.get("unique_keys", [])
    if not isinstance(unique_raw, list) or not all(
        isinstance(u, list) and u and all(isinstance(c, str) for c in u) for u in unique_raw
    ):
        raise r.fail("unique_keys", "must be a list of non-empty lists of column names")
    unique_keys = tuple(
        tuple(real_column(f"unique_keys[{i}]", c).name for c in group)
        for i, group in enumerate(unique_raw)
    )

    timestamps: dict[str, str | None] = {}
    for field_name in ("created_column", "updated_column"):
        value = r.optional_string(data, field_name, "")
        if value is not None:
            column = real_column(field_name, value)
            if column.type is not SqlType.TIMESTAMP:
                raise r.fail(field_name, f"{column.name!r} is {column.type.value}, not TIMESTAMP")
            value = column.name
        timestamps[field_name] = value

    parent = _parent(r, data.get("parent"), path, real)
    if parent is None and _PLACEHOLDER.search(path):
        raise r.fail("path", "has a {placeholder} but the file has no [parent] table")

    property_columns = r.boolean(data, "property_columns", "", False)
    writes = tuple(
        _write(r, raw, f"writes[{i}]", real, properties=property_columns)
        for i, raw in enumerate(r.tables(data, "writes"))
    )
    _no_duplicates(r, "writes", [w.operation.value for w in writes], what="operation")
    unpushed_filters = tuple(
        _unpushed(r, raw, f"unpushed_filters[{i}]")
        for i, raw in enumerate(r.tables(data, "unpushed_filters"))
    )
    unpushed_sorts = tuple(
        _unpushed(r, raw, f"unpushed_sorts[{i}]")
        for i, raw in enumerate(r.tables(data, "unpushed_sorts"))
    )
    for i, unpushed in enumerate(unpushed_filters):
        if any(f.param.lower() == unpushed.name.lower() for f in filters):
            raise r.fail(
                f"unpushed_filters[{i}].name", f"{unpushed.name!r} is also declared in filters"
            )

    fixed_params: list[FixedParam] = []
    for i, raw in enumerate(r.tables(data, "fixed_params")):
        where = f"fixed_params[{i}]"
        r.check_keys(raw, _FIXED_KEYS, where)
        fixed_params.append(
            FixedParam(
                name=r.string(raw, "name", where, required=True),
                value=r.string(raw, "value", where, required=True),
                reason=r.string(raw, "reason", where),
            )
        )

    aliases = list(r.strings(data, "aliases", ""))
    # The API resource name always works as a table name, whatever the file says; a table of
    # contact properties reads the resource of another table (ContactData owns the name).
    if (
        not property_columns
        and resource.lower() not in {a.lower() for a in aliases}
        and resource.lower() != name.lower()
    ):
        aliases.append(resource)
    _no_duplicates(r, "aliases", [name, *aliases], what="name")

    item_path = r.optional_string(data, "item_path", "")
    paged = r.boolean(data, "paged", "", True)
    expected_rows = (
        r.enum(data, "expected_rows", "", ExpectedRows, required=False) or ExpectedRows.UNKNOWN
    )
    if expected_rows is ExpectedRows.SMALL and parent is not None:
        raise r.fail(
            "expected_rows",
            "a sub-resource is read per parent; the hint applies to top-level tables",
        )
    incremental, overlap_s = _incremental(r, data, timestamps, key, filters, tuple(sortable))
    if incremental is not None and (parent is not None or any(p.required for p in pseudo_columns)):
        raise r.fail(
            "incremental",
            "only a table that can be read whole without a filter can be replicated",
        )
    return ObjectSchema(
        name=name,
        resource=resource,
        path=path,
        columns=columns,
        description=r.string(data, "description", ""),
        aliases=tuple(aliases),
        item_path=item_path,
        parent=parent,
        key=key,
        unique_keys=unique_keys,
        filters=filters,
        pseudo_columns=pseudo_columns,
        sortable=tuple(sortable),
        paged=paged,
        writes=writes,
        created_column=timestamps["created_column"],
        updated_column=timestamps["updated_column"],
        notes=r.strings(data, "notes", ""),
        lags=r.boolean(data, "lags", "", False),
        source_file=source,
        unpushed_filters=unpushed_filters,
        unpushed_sorts=unpushed_sorts,
        fixed_params=tuple(fixed_params),
        example=r.string(data, "example", "").strip(),
        expected_rows=expected_rows,
        incremental=incremental,
        incremental_overlap_s=overlap_s,
        property_columns=property_columns,
    )


_DURATION = re.compile(r"^(\d+)([smhd])$")
_DURATION_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _incremental(
    r: _Reader,
    data: dict[str, Any],
    timestamps: dict[str, str | None],
    key: str | None,
    filters: tuple[Filter, ...],
    sortable: tuple[SortKey, ...],
) -> tuple[Incremental | None, int]:
    """The replication strategy, checked against what the API can do for this object."""
    strategy = r.enum(data, "incremental", "", Incremental, required=False)
    raw_overlap = data.get("incremental_overlap")
    overlap_s = 0
    if raw_overlap is not None:
        match = _DURATION.match(raw_overlap) if isinstance(raw_overlap, str) else None
        if match is None:
            raise r.fail(
                "incremental_overlap", f"{raw_overlap!r} is not a duration like 30m, 1h, 1d"
            )
        overlap_s = int(match.group(1)) * _DURATION_S[match.group(2)]
        if strategy not in (Incremental.TIME_WINDOW, Incremental.NEWEST_FIRST):
            raise r.fail("incremental_overlap", "applies to time_window and newest_first only")
    created, updated = timestamps["created_column"], timestamps["updated_column"]
    if strategy is Incremental.TIME_WINDOW and not any(
        f.column in (created, updated) and f.op in (FilterOp.GT, FilterOp.GE) for f in filters
    ):
        raise r.fail(
            "incremental",
            "time_window needs a lower-bound filter (FromTS...) on the created or updated column",
        )
    if strategy is Incremental.NEWEST_FIRST:
        sort = next((s for s in sortable if s.column == created), None)
        if sort is None or not sort.desc_allowed:
            raise r.fail("incremental", "newest_first needs the created column sortable descending")
    if strategy is Incremental.CHANGED_ROWS and key is None:
        raise r.fail("incremental", "changed_rows needs a key to compare rows by")
    return strategy, overlap_s


def _column(r: _Reader, raw: dict[str, Any], where: str) -> Column:
    r.check_keys(raw, _COLUMN_KEYS, where)
    sql_type = r.enum(raw, "type", where, SqlType)
    assert sql_type is not None
    time_format = r.enum(raw, "time_format", where, TimeFormat, required=False)
    if sql_type is SqlType.TIMESTAMP and time_format is None:
        time_format = TimeFormat.RFC3339
    if sql_type is not SqlType.TIMESTAMP and time_format is not None:
        raise r.fail(
            f"{where}.time_format",
            f"only TIMESTAMP columns have a time format, this one is {sql_type.value}",
        )
    write_only = r.boolean(raw, "write_only", where, False)
    read_only = r.boolean(raw, "read_only", where, True)
    if write_only and read_only:
        raise r.fail(f"{where}.read_only", "a write_only column cannot be read_only")
    return Column(
        name=r.string(raw, "name", where, required=True),
        type=sql_type,
        read_only=read_only,
        description=r.string(raw, "description", where),
        time_format=time_format,
        nullable=r.boolean(raw, "nullable", where, True),
        write_only=write_only,
    )


def _pseudo(r: _Reader, raw: dict[str, Any], where: str) -> PseudoColumn:
    r.check_keys(raw, _PSEUDO_KEYS, where)
    sql_type = r.enum(raw, "type", where, SqlType)
    assert sql_type is not None
    return PseudoColumn(
        name=r.string(raw, "name", where, required=True),
        type=sql_type,
        description=r.string(raw, "description", where),
        required=r.boolean(raw, "required", where, False),
        allowed_values=r.strings(raw, "allowed_values", where),
    )


def _filter(
    r: _Reader, raw: dict[str, Any], where: str, columns: dict[str, Column | PseudoColumn]
) -> Filter:
    r.check_keys(raw, _FILTER_KEYS, where)
    param = r.string(raw, "param", where, required=True)
    # Most parameters are named after the column they filter (``Email`` filters ``Email``).
    column_name = r.string(raw, "column", where, default=param)
    column = columns.get(column_name.lower())
    if column is None:
        raise r.fail(f"{where}.column", f"{column_name!r} is neither a column nor a pseudo-column")
    op = r.enum(raw, "op", where, FilterOp)
    assert op is not None
    if op in _STRING_OPS and column.type is not SqlType.VARCHAR:
        raise r.fail(
            f"{where}.op",
            f"{op.value} needs a VARCHAR column, {column.name} is {column.type.value}",
        )
    if op in _RANGE_OPS and column.type not in _RANGE_TYPES:
        raise r.fail(
            f"{where}.op",
            f"{op.value} needs a TIMESTAMP or numeric column, {column.name} is {column.type.value}",
        )
    if isinstance(column, PseudoColumn) and op is not FilterOp.EQ:
        # The engine stamps the pushed value into every fetched row; that needs one value.
        raise r.fail(f"{where}.op", f"pseudo-column {column.name} only supports eq")
    value_format = r.enum(raw, "value_format", where, TimeFormat, required=False)
    if value_format is not None and column.type is not SqlType.TIMESTAMP:
        raise r.fail(f"{where}.value_format", f"{column.name} is not a TIMESTAMP column")
    return Filter(
        param=param,
        column=column.name,
        op=op,
        exact=r.boolean(raw, "exact", where, True),
        description=r.string(raw, "description", where),
        value_format=value_format,
    )


def _parent(r: _Reader, raw: Any, path: str, real: dict[str, Column]) -> Parent | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise r.fail("parent", "must be a table")
    r.check_keys(raw, _PARENT_KEYS, "parent")
    placeholder = r.string(raw, "placeholder", "parent", required=True)
    found = _PLACEHOLDER.findall(path)
    if placeholder not in found:
        raise r.fail("parent.placeholder", f"{{{placeholder}}} does not appear in path {path!r}")
    if len(found) != 1:
        raise r.fail("path", f"exactly one {{placeholder}} is supported, found {len(found)}")
    column = r.string(raw, "column", "parent", required=True)
    if column.lower() not in real:
        raise r.fail(
            "parent.column", f"{column!r} is not a column (the engine fills it with the parent id)"
        )
    return Parent(
        placeholder=placeholder,
        column=real[column.lower()].name,
        table=r.string(raw, "table", "parent", required=True),
        key=r.string(raw, "key", "parent", default="ID") or "ID",
    )


def _write(
    r: _Reader, raw: dict[str, Any], where: str, real: dict[str, Column], *, properties: bool
) -> WriteRule:
    r.check_keys(raw, _WRITE_KEYS, where)
    operation = r.enum(raw, "operation", where, Operation)
    assert operation is not None
    columns = r.strings(raw, "columns", where)
    required = r.strings(raw, "required", where)
    for key, names in (("columns", columns), ("required", required)):
        for column in names:
            if column.lower() not in real:
                raise r.fail(f"{where}.{key}", f"{column!r} is not a column")
    if operation is Operation.DELETE and columns:
        raise r.fail(f"{where}.columns", "DELETE sets no columns")
    # a table of contact properties: UPDATE sets the property columns, added per connection
    if operation is not Operation.DELETE and not columns and not properties:
        raise r.fail(f"{where}.columns", f"{operation.value} must list the columns it may set")
    missing = [c for c in required if c.lower() not in {x.lower() for x in columns}]
    if missing:
        raise r.fail(f"{where}.required", f"{missing[0]!r} is required but not in columns")
    natural_key = r.strings(raw, "natural_key", where)
    if natural_key and operation is not Operation.INSERT:
        raise r.fail(f"{where}.natural_key", "only an INSERT has a natural key")
    outside = [c for c in natural_key if c.lower() not in {x.lower() for x in columns}]
    if outside:
        raise r.fail(f"{where}.natural_key", f"{outside[0]!r} is not a column the INSERT sets")
    path = r.string(raw, "path", where)
    if path and not path.startswith("/"):
        raise r.fail(f"{where}.path", f"must start with '/', got {path!r}")
    return WriteRule(
        operation=operation,
        columns=tuple(real[c.lower()].name for c in columns),
        required=tuple(real[c.lower()].name for c in required),
        condition=r.string(raw, "condition", where),
        note=r.string(raw, "note", where),
        resource=r.string(raw, "resource", where),
        path=path,
        natural_key=tuple(real[c.lower()].name for c in natural_key),
    )


def _unpushed(r: _Reader, raw: dict[str, Any], where: str) -> UnpushedParam:
    r.check_keys(raw, _UNPUSHED_KEYS, where)
    return UnpushedParam(
        name=r.string(raw, "name", where, required=True),
        reason=r.string(raw, "reason", where, required=True),
    )


def _no_duplicates(r: _Reader, key: str, names: list[str], what: str = "column") -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise r.fail(key, f"duplicate {what} {name!r}")
        seen.add(name.lower())
