"""Message scans, this tree against an earlier revision: ``python bench/bench_message_scan.py
--against REV [--rounds N] [--scale S]``.

Both versions of mjquery run the same statement over every message of the same sandbox server
(its own process on 127.0.0.1, 0 ms of added latency), each in a fresh Python process
(``bench/scan_child.py`` of its own tree), taking turns within each round so a busy moment of
the machine hits both alike. For each run: the wall time of the statement, the CPU time of the
mjquery process (user + system, from ``/usr/bin/time``: what the client costs, apart from the
server building the pages) and its peak RSS (the child's own ``VmHWM``). Medians are compared as
ratios. The earlier revision is exported with ``git archive`` into a temporary folder and run
with the same interpreter and packages.

The report is printed and written to ``docs/benchmarks-message-scan.md`` (``--output`` to put it
elsewhere). Full run: scale 50 (1,000,000 messages), 3 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench.sandbox_process import SandboxProcess  # noqa: E402
from bench.select_speed import MESSAGE_SCAN_SQL  # noqa: E402
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

DEFAULT_OUTPUT = _ROOT / "docs" / "benchmarks-message-scan.md"
_TIME = "/usr/bin/time"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Run:
    """One statement in a fresh process of one tree."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    requests: int


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(_ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def export(revision: str, folder: Path) -> str:
    """The files of ``revision`` in ``folder``; returns its short hash."""
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", revision], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return _git("rev-parse", "--short", revision)


def run_child(tree: Path, url: str, cache: Path) -> Run:
    env = dict(os.environ, PYTHONPATH=str(tree), XDG_CACHE_HOME=str(cache))
    env["MJ_APIKEY_PUBLIC"], env["MJ_APIKEY_PRIVATE"] = DEMO_API_KEY, DEMO_API_SECRET
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte-code written once, then read
    with tempfile.TemporaryDirectory(prefix="mjquery-bench-") as folder:
        times = Path(folder) / "time.txt"
        command = [
            _TIME,
            "-f",
            "%U %S",
            "-o",
            str(times),
            sys.executable,
            str(tree / "bench" / "scan_child.py"),
            "--url",
            url,
            "--sql",
            MESSAGE_SCAN_SQL,
        ]
        done = subprocess.run(
            command, capture_output=True, env=env, cwd=tempfile.gettempdir(), check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tree}: {done.stderr.decode(errors='replace')[-800:]}")
        user, system = times.read_text().split()[-2:]
    report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return Run(
        report["elapsed_s"],
        float(user) + float(system),
        report["peak_rss_kb"] / 1024,
        report["requests"],
    )


def report(
    *,
    revision: str,
    current: str,
    scale: float,
    messages: int,
    runs: dict[str, list[Run]],
    started: datetime,
    elapsed_s: float,
    loads: tuple[str, str],
    command: str,
) -> str:
    before, now = runs[revision], runs[current]

    def median(values: list[Run], field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in values))

    lines = [
        "# Message scans against an earlier revision",
        "",
        "<!-- Written by `python bench/bench_message_scan.py`; do not edit by hand. -->",
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC with `{command}`, {elapsed_s / 60:.1f} minutes in "
        f"all. `{MESSAGE_SCAN_SQL}` over the {messages:,} messages of the sandbox (scale "
        f"{scale:g}, its own process on 127.0.0.1, 0 ms of added latency), each version of "
        "mjquery in a fresh process, taking turns within each round; medians over the rounds. "
        "*CPU* is the mjquery process's own (user + system): the server's time to build the "
        "pages is in the wall time only.",
        "",
        "| Machine | |",
        "|---|---|",
        f"| CPU cores | {os.cpu_count()} |",
        f"| Python | {platform.python_version()} |",
        f"| Load average at start / end | {loads[0]} / {loads[1]} |",
        "",
        "| Version | Wall | Wall per message | CPU per message | Peak RSS | Requests |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in ((revision, before), (current, now)):
        lines.append(
            f"| {name} | {median(values, 'wall_s'):.2f} s | "
            f"{median(values, 'wall_s') / messages * 1e6:.2f} µs | "
            f"{median(values, 'cpu_s') / messages * 1e6:.2f} µs | "
            f"{median(values, 'peak_rss_mb'):.0f} MB | {values[0].requests} |"
        )
    wall = median(now, "wall_s") / median(before, "wall_s")
    cpu = median(now, "cpu_s") / median(before, "cpu_s")
    peak = median(now, "peak_rss_mb") / median(before, "peak_rss_mb")
    lines += [
        "",
        f"This tree against {revision}: wall {wall:.2f}x, CPU {cpu:.2f}x, peak RSS {peak:.2f}x "
        f"(below 1: better). At least as fast per message: "
        f"{'yes' if wall <= 1.0 else 'no'}; lower peak memory: {'yes' if peak < 1.0 else 'no'}.",
        "",
        "Every run:",
        "",
        "| Round | Version | Wall | CPU | Peak RSS |",
        "|---|---|---|---|---|",
    ]
    for index in range(len(now)):
        for name, values in ((revision, before), (current, now)):
            r = values[index]
            lines.append(
                f"| {index + 1} | {name} | {r.wall_s:.2f} s | {r.cpu_s:.2f} s | "
                f"{r.peak_rss_mb:.0f} MB |"
            )
    return "\n".join(lines)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the earlier revision (a git ref)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=50.0, help="demo account scale (50: 1M)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started_at, started, load_start = datetime.now(UTC), time.perf_counter(), _load()
    current = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--", "mjquery"):
        current += " + changes"
    with tempfile.TemporaryDirectory(prefix="mjquery-against-") as folder:
        earlier = Path(folder) / "tree"
        earlier.mkdir()
        revision = export(args.against, earlier)
        trees = {revision: earlier, current: _ROOT}
        cache = Path(folder) / "cache"
        runs: dict[str, list[Run]] = {name: [] for name in trees}
        with SandboxProcess(scale=args.scale) as server:
            _log(f"server ready in {server.build_seconds:.0f}s")
            for tree in trees.values():  # once untimed: byte-code written, server warm
                run_child(tree, server.url, cache)
            for round_ in range(args.rounds):
                for name, tree in trees.items():
                    runs[name].append(run_child(tree, server.url, cache))
                    _log(f"round {round_ + 1} {name}: {runs[name][-1]}")
    text = report(
        revision=revision,
        current=current,
        scale=args.scale,
        messages=round(20000 * args.scale),
        runs=runs,
        started=started_at,
        elapsed_s=time.perf_counter() - started,
        loads=(load_start, _load()),
        command="python bench/bench_message_scan.py " + " ".join(argv or sys.argv[1:]),
    )
    args.output.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
