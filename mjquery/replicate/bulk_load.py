"""Bulk loads for dlt's ``sqlalchemy`` destination: MySQL/MariaDB and SQLite, one job swapped.

dlt's ``sqlalchemy`` destination inserts a file row by row from Python: each row a dict, each
value converted by SQLAlchemy (a timestamp becomes a ``datetime``, then text for SQLite) and
escaped by the driver. Measured: ~15,000 rows/s into MariaDB, ~20,000-30,000 into SQLite, at or
under the 20,000 rows/s goal of ``docs/bench-replicate.md``. dlt's fast path for MySQL, ADBC's
go-mysql driver, is not on PyPI, and dlt leaves ADBC's SQLite driver off on purpose (two SQLite
libraries on one WAL file corrupt it). So :class:`bulk_sqlalchemy` is dlt's ``sqlalchemy``
destination (table creation, staging tables, merge, state, schema evolution unchanged) whose
Parquet load job is replaced by one that keeps the rows in Arrow until the driver:

- MySQL/MariaDB: Arrow writes the file as CSV in C++ and the server reads it with
  ``LOAD DATA LOCAL INFILE``. Every value quoted, NULL as the unquoted word ``NULL`` (a quoted
  ``"NULL"`` stays the string), no backslash escapes, booleans as 0/1, timestamps as UTC without
  an offset (what dlt's inserts store in a ``DATETIME``). ``LOAD DATA LOCAL`` turns conversion
  errors into warnings, so any warning fails the job instead of being dropped.
- SQLite: the columns go to ``sqlite3``'s ``executemany`` as tuples, timestamps formatted by
  Arrow exactly as SQLAlchemy stores them (``2024-01-02 03:04:05.000000``, UTC).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from dlt.common.storages.load_package import ParsedLoadJobFileName
from dlt.destinations import sqlalchemy
from dlt.destinations.impl.sqlalchemy.load_jobs import SqlalchemyJsonLInsertJob
from dlt.destinations.impl.sqlalchemy.sqlalchemy_job_client import SqlalchemyJobClient


class LoadDataError(Exception):
    """The server reported warnings for a file: some value would not have been stored exactly."""


def csv_for_mysql(table: Any, path: str) -> list[str]:
    """Write ``table`` (Arrow) to ``path`` as LOAD DATA reads it; returns the column names."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_boolean(kind):
            column = column.cast(pa.int8())
        elif pa.types.is_timestamp(kind):
            if kind.tz is not None:
                column = pc.cast(column, pa.timestamp(kind.unit, tz="UTC")).cast(
                    pa.timestamp(kind.unit)
                )
        elif pa.types.is_large_string(kind):
            column = column.cast(pa.string())
        columns.append(column)
    out = pa.table(columns, names=table.column_names)
    pacsv.write_csv(
        out,
        path,
        pacsv.WriteOptions(
            include_header=False, null_string="NULL", quoting_style="all_valid", eol="\n"
        ),
    )
    return list(table.column_names)


class MysqlLoadDataJob(SqlalchemyJsonLInsertJob):
    """One Parquet file into one table (or its staging copy) with ``LOAD DATA LOCAL INFILE``."""

    def run(self) -> None:
        import pyarrow.parquet as pq

        sql_client = self._job_client.sql_client
        table = sql_client.to_dataset_table(self.table)  # the staging copy for merges
        # not beside the Parquet file: dlt reads every file of the package folder as a job
        handle, csv_path = tempfile.mkstemp(prefix="mjquery-load-", suffix=".csv")
        os.close(handle)
        try:
            names = csv_for_mysql(pq.read_table(self._file_path), csv_path)
            qualified = ".".join(
                sql_client.escape_column_name(part, casefold=False)
                for part in (table.schema, table.name)
                if part
            )
            column_list = ", ".join(sql_client.escape_column_name(n, casefold=False) for n in names)
            statement = (
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {qualified} CHARACTER SET utf8mb4 "
                "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
                f"LINES TERMINATED BY '\\n' ({column_list})"
            )
            with sql_client.begin_transaction():
                # PyMySQL's own cursor: LOAD DATA LOCAL needs the driver, not SQLAlchemy
                raw: Any = sql_client.native_connection.connection.dbapi_connection
                with raw.cursor() as cursor:
                    cursor.execute(statement, (csv_path,))
                    cursor.execute("SHOW WARNINGS LIMIT 3")
                    shown = "; ".join(str(r[2]) for r in cursor.fetchall() if r[0] != "Note")
                    if shown:
                        raise LoadDataError(
                            f"{table.name}: the server changed values while loading: {shown}"
                        )
        finally:
            if os.path.exists(csv_path):
                os.remove(csv_path)


def sqlite_columns(table: Any) -> Any:
    """``table`` (Arrow) with its timestamps as the text SQLAlchemy stores in SQLite."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            if column.type.tz is not None:
                column = pc.cast(column, pa.timestamp(column.type.unit, tz="UTC"))
            # Arrow's %S carries the fraction: "05.000000" for microseconds
            column = pc.strftime(
                column.cast(pa.timestamp("us", tz=column.type.tz)), "%Y-%m-%d %H:%M:%S"
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class SqliteExecutemanyJob(SqlalchemyJsonLInsertJob):
    """One Parquet file into one table (or its staging copy) with ``sqlite3``'s executemany."""

    def run(self) -> None:
        import pyarrow.parquet as pq

        sql_client = self._job_client.sql_client
        table = sql_client.to_dataset_table(self.table)
        data = sqlite_columns(pq.read_table(self._file_path))
        qualified = ".".join(
            sql_client.escape_column_name(part, casefold=False)
            for part in (table.schema, table.name)
            if part
        )
        names = ", ".join(
            sql_client.escape_column_name(n, casefold=False) for n in data.column_names
        )
        marks = ", ".join("?" for _ in data.column_names)
        statement = f"INSERT INTO {qualified} ({names}) VALUES ({marks})"
        with sql_client.begin_transaction():
            raw: Any = sql_client.native_connection.connection.dbapi_connection
            cursor = raw.cursor()
            try:
                for batch in data.to_batches(max_chunksize=50_000):
                    cursor.executemany(
                        statement, zip(*(c.to_pylist() for c in batch.columns), strict=True)
                    )
            finally:
                cursor.close()


class BulkClient(SqlalchemyJobClient):
    """dlt's SQLAlchemy job client; Parquet files go through this module's jobs."""

    def create_load_job(
        self, table: Any, file_path: str, load_id: str, restore: bool = False
    ) -> Any:
        parsed = ParsedLoadJobFileName.parse(file_path)
        if parsed.file_format == "parquet":
            dialect = self.sql_client.dialect.name
            if dialect == "mysql":
                return MysqlLoadDataJob(file_path, self._to_table_object(table))
            if dialect == "sqlite":
                return SqliteExecutemanyJob(file_path, self._to_table_object(table))
        return super().create_load_job(table, file_path, load_id, restore)


class bulk_sqlalchemy(sqlalchemy):  # named in lower case like dlt's destination factories
    """dlt's ``sqlalchemy`` destination with the bulk Parquet jobs of this module."""

    @property
    def client_class(self) -> type[SqlalchemyJobClient]:
        return BulkClient
