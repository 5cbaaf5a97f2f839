"""Import a file into a table: CSV, TSV, JSON or JSON lines, every row reported by its line.

``import_file(client, "new.csv", into="Contact", list_name="Newsletter")`` reads the file,
matches its columns to the table's (by name, case-insensitive, or by ``mapping``), checks every
row (a bad value rejects that row only), inserts the others through the write path (bulk jobs
for many contacts), and writes the rows that are not on the server to
``<input>.rejected.<ext>``: the original columns plus ``line`` (the row's line in the file) and
``error``, ready to fix and import again.

An import has INSERT semantics. A row whose natural key exists already (a contact's Email) is
left as it is — with ``list_name`` it is still added to the list, which is what a list import is
for — and counted as "already existed"; ``upsert=True`` updates such objects instead. Of two
rows of the file with the same key, the second is rejected as a duplicate of the first.

With ``journal=<path>`` the import keeps a journal of what it sent and what the server confirmed
(:mod:`mjquery.writes.journal`); running the same import again resumes it.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mjquery.api.client import ApiClient
from mjquery.errors import DataError, ProgrammingError, closest
from mjquery.schema.catalog import CatalogLike
from mjquery.schema.model import Column, ObjectSchema, Operation
from mjquery.writes.execute import prepare, run
from mjquery.writes.journal import Journal, JournalKey, Resumed, file_digest
from mjquery.writes.lookup import natural_key
from mjquery.writes.plan import (
    OnConflict,
    Outcome,
    RowFailure,
    RowWrite,
    WriteObserver,
    WriteOptions,
    WritePlan,
)
from mjquery.writes.validate import property_value, validate

#: Delimiters a CSV file is checked for when none is given.
CSV_DELIMITERS = (",", ";", "\t", "|")


class FileFormat(enum.StrEnum):
    """The formats an import reads (and writes its rejected rows in)."""

    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"

    @classmethod
    def for_path(cls, path: str | os.PathLike[str], explicit: str | None = None) -> FileFormat:
        """The format named (``ndjson`` is JSON lines), or the one the extension says."""
        name = (explicit or Path(path).suffix.lstrip(".")).lower()
        name = {"ndjson": "jsonl", "txt": "csv"}.get(name, name)
        try:
            return cls(name)
        except ValueError:
            raise ProgrammingError(
                f"cannot import {os.fspath(path)!r}: use a .csv, .tsv, .json or .jsonl file "
                "(or name the format)"
            ) from None


@dataclass(frozen=True)
class SourceRow:
    """One record of the file: the line it starts on, its values, and what to write back."""

    line: int
    values: Mapping[str, Any]
    raw: Sequence[Any] | Mapping[str, Any] | str  # CSV cells, a JSON object, or a bad line
    problem: str = ""  # set when the record itself cannot be read (bad JSON, too many cells)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: FileFormat
    columns: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    delimiter: str = ","


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits a CSV header into the most columns (``,`` when none does)."""
    best, widest = ",", 1
    for candidate in CSV_DELIMITERS:
        width = len(next(csv.reader([header_line], delimiter=candidate), []))
        if width > widest:
            best, widest = candidate, width
    return best


