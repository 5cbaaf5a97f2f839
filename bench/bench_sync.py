"""Two-way sync benchmark: 10,000 contacts linked to a 10,000-row PostgreSQL table, then 1%
changed on each side, at 50 ms per request.

    python bench/bench_sync.py                              # scale 5: 10,000 contacts
    python bench/bench_sync.py --scale 5 --latency-ms 50 --out docs/bench-sync.md

One run, one in-process sandbox (``--latency-ms`` added to every request, requests counted by
the sandbox's own log), PostgreSQL on 127.0.0.1 (user postgres, a schema of its own, dropped
at the end):

1. the table is filled with the account's contacts (same emails and names, another
   ``crm_segment`` column of the CRM's own) and the first sync links it to Mailjet;
2. 1% of the contacts renamed through the API and 1% of the table's rows renamed in
   PostgreSQL, then an incremental sync: its requests, write requests and time;
3. a third run with no change: what a quiet run costs.

The baseline of the same run is the first sync (the ratio incremental / first). The goal (the
issue's): incremental write requests proportional to the changed rows, bulk where the API
allows (contacts: managemanycontacts jobs), and the incremental time at most 20% of the first.
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import mjquery
from mjquery.sandbox import Sandbox, SandboxConfig

PG = "postgresql://postgres@127.0.0.1:5432/test"
HERE = Path(__file__).resolve().parent


def pg_execute(sql: str, params: Any = None, many: bool = False) -> list[Any]:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as db:
        cur = db.cursor()
        if many:
            cur.executemany(sql, params)
            return []
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def writes(sandbox: Sandbox) -> Counter[str]:
    counts: Counter[str] = Counter()
    for request in sandbox.log:
        if request.method in ("POST", "PUT", "DELETE"):
            resource = re.sub(r"/\d+", "/{id}", request.path.split("/v3/REST/")[-1])
            counts[f"{request.method} {resource}"] += 1
    return counts


def kinds(sandbox: Sandbox) -> Counter[str]:
    """The requests of a run by kind: contact pages, counts, bulk job posts and polls."""
    counts: Counter[str] = Counter()
    for request in sandbox.log:
        resource = re.sub(r"/\d+", "/{id}", request.path.split("/v3/REST/")[-1])
        if request.param("countOnly"):
            counts[f"{request.method} {resource}?countOnly"] += 1
        else:
            counts[f"{request.method} {resource}"] += 1
    return counts


def timed_sync(conn: Any, sandbox: Sandbox, table: str) -> dict[str, Any]:
    sandbox.log.clear()
    phases: dict[str, float] = {}  # phase -> seconds from the start of the run to its start

    def progress(p: Any) -> None:
        phases.setdefault(p.phase, time.perf_counter() - started)

    started = time.perf_counter()
    report = mjquery.sync(conn, "Contact", with_=PG, table=table, progress=progress)
    seconds = time.perf_counter() - started
    assert report.ok, report.failed[:3]
    return {
        "seconds": seconds,
        "requests": len(sandbox.log),
        "writes": writes(sandbox),
        "kinds": kinds(sandbox),
        "phases": phases,
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5.0, help="2,000 contacts per unit")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "bench-sync.md"))
    args = parser.parse_args()

    built = time.perf_counter()
    sandbox = Sandbox(scale=args.scale, config=SandboxConfig(latency_ms=args.latency_ms))
    print(f"sandbox built in {time.perf_counter() - built:.1f} s")
    schema = f"bench_sync_{uuid.uuid4().hex[:8]}"
    table = f"{schema}.crm_contacts"
    conn = mjquery.connect(sandbox=sandbox, cache_ttl=0)
    try:
        contacts = [
            (r["Email"], r.get("Name") or None) for r in sandbox.store.table("contact").rows
        ]
        pg_execute(f"CREATE SCHEMA {schema}")
        pg_execute(f"CREATE TABLE {table} (email TEXT PRIMARY KEY, name TEXT, crm_segment TEXT)")
        pg_execute(f"INSERT INTO {table} VALUES (%s, %s, 'retail')", contacts, many=True)
        first = timed_sync(conn, sandbox, table)
        print(f"first sync: {first['seconds']:.1f} s, {first['requests']} requests")

        changed = max(1, len(contacts) // 100)
        on_mailjet = contacts[:changed]
        on_database = contacts[changed : 2 * changed]
        cur = conn.cursor()
        for email, _name in on_mailjet:  # through the API, as another tool would
            cur.execute(
                "UPDATE Contact SET Name = ? WHERE Email = ?",
                [f"Renamed in Mailjet {email}", email],
            )
        pg_execute(
            f"UPDATE {table} SET name = 'Renamed in the CRM ' || email WHERE email = %s",
            [(email,) for email, _ in on_database],
            many=True,
        )
        incremental = timed_sync(conn, sandbox, table)
        print(
            f"incremental sync: {incremental['seconds']:.1f} s, {incremental['requests']} requests"
        )
        quiet = timed_sync(conn, sandbox, table)
        print(f"quiet sync: {quiet['seconds']:.1f} s, {quiet['requests']} requests")

        # both sides equal afterwards
        conn.clear_cache()
        cur.execute("SELECT lower(Email), coalesce(Name, '') FROM Contact")
        in_mailjet = sorted(cur.fetchall())
        in_table = sorted(
            (e.lower(), n or "") for e, n in pg_execute(f"SELECT email, name FROM {table}")
        )
        equal = in_mailjet == in_table
    finally:
        conn.close()
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    text = report(args, len(contacts), changed, first, incremental, quiet, equal)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


def report(
    args: Any,
    contacts: int,
    changed: int,
    first: dict[str, Any],
    incremental: dict[str, Any],
    quiet: dict[str, Any],
    equal: bool,
) -> str:
    def row(name: str, run: dict[str, Any]) -> str:
        r = run["report"]
        moved = (
            f"{r.to_mailjet.inserted}/{r.to_mailjet.updated} → Mailjet, "
            f"{r.to_database.inserted}/{r.to_database.updated} → database"
        )
        written = ", ".join(f"{n} {what}" for what, n in sorted(run["writes"].items())) or "none"
        return (
            f"| {name} | {run['seconds']:.1f} s | {run['seconds'] / first['seconds']:.2f} | "
            f"{run['requests']} | {sum(run['writes'].values())} ({written}) | {moved} |"
        )

    def spread(run: dict[str, Any]) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(run["kinds"].items()))

    def timeline(run: dict[str, Any]) -> str:
        starts = sorted(run["phases"].items(), key=lambda item: item[1])
        ends = [t for _, t in starts[1:]] + [run["seconds"]]
        return ", ".join(
            f"{phase} {end - start:.2f} s" for (phase, start), end in zip(starts, ends, strict=True)
        )

    ratio = incremental["seconds"] / first["seconds"]
    floor = quiet["seconds"] / first["seconds"]
    return "\n".join(
        [
            "# Two-way sync benchmark",
            "",
            f"`python bench/bench_sync.py --scale {args.scale:g} --latency-ms {args.latency_ms:g}`"
            f" — {contacts:,} contacts in the sandbox (in-process, {args.latency_ms:g} ms added "
            f"to every request), linked to a {contacts:,}-row PostgreSQL table on 127.0.0.1; then "
            f"{changed} contacts renamed through the API and {changed} other rows renamed in the "
            "table. Requests are the sandbox's own log. The baseline is the first sync of the "
            "same run.",
            "",
            "| run | time | vs first | API requests | write requests | inserted/updated |",
            "|---|---|---|---|---|---|",
            row("first (links every row by Email)", first),
            row(f"incremental ({changed} + {changed} changed)", incremental),
            row("quiet (no change)", quiet),
            "",
            f"Both sides equal afterwards: {'yes' if equal else 'NO'}.",
            "",
            "Requests by kind (`contact` is a page of the contacts listing, `?countOnly` a count):",
            "",
            f"- first: {spread(first)}",
            f"- incremental: {spread(incremental)}",
            f"- quiet: {spread(quiet)}",
            "",
            "Time by phase (progress callback):",
            "",
            f"- first: {timeline(first)}",
            f"- incremental: {timeline(incremental)}",
            f"- quiet: {timeline(quiet)}",
            "",
            "## Against the goal",
            "",
            f"- Incremental time {ratio:.0%} of the first sync (goal: at most 20%): "
            + ("met." if ratio <= 0.2 else "not met."),
            f"- Incremental write requests: {sum(incremental['writes'].values())} "
            f"({', '.join(f'{n} {w}' for w, n in sorted(incremental['writes'].items())) or 'none'}) "
            f"for {changed} contacts changed in the table (goal: proportional to the changed "
            "rows, bulk where the API allows). From 100 rows on (the write path's "
            "`bulk_threshold`) contact changes go as `managemanycontacts` jobs of up to 1,000 "
            "contacts (one POST each; the job's polls and the read-back are GETs); below it, "
            "one PUT per contact.",
            "- A quiet run reads the contacts (one paged scan) and writes nothing.",
            "",
            "What an incremental run sends: the scan of the contacts every run makes; no "
            "look-up of the changed contacts by Email (the sync gives the write path what its "
            "scan found: `prepare(..., known=...)`); the job's POST and polls; and the job's "
            "read-back of its contacts, which the write path makes to settle each row from what "
            "the server holds (it survives a lost answer) and which the sync reuses for the "
            "table and the snapshot (IDs, times): Mailjet is not read in full a second time. "
            "The read-back reads the cheaper way: one GET per contact, or a count and a scan "
            "when the job has more contacts than the account has pages (here 100 contacts, "
            "10 pages: a count and a scan).",
            "",
            "## What bounds the ratio",
            "",
            f"The quiet run is {floor:.0%} of the first sync: that is a floor no incremental run "
            "goes below, because every run, the first included, reads every contact. The "
            "API cannot read only the contacts changed since a time: `GET /contact` documents "
            "no filter on `LastUpdateAt` or `CreatedAt` (its filters are Campaign, ContactsList, "
            "Email and its Like/CI forms, IncludeAnonymized, IsExcludedFromCampaigns, "
            "IsUnsubscribed, Status and `LastActivityAt`, which is an equality on one second of "
            "activity, not a range of changes; `Sort` is not documented on `LastUpdateAt` either) "
            "- `schemas/Contact.toml` and the reference's `openapi-mailjet.yaml`, "
            "api-behaviour.md's *Incremental reads*. The first sync of this benchmark is itself "
            "little more than that scan (both sides hold the same 10,000 contacts: it links "
            "them and writes the snapshot, nothing to Mailjet), so a ratio of 20% would need an "
            "incremental run five times cheaper than one scan: not reachable. A run that writes "
            "to Mailjet adds the bulk job: its POST, its polls (every 0.2 s, growing; the "
            "sandbox's job completes at its second poll, so one 0.2 s wait), and its read-back, "
            "a second scan-sized read when the job holds more contacts than the account has "
            "pages. That is the *writing to Mailjet* phase above, and why the incremental run "
            "costs about two scans and a poll wait, not one. Below the write path's "
            "`bulk_threshold` (100 rows) changes go as one PUT (or POST) per contact and no "
            "read-back: the answer carries the contact (api-behaviour.md, *Envelope*), which the "
            "sync takes as it is.",
            "",
            "Left as it is: the read-back's look-up counts the contacts before its scan, and the "
            "scan counts them again (one request, about one round trip).",
            "",
        ]
    )


if __name__ == "__main__":
    main()
