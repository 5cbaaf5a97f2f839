"""Credentials and profiles: where settings come from, the config file, permissions, secrecy."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from mjquery import config
from mjquery.cli.main import main

SECRET = "s3cr3t-private-key-value"


def write_config(text: str, mode: int = 0o600) -> Path:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_paths_follow_xdg(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    assert config.config_path(env) == tmp_path / "c" / "mjquery" / "config.toml"
    assert config.history_path(env) == tmp_path / "d" / "mjquery" / "history"


def test_relative_xdg_values_are_ignored_as_the_spec_says(tmp_path: Path) -> None:
    assert config.config_dir({"XDG_CONFIG_HOME": "relative"}) == Path.home() / ".config" / "mjquery"


def test_environment_keys_are_used_without_a_config_file() -> None:
    settings = config.resolve_settings(env={"MJ_APIKEY_PUBLIC": "pub", "MJ_APIKEY_PRIVATE": SECRET})
    assert settings.profile.api_key == "pub"
    assert settings.profile.api_secret == SECRET
    assert "environment" in settings.source


def test_named_profile_wins_over_environment_and_base_url_overrides() -> None:
    write_config(
        f'[profiles.work]\napi_key = "wk"\napi_secret = "{SECRET}"\ncache_ttl = 60\nmax_concurrency = 4\n'
    )
    settings = config.resolve_settings(
        profile="work",
        base_url="http://127.0.0.1:9",
        env={**os.environ, "MJ_APIKEY_PUBLIC": "env", "MJ_APIKEY_PRIVATE": "x"},
    )
    assert settings.profile.connect_kwargs() == {
        "api_key": "wk",
        "api_secret": SECRET,
        "base_url": "http://127.0.0.1:9",
        "cache_ttl": 60.0,
        "max_concurrency": 4,
    }


def test_default_profile_is_used_when_nothing_else_is_given() -> None:
    write_config(
        f'default_profile = "eu"\n[profiles.eu]\napi_key = "eu"\napi_secret = "{SECRET}"\n'
        'base_url = "https://api.eu.mailjet.com"\n'
    )
    settings = config.resolve_settings()
    assert (settings.profile.name, settings.profile.base_url) == (
        "eu",
        "https://api.eu.mailjet.com",
    )


def test_missing_credentials_say_what_to_do() -> None:
    with pytest.raises(config.ConfigError, match=r"MJ_APIKEY_PUBLIC.*config add-profile.*--demo"):
        config.resolve_settings()


def test_unknown_profile_lists_the_known_ones() -> None:
    write_config(f'[profiles.work]\napi_key = "wk"\napi_secret = "{SECRET}"\n')
    with pytest.raises(config.ConfigError, match=r"no profile 'play'.*profiles: work"):
        config.resolve_settings(profile="play")


def test_bad_keys_and_types_name_the_file_and_key() -> None:
    write_config('[profiles.work]\napi_key = "wk"\napi_secret = "x"\ncache_tll = 3\n')
    with pytest.raises(
        config.ConfigError, match=r"config.toml: unknown key 'cache_tll' in \[profiles.work\]"
    ):
        config.resolve_settings(profile="work")
    write_config('[profiles.work]\napi_key = "wk"\napi_secret = "x"\nmax_concurrency = "many"\n')
    with pytest.raises(config.ConfigError, match=r"profiles.work.max_concurrency must be a number"):
        config.resolve_settings(profile="work")


def test_invalid_toml_does_not_echo_the_file() -> None:
    write_config(f'[profiles.work]\napi_secret = "{SECRET}\n')
    with pytest.raises(config.ConfigError) as info:
        config.resolve_settings(profile="work")
    assert "not valid TOML" in str(info.value)
    assert SECRET not in str(info.value)


def test_a_config_file_readable_by_others_gets_a_warning() -> None:
    path = write_config(f'[profiles.work]\napi_key = "wk"\napi_secret = "{SECRET}"\n', mode=0o644)
    warnings: list[str] = []
    config.resolve_settings(profile="work", warn=warnings.append)
    assert warnings == [
        f"warning: {path} is readable by other users and holds API secrets; run: chmod 600 {path}"
    ]


def test_a_private_config_file_gets_no_warning() -> None:
    write_config(f'[profiles.work]\napi_key = "wk"\napi_secret = "{SECRET}"\n', mode=0o600)
    warnings: list[str] = []
    config.resolve_settings(profile="work", warn=warnings.append)
    assert warnings == []


def test_profile_repr_hides_the_secret() -> None:
    profile = config.Profile(name="w", api_key="abcdefgh", api_secret=SECRET)
    assert SECRET not in repr(profile)
    assert profile.masked_key == "abcd…"


def test_saved_config_round_trips_with_mode_600() -> None:
    empty = config.load_config()
    profile = config.Profile(
        name="work",
        api_key="k",
        api_secret='we"ird\\secret',
        base_url="https://x",
        cache_ttl=30.0,
        max_concurrency=2,
        rate_limit_per_second=5.0,
    )
    config.save_config(config.add_profile(empty, profile))
    path = config.config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = config.load_config()
    assert loaded.get("work") == profile
    assert loaded.default_profile == "work"
    config.save_config(config.remove_profile(loaded, "work"))
    assert config.load_config().profiles == ()


def test_add_profile_command_prompts_for_the_secret_without_echo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return SECRET

    monkeypatch.setattr(config.getpass, "getpass", fake_getpass)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["config", "add-profile", "work", "--base-url", "https://api.eu.mailjet.com"],
        stdin=io.StringIO("mypublickey\n"),
        stdout=out,
        stderr=err,
    )
    assert status == 0
    assert prompts == ["API secret key (MJ_APIKEY_PRIVATE): "]
    assert "API key (MJ_APIKEY_PUBLIC): " in err.getvalue()
    assert SECRET not in out.getvalue() + err.getvalue()
    saved = config.load_config().get("work")
    assert saved is not None and saved.api_secret == SECRET and saved.api_key == "mypublickey"
    assert stat.S_IMODE(config.config_path().stat().st_mode) == 0o600

    listing = io.StringIO()
    assert main(["config", "list"], stdout=listing, stderr=io.StringIO()) == 0
    assert "work (default)" in listing.getvalue() and "mypu…" in listing.getvalue()
    assert SECRET not in listing.getvalue() and "mypublickey" not in listing.getvalue()


def test_config_path_and_remove_profile_commands() -> None:
    out = io.StringIO()
    assert main(["config", "path"], stdout=out) == 0
    assert out.getvalue().strip() == str(config.config_path())
    err = io.StringIO()
    assert main(["config", "remove-profile", "nope"], stdout=io.StringIO(), stderr=err) == 1
    assert err.getvalue().startswith("mjquery: error: no profile 'nope'")