def read_source(
    path: str | os.PathLike[str], fmt: FileFormat | None = None, delimiter: str | None = None
) -> SourceFile:
    """The records of ``path`` with their line numbers (the header is line 1)."""
    source = Path(path)
    fmt = fmt or FileFormat.for_path(source)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProgrammingError(
            f"{source}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    if fmt in (FileFormat.CSV, FileFormat.TSV):
        if delimiter is None:
            first = text.split("\n", 1)[0]
            delimiter = "\t" if fmt is FileFormat.TSV else detect_delimiter(first)
        if len(delimiter) != 1:
            raise ProgrammingError(f"The delimiter must be one character, not {delimiter!r}")
        return _read_csv(source, fmt, text, delimiter)
    if fmt is FileFormat.JSONL:
        return _read_jsonl(source, text)
    return _read_json(source, text)


def _read_csv(source: Path, fmt: FileFormat, text: str, delimiter: str) -> SourceFile:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = tuple(next(reader, ()))
    if not header:
        raise ProgrammingError(f"{source}: no header row")
    seen: dict[str, int] = {}
    for position, name in enumerate(header, 1):
        first = seen.setdefault(name.strip().lower(), position)
        if first != position:
            # which of the two holds the value? Refuse rather than pick one silently
            raise ProgrammingError(
                f"{source}: the header names {name!r} twice (columns {first} and {position}); "
                "rename one of them"
            )
    rows: list[SourceRow] = []
    previous = reader.line_num
    for record in reader:
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        problem = ""
        if len(record) > len(header):
            problem = f"{len(record)} cells but the header has {len(header)} columns"
        values = {
            name: (record[i] if i < len(record) and record[i] != "" else None)
            for i, name in enumerate(header)
        }
        rows.append(SourceRow(line, values, tuple(record), problem))
    return SourceFile(source, fmt, header, tuple(rows), delimiter)


def _read_jsonl(source: Path, text: str) -> SourceFile:
    rows: list[SourceRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(
                SourceRow(number, {}, line, f"not valid JSON ({exc.msg}, column {exc.colno})")
            )
            continue
        if not isinstance(record, dict):
            rows.append(SourceRow(number, {}, line, "not a JSON object"))
            continue
        rows.append(SourceRow(number, record, record))
    return SourceFile(source, FileFormat.JSONL, _keys(rows), tuple(rows))


def _read_json(source: Path, text: str) -> SourceFile:
    """A JSON array of objects; each object's line is where it starts."""
    decoder = json.JSONDecoder()
    position, line, counted = 0, 1, 0

    def skip() -> int:
        nonlocal position
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        return position

    def line_at(offset: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    rows: list[SourceRow] = []
    try:
        if skip() >= len(text) or text[position] != "[":
            raise ProgrammingError(
                f"{source}: a JSON import is an array of objects: [{{...}}, ...]"
            )
        position += 1
        while skip() < len(text) and text[position] != "]":
            start = position
            record, position = decoder.raw_decode(text, start)
            number = line_at(start)
            if isinstance(record, dict):
                rows.append(SourceRow(number, record, record))
            else:
                rows.append(SourceRow(number, {}, json.dumps(record), "not a JSON object"))
            if skip() < len(text) and text[position] == ",":
                position += 1
    except json.JSONDecodeError as exc:
        raise ProgrammingError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    return SourceFile(source, FileFormat.JSON, _keys(rows), tuple(rows))


def _keys(rows: Sequence[SourceRow]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for r in rows for k in r.values))


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProgress:
    """Rows sent so far (``submitted``) and rows whose outcome is final (``confirmed``)."""

    total: int
    submitted: int
    confirmed: int

    def describe(self) -> str:
        return f"{self.submitted:,} submitted, {self.confirmed:,} confirmed of {self.total:,} rows"


class EventKind(enum.StrEnum):
    RESUMED = "resumed"  # an interrupted import of the same file is resumed
    JOB = "job"  # a bulk job was submitted or ended (shown with --verbose)


@dataclass(frozen=True)
class ImportEvent:
    kind: EventKind
    text: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did, row by row (file lines). ``rejected`` holds every row not on the
    server, and those whose outcome is unknown (their message says so)."""

    path: str
    table: str
    read: int
    written: int  # rows this run put on the server (new objects, and updates with upsert)
    rejected: tuple[RowFailure, ...] = ()
    rejected_path: str | None = None
    ignored_columns: tuple[str, ...] = ()
    requests: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)  # file column -> table column
    updated: int = 0  # of ``written``: existing objects updated (upsert)
    existed: int = 0  # rows whose object existed and was left as it was
    earlier: int = 0  # rows an interrupted run of this import had put on the server
    list_name: str | None = None
    journal_path: str | None = None  # kept when rows were left unknown
    job_ids: tuple[int, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)  # file column -> property

    @property
    def unknown(self) -> tuple[RowFailure, ...]:
        return tuple(f for f in self.rejected if f.outcome is Outcome.UNKNOWN)

    def summary(self) -> str:
        done = self.written + self.earlier
        text = f"imported {done:,} of {self.read:,} rows into {self.table}"
        notes = []
        if self.updated:
            notes.append(f"{self.updated:,} existing updated")
        if self.earlier:
            notes.append(f"{self.earlier:,} by the interrupted run this one resumed")
        if notes:
            text += f" ({'; '.join(notes)})"
        if self.existed:
            kept = (
                f"left unchanged, added to {self.list_name}" if self.list_name else "left unchanged"
            )
            text += f"; {self.existed:,} already existed ({kept})"
        refused = len(self.rejected) - len(self.unknown)
        if self.unknown:
            text += f"; {len(self.unknown):,} outcome unknown"
        if refused:
            text += f"; {refused:,} rejected"
        if self.rejected:
            text += f", see {self.rejected_path}"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return text


def rejected_path_for(path: str | os.PathLike[str], fmt: FileFormat | None = None) -> Path:
    """``contacts.csv`` → ``contacts.rejected.csv`` next to it (same format)."""
    source = Path(path)
    suffix = source.suffix or f".{(fmt or FileFormat.CSV).value}"
    return source.with_name(f"{source.stem}.rejected{suffix}")


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["email_address=Email", "full name=Name"]`` → ``{"email_address": "Email", ...}``."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ProgrammingError(f"--map takes column=Column, not {item!r}")
        mapping[source.strip()] = target.strip()
    return mapping


# -- the import ----------------------------------------------------------------------------------


class _Watcher(WriteObserver):
    """Maps the write path's row indexes to file lines for the journal, progress and events."""

    def __init__(
        self,
        lines: Sequence[int],
        total: int,
        already: int,
        journal: Journal | None,
        progress: Callable[[ImportProgress], None] | None,
        on_event: Callable[[ImportEvent], None] | None,
    ) -> None:
        self.lines = lines
        self.total = total
        self.journal = journal
        self.progress = progress
        self.on_event = on_event
        self.lock = threading.Lock()
        self.sent: set[int] = set()
        self.confirmed: set[int] = set()
        self.already = already  # rows settled before any request (rejected, resumed)

    def _tell(self) -> None:
        if self.progress is not None:
            with self.lock:
                state = ImportProgress(
                    self.total, self.already + len(self.sent), self.already + len(self.confirmed)
                )
            self.progress(state)

    def _span(self, rows: Sequence[int]) -> str:
        lines = sorted(self.lines[i] for i in rows)
        return f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"

    def sending(self, rows: tuple[int, ...]) -> None:
        with self.lock:
            self.sent.update(rows)
        if self.journal is not None:
            self.journal.sending(self.lines[i] for i in rows)
        self._tell()

    def submitted(self, rows: tuple[int, ...], job_id: int | None) -> None:
        with self.lock:
            self.sent.update(rows)
        if self.journal is not None:
            self.journal.submitted((self.lines[i] for i in rows), job_id)
        if self.on_event is not None and (job_id is not None or len(rows) > 1):
            name = f"job {job_id}" if job_id is not None else "a bulk job (no ID)"
            self.on_event(
                ImportEvent(
                    EventKind.JOB, f"{name}: {len(rows):,} rows submitted ({self._span(rows)})"
                )
            )
        self._tell()

    def job_finished(
        self, job_id: int | None, status: str, rows: tuple[int, ...], refused: tuple[int, ...]
    ) -> None:
        if status.lower() == "completed":
            # Confirmed by the job's own report; the read-back at the end has the last word.
            with self.lock:
                self.confirmed.update(set(rows) - set(refused))
            self._tell()
        if self.journal is not None:
            self.journal.job_finished(
                job_id, status, [self.lines[i] for i in rows], [self.lines[i] for i in refused]
            )
        if self.on_event is not None:
            name = f"job {job_id}" if job_id is not None else "a bulk job (no ID)"
            named = f", {len(refused):,} rows named in its error file" if refused else ""
            self.on_event(
                ImportEvent(EventKind.JOB, f"{name}: {status or 'status unknown'}{named}")
            )

    def settled(self, outcomes: Mapping[int, Outcome]) -> None:
        with self.lock:
            self.confirmed.update(outcomes)
            self.sent.update(outcomes)
        if self.journal is not None:
            self.journal.settled({self.lines[i]: o for i, o in outcomes.items()})
        self._tell()


def import_file(
    client: ApiClient,
    path: str | os.PathLike[str],
    into: str,
    *,
    catalog: CatalogLike | None = None,
    list_name: str | None = None,
    list_id: int | None = None,
    mapping: Mapping[str, str] | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    upsert: bool = False,
    options: WriteOptions = WriteOptions(),
    journal: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: Callable[[ImportProgress], None] | None = None,
    on_event: Callable[[ImportEvent], None] | None = None,
) -> ImportReport:
    """Insert the rows of a file into ``into``; rows not on the server go to the rejected file.

    ``list_name``/``list_id`` (Contact only): add the contacts to that list, existing ones too.
    ``upsert``: update objects that exist already instead of leaving them. ``journal``: keep a
    journal there, and resume from it when it holds an interrupted run of the same import;
    ``resume=True`` insists that it does.
    """
    if catalog is None:
        from mjquery.schema.catalog import load_catalog
        from mjquery.schema.properties import ConnectionCatalog, definitions_from_rows

        # the account's contact properties, read only if --map names one
        catalog = ConnectionCatalog(
            load_catalog(),
            lambda: definitions_from_rows(
                row for rows in client.scan("/v3/REST/contactmetadata") for row in rows
            ),
        )
    before = client.stats.requests
    schema = catalog.get(into)
    fmt = FileFormat.for_path(path, format)
    source = read_source(path, fmt, delimiter)
    mapping = dict(mapping or {})
    properties, property_map = contact_properties_mapping(schema, catalog, source, mapping)
    columns, ignored = match_columns(schema, source, mapping)
    ignored = tuple(name for name in ignored if name not in property_map)
    if list_name is not None or list_id is not None:
        if schema.resource != "contact":
            raise ProgrammingError("--list only applies to imports into Contact")
        if list_id is None:
            list_id = find_list(client, list_name or "")
    on_conflict = OnConflict.UPDATE if upsert else OnConflict.IGNORE
    if upsert:
        _check_upsert(schema)

    book: Journal | None = None
    resumed = Resumed()
    if journal is not None:
        key = JournalKey(
            str(source.path.resolve()),
            file_digest(source.path),
            schema.name,
            list_id,
            "upsert" if upsert else "insert",
        )
        book = Journal.open(Path(journal), key, len(source.rows))
        resumed = book.resumed
    if resume and not resumed.found:
        if book is not None:
            book.finish(keep=False)
        raise ProgrammingError(
            f"nothing to resume: no interrupted import of {source.path} into {schema.name}"
            + (" with this list" if list_id is not None else "")
            + " was found (the file may have changed since)"
        )
    if resumed.found and on_event is not None:
        on_event(
            ImportEvent(
                EventKind.RESUMED,
                f"resuming the import of {source.path} interrupted after {resumed.started}: "
                f"{len(resumed.done):,} rows already confirmed are skipped (journal {book.path if book else ''})",
            )
        )

    rejected: list[tuple[SourceRow, RowFailure]] = []
    todo: list[SourceRow] = []
    plan_rows: list[RowWrite] = []
    for row in source.rows:
        if row.line in resumed.done:
            continue
        label = _row_label(row, columns)
        if row.problem:
            rejected.append((row, RowFailure(-1, label, f"line {row.line}: {row.problem}")))
            continue
        values: dict[str, Any] = {column: row.values.get(name) for name, column in columns.items()}
        write = RowWrite(values, origin=f"line {row.line}")
        try:
            if property_map and properties is not None:
                # contact properties of --map: checked against their types; an empty cell
                # leaves the property as it is
                values["Properties"] = {
                    column.name: property_value(
                        properties, column, row.values[name], f"line {row.line}"
                    )
                    for name, column in property_map.items()
                    if row.values.get(name) not in (None, "")
                }
            # One row at a time: a bad value rejects its row only; a structural problem
            # (unknown table or column, a required column missing from the file) stops the import.
            validate(
                WritePlan(schema.name, Operation.INSERT, (write,), list_id=list_id),
                schema,
                options=options,
                defined_properties=(),
            )
        except DataError as exc:
            rejected.append((row, RowFailure(-1, label, str(exc))))
            continue
        todo.append(row)
        plan_rows.append(write)

    written = updated = existed = earlier = 0
    job_ids: tuple[int, ...] = ()
    keep_journal = False
    try:
        if plan_rows:
            plan = WritePlan(
                schema.name,
                Operation.INSERT,
                tuple(plan_rows),
                list_id=list_id,
                on_conflict=on_conflict,
            )
            watcher = _Watcher(
                [r.line for r in todo],
                len(source.rows),
                len(source.rows) - len(todo),
                book,
                progress,
                on_event,
            )
            prepared = prepare(plan, catalog, client, options)
            result = run(prepared, client, options, observer=watcher)
            job_ids = result.job_ids
            updated_rows = set(result.updated)
            for index in result.written_indexes:
                written += 1
                updated += index in updated_rows
            for index in result.existed:
                if todo[index].line in resumed.pending:
                    earlier += 1  # sent by the interrupted run, found on the server now
                else:
                    existed += 1
            for failure in result.failed:
                row = todo[failure.row_index]
                rejected.append(
                    (
                        row,
                        RowFailure(
                            -1,
                            _row_label(row, columns),
                            failure.message,
                            failure.error,
                            failure.outcome,
                        ),
                    )
                )
                keep_journal = keep_journal or failure.outcome is Outcome.UNKNOWN
    except BaseException:
        if book is not None:
            book.close()  # interrupted or failed: the journal stays, to resume from
        raise
    earlier += len(resumed.written & {r.line for r in source.rows})
    existed += len((resumed.done - resumed.written) & {r.line for r in source.rows})
    rejected.sort(key=lambda item: item[0].line)
    failures = tuple(
        RowFailure(row.line, f.key, f.message, f.error, f.outcome) for row, f in rejected
    )
    target = rejected_path_for(source.path, source.format)
    rejected_file: str | None = None
    if failures:
        write_rejected(target, source, [(row, f.message) for row, f in rejected])
        rejected_file = os.fspath(target)
    elif target.exists():
        target.unlink()  # a stale file from an earlier run would be misleading
    if book is not None:
        book.finish(keep=keep_journal)
    return ImportReport(
        os.fspath(path),
        schema.name,
        len(source.rows),
        written,
        failures,
        rejected_file,
        ignored,
        client.stats.requests - before,
        columns,
        updated=updated,
        existed=existed,
        earlier=earlier,
        list_name=list_name if list_name is not None else (str(list_id) if list_id else None),
        journal_path=os.fspath(book.path) if book is not None and keep_journal else None,
        job_ids=job_ids,
        properties={name: column.name for name, column in property_map.items()},
    )


def _check_upsert(schema: ObjectSchema) -> None:
    if not natural_key(schema):
        raise ProgrammingError(
            f"--upsert needs a natural key to find existing rows, and {schema.name} has none"
        )
    if schema.write_rule(Operation.UPDATE) is None:
        raise ProgrammingError(f"--upsert: {schema.name} allows no UPDATE")


def write_rejected(target: Path, source: SourceFile, rows: Sequence[tuple[SourceRow, str]]) -> None:
    """The rejected rows in the input's own format, each with its ``line`` and ``error``."""
    if source.format in (FileFormat.CSV, FileFormat.TSV):
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=source.delimiter)
            writer.writerow((*source.columns, "line", "error"))
            for row, message in rows:
                cells = (
                    list(row.raw)
                    if isinstance(row.raw, Sequence) and not isinstance(row.raw, str)
                    else []
                )
                cells += [""] * (len(source.columns) - len(cells))
                writer.writerow((*cells, row.line, message))
        return
    records = []
    for row, message in rows:
        base: dict[str, Any] = dict(row.raw) if isinstance(row.raw, Mapping) else {"text": row.raw}
        records.append({**base, "line": row.line, "error": message})
    with target.open("wb") as handle:
        if source.format is FileFormat.JSONL:
            for record in records:
                handle.write(orjson.dumps(record) + b"\n")
        else:
            handle.write(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n")


def _row_label(row: SourceRow, columns: Mapping[str, str]) -> str:
    for name, column in columns.items():
        if column.lower() == "email" and row.values.get(name):
            return f"line {row.line} (Email {row.values[name]})"
    return f"line {row.line}"


def contact_properties_mapping(
    schema: ObjectSchema, catalog: CatalogLike, source: SourceFile, mapping: dict[str, str]
) -> tuple[ObjectSchema | None, dict[str, Column]]:
    """The ``--map file_column=Property`` items of an import into Contact that name contact
    properties, taken out of ``mapping``: the table of property columns (ContactProperties,
    as the connection sees it) and file column -> property column.

    A target that is a Contact column stays a column. The account's properties are read only
    when a target is not a Contact column (one GET of ContactMetadata).
    """
    if schema.resource != "contact":
        return None, {}
    wanted = {
        name: target
        for name, target in mapping.items()
        if schema.column(target) is None and target.lower() != "contactslist"
    }
    if not wanted:
        return None, {}
    table = next((o for o in catalog.objects if o.property_columns), None)
    if table is None or not hasattr(catalog, "refresh"):
        return None, {}  # a catalog without the account's properties: columns only
    properties = catalog.get(table.name)
    lowered_header = {h.lower(): h for h in source.columns}
    found: dict[str, Column] = {}
    for name, target in wanted.items():
        column = properties.column(target)
        if column is None or not column.property:
            names = properties.property_column_names
            suggestion = closest(target, [*schema.column_names, *names])
            raise ProgrammingError(
                f"--map {name}={target}: {schema.name} has no column {target!r} and the account "
                "no contact property of that name"
                + (f". Did you mean {suggestion!r}?" if suggestion else "")
                + " (define a property first: INSERT INTO ContactMetadata (Name, Datatype, "
                f"NameSpace) VALUES ('{target}', 'str', 'static'))"
            )
        if name.lower() not in lowered_header:
            raise ProgrammingError(
                f"--map {name}={target}: the file has no column {name!r} "
                f"(it has {', '.join(source.columns)})"
            )
        found[lowered_header[name.lower()]] = column
        del mapping[name]
    return properties, found


def match_columns(
    schema: ObjectSchema, source: SourceFile, mapping: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """File column → table column, and the file columns that match nothing."""
    header = source.columns
    lowered_header = {h.lower(): h for h in header}
    columns: dict[str, str] = {}
    for name, target in mapping.items():
        if name.lower() not in lowered_header:
            raise ProgrammingError(
                f"--map {name}={target}: the file has no column {name!r} "
                f"(it has {', '.join(header)})"
            )
        column = schema.column(target) or (
            schema.pseudo_column(target) if target.lower() == "contactslist" else None
        )
        if column is None:
            raise ProgrammingError(f"--map {name}={target}: {schema.name} has no column {target!r}")
        columns[lowered_header[name.lower()]] = column.name
    ignored = []
    for name in header:
        if name in columns:
            continue
        column = schema.column(name)
        if column is not None and column.name not in columns.values():
            columns[name] = column.name
        else:
            ignored.append(name)
    if header and not columns:
        raise ProgrammingError(_no_columns_message(schema, source))
    return columns, tuple(ignored)


def _no_columns_message(schema: ObjectSchema, source: SourceFile) -> str:
    text = (
        f"{source.path}: no column of the file matches a column of {schema.name} "
        f"(the file has {', '.join(source.columns)[:120]}; {schema.name} has "
        f"{', '.join(schema.column_names[:8])}...)."
    )
    if source.format in (FileFormat.CSV, FileFormat.TSV) and len(source.columns) == 1:
        for candidate in CSV_DELIMITERS:
            if candidate != source.delimiter and candidate in source.columns[0]:
                shown = "\\t" if candidate == "\t" else candidate
                return text + f" Is the delimiter {shown!r}? Give it with --delimiter '{shown}'."
    return text + " Map columns with --map file_column=Column."


def find_list(client: ApiClient, name: str) -> int:
    """The ID of the (not deleted) contact list called ``name``."""
    page = client.get("/v3/REST/contactslist", {"Name": name, "IsDeleted": "false"})
    # The API's Name filter is not exact (case): compare again here.
    matches = [r for r in page.data if str(r.get("Name")) == name] or [
        r for r in page.data if str(r.get("Name", "")).lower() == name.lower()
    ]
    if not matches:
        raise ProgrammingError(
            f"No contact list named {name!r}. Create it first: "
            f"INSERT INTO List (Name) VALUES ('{name}')"
        )
    return int(matches[0]["ID"])
