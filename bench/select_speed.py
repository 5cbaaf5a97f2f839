"""Parts (b), (c) and (d) of the SELECT benchmark: scan speed, loading CPU, scan memory.

(b) A full scan with a predicate the API cannot apply, mjquery against the baseline people use
    today: a sequential ``mailjet-rest`` loop over pages of 1,000 that keeps the same rows.
    Both run against the same sandbox server (another process, 50 ms per request); the figure is
    the ratio of their wall times in the same run. Then mjquery again against a server that
    answers 429 above a request rate, to show the query still succeeds (429s are retried).
(c) CPU seconds to load the same API pages into DuckDB: mjquery's real path (the engine, over
    the recorded HTTP bodies replayed from memory) and its loading step alone
    (:class:`mjquery.engine.loader.TableLoader`), against DuckDB's own ``read_json`` of the same
    bytes. CPU time is the process's (all threads: DuckDB's too).
(d) Peak resident memory of a child process running mjquery over a full scan of the messages
    (the sandbox lives in another process): the child's own ``VmHWM``, cross-checked with
    ``/usr/bin/time``.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET

PAGE_SIZE = 1000
_HERE = Path(__file__).resolve()

#: Part (b)'s query: ``DeliveredCount`` has no API filter, so every contact must be read.
SCAN_SQL = "SELECT * FROM Contact WHERE DeliveredCount >= 5"


def scan_predicate(row: dict[str, Any]) -> bool:
    """SCAN_SQL's WHERE clause, for the baseline loop."""
    return row.get("DeliveredCount") is not None and row["DeliveredCount"] >= 5


#: Part (d)'s query: a full scan of every message (Status is a column, not an API filter).
MESSAGE_SCAN_SQL = (
    "SELECT Status, COUNT(*) AS messages, AVG(MessageSize) AS avg_size, "
    "MAX(ArrivedAt) AS last_arrived FROM Message GROUP BY Status ORDER BY messages DESC"
)


# ---------------------------------------------------------------------------------- (b) scan


@dataclass(frozen=True)
class ScanRun:
    """One run of the scan: who ran it, wall time, rows kept and requests."""

    runner: str
    elapsed_s: float
    rows: int
    requests: int  # as the server counted them
    throttled: int = 0  # 429 answers the server gave during the run
    retries: int | None = None  # the mjquery client's own count
    error: str | None = None
    cpu_s: float | None = None  # CPU seconds of this process during the run (all its threads)


def mailjet_rest_scan(
    url: str, predicate: Callable[[dict[str, Any]], bool] = scan_predicate
) -> tuple[float, list[int], float]:
    """The baseline: the official client, one page of 1,000 after another, rows kept in Python."""
    from mailjet_rest import Client

    client = Client(auth=(DEMO_API_KEY, DEMO_API_SECRET), version="v3", api_url=url + "/")
    started, cpu = time.perf_counter(), time.process_time()
    kept: list[int] = []
    offset = 0
    while True:
        response = client.contact.get(filters={"Limit": PAGE_SIZE, "Offset": offset})
        if response.status_code != 200:
            raise RuntimeError(f"mailjet-rest got HTTP {response.status_code} at Offset={offset}")
        data = response.json()["Data"]
        kept.extend(row["ID"] for row in data if predicate(row))
        if len(data) < PAGE_SIZE:
            break
        offset += PAGE_SIZE
    return time.perf_counter() - started, kept, time.process_time() - cpu


def mjquery_scan(
    url: str, sql: str = SCAN_SQL, **options: Any
) -> tuple[float, list[int], Any, Any, float]:
    """mjquery over the same server: (wall seconds, ids, statement stats, client stats, CPU seconds)."""
    import mjquery

    conn = mjquery.connect(
        api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, base_url=url, cache_ttl=0, **options
    )
    try:
        cursor = conn.cursor()
        started, cpu = time.perf_counter(), time.process_time()
        cursor.execute(sql)
        rows = cursor.fetchall()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        id_index = [d[0] for d in cursor.description].index("ID")
        return elapsed, [row[id_index] for row in rows], cursor.stats, conn.api.stats, cpu
    finally:
        conn.close()


