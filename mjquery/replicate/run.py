"""One replication run: the engine reads, dlt loads, a :class:`ReplicationReport` says what happened.

The run, step by step:

1. The target URL becomes a dlt destination (:mod:`mjquery.replicate.target`) and a pipeline
   whose working directory is under mjquery's state directory (:mod:`mjquery.replicate.dltenv`).
   Its name is derived from the target and dataset, so each target keeps its own state.
2. A load package left by an interrupted run (SIGKILL, power loss) is loaded first: dlt keeps
   it on disk with the watermarks it carries.
3. Each table is extracted on its own (one dlt load package per table): a table whose reads
   fail is reported and its package never built, so its state does not move, while the others
   go on. Before a table is extracted its existing copy is checked for columns of another type.
4. dlt normalises and loads the packages: merge on the primary key, replace for full-refresh
   tables; the watermarks are committed by dlt in the same load.

Nothing here writes to Mailjet: the engine is only asked for SELECTs.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mjquery.errors import DatabaseError, Error, OperationalError, ProgrammingError
from mjquery.replicate.dltenv import dlt_home, isolated_dlt
from mjquery.replicate.plan import STRATEGY_LABEL, choose_tables, strategy_text, window_column
from mjquery.replicate.source import (
    DELETED_COLUMN,
    HASH_COLUMN,
    TableCounts,
    rows_for,
    select_sql,
)
from mjquery.replicate.target import Target, TargetKind, parse_target
from mjquery.schema.model import Incremental, ObjectSchema

SCHEMA_NAME = "mailjet"


class ReplicationError(DatabaseError):
    """Replication could not run, or a table could not be loaded."""


class TargetShapeError(ReplicationError):
    """An existing table in the target has a column of another type than replication writes."""


@dataclass(frozen=True)
class TableReport:
    """One table of a run."""

    table: str  # the Mailjet table (mjquery's name)
    target_table: str  # its name in the target
    strategy: Incremental
    mode: str  # "full", "incremental", or "plan" (dry run)
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    plan: str = ""  # dry run: the requests the read would make (EXPLAIN)
    watermark: str | None = None  # time-window / newest-first: the largest value loaded

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ReplicationReport:
    """The outcome of :func:`replicate`: one :class:`TableReport` per table."""

    target: str  # the target URL without its password
    dataset: str
    tables: tuple[TableReport, ...]
    extract_seconds: float = 0.0
    load_seconds: float = 0.0  # dlt's normalize + load steps (the rows' way into the target)
    rows_loaded: int = 0
    dry_run: bool = False

    @property
    def failed(self) -> tuple[TableReport, ...]:
        return tuple(t for t in self.tables if not t.ok)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Progress:
    """What a progress display shows: the table being read, or the table being loaded."""

    table: str
    phase: str  # "reading", "loading", "done"
    pages_done: int = 0
    pages_expected: int | None = None
    rows: int = 0  # reading: rows read so far; loading: the rows of the table being loaded
    started: float = field(default_factory=time.monotonic)  # when this phase began
    rows_loaded: int = 0  # loading: rows already in the target (tables loaded before this one)
    rows_to_load: int = 0  # loading: the rows of every table this run loads
    table_number: int = 0  # this table's place among ``tables`` (1-based)
    tables: int = 0


ProgressCallback = Callable[[Progress], None]


def replicate(
    connection: Any,
    to: str | None = None,
    tables: Sequence[str] | None = None,
    *,
    full: bool = False,
    replace: bool = False,
    dry_run: bool = False,
    keep_names: bool = False,
    dataset: str | None = None,
    progress: ProgressCallback | None = None,
    batch_rows: int = 50_000,
) -> ReplicationReport:
    """Copy Mailjet tables into the database at ``to`` (default ``duckdb:///mailjet.duckdb``).

    ``tables``: mjquery table names (default: every replicable table). The first run copies
    everything, later runs are incremental by each table's strategy; ``full`` reads and writes
    every row again (rows gone from Mailjet are deleted), ``full`` with ``replace`` drops and
    recreates the tables first. ``dry_run`` reads nothing and writes nothing: the report says
    per table whether the run would be full or incremental and which requests it would make.
    """
    if replace and not full:
        raise ProgrammingError("replace=True (--replace) is only allowed with full=True (--full)")
    engine = connection.engine
    schemas = choose_tables(engine.catalog, tables)
    target = parse_target(to, dataset)
    run = _Run(engine, target, keep_names, progress, batch_rows)
    if dry_run:
        return run.plan_only(schemas, full)
    return run.execute(schemas, full=full, replace=replace)


class _Run:
    def __init__(
        self,
        engine: Any,
        target: Target,
        keep_names: bool,
        progress: ProgressCallback | None,
        batch_rows: int,
    ) -> None:
        self.engine = engine
        self.target = target
        self.keep_names = keep_names
        self.progress = progress
        self.batch_rows = batch_rows
        self.dlt = isolated_dlt()
        self.naming = _naming(keep_names)

    # -- names ---------------------------------------------------------------------------------

    def table_name(self, schema: ObjectSchema) -> str:
        return str(self.naming.normalize_table_identifier(schema.name))

    def column_name(self, name: str) -> str:
        return str(self.naming.normalize_identifier(name))

    # -- the pipeline ----------------------------------------------------------------------------

    def pipeline(self, progress: Any = None) -> Any:
        # the name identifies the target and dataset (never the password): one state per target
        identity = f"{self.target.display}|{self.target.dataset}|{self.keep_names}"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        with _dlt_errors(self.target):
            return self.dlt.pipeline(
                pipeline_name=f"mjquery_{digest}",
                destination=self.target.destination(),
                dataset_name=self.target.dataset,
                pipelines_dir=str(dlt_home() / "pipelines"),
                **({"progress": progress} if progress is not None else {}),
            )

    def schema(self) -> Any:
        return self.dlt.Schema(
            SCHEMA_NAME, normalizers={"names": "direct" if self.keep_names else "snake_case"}
        )

    # -- dry run -------------------------------------------------------------------------------

    def plan_only(self, schemas: Sequence[ObjectSchema], full: bool) -> ReplicationReport:
        pipeline = self.pipeline()
        state = _resource_states(pipeline)
        existing = self._existing_tables(pipeline, schemas)
        reports = []
        for schema in schemas:
            name = self.table_name(schema)
            incremental = (
                not full
                and name in existing
                and (schema.incremental is not Incremental.FULL_REFRESH)
                and (
                    schema.incremental is Incremental.CHANGED_ROWS
                    or state.get(name, {}).get("watermark") is not None
                )
            )
            sql = select_sql(schema)
            watermark = state.get(name, {}).get("watermark")
            if incremental and watermark and schema.incremental is Incremental.TIME_WINDOW:
                from mjquery.replicate.plan import window_column
                from mjquery.replicate.source import _parse_ts, _q, _ts_literal

                since = _parse_ts(watermark).timestamp() - schema.incremental_overlap_s
                from datetime import UTC, datetime

                sql = select_sql(
                    schema,
                    f"{_q(window_column(schema))} > "
                    f"{_ts_literal(datetime.fromtimestamp(since, UTC))}",
                )
            try:
                plan = self.engine.explain(sql)
                error = None
            except Error as exc:
                plan, error = "", str(exc)
            reports.append(
                TableReport(
                    table=schema.name,
                    target_table=name,
                    strategy=schema.incremental or Incremental.FULL_REFRESH,
                    mode="incremental" if incremental else "full",
                    plan=plan,
                    error=error,
                    watermark=watermark,
                )
            )
        return ReplicationReport(
            self.target.display, self.target.dataset, tuple(reports), dry_run=True
        )

    # -- a real run ------------------------------------------------------------------------------

    def execute(
        self, schemas: Sequence[ObjectSchema], *, full: bool, replace: bool
    ) -> ReplicationReport:
        watch = _LoadWatch(self.progress, len(schemas)) if self.progress is not None else None
        pipeline = self.pipeline(watch.collector() if watch is not None else None)
        with _dlt_errors(self.target):
            pipeline.sync_destination()
            self._finish_interrupted(pipeline)
        states = _resource_states(pipeline)
        existing = self._existing_tables(pipeline, schemas)
        reports: dict[str, TableReport] = {}
        extracted: list[str] = []
        started = time.perf_counter()
        for number, listed in enumerate(schemas, 1):
            # as the connection sees it: ContactProperties with the account's property columns
            # (read now); a property defined since the last run is a new column of the target
            schema = self.engine.catalog.get(listed.name) if listed.property_columns else listed
            report = self._extract_one(
                pipeline, schema, states, existing, full, replace, (number, len(schemas)), watch
            )
            reports[schema.name] = report
            if report.ok:
                extracted.append(schema.name)
        extract_seconds = time.perf_counter() - started
        load_started = time.perf_counter()
        rows_loaded = 0
        if extracted:
            try:
                with _dlt_errors(self.target):
                    normalized = pipeline.normalize()
                    rows_loaded = _rows_in(normalized)
                    if watch is not None:
                        watch.rows_by_table = _rows_by_table(normalized)
                        watch.loading, watch.started = True, time.monotonic()
                    pipeline.load(raise_on_failed_jobs=True)
            except Error as exc:
                for name in extracted:
                    reports[name] = _with_error(reports[name], str(exc))
        load_seconds = time.perf_counter() - load_started
        if self.progress is not None:
            self.progress(Progress("", "done"))
        return ReplicationReport(
            self.target.display,
            self.target.dataset,
            tuple(reports[s.name] for s in schemas),
            extract_seconds=extract_seconds,
            load_seconds=load_seconds,
            rows_loaded=rows_loaded,
        )

    def _finish_interrupted(self, pipeline: Any) -> None:
        """Load what an interrupted run left on disk before reading anything new."""
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
        if pipeline.list_normalized_load_packages():
            pipeline.load(raise_on_failed_jobs=True)

    def _extract_one(
        self,
        pipeline: Any,
        schema: ObjectSchema,
        states: dict[str, dict[str, Any]],
        existing: dict[str, dict[str, str]],
        full: bool,
        replace: bool,
        place: tuple[int, int] = (0, 0),
        watch: _LoadWatch | None = None,
    ) -> TableReport:
        name = self.table_name(schema)
        strategy = schema.incremental or Incremental.FULL_REFRESH
        present = name in existing
        watermark_before = states.get(name, {}).get("watermark")
        incremental = (
            not full
            and present
            and strategy is not Incremental.FULL_REFRESH
            and (strategy is Incremental.CHANGED_ROWS or watermark_before is not None)
            # Parquet files are rewritten, not merged into: a full-read table is written whole
            and not (self.target.kind is TargetKind.FILES and strategy is Incremental.CHANGED_ROWS)
        )
        counts = TableCounts()
        started = time.perf_counter()
        mode = "incremental" if incremental else "full"
        try:
            if present and not replace:
                self._check_shape(schema, name, existing[name])
            if present and replace:
                # dlt's refresh drops only tables it created itself: a table made by someone
                # else (the conflicting shape --replace is for) is dropped here
                with _dlt_errors(self.target, table=name), pipeline.sql_client() as client:
                    client.drop_tables(name)
            resource = self._resource(
                pipeline, schema, counts, full=not incremental, empty=replace or not present
            )
            previous = self.engine.progress, self.engine.rows_progress
            self.engine.progress, self.engine.rows_progress = self._read_progress(
                schema.name, place
            )
            try:
                with _dlt_errors(self.target, table=name):
                    info = pipeline.extract(
                        resource,
                        schema=self._pipeline_schema(pipeline),
                        refresh="drop_resources" if replace else None,
                        loader_file_format=self.target.loader_file_format,
                    )
                if watch is not None:
                    for load_id in getattr(info, "loads_ids", ()):
                        watch.tables[load_id] = (schema.name, name, place[0])
            finally:
                self.engine.progress, self.engine.rows_progress = previous
        except Error as exc:
            return TableReport(
                table=schema.name,
                target_table=name,
                strategy=strategy,
                mode=mode,
                rows_read=counts.rows_read,
                requests=counts.requests,
                seconds=time.perf_counter() - started,
                error=str(exc),
            )
        if strategy is Incremental.FULL_REFRESH and present:
            counts.deleted = _count_rows(pipeline, name) if not replace else 0
        return TableReport(
            table=schema.name,
            target_table=name,
            strategy=strategy,
            mode=mode,
            rows_read=counts.rows_read,
            inserted=counts.inserted,
            updated=counts.updated,
            deleted=counts.deleted,
            requests=counts.requests,
            seconds=time.perf_counter() - started,
            watermark=counts.watermark or watermark_before,
        )

    def _pipeline_schema(self, pipeline: Any) -> Any:
        if SCHEMA_NAME in pipeline.schemas:
            return pipeline.schemas[SCHEMA_NAME]
        return self.schema()

    def _read_progress(
        self, table: str, place: tuple[int, int]
    ) -> tuple[Callable[[int, int | None], None] | None, Callable[[int], None] | None]:
        """The engine's page and row callbacks while ``table`` is read (None: no display)."""
        show = self.progress
        if show is None:
            return None, None
        started = time.monotonic()
        seen = {"pages": 0, "expected": None, "rows": 0}

        def update() -> None:
            show(
                Progress(
                    table,
                    "reading",
                    seen["pages"] or 0,
                    seen["expected"],
                    seen["rows"] or 0,
                    started,
                    table_number=place[0],
                    tables=place[1],
                )
            )

        def pages(done: int, expected: int | None) -> None:
            seen["pages"], seen["expected"] = done, expected
            update()

        def rows(count: int) -> None:
            seen["rows"] = (seen["rows"] or 0) + count
            update()

        return pages, rows

    def _resource(
        self, pipeline: Any, schema: ObjectSchema, counts: TableCounts, *, full: bool, empty: bool
    ) -> Any:
        dlt = self.dlt
        strategy = schema.incremental
        name = self.table_name(schema)
        target = self

        def existing(since: datetime | None) -> Any:
            return target._existing_rows(pipeline, schema, name, since)

        def rows() -> Iterator[Any]:
            state = dlt.current.resource_state()
            yield from rows_for(
                self.engine,
                schema,
                state,
                counts,
                full=full,
                existing=existing,
                batch_rows=self.batch_rows,
            )

        columns: dict[str, Any] = {}
        if strategy is Incremental.FULL_REFRESH or schema.key is None:
            disposition: Any = "replace" if strategy is Incremental.FULL_REFRESH else "append"
        elif self.target.kind is TargetKind.FILES:
            # Parquet files cannot be merged into: full-read tables are rewritten each run
            disposition = "replace" if strategy is Incremental.CHANGED_ROWS else "append"
        else:
            disposition = {"disposition": "merge", "strategy": "delete-insert"}
            if empty:
                # nothing to merge with: the first load (or one after --replace) appends straight
                # into the table instead of going through a staging copy (a second full write);
                # later runs find the table and merge
                disposition = "append"
            if strategy is Incremental.CHANGED_ROWS:
                columns[DELETED_COLUMN] = {"data_type": "bool", "hard_delete": True}
                columns[HASH_COLUMN] = {"data_type": "text"}
        for column in schema.columns:
            if column.name == schema.key:
                columns[column.name] = {"primary_key": True, "nullable": False}
        return dlt.resource(
            rows,
            name=name,
            table_name=name,
            write_disposition=disposition,
            primary_key=schema.key if schema.key and disposition not in ("replace",) else (),
            columns=columns,
            schema_contract={"tables": "evolve", "columns": "evolve", "data_type": "freeze"},
        )()

    # -- reading the target --------------------------------------------------------------------

    def _existing_tables(
        self, pipeline: Any, schemas: Sequence[ObjectSchema]
    ) -> dict[str, dict[str, str]]:
        """The target's tables among ``schemas``' (dlt names), with column -> dlt data type."""
        names = [self.table_name(s) for s in schemas]
        if self.target.kind is TargetKind.FILES:
            # files have no catalog to ask: the tables dlt has loaded there are in its schema
            # (restored from the files themselves by sync_destination)
            known = pipeline.schemas[SCHEMA_NAME].tables if SCHEMA_NAME in pipeline.schemas else {}
            return {
                name: {
                    c: str(spec.get("data_type", "")) for c, spec in known[name]["columns"].items()
                }
                for name in names
                if name in known and known[name].get("columns")
            }
        try:
            with _quiet(), pipeline.destination_client() as client:
                if not client.is_storage_initialized():
                    return {}
                found = {}
                for table, columns in client.get_storage_tables(names):
                    if columns:
                        found[table] = {
                            c: str(spec.get("data_type", "")) for c, spec in columns.items()
                        }
                return found
        except Exception as exc:
            raise _translate(exc, self.target) from exc

    def _existing_rows(
        self, pipeline: Any, schema: ObjectSchema, name: str, since: datetime | None = None
    ) -> Any:
        """The target's (key, hash) pairs for ``schema``'s table, as Arrow; None when absent
        (and for Parquet files, which are appended to without a key lookup).

        ``since``: only the rows whose window column is later (a time-window table's keys that
        the new window can overlap), written as dlt writes its own timestamp literals.
        """
        import pyarrow as pa
        from dlt.common.data_writers.escape import format_datetime_literal

        if self.target.kind is TargetKind.FILES:
            return None
        key = self.column_name(schema.key or "")
        has_hash = schema.incremental is Incremental.CHANGED_ROWS
        try:
            with _quiet(), pipeline.sql_client() as client:
                table = client.make_qualified_table_name(name)
                hash_column = client.escape_column_name(HASH_COLUMN) if has_hash else "NULL"
                known = self._column_exists(pipeline, name, HASH_COLUMN) if has_hash else False
                sql = (
                    f"SELECT {client.escape_column_name(key)}, "
                    f"{hash_column if known else 'NULL'} FROM {table}"
                )
                if since is not None:
                    caps = client.capabilities
                    literal = (caps.format_datetime_literal or format_datetime_literal)(
                        since, caps.timestamp_precision, no_tz=not caps.supports_tz_aware_datetime
                    )
                    column = client.escape_column_name(self.column_name(window_column(schema)))
                    sql += f" WHERE {column} > {literal}"
                rows = client.execute_sql(sql)
        except Exception as exc:
            text = str(exc).lower()
            if "exist" in text or "no such table" in text or "undefined" in text:
                return None
            raise _translate(exc, self.target) from exc
        keys = [r[0] for r in rows or ()]
        hashes = [r[1] for r in rows or ()]
        return pa.table({"k": pa.array(keys, pa.int64()), "h": pa.array(hashes, pa.string())})

    def _column_exists(self, pipeline: Any, table: str, column: str) -> bool:
        with pipeline.destination_client() as client:
            for _, columns in client.get_storage_tables([table]):
                return column in columns
        return False

    def _check_shape(self, schema: ObjectSchema, name: str, found: dict[str, str]) -> None:
        """Refuse a table whose existing columns have another type than the copy needs."""
        for column in schema.columns:
            if column.write_only:
                continue
            target_name = self.column_name(column.name)
            have = found.get(target_name)
            if have is None:
                continue  # a new column: schema evolution adds it
            want = _dlt_type(column.type.value)
            if _family(have) != _family(want):
                raise TargetShapeError(
                    f"table {self.target.dataset}.{name} in {self.target.display} has column "
                    f"{target_name} of type {have}; replication writes {want} there. Rename or "
                    "drop that table, or rerun with --full --replace to recreate it."
                )


# -- helpers -------------------------------------------------------------------------------------


def _naming(keep_names: bool) -> Any:
    from dlt.common.normalizers.naming import direct, snake_case

    return direct.NamingConvention() if keep_names else snake_case.NamingConvention()


def _resource_states(pipeline: Any) -> dict[str, dict[str, Any]]:
    """Each table's stored dlt resource state (watermarks), by target table name."""
    sources = pipeline.state.get("sources", {})
    resources = sources.get(SCHEMA_NAME, {}).get("resources", {})
    return {k: v for k, v in resources.items() if isinstance(v, dict)}


def _rows_in(info: Any) -> int:
    try:
        counts = info.row_counts
    except AttributeError:
        return 0
    return sum(v for k, v in counts.items() if not k.startswith("_dlt"))


def _rows_by_table(info: Any) -> dict[str, int]:
    try:
        counts = info.row_counts
    except AttributeError:
        return {}
    return {k: int(v) for k, v in counts.items() if not k.startswith("_dlt")}


class _LoadWatch:
    """Turns the load step's packages (one per table) into :class:`Progress` updates with the
    rows loaded so far; :meth:`collector` is what dlt is handed (its ``Collector`` interface)."""

    def __init__(self, show: ProgressCallback, tables: int) -> None:
        self.show = show
        self.count = tables
        self.tables: dict[str, tuple[str, str, int]] = {}  # load id -> (table, target, place)
        self.rows_by_table: dict[str, int] = {}
        self.loading = False
        self.rows_loaded = 0
        self.current: tuple[str, int] | None = None  # target table, its rows
        self.started = time.monotonic()

    def _start(self, step: str) -> None:
        if not (self.loading and step.startswith("Load ")):
            return
        found = self.tables.get(step.rsplit(" ", 1)[-1])
        if found is None:
            return
        table, target, place = found
        rows = self.rows_by_table.get(target, 0)
        self.current = (target, rows)
        self.show(
            Progress(
                table,
                "loading",
                rows=rows,
                started=self.started,
                rows_loaded=self.rows_loaded,
                rows_to_load=sum(self.rows_by_table.values()),
                table_number=place,
                tables=self.count,
            )
        )

    def _stop(self) -> None:
        if self.current is not None:
            self.rows_loaded += self.current[1]
            self.current = None

    def collector(self) -> Any:
        """A dlt ``Collector`` calling back here (dlt is imported only once a run starts)."""
        from dlt.common.runtime.collector import NullCollector

        watch = self

        class Collector(NullCollector):
            def _start(self, step: str) -> None:
                watch._start(step)

            def _stop(self) -> None:
                watch._stop()

        return Collector()


def _count_rows(pipeline: Any, name: str) -> int:
    try:
        with _quiet(), pipeline.sql_client() as client:
            rows = client.execute_sql(
                f"SELECT count(*) FROM {client.make_qualified_table_name(name)}"
            )
            return int(rows[0][0]) if rows else 0
    except Exception:
        return 0


def _with_error(report: TableReport, error: str) -> TableReport:
    from dataclasses import replace

    return replace(report, error=error, inserted=0, updated=0, deleted=0, watermark=None)


_DLT_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "bool",
    "VARCHAR": "text",
    "JSON": "text",
    "TIMESTAMP": "timestamp",
}


