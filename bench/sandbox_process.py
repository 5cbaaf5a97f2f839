"""The sandbox HTTP server in its own process, with a control channel for the benchmarks.

This is what ``mjquery sandbox`` runs (the same :class:`~mjquery.sandbox.Sandbox` behind the same
:class:`~mjquery.sandbox.SandboxServer`), plus a line protocol on stdin/stdout so the benchmark can
read the server's own request log: the request counts in the benchmark report are what the
server served, not what the client says it sent.

Run as a script (``python bench/sandbox_process.py --scale 50 --latency-ms 50``). It prints one
line ``ready <url>`` when it listens, then answers one line per command:

``log``    -> ``{"requests": N, "throttled": M, "by_status": {...}}`` (JSON) since the last clear
``clear``  -> ``ok`` (empties the request log)
``params`` -> the query parameters of every logged request, as one JSON list (for diagnostics)
``latency <ms>`` -> ``ok`` (every later answer waits that long: one account, several latencies)

End of input (the parent closing the pipe, or dying) stops the server.

:class:`SandboxProcess` is the parent's side: it starts the child on a free port of 127.0.0.1,
waits for ``ready`` and wraps the commands.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from mjquery.sandbox.api.log import LoggedRequest

_HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class ServedRequests:
    """What the server served since the last clear."""

    requests: int
    throttled: int  # answered 429
    by_status: dict[str, int]


class SandboxProcess:
    """A sandbox server running in a child process; use as a context manager.

    ``start_timeout`` covers building the demo account (about 30 s at scale 50 on a small machine).
    """

    def __init__(
        self,
        *,
        scale: float,
        seed: int = 42,
        latency_ms: float = 0.0,
        rate_limit: float = 0.0,
        start_timeout: float = 300.0,
    ) -> None:
        self.scale = scale
        self.seed = seed
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.start_timeout = start_timeout
        self.url = ""
        self.build_seconds = 0.0
        self._proc: subprocess.Popen[str] | None = None

    # The child is started in start() and waited for in wait_ready(), so two servers can be built
    # at the same time.
    def start(self) -> SandboxProcess:
        command = [
            sys.executable,
            str(_HERE),
            "--scale",
            f"{self.scale:g}",
            "--seed",
            str(self.seed),
            "--latency-ms",
            f"{self.latency_ms:g}",
            "--rate-limit",
            f"{self.rate_limit:g}",
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_HERE.parent.parent), env.get("PYTHONPATH")) if p
        )
        self._started = time.perf_counter()
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=env
        )
        return self

    def wait_ready(self) -> SandboxProcess:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"the sandbox process did not start (it said {line!r})")
        self.url = line.split()[1]
        self.build_seconds = time.perf_counter() - self._started
        return self

    def __enter__(self) -> SandboxProcess:
        if self._proc is None:
            self.start()
        if not self.url:
            self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def _ask(self, command: str) -> str:
        assert (
            self._proc is not None
            and self._proc.stdin is not None
            and self._proc.stdout is not None
        )
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._proc.stdout.readline().strip()

    def served(self) -> ServedRequests:
        answer = json.loads(self._ask("log"))
        return ServedRequests(answer["requests"], answer["throttled"], answer["by_status"])

    def calls(self) -> list[LoggedRequest]:
        return [
            LoggedRequest(
                c["method"], c["path"], tuple((k, v) for k, v in c["params"]), c["status"]
            )
            for c in json.loads(self._ask("params"))
        ]

    def set_latency(self, latency_ms: float) -> None:
        """Every later answer of the server waits ``latency_ms`` (the account stays the same)."""
        answer = self._ask(f"latency {latency_ms:g}")
        if answer != "ok":
            raise RuntimeError(f"the sandbox process refused the latency: {answer}")
        self.latency_ms = latency_ms

    def clear(self) -> None:
        if self._ask("clear") != "ok":
            raise RuntimeError("the sandbox process did not clear its log")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, OSError):
            proc.kill()
            proc.wait(timeout=10)
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


def _serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=0.0)
    args = parser.parse_args(argv)

    from mjquery.sandbox import Sandbox, SandboxConfig, SandboxServer

    sandbox = Sandbox(
        seed=args.seed,
        scale=args.scale,
        config=SandboxConfig(latency_ms=args.latency_ms, rate_limit=args.rate_limit),
    )
    server = SandboxServer(sandbox, host="127.0.0.1", port=0).start()
    print(f"ready {server.url}", flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "log":
                statuses = Counter(str(r.status) for r in sandbox.log)
                print(
                    json.dumps(
                        {
                            "requests": sum(statuses.values()),
                            "throttled": statuses.get("429", 0),
                            "by_status": dict(statuses),
                        }
                    ),
                    flush=True,
                )
            elif command == "clear":
                sandbox.log.clear()
                print("ok", flush=True)
            elif command.startswith("latency "):
                sandbox.config = replace(sandbox.config, latency_ms=float(command.split()[1]))
                print("ok", flush=True)
            elif command == "params":
                print(
                    json.dumps(
                        [
                            {
                                "method": r.method,
                                "path": r.path,
                                "params": list(r.params),
                                "status": r.status,
                            }
                            for r in sandbox.log
                        ]
                    ),
                    flush=True,
                )
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