@dataclass(frozen=True)
class PartB:
    baseline: tuple[ScanRun, ...]
    mjquery: tuple[ScanRun, ...]
    limited_baseline: ScanRun | None
    limited: tuple[ScanRun, ...]  # mjquery against the rate-limited server (per client setting)
    rate_limit: float
    same_rows: bool
    contacts: int

    @property
    def limited_floor_s(self) -> float:
        """The least time the rate-limited server allows for the scan: pages / rate."""
        return math.ceil(self.contacts / PAGE_SIZE) / self.rate_limit

    @property
    def baseline_s(self) -> float:
        return statistics.median(r.elapsed_s for r in self.baseline)

    @property
    def mjquery_s(self) -> float:
        return statistics.median(r.elapsed_s for r in self.mjquery)

    @property
    def speedup(self) -> float:
        return self.baseline_s / self.mjquery_s


def _served(counter: Any) -> tuple[int, int]:
    served = counter.count()
    return served.requests, served.throttled


def run_part_b(
    server: Any,
    limited: Any | None,
    repeats: int,
    contacts: int,
    log: Callable[[str], None] = print,
) -> PartB:
    """Baseline and mjquery alternately, ``repeats`` times each, then the rate-limited runs."""
    from bench.select_suite import ProcessLogCounter

    counter = ProcessLogCounter(server)
    baseline: list[ScanRun] = []
    runs: list[ScanRun] = []
    expected: set[int] | None = None
    same = True
    for round_ in range(repeats):
        counter.clear()
        elapsed, kept, cpu = mailjet_rest_scan(server.url)
        requests, throttled = _served(counter)
        baseline.append(
            ScanRun("mailjet-rest loop", elapsed, len(kept), requests, throttled, cpu_s=cpu)
        )
        expected = set(kept)
        log(f"  (b) round {round_ + 1}: mailjet-rest {elapsed:.2f}s, {requests} requests")
        counter.clear()
        elapsed, ids, stats, client, cpu = mjquery_scan(server.url)
        requests, throttled = _served(counter)
        same = same and set(ids) == expected
        runs.append(
            ScanRun("mjquery", elapsed, len(ids), requests, throttled, client.retries, cpu_s=cpu)
        )
        log(
            f"  (b) round {round_ + 1}: mjquery {elapsed:.2f}s, {requests} requests (stats: {stats.requests})"
        )

    limited_runs: list[ScanRun] = []
    limited_baseline = None
    if limited is not None:
        limited_counter = ProcessLogCounter(limited)
        limited_counter.clear()
        error = None
        try:
            elapsed, kept, cpu = mailjet_rest_scan(limited.url)
        except Exception as exc:  # the official client gives up at the first 429: say so
            elapsed, kept, cpu = math.nan, sorted(expected or ()), math.nan
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        requests, throttled = _served(limited_counter)
        limited_baseline = ScanRun(
            "mailjet-rest loop" if error is None else "mailjet-rest loop (stopped at a 429)",
            elapsed,
            len(kept) if error is None else 0,
            requests,
            throttled,
            error=error,
            cpu_s=cpu,
        )
        log(
            f"  (b) rate-limited: mailjet-rest {elapsed:.2f}s, {requests} requests, {throttled} x 429, error {error}"
        )
        for label, options in (
            ("mjquery, default settings", {}),
            (
                f"mjquery, rate_limit_per_second={limited.rate_limit:g}",
                {"rate_limit_per_second": limited.rate_limit},
            ),
        ):
            limited_counter.clear()
            try:
                elapsed, ids, stats, client, cpu = mjquery_scan(limited.url, **options)
                requests, throttled = _served(limited_counter)
                same = same and set(ids) == set(kept)
                limited_runs.append(
                    ScanRun(
                        label, elapsed, len(ids), requests, throttled, client.retries, cpu_s=cpu
                    )
                )
            except Exception as exc:  # the point of the test: report it if a 429 reaches the user
                requests, throttled = _served(limited_counter)
                limited_runs.append(
                    ScanRun(
                        label,
                        math.nan,
                        0,
                        requests,
                        throttled,
                        None,
                        f"{type(exc).__name__}: {exc}",
                    )
                )
            run = limited_runs[-1]
            log(
                f"  (b) rate-limited: {label}: {run.elapsed_s:.2f}s, {run.requests} requests, "
                f"{run.throttled} x 429, retries {run.retries}, error {run.error}"
            )
    return PartB(
        tuple(baseline),
        tuple(runs),
        limited_baseline,
        tuple(limited_runs),
        limited.rate_limit if limited is not None else 0.0,
        same,
        contacts,
    )


