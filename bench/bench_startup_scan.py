"""Start-up and scan-speed benchmarks: ``python bench/bench_startup_scan.py [--quick]``.

Every figure is a ratio against a baseline measured in the same run, rounds interleaved so a
busy moment of the machine hits every contender alike:

(s) start-up of a one-line command: ``mjquery --base-url ... -c "SELECT 1"`` (no request is
    needed), ``mjquery tables`` and ``mjquery --demo -c "SELECT 1"``, against
    ``python -c "import duckdb"`` (the floor of anything that runs SQL in DuckDB from Python);
    wall time and the child's peak RSS (``wait4``); and the peak RSS of ``connect()`` +
    ``SELECT 1`` in a Python process.
(z) a full scan of the contacts with a predicate the API cannot apply
    (``SELECT * FROM Contact WHERE DeliveredCount >= 5``), against the sandbox server in another
    process, at 0 ms and at 50 ms of added latency per request: mjquery against the
    ``mailjet-rest`` loop people write (one page of 1,000 after another) and that loop with the
    rows put in a pandas DataFrame; the floor at 0 ms is the server's own CPU time for the
    pages (what no client can avoid), at 50 ms the latency of the request rounds
    (``ceil(requests / concurrency) x 50 ms``). Then a GROUP BY over every message at 0 ms:
    mjquery's time per row.

The report is printed and written to ``docs/benchmarks-startup-scan.md`` (``--quick``: a smaller
account and fewer rounds; the report then goes to a temporary file unless ``--output`` is
given). Full run: scale 50 (100,000 contacts, 1,000,000 messages).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench import select_speed as speed  # noqa: E402
from bench.sandbox_process import SandboxProcess  # noqa: E402
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

DEFAULT_OUTPUT = _ROOT / "docs" / "benchmarks-startup-scan.md"
MJQUERY = [sys.executable, "-m", "mjquery.cli.main"]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ (s) start-up


@dataclass(frozen=True)
class Started:
    """One run of a command in a child process: wall seconds and peak RSS."""

    wall_s: float
    peak_rss_mb: float


def _run_child(command: list[str], env: dict[str, str]) -> Started:
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed: {error.strip()[-300:]}")
    if proc.stderr is not None:
        proc.stderr.close()
    return Started(wall, usage.ru_maxrss / 1024)


_CONNECT_SELECT_1 = (
    "import resource, mjquery\n"
    "conn = mjquery.connect(api_key='k', api_secret='s', base_url='http://127.0.0.1:9')\n"
    "conn.cursor().execute('SELECT 1').fetchall()\n"
)


@dataclass(frozen=True)
class PartS:
    runs: dict[str, tuple[Started, ...]]

    def wall(self, name: str) -> float:
        return statistics.median(r.wall_s for r in self.runs[name])

    def rss(self, name: str) -> float:
        return statistics.median(r.peak_rss_mb for r in self.runs[name])


BASELINE = 'python -c "import duckdb"'
LOCAL_ONE_LINER = 'mjquery --base-url ... -c "SELECT 1"'
TABLES = "mjquery tables"
DEMO_ONE_LINER = 'mjquery --demo -c "SELECT 1"'
DEMO_QUERY = 'mjquery --demo -c "SELECT COUNT(*) FROM List"'
DEMO_FIRST = 'mjquery --demo -c "SELECT COUNT(*) FROM List", demo account not cached yet'
CONNECT = "connect() + SELECT 1 in Python"


def run_part_s(rounds: int, log: Callable[[str], None]) -> PartS:
    with tempfile.TemporaryDirectory(prefix="mjquery-bench-cache-") as cache:
        return _run_part_s(rounds, log, Path(cache))


def _forget_demo_account(cache: Path) -> None:
    """Remove the cached demo account: the next ``--demo`` builds it, as on its first use."""
    for path in (cache / "mjquery").glob("demo-*.pickle"):
        path.unlink()


def _run_part_s(rounds: int, log: Callable[[str], None], cache: Path) -> PartS:
    # The children's cache folder (compiled catalog, demo account) is the benchmark's own.
    env = dict(os.environ, MJ_APIKEY_PUBLIC="k", MJ_APIKEY_PRIVATE="s", XDG_CACHE_HOME=str(cache))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    # An installed package has its byte-code (pip compiles it); a development shell that set
    # PYTHONDONTWRITEBYTECODE would otherwise time compiling mjquery's sources on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        BASELINE: [sys.executable, "-c", "import duckdb"],
        LOCAL_ONE_LINER: [*MJQUERY, "--base-url", "http://127.0.0.1:9", "-c", "SELECT 1"],
        TABLES: [*MJQUERY, "tables"],
        DEMO_ONE_LINER: [*MJQUERY, "--demo", "-c", "SELECT 1"],
        DEMO_QUERY: [*MJQUERY, "--demo", "-c", "SELECT COUNT(*) FROM List"],
        DEMO_FIRST: [*MJQUERY, "--demo", "-c", "SELECT COUNT(*) FROM List"],
        CONNECT: [sys.executable, "-c", _CONNECT_SELECT_1],
    }
    # once untimed: byte-code, the compiled schema catalog and the demo account written
    for command in commands.values():
        _run_child(command, env)
    runs: dict[str, list[Started]] = {name: [] for name in commands}
    for round_ in range(rounds):
        for name, command in commands.items():
            if name == DEMO_FIRST:
                _forget_demo_account(cache)
            runs[name].append(_run_child(command, env))
        log(
            f"  (s) round {round_ + 1}: "
            + ", ".join(f"{name}: {runs[name][-1].wall_s:.3f}s" for name in commands)
        )
    return PartS({name: tuple(r) for name, r in runs.items()})


# --------------------------------------------------------------------------------- (z) scans


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def mailjet_rest_pandas_scan(url: str) -> tuple[float, int]:
    """The loop people write with pandas: every page into one DataFrame, then the filter."""
    import pandas
    from mailjet_rest import Client

    client = Client(auth=(DEMO_API_KEY, DEMO_API_SECRET), version="v3", api_url=url + "/")
    started = time.perf_counter()
    pages = []
    offset = 0
    while True:
        response = client.contact.get(filters={"Limit": speed.PAGE_SIZE, "Offset": offset})
        if response.status_code != 200:
            raise RuntimeError(f"mailjet-rest got HTTP {response.status_code}")
        data = response.json()["Data"]
        pages.append(pandas.DataFrame(data))
        if len(data) < speed.PAGE_SIZE:
            break
        offset += speed.PAGE_SIZE
    frame = pandas.concat(pages, ignore_index=True)
    kept = frame[frame["DeliveredCount"] >= 5]
    return time.perf_counter() - started, len(kept)


@dataclass(frozen=True)
class Scan:
    runner: str
    wall_s: float
    rows: int
    server_cpu_s: float = math.nan
    requests: int = 0
    client_cpu_s: float = math.nan  # this process's CPU time for the statement (mjquery's)


@dataclass(frozen=True)
class PartZ:
    contacts: int
    messages: int
    concurrency: int
    at_0ms: dict[str, tuple[Scan, ...]]
    at_50ms: dict[str, tuple[Scan, ...]]
    messages_0ms: tuple[Scan, ...]
    same_rows: bool
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def median(runs: tuple[Scan, ...]) -> float:
        return statistics.median(r.wall_s for r in runs)

    def floor_0ms(self) -> float:
        return statistics.median(r.server_cpu_s for r in self.at_0ms[MJQ])

    def requests(self) -> int:
        return self.at_0ms[MJQ][0].requests

    def floor_50ms(self) -> float:
        return math.ceil(self.requests() / self.concurrency) * 0.050

    def chained_floor_50ms(self) -> float:
        """The latency no client can go below with these requests: the first page, then the
        count (asked only once the first page came back full: a result under one page costs
        one request), then the other pages ``concurrency`` at a time."""
        pages_after = max(0, self.requests() - 2)
        return (2 + math.ceil(pages_after / self.concurrency)) * 0.050


MJQ = "mjquery"
LOOP = "mailjet-rest loop"
LOOP_PANDAS = "mailjet-rest loop + pandas"


def run_part_z(
    server: SandboxProcess, rounds: int, settings: Settings, log: Callable[[str], None]
) -> PartZ:
    from bench.select_suite import ProcessLogCounter

    counter = ProcessLogCounter(server)
    concurrency = _concurrency()
    same = True
    results: dict[float, dict[str, list[Scan]]] = {}
    for latency in (0.0, 50.0):
        server.set_latency(latency)
        runs: dict[str, list[Scan]] = {MJQ: [], LOOP: [], LOOP_PANDAS: []}
        for round_ in range(rounds):
            cpu = _server_cpu_s(server.pid)
            counter.clear()
            elapsed, ids, _stats, _client, client_cpu = speed.mjquery_scan(server.url)
            served = counter.count()
            runs[MJQ].append(
                Scan(
                    MJQ,
                    elapsed,
                    len(ids),
                    _server_cpu_s(server.pid) - cpu,
                    served.requests,
                    client_cpu_s=client_cpu,
                )
            )
            elapsed, kept, client_cpu = speed.mailjet_rest_scan(server.url)
            runs[LOOP].append(Scan(LOOP, elapsed, len(kept), client_cpu_s=client_cpu))
            same = same and set(kept) == set(ids)
            elapsed, count = mailjet_rest_pandas_scan(server.url)
            runs[LOOP_PANDAS].append(Scan(LOOP_PANDAS, elapsed, count))
            same = same and count == len(ids)
            log(
                f"  (z) {latency:g} ms round {round_ + 1}: "
                + ", ".join(f"{name} {runs[name][-1].wall_s:.2f}s" for name in runs)
            )
        results[latency] = runs
    server.set_latency(0.0)
    messages: list[Scan] = []
    for round_ in range(max(1, rounds - 1)):
        import mjquery

        conn = mjquery.connect(
            api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, base_url=server.url, cache_ttl=0
        )
        try:
            started, cpu = time.perf_counter(), time.process_time()
            rows = conn.cursor().execute(speed.MESSAGE_SCAN_SQL).fetchall()
            wall = time.perf_counter() - started
            messages.append(Scan(MJQ, wall, len(rows), client_cpu_s=time.process_time() - cpu))
        finally:
            conn.close()
        log(f"  (z) messages round {round_ + 1}: {messages[-1].wall_s:.2f}s")
    return PartZ(
        settings.contacts,
        settings.messages,
        concurrency,
        {k: tuple(v) for k, v in results[0.0].items()},
        {k: tuple(v) for k, v in results[50.0].items()},
        tuple(messages),
        same,
    )


def _cpu(scans: tuple[Scan, ...]) -> str:
    measured = [r.client_cpu_s for r in scans if not math.isnan(r.client_cpu_s)]
    return f"{statistics.median(measured):.2f} s" if measured else "—"


def _concurrency() -> int:
    from mjquery.api.config import DEFAULT_MAX_CONCURRENCY

    return DEFAULT_MAX_CONCURRENCY


# -------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Settings:
    quick: bool
    scale: float
    rounds: int
    startup_rounds: int

    @property
    def contacts(self) -> int:
        return round(speed_contacts_per_scale() * self.scale)

    @property
    def messages(self) -> int:
        return round(20000 * self.scale)

    @property
    def command(self) -> str:
        return "python bench/bench_startup_scan.py" + (" --quick" if self.quick else "")


def speed_contacts_per_scale() -> int:
    return 2000


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(
    settings: Settings,
    s: PartS | None,
    z: PartZ | None,
    started: datetime,
    elapsed_s: float,
    loads: tuple[str, str],
) -> str:
    import duckdb

    lines: list[str] = []
    add = lines.append
    add("# Start-up and scan benchmarks")
    add("")
    add("<!-- Written by `python bench/bench_startup_scan.py`; do not edit by hand. -->")
    add("")
    add(
        f"Run on {started:%Y-%m-%d %H:%M} UTC with `{settings.command}`, "
        f"{elapsed_s / 60:.1f} minutes in all. Every figure is a median over the rounds and every "
        "speed a ratio against a baseline measured in the same run, the contenders taking turns "
        "within each round."
    )
    add("")
    add("| Machine | |")
    add("|---|---|")
    add(f"| CPU cores | {os.cpu_count()} |")
    add(f"| OS | {platform.platform()} |")
    add(f"| Python | {platform.python_version()} |")
    add(f"| duckdb | {duckdb.__version__} |")
    add(f"| mjquery commit | {_commit()} |")
    add(f"| Load average at start / end | {loads[0]} / {loads[1]} |")
    add("")
    add("## Summary")
    add("")
    add("| Goal | Measured | Met |")
    add("|---|---|---|")
    if s is not None:
        ratio = s.wall(LOCAL_ONE_LINER) / s.wall(BASELINE)
        add(
            f"| `{LOCAL_ONE_LINER}` at most 2x `{BASELINE}` | {ratio:.2f}x "
            f"({s.wall(LOCAL_ONE_LINER):.3f} s vs {s.wall(BASELINE):.3f} s) | "
            f"{'yes' if ratio <= 2 else 'no'} |"
        )
        add(
            f"| peak RSS of connect() + SELECT 1 at most 100 MB | {s.rss(CONNECT):.0f} MB | "
            f"{'yes' if s.rss(CONNECT) <= 100 else 'no'} |"
        )
        if DEMO_FIRST in s.runs:
            base = s.wall(BASELINE)
            add(
                "| `--demo`: the account built only when a statement needs it, and cached on "
                f"disk | `{DEMO_ONE_LINER}` {s.wall(DEMO_ONE_LINER) / base:.2f}x `{BASELINE}` "
                f"(nothing built); `{DEMO_QUERY}` {s.wall(DEMO_QUERY) / base:.2f}x (account "
                f"loaded from the cache), {s.wall(DEMO_FIRST) / base:.2f}x on first use "
                f"(built and cached) | "
                f"{'yes' if s.wall(DEMO_QUERY) < s.wall(DEMO_FIRST) else 'no'} |"
            )
    if z is not None:
        ratio0 = z.median(z.at_0ms[MJQ]) / z.median(z.at_0ms[LOOP])
        add(
            f"| full scan of {z.contacts:,} contacts at 0 ms no slower than the mailjet-rest loop | "
            f"{ratio0:.2f}x the loop's time ({z.median(z.at_0ms[MJQ]):.2f} s vs "
            f"{z.median(z.at_0ms[LOOP]):.2f} s) | {'yes' if ratio0 <= 1 else 'no'} |"
        )
        ratio50 = z.median(z.at_50ms[MJQ]) / z.floor_50ms()
        chained = z.chained_floor_50ms()
        add(
            f"| same scan at 50 ms within 1.5x of the floor | {ratio50:.2f}x "
            f"({z.median(z.at_50ms[MJQ]):.2f} s vs {z.floor_50ms():.2f} s); "
            f"{z.median(z.at_50ms[MJQ]) / chained:.2f}x the {chained:.2f} s that first page, "
            f"count and pages in turn take ({chained / z.floor_50ms():.2f}x the floor) | "
            f"{'yes' if ratio50 <= 1.5 else 'no'} |"
        )
        add(
            f"| the same rows as the loops | {'yes' if z.same_rows else 'no'} | "
            f"{'yes' if z.same_rows else 'no'} |"
        )
    add("")
    if s is not None:
        add("## (s) Start-up")
        add("")
        add(
            "Each command ran in a fresh child process (its byte-code, the compiled schema "
            "catalog and the demo account already written by one untimed run, as on any machine "
            "after the first use; the last `--demo` line removes the cached demo account before "
            "each run, as on its first use); wall time from start to exit, peak RSS from `wait4`."
        )
        add("")
        add("| Command | Wall | ÷ baseline | Peak RSS |")
        add("|---|---|---|---|")
        base = s.wall(BASELINE)
        for name in s.runs:
            add(
                f"| `{name}` | {s.wall(name):.3f} s | {s.wall(name) / base:.2f}x | "
                f"{s.rss(name):.0f} MB |"
            )
        add("")
        add(
            "What makes the difference: a statement that names no Mailjet table is typed by "
            "DuckDB's own parser and never imports sqlglot (`mjquery/planner/shortcut.py`); the "
            "HTTP client (httpx) is imported and built on the first request; the schema files "
            "are read from a compiled cache, rebuilt when a file changes; `mjquery tables` "
            "imports no DuckDB; result tables load the Unicode width tables only for text "
            "that is not plain ASCII; the command keeps httpx from importing its own "
            "command-line tool (click, rich). `--demo` starts the sandbox on the first request "
            "(a statement on local tables makes none), and loads the generated demo account "
            "from the user's cache folder (`mjquery/sandbox/demo/cache.py`: keyed by seed, "
            "scale and the generator's code; written atomically; a damaged file is built "
            "again) instead of building it on every start. The first statement that reads a "
            "Mailjet table then imports sqlglot (about as long as DuckDB's own import) and httpx."
        )
        add("")
    if z is not None:
        add("## (z) Full scans")
        add("")
        add(
            f"`{speed.SCAN_SQL}` over {z.contacts:,} contacts ({z.requests()} requests for "
            f"mjquery: pages of 1,000 plus one countOnly), the sandbox server in its own process "
            f"on 127.0.0.1. mjquery ran with its defaults ({z.concurrency} requests in flight, "
            "the cache off); the loops are the official `mailjet-rest` client, one page after "
            "another, keeping the matching rows (in Python, or in a pandas DataFrame)."
        )
        add("")
        for label, runs, floor, floor_words in (
            (
                "0 ms",
                z.at_0ms,
                z.floor_0ms(),
                "the server's CPU time for the pages mjquery read",
            ),
            (
                "50 ms",
                z.at_50ms,
                z.floor_50ms(),
                f"ceil({z.requests()} requests / {z.concurrency}) x 50 ms of latency",
            ),
        ):
            add(f"### {label} of latency per request")
            add("")
            add("| Runner | Wall | ÷ floor | Rows | Client CPU |")
            add("|---|---|---|---|---|")
            for name, scans in runs.items():
                add(
                    f"| {name} | {z.median(scans):.2f} s | {z.median(scans) / floor:.1f}x | "
                    f"{scans[0].rows:,} | {_cpu(scans)} |"
                )
            add(f"| floor: {floor_words} | {floor:.2f} s | 1.0x | | |")
            if label == "50 ms":
                chained = z.chained_floor_50ms()
                add(
                    f"| first page, then the count, then the other pages {z.concurrency} at a "
                    f"time: {round(chained / 0.05)} rounds of 50 ms | {chained:.2f} s | "
                    f"{chained / floor:.1f}x | | |"
                )
            add("")
            if label == "0 ms":
                add(
                    "At 0 ms nothing is waited for: the scan costs what the client computes, on "
                    "the same two cores as the server. *Client CPU* is the benchmark process's "
                    "CPU time for the statement (every thread). The loop keeps each row as "
                    "`json` made it (timestamps stay text) and only the matching IDs; mjquery "
                    "parses every column of every page into its SQL type in DuckDB and hands "
                    "back each matching row as a tuple of typed Python values (`datetime` for "
                    f"the timestamps). Its CPU ({_cpu(runs[MJQ])}) against the loop's "
                    f"({_cpu(runs[LOOP])}) is what bounds this ratio; the fetching itself runs "
                    f"{z.concurrency} requests at a time and hides behind that work."
                )
                add("")
        add(
            "At 50 ms the requests cannot all go out at once: the count is asked only once the "
            "first page came back full (a result under one page costs one request, the minimum "
            "the SELECT benchmark holds every query to), and the other pages only once the count "
            "says how many there are. Those two rounds put the lowest possible time above the "
            "floor before any client cost; the rest is mjquery's own work after the last page "
            "(the last batch's load, the query, and turning the rows into Python tuples for "
            "`fetchall`) and the server's time per page."
        )
        add("")
        per_row = z.median(z.messages_0ms) / max(z.messages, 1) * 1e6
        cpu_runs = [r.client_cpu_s for r in z.messages_0ms if not math.isnan(r.client_cpu_s)]
        cpu_per_row = (
            f", of which {statistics.median(cpu_runs) / max(z.messages, 1) * 1e6:.1f} µs of "
            "mjquery's CPU (the rest is waiting for the server, which builds every page)"
            if cpu_runs
            else ""
        )
        add("### Messages, 0 ms")
        add("")
        add(
            f"`{speed.MESSAGE_SCAN_SQL}` reads every one of {z.messages:,} messages: "
            f"{z.median(z.messages_0ms):.2f} s, {per_row:.1f} µs per message{cpu_per_row}. "
            "Only the three columns the query uses are parsed and loaded (projection pushdown; "
            "EXPLAIN lists them)."
        )
        add("")
        add(
            "Where the time goes: the client reads each page's row count from the envelope and "
            "hands the body over unparsed; DuckDB parses a batch of bodies at once "
            "(`json_transform`, only the columns the query reads) while the client's threads "
            "fetch the next pages; no scratch file, no Python object per row."
        )
        add("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small account, fewer rounds")
    parser.add_argument("--output", type=Path, default=None, help="where to write the report")
    parser.add_argument("--parts", default="sz", help="which parts to run (s, z)")
    args = parser.parse_args(argv)
    settings = Settings(
        quick=args.quick,
        scale=2 if args.quick else 50,
        rounds=2 if args.quick else 3,
        startup_rounds=3 if args.quick else 7,
    )
    output = args.output or (
        Path(tempfile.gettempdir()) / "benchmarks-startup-scan.md" if args.quick else DEFAULT_OUTPUT
    )
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    load_start = _load()
    s = z = None
    if "s" in args.parts:
        _log(f"(s) start-up, {settings.startup_rounds} rounds")
        s = run_part_s(settings.startup_rounds, _log)
    if "z" in args.parts:
        _log(f"(z) building the sandbox account (scale {settings.scale:g})")
        with SandboxProcess(scale=settings.scale) as server:
            _log(f"(z) server ready in {server.build_seconds:.0f}s")
            z = run_part_z(server, settings.rounds, settings, _log)
    text = report(settings, s, z, started_at, time.perf_counter() - started, (load_start, _load()))
    output.write_text(text + "\n")
    print(text)
    _log(f"report written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
