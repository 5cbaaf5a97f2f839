"""Run the official Python client's integration suite against the sandbox.

``mailjet-rest`` (github.com/mailjet/mailjet-apiv3-python) ships an integration suite,
``tests/integration/test_client.py``, written against a real Mailjet account: what it asserts is
what its maintainers see production answer. Pointed at the sandbox, every test it passes is a
behaviour the sandbox shares with production, and every failure is either a difference to look
at or an API the sandbox does not serve.

Nothing of that repository is copied here. Give the path of a checkout::

    git clone https://github.com/mailjet/mailjet-apiv3-python /tmp/mailjet-apiv3-python
    python bench/official_client_suite.py /tmp/mailjet-apiv3-python

The suite runs with the checkout's own ``mailjet_rest`` (the checkout comes first on the path), in
a pytest process whose plugin (:mod:`bench.official_client_plugin`) sends every request for
``https://api.mailjet.com/`` to a sandbox server started here (``bench/sandbox_process.py``) with
the demo key pair as ``MJ_APIKEY_PUBLIC``/``MJ_APIKEY_PRIVATE``. The script prints one line per
test (outcome, and the first line of the reason for a failure) and the totals; its exit status is
pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.sandbox_process import SandboxProcess
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET

PROJECT = Path(__file__).resolve().parent.parent
SUITE = "tests/integration/test_client.py"


@dataclass(frozen=True)
class Outcome:
    test: str
    result: str  # passed, failed, error, skipped
    reason: str


def outcomes(junit: Path) -> list[Outcome]:
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        result, reason = "passed", ""
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                result = "failed" if kind == "failure" else kind
                text = node.get("message") or node.text or ""
                reason = text.strip().splitlines()[0][:160] if text.strip() else ""
                break
        found.append(Outcome(case.get("name", "?"), result, reason))
    return found


def run(checkout: Path, scale: float, keyword: str | None) -> int:
    if not (checkout / SUITE).is_file():
        print(
            f"{checkout} has no {SUITE}: give a checkout of mailjet-apiv3-python", file=sys.stderr
        )
        return 2
    with SandboxProcess(scale=scale) as server, tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "junit.xml"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_")}
        env.update(
            MJ_APIKEY_PUBLIC=DEMO_API_KEY,
            MJ_APIKEY_PRIVATE=DEMO_API_SECRET,
            MJQUERY_SUITE_SANDBOX_URL=server.url,
            PYTHONPATH=os.pathsep.join([str(checkout), str(PROJECT)]),
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            SUITE,
            "-p",
            "bench.official_client_plugin",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            f"--junitxml={junit}",
        ]
        if keyword:
            command += ["-k", keyword]
        status = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
        served = server.served()
        if not junit.exists():
            print(status.stdout, status.stderr, sep="\n", file=sys.stderr)
            return status.returncode or 1
        found = outcomes(junit)
    for outcome in found:
        tail = f": {outcome.reason}" if outcome.reason else ""
        print(f"{outcome.result:8} {outcome.test}{tail}")
    totals = Counter(o.result for o in found)
    print(
        f"{totals['passed']} passed, {totals['failed'] + totals['error']} failed, "
        f"{totals['skipped']} skipped of {len(found)} tests; the sandbox served "
        f"{served.requests} requests ({', '.join(f'{n} x {s}' for s, n in sorted(served.by_status.items()))})"
    )
    return status.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of mailjet-apiv3-python")
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox account size")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (a subset of tests)")
    args = parser.parse_args(argv)
    return run(args.checkout.resolve(), args.scale, args.keyword)


if __name__ == "__main__":
    raise SystemExit(main())
