"""The errors the API client raises, and the one place an HTTP answer becomes an mjquery error.

Every class here is an :class:`mjquery.errors.ApiError` (``status``, ``api_message``, ``method``,
``path``) *and* the PEP 249 class that matches its meaning, so callers can catch either:

========================  =================================  =========================================
answer                    class                              PEP 249 parent
========================  =================================  =========================================
401, empty body           ApiAuthenticationError             AuthenticationError (OperationalError)
401 with a reason         ApiRefusedError                    NotSupportedError
403                       ApiPermissionError                 OperationalError
404                       ApiNotFoundError                   ProgrammingError
400 MJ18 (duplicate)      ApiDuplicateError                  IntegrityError
400, 405, other 4xx       ApiRequestError / ApiNotAllowed…   ProgrammingError / NotSupportedError
429 after retries         ApiRateLimitError                  RateLimitError (OperationalError)
5xx after retries         ApiServerError                     OperationalError
no answer                 ApiUnreachableError                OperationalError
write with unknown fate   ApiOutcomeUnknownError             OperationalError
unreadable answer         ApiResponseError                   OperationalError
========================  =================================  =========================================

Messages never contain the key pair: they are built from the method, the path (no query string,
no host) and the API's own ``ErrorMessage``.
"""

from __future__ import annotations

from typing import Any

import orjson

from mjquery.errors import (
    ApiError,
    AuthenticationError,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    RateLimitError,
)


class ApiAuthenticationError(ApiError, AuthenticationError):
    """HTTP 401 with an empty body: the API key pair was refused."""


class ApiRefusedError(ApiError, NotSupportedError):
    """HTTP 401 with a reason: the key pair is fine, the API refused this operation.

    Production answers 401 ``Operation not allowed`` (``DELETE /v3/REST/contact/{id}``) and 401
    ``MJ19 Setting a value for property "X" is not allowed`` (a read-only property written):
    one request refused, not the credentials (which get a 401 with an empty body).
    """


class ApiPermissionError(ApiError, OperationalError):
    """HTTP 403: this key may not use this resource."""


class ApiNotFoundError(ApiError, ProgrammingError):
    """HTTP 404: no object at this path."""


class ApiDuplicateError(ApiError, IntegrityError):
    """The API refused a write because a unique value already exists (MJ18)."""


class ApiRequestError(ApiError, ProgrammingError):
    """HTTP 400 (or another 4xx): the API rejected the request; ``api_message`` says why."""


class ApiNotAllowedError(ApiError, NotSupportedError):
    """HTTP 405: the resource does not allow this method."""


class ApiRateLimitError(ApiError, RateLimitError):
    """HTTP 429 was still the answer after every retry (or the API asked for too long a wait)."""


class ApiServerError(ApiError, OperationalError):
    """HTTP 5xx after every retry, or once for a write that must not be repeated blindly."""


class ApiUnreachableError(ApiError, OperationalError):
    """No answer: the connection failed, timed out or was dropped, after every retry."""


class ApiOutcomeUnknownError(ApiError, OperationalError):
    """A write got no usable answer and nothing could confirm whether it was applied."""


class ApiResponseError(ApiError, OperationalError):
    """The answer could not be read (cut short or not JSON), after every retry."""


def _error_body(body: bytes) -> dict[str, Any] | None:
    """The API's error object ``{"ErrorInfo", "ErrorMessage", "StatusCode"}``, or None."""
    if not body:
        return None
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def api_message_of(body: bytes) -> str | None:
    """The API's ``ErrorMessage`` (an object one is rendered as compact JSON), or None."""
    parsed = _error_body(body)
    if parsed is None:
        return None
    message = parsed.get("ErrorMessage")
    if message in (None, ""):
        return None
    text = message if isinstance(message, str) else orjson.dumps(message).decode()
    info = parsed.get("ErrorInfo")
    if isinstance(info, dict | list) and info:
        # Object-valued details name the offending properties: worth showing.
        text = f"{text} {orjson.dumps(info).decode()}"
    return text


#: 5xx answers that say the request can never succeed: 501 Not Implemented, 505 HTTP Version Not
#: Supported. Repeating them only delays the error.
_PERMANENT_5XX = frozenset({501, 505})


def is_permanent_server_error(status: int, body: bytes) -> bool:
    """A 5xx that is not transient and must not be retried.

    501 and 505 by their definition, and the 500 the API answers for a path it has no handler
    for (``{"ErrorInfo": "EFPWebError", "ErrorMessage": "Could not determine HTTP module for
    request ..."}``): that answer comes back the same every time.
    """
    if status in _PERMANENT_5XX:
        return True
    parsed = _error_body(body) if status == 500 else None
    if parsed is None:
        return False
    message = parsed.get("ErrorMessage")
    return parsed.get("ErrorInfo") == "EFPWebError" or (
        isinstance(message, str) and message.startswith("Could not determine HTTP module")
    )


#: Production's 400 for a contact key that is neither an ID nor an email address.
_NOT_A_KEY = 'reason: "No @ character in mail"'


def _is_credentials_401(body: bytes, api_message: str | None) -> bool:
    """Whether a 401 is about the key pair: an empty body (recorded for v3 REST), or an error
    object that says so (the v3.1 Send API's "API key authentication/authorization failure")."""
    if not body.strip():
        return True
    return api_message is None or "authentication" in api_message.lower()


def error_for_status(
    status: int, body: bytes, *, method: str, path: str, attempts: int = 1
) -> ApiError:
    """The error for a non-2xx answer that will not be retried (any more)."""
    api_message = api_message_of(body)
    where = f"{method} {path}"
    detail = f": {api_message}" if api_message else ""
    tried = f" after {attempts} attempts" if attempts > 1 else ""

    def make(cls: type[ApiError], message: str) -> ApiError:
        return cls(message, status=status, api_message=api_message, method=method, path=path)

    if status == 401 and _is_credentials_401(body, api_message):
        return make(
            ApiAuthenticationError,
            "The Mailjet API refused the API key pair (HTTP 401). Check the API key and secret key "
            "(MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE); each sub-account has its own pair.",
        )
    if status == 401:
        return make(ApiRefusedError, f"The Mailjet API refused {where} (HTTP 401){detail}")
    if status == 403:
        return make(
            ApiPermissionError, f"This API key is not allowed to {where} (HTTP 403){detail}"
        )
    if status == 404:
        return make(ApiNotFoundError, f"Not found: {where} (HTTP 404){detail}")
    if status == 400 and method == "GET" and api_message and _NOT_A_KEY in api_message:
        # A contact read by a key that is neither an ID nor an email: production answers 400,
        # not 404 (mailjet-apiv3-python#43), but no object can have that key: none was found.
        return make(ApiNotFoundError, f"Not found: {where} (HTTP 400){detail}")
    if status == 405:
        return make(
            ApiNotAllowedError, f"The Mailjet API does not allow {where} (HTTP 405){detail}"
        )
    if status == 429:
        return make(
            ApiRateLimitError,
            f"The Mailjet API is rate limiting this key (HTTP 429) and still refused {where}{tried}. "
            "Wait a little and try again, or set a lower client-side rate limit.",
        )
    if status >= 500:
        return make(
            ApiServerError, f"The Mailjet API failed on {where} (HTTP {status}){tried}{detail}"
        )
    if api_message and "MJ18" in api_message:
        return make(ApiDuplicateError, f"{api_message} ({where})")
    if status == 400:
        return make(ApiRequestError, f"The Mailjet API rejected {where} (HTTP 400){detail}")
    return make(ApiRequestError, f"The Mailjet API answered HTTP {status} to {where}{detail}")
