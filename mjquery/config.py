"""Credentials, profiles and the user's config file.

Where settings come from, first match wins:

1. ``--profile NAME`` (or ``MJQUERY_PROFILE``): that profile of the config file;
2. ``MJ_APIKEY_PUBLIC`` and ``MJ_APIKEY_PRIVATE`` in the environment (both, or it is an error
   naming the missing one); they take the place of the default profile, which ``--verbose``
   and ``mjquery config show`` say;
3. the config file's ``default_profile``, or a profile called ``default``.

The config file is ``mjquery/config.toml`` in the user's config directory
(``$XDG_CONFIG_HOME`` or ``~/.config`` on Linux and macOS, ``%APPDATA%`` on Windows)::

    default_profile = "work"

    [profiles.work]
    api_key = "..."
    api_secret = "..."
    base_url = "https://api.mailjet.com"
    cache_ttl = 300
    max_concurrency = 4     # optional; unset = mjquery.api.DEFAULT_MAX_CONCURRENCY

Secrets live only in that file, which mjquery writes with mode 600 and warns about when others
can read it. A :class:`Profile` never shows its secret in ``repr`` and nothing here prints it.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from mjquery.api import DEFAULT_MAX_CONCURRENCY
from mjquery.errors import InterfaceError

APP_NAME = "mjquery"
ENV_KEY = "MJ_APIKEY_PUBLIC"
ENV_SECRET = "MJ_APIKEY_PRIVATE"
ENV_PROFILE = "MJQUERY_PROFILE"
ENV_BASE_URL = "MJQUERY_BASE_URL"


class ConfigError(InterfaceError):
    """The config file or the requested profile is missing or malformed."""


# -- paths -----------------------------------------------------------------------------------


def _home_dir(env: Mapping[str, str], xdg_name: str, fallback: str, windows_name: str) -> Path:
    value = env.get(xdg_name)
    if value and os.path.isabs(value):
        return Path(value)
    if sys.platform == "win32" and env.get(windows_name):
        return Path(env[windows_name])
    return Path.home() / fallback


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding ``config.toml``."""
    env = os.environ if env is None else env
    return _home_dir(env, "XDG_CONFIG_HOME", ".config", "APPDATA") / APP_NAME


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding the shell history."""
    env = os.environ if env is None else env
    return _home_dir(env, "XDG_DATA_HOME", ".local/share", "LOCALAPPDATA") / APP_NAME


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding state worth keeping between runs (import journals)."""
    env = os.environ if env is None else env
    return _home_dir(env, "XDG_STATE_HOME", ".local/state", "LOCALAPPDATA") / APP_NAME / "state"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "config.toml"


def history_path(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / "history"


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What one connection needs: a key pair and the connection settings."""

    name: str
    api_key: str | None = None
    api_secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    cache_ttl: float | None = None
    max_concurrency: int | None = None
    rate_limit_per_second: float | None = None

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``mjquery.connect``, leaving out what is not set."""
        kwargs: dict[str, object] = {}
        for name in (
            "api_key",
            "api_secret",
            "base_url",
            "cache_ttl",
            "max_concurrency",
            "rate_limit_per_second",
        ):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs

    @property
    def masked_key(self) -> str:
        """The public key shortened for display (``abcd…``); the secret is never shown."""
        if not self.api_key:
            return "(none)"
        return self.api_key[:4] + "…"


_PROFILE_KEYS = {f.name: f for f in fields(Profile) if f.name != "name"}
_NUMBER_KEYS = {"cache_ttl": float, "max_concurrency": int, "rate_limit_per_second": float}


@dataclass(frozen=True)
class ConfigFile:
    """The parsed config file (an empty one when it does not exist)."""

    path: Path
    profiles: tuple[Profile, ...] = ()
    default_profile: str | None = None

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)


def _profile_from_table(path: Path, name: str, table: object) -> Profile:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{name}] must be a table")
    values: dict[str, object] = {}
    for key, value in table.items():
        if key not in _PROFILE_KEYS:
            known = ", ".join(sorted(_PROFILE_KEYS))
            raise ConfigError(
                f"{path}: unknown key {key!r} in [profiles.{name}] (known keys: {known})"
            )
        if key in _NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{path}: profiles.{name}.{key} must be a number")
            value = _NUMBER_KEYS[key](value)
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: profiles.{name}.{key} must be a string")
        values[key] = value
    return Profile(name=name, **values)  # type: ignore[arg-type]


