"""Query results cached by query and data version, shared by every thread of a process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache

T = TypeVar("T")


class ResultCache:
    """An LRU cache of results. Keys include the warehouse's data version, so a load (which
    bumps it) makes every older entry unreachable; they age out of the LRU."""

    def __init__(self, size: int = 512) -> None:
        self._entries: LRUCache[Hashable, object] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        """The cached value for ``key`` (and True), or ``compute()`` stored (and False). Two
        threads asking for the same new key may both compute it; the results are equal."""
        with self._lock:
            if key in self._entries:
                self.hits += 1
                return self._entries[key], True  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
        return value, False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
