"""The ``mjquery`` SQLAlchemy dialect over the DB-API module.

SQL is compiled as DuckDB reads it, which is PostgreSQL's grammar with a few differences handled
here (regular expressions, ``LIMIT ALL``, no ``SERIAL``), so a Core ``select()`` reaches the
planner in the same shape as typed SQL and gets the same pushdown. INSERT/UPDATE/DELETE on a
Mailjet object go through the write path with its rules; ``executemany`` (what
``DataFrame.to_sql`` uses) becomes one write, with bulk jobs for many contacts.

Writes are applied when they run: COMMIT does nothing, and ROLLBACK, which SQLAlchemy also issues
whenever a connection goes back to its pool, cannot undo them and does nothing either (the
isolation level is AUTOCOMMIT, the only one offered). Local tables live in each connection's own
DuckDB database; the engine keeps one connection per thread, so a thread sees the local tables it
made through any of its ``engine.connect()`` calls.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import exc, pool, sql
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql.base import (
    PGCompiler,
    PGDDLCompiler,
    PGIdentifierPreparer,
    PGTypeCompiler,
)
from sqlalchemy.engine import default, reflection
from sqlalchemy.engine.interfaces import (
    IsolationLevel,
    ReflectedColumn,
    ReflectedForeignKeyConstraint,
    ReflectedIndex,
    ReflectedPrimaryKeyConstraint,
    ReflectedTableComment,
    ReflectedUniqueConstraint,
)
from sqlalchemy.engine.url import URL
from sqlalchemy.sql import compiler
from sqlalchemy.sql.ddl import CreateTable, DropTable

import mjquery
from mjquery import errors
from mjquery.engine.views import read_views
from mjquery.schema.model import ObjectSchema
from mjquery.sqlalchemy import reflection as tables
from mjquery.sqlalchemy import types as mjtypes
from mjquery.sqlalchemy.url import settings_from_url

#: The one schema: Mailjet objects and the connection's local tables are both in it.
DEFAULT_SCHEMA = "main"
#: SQLAlchemy's generic types that DuckDB spells its own way (see mjquery.sqlalchemy.types).
TYPE_ADAPTATIONS: dict[type[Any], type[Any]] = {
    sqltypes.Interval: mjtypes.Interval,
    sqltypes.JSON.JSONPathType: mjtypes.JSONPathType,
}
#: The comment on the sequences that number autoincrementing keys of local tables.
KEY_SEQUENCE_COMMENT = "mjquery: numbers an autoincrementing key"
#: The comment on the sequences that number Identity() columns (then " ALWAYS" if so).
IDENTITY_SEQUENCE_COMMENT = "mjquery: numbers an identity column"
#: What both comments start with.
NUMBERING_COMMENT = "mjquery: numbers "
#: A statement, not a name (no local table is looked up for it).
_QUERY_TEXT = re.compile(r"^\s*(SELECT|WITH|SHOW|DESCRIBE|EXPLAIN|VALUES|FROM)\s", re.IGNORECASE)


class MjqueryCompiler(PGCompiler):
    """PostgreSQL's SQL compiler, where DuckDB's grammar differs from it."""

    def visit_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        # DuckDB's ``~`` matches the whole string; SQLAlchemy's regexp_match searches, as
        # regexp_matches does.
        return self._regexp_call("regexp_matches", binary, kw)

    def visit_not_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return "NOT " + self._regexp_call("regexp_matches", binary, kw)

    def _regexp_call(self, function: str, binary: Any, kw: dict[str, Any]) -> str:
        flags = binary.modifiers.get("flags")
        arguments = [self.process(binary.left, **kw), self.process(binary.right, **kw)]
        if flags is not None:
            arguments.append(self.render_literal_value(flags, sqltypes.STRINGTYPE))  # type: ignore[no-untyped-call]
        return f"{function}({', '.join(arguments)})"

    def visit_floordiv_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        # DuckDB's "/" divides exactly; "//" is its integer division
        left, right = binary.left.type._type_affinity, binary.right.type._type_affinity
        if left is sqltypes.Integer and right is sqltypes.Integer:
            return f"{self.process(binary.left, **kw)} // {self.process(binary.right, **kw)}"
        return f"FLOOR({self.process(binary.left, **kw)} / {self.process(binary.right, **kw)})"

    def visit_bitwise_xor_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        # PostgreSQL's "#" is not DuckDB's: its XOR is a function
        return f"xor({self.process(binary.left, **kw)}, {self.process(binary.right, **kw)})"

    def visit_json_path_getitem_op_binary(
        self, binary: Any, operator: Any, _cast_applied: bool = False, **kw: Any
    ) -> str:
        # DuckDB's -> and ->> take a JSONPath (bound by types.JSONPathType) where PostgreSQL
        # has #> and #>>; a typed element is cast from the text, as PostgreSQL's compiler does
        if not _cast_applied and binary.type._type_affinity is not sqltypes.JSON:
            kw["_cast_applied"] = True
            return self.process(sql.cast(binary, binary.type), **kw)
        kw["eager_grouping"] = True
        return self._generate_generic_binary(binary, " -> " if not _cast_applied else " ->> ", **kw)

    def limit_clause(self, select: Any, **kw: Any) -> str:
        # PostgreSQL writes OFFSET without LIMIT as "LIMIT ALL OFFSET n"; DuckDB needs no LIMIT.
        text = ""
        if select._limit_clause is not None:
            text += " \n LIMIT " + self.process(select._limit_clause, **kw)
        if select._offset_clause is not None:
            text += " OFFSET " + self.process(select._offset_clause, **kw)
        return text

    def for_update_clause(self, select: Any, **kw: Any) -> str:
        return ""  # no row locks: writes to Mailjet are single requests, DuckDB has no FOR UPDATE


@dataclass(frozen=True)
class NumberedColumn:
    """A local table's column numbered by a DuckDB sequence: its autoincrementing integer key,
    or a column with ``Identity()``. DuckDB has no SERIAL nor IDENTITY, so the column is
    ``DEFAULT nextval('<table>_<col>_seq')``, the sequence created before the table and dropped
    after it (:class:`MjqueryExecutionContext`)."""

    column: Any
    sequence: str  # quoted, with its schema when the table has one

    @property
    def comment(self) -> str:
        """How the sequence is marked: reflection tells an identity from a plain key by it, and
        get_sequence_names() leaves both out (they are not the user's own sequences)."""
        identity = self.column.identity
        if identity is None:
            return KEY_SEQUENCE_COMMENT
        return IDENTITY_SEQUENCE_COMMENT + (" ALWAYS" if identity.always else "")

    @property
    def options(self) -> str:
        """CREATE SEQUENCE options from the column's ``Identity(...)``."""
        identity = self.column.identity
        if identity is None:
            return ""
        words = []
        for keyword, value in (
            ("START WITH", identity.start),
            ("INCREMENT BY", identity.increment),
            ("MINVALUE", identity.minvalue),
            ("MAXVALUE", identity.maxvalue),
        ):
            if value is not None:
                words.append(f"{keyword} {int(value)}")
        if identity.nominvalue:
            words.append("NO MINVALUE")
        if identity.nomaxvalue:
            words.append("NO MAXVALUE")
        if identity.cycle:
            words.append("CYCLE")
        return "".join(" " + word for word in words)


def numbered_columns(table: Any, preparer: Any) -> list[NumberedColumn]:
    """The columns of ``table`` that a sequence numbers (see :class:`NumberedColumn`)."""
    found = []
    for column in table.columns:
        if column.identity is not None:
            numbered = column.server_default is column.identity or column.server_default is None
        elif column is table._autoincrement_column:
            numbered = (
                # a Sequence(optional=True) is for databases without autoincrement: this has it
                (column.default is None or getattr(column.default, "optional", False))
                and column.server_default is None
                and isinstance(column.type._type_affinity, type)
                and issubclass(column.type._type_affinity, sqltypes.Integer)
            )
        else:
            numbered = False
        if numbered:
            name = preparer.quote(f"{table.name}_{column.name}_seq")
            if table.schema:
                name = f"{preparer.quote_schema(table.schema)}.{name}"
            found.append(NumberedColumn(column, str(name)))
    return found


class MjqueryTypeCompiler(PGTypeCompiler):
    """PostgreSQL's type names, except FLOAT (DuckDB's is 4 bytes, PostgreSQL's 8) and INTERVAL."""

    def visit_FLOAT(self, type_: Any, **kw: Any) -> str:
        precision = getattr(type_, "precision", None)
        return "REAL" if precision is not None and precision <= 24 else "DOUBLE"

    def visit_INTERVAL(self, type_: Any, **kw: Any) -> str:
        return "INTERVAL"  # DuckDB's has neither fields nor a precision


class MjqueryDDLCompiler(PGDDLCompiler):
    """DDL for local tables: no SERIAL (see :func:`autoincrement_sequence`)."""

    def get_column_specification(self, column: Any, **kwargs: Any) -> str:
        numbered = next(
            (n for n in numbered_columns(column.table, self.preparer) if n.column is column), None
        )
        if numbered is None:
            return compiler.DDLCompiler.get_column_specification(self, column, **kwargs)
        name = self.sql_compiler.render_literal_value(numbered.sequence, sqltypes.STRINGTYPE)
        kind = self.dialect.type_compiler_instance.process(column.type, type_expression=column)
        return f"{self.preparer.format_column(column)} {kind} DEFAULT nextval({name}) NOT NULL"

    def visit_identity_column(self, identity: Any, **kw: Any) -> str:
        return ""  # numbered by a sequence instead (get_column_specification)


class MjqueryExecutionContext(default.DefaultExecutionContext):
    """Creates a local table's sequences before CREATE TABLE, drops them after DROP TABLE."""

    def pre_exec(self) -> None:
        if self.isddl and isinstance(self.compiled.statement, CreateTable):  # type: ignore[union-attr]
            table = self.compiled.statement.element  # type: ignore[union-attr]
            for numbered in numbered_columns(table, self.dialect.identifier_preparer):
                self.cursor.execute(
                    f"CREATE SEQUENCE IF NOT EXISTS {numbered.sequence}{numbered.options}"
                )
                self.cursor.execute(
                    f"COMMENT ON SEQUENCE {numbered.sequence} IS '{numbered.comment}'"
                )

    def fire_sequence(self, seq: Any, type_: Any) -> Any:
        """The next value of a ``Sequence()`` (an INSERT without RETURNING asks for it first)."""
        name = self.identifier_preparer._format_sequence_string_literal(seq)
        return self._execute_scalar(f"SELECT nextval({name})", type_)

    def post_exec(self) -> None:
        if self.isddl and isinstance(self.compiled.statement, DropTable):  # type: ignore[union-attr]
            table = self.compiled.statement.element  # type: ignore[union-attr]
            for numbered in numbered_columns(table, self.dialect.identifier_preparer):
                self.cursor.execute(f"DROP SEQUENCE IF EXISTS {numbered.sequence}")


class MjqueryIdentifierPreparer(PGIdentifierPreparer):
    """Quote names only when they need it: DuckDB's names are case-insensitive, so ``Contact``
    and ``"Contact"`` are the same table and the SQL reads as users write it."""

    def _requires_quotes(self, value: str) -> bool:
        return (
            value.lower() in self.reserved_words
            or value[0] in self.illegal_initial_characters
            or not self.legal_characters.match(str(value))
        )


class MjqueryDialect(default.DefaultDialect):
    """``mjquery://``: see :mod:`mjquery.sqlalchemy.url` for the URL, docs/sqlalchemy.md for use."""

    name = "mjquery"
    driver = "mjquery"
    supports_statement_cache = True
    default_paramstyle = "qmark"

    statement_compiler = MjqueryCompiler
    ddl_compiler = MjqueryDDLCompiler
    type_compiler_cls = MjqueryTypeCompiler
    preparer = MjqueryIdentifierPreparer
    execution_ctx_cls = MjqueryExecutionContext

    supports_native_boolean = True
    supports_native_decimal = True
    supports_native_uuid = True
    returns_native_bytes = True
    supports_sane_rowcount = True
    supports_sane_multi_rowcount = True
    supports_multivalues_insert = True
    supports_default_values = True
    supports_default_metavalue = True
    supports_empty_insert = False
    supports_comments = True
    inline_comments = False
    supports_server_side_cursors = False  # cursors stream by themselves (fetchmany from DuckDB)
    # Sequence() columns use DuckDB's sequences; an autoincrementing key without one gets its
    # own (numbered_columns), so a Sequence(optional=True) is not needed
    supports_sequences = True
    sequences_optional = True
    supports_native_enum = False
    postfetch_lastrowid = False
    insert_returning = True
    update_returning = True
    delete_returning = True
    # Plain executemany stays executemany, so an INSERT into a Mailjet object becomes one write
    # (bulk jobs for many contacts); multi-row VALUES are only for INSERT ... RETURNING.
    use_insertmanyvalues = True
    use_insertmanyvalues_wo_returning = False
    insert_executemany_returning = True
    div_is_floordiv = False
    max_identifier_length = 255
    default_schema_name = DEFAULT_SCHEMA

    # What PostgreSQL's compilers read from their dialect, answered for DuckDB.
    _backslash_escapes = False
    _supports_jsonb_subscripting = False
    _supports_create_index_concurrently = False
    _supports_drop_index_concurrently = False
    supports_smallserial = False
    supports_identity_columns = False
    supports_virtual_generated_columns = True  # DuckDB's generated columns are VIRTUAL only
    colspecs = TYPE_ADAPTATIONS

    def __init__(
        self,
        json_serializer: Callable[[Any], str] | None = None,
        json_deserializer: Callable[[str], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # create_engine(url, json_serializer=..., json_deserializer=...), as other dialects
        self._json_serializer = json_serializer
        self._json_deserializer = json_deserializer
        self._demo_lock = threading.Lock()
        self._demo_sandbox: Any = None
        self._catalog: Any = None

    @classmethod
    def import_dbapi(cls) -> Any:
        return mjquery

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # One connection per thread, as SQLAlchemy does for SQLite's in-memory databases: the
        # local tables a notebook creates (DataFrame.to_sql, CREATE TABLE) live in a connection's
        # own DuckDB database, so every engine.connect() of a thread must reach the same one.
        return pool.SingletonThreadPool

    # -- connecting -------------------------------------------------------------------------------

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        settings = settings_from_url(url)
        kwargs = dict(settings.kwargs)
        if settings.demo:
            kwargs["demo"] = True
        return [], kwargs

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        if cparams.pop("demo", False) and cparams.get("sandbox") is None:
            # one demo account per engine: what one connection writes, the next one reads
            cparams["sandbox"] = self._shared_sandbox()
        if cparams.get("catalog") is None:
            cparams["catalog"] = self.catalog
        return mjquery.connect(*cargs, **cparams)

    def _shared_sandbox(self) -> Any:
        with self._demo_lock:
            if self._demo_sandbox is None:
                from mjquery.sandbox import Sandbox

                self._demo_sandbox = Sandbox()
            return self._demo_sandbox

    @property
    def catalog(self) -> Any:
        """The schema files, loaded once per engine."""
        if self._catalog is None:
            from mjquery.schema.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def initialize(self, connection: Any) -> None:
        super().initialize(connection)  # no statement is sent: the answers below are known

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return tuple(int(part) for part in mjquery.__version__.split(".") if part.isdigit())

    def _get_default_schema_name(self, connection: Any) -> str:
        return DEFAULT_SCHEMA

    def do_ping(self, dbapi_connection: Any) -> bool:
        return not dbapi_connection.closed  # the API is only reached by statements

    def is_disconnect(self, e: Exception, connection: Any, cursor: Any) -> bool:
        return isinstance(e, errors.InterfaceError) and "is closed" in str(e)

    # -- transactions: none (see the module docstring) --------------------------------------------

    def get_isolation_level_values(self, dbapi_connection: Any) -> list[IsolationLevel]:
        return ["AUTOCOMMIT"]

    def get_isolation_level(self, dbapi_connection: Any) -> IsolationLevel:
        return "AUTOCOMMIT"

    def get_default_isolation_level(self, dbapi_conn: Any) -> IsolationLevel:
        return "AUTOCOMMIT"

    def set_isolation_level(self, dbapi_connection: Any, level: IsolationLevel) -> None:
        if level != "AUTOCOMMIT":
            raise exc.ArgumentError(
                f"mjquery: isolation level {level!r} is not available; writes to Mailjet are "
                "applied at once, so AUTOCOMMIT is the only level."
            )

    def reset_isolation_level(self, dbapi_connection: Any) -> None:
        pass

    def do_begin(self, dbapi_connection: Any) -> None:
        pass

    def do_commit(self, dbapi_connection: Any) -> None:
        dbapi_connection.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        pass  # nothing to undo: see the module docstring

    # -- reflection -------------------------------------------------------------------------------

    def _mailjet(self, table_name: str, schema: str | None) -> ObjectSchema | None:
        if schema not in (None, DEFAULT_SCHEMA):
            return None
        found: ObjectSchema | None = self.catalog.find(table_name)
        return found

    @staticmethod
    def _local_rows(connection: Any, sql: str, parameters: list[Any]) -> list[tuple[Any, ...]]:
        """Rows of a query on the connection's local DuckDB catalog (no API request)."""
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            rows: list[tuple[Any, ...]] = cursor.execute(sql, parameters).fetchall()
            return rows
        finally:
            cursor.close()

    def _local_relations(self, connection: Any, schema: str | None, kind: str) -> list[str]:
        """Names of the connection's own tables (not temporary) or views."""
        source = (
            "SELECT table_name AS name FROM duckdb_tables() WHERE NOT temporary"
            if kind == "table"
            else "SELECT view_name AS name FROM duckdb_views() WHERE NOT internal"
        )
        rows = self._local_rows(
            connection,
            f"SELECT name FROM ({source} AND schema_name = ?) "
            "WHERE NOT regexp_matches(name, '^mjq[a-z_]*[0-9]+_') ORDER BY name",
            [schema or DEFAULT_SCHEMA],
        )
        return [row[0] for row in rows]

    def _unknown(self, table_name: str) -> exc.NoSuchTableError:
        try:
            self.catalog.get(table_name)
        except errors.ProgrammingError as error:
            return exc.NoSuchTableError(f"{table_name}: {error}")
        return exc.NoSuchTableError(table_name)  # pragma: no cover - get() found it after all

    @reflection.cache
    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        return [DEFAULT_SCHEMA]

    @reflection.cache
    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        mailjet = [o.name for o in self.catalog.objects] if schema in (None, DEFAULT_SCHEMA) else []
        return mailjet + self._local_relations(connection, schema, "table")

    def _mailjet_views(self, connection: Any, schema: str | None) -> dict[str, str]:
        """Views over Mailjet tables (mjquery keeps them, not DuckDB): name -> query."""
        if schema not in (None, DEFAULT_SCHEMA):
            return {}
        return read_views(lambda sql, params: self._local_rows(connection, sql, params))

    def _mailjet_view(self, connection: Any, name: str, schema: str | None) -> str | None:
        views = self._mailjet_views(connection, schema)
        return next((q for v, q in views.items() if v.lower() == name.lower()), None)

    @reflection.cache
    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        local = self._local_relations(connection, schema, "view")
        return sorted([*self._mailjet_views(connection, schema), *local])

    @reflection.cache
    def get_temp_table_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        rows = self._local_rows(
            connection,
            "SELECT table_name FROM duckdb_tables() WHERE temporary "
            "AND NOT regexp_matches(table_name, '^mjq[a-z_]*[0-9]+_') ORDER BY table_name",
            [],
        )
        return [row[0] for row in rows]

    @reflection.cache
    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        if self._mailjet(table_name, schema) is not None:
            return True
        if _QUERY_TEXT.match(table_name):
            return False  # pandas.read_sql asks whether its SQL text is a table name
        if self._mailjet_view(connection, table_name, schema) is not None:
            return True
        rows = self._local_rows(
            connection,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND lower(table_name) = lower(?)",
            [schema or DEFAULT_SCHEMA, table_name],
        )
        return bool(rows[0][0])

    @reflection.cache
    def get_sequence_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        """The connection's own sequences (not those numbering autoincrementing keys)."""
        rows = self._local_rows(
            connection,
            "SELECT sequence_name FROM duckdb_sequences() WHERE schema_name = ? AND NOT "
            "coalesce(starts_with(comment, ?), false) ORDER BY sequence_name",
            [schema or DEFAULT_SCHEMA, NUMBERING_COMMENT],
        )
        return [row[0] for row in rows]

    @reflection.cache
    def has_sequence(
        self, connection: Any, sequence_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        rows = self._local_rows(
            connection,
            "SELECT count(*) FROM duckdb_sequences() WHERE schema_name = ? "
            "AND lower(sequence_name) = lower(?)",
            [schema or DEFAULT_SCHEMA, sequence_name],
        )
        return bool(rows[0][0])

    @reflection.cache
    def has_index(
        self,
        connection: Any,
        table_name: str,
        index_name: str,
        schema: str | None = None,
        **kw: Any,
    ) -> bool:
        if not self.has_table(connection, table_name, schema):
            return False
        return any(
            index["name"] == index_name
            for index in self.get_indexes(connection, table_name, schema, **kw)
        )

    @reflection.cache
    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        mailjet = self._mailjet(table_name, schema)
        if mailjet is not None and mailjet.property_columns:
            # ContactProperties: the account's properties, as the connection reads them; when
            # the account cannot be read (a tool reflecting offline) the file's columns, so
            # reflecting the other tables still works
            with contextlib.suppress(mjquery.Error):
                mailjet = connection.connection.dbapi_connection.catalog.get(mailjet.name)
        if mailjet is not None:
            return tables.mailjet_columns(mailjet)
        if self._mailjet_view(connection, table_name, schema) is not None:
            # the view's query described over empty Mailjet tables: no API request
            name = self.identifier_preparer.quote(table_name)
            described = self._local_rows(connection, f"DESCRIBE SELECT * FROM {name}", [])
            return [tables.LocalColumn(row[0], row[1], True, None).reflected() for row in described]
        rows = self._local_rows(
            connection,
            "SELECT column_name, data_type, is_nullable, column_default, comment, "
            "CASE WHEN is_generated THEN generation_expression END "
            "FROM duckdb_columns() WHERE schema_name = ? AND lower(table_name) = lower(?) "
            "ORDER BY column_index",
            [schema or DEFAULT_SCHEMA, table_name],
        )
        if not rows:
            raise self._unknown(table_name)
        identities = {
            name.lower(): tables.SequenceIdentity(comment.endswith(" ALWAYS"), *numbers)
            for name, comment, *numbers in self._local_rows(
                connection,
                "SELECT sequence_name, comment, start_value, increment_by, min_value, max_value, "
                "cycle FROM duckdb_sequences() WHERE schema_name = ? "
                "AND coalesce(starts_with(comment, ?), false)",
                [schema or DEFAULT_SCHEMA, IDENTITY_SEQUENCE_COMMENT],
            )
        }
        columns = []
        for row in rows:
            local = tables.LocalColumn(*row)
            sequence = local.sequence
            identity = identities.get(sequence.lower()) if sequence else None
            columns.append(replace(local, identity=identity).reflected())
        return columns

    def _local_constraints(
        self, connection: Any, table_name: str, schema: str | None, kind: str
    ) -> list[tuple[Any, ...]]:
        return self._local_rows(
            connection,
            "SELECT constraint_name, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() WHERE schema_name = ? "
            "AND lower(table_name) = lower(?) AND constraint_type = ? ORDER BY constraint_index",
            [schema or DEFAULT_SCHEMA, table_name, kind],
        )

    @reflection.cache
    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> ReflectedPrimaryKeyConstraint:
        mailjet = self._mailjet(table_name, schema)
        if mailjet is not None:
            return tables.mailjet_primary_key(mailjet)
        self._require_local(connection, table_name, schema)
        rows = self._local_constraints(connection, table_name, schema, "PRIMARY KEY")
        return ReflectedPrimaryKeyConstraint(
            constrained_columns=list(rows[0][1]) if rows else [], name=None
        )

    @reflection.cache
    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedUniqueConstraint]:
        mailjet = self._mailjet(table_name, schema)
        if mailjet is not None:
            return tables.mailjet_unique_constraints(mailjet)
        self._require_local(connection, table_name, schema)
        return [
            ReflectedUniqueConstraint(name=None, column_names=list(row[1]))
            for row in self._local_constraints(connection, table_name, schema, "UNIQUE")
        ]

    @reflection.cache
    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedForeignKeyConstraint]:
        mailjet = self._mailjet(table_name, schema)
        if mailjet is not None:
            return tables.mailjet_foreign_keys(mailjet, {o.name for o in self.catalog.objects})
        self._require_local(connection, table_name, schema)
        return [
            ReflectedForeignKeyConstraint(
                name=None,
                constrained_columns=list(row[1]),
                referred_schema=None,
                referred_table=row[2],
                referred_columns=list(row[3]),
                options={},
            )
            for row in self._local_constraints(connection, table_name, schema, "FOREIGN KEY")
        ]

    @reflection.cache
    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedIndex]:
        if self._mailjet(table_name, schema) is not None:
            return []  # Mailjet objects have no indexes to show
        self._require_local(connection, table_name, schema)
        rows = self._local_rows(
            connection,
            "SELECT index_name, is_unique, CAST(expressions AS VARCHAR[]) FROM duckdb_indexes() "
            "WHERE schema_name = ? AND lower(table_name) = lower(?) AND NOT is_primary "
            "ORDER BY index_name",
            [schema or DEFAULT_SCHEMA, table_name],
        )
        return [tables.local_index(name, unique, expressions) for name, unique, expressions in rows]

    @reflection.cache
    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[Any]:
        if self._mailjet(table_name, schema) is None:
            self._require_local(connection, table_name, schema)
        return []

    @reflection.cache
    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> ReflectedTableComment:
        mailjet = self._mailjet(table_name, schema)
        if mailjet is not None:
            return ReflectedTableComment(text=mailjet.description or None)
        rows = self._local_rows(
            connection,
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? "
            "AND lower(table_name) = lower(?)",
            [schema or DEFAULT_SCHEMA, table_name],
        )
        if not rows:
            raise self._unknown(table_name)
        return ReflectedTableComment(text=rows[0][0] or None)

    @reflection.cache
    def get_view_definition(
        self, connection: Any, view_name: str, schema: str | None = None, **kw: Any
    ) -> str:
        query = self._mailjet_view(connection, view_name, schema)
        if query is not None:
            return query
        rows = self._local_rows(
            connection,
            "SELECT sql FROM duckdb_views() WHERE schema_name = ? AND lower(view_name) = lower(?)",
            [schema or DEFAULT_SCHEMA, view_name],
        )
        if not rows:
            raise self._unknown(view_name)
        return str(rows[0][0])

    def _require_local(self, connection: Any, table_name: str, schema: str | None) -> None:
        if not self.has_table(connection, table_name, schema):
            raise self._unknown(table_name)
