"""``mjquery://`` URLs: which account a SQLAlchemy engine connects to, and with which settings.

The forms, first match wins (the same order as the command line, see :mod:`mjquery.config`)::

    mjquery://?demo=true                        the built-in demo account (one sandbox per engine)
    mjquery://KEY:SECRET@/                      a key pair in the URL (the secret is masked in repr)
    mjquery://?profile=work                     a profile of ~/.config/mjquery/config.toml
    mjquery://                                  MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE, else the
                                                config file's default profile

Connection settings go in the query string: ``base_url``, ``cache_ttl``, ``max_concurrency``,
``rate_limit_per_second``, ``timeout``, ``max_fanout``, ``allow_unfiltered_writes``,
``local_database`` (a DuckDB file for local tables, shared by the engine's connections). Anything
else (a host, a database path, an unknown key, a value of the wrong type) is an
:class:`~sqlalchemy.exc.ArgumentError` at ``create_engine`` time, naming what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError

from mjquery.config import ConfigError, resolve_settings


def _flag(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ArgumentError(f"mjquery:// URL: {name}={text!r} is not true or false.")


def _number(kind: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def convert(name: str, text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise ArgumentError(
                f"mjquery:// URL: {name}={text!r} is not a{'n integer' if kind is int else ' number'}."
            ) from None
        if value < 0:
            raise ArgumentError(f"mjquery:// URL: {name} cannot be negative.")
        return value

    return convert


def _text(name: str, text: str) -> str:
    if not text:
        raise ArgumentError(f"mjquery:// URL: {name} is empty.")
    return text


#: Query-string keys that become ``mjquery.connect`` keyword arguments, with their readers.
_SETTINGS: dict[str, Callable[[str, str], Any]] = {
    "base_url": _text,
    "cache_ttl": _number(float),
    "max_concurrency": _number(int),
    "rate_limit_per_second": _number(float),
    "timeout": _number(float),
    "max_fanout": _number(int),
    "allow_unfiltered_writes": _flag,
    "local_database": _text,
}
#: Keys that choose the account rather than tune the connection.
_ACCOUNT = ("demo", "profile")


@dataclass(frozen=True)
class ConnectSettings:
    """What one engine's connections are opened with: ``mjquery.connect(**kwargs)``, and whether
    they share the engine's demo sandbox. ``source`` says where the key pair came from."""

    kwargs: Mapping[str, Any]
    demo: bool
    source: str

    def __repr__(self) -> str:  # the kwargs hold the secret
        return f"ConnectSettings(demo={self.demo}, source={self.source!r})"


def settings_from_url(url: URL, env: Mapping[str, str] | None = None) -> ConnectSettings:
    """Read an ``mjquery://`` URL; see the module docstring for the forms."""
    if url.host or url.port:
        raise ArgumentError(
            f"mjquery:// URL: the host part ({url.host}) is not used. Give the key pair as "
            "mjquery://KEY:SECRET@/ and another API address as ?base_url=https://... "
            "(or http://127.0.0.1:PORT for the sandbox)."
        )
    if url.database:
        raise ArgumentError(
            f"mjquery:// URL: the path /{url.database} is not used; write mjquery:// or "
            "mjquery://KEY:SECRET@/ followed by ?settings."
        )
    query = dict(url.query)
    unknown = sorted(set(query) - set(_SETTINGS) - set(_ACCOUNT))
    if unknown:
        known = ", ".join(sorted([*_ACCOUNT, *_SETTINGS]))
        raise ArgumentError(
            f"mjquery:// URL: unknown setting {', '.join(unknown)} (known: {known})."
        )
    values: dict[str, str] = {}
    for key, value in query.items():
        if not isinstance(value, str):
            raise ArgumentError(f"mjquery:// URL: {key} is given more than once.")
        values[key] = value
    kwargs: dict[str, Any] = {k: _SETTINGS[k](k, v) for k, v in values.items() if k in _SETTINGS}
    demo = _flag("demo", values["demo"]) if "demo" in values else False
    profile = values.get("profile")
    if url.username is not None and not url.password:
        raise ArgumentError(
            "mjquery:// URL: a key without its secret; write mjquery://KEY:SECRET@/ "
            "(percent-encode characters such as @ / : in the secret)."
        )
    chosen = [
        name
        for name, given in (
            ("demo=true", demo),
            ("a key pair", url.username is not None),
            ("profile=", profile),
        )
        if given
    ]
    if len(chosen) > 1:
        raise ArgumentError(f"mjquery:// URL: choose one account: {' or '.join(chosen)}.")
    if demo:
        if "base_url" in kwargs:
            raise ArgumentError(
                "mjquery:// URL: demo=true runs the built-in sandbox; to use a sandbox server, "
                "give its address as ?base_url=http://127.0.0.1:PORT with its key pair instead."
            )
        return ConnectSettings(kwargs, demo=True, source="demo")
    if url.username is not None:
        kwargs.update(api_key=url.username, api_secret=url.password)
        return ConnectSettings(kwargs, demo=False, source="URL")
    try:
        resolved = resolve_settings(profile=profile, base_url=kwargs.get("base_url"), env=env)
    except ConfigError as exc:
        message = str(exc).replace("--demo", "mjquery://?demo=true")
        raise ArgumentError(f"mjquery:// URL: {message}") from None
    return ConnectSettings(
        {**resolved.profile.connect_kwargs(), **kwargs}, demo=False, source=resolved.source
    )
