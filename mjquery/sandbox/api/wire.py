"""What the sandbox's parts exchange: one request, one answer, and the error answers of the API.

:class:`SandboxRequest` and :class:`SandboxResponse` are independent of how a request arrived (the
in-process httpx transport or the HTTP server); :class:`ApiError` is raised anywhere in the API and
becomes the API's error body, ``{"ErrorInfo", "ErrorMessage", "StatusCode"}``, at one place
(:meth:`mjquery.sandbox.api.core.Sandbox.handle`). The body helpers read JSON request bodies as the
API does (property names case-insensitively).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

import orjson

JSON_HEADERS = (("Content-Type", "application/json"),)
UNAUTHORIZED_HEADERS = (
    ("Content-Type", "text/html"),
    ("WWW-Authenticate", 'Basic realm="Provide an apiKey and secretKey"'),
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Fault(enum.Enum):
    """What happens to the answer on its way back."""

    NONE = "none"
    DROP = "drop"  # the connection closes without an answer
    TRUNCATE = "truncate"  # the body stops short of its Content-Length


@dataclass(frozen=True)
class SandboxRequest:
    """One HTTP request, independent of how it arrived. ``path`` may still be percent-encoded."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class SandboxResponse:
    """One answer: status, headers, body, and what happens to it on its way back."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    fault: Fault = Fault.NONE


class ApiError(Exception):
    """An error answer: ``{"ErrorInfo", "ErrorMessage", "StatusCode"}``."""

    def __init__(self, status: int, message: Any, info: Any = "") -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.info = info


def error_response(status: int, message: Any, info: Any = "") -> SandboxResponse:
    """The API's error body for ``status``."""
    body = orjson.dumps({"ErrorInfo": info, "ErrorMessage": message, "StatusCode": status})
    return SandboxResponse(status, JSON_HEADERS, body)


def envelope(rows: list[dict[str, Any]], status: int = 200) -> SandboxResponse:
    """The REST envelope: ``{"Count", "Data", "Total"}`` with ``Count`` = ``Total`` = the rows sent."""
    body = orjson.dumps({"Count": len(rows), "Data": rows, "Total": len(rows)})
    return SandboxResponse(status, JSON_HEADERS, body)


def not_found() -> ApiError:
    """The 404 of an unknown record."""
    return ApiError(404, "Object not found")


def json_body(raw: bytes) -> Any:
    """A request body as JSON (an empty body is ``{}``); malformed JSON is the API's 400."""
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Invalid json input: {exc}") from None


def object_body(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object."""
    body = json_body(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid json input: an object is expected")
    return body


def body_value(body: dict[str, Any], name: str) -> Any:
    """A body property by case-insensitive name (the API reads JSON names case-insensitively)."""
    wanted = name.lower()
    for key, value in body.items():
        if key.lower() == wanted:
            return value
    return None
