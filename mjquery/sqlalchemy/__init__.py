"""The SQLAlchemy dialect: ``create_engine("mjquery://")`` for pandas, notebooks and BI tools.

Registered as the ``sqlalchemy.dialects`` entry point ``mjquery``, so nothing needs importing
first::

    from sqlalchemy import create_engine, inspect
    engine = create_engine("mjquery://?demo=true")       # or mjquery://, ?profile=work, KEY:SECRET@
    inspect(engine).get_table_names()                     # every Mailjet object (and local tables)
    pandas.read_sql("SELECT Name, SubscriberCount FROM List", engine)

The URL is read in :mod:`mjquery.sqlalchemy.url`, tables are reflected from the schema files in
:mod:`mjquery.sqlalchemy.reflection`, and :mod:`mjquery.sqlalchemy.dialect` ties them to the
DB-API module. See docs/sqlalchemy.md.
"""

from mjquery.sqlalchemy.dialect import MjqueryDialect

dialect = MjqueryDialect

__all__ = ["MjqueryDialect", "dialect"]