# ------------------------------------------------------------------------------- (c) loading


@dataclass(frozen=True)
class RecordedPages:
    """The HTTP bodies of a full read of one resource, as the server sent them."""

    resource: str
    count_body: bytes
    bodies: tuple[bytes, ...]  # offset 0, 1000, 2000, ... (the last one short or empty)
    rows: int

    @property
    def data_arrays(self) -> tuple[bytes, ...]:
        """Each page's ``Data`` array as JSON (what DuckDB's read_json baseline reads)."""
        return tuple(orjson.dumps(orjson.loads(body)["Data"]) for body in self.bodies)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.bodies)


def _get(url: str, params: dict[str, str]) -> bytes:
    request = urllib.request.Request(url + "?" + urllib.parse.urlencode(params))
    token = b64encode(f"{DEMO_API_KEY}:{DEMO_API_SECRET}".encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def record_pages(base_url: str, resource: str = "contact") -> RecordedPages:
    url = f"{base_url}/v3/REST/{resource}"
    count_body = _get(url, {"countOnly": "1"})
    total = orjson.loads(count_body)["Total"]
    bodies = tuple(
        _get(url, {"Limit": str(PAGE_SIZE), "Offset": str(offset)})
        for offset in range(0, total + 1, PAGE_SIZE)
    )
    return RecordedPages(resource, count_body, bodies, total)


def _replay_transport(pages: RecordedPages) -> Any:
    """An httpx transport answering the engine's requests from the recorded bodies."""
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if params.get("countOnly") == "1":
            body = pages.count_body
        else:
            index = int(params.get("Offset", "0")) // PAGE_SIZE
            if params.get("Limit") != str(PAGE_SIZE) or index >= len(pages.bodies):
                body = b'{"Count":0,"Data":[],"Total":0}'
            else:
                body = pages.bodies[index]
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handle)


@dataclass(frozen=True)
class LoadRun:
    """CPU and wall seconds of one way of loading the pages, and the rows it produced."""

    method: str
    cpu_s: float
    wall_s: float
    rows: int


ENGINE = "mjquery engine (CREATE TABLE AS SELECT over the replayed HTTP bodies)"
LOADER = "mjquery loading step alone (TableLoader.append per page)"
CLIENT = "mjquery API client alone (scan_bodies over the replayed HTTP bodies)"
READ_JSON_BODIES = "DuckDB read_json of the HTTP bodies (unnest Data)"
READ_JSON_ARRAYS = "DuckDB read_json of the Data arrays"


class _Clock:
    """CPU (all threads of this process) and wall time of the code inside ``with``."""

    def __enter__(self) -> _Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu_s = time.process_time() - self._cpu
        self.wall_s = time.perf_counter() - self._wall


def load_with_engine(pages: RecordedPages) -> LoadRun:
    """mjquery end to end: a connection over the replayed bodies runs CREATE TABLE AS SELECT.

    Timed: planning, the client's requests and parsing, the loader, DuckDB's CTAS (not connect()).
    """
    import mjquery

    conn = mjquery.connect(
        api_key=DEMO_API_KEY,
        api_secret=DEMO_API_SECRET,
        base_url="http://127.0.0.1:9",
        cache_ttl=0,
        transport=_replay_transport(pages),
    )
    try:
        cursor = conn.cursor()
        with _Clock() as clock:
            cursor.execute(f"CREATE TABLE loaded AS SELECT * FROM {pages.resource}")
        cursor.execute("SELECT COUNT(*) FROM loaded")
        return LoadRun(ENGINE, clock.cpu_s, clock.wall_s, int(cursor.fetchone()[0]))
    finally:
        conn.close()