def load_config(
    path: Path | None = None, *, warn: Callable[[str], None] | None = None
) -> ConfigFile:
    """Read the config file; a missing file is an empty config.

    ``warn`` receives a message when the file is readable by other users (it holds secrets).
    """
    path = config_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if warn is not None:
        message = permission_warning(path)
        if message:
            warn(message)
    import tomllib  # here: a command whose settings come from the environment never needs it

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # The message of TOMLDecodeError has the position, never a value from the file.
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    profiles_table = data.get("profiles", {})
    if not isinstance(profiles_table, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table of [profiles.NAME] tables")
    profiles = tuple(
        _profile_from_table(path, name, table) for name, table in profiles_table.items()
    )
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{path}: default_profile must be a string")
    return ConfigFile(path=path, profiles=profiles, default_profile=default)


def permission_warning(path: Path) -> str | None:
    """A warning when the file holding secrets can be read by group or others (POSIX only)."""
    if os.name != "posix":
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: {path} is readable by other users and holds API secrets; "
            f"run: chmod 600 {path}"
        )
    return None


# -- choosing the settings -------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedSettings:
    """The profile a connection uses, and where it came from (for ``.profile`` and errors)."""

    profile: Profile
    source: str  # "profile 'work' in /path/config.toml", "the environment (...)"
    overridden: str | None = None  # the profile the environment's keys take the place of

    @property
    def note(self) -> str:
        """Where the keys come from, in one line (``--verbose``, the 401 message)."""
        if self.overridden:
            return f"{self.source}, which override the profile {self.overridden!r}"
        return self.source


ENV_PAIR = f"{ENV_KEY} / {ENV_SECRET}"
NO_CREDENTIALS_MESSAGE = (
    f"no Mailjet credentials: set {ENV_KEY} and {ENV_SECRET}, "
    "add a profile with `mjquery config add-profile NAME`, or try the demo account with --demo"
)


def _half_pair(env: Mapping[str, str]) -> str | None:
    """The error when only one of the two key variables is set (the other one is a typo or
    was forgotten: the profile it would silently fall back to is not what the user meant)."""
    have_key, have_secret = bool(env.get(ENV_KEY)), bool(env.get(ENV_SECRET))
    if have_key == have_secret:
        return None
    present, missing = (ENV_KEY, ENV_SECRET) if have_key else (ENV_SECRET, ENV_KEY)
    return (
        f"{present} is set but {missing} is not: set both (the API key and the secret key), "
        f"or unset {present} to use a profile"
    )


def _default_profile_name(config: ConfigFile) -> str | None:
    return config.default_profile or ("default" if config.get("default") else None)


def resolve_settings(
    *,
    profile: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    config: ConfigFile | None = None,
    warn: Callable[[str], None] | None = None,
) -> ResolvedSettings:
    """Pick the profile for a connection (see the module docstring for the order)."""
    env = os.environ if env is None else env
    config = load_config(config_path(env), warn=warn) if config is None else config
    base_url = base_url or env.get(ENV_BASE_URL) or None
    profile = profile or env.get(ENV_PROFILE) or None
    overridden = None

    if profile:
        found = config.get(profile)
        if found is None:
            known = ", ".join(config.names) or "none"
            raise ConfigError(
                f"no profile {profile!r} in {config.path} (profiles: {known}); "
                f"add it with `mjquery config add-profile {profile}`"
            )
        source = f"profile {profile!r} in {config.path}"
    elif half := _half_pair(env):
        raise ConfigError(half)
    elif env.get(ENV_KEY) and env.get(ENV_SECRET):
        found = Profile(name="environment", api_key=env[ENV_KEY], api_secret=env[ENV_SECRET])
        source = f"the environment ({ENV_PAIR})"
        default = _default_profile_name(config)
        overridden = default if default and config.get(default) else None
    else:
        name = _default_profile_name(config)
        found = config.get(name) if name else None
        if found is None:
            if config.default_profile:
                raise ConfigError(
                    f"default_profile {config.default_profile!r} is not a profile in {config.path}"
                )
            raise ConfigError(NO_CREDENTIALS_MESSAGE)
        source = f"profile {name!r} in {config.path}"
    if not found.api_key or not found.api_secret:
        raise ConfigError(
            f"{source} has no api_key/api_secret; "
            f"set them with `mjquery config add-profile {found.name}`"
        )
    if base_url:
        found = replace(found, base_url=base_url)
    return ResolvedSettings(profile=found, source=source, overridden=overridden)


# -- where each setting comes from (mjquery config show) ---------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting as ``mjquery config show`` prints it: its value (secrets masked) and origin."""

    name: str
    value: str
    source: str


#: What a connection uses when nothing sets a value (mjquery.connect's defaults).
DEFAULTS = {
    "base_url": "https://api.mailjet.com",
    "cache_ttl": "300",
    "max_concurrency": str(DEFAULT_MAX_CONCURRENCY),
    "rate_limit_per_second": "none (adapts to the API's 429 answers)",
}


def _mask_secret(secret: str | None) -> str:
    return "(not set)" if not secret else "******** (set; never shown)"


