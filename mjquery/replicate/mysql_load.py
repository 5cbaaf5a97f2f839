"""MySQL/MariaDB loads through ``LOAD DATA LOCAL INFILE``: dlt's sqlalchemy destination, one job swapped.

dlt's ``sqlalchemy`` destination inserts a Parquet file into MySQL row by row from Python (each
row a dict, each value escaped by PyMySQL): measured ~15,000 rows/s, under the 20,000 rows/s
goal of ``docs/bench-replicate.md``. The fast way dlt offers for MySQL, ADBC's go-mysql driver,
is not on PyPI. So this module is a dlt destination factory, :class:`mysql_load_data`, that is
dlt's ``sqlalchemy`` destination (table creation, staging tables, merge, state, schema
evolution unchanged) whose Parquet load job is replaced: Arrow writes the file as CSV in C++
and the server reads it with ``LOAD DATA LOCAL INFILE``.

Exactness: the CSV is written so that MySQL reads back exactly the values dlt would have
inserted: every value quoted, NULL as the unquoted word ``NULL`` (a quoted ``"NULL"`` stays the
string), no backslash escapes, booleans as 0/1, timestamps as UTC without an offset (what dlt's
inserts store in a ``DATETIME``). ``LOAD DATA LOCAL`` turns conversion errors into warnings, so
any warning fails the job instead of being dropped (the load is retried or reported).
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


class MysqlLoadDataClient(SqlalchemyJobClient):
    """dlt's SQLAlchemy job client; Parquet files go through :class:`MysqlLoadDataJob`."""

    def create_load_job(
        self, table: Any, file_path: str, load_id: str, restore: bool = False
    ) -> Any:
        parsed = ParsedLoadJobFileName.parse(file_path)
        if parsed.file_format == "parquet":
            return MysqlLoadDataJob(file_path, self._to_table_object(table))
        return super().create_load_job(table, file_path, load_id, restore)


class mysql_load_data(sqlalchemy):  # named in lower case like dlt's destination factories
    """dlt's ``sqlalchemy`` destination for MySQL/MariaDB with the LOAD DATA Parquet job."""

    @property
    def client_class(self) -> type[SqlalchemyJobClient]:
        return MysqlLoadDataClient
