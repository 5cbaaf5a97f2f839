"""Where replicated tables go: a target URL, read once into a :class:`Target`.

``--to`` takes SQLAlchemy-style URLs::

    duckdb:///path/file.duckdb           (the default: mailjet.duckdb in the working directory)
    sqlite:///path/file.db
    postgresql://user:pass@host:5432/db  (postgres://, postgresql+psycopg2:// too)
    mysql://user:pass@host:3306/db       (MariaDB too; mariadb://, mysql+pymysql://)
    file:///path/dir                     Parquet files (dlt's filesystem destination)
    NAME://...                           any other dlt destination by name (bigquery, snowflake,
                                         clickhouse, motherduck, mssql...): the URL is its credentials

Each known kind gets the dlt destination and the settings measured best for it (see
``docs/bench-replicate.md``): dlt's own ``duckdb`` and ``postgres`` destinations, its
``sqlalchemy`` destination for SQLite and MySQL/MariaDB with primary keys created (without
them MariaDB's merge, ``DELETE ... WHERE EXISTS`` against the staging table, runs for minutes;
with them SQLite's and MariaDB's merges use the index). The password is handed to dlt in
memory and never printed: :attr:`Target.display` is the URL with ``***`` in its place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from mjquery.errors import InterfaceError

DEFAULT_TARGET = "duckdb:///mailjet.duckdb"
DEFAULT_DATASET = "mailjet"


class TargetKind(enum.StrEnum):
    DUCKDB = "duckdb"
    SQLITE = "sqlite"
    POSTGRES = "postgres"
    MYSQL = "mysql"
    FILES = "files"  # Parquet files through dlt's filesystem destination
    OTHER = "other"  # any other dlt destination, by name


_SCHEMES: dict[str, TargetKind] = {
    "duckdb": TargetKind.DUCKDB,
    "sqlite": TargetKind.SQLITE,
    "postgresql": TargetKind.POSTGRES,
    "postgres": TargetKind.POSTGRES,
    "postgresql+psycopg2": TargetKind.POSTGRES,
    "postgresql+psycopg": TargetKind.POSTGRES,
    "mysql": TargetKind.MYSQL,
    "mariadb": TargetKind.MYSQL,
    "mysql+pymysql": TargetKind.MYSQL,
    "mariadb+pymysql": TargetKind.MYSQL,
    "file": TargetKind.FILES,
}


@dataclass(frozen=True)
class Target:
    """A parsed target URL. ``url`` holds the password: never print it, print ``display``."""

    kind: TargetKind
    url: str = field(repr=False)
    display: str
    dataset: str
    scheme: str

    @property
    def has_schemas(self) -> bool:
        """Whether tables go to a schema/dataset of their own (not SQLite's or MySQL's)."""
        return self.kind in (TargetKind.DUCKDB, TargetKind.POSTGRES, TargetKind.OTHER)

    @property
    def password(self) -> str | None:
        parts = urlsplit(self.url)
        return unquote(parts.password) if parts.password else None

    def destination(self) -> Any:
        """The dlt destination for this target, with its measured settings."""
        from mjquery.replicate.dltenv import isolated_dlt

        isolated_dlt()
        from dlt.common.destination import Destination
        from dlt.destinations import duckdb, filesystem, postgres

        parts = urlsplit(self.url)
        if self.kind is TargetKind.DUCKDB:
            from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

            duck = DuckDbCredentials(_local_path(parts))
            # a missing table must be an error, never a Python variable of that name picked up
            # by DuckDB's replacement scans (`List` would find typing.List)
            duck.global_config = {"python_enable_replacements": False}
            return duckdb(credentials=duck)
        if self.kind is TargetKind.SQLITE:
            from mjquery.replicate.bulk_load import bulk_sqlalchemy

            return bulk_sqlalchemy(
                credentials="sqlite:///" + _local_path(parts), create_primary_keys=True
            )
        if self.kind is TargetKind.POSTGRES:
            from dlt.destinations.impl.postgres.configuration import PostgresCredentials

            credentials = PostgresCredentials()
            credentials.parse_native_representation(urlunsplit(("postgresql", *tuple(parts)[1:])))
            # dlt requires a password even where the server trusts the client (trust, peer)
            credentials.password = credentials.password or ""
            return postgres(credentials=credentials)
        if self.kind is TargetKind.MYSQL:
            from mjquery.replicate.bulk_load import bulk_sqlalchemy

            # connect without a database: the dataset is the database, dlt creates it if missing;
            # local_infile: the Parquet job sends its rows with LOAD DATA LOCAL INFILE
            query = "&".join(q for q in (parts.query, "local_infile=1") if q)
            return bulk_sqlalchemy(
                credentials=urlunsplit(("mysql+pymysql", parts.netloc, "", query, "")),
                create_primary_keys=True,
            )
        if self.kind is TargetKind.FILES:
            return filesystem(bucket_url=self.url)
        return Destination.from_reference(self.scheme, credentials=self.url)

    @property
    def loader_file_format(self) -> str | None:
        if self.kind is TargetKind.FILES:
            return "parquet"
        if self.kind is TargetKind.POSTGRES:
            # Arrow batches go as Parquet files through ADBC's COPY (adbc-driver-postgresql):
            # measured 2.4x dlt's default INSERT statements (docs/bench-replicate.md). dlt's CSV
            # COPY path would turn "" into NULL (FORCE_NULL); Parquet keeps "" and NULL apart.
            return "parquet"
        if self.kind in (TargetKind.MYSQL, TargetKind.SQLITE):
            # loaded by mjquery.replicate.bulk_load: LOAD DATA LOCAL INFILE, sqlite3 executemany
            return "parquet"
        return None


def parse_target(url: str | None, dataset: str | None = None) -> Target:
    """Read ``--to`` (None: the default DuckDB file) and ``--dataset``."""
    text = (url or DEFAULT_TARGET).strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not scheme or "://" not in text:
        raise InterfaceError(
            f"--to {_masked(text)!r} is not a URL; use e.g. duckdb:///mailjet.duckdb, "
            "sqlite:///mailjet.db, postgresql://user@host/db or mysql://user@host/db"
        )
    kind = _SCHEMES.get(scheme, TargetKind.OTHER)
    if kind is TargetKind.OTHER:
        _check_dlt_destination(scheme, text)
    if kind in (TargetKind.DUCKDB, TargetKind.SQLITE) and not _local_path(parts):
        raise InterfaceError(f"--to {text!r} names no file; use {scheme}:///path/to/file")
    if kind in (TargetKind.POSTGRES, TargetKind.MYSQL) and not parts.hostname:
        raise InterfaceError(f"--to {_masked(text)!r} names no host")
    if dataset is None:
        if kind is TargetKind.SQLITE:
            dataset = "main"  # SQLite has no schemas: the tables go into the file itself
        elif kind is TargetKind.MYSQL:
            # MySQL's schemas are databases: the tables go into the database of the URL
            dataset = parts.path.strip("/") or DEFAULT_DATASET
        elif kind is TargetKind.DUCKDB and Path(_local_path(parts)).stem == DEFAULT_DATASET:
            # DuckDB names the file's catalog after it: a schema of the same name would make
            # every `mailjet.x` ambiguous. In `main`, `mailjet.contact` resolves to the table.
            dataset = "main"
        else:
            dataset = DEFAULT_DATASET
    elif kind is TargetKind.DUCKDB and dataset == Path(_local_path(parts)).stem:
        raise InterfaceError(
            f"--dataset {dataset}: DuckDB names the catalog of {Path(_local_path(parts)).name} "
            f"{dataset!r} already, so a schema of that name would make every {dataset}.table "
            "ambiguous; leave --dataset out (the tables go to its main schema and "
            f"{dataset}.contact finds them) or choose another name"
        )
    if not dataset or not all(c.isalnum() or c == "_" for c in dataset):
        raise InterfaceError(f"--dataset {dataset!r}: use letters, digits and underscores")
    return Target(kind=kind, url=text, display=_masked(text), dataset=dataset, scheme=scheme)


def _local_path(parts: Any) -> str:
    """The file of ``duckdb:///path`` / ``sqlite:///path`` (relative paths: ``duckdb:///x.db``)."""
    path = unquote(parts.netloc + parts.path)
    if path.startswith("/") and not parts.netloc and not path.startswith("//"):
        # sqlite:///relative.db -> "/relative.db"; sqlite:////abs.db -> "//abs.db"
        path = path[1:]
    elif path.startswith("//"):
        path = path[1:]
    # absolute: dlt would resolve a relative path against its own working directory
    return str(Path(path).expanduser().absolute()) if path else ""


def _masked(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def _check_dlt_destination(scheme: str, text: str) -> None:
    from mjquery.replicate.dltenv import isolated_dlt

    isolated_dlt()
    from dlt.common.destination import Destination

    try:
        Destination.from_reference(scheme)
    except Exception as exc:
        raise InterfaceError(
            f"--to {_masked(text)!r}: {scheme!r} is not a database mjquery or dlt knows "
            "(duckdb, sqlite, postgresql, mysql, file, or a dlt destination name such as "
            "bigquery, snowflake, clickhouse, motherduck)"
        ) from exc
