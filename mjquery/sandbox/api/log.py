"""The record of every request the sandbox served, for tests to assert on."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedRequest:
    """One request as served: the query parameters exactly as sent (order and spelling kept)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    status: int

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name`` (case-insensitive, as the API reads it)."""
        wanted = name.lower()
        for key, value in self.params:
            if key.lower() == wanted:
                return value
        return None


class RequestLog(Sequence[LoggedRequest]):
    """Thread-safe, append-only list of served requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Logged requests, optionally only those with this method and path (path case-insensitive)."""
        with self._lock:
            items = list(self._items)
        if method is not None:
            items = [r for r in items if r.method == method.upper()]
        if path is not None:
            items = [r for r in items if r.path.lower() == path.lower()]
        return items

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        with self._lock:
            return self._items[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"
