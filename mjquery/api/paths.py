"""Build API paths from typed parts: resource names are checked, keys are percent-encoded.

User values (an email, a list name, a composite ``Namespace|Name`` key) only ever enter a path
through :func:`quote_segment`, so ``a+b@x.com`` or ``../user`` cannot change which resource is
addressed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_:.-]*$")

PathKey = str | int


def _name(kind: str, value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"Invalid Mailjet {kind} name {value!r}")
    return value


def quote_segment(key: PathKey) -> str:
    """One path segment holding a user value, percent-encoded (``@`` kept, as the API shows it)."""
    if isinstance(key, bool):
        raise TypeError("a path key cannot be a boolean")
    text = str(key)
    if text == "":
        raise ValueError("A path key must not be empty")
    encoded = quote(text, safe="@")
    # Dot segments would be collapsed by URL normalisation and address another resource.
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def resource_path(resource: str, *, version: str = "v3", api: str = "REST") -> str:
    """``/v3/REST/<resource>``: the collection of a resource."""
    return f"/{_name('version', version)}/{_name('API', api)}/{_name('resource', resource)}"


def item_path(resource: str, key: PathKey, *, version: str = "v3", api: str = "REST") -> str:
    """``/v3/REST/<resource>/<key>``: one object, by ID or unique key (e.g. a contact's email)."""
    return f"{resource_path(resource, version=version, api=api)}/{quote_segment(key)}"


def action_path(
    resource: str, key: PathKey | None, action: str, action_key: PathKey | None = None
) -> str:
    """``/v3/REST/<resource>[/<key>]/<action>[/<action_key>]``: a sub-resource or action.

    ``key`` is None for global actions (``/v3/REST/contact/managemanycontacts``).
    """
    base = resource_path(resource) if key is None else item_path(resource, key)
    path = f"{base}/{_name('action', action)}"
    return path if action_key is None else f"{path}/{quote_segment(action_key)}"


def resource_of(path: str) -> str | None:
    """The lower-case resource a ``/v3/REST/...`` or ``/v3/DATA/...`` path addresses, if any."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) >= 3 and parts[1].lower() in ("rest", "data"):
        return parts[2].lower()
    return None
