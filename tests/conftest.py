"""Shared test set-up: a clean environment for every test, and the sandboxes tests run against.

No test sees the user's real Mailjet credentials or config. The sandboxes come in two kinds:

- shared, read-only demo accounts (``demo_sandbox``, ``small_demo_sandbox``): built once per run,
  because building one costs a second or more; tests that use them must not write to them;
- fresh hand-made accounts (``sandbox`` for the API-level tests, ``sb`` for the write path): built
  for each test, so a test may change them freely.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest

import mjquery
from mjquery.dbapi import Connection
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig
from tests.sandbox_fixtures import BASE_URL, small_account
from tests.writes_support import writes_sandbox

# The Ctrl-C tests send SIGINT to the processes they start. A shell that runs a command in the
# background (`pytest &`, some CI runners) starts it with SIGINT ignored, and an ignored signal
# stays ignored in every child, so those children would never see the Ctrl-C and the tests
# would wait for nothing. Handling SIGINT here gives each child the default disposition again.
signal.signal(signal.SIGINT, signal.default_int_handler)

# SQLAlchemy's compliance suite is its own pytest run (its plugin keeps only test classes and
# reorders the session); tests/test_sqlalchemy_suite.py runs it in a subprocess.
collect_ignore = ["sqlalchemy_suite"]


@pytest.fixture(autouse=True)
def _clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Clear credentials and point config/history at a throw-away directory for every test."""
    for name in ("MJ_APIKEY_PUBLIC", "MJ_APIKEY_PRIVATE", "MJQUERY_PROFILE", "MJQUERY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(scope="session")
def demo_sandbox() -> Sandbox:
    """The seeded demo account at scale 1 (2,000 contacts, 20,000 messages); read-only."""
    return Sandbox(seed=42)


@pytest.fixture(scope="session")
def small_demo_sandbox() -> Sandbox:
    """The seeded demo account at scale 0.2 (400 contacts); read-only."""
    return Sandbox(seed=42, scale=0.2)


@pytest.fixture
def demo_conn(demo_sandbox: Sandbox) -> Iterator[Connection]:
    """A new connection to ``demo_sandbox`` (its request log cleared first)."""
    demo_sandbox.log.clear()
    with mjquery.connect(sandbox=demo_sandbox) as connection:
        yield connection


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh hand-made account with one row of every resource (tests/sandbox_fixtures.py)."""
    return Sandbox(
        data=small_account(), config=SandboxConfig(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET)
    )


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A plain httpx client on ``sandbox``, authenticated with the demo key pair."""
    with httpx.Client(
        transport=sandbox.transport(), base_url=BASE_URL, auth=(DEMO_API_KEY, DEMO_API_SECRET)
    ) as http:
        yield http


@pytest.fixture
def sb() -> Sandbox:
    """A fresh small account for the write path (tests/writes_support.py); tests change it."""
    return writes_sandbox()


@pytest.fixture
def sb_conn(sb: Sandbox) -> Iterator[Connection]:
    """A new connection to ``sb``."""
    with mjquery.connect(sandbox=sb) as connection:
        yield connection
