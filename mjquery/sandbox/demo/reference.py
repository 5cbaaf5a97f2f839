"""What the demo builder needs from the vendored API reference, and its time helpers.

The field list of every resource comes from ``reference/resources.json`` so a demo row always has
exactly the fields the reference lists, in its order; :func:`row` refuses anything else, which
turns a typo in the generator into an immediate error instead of a silently wrong resource.
"""

from __future__ import annotations

import json
import time
from functools import cache
from importlib import resources as importlib_resources
from typing import Any


@cache
def reference_entries() -> tuple[dict[str, Any], ...]:
    """Every entry of the vendored ``resources.json``, parsed once per process."""
    text = (
        importlib_resources.files("mjquery.sandbox")
        .joinpath("reference/resources.json")
        .read_text("utf-8")
    )
    return tuple(json.loads(text))


@cache
def fields_of(resource: str) -> tuple[str, ...]:
    """The field names the reference lists for ``resource``, in the reference's order."""
    for entry in reference_entries():
        if entry["resource"] == resource:
            return tuple(field["name"] for field in entry["fields"] or ())
    raise KeyError(f"resource {resource!r} is not in the reference")


@cache
def field_set(resource: str) -> frozenset[str]:
    return frozenset(fields_of(resource))


def row(resource: str, **values: Any) -> dict[str, Any]:
    """A row of ``resource`` with exactly its reference fields, in reference order."""
    names = fields_of(resource)
    if len(values) != len(names) or values.keys() != field_set(resource):
        missing = sorted(field_set(resource) - values.keys())
        extra = sorted(values.keys() - field_set(resource))
        raise ValueError(f"{resource} row: missing {missing}, unexpected {extra}")
    return {name: values[name] for name in names}


def rfc3339(ts: int) -> str:
    """Unix time -> the API's RFC 3339 UTC form, ``2026-10-03T09:12:44Z``; 0 means unset -> ``""``."""
    if not ts:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def day_start(ts: int) -> int:
    """Unix time of the UTC midnight that starts the day of ``ts``."""
    return ts - ts % 86400