def read_with_client(pages: RecordedPages) -> LoadRun:
    """The API client's part of the engine path alone: every page's body and row count, not loaded."""
    from mjquery.api import ApiClient, ApiConfig

    config = ApiConfig(
        base_url="http://127.0.0.1:9", api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, cache_ttl=0
    )
    with ApiClient(config, transport=_replay_transport(pages)) as api, _Clock() as clock:
        rows = sum(page.rows for page in api.scan_bodies(f"/v3/REST/{pages.resource}"))
    return LoadRun(CLIENT, clock.cpu_s, clock.wall_s, rows)


def load_with_loader(pages: tuple[tuple[bytes, int], ...], resource: str) -> LoadRun:
    """mjquery's loading step alone: TableLoader.append for each page, as the engine calls it."""
    from mjquery.engine.loader import TableLoader
    from mjquery.schema import load_catalog

    schema = load_catalog().get(resource)
    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    with _Clock() as clock:
        loader = TableLoader(db, "loaded", schema)
        for body, rows in pages:
            loader.append(body, rows)
        loader.flush()  # the engine flushes after the last page
    count = db.execute("SELECT COUNT(*) FROM loaded").fetchall()[0][0]
    db.close()
    return LoadRun(LOADER, clock.cpu_s, clock.wall_s, int(count))


def load_with_read_json(paths: list[str], envelope: bool) -> LoadRun:
    """DuckDB alone: read_json over the same bytes (whole bodies, or the Data arrays)."""
    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    with _Clock() as clock:
        if envelope:
            db.execute(
                "CREATE TABLE loaded AS SELECT unnest(Data, recursive := true) "
                "FROM read_json(?, format = 'auto', maximum_object_size = 268435456)",
                [paths],
            )
        else:
            db.execute(
                "CREATE TABLE loaded AS SELECT * FROM read_json(?, format = 'array', "
                "maximum_object_size = 268435456)",
                [paths],
            )
    count = db.execute("SELECT COUNT(*) FROM loaded").fetchone()[0]
    db.close()
    return LoadRun(
        READ_JSON_BODIES if envelope else READ_JSON_ARRAYS, clock.cpu_s, clock.wall_s, int(count)
    )


@dataclass(frozen=True)
class PartC:
    rows: int
    bytes: int
    runs: dict[str, tuple[LoadRun, ...]]

    def cpu(self, method: str) -> float:
        return statistics.median(r.cpu_s for r in self.runs[method])

    def wall(self, method: str) -> float:
        return statistics.median(r.wall_s for r in self.runs[method])


def run_part_c(base_url: str, repeats: int, log: Callable[[str], None] = print) -> PartC:
    pages = record_pages(base_url, "contact")
    arrays = pages.data_arrays
    counted = tuple((body, len(orjson.loads(body)["Data"])) for body in pages.bodies)
    runs: dict[str, list[LoadRun]] = {
        ENGINE: [],
        CLIENT: [],
        LOADER: [],
        READ_JSON_BODIES: [],
        READ_JSON_ARRAYS: [],
    }
    with tempfile.TemporaryDirectory(prefix="mjquery-bench-") as folder:
        body_paths, array_paths = [], []
        for index, (body, array) in enumerate(zip(pages.bodies, arrays, strict=True)):
            if orjson.loads(array):  # read_json of an empty array adds nothing; leave it out
                body_paths.append(os.path.join(folder, f"body-{index:04d}.json"))
                Path(body_paths[-1]).write_bytes(body)
                array_paths.append(os.path.join(folder, f"data-{index:04d}.json"))
                Path(array_paths[-1]).write_bytes(array)
        for round_ in range(repeats):
            # interleaved, so a slow moment of the machine hits every method alike
            runs[READ_JSON_BODIES].append(load_with_read_json(body_paths, True))
            runs[READ_JSON_ARRAYS].append(load_with_read_json(array_paths, False))
            runs[LOADER].append(load_with_loader(counted, "Contact"))
            runs[CLIENT].append(read_with_client(pages))
            runs[ENGINE].append(load_with_engine(pages))
            log(
                f"  (c) round {round_ + 1}: "
                + ", ".join(f"{runs[m][-1].cpu_s:.2f}s CPU ({runs[m][-1].rows} rows)" for m in runs)
            )
    return PartC(pages.rows, pages.size, {m: tuple(r) for m, r in runs.items()})


