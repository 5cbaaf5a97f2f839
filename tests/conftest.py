"""Shared test set-up: no test sees the user's real Mailjet credentials or config."""

from __future__ import annotations

import pytest


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
