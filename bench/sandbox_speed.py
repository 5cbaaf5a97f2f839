"""How long the sandbox takes to serve a 1,000-row page of contacts at ``--scale 50`` (100,000 contacts).

Measures server time only: ``Sandbox.handle`` from request to response bytes (auth, routing,
filtering, sorting, paging, JSON), without sockets. For each query it reports the first
request (which computes and caches the filtered, sorted result) and the median of the following
pages. Run: ``python bench/sandbox_speed.py [--scale 50] [--seed 42]``.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxRequest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    sandbox = Sandbox(seed=args.seed, scale=args.scale)
    contacts = sandbox.data.resources["contact"]
    print(
        f"built demo account: {len(contacts):,} contacts in {time.perf_counter() - started:.1f} s"
    )
    auth = (
        (
            "Authorization",
            "Basic " + base64.b64encode(f"{DEMO_API_KEY}:{DEMO_API_SECRET}".encode()).decode(),
        ),
    )
    biggest_list = max(
        sandbox.data.resources["contactslist"], key=lambda row: row["SubscriberCount"]
    )
    prefix = contacts[len(contacts) // 2]["Email"][:1]

    queries = {
        "unfiltered": (),
        f"ContactsList={biggest_list['ID']} ({biggest_list['SubscriberCount']:,} members)": (
            ("ContactsList", str(biggest_list["ID"])),
        ),
        f"EmailLLike={prefix}": (("EmailLLike", prefix),),
        "Sort=Email DESC": (("Sort", "Email DESC"),),
    }
    for label, filters in queries.items():
        timings = []
        rows = 0
        for page in range(args.pages):
            params = (*filters, ("Limit", "1000"), ("Offset", str(page * 1000)))
            request = SandboxRequest("GET", "/v3/REST/contact", params, auth)
            t0 = time.perf_counter()
            response = sandbox.handle(request)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status == 200, response.body[:200]
            rows += response.body.count(b'"Email"')
        warm = statistics.median(timings[1:])
        print(
            f"{label:45s} first page {timings[0]:7.1f} ms   next pages median {warm:5.1f} ms   ({rows:,} rows)"
        )


if __name__ == "__main__":
    main()
