"""The Mailjet API client: one ``httpx.Client`` per connection, paging, retries, rate limit, cache.

Every request goes through :class:`ApiClient`. GETs are retried by the :class:`RetryPolicy` on
429 (honouring ``Retry-After``), transient 5xx, timeouts, dropped connections and cut-short
answers; a permanent 5xx (501, 505, the 500 for a path the API has no handler for) fails at
once with the API's message. Writes are never repeated blindly: see :meth:`ApiClient.post`. Every failure becomes an
:mod:`mjquery.api.errors` class here, at one boundary, with ``raise ... from exc``.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import httpx
import orjson

import mjquery
from mjquery.api.cache import CacheKey, ResponseCache
from mjquery.api.clock import SYSTEM_CLOCK, Clock
from mjquery.api.config import CONNECT_TIMEOUT, ApiConfig
from mjquery.api.errors import (
    ApiDuplicateError,
    ApiOutcomeUnknownError,
    ApiRateLimitError,
    ApiResponseError,
    ApiUnreachableError,
    error_for_status,
    is_permanent_server_error,
)
from mjquery.api.paths import resource_path
from mjquery.api.ratelimit import ConcurrencyWindow, RateLimiter
from mjquery.errors import ApiError, InterfaceError

logger = logging.getLogger("mjquery.api")

ParamValue = str | int | float | bool
Params = Mapping[str, ParamValue]
EncodedParams = tuple[tuple[str, str], ...]

_NO_PARAMS: Params = MappingProxyType({})

#: Parameters the client sets itself when it pages or counts.
_PAGING_PARAMS = frozenset({"limit", "offset", "countonly"})

# No answer and the request may have reached the server: safe to repeat for reads only.
_RETRYABLE_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
    httpx.ProxyError,
)
# The request never left: safe to repeat for writes too.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Page:
    """One answer of the API: ``Count`` and ``Total`` as sent, and the ``Data`` rows.

    Without ``countOnly`` Mailjet sets both ``Count`` and ``Total`` to the rows in this page,
    not the grand total: use :meth:`ApiClient.count` for that.
    """

    count: int
    total: int
    data: list[dict[str, Any]]

    @property
    def rows(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class BodyPage:
    """A page kept as the bytes the API sent, its rows unparsed (for a loader that parses them
    itself, such as DuckDB's JSON reader); ``rows`` is the envelope's ``Count``.

    Read without building Python objects for the rows: the envelope's leading
    ``{"Count": N,`` gives the row count (when the body does not start that way it is parsed
    whole). The reader of ``body`` must check that it holds ``rows`` rows.
    """

    count: int
    total: int
    rows: int
    body: bytes


@dataclass(frozen=True)
class RawPage:
    """A page whose ``Data`` array is kept as JSON bytes (for ``read_json``-style loaders)."""

    count: int
    total: int
    rows: int
    data_json: bytes


@dataclass(frozen=True)
class RequestStats:
    """Counters since the client was made (or :meth:`ApiClient.reset_stats`).

    ``requests``: HTTP requests sent, retries included. ``cache_hits``: GETs answered from the
    cache. ``retries``: requests that repeated an earlier attempt. ``pages``: pages of rows
    delivered by ``get``/``scan`` (cached or not; counts are not pages). ``throttled``: 429
    answers received. ``bytes_received``: response body bytes from the API.
    """

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    pages: int = 0
    throttled: int = 0
    bytes_received: int = 0


Verify = Callable[[], "bool | Page"]
"""Answers "did the write take effect?" by reading the object back.

Return True/False, or the object read back as a :class:`Page` (an empty page means "no").
"""

ProgressCallback = Callable[[int, int | None], None]
T = TypeVar("T")


@dataclass(frozen=True)
class WaitNotice:
    """The client is waiting before it retries: what for, and for how long (seconds)."""

    reason: str
    seconds: float

    def __str__(self) -> str:
        return f"{self.reason}, retrying in {_duration(self.seconds)}"


WaitCallback = Callable[[WaitNotice], None]


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def build_http_client(
    config: ApiConfig, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The one place an ``httpx.Client`` is made: base URL, Basic auth, timeouts, pool size."""
    size = config.max_concurrency + 2
    # Plain http:// is accepted for a loopback address only (ApiConfig checks it) and never
    # follows a redirect: no TLS can happen, so loading the certificate store (about 30 ms of
    # every connection's first request) is skipped. https:// verifies certificates as always.
    plain = config.base_url.lower().startswith("http://")
    return httpx.Client(
        base_url=config.base_url,
        verify=not plain,
        auth=httpx.BasicAuth(config.api_key, config.api_secret),
        timeout=httpx.Timeout(config.timeout, connect=min(CONNECT_TIMEOUT, config.timeout)),
        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
        headers={"User-Agent": f"mjquery/{mjquery.__version__}", "Accept": "application/json"},
        follow_redirects=False,
        transport=transport,
    )


class _Unreadable(Exception):
    """An answer that cannot be what the API sent: cut short or not JSON."""


def _encode_params(params: Params) -> EncodedParams:
    encoded: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float | str):
            text = str(value)
        else:
            raise InterfaceError(
                f"Query parameter {name!r} must be a string, number or boolean, "
                f"not {type(value).__name__}"
            )
        encoded.append((str(name), text))
    return tuple(encoded)


def _check_path(path: str) -> str:
    # Only paths relative to the configured base URL: an absolute URL would send the key pair
    # to another host.
    if (
        not path.startswith("/")
        or path.startswith("//")
        or "?" in path
        or "#" in path
        or any(c.isspace() or ord(c) < 32 for c in path)
        or any(part in (".", "..") for part in path.split("/"))
    ):
        raise InterfaceError(f"Not an API path: {path!r} (build it with mjquery.api.item_path)")
    return path


class _Paged(Protocol):
    """What paging needs of a page: how many rows it holds, and the total a count reports."""

    @property
    def rows(self) -> int: ...

    @property
    def total(self) -> int: ...


PageT = TypeVar("PageT", bound=_Paged)
Reader = Callable[[bytes], PageT]

# The envelope as Mailjet (and recorded traffic) starts it: {"Count":1000,"Data":[...
_LEADING_COUNT = re.compile(rb'\A\s*\{\s*"Count"\s*:\s*(\d+)\s*,\s*"Data"\s*:\s*\[')


def _body_page(body: bytes) -> BodyPage:
    """A page whose rows stay unparsed: the count from the envelope's head when it has one."""
    match = _LEADING_COUNT.match(body)
    if match is not None:
        count = int(match.group(1))
        return BodyPage(count=count, total=count, rows=count, body=body)
    page = _parse(body)  # another layout: parse it whole (and check it) once
    return BodyPage(
        count=page.count, total=page.total, rows=len(page.data), body=_envelope(page.data)
    )


def _envelope(data: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"Count": len(data), "Data": data, "Total": len(data)})


