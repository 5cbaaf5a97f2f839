"""Where the keys come from, said where it matters: --verbose, a 401, config show; the base URL
as the sandbox prints it; the sandbox's secret kept out of ps."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjquery import config
from mjquery.api import ApiConfig
from mjquery.cli.main import main
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxServer
from mjquery.sandbox.cli import _parser as sandbox_parser

SECRET = "s3cr3t-private-key-value"


def write_profile(name: str = "work", key: str = "wk", secret: str = SECRET) -> Path:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default_profile = "{name}"\n[profiles.{name}]\napi_key = "{key}"\napi_secret = "{secret}"\n'
    )
    os.chmod(path, 0o600)
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(Sandbox(seed=42, scale=0.2), host="127.0.0.1", port=0) as served:
        yield served


@pytest.mark.server
@pytest.mark.parametrize("suffix", ["", "/", "/v3/REST/", "/v3/REST", "/v3"])
def test_the_base_url_may_end_with_the_rest_prefix_or_a_slash(
    suffix: str, server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", DEMO_API_KEY)
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", DEMO_API_SECRET)
    status, out, err = run(
        "--base-url", server.url + suffix, "-f", "csv", "-c", "SELECT COUNT(*) AS n FROM List"
    )
    assert status == 0, err
    assert out == "n\n7\n"


def test_the_api_config_normalises_the_base_url() -> None:
    for url in (
        "https://api.mailjet.com/v3/REST/",
        "https://api.mailjet.com/",
        "https://api.mailjet.com",
    ):
        assert ApiConfig(base_url=url, api_key="k", api_secret="s").base_url == (
            "https://api.mailjet.com"
        )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"MJ_APIKEY_PUBLIC": "pub"}, "MJ_APIKEY_PRIVATE"),
        ({"MJ_APIKEY_PRIVATE": SECRET}, "MJ_APIKEY_PUBLIC"),
    ],
)
def test_only_one_key_variable_names_the_missing_one(
    env: dict[str, str], missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile()  # even with a default profile: the half-set pair is a mistake to report
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, _, err = run("-c", "SELECT 1")
    assert status == 1
    present = next(iter(env))
    assert err == (
        f"mjquery: error: {present} is set but {missing} is not: set both (the API key and the "
        f"secret key), or unset {present} to use a profile\n"
    )
    assert SECRET not in err


@pytest.mark.server
def test_verbose_and_a_401_say_that_the_environment_overrides_the_profile(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_profile()
    monkeypatch.setenv("MJ_APIKEY_PUBLIC", "wrong-key")
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", SECRET)
    status, _, err = run("--base-url", server.url, "-v", "-c", "SELECT COUNT(*) FROM List")
    assert status == 1
    where = (
        "the environment (MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE), which override the profile 'work'"
    )
    assert f"mjquery: credentials: {where}\n" in err
    assert f"The key pair came from {where}." in err
    # the credentials 401 has an empty body: the status alone, no empty quote of the API
    assert "[HTTP 401]" in err and "[HTTP 401: ]" not in err
    assert SECRET not in err
    assert str(path)  # the profile exists


@pytest.mark.server
def test_a_401_with_a_profile_names_the_profile(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_profile("eu", key="nope")
    status, _, err = run("--base-url", server.url, "-c", "SELECT COUNT(*) FROM List")
    assert status == 1
    assert f"The key pair came from profile 'eu' in {path}." in err
    assert SECRET not in err


def test_config_show_says_where_each_setting_comes_from(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_profile()
    status, out, _ = run("config", "show", "-f", "csv")
    assert status == 0
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    assert rows["profile"] == f"profile,work,default_profile in {path}"
    assert rows["api_key"] == "api_key,wk…,profile 'work'"  # the first 4 characters at most
    assert rows["api_secret"] == "api_secret,******** (set; never shown),profile 'work'"
    assert rows["base_url"] == "base_url,https://api.mailjet.com,default"
    assert SECRET not in out

    monkeypatch.setenv("MJ_APIKEY_PUBLIC", "envkey123")
    monkeypatch.setenv("MJ_APIKEY_PRIVATE", SECRET)
    monkeypatch.setenv("MJQUERY_BASE_URL", "http://127.0.0.1:8765")
    status, out, _ = run("config", "show", "-f", "csv")
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    assert "they override the profile 'work'" in rows["profile"]
    assert rows["api_key"] == "api_key,envk…,MJ_APIKEY_PUBLIC (environment)"
    assert rows["base_url"] == "base_url,http://127.0.0.1:8765,MJQUERY_BASE_URL"
    assert SECRET not in out


def test_the_sandbox_takes_its_key_pair_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MJQUERY_SANDBOX_API_KEY", "k1")
    monkeypatch.setenv("MJQUERY_SANDBOX_API_SECRET", SECRET)
    args = sandbox_parser().parse_args([])
    assert (args.api_key, args.api_secret) == ("k1", SECRET)
