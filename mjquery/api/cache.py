"""A TTL cache of GET answers for one API client, bounded in bytes.

Entries are the raw response bodies, keyed by path and parameters (names compared
case-insensitively, as the API reads them). Keeping bytes rather than parsed rows means a hit
hands every caller its own fresh objects, and the memory bound is exact. The least recently used
answers are dropped first when the byte budget is exceeded.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CacheKey:
    """A GET request as the API sees it: lower-case path, sorted lower-case parameter names."""

    path: str
    params: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, path: str, params: tuple[tuple[str, str], ...]) -> CacheKey:
        return cls(path.lower(), tuple(sorted((name.lower(), value) for name, value in params)))


@dataclass(frozen=True)
class _Entry:
    body: bytes
    expires: float


class ResponseCache:
    """Thread-safe TTL + LRU cache of response bodies."""

    def __init__(
        self, ttl: float, max_bytes: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.enabled = ttl > 0 and max_bytes > 0
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._bytes = 0

    def get(self, key: CacheKey) -> bytes | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= self._clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.body

    def put(self, key: CacheKey, body: bytes) -> None:
        if not self.enabled or len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(body, self._clock() + self.ttl)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def invalidate(self, path_prefix: str) -> int:
        """Drop entries whose path is ``path_prefix`` or below it; returns how many."""
        prefix = path_prefix.lower().rstrip("/")
        with self._lock:
            doomed = [
                k for k in self._entries if k.path == prefix or k.path.startswith(prefix + "/")
            ]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
