"""What the mjquery dialect supports, for SQLAlchemy's compliance suite.

The suite creates its own tables. Mailjet objects cannot be created, so with mjquery they are
tables of the connection's local DuckDB database, reached through the same dialect, DB-API and
engine as Mailjet tables (the suite's URL has no working account: an API request would fail).
What is tested is the dialect: SQL compilation, parameters, types, results, rowcounts and
reflection. Each feature switched off here says why mjquery does not offer it.
"""

from sqlalchemy.testing import exclusions
from sqlalchemy.testing.requirements import SuiteRequirements


class Requirements(SuiteRequirements):
    @property
    def views(self):
        return exclusions.open()  # local DuckDB views

    # Switched off: each says why, and which suite classes it keeps from running (the list in
    # docs/sqlalchemy.md, checked by tests/test_sqlalchemy_suite.py).
    @property
    def implements_get_lastrowid(self):
        # LastrowidTest: generated keys come back with RETURNING; there is no lastrowid
        return exclusions.closed()

    @property
    def schemas(self):
        # SameNamedSchemaTableTest: one schema, "main", holds Mailjet objects and local tables
        return exclusions.closed()

    @property
    def default_schema_name_switch(self):
        # (Future)WeCanSetDefaultSchemaWEventsTest: the one schema cannot be switched
        return exclusions.closed()

    @property
    def foreign_key_constraint_name_reflection(self):
        # DuckDB does not keep the names given to constraints
        return exclusions.closed()

    @property
    def savepoints(self):
        # no transactions: writes to Mailjet are applied when they run (AUTOCOMMIT only)
        return exclusions.closed()

    @property
    def isolation_level(self):
        # IsolationLevelTest: AUTOCOMMIT is the only level (writes to Mailjet apply at once)
        return exclusions.closed()

    @property
    def autocommit(self):
        # AutocommitIsolationTest: it switches between AUTOCOMMIT and another level
        return exclusions.closed()

    @property
    def server_side_cursors(self):
        # ServerSideCursorsTest: cursors stream rows by themselves; there are none to ask for
        return exclusions.closed()

    @property
    def identity_columns(self):
        # Identity() columns: DuckDB has none, the dialect numbers them with a sequence of the
        # Identity's settings and reflects them from it
        return exclusions.open()

    @property
    def identity_columns_standard(self):
        # GENERATED ALWAYS is not enforced (an explicit value is accepted) and the sequence has
        # no cache setting: IdentityColumnTest.test_insert_always_error and the exact-settings
        # check of IdentityReflectionTest are skipped
        return exclusions.closed()

    @property
    def denormalized_names(self):
        # NormalizedNameTest: names are not case-normalised (DuckDB's are case-insensitive)
        return exclusions.closed()

    @property
    def reflect_tables_no_columns(self):
        # TableNoColumnsTest: DuckDB has no tables without columns
        return exclusions.closed()

    @property
    def repeated_column_foreign_keys(self):
        # RepeatedColumnForeignKeyTest: DuckDB refuses FOREIGN KEY (cid, cid) ("duplicate key
        # specified in FOREIGN KEY constraint")
        return exclusions.closed()

    @property
    def repeated_remote_col_foreign_keys(self):
        # RepeatedColumnForeignKeyTest: as above
        return exclusions.closed()

    @property
    def computed_columns_stored(self):
        # DuckDB's generated columns are VIRTUAL only
        return exclusions.closed()

    # Features SQLAlchemy's default requirements leave off that DuckDB (and so local tables) has.
    @property
    def window_functions(self):
        return exclusions.open()

    @property
    def timestamp_microseconds(self):
        return exclusions.open()

    @property
    def date_historic(self):
        return exclusions.open()

    @property
    def datetime_historic(self):
        return exclusions.open()

    @property
    def table_value_constructor(self):
        return exclusions.open()

    # Local DuckDB tables have these types and features; SQLAlchemy's defaults leave them off.
    @property
    def ctes(self):
        # CTETest's self-referencing table is emptied by conftest.py's delete_from_all_tables
        return exclusions.open()

    @property
    def ctes_on_dml(self):
        return exclusions.open()

    @property
    def ctes_with_update_delete(self):
        return exclusions.open()

    @property
    def ctes_with_values(self):
        return exclusions.open()

    @property
    def update_from(self):
        return exclusions.open()  # UPDATE ... FROM

    @property
    def delete_from(self):
        return exclusions.open()  # DELETE ... USING

    @property
    def json_type(self):
        # JSON columns, index (->, ->>) and path operators (DuckDB's JSONPath: types.JSONPathType)
        return exclusions.open()

    @property
    def json_index_supplementary_unicode_element(self):
        return exclusions.open()

    @property
    def legacy_unconditional_json_extract(self):
        return exclusions.open()

    @property
    def array_type(self):
        return exclusions.open()  # DuckDB's lists: INTEGER[]

    @property
    def uuid_data_type(self):
        return exclusions.open()

    @property
    def datetime_interval(self):
        return exclusions.open()  # DuckDB's native INTERVAL (types.Interval)

    @property
    def datetime_timezone(self):
        return exclusions.open()  # TIMESTAMP WITH TIME ZONE

    @property
    def datetime_timezone_historic(self):
        return exclusions.open()

    @property
    def time_timezone(self):
        return exclusions.open()

    @property
    def computed_columns(self):
        return exclusions.open()  # GENERATED ALWAYS AS (...) VIRTUAL, reflected

    @property
    def computed_columns_virtual(self):
        return exclusions.open()

    @property
    def computed_columns_reflect_persisted(self):
        return exclusions.open()

    @property
    def index_reflection(self):
        return exclusions.open()  # local tables' indexes (Mailjet objects have none)

    @property
    def sequences(self):
        return exclusions.open()  # Sequence() on local tables: DuckDB's sequences

    @property
    def unicode_ddl(self):
        return exclusions.open()

    @property
    def percent_schema_names(self):
        return exclusions.open()  # "%" in names: the qmark parameter style has no escaping

    @property
    def temp_table_comment_reflection(self):
        return exclusions.open()

    @property
    def supports_bitwise_and(self):
        return exclusions.open()

    @property
    def supports_bitwise_or(self):
        return exclusions.open()

    @property
    def supports_bitwise_not(self):
        return exclusions.open()

    @property
    def supports_bitwise_xor(self):
        return exclusions.open()  # xor(a, b): DuckDB's "#" is not PostgreSQL's

    @property
    def supports_bitwise_shift(self):
        return exclusions.open()

    @property
    def order_by_collation(self):
        return exclusions.open()

    def get_order_by_collation(self, config):  # type: ignore[no-untyped-def]
        return "NOCASE"  # a collation every DuckDB has
