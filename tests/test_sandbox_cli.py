"""``mjquery sandbox``: one ready line, serves the API, stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET
from mjquery.sandbox.cli import main


@pytest.mark.server
def test_sandbox_command_serves_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mjquery.cli.main",
            "sandbox",
            "--port",
            "0",
            "--scale",
            "0.05",
            "--api-key",
            "k",
            "--api-secret",
            "s3cret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/v3/REST/", ready)
        assert match, ready
        assert "s3cret" not in ready
        url = f"http://127.0.0.1:{match.group(1)}/v3/REST/contactslist"
        assert httpx.get(url, auth=("k", "s3cret")).json()["Count"] > 0
        assert httpx.get(url, auth=(DEMO_API_KEY, DEMO_API_SECRET)).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out.strip() == "mjquery sandbox stopped"


def test_sandbox_command_needs_both_key_and_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--api-key", "only-key"]) == 2
    assert "give both --api-key and --api-secret" in capsys.readouterr().err


def test_sandbox_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "mjquery sandbox --latency-ms 80 --rate-limit 20" in capsys.readouterr().out