def _dlt_type(sql_type: str) -> str:
    return _DLT_TYPES[sql_type]


def _family(dlt_type: str) -> str:
    """Types that hold the same values compare equal (MySQL keeps BOOLEAN as TINYINT)."""
    return {
        "bigint": "number",
        "double": "number",
        "decimal": "number",
        "wei": "number",
        "bool": "number",
        "text": "text",
        "json": "text",
        "timestamp": "time",
        "date": "time",
        "time": "time",
        "binary": "binary",
    }.get(dlt_type, dlt_type)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """dlt's own warnings (SQLAlchemy coercions in its merge jobs) are not the user's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _dlt_errors(target: Target, table: str | None = None) -> Iterator[None]:
    """dlt's exceptions as mjquery errors with the password scrubbed (the one boundary for dlt)."""
    try:
        with _quiet():
            yield
    except Error:
        raise
    except Exception as exc:
        if _interrupted(exc):
            # Ctrl-C, wrapped by dlt (PipelineStepFailed; SignalReceivedException once its load
            # jobs drained): the whole run stops, as it would on a crash, not just this table
            raise KeyboardInterrupt from exc
        raise _translate(exc, target, table) from exc


def _interrupted(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, KeyboardInterrupt) or type(cause).__name__ == (
            "SignalReceivedException"
        ):
            return True
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    return False


def _translate(exc: BaseException, target: Target, table: str | None = None) -> Error:
    cause: BaseException = exc
    # dlt wraps the real failure (PipelineStepFailed -> ...): report the innermost one we own
    while True:
        inner = getattr(cause, "exception", None) or cause.__cause__
        if isinstance(inner, Error):
            return inner
        if inner is None or inner is cause:
            break
        cause = inner
    text = " ".join(str(cause).split())
    password = target.password
    if password:
        text = text.replace(password, "***")
    text = text.replace(target.url, target.display)
    if len(text) > 600:
        text = text[:600] + "..."
    contract = type(cause).__name__ == "DataValidationError"
    if contract:
        return TargetShapeError(
            f"table {target.dataset}.{table or '?'} in {target.display}: {text}. "
            "Rerun with --full --replace to recreate the table."
        )
    kind = "could not load into" if table else "could not use"
    where = f"{target.display}" + (f" (table {table})" if table else "")
    return OperationalError(f"replication {kind} {where}: {text}")


__all__ = [
    "STRATEGY_LABEL",
    "Progress",
    "ReplicationError",
    "ReplicationReport",
    "TableReport",
    "TargetShapeError",
    "replicate",
    "strategy_text",
]
