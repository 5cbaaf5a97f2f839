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

    @property
    def implements_get_lastrowid(self):
        # generated keys come back with RETURNING; a DB-API cursor has no lastrowid
        return exclusions.closed()

    @property
    def schemas(self):
        # one schema: Mailjet objects and local tables both live in "main"
        return exclusions.closed()

    @property
    def index_reflection(self):
        # get_indexes() reports none: Mailjet objects have no indexes to show
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
        return exclusions.closed()

    @property
    def ctes(self):
        # CTEs work; CTETest changes rows inside a transaction and relies on ROLLBACK to undo
        # them, and mjquery has no transactions
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
