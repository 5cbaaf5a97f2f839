"""The Mailjet API client: the only code in mjquery that imports httpx.

One :class:`ApiClient` per connection wraps one ``httpx.Client`` (made by
:func:`build_http_client`; tests pass a transport, e.g. the sandbox's)::

    from mjquery.api import ApiClient, ApiConfig, RetryPolicy, item_path, resource_path

    cfg = ApiConfig(api_key=key, api_secret=secret)          # base_url defaults to https://api.mailjet.com
    with ApiClient(cfg, transport=sandbox.transport()) as api:
        api.count("/v3/REST/contact", {"ContactsList": 7})   # one countOnly=1 request -> int
        for rows in api.scan("/v3/REST/contact", {"Sort": "CreatedAt DESC"}, limit=5000):
            ...                                              # list[dict] per page, in offset order
        api.get(item_path("contact", "a+b@x.com"))            # Page(count, total, data)
        api.post(resource_path("contact"), {"Email": "x@y.z"}, verify=lambda: ...)

Reading
    ``get`` is one GET. ``count`` is one ``countOnly=1`` GET. ``scan`` pages with
    ``Limit=page_size``: the first page alone (a short one ends the scan: one request), then
    (without a ``limit``) one ``countOnly=1`` for the total, then the remaining pages concurrently
    (with a ``limit`` their offsets are known: no count, and a short page ends the scan) (``max_concurrency``
    threads, the client-side rate limiter), yielded in order, never more than
    ``max_concurrency`` pages ahead of the consumer — memory does not grow with the account.
    ``scan`` and ``count`` refuse ``Limit``/``Offset``/``countOnly`` in ``params``: use the
    ``limit``/``offset`` arguments. ``get_raw``/``scan_raw`` give each page's ``Data`` as JSON
    bytes (:class:`RawPage`), re-serialised by orjson (64-bit ids exact), so they are always one
    valid JSON array. ``get_body``/``scan_bodies`` leave the rows unparsed in the body the API
    sent (:class:`BodyPage`, the row count from the envelope's head) for a loader that parses
    them itself: the engine's, where DuckDB reads only the columns a query uses.

    GETs are retried (:class:`RetryPolicy`) on 429 (``Retry-After`` honoured; every thread of the
    client waits, and the client's pace drops to what the API accepts, creeping back up after),
    transient 5xx, timeouts, dropped connections and cut-short answers. A permanent 5xx (501,
    505, the 500 ``EFPWebError`` for a path the API has no handler for) fails at once. Answers are cached
    for ``cache_ttl`` seconds per client, keyed by path + parameters (``cache_enabled = False`` or
    ``cache_ttl=0`` turns it off; ``invalidate("contact")``, ``clear_cache()``).

Writing
    ``post``/``put``/``delete``/``upload`` are never repeated blindly. When the request may have
    reached the API but no usable answer came back, the caller's ``verify()`` (read the object
    back) decides; without it :class:`ApiOutcomeUnknownError` says the outcome is unknown. A 429
    or a connection that never opened is safely retried. ``put`` returns None on 304 (no change).
    Every write clears the whole GET cache (Mailjet objects are linked).

Errors
    All are :mod:`mjquery.errors` classes; the HTTP-specific ones are in :mod:`mjquery.api.errors`
    (``ApiAuthenticationError`` for a 401 with an empty body — the key pair —, ``ApiRefusedError``
    for a 401 with a reason — one operation refused —, ``ApiNotFoundError`` 404, ``ApiDuplicateError`` MJ18,
    ``ApiRequestError`` 400 with the API's ``ErrorMessage``, ``ApiRateLimitError``,
    ``ApiServerError``, ``ApiUnreachableError``...), each carrying ``status``, ``api_message``,
    ``method`` and ``path``. Nothing raised, logged (logger ``mjquery.api``) or repr'd contains
    the secret key.

Paths
    Build them with :func:`resource_path`, :func:`item_path` and :func:`action_path`, which
    percent-encode user values; the client refuses anything that is not a plain absolute path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mjquery.api.client import (
        ApiClient,
        BodyPage,
        Page,
        ProgressCallback,
        RawPage,
        RequestStats,
        Verify,
        build_http_client,
    )
    from mjquery.api.clock import SYSTEM_CLOCK, Clock, SystemClock
    from mjquery.api.config import (
        DEFAULT_BASE_URL,
        DEFAULT_MAX_CONCURRENCY,
        MAX_PAGE_SIZE,
        NO_RETRY,
        ApiConfig,
        RetryPolicy,
    )
    from mjquery.api.errors import (
        ApiAuthenticationError,
        ApiDuplicateError,
        ApiNotAllowedError,
        ApiNotFoundError,
        ApiOutcomeUnknownError,
        ApiPermissionError,
        ApiRateLimitError,
        ApiRefusedError,
        ApiRequestError,
        ApiResponseError,
        ApiServerError,
        ApiUnreachableError,
    )
    from mjquery.api.paths import (
        action_path,
        item_path,
        quote_segment,
        resource_of,
        resource_path,
    )

# Each name is loaded from its module on first use: the client module imports httpx, so a
# command that sends no request (``mjquery -c "SELECT 1"``, ``mjquery tables``) never does.
_MODULE_OF = {
    **dict.fromkeys(
        (
            "ApiClient",
            "BodyPage",
            "Page",
            "ProgressCallback",
            "RawPage",
            "RequestStats",
            "Verify",
            "build_http_client",
        ),
        "mjquery.api.client",
    ),
    **dict.fromkeys(("SYSTEM_CLOCK", "Clock", "SystemClock"), "mjquery.api.clock"),
    **dict.fromkeys(
        (
            "DEFAULT_BASE_URL",
            "DEFAULT_MAX_CONCURRENCY",
            "MAX_PAGE_SIZE",
            "NO_RETRY",
            "ApiConfig",
            "RetryPolicy",
        ),
        "mjquery.api.config",
    ),
    **dict.fromkeys(
        (
            "ApiAuthenticationError",
            "ApiDuplicateError",
            "ApiNotAllowedError",
            "ApiNotFoundError",
            "ApiOutcomeUnknownError",
            "ApiPermissionError",
            "ApiRateLimitError",
            "ApiRefusedError",
            "ApiRequestError",
            "ApiResponseError",
            "ApiServerError",
            "ApiUnreachableError",
        ),
        "mjquery.api.errors",
    ),
    **dict.fromkeys(
        ("action_path", "item_path", "quote_segment", "resource_of", "resource_path"),
        "mjquery.api.paths",
    ),
}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'mjquery.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "NO_RETRY",
    "SYSTEM_CLOCK",
    "ApiAuthenticationError",
    "ApiClient",
    "ApiConfig",
    "ApiDuplicateError",
    "ApiNotAllowedError",
    "ApiNotFoundError",
    "ApiOutcomeUnknownError",
    "ApiPermissionError",
    "ApiRateLimitError",
    "ApiRefusedError",
    "ApiRequestError",
    "ApiResponseError",
    "ApiServerError",
    "ApiUnreachableError",
    "BodyPage",
    "Clock",
    "Page",
    "ProgressCallback",
    "RawPage",
    "RequestStats",
    "RetryPolicy",
    "SystemClock",
    "Verify",
    "action_path",
    "build_http_client",
    "item_path",
    "quote_segment",
    "resource_of",
    "resource_path",
]
