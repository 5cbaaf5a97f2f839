"""``mjquery sandbox``: serve the demo Mailjet account over HTTP on this machine.

Examples::

    mjquery sandbox                                  # http://127.0.0.1:8765, demo key pair
    mjquery sandbox --port 9000 --scale 10 --seed 7  # a bigger account on another port
    mjquery sandbox --latency-ms 80 --rate-limit 20  # behave like a slow, throttled API
    mjquery sandbox --fault-rate 0.05                # answer 5% of requests with 500/502/503
    mjquery sandbox --drop-rate 0.2 --error-after-rate 0.1 --fault-methods POST,PUT,DELETE
                                                     # lose the answers of 30% of the writes

Point any Mailjet client at it, e.g. ``mailjet_rest.Client(auth=(key, secret),
api_url="http://127.0.0.1:8765/")``. Without ``--api-key``/``--api-secret`` the documented demo
key pair ``demo-api-key`` / ``demo-api-secret`` is used; ``MJQUERY_SANDBOX_API_KEY`` and
``MJQUERY_SANDBOX_API_SECRET`` set another without showing the secret in ``ps``. Stop it with
Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from types import FrameType

from mjquery.sandbox.api.core import Sandbox
from mjquery.sandbox.api.server import SandboxServer
from mjquery.sandbox.config import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig

ENV_SANDBOX_KEY = "MJQUERY_SANDBOX_API_KEY"
ENV_SANDBOX_SECRET = "MJQUERY_SANDBOX_API_SECRET"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mjquery sandbox",
        description="Serve a local Mailjet-compatible API (v3 REST) with a seeded demo account.",
        epilog=__doc__.split("Examples::", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on, 0 = any free port (default 8765)"
    )
    # The secret may come from the environment: an argument is visible to every user in `ps`.
    parser.add_argument(
        "--api-key",
        default=os.environ.get(ENV_SANDBOX_KEY) or None,
        help=f"API key clients must send (default ${ENV_SANDBOX_KEY}, else {DEMO_API_KEY})",
    )
    parser.add_argument(
        "--api-secret",
        default=os.environ.get(ENV_SANDBOX_SECRET) or None,
        help=f"API secret clients must send (default ${ENV_SANDBOX_SECRET}, else the demo "
        "secret; prefer the variable: arguments show in ps)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size of the demo account; 1 = 2,000 contacts (default 1)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the generated demo data (default 42)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        help="milliseconds added to every request (default 0)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=0,
        help="requests per second before 429, 0 = off (default 0)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="fraction of requests answered 500/502/503 and not applied",
    )
    parser.add_argument(
        "--error-after-rate",
        type=float,
        default=0.0,
        help="fraction of requests applied, then answered 500/502/503 (the answer is lost)",
    )
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="fraction of requests applied, then dropped without an answer",
    )
    parser.add_argument(
        "--truncate-rate",
        type=float,
        default=0.0,
        help="fraction of requests applied, then answered with a truncated body",
    )
    parser.add_argument(
        "--fault-methods",
        metavar="METHODS",
        default="",
        help="the rates apply to these methods only, e.g. POST,PUT,DELETE (default all)",
    )
    parser.add_argument(
        "--fault-paths",
        metavar="REGEX",
        default="",
        help="the rates apply to paths matching this regular expression only (default all)",
    )
    parser.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if (args.api_key is None) != (args.api_secret is None):
        print(
            "mjquery sandbox: give both --api-key and --api-secret (or "
            f"{ENV_SANDBOX_KEY} and {ENV_SANDBOX_SECRET}), or neither",
            file=sys.stderr,
        )
        return 2
    try:
        config = SandboxConfig(
            api_key=args.api_key or DEMO_API_KEY,
            api_secret=args.api_secret or DEMO_API_SECRET,
            latency_ms=args.latency_ms,
            rate_limit=args.rate_limit,
            fault_rate=args.fault_rate,
            drop_rate=args.drop_rate,
            truncate_rate=args.truncate_rate,
            error_after_rate=args.error_after_rate,
            fault_methods=tuple(
                m.strip().upper() for m in args.fault_methods.split(",") if m.strip()
            ),
            fault_paths=args.fault_paths,
            fault_seed=args.fault_seed,
        )
    except ValueError as exc:
        print(f"mjquery sandbox: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    sandbox = Sandbox(seed=args.seed, scale=args.scale, config=config)
    try:
        server = SandboxServer(sandbox, host=args.host, port=args.port).bind()
    except OSError as exc:
        print(
            f"mjquery sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def _terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _terminate)
    thread = threading.Thread(target=server.serve_forever, name="mjquery-sandbox", daemon=True)
    thread.start()
    key_note = "demo key pair" if args.api_key is None else "the given key pair"
    print(
        f"mjquery sandbox ready: {server.url}/v3/REST/ ({key_note}, scale {args.scale:g}, seed {args.seed}, "
        f"built in {time.perf_counter() - started:.1f}s); Ctrl-C to stop",
        flush=True,
    )
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        thread.join(timeout=5)
        signal.signal(signal.SIGTERM, previous)
    print("mjquery sandbox stopped", flush=True)
    return 0