def _parse(body: bytes) -> Page:
    """The envelope ``{"Count", "Data", "Total"}``; a bare object or array becomes a page too."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _Unreadable(f"the answer is not JSON ({exc})") from exc
    if isinstance(parsed, dict) and "Data" in parsed:
        data = parsed["Data"]
        if not isinstance(data, list):
            raise _Unreadable("the answer's Data is not an array")
        count = parsed.get("Count", len(data))
        total = parsed.get("Total", count)
        if not isinstance(count, int) or not isinstance(total, int):
            raise _Unreadable("the answer's Count or Total is not an integer")
        return Page(count=count, total=total, data=data)
    if isinstance(parsed, list):  # not Mailjet's envelope, but keep the rows
        return Page(count=len(parsed), total=len(parsed), data=parsed)
    if isinstance(parsed, dict):  # DATA API answers such as {"ID": 57} are not enveloped
        return Page(count=1, total=1, data=[parsed])
    raise _Unreadable("the answer is neither a JSON object nor an array")


def _check_complete(response: httpx.Response) -> bytes:
    body = response.content
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and len(body) < int(declared):
        raise _Unreadable(f"the answer was cut short ({len(body)} of {declared} bytes)")
    return body


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds asked for by ``Retry-After`` (delta-seconds or an HTTP date), if given."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_not_none(value: object) -> bool:
    return value is not None


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        kind = "timed out"
    elif isinstance(exc, httpx.ConnectError):
        kind = "could not connect"
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        kind = "the connection was dropped"
    else:
        kind = "the request failed"
    detail = str(exc)[:200]
    return f"{kind} ({detail})" if detail else kind


_EMPTY_PAGE = Page(count=0, total=0, data=[])


#: Pages a scan holds (in flight, or answered and not yet consumed) per request it may have in
#: flight (:meth:`ApiClient._pages_concurrently`).
_AHEAD = 2


@dataclass(frozen=True)
class _PlannedPage:
    """One page of a scan: where it starts, the Limit sent, and the rows the count promised."""

    start: int
    limit: int
    expected: int
    beyond_count: bool = False


class ApiClient:
    """A connection's client of the Mailjet API. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        config: ApiConfig,
        transport: httpx.BaseTransport | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self._http = build_http_client(config, transport)
        #: Every wait and deadline of the client (tests pass a fake clock).
        self.clock = clock
        self._limiter = RateLimiter(config.rate_limit_per_second, clock=clock)
        self._window = ConcurrencyWindow(config.initial_concurrency, config.max_concurrency)
        #: Told when the client waits before a retry (rate limiting): front ends show it on
        #: their progress line ("rate limited by Mailjet, retrying in 20 s").
        self.on_wait: WaitCallback | None = None
        self._cache = ResponseCache(config.cache_ttl, config.cache_max_bytes)
        self._stats_lock = threading.Lock()
        self._stats = RequestStats()
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._closed = False
        self._rng = random.Random()

    # ----------------------------------------------------------------- life cycle, stats, cache

    def __repr__(self) -> str:
        return f"ApiClient({self.config!r})"

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker threads and close the HTTP connections. Idempotent."""
        self._closed = True
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    @property
    def concurrency(self) -> int:
        """Requests this client lets be in flight at once now (it adapts to 429s)."""
        return self._window.limit

    @property
    def stats(self) -> RequestStats:
        """A snapshot of the request counters."""
        with self._stats_lock:
            return self._stats

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats = RequestStats()

    def _count(self, **deltas: int) -> None:
        with self._stats_lock:
            s = self._stats
            self._stats = RequestStats(
                **{
                    name: getattr(s, name) + deltas.get(name, 0)
                    for name in RequestStats.__dataclass_fields__
                }
            )

    @property
    def cache_enabled(self) -> bool:
        return self._cache.enabled

    @cache_enabled.setter
    def cache_enabled(self, enabled: bool) -> None:
        if not enabled:
            self._cache.clear()
        self._cache.enabled = bool(enabled) and self._cache.max_bytes > 0 and self._cache.ttl > 0

    def clear_cache(self) -> None:
        self._cache.clear()

    def invalidate(self, resource: str) -> int:
        """Drop cached answers under ``/v3/REST/<resource>`` and ``/v3/DATA/<resource>``."""
        return self._cache.invalidate(resource_path(resource)) + self._cache.invalidate(
            resource_path(resource, api="DATA")
        )

    # ----------------------------------------------------------------------------------- reads

    def get(self, path: str, params: Params = _NO_PARAMS) -> Page:
        """One GET (retried per policy, answered from the cache when fresh)."""
        page = self._fetch(_check_path(path), _encode_params(params), _parse)
        self._count(pages=1)
        return page

    def get_body(self, path: str, params: Params = _NO_PARAMS) -> BodyPage:
        """Like :meth:`get`, the rows left unparsed in the body (see :class:`BodyPage`)."""
        page = self._fetch(_check_path(path), _encode_params(params), _body_page)
        self._count(pages=1)
        return page

    def get_raw(self, path: str, params: Params = _NO_PARAMS) -> RawPage:
        """Like :meth:`get`, with the ``Data`` array as JSON bytes."""
        return _raw(self.get(path, params))

    def count(self, path: str, params: Params = _NO_PARAMS) -> int:
        """The number of matching objects: one ``countOnly=1`` request."""
        encoded = self._scan_params(params)
        return self._fetch(_check_path(path), (*encoded, ("countOnly", "1")), _parse).total

    def scan(
        self,
        path: str,
        params: Params = _NO_PARAMS,
        *,
        limit: int | None = None,
        offset: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The matching rows, page by page in offset order, fetching pages concurrently.

        The first page is read alone (``Limit=min(page_size, limit)``); a short page ends the
        scan after one request. With a ``limit`` the remaining pages' offsets and sizes are
        known, so they are fetched at once (no count; a short page ends the scan). Without one,
        one ``countOnly=1`` request learns the total first. The remaining pages are fetched by
        up to ``max_concurrency`` threads, at most twice that many pages ahead of the consumer.
        ``limit`` caps the rows, ``offset`` skips rows first.
        ``on_progress(pages_done, pages_expected)`` is called after each page
        (``pages_expected`` is None until the total is known). Empty pages are not yielded.
        """
        for page in self._scan(path, params, limit, offset, on_progress, _parse):
            yield page.data

    def scan_bodies(
        self,
        path: str,
        params: Params = _NO_PARAMS,
        *,
        limit: int | None = None,
        offset: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[BodyPage]:
        """Like :meth:`scan`, each page's rows left unparsed in its body (see :class:`BodyPage`):
        for a loader that parses them itself, no Python object is built per row."""
        yield from self._scan(path, params, limit, offset, on_progress, _body_page)

    def scan_raw(
        self,
        path: str,
        params: Params = _NO_PARAMS,
        *,
        limit: int | None = None,
        offset: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[RawPage]:
        """Like :meth:`scan`, each page's ``Data`` as JSON bytes."""
        for page in self._scan(path, params, limit, offset, on_progress, _parse):
            yield _raw(page)

    def _scan_params(self, params: Params) -> EncodedParams:
        encoded = _encode_params(params)
        clash = [name for name, _ in encoded if name.lower() in _PAGING_PARAMS]
        if clash:
            raise InterfaceError(
                f"{', '.join(clash)}: scan and count set Limit, Offset and countOnly themselves"
            )
        return encoded

    def _scan(
        self,
        path: str,
        params: Params,
        limit: int | None,
        offset: int,
        on_progress: ProgressCallback | None,
        reader: Reader[PageT],
    ) -> Iterator[PageT]:
        _check_path(path)
        encoded = self._scan_params(params)
        if offset < 0 or (limit is not None and limit < 0):
            raise InterfaceError("scan limit and offset must not be negative")
        progress = on_progress or (lambda done, expected: None)
        if limit == 0:
            progress(0, 0)
            return
        size = self.config.page_size
        first_limit = size if limit is None else min(size, limit)
        first = self._page(path, encoded, first_limit, offset, reader)
        if first.rows < first_limit or (limit is not None and limit <= first_limit):
            progress(1, 1)
            if first.rows:
                yield first
            return

        if limit is not None:
            # Every page's offset and size follow from the limit: no count needed. The pages are
            # fetched concurrently; a short page means the matching rows ended there.
            end = offset + limit
            plan = deque(
                _PlannedPage(start, min(size, end - start), min(size, end - start))
                for start in range(offset + first.rows, end, size)
            )
            yield from self._pages_concurrently(path, encoded, plan, first, None, progress, reader)
            return

        # More pages are wanted: learn the total while the consumer handles the first page.
        total_future = self._pool().submit(
            self._fetch, path, (*encoded, ("countOnly", "1")), _parse
        )
        try:
            progress(1, None)
            yield first
            total = total_future.result().total
            # Every page asks for a full page, so rows added since the count still arrive (and a
            # full last page means there may be more: read on).
            plan = deque(
                _PlannedPage(start, size, min(size, total - start))
                for start in range(offset + first.rows, total, size)
            )
            yield from self._pages_concurrently(path, encoded, plan, None, size, progress, reader)
        finally:
            total_future.cancel()

    def _pages_concurrently(
        self,
        path: str,
        encoded: EncodedParams,
        plan: deque[_PlannedPage],
        first: PageT | None,
        read_on: int | None,
        progress: ProgressCallback,
        reader: Reader[PageT],
    ) -> Iterator[PageT]:
        """The planned pages in order, at most ``max_concurrency`` in flight.

        When a count planned the pages (``read_on`` set), as many again may be answered and
        waiting for the consumer: the pages are handed over in offset order, so one slow answer
        holds back the ones after it, and were they counted against the requests in flight, the
        pages waiting behind it would stop new requests from going out meanwhile. Memory stays
        bounded (``2 * max_concurrency`` pages). Pages planned from a limit alone may lie past
        the last matching row: those keep to ``max_concurrency`` ahead, so a short page wastes
        no more requests than the ones in flight.

        ``first``: the scan's first page, not yet yielded (it is, once the next pages are on
        their way), or None when the caller already yielded it. A page shorter than planned ends the scan (rows were deleted, or fewer match than a
        limit asked for). ``read_on``: the page size with which to keep reading past the plan
        while the last page comes back full (rows added since the count).
        """
        pending: deque[tuple[_PlannedPage, Future[PageT]]] = deque()
        done = 1
        expected = done + len(plan)
        held = self.config.max_concurrency * (_AHEAD if read_on is not None else 1)

        def refill() -> None:
            while plan and len(pending) < held:
                planned = plan.popleft()
                pending.append(
                    (
                        planned,
                        self._pool().submit(
                            self._page, path, encoded, planned.limit, planned.start, reader
                        ),
                    )
                )

        try:
            refill()
            progress(done, expected)
            if first is not None:
                yield first
            while pending:
                planned, future = pending.popleft()
                page = future.result()
                refill()
                done += 1
                progress(done, expected)
                if page.rows:
                    yield page
                if page.rows < planned.expected and not planned.beyond_count:
                    # Rows were deleted since the count, or fewer match than the limit asked
                    # for: later pages would only repeat or skip rows, or be empty.
                    return
                grew = page.rows > planned.expected or planned.beyond_count
                if (
                    not pending
                    and not plan
                    and read_on is not None
                    and grew
                    and page.rows == planned.limit
                ):
                    # Rows were added since the count: page on until a short page.
                    plan.append(
                        _PlannedPage(planned.start + read_on, read_on, 0, beyond_count=True)
                    )
                    expected += 1
                    refill()
        finally:
            for _, future in pending:
                future.cancel()

    def _page(
        self,
        path: str,
        encoded: EncodedParams,
        page_limit: int,
        offset: int,
        reader: Reader[PageT],
    ) -> PageT:
        page = self._fetch(
            path, (*encoded, ("Limit", str(page_limit)), ("Offset", str(offset))), reader
        )
        self._count(pages=1)
        return page

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._closed:
                raise InterfaceError("The API client is closed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.config.max_concurrency, thread_name_prefix="mjquery-api"
                )
            return self._executor

    def _fetch(self, path: str, params: EncodedParams, reader: Reader[PageT]) -> PageT:
        key = CacheKey.of(path, params)
        cached = self._cache.get(key)
        if cached is not None:
            self._count(cache_hits=1)
            logger.debug("GET %s %s -> cache hit", path, dict(params))
            return reader(cached)
        body, page = self._get_with_retries(path, params, reader)
        self._cache.put(key, body)
        return page

    def _get_with_retries(
        self, path: str, params: EncodedParams, reader: Reader[PageT]
    ) -> tuple[bytes, PageT]:
        policy = self.config.retry
        attempt, refusals = 1, _Refusals()
        while True:
            last = attempt >= policy.max_attempts
            try:
                response = self._send(
                    "GET", path, params=params, retry=attempt > 1 or refusals.count > 0
                )
            except httpx.HTTPError as exc:
                if last or not isinstance(exc, _RETRYABLE_ERRORS) or _hopeless(exc):
                    raise self._unreachable("GET", path, exc, attempt) from exc
                self._backoff("GET", path, attempt, _reason(exc))
                attempt += 1
                continue
            status = response.status_code
            if status == 429:
                self._wait_out_rate_limit("GET", path, response, refusals)
                continue
            refusals.reset()
            if status >= 500:
                if last or is_permanent_server_error(status, response.content):
                    raise error_for_status(
                        status, response.content, method="GET", path=path, attempts=attempt
                    )
                self._backoff("GET", path, attempt, f"HTTP {status}")
                attempt += 1
                continue
            if not 200 <= status < 300:
                raise error_for_status(
                    status, response.content, method="GET", path=path, attempts=attempt
                )
            try:
                body = _check_complete(response)
                return body, reader(body)
            except _Unreadable as exc:
                if last:
                    raise ApiResponseError(
                        f"The Mailjet API's answer to GET {path} could not be read after {attempt} attempts: {exc}",
                        status=status,
                        method="GET",
                        path=path,
                    ) from exc
                self._backoff("GET", path, attempt, str(exc))
                attempt += 1

    # ---------------------------------------------------------------------------------- writes

    def post(self, path: str, json_body: Any, *, verify: Verify | None = None) -> Page:
        """Create: one POST, never repeated blindly.

        A 429, or a failure before the request left, is retried. When the request may have
        reached the API but no usable answer came back (timeout, dropped connection, 5xx),
        ``verify()`` decides: it reads the object back and says whether the write took effect.
        Applied: the object read back (if ``verify`` returned a Page) is the result. Not applied:
        the write is sent again, within the retry policy. Without ``verify`` an
        :class:`~mjquery.api.errors.ApiOutcomeUnknownError` says the outcome is unknown.
        Every write clears the GET cache: Mailjet objects are linked (a listrecipient write
        changes ``contact?ContactsList=...``), so dropping only the written resource would
        leave stale answers.
        """
        page = self._write(
            "POST",
            path,
            content=orjson.dumps(json_body),
            content_type="application/json",
            verify=verify,
        )
        return page if page is not None else _EMPTY_PAGE

    def put(self, path: str, json_body: Any, *, verify: Verify | None = None) -> Page | None:
        """Update (only the given properties change); None when the API answers 304 (no change)."""
        return self._write(
            "PUT",
            path,
            content=orjson.dumps(json_body),
            content_type="application/json",
            verify=verify,
        )

    def delete(self, path: str, *, verify: Verify | None = None) -> None:
        """Delete; ``verify`` returns True once the object is gone (e.g. a GET answering 404)."""
        self._write("DELETE", path, content=None, content_type=None, verify=verify)

    def upload(
        self,
        path: str,
        content: bytes,
        *,
        content_type: str = "text/plain",
        verify: Verify | None = None,
    ) -> Page:
        """POST raw bytes, e.g. CSV to ``/v3/DATA/contactslist/{id}/CSVData/text:plain``."""
        page = self._write("POST", path, content=content, content_type=content_type, verify=verify)
        return page if page is not None else _EMPTY_PAGE

    def _write(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None,
        content_type: str | None,
        verify: Verify | None,
    ) -> Page | None:
        _check_path(path)
        try:
            return self._write_with_retries(method, path, content, content_type, verify)
        finally:
            self._cache.clear()

    def _write_with_retries(
        self,
        method: str,
        path: str,
        content: bytes | None,
        content_type: str | None,
        verify: Verify | None,
    ) -> Page | None:
        policy = self.config.retry
        headers = {"Content-Type": content_type} if content_type else None
        maybe_applied = False
        attempt, refusals = 1, _Refusals()
        while True:
            last = attempt >= policy.max_attempts
            try:
                response = self._send(
                    method,
                    path,
                    content=content,
                    headers=headers,
                    retry=attempt > 1 or refusals.count > 0,
                )
            except httpx.HTTPError as exc:
                if _hopeless(exc):
                    raise self._unreachable(method, path, exc, attempt) from exc
                if isinstance(exc, _NOT_SENT_ERRORS) and not last:
                    self._backoff(method, path, attempt, _reason(exc))
                    attempt += 1
                    continue
                if isinstance(exc, _NOT_SENT_ERRORS) or not isinstance(exc, _RETRYABLE_ERRORS):
                    raise self._unreachable(method, path, exc, attempt) from exc
                reason = _reason(exc)
                applied = self._verify(method, path, verify, reason, exc)
                if applied is not None:
                    return applied
                maybe_applied = True
                if last:
                    raise self._unreachable(method, path, exc, attempt) from exc
                self._backoff(method, path, attempt, f"{reason}; the change was not applied")
                attempt += 1
                continue
            status = response.status_code
            if status == 429:
                # The API refused the request without processing it: safe to send again.
                self._wait_out_rate_limit(method, path, response, refusals)
                continue
            refusals.reset()
            if status >= 500:
                error = error_for_status(
                    status, response.content, method=method, path=path, attempts=attempt
                )
                if is_permanent_server_error(status, response.content):
                    raise error  # the API did not process it (no handler, not implemented)
                applied = self._verify(method, path, verify, f"HTTP {status}", error)
                if applied is not None:
                    return applied
                maybe_applied = True
                if last:
                    raise error
                self._backoff(method, path, attempt, f"HTTP {status}; the change was not applied")
                attempt += 1
                continue
            if status == 304 or status == 204:
                return None
            if not 200 <= status < 300:
                error = error_for_status(status, response.content, method=method, path=path)
                if maybe_applied and verify is not None and isinstance(error, ApiDuplicateError):
                    # The earlier attempt landed after all: its object now exists, even if a
                    # read does not show it yet (production is eventually consistent). Read it
                    # back with backoff, up to consistency_wait, before calling the row failed.
                    def settled(error: ApiError = error) -> Page | None:
                        return self._verify(
                            method, path, verify, "duplicate after a lost answer", error
                        )

                    applied = self.poll(settled, _is_not_none)
                    if applied is not None:
                        return applied
                raise error
            try:
                return _parse(_check_complete(response))
            except _Unreadable as exc:
                # The API said 2xx: the change is applied, only its echo is lost.
                logger.warning(
                    "%s %s -> HTTP %d but %s; the change was applied", method, path, status, exc
                )
                if verify is not None:
                    self._cache.clear()
                    result = verify()
                    if isinstance(result, Page) and result.data:
                        return result
                return _EMPTY_PAGE

    def _verify(
        self, method: str, path: str, verify: Verify | None, reason: str, cause: BaseException
    ) -> Page | None:
        """The result if ``verify`` confirms the write took effect, None if it did not."""
        if verify is None:
            raise ApiOutcomeUnknownError(
                f"{method} {path}: {reason}; the change may or may not have been applied. "
                "Check the object before trying again.",
                status=getattr(cause, "status", None),
                method=method,
                path=path,
            ) from cause
        self._cache.clear()  # verify reads through this client: it must see the API, not the cache
        try:
            result = verify()
        except ApiError as exc:
            raise ApiOutcomeUnknownError(
                f"{method} {path}: {reason}, and reading the object back failed too ({exc}); "
                "the change may or may not have been applied.",
                status=getattr(cause, "status", None),
                method=method,
                path=path,
            ) from exc
        logger.info(
            "%s %s: %s; read back: %s", method, path, reason, "applied" if result else "not applied"
        )
        if isinstance(result, Page):
            return result if result.data else None
        return _EMPTY_PAGE if result else None

    def poll(
        self, read: Callable[[], T], done: Callable[[T], bool], *, within: float | None = None
    ) -> T:
        """``read()`` again, with backoff (0.5 s doubling up to 4 s), until ``done`` says its
        result is complete or ``within`` seconds (default ``consistency_wait``) have passed; the
        last result either way. For read-backs that confirm writes: production is eventually
        consistent (a bulk job reports Completed before its changes can be read), so a row is
        declared missing only once the bound has passed. Each read goes to the API, not the cache.
        """
        bound = self.config.consistency_wait if within is None else within
        deadline = self.clock.monotonic() + bound
        wait = 0.5
        while True:
            self._cache.clear()
            result = read()
            if done(result) or self.clock.monotonic() + wait > deadline:
                return result
            logger.info("read-back incomplete; reading again in %.1f s", wait)
            if self.on_wait is not None:
                self.on_wait(WaitNotice("waiting for Mailjet to show the changes", wait))
            self.clock.sleep(wait)
            wait = min(wait * 2, 4.0)

    # ------------------------------------------------------------------------------ transport

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: EncodedParams = (),
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool,
    ) -> httpx.Response:
        if self._closed:
            raise InterfaceError("The API client is closed")
        self._window.acquire()
        throttled = False
        try:
            self._limiter.acquire()
            self._count(requests=1, retries=1 if retry else 0)
            started = time.perf_counter()
            try:
                response = self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
            except httpx.InvalidURL as exc:
                # Raised before anything is sent (a query string too long, say): not retried.
                raise InterfaceError(f"Cannot send {method} {path}: {exc}") from exc
            except httpx.HTTPError as exc:
                logger.debug(
                    "%s %s %s -> %s after %.1f ms",
                    method,
                    path,
                    dict(params),
                    type(exc).__name__,
                    (time.perf_counter() - started) * 1000,
                )
                raise
            throttled = response.status_code == 429
        finally:
            self._window.release(throttled=throttled)
        self._count(bytes_received=len(response.content))
        if response.status_code != 429:
            self._limiter.answered()
        logger.debug(
            "%s %s %s -> %d in %.1f ms",
            method,
            path,
            dict(params),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def _backoff(self, method: str, path: str, attempt: int, reason: str) -> None:
        delay = self.config.retry.backoff(attempt + 1, self._rng)
        logger.info(
            "%s %s: %s; retrying in %.2f s (attempt %d of %d)",
            method,
            path,
            reason,
            delay,
            attempt + 1,
            self.config.retry.max_attempts,
        )
        self.clock.monotonic()  # the wait starts now (a fake clock counts from the last read)
        self.clock.sleep(delay)

    def _wait_out_rate_limit(
        self, method: str, path: str, response: httpx.Response, refusals: _Refusals
    ) -> None:
        """A 429: slow the whole client down, and wait before this request goes again, with an
        exponential backoff for as long as ``max_wait`` allows; raise once it is spent."""
        self._count(throttled=1)
        asked = _retry_after(response)
        # a slower pace from now on, not only a pause
        self._limiter.throttled(told_when=asked is not None)
        now = self.clock.monotonic()
        waited = refusals.refused(now)
        policy = self.config.retry
        if asked is not None and asked > policy.retry_after_max:
            raise ApiRateLimitError(
                f"The Mailjet API is rate limiting this key (HTTP 429) and asks to wait {asked:.0f} s "
                f"before {method} {path}. Try again later.",
                status=429,
                method=method,
                path=path,
            )
        delay = asked if asked is not None else policy.rate_limit_backoff(refusals.count, self._rng)
        if waited + delay > self.config.max_wait:
            raise ApiRateLimitError(
                f"The Mailjet API is rate limiting this key (HTTP 429) and still refused {method} "
                f"{path} after {refusals.count} tries over {_duration(waited)} (max_wait "
                f"{_duration(self.config.max_wait)}). Try again later, or allow a longer wait.",
                status=429,
                method=method,
                path=path,
            )
        logger.info(
            "%s %s: HTTP 429 (%d in a row); every request waits %.2f s",
            method,
            path,
            refusals.count,
            delay,
        )
        if self.on_wait is not None:
            self.on_wait(WaitNotice("rate limited by Mailjet", delay))
        # The limiter makes every thread (this one included) wait, not only the refused request.
        self._limiter.pause_until(now + delay)

    def _unreachable(self, method: str, path: str, exc: httpx.HTTPError, attempts: int) -> ApiError:
        hopeless = _hopeless(exc)
        if hopeless is not None:
            return ApiUnreachableError(
                f"Cannot reach the Mailjet API at {self.config.base_url}: {hopeless}",
                method=method,
                path=path,
            )
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        return ApiUnreachableError(
            f"Cannot reach the Mailjet API at {self.config.base_url} ({method} {path}): {_reason(exc)}{tried}",
            method=method,
            path=path,
        )


class _Refusals:
    """The 429s in a row of one request, and when the first came."""

    def __init__(self) -> None:
        self.count = 0
        self._since: float | None = None

    def refused(self, now: float) -> float:
        """Count one more 429; the seconds since the first of the row."""
        self.count += 1
        if self._since is None:
            self._since = now
        return now - self._since

    def reset(self) -> None:
        self.count, self._since = 0, None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _hopeless(exc: httpx.HTTPError) -> str | None:
    """Why retrying cannot help, in one line, when the connection failed for good: the host name
    does not resolve, its TLS certificate cannot be verified, or nothing listens there."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    texts = " ".join(str(cause) for cause in _causes(exc))
    try:
        url: httpx.URL | None = exc.request.url
    except RuntimeError:  # an error raised without its request
        url = None
    host = url.host if url is not None else "the API's host"
    if any(isinstance(cause, socket.gaierror) for cause in _causes(exc)) or any(
        marker in texts
        for marker in (
            "Name or service not known",
            "nodename nor servname",
            "No address associated with hostname",
            "getaddrinfo failed",
            "Temporary failure in name resolution",
        )
    ):
        return (
            f"the host name {host} could not be resolved (DNS). Check the address and the network."
        )
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc)) or (
        "CERTIFICATE_VERIFY_FAILED" in texts
    ):
        return (
            f"the TLS certificate of {host} could not be verified. Check the address, or a "
            "proxy that intercepts HTTPS."
        )
    if any(isinstance(cause, ConnectionRefusedError) for cause in _causes(exc)) or (
        "Connection refused" in texts or "[Errno 111]" in texts
    ):
        port = url.port if url is not None else None
        where = f"{host}:{port}" if port else host
        return (
            f"the connection to {where} was refused: nothing answers there. Check the address "
            "(for the local sandbox: is `mjquery sandbox` running?)."
        )
    return None


def _raw(page: Page) -> RawPage:
    return RawPage(
        count=page.count, total=page.total, rows=len(page.data), data_json=orjson.dumps(page.data)
    )
