"""Read one query into a pandas DataFrame one way, in a fresh process, and print what it cost.

Used by ``bench/bench_dataframes.py``: each way of getting a DataFrame runs in its own process so
its peak memory is its own. Prints one JSON line::

    MJ_APIKEY_PUBLIC=... MJ_APIKEY_PRIVATE=... python bench/frame_child.py --url http://127.0.0.1:PORT \\
        --method sqlalchemy --sql "SELECT * FROM Contact" --rounds 3

``cold_s`` is the first read, API requests included; ``warm_s`` the median of the next rounds,
answered from the connection's cache of API responses, so it is mjquery's own work (loading the
pages into DuckDB, running the SQL) plus the conversion into a DataFrame that the methods differ
in. ``statement_s`` is the time of those reads spent in ``Cursor.execute`` (every method calls it,
pandas and SQLAlchemy too): the part all methods share; ``warm_s - statement_s`` is the method's
client side, after the pages are in (``client_s``, the median over the warm reads). ``gc_s`` is the time Python's garbage collector ran during
a warm read. For the DB-API methods,
``fetch_s`` is the conversion alone, measured directly (after ``execute`` returned).
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


@dataclass(frozen=True)
class Reader:
    """One method's way of reading: ``read(sql)`` and ``close()``."""

    read: Callable[[str], Read]
    close: Callable[[], None]


def reader(method: str, url: str) -> Reader:
    """How ``method`` reads a DataFrame, on a new connection to ``url``."""
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

        return Reader(lambda sql: Read(pandas.read_sql(sql, connection)), close_engine)
    conn = mjquery.connect(base_url=url)
    if method == "dbapi":

        def read_dbapi(sql: str) -> Read:
            with warnings.catch_warnings():
                # pandas asks for SQLAlchemy on any other DB-API connection: that is the point
                warnings.simplefilter("ignore", UserWarning)
                return Read(pandas.read_sql(sql, conn))

        return Reader(read_dbapi, conn.close)

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

    return Reader(read_cursor, conn.close)


class Clock:
    """Time spent in the statement (``Cursor.execute``: every method calls it, pandas and
    SQLAlchemy included) and in Python's garbage collector, during one read."""

    def __init__(self) -> None:
        self.statement_s = 0.0
        self.gc_s = 0.0
        self._gc_started = 0.0
        self._restore: Any = None

    def reset(self) -> None:
        self.statement_s = self.gc_s = 0.0

    def install(self) -> None:
        import gc

        from mjquery.dbapi.connection import Cursor

        execute = Cursor.execute
        clock = self

        def timed(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return execute(cursor, *args, **kwargs)
            finally:
                clock.statement_s += time.perf_counter() - started

        self._restore = execute
        Cursor.execute = timed  # type: ignore[method-assign]  # this process only measures
        gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        import gc

        from mjquery.dbapi.connection import Cursor

        Cursor.execute = self._restore  # type: ignore[method-assign]
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_s += time.perf_counter() - self._gc_started


def measure(method: str, url: str, sql: str, rounds: int) -> dict[str, Any]:
    import pandas  # noqa: F401 - imported before the baseline so every method pays it alike
    import pyarrow  # noqa: F401
    import sqlalchemy  # noqa: F401

    import mjquery  # noqa: F401

    imported_kb = peak_rss_kb()
    clock = Clock()
    clock.install()
    way = reader(method, url)
    read, close = way.read, way.close
    try:
        times: list[float] = []
        fetches: list[float | None] = []
        statements: list[float] = []
        clients: list[float] = []
        collections: list[float] = []
        rows = columns = 0
        for _ in range(max(rounds, 1)):
            clock.reset()
            started = time.perf_counter()
            done = read(sql)
            (rows, columns), fetch_s = done.frame.shape, done.fetch_s
            del done  # freeing the frame belongs to the read
            times.append(time.perf_counter() - started)
            clients.append(times[-1] - clock.statement_s)
            fetches.append(fetch_s)
            statements.append(clock.statement_s)
            collections.append(clock.gc_s)
        return {
            "method": method,
            "rows": rows,
            "columns": columns,
            "cold_s": times[0],
            "warm_s": statistics.median(times[1:]) if len(times) > 1 else times[0],
            "fetch_s": None
            if fetches[0] is None
            else statistics.median([f for f in fetches[1:] or fetches if f is not None]),
            "statement_s": statistics.median(statements[1:] or statements),
            "client_s": statistics.median(clients[1:] or clients),
            "gc_s": statistics.median(collections[1:] or collections),
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
