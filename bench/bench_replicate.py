"""Replication benchmark: full and incremental runs into DuckDB, SQLite, PostgreSQL and MariaDB.

    python bench/bench_replicate.py                 # scale 50 (100,000 contacts, 1,000,000 messages)
    python bench/bench_replicate.py --scale 2 --latency-ms 50 --out docs/bench-replicate.md

One run, one sandbox (in-process, ``--latency-ms`` per request), and per destination:

1. a full replication of Contact, List, ListRecipient, Campaign and Message: wall time, API
   requests (the sandbox's own log), and the load step alone (dlt normalize + load) as rows/s;
2. then 1% of the contacts changed through the API and 1% new messages added, and an
   incremental run: its requests (by table) and time against the full run's.

The baseline of the same run is Airbyte's Mailjet source (``airbyte-source-mailjet-mail`` from
PyPI) reading the same streams from the sandbox served over HTTP on 127.0.0.1, read time alone.
Its dependencies clash with mjquery's, so it lives in its own venv (``bench/.airbyte-venv``,
created on first use with ``--airbyte``); without it the report says the baseline was not run.
PostgreSQL and MariaDB must run on 127.0.0.1 (user postgres / root, no password).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import mjquery
from mjquery.sandbox import Sandbox, SandboxConfig

TABLES = ["Contact", "List", "ListRecipient", "Campaign", "Message"]
HERE = Path(__file__).resolve().parent


def destinations(work: Path, tag: str) -> dict[str, str]:
    return {
        "duckdb": f"duckdb:///{work}/bench.duckdb",
        "sqlite": f"sqlite:///{work}/bench.db",
        "postgres": "postgresql://postgres@127.0.0.1:5432/test",
        "mariadb": f"mysql://root@127.0.0.1:3306/{tag}",
    }


def requests_by_table(sandbox: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in sandbox.log:
        resource = request.path.rsplit("/", 1)[-1]
        counts[resource] = counts.get(resource, 0) + 1
    return counts


def change_one_percent(conn: Any, sandbox: Sandbox) -> tuple[int, int]:
    """1% of the contacts renamed through the API, 1% new messages in the account."""
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM Contact")
    (contacts,) = cur.fetchone()
    changed = max(1, contacts // 100)
    cur.execute(
        "UPDATE Contact SET Name = Name || ' (renamed)' WHERE ID IN "
        f"(SELECT ID FROM Contact ORDER BY ID LIMIT {changed})"
    )
    messages = sandbox.store.table("message")
    newest = max(messages.rows, key=lambda r: r["ArrivedAt"])
    added = max(1, len(messages.rows) // 100)
    base = max(r["ID"] for r in messages.rows)
    for i in range(added):
        messages.insert(dict(newest, ID=base + 1 + i, ArrivedAt=sandbox.store.clock_iso()))
    return changed, added


def run_destination(
    name: str, url: str, scale: float, latency_ms: float, dataset: str
) -> dict[str, Any]:
    sandbox = Sandbox(scale=scale, config=SandboxConfig(latency_ms=latency_ms))
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    started = time.perf_counter()
    full = mjquery.replicate(conn, to=url, tables=TABLES, full=True, replace=True, dataset=dataset)
    full_s = time.perf_counter() - started
    full_requests = len(sandbox.log)
    assert full.ok, full.failed
    changed, added = change_one_percent(conn, sandbox)
    sandbox.log.clear()
    started = time.perf_counter()
    incremental = mjquery.replicate(conn, to=url, tables=TABLES, dataset=dataset)
    incremental_s = time.perf_counter() - started
    assert incremental.ok, incremental.failed
    return {
        "destination": name,
        "full_s": full_s,
        "full_requests": full_requests,
        "rows": full.rows_loaded,
        "load_s": full.load_seconds,
        "incremental_s": incremental_s,
        "incremental_requests": len(sandbox.log),
        "incremental_by_table": requests_by_table(sandbox),
        "incremental_load_s": incremental.load_seconds,
        "changed_contacts": changed,
        "new_messages": added,
        "contact_merge": next(t for t in incremental.tables if t.table == "Contact").updated,
    }


def drop_server_datasets(tag: str) -> None:
    """The run's PostgreSQL schemas and MariaDB databases (and dlt's staging copies) go away."""
    import sqlalchemy

    for url, statement in (
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "DROP SCHEMA IF EXISTS {} CASCADE"),
        ("mysql+pymysql://root@127.0.0.1:3306", "DROP DATABASE IF EXISTS {}"),
    ):
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.begin() as conn:
                for name in (tag, f"{tag}_staging"):
                    conn.execute(sqlalchemy.text(statement.format(name)))
        except sqlalchemy.exc.OperationalError as exc:
            print(f"could not drop {tag} at {url}: {exc}", file=sys.stderr)
        finally:
            engine.dispose()


def airbyte_baseline(scale: float, latency_ms: float) -> dict[str, Any] | None:
    """Airbyte's Mailjet source reading the same streams from the sandbox, in its own venv."""
    venv = HERE / ".airbyte-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "airbyte-source-mailjet-mail"], check=True
        )
    from mjquery.sandbox import SandboxServer

    sandbox = Sandbox(scale=scale, config=SandboxConfig(latency_ms=latency_ms))
    with SandboxServer(sandbox) as server:
        result = subprocess.run(
            [str(python), str(HERE / "airbyte_read.py"), server.url],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:] or ["failed"]}
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["requests"] = len(sandbox.log)
    return figures


