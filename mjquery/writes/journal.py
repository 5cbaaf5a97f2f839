"""The import journal: which rows of a file an import sent and which the server confirmed.

An import of 10,000 contacts takes minutes; killed half-way (Ctrl-C, a closed laptop, SIGKILL),
it must be possible to tell what happened and to finish it. The journal is a JSON-lines file,
one event per line, appended and flushed as the import goes (a killed process loses nothing the
operating system already holds):

``start``       the input (absolute path, size, SHA-256), the table, the list and the mode
``sending``     the file lines of a bulk job about to be posted (it may land unanswered)
``submitted``   the file lines a request or a bulk job carried, with the job's ID when known
``job``         a bulk job ended (or its status could not be read): ID, status, the lines its
                error file names
``settled``     lines whose outcome is final, as read back from the server
``finished``    the import ended; the journal is then removed, unless rows were left unknown

Running the same import again (same file, table, list and mode) resumes it: lines settled as
written or existing are skipped, and lines that were sent but never settled are looked up like
any other — found on the server, they count as imported by the interrupted run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from mjquery.writes.plan import Outcome

#: Outcomes that put a line on the server: a resumed import skips them.
_DONE = frozenset({Outcome.WRITTEN, Outcome.EXISTED})


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class JournalKey:
    """What identifies an import: the same key resumes the same journal."""

    input: str  # absolute path of the file
    sha256: str
    table: str
    list_id: int | None
    mode: str  # "insert" or "upsert"

    def matches(self, header: Mapping[str, Any]) -> bool:
        return all(header.get(name) == value for name, value in self.fields().items())

    def fields(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "sha256": self.sha256,
            "table": self.table,
            "list_id": self.list_id,
            "mode": self.mode,
        }


def journal_path(state_dir: Path, source: Path, table: str, list_ref: str | int | None) -> Path:
    """``<state>/imports/<file stem>-<hash>.jsonl``: one journal per file, table and list."""
    where = f"{source.resolve()}\0{table}\0{list_ref}"
    tag = hashlib.sha256(where.encode()).hexdigest()[:12]
    return state_dir / "imports" / f"{source.stem}-{tag}.jsonl"


@dataclass(frozen=True)
class Resumed:
    """What an earlier, interrupted run of the same import left (file line numbers).

    ``done``: lines settled on the server (written by that run, or existing already).
    ``written``: those of them that run wrote. ``pending``: lines sent but never settled (or
    settled as "outcome unknown").
    """

    started: str = ""
    done: frozenset[int] = frozenset()
    written: frozenset[int] = frozenset()
    pending: frozenset[int] = frozenset()
    jobs: tuple[int, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.started)


@dataclass
class Journal:
    """An open journal; each method appends one event. Thread-safe."""

    path: Path
    resumed: Resumed = field(default_factory=Resumed)
    _handle: IO[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: Path, key: JournalKey, rows: int) -> Journal:
        """Resume the journal at ``path`` if it is of the same import, else start a new one."""
        resumed = read_journal(path, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = cls(path, resumed)
        if resumed.found:
            journal._handle = path.open("ab")
            journal._append({"event": "resumed", "at": _now()})
        else:
            journal._handle = path.open("wb")
            journal._append({"event": "start", "at": _now(), "rows": rows, **key.fields()})
        return journal

    def _append(self, event: Mapping[str, Any]) -> None:
        with self._lock:
            if self._handle is None:
                return
            self._handle.write(orjson.dumps(event) + b"\n")
            self._handle.flush()

    def sending(self, lines: Iterable[int]) -> None:
        self._append({"event": "sending", "lines": sorted(lines)})

    def submitted(self, lines: Iterable[int], job_id: int | None) -> None:
        self._append({"event": "submitted", "job": job_id, "lines": sorted(lines)})

    def job_finished(
        self, job_id: int | None, status: str, lines: Iterable[int], refused: Iterable[int]
    ) -> None:
        self._append(
            {
                "event": "job",
                "job": job_id,
                "status": status,
                "lines": sorted(lines),
                "refused": sorted(refused),
            }
        )

    def settled(self, outcomes: Mapping[int, Outcome]) -> None:
        by_outcome: dict[str, list[int]] = {}
        for line, outcome in outcomes.items():
            by_outcome.setdefault(outcome.value, []).append(line)
        self._append({"event": "settled", **{k: sorted(v) for k, v in by_outcome.items()}})

    def finish(self, *, keep: bool) -> None:
        """Close the journal; remove it unless ``keep`` (rows left unknown)."""
        self._append({"event": "finished", "at": _now()})
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()
        if not keep:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close without finishing (the import stopped on an error): the journal stays."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


def read_journal(path: Path, key: JournalKey) -> Resumed:
    """The state an earlier run of the same import left at ``path`` (empty when none)."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return Resumed()
    events: list[dict[str, Any]] = []
    for raw in lines:
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # a line cut short when the process died
        if isinstance(event, dict):
            events.append(event)
    if not events or events[0].get("event") != "start" or not key.matches(events[0]):
        return Resumed()
    if any(e.get("event") == "finished" for e in events) and not any(
        e.get("event") == "settled" and e.get(Outcome.UNKNOWN.value) for e in events
    ):
        return Resumed()
    sent: set[int] = set()
    final: dict[int, str] = {}
    jobs: list[int] = []
    for event in events:
        kind = event.get("event")
        if kind in ("sending", "submitted"):
            sent.update(int(n) for n in event.get("lines", ()))
            if event.get("job") is not None:
                jobs.append(int(event["job"]))
        elif kind == "job" and str(event.get("status", "")).lower() == "completed":
            # Lines a completed job reports done count as confirmed until a read-back says more.
            refused = {int(n) for n in event.get("refused", ())}
            for n in event.get("lines", ()):
                if int(n) not in refused:
                    final.setdefault(int(n), Outcome.WRITTEN.value)
        elif kind == "settled":
            for outcome in Outcome:
                for n in event.get(outcome.value, ()):
                    final[int(n)] = outcome.value
    done = {n for n, o in final.items() if Outcome(o) in _DONE}
    unknown = Outcome.UNKNOWN.value
    written = {n for n, o in final.items() if o == Outcome.WRITTEN.value}
    return Resumed(
        started=str(events[0].get("at", "")),
        done=frozenset(done),
        written=frozenset(written),
        # sent and never settled, or settled as unknown: found on the server now, they are
        # that run's rows (not objects that existed before the import)
        pending=frozenset(n for n in sent if final.get(n, unknown) == unknown),
        jobs=tuple(jobs),
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
