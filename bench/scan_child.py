"""Run one query with mjquery in a fresh process and print what it cost, as one JSON line.

Used by part (d) of ``bench/bench_select.py`` to measure the peak memory of mjquery alone (the
parent reads this process's rusage; the sandbox server is yet another process)::

    MJ_APIKEY_PUBLIC=... MJ_APIKEY_PRIVATE=... python bench/scan_child.py --url http://127.0.0.1:PORT --sql "SELECT ..."
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def peak_rss_kb() -> int | None:
    """This process's peak resident set size since it started (Linux ``VmHWM``), in kB.

    Not ``getrusage``: on Linux a child's ``ru_maxrss`` also carries the high-water mark of the
    process it was forked from (kept across ``exec``), here the benchmark itself.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of the sandbox server")
    parser.add_argument("--sql", required=True)
    parser.add_argument(
        "--fetchmany",
        type=int,
        default=0,
        metavar="N",
        help="fetch the rows N at a time with fetchmany (default: fetchall)",
    )
    args = parser.parse_args(argv)

    import mjquery

    # The key pair comes from MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE (set by the parent): importing
    # mjquery.sandbox for the demo pair would load the sandbox and count its memory against mjquery.
    conn = mjquery.connect(base_url=args.url, cache_ttl=0)
    try:
        cursor = conn.cursor()
        started = time.perf_counter()
        cursor.execute(args.sql)
        if args.fetchmany > 0:
            count = 0
            while batch := cursor.fetchmany(args.fetchmany):
                count += len(batch)
        else:
            count = len(cursor.fetchall())
        elapsed = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "rows": count,
                    "requests": cursor.stats.requests,
                    "elapsed_s": elapsed,
                    "peak_rss_kb": peak_rss_kb(),
                }
            )
        )
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