def show_settings(
    *,
    profile: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    config: ConfigFile | None = None,
) -> tuple[Setting, ...]:
    """Every setting a connection would use and where it comes from, without failing when the
    credentials are incomplete (that is what the user wants to find out)."""
    env = os.environ if env is None else env
    config = load_config(config_path(env)) if config is None else config
    rows: list[Setting] = []
    exists = "" if config.path.exists() else " (does not exist yet)"
    rows.append(Setting("config file", str(config.path) + exists, "XDG_CONFIG_HOME or ~/.config"))

    chosen = profile or env.get(ENV_PROFILE) or None
    chosen_source = "--profile" if profile else (ENV_PROFILE if chosen else "")
    use_env = not chosen and bool(env.get(ENV_KEY) or env.get(ENV_SECRET))
    if not chosen and not use_env:
        chosen = _default_profile_name(config)
        chosen_source = (
            f"default_profile in {config.path}"
            if config.default_profile
            else "the profile named default"
        )
    found = config.get(chosen) if chosen else None
    if use_env:
        default = _default_profile_name(config)
        overrides = (
            f"; they override the profile {default!r}" if default and config.get(default) else ""
        )
        rows.append(Setting("profile", "(none: keys from the environment)", ENV_PAIR + overrides))
        key_source = f"{ENV_KEY} (environment)" if env.get(ENV_KEY) else f"{ENV_KEY} is not set"
        secret_source = (
            f"{ENV_SECRET} (environment)" if env.get(ENV_SECRET) else f"{ENV_SECRET} is not set"
        )
        key = Profile("environment", api_key=env.get(ENV_KEY)).masked_key
        rows.append(Setting("api_key", key, key_source))
        rows.append(Setting("api_secret", _mask_secret(env.get(ENV_SECRET)), secret_source))
    elif chosen and found is None:
        rows.append(
            Setting("profile", chosen, f"{chosen_source}: no such profile in {config.path}")
        )
    elif found is None:
        rows.append(Setting("profile", "(none)", NO_CREDENTIALS_MESSAGE))
    else:
        where = f"profile {found.name!r}"
        rows.append(Setting("profile", found.name, chosen_source))
        rows.append(Setting("api_key", found.masked_key, where))
        rows.append(Setting("api_secret", _mask_secret(found.api_secret), where))

    def origin(name: str, flag: str | None, env_name: str | None) -> None:
        if flag is not None:
            rows.append(Setting(name, flag, f"--{name.replace('_', '-')}"))
        elif env_name and env.get(env_name):
            rows.append(Setting(name, env[env_name], env_name))
        elif found is not None and not use_env and getattr(found, name) is not None:
            rows.append(Setting(name, str(getattr(found, name)), f"profile {found.name!r}"))
        else:
            rows.append(Setting(name, DEFAULTS[name], "default"))

    origin("base_url", base_url, ENV_BASE_URL)
    for name in ("cache_ttl", "max_concurrency", "rate_limit_per_second"):
        origin(name, None, None)
    rows.append(Setting("history file", str(history_path(env)), "XDG_DATA_HOME or ~/.local/share"))
    return tuple(rows)


# -- writing ---------------------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(name: str) -> str:
    bare = name.replace("-", "").replace("_", "")
    return name if bare.isascii() and bare.isalnum() else json.dumps(name, ensure_ascii=False)


def render_config(config: ConfigFile) -> str:
    """The TOML text of ``config`` (mjquery owns the file, so it writes it whole)."""
    lines = ["# mjquery settings: holds API secrets, keep it private (chmod 600).", ""]
    if config.default_profile:
        lines += [f"default_profile = {_toml_value(config.default_profile)}", ""]
    for p in config.profiles:
        lines.append(f"[profiles.{_toml_key(p.name)}]")
        for key in _PROFILE_KEYS:
            value = getattr(p, key)
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def save_config(config: ConfigFile) -> None:
    """Write the config file with mode 600 (its directory 700), replacing it atomically."""
    path = config.path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_config(config))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def add_profile(config: ConfigFile, profile: Profile, *, make_default: bool = False) -> ConfigFile:
    """``config`` with ``profile`` added (or replaced), optionally made the default."""
    if not profile.name or not profile.name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"invalid profile name {profile.name!r}: use letters, digits, '-' and '_'"
        )
    others = tuple(p for p in config.profiles if p.name != profile.name)
    default = profile.name if make_default or not config.default_profile else config.default_profile
    return replace(config, profiles=(*others, profile), default_profile=default)


def remove_profile(config: ConfigFile, name: str) -> ConfigFile:
    if config.get(name) is None:
        raise ConfigError(f"no profile {name!r} in {config.path}")
    default = None if config.default_profile == name else config.default_profile
    return replace(
        config,
        profiles=tuple(p for p in config.profiles if p.name != name),
        default_profile=default,
    )


def prompt_secret(prompt: str = "API secret key (MJ_APIKEY_PRIVATE): ") -> str:
    """Read a secret from the terminal without echoing it."""
    return getpass.getpass(prompt)


def secrets_of(profile: Profile | None) -> tuple[str, ...]:
    """Strings to scrub from any message shown to the user."""
    if profile is None:
        return ()
    return tuple(s for s in (profile.api_secret,) if s and len(s) >= 4)