def report(rows: list[dict[str, Any]], baseline: dict[str, Any] | None, args: Any) -> str:
    lines = [
        "# Replication benchmark",
        "",
        f"`python bench/bench_replicate.py --scale {args.scale:g} --latency-ms {args.latency_ms:g}"
        + (" --airbyte" if args.airbyte else "")
        + "`"
        f" — sandbox scale {args.scale:g}, {args.latency_ms:g} ms per request, tables "
        + ", ".join(TABLES)
        + ". One run; each destination gets a fresh sandbox with the same seed.",
        "",
        "| destination | full run | requests | rows loaded | load step | load rows/s | incremental run | incremental requests | incremental load step (1% merge) | incremental ÷ full |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['destination']} | {r['full_s']:.1f} s | {r['full_requests']} | {r['rows']:,} | "
            f"{r['load_s']:.1f} s | {r['rows'] / max(r['load_s'], 1e-9):,.0f} | "
            f"{r['incremental_s']:.1f} s | {r['incremental_requests']} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(r['incremental_by_table'].items()))}) | "
            f"{r['incremental_load_s']:.1f} s | {r['incremental_s'] / r['full_s']:.0%} |"
        )
    if rows:
        r = rows[0]
        lines += [
            "",
            f"Incremental run after renaming {r['changed_contacts']:,} contacts (1%) and adding "
            f"{r['new_messages']:,} messages (1%).",
        ]
    lines.append("")
    if baseline is None:
        lines.append("Baseline (Airbyte's Mailjet source): not run (pass `--airbyte`).")
    elif "error" in baseline:
        lines.append(f"Baseline (Airbyte's Mailjet source): failed: {baseline['error']}")
    else:
        lines.append(
            f"Baseline (Airbyte's Mailjet source, read only): {baseline['seconds']:.1f} s, "
            f"{baseline['requests']} requests, {baseline.get('records', '?')} records."
        )
        for r in rows:
            lines.append(
                f"- {r['destination']}: read + load {r['full_s']:.1f} s, "
                f"{baseline['seconds'] / r['full_s']:.0f}x faster than the baseline's read alone"
            )
    lines += ["", f"Load average at the end of the run: {os.getloadavg()[0]:.1f} (2 cores)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--only", default="duckdb,sqlite,postgres,mariadb")
    parser.add_argument("--airbyte", action="store_true", help="also run the Airbyte baseline")
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "bench-replicate.md"))
    args = parser.parse_args(argv)
    tag = f"bench_replicate_{uuid.uuid4().hex[:8]}"
    # dlt's working files (hundreds of MB at scale 50) in a directory removed at the end
    state = None
    if "XDG_STATE_HOME" not in os.environ:
        state = tempfile.mkdtemp(prefix="bench-replicate-state-")
        os.environ["XDG_STATE_HOME"] = state
    rows = []
    with tempfile.TemporaryDirectory() as work:
        urls = destinations(Path(work), tag)
        for name in args.only.split(","):
            print(f"{name}...", file=sys.stderr)
            rows.append(run_destination(name, urls[name], args.scale, args.latency_ms, tag))
            print(json.dumps(rows[-1]), file=sys.stderr)
    drop_server_datasets(tag)
    baseline = airbyte_baseline(args.scale, args.latency_ms) if args.airbyte else None
    if state is not None:
        shutil.rmtree(state, ignore_errors=True)
    text = report(rows, baseline, args)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
