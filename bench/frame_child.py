"""Read one query into a pandas DataFrame one way, in a fresh process, and print what it cost.

Used by ``bench/bench_dataframes.py``: each way of getting a DataFrame runs in its own process so
its peak memory is its own. Prints one JSON line::

    MJ_APIKEY_PUBLIC=... MJ_APIKEY_PRIVATE=... python bench/frame_child.py --url http://127.0.0.1:PORT \\
        --method sqlalchemy --sql "SELECT * FROM Contact" --rounds 3

``cold_s`` is the first read, API requests included; ``warm_s`` the median of the next rounds,
answered from the connection's cache of API responses, so it is mjquery's own work (loading the
pages into DuckDB, running the SQL) plus the conversion into a DataFrame that the methods differ
in. For the DB-API methods, ``fetch_s`` is the conversion alone (after ``execute`` returned).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The ways of getting a DataFrame, as the report names them.
METHODS = ("sqlalchemy", "dbapi", "fetchall", "fetch_df", "fetch_arrow")


def peak_rss_kb() -> int | None:
    """This process's peak resident set size (Linux ``VmHWM``), in kB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class Read:
    """One read: the DataFrame, and for the cursor methods the seconds of the conversion alone."""

    frame: Any
    fetch_s: float | None = None


def reader(method: str, url: str) -> tuple[Callable[[str], Read], Callable[[], None]]:
    """``(read, close)``: ``read(sql)`` reads a DataFrame the way ``method`` says."""
    import pandas

    import mjquery

    key, secret = os.environ["MJ_APIKEY_PUBLIC"], os.environ["MJ_APIKEY_PRIVATE"]
    if method == "sqlalchemy":
        from urllib.parse import quote

        from sqlalchemy import create_engine

        engine = create_engine(
            f"mjquery://{quote(key, safe='')}:{quote(secret, safe='')}@/?base_url={quote(url)}"
        )
        connection = engine.connect()  # one pooled connection: its API cache serves warm rounds

        def close_engine() -> None:
            connection.close()
            engine.dispose()

        return lambda sql: Read(pandas.read_sql(sql, connection)), close_engine
    conn = mjquery.connect(base_url=url)
    if method == "dbapi":

        def read_dbapi(sql: str) -> Read:
            with warnings.catch_warnings():
                # pandas asks for SQLAlchemy on any other DB-API connection: that is the point
                warnings.simplefilter("ignore", UserWarning)
                return Read(pandas.read_sql(sql, conn))

        return read_dbapi, conn.close

    def read_cursor(sql: str) -> Read:
        cursor = conn.cursor()
        cursor.execute(sql)
        started = time.perf_counter()
        if method == "fetchall":
            names = [d[0] for d in cursor.description or ()]
            frame = pandas.DataFrame.from_records(cursor.fetchall(), columns=names)
        elif method == "fetch_df":
            frame = cursor.fetch_df()
        else:
            frame = cursor.fetch_arrow_table().to_pandas()
        fetch_s = time.perf_counter() - started
        cursor.close()
        return Read(frame, fetch_s)

    return read_cursor, conn.close


def measure(method: str, url: str, sql: str, rounds: int) -> dict[str, Any]:
    import pandas  # noqa: F401 - imported before the baseline so every method pays it alike
    import pyarrow  # noqa: F401
    import sqlalchemy  # noqa: F401

    import mjquery  # noqa: F401

    imported_kb = peak_rss_kb()
    read, close = reader(method, url)
    try:
        times: list[float] = []
        fetches: list[float | None] = []
        rows = columns = 0
        for _ in range(max(rounds, 1)):
            started = time.perf_counter()
            done = read(sql)
            times.append(time.perf_counter() - started)
            fetches.append(done.fetch_s)
            rows, columns = done.frame.shape
            del done
        return {
            "method": method,
            "rows": rows,
            "columns": columns,
            "cold_s": times[0],
            "warm_s": statistics.median(times[1:]) if len(times) > 1 else times[0],
            "fetch_s": None
            if fetches[0] is None
            else statistics.median([f for f in fetches[1:] or fetches if f is not None]),
            "peak_rss_kb": peak_rss_kb(),
            "imported_rss_kb": imported_kb,
        }
    finally:
        close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of the sandbox server")
    parser.add_argument("--method", required=True, choices=METHODS)
    parser.add_argument("--sql", required=True)
    parser.add_argument("--rounds", type=int, default=3, help="reads in this process (default 3)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.method, args.url, args.sql, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
