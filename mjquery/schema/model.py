"""The typed description of one Mailjet object, as read from ``schemas/<Object>.toml``.

Everything the planner, the engine, the write path and the docs need to know about an object
lives in an :class:`ObjectSchema`. Adding a Mailjet object means adding a schema file; no
Python changes. These classes are frozen: a loaded schema never changes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SqlType(enum.StrEnum):
    """SQL column types. Values are the DuckDB type names."""

    BIGINT = "BIGINT"  # ids (message ids exceed 2^53) and counters
    INTEGER = "INTEGER"
    DOUBLE = "DOUBLE"
    BOOLEAN = "BOOLEAN"
    VARCHAR = "VARCHAR"
    TIMESTAMP = "TIMESTAMP"  # RFC 3339 strings or epoch seconds, see Column.time_format; "" -> NULL
    JSON = "JSON"  # arrays and objects, kept as JSON text


class TimeFormat(enum.StrEnum):
    """How the API spells a TIMESTAMP column."""

    RFC3339 = "rfc3339"  # "2020-09-16T10:35:56Z"; unset values are ""
    EPOCH = "epoch"  # Unix seconds as an integer; unset values are 0 or ""


class ExpectedRows(enum.StrEnum):
    """How many rows a table typically holds in an account: a planning hint, never a limit.

    ``SMALL``: well under 1,000 rows, so one page reads the whole table (lists, campaigns,
    senders, templates...). The planner then prefers one read of the table to one request per
    key. ``UNKNOWN``: no guess (contacts, messages, statistics grow with the account).
    """

    SMALL = "small"
    UNKNOWN = "unknown"


class Incremental(enum.StrEnum):
    """How replication keeps a table up to date after its first full copy (``incremental`` key).

    The cheapest strategy that is still exactly right for the object, declared in its file:

    ``TIME_WINDOW``: the API filters the created (or updated) column by time (``FromTS``):
    later runs request only the rows since the watermark minus ``incremental_overlap``.
    ``NEWEST_FIRST``: created-only rows, sortable by the created column descending: later runs
    read pages newest first and stop once past the watermark.
    ``CHANGED_ROWS``: every row is read (the API offers nothing cheaper), only new and changed
    rows are written, and rows gone from Mailjet are deleted from the target.
    ``FULL_REFRESH``: no key and no timestamp to compare by: every run replaces the table.
    """

    TIME_WINDOW = "time_window"
    NEWEST_FIRST = "newest_first"
    CHANGED_ROWS = "changed_rows"
    FULL_REFRESH = "full_refresh"


class FilterOp(enum.StrEnum):
    """The SQL predicate shape a query parameter implements.

    ``EQ`` and ``IN`` take values; the LIKE family maps ``LIKE 'x%'`` (PREFIX), ``LIKE '%x'``
    (SUFFIX), ``LIKE '%x%'`` (CONTAINS); the ``_CI`` variants are the API's case-insensitive
    ones (ILIKE). ``GT``/``GE``/``LT``/``LE`` are time-window bounds (``FromTS``/``ToTS``).
    """

    EQ = "eq"
    IN = "in"  # the parameter accepts a comma-separated list of values (OR)
    EQ_CI = "eq_ci"
    PREFIX = "prefix"
    PREFIX_CI = "prefix_ci"
    SUFFIX = "suffix"
    SUFFIX_CI = "suffix_ci"
    CONTAINS = "contains"
    CONTAINS_CI = "contains_ci"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


class Operation(enum.StrEnum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True)
class Column:
    """A column of the SQL table, named exactly as the API spells the JSON field."""

    name: str
    type: SqlType
    read_only: bool = True
    description: str = ""
    time_format: TimeFormat | None = None  # set for TIMESTAMP columns only
    nullable: bool = True
    # Accepted by a write but never returned by the API (ContactList's ``Action``): reads give NULL.
    write_only: bool = False
    # A contact property (ContactProperties): its value is the ``Value`` of the row's ``Data``
    # item whose ``Name`` is the column's name, sent by the API as text whatever its type.
    property: bool = False


@dataclass(frozen=True)
class PseudoColumn:
    """A column that exists only to carry an API-only filter into WHERE.

    ``Contact.ContactsList = 7`` becomes ``ContactsList=7``. The engine writes the pushed value
    into every fetched row, so DuckDB's own filter on the column still holds.
    """

    name: str
    type: SqlType
    description: str = ""
    required: bool = False  # the API refuses requests without it (statcounters' CounterSource, ...)
    allowed_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filter:
    """One query parameter and the SQL predicate it implements.

    ``exact`` says whether the API's answer equals SQL's answer for that predicate. When it is
    false (``Email=x`` matches case-insensitively on the API), the predicate is pushed to cut
    the rows fetched and DuckDB filters again.
    """

    param: str  # query parameter, as the API spells it: "ContactsList", "EmailLLikeCI"
    column: str  # the SQL column (real or pseudo) the predicate is on
    op: FilterOp
    exact: bool = True
    description: str = ""
    # How to spell a TIMESTAMP value in the parameter (``FromTS``: RFC 3339); None for other types.
    value_format: TimeFormat | None = None


@dataclass(frozen=True)
class SortKey:
    column: str
    desc_allowed: bool


@dataclass(frozen=True)
class Parent:
    """For sub-resources (``/campaigndraft/{CampaignDraftID}/detailcontent``): where the id comes from.

    ``column`` is the column of this table that carries the parent id (the engine adds it to
    every fetched row); ``table`` and ``key`` name the parent object and its id column, used
    to fan out over parents when the query gives no id.
    """

    placeholder: str  # the name inside {…} in ApiPath
    column: str
    table: str
    key: str = "ID"


@dataclass(frozen=True)
class WriteRule:
    """One allowed write and the columns it may set."""

    operation: Operation
    columns: tuple[str, ...] = ()  # settable columns; empty for DELETE
    required: tuple[str, ...] = ()  # columns an INSERT must give
    condition: str = ""  # a row condition in SQL, e.g. "Used = false" (CampaignDraft UPDATE)
    note: str = ""  # the rule in words, shown when a write is refused or in docs
    # When the write goes to another endpoint than the table's own (ContactList INSERT is
    # ``POST /v3/REST/contact/{ContactID}/managecontactslists``): its resource and path.
    resource: str = ""
    path: str = ""
    # INSERT only: the columns no two objects share (Contact: Email; ListRecipient: ContactID and
    # ListID). The write path looks them up before sending, so an existing object is reported as
    # a duplicate rather than written, and a lost answer is resolved by finding the new object.
    natural_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnpushedParam:
    """A query parameter (or Sort field) the API has but mjquery deliberately never sends.

    Kept in the schema so the choice is visible (docs, tests): ``Fields`` would drop columns,
    ``DateFormat`` would change how values are spelled, ``Newsletter.ID`` is not a column.
    """

    name: str
    reason: str


@dataclass(frozen=True)
class FixedParam:
    """A query parameter sent with every list request, e.g. message ``ShowSubject=true``.

    These change what the API returns (which fields are filled), not which rows; without them
    some columns would always be empty.
    """

    name: str
    value: str
    reason: str = ""


@dataclass(frozen=True)
class ObjectSchema:
    """One SQL table over one Mailjet resource."""

    name: str  # SQL name, as Skyvia calls it: "List"
    resource: str  # API resource: "contactslist", "campaigndraft/detailcontent"
    path: str  # "/v3/REST/contactslist" or "/v3/REST/campaigndraft/{CampaignDraftID}/detailcontent"
    columns: tuple[Column, ...]
    description: str = ""
    aliases: tuple[str, ...] = ()  # other accepted names; the resource name is always one
    item_path: str | None = None  # "/v3/REST/contactslist/{id}"
    parent: Parent | None = None
    key: str | None = None  # id column ("ID"), None when the API has none
    unique_keys: tuple[tuple[str, ...], ...] = ()  # each a tuple of columns, e.g. (("Email",),)
    filters: tuple[Filter, ...] = ()
    pseudo_columns: tuple[PseudoColumn, ...] = ()
    sortable: tuple[SortKey, ...] = ()
    paged: bool = True  # accepts Limit/Offset/countOnly
    writes: tuple[WriteRule, ...] = ()  # empty = read-only
    created_column: str | None = None
    updated_column: str | None = None
    # Replication: the strategy of later runs (None: the table is not replicated) and, for the
    # watermark strategies, how far back before the watermark a run reads again (seconds).
    incremental: Incremental | None = None
    incremental_overlap_s: int = 0
    notes: tuple[str, ...] = ()
    #: Statistics Mailjet computes from the messages with a delay (hours): recent activity may
    #: be missing. ``describe`` says so.
    lags: bool = False
    source_file: str = field(default="", compare=False)
    unpushed_filters: tuple[UnpushedParam, ...] = ()  # API filters deliberately never sent
    unpushed_sorts: tuple[UnpushedParam, ...] = ()  # API Sort fields that are not usable here
    fixed_params: tuple[FixedParam, ...] = ()  # sent with every list request (ShowSubject=true)
    example: str = ""  # an example query for the docs
    expected_rows: ExpectedRows = (
        ExpectedRows.UNKNOWN
    )  # size hint for the planner (SMALL: one page)
    #: One more column per contact property the account defines (``contactmetadata``), added
    #: per connection by :mod:`mjquery.schema.properties` (ContactProperties). The file holds
    #: the columns every account has.
    property_columns: bool = False

    # -- lookups used by every layer; kept here so nobody re-implements them -------------------

    def column(self, name: str) -> Column | None:
        """The real column with this name, case-insensitively."""
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    def pseudo_column(self, name: str) -> PseudoColumn | None:
        lowered = name.lower()
        return next((p for p in self.pseudo_columns if p.name.lower() == lowered), None)

    @property
    def property_column_names(self) -> tuple[str, ...]:
        """The columns that are contact properties (ContactProperties, once resolved)."""
        return tuple(c.name for c in self.columns if c.property)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def all_column_names(self) -> tuple[str, ...]:
        """Real columns, then pseudo-columns: the columns of the SQL table."""
        return self.column_names + tuple(p.name for p in self.pseudo_columns)

    def filters_on(self, column: str) -> tuple[Filter, ...]:
        lowered = column.lower()
        return tuple(f for f in self.filters if f.column.lower() == lowered)

    def sort_key(self, column: str) -> SortKey | None:
        lowered = column.lower()
        return next((s for s in self.sortable if s.column.lower() == lowered), None)

    def write_rule(self, operation: Operation) -> WriteRule | None:
        return next((w for w in self.writes if w.operation is operation), None)

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(w.operation for w in self.writes)

    @property
    def read_only(self) -> bool:
        return not self.writes

    @property
    def required_pseudo_columns(self) -> tuple[PseudoColumn, ...]:
        return tuple(p for p in self.pseudo_columns if p.required)

    @property
    def names(self) -> tuple[str, ...]:
        """The SQL name and every alias: all the names this table answers to."""
        return (self.name, *self.aliases)