# -------------------------------------------------------------------------------- (d) memory


@dataclass(frozen=True)
class ChildRun:
    """A child process running one query: its peak RSS and what it reported."""

    sql: str
    peak_rss_mb: float  # VmHWM, reported by the child itself
    time_max_rss_mb: float | None  # /usr/bin/time's "maximum resident set size", when available
    elapsed_s: float
    rows: int
    requests: int
    error: str | None = None


_TIME = "/usr/bin/time"


def run_child(url: str, sql: str) -> ChildRun:
    """Run ``sql`` in a fresh Python process (bench/scan_child.py) and read its peak RSS.

    The child reports its own ``VmHWM``; when ``/usr/bin/time`` exists it wraps the child too, as a
    cross-check. (The parent's ``RUSAGE_CHILDREN`` or ``wait4`` would not do: Linux hands a child
    the high-water mark of the process it was forked from, which is the benchmark itself.)
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_HERE.parent.parent), env.get("PYTHONPATH")) if p
    )
    env["MJ_APIKEY_PUBLIC"], env["MJ_APIKEY_PRIVATE"] = DEMO_API_KEY, DEMO_API_SECRET
    command = [sys.executable, str(_HERE.parent / "scan_child.py"), "--url", url, "--sql", sql]
    with tempfile.TemporaryDirectory(prefix="mjquery-bench-") as folder:
        time_file = os.path.join(folder, "time.txt")
        if os.access(_TIME, os.X_OK):
            command = [_TIME, "-f", "%M", "-o", time_file, *command]
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        time_kb = None
        if os.path.exists(time_file):
            lines = Path(time_file).read_text().split()
            time_kb = int(lines[-1]) if lines and lines[-1].isdigit() else None
    time_mb = time_kb / 1024 if time_kb is not None else None
    if done.returncode != 0:
        return ChildRun(
            sql,
            math.nan,
            time_mb,
            math.nan,
            0,
            0,
            done.stderr.decode(errors="replace").strip()[-500:],
        )
    report = json.loads(done.stdout)
    peak = report["peak_rss_kb"] / 1024 if report.get("peak_rss_kb") else math.nan
    return ChildRun(sql, peak, time_mb, report["elapsed_s"], report["rows"], report["requests"])


@dataclass(frozen=True)
class PartD:
    idle: ChildRun
    scan: ChildRun
    messages: int
    served: int


def run_part_d(server: Any, messages: int, log: Callable[[str], None] = print) -> PartD:
    from bench.select_suite import ProcessLogCounter

    counter = ProcessLogCounter(server)
    idle = run_child(server.url, "SELECT 1")
    log(f"  (d) idle child: {idle.peak_rss_mb:.0f} MB (time: {idle.time_max_rss_mb})")
    counter.clear()
    scan = run_child(server.url, MESSAGE_SCAN_SQL)
    served = counter.count().requests
    log(
        f"  (d) message scan: {scan.peak_rss_mb:.0f} MB peak (time: {scan.time_max_rss_mb}), {scan.elapsed_s:.1f}s, {served} requests, "
        f"error {scan.error}"
    )
    return PartD(idle, scan, messages, served)
