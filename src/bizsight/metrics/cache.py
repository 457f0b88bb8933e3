"""Query results cached by query and data version, shared by every thread of a process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache

T = TypeVar("T")


class ResultCache:
    """An LRU cache of results. Keys include the warehouse's data version, so a load (which
    bumps it) makes every older entry unreachable; they age out of the LRU.

    A key being computed is computed once: other threads asking for it wait for that result
    instead of running the same query again.
    """

    def __init__(self, size: int = 512) -> None:
        self._entries: LRUCache[Hashable, object] = LRUCache(maxsize=size)
        self._pending: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        """The cached value for ``key`` (and True), or ``compute()`` stored (and False)."""
        with self._lock:
            if key in self._entries:
                self.hits += 1
                return self._entries[key], True  # type: ignore[return-value]
            running = self._pending.get(key)
            if running is None:
                running = self._pending[key] = threading.Lock()
                running.acquire()
                owner = True
            else:
                owner = False
        if not owner:
            with running:  # wait for the thread computing it, then read (or, if it failed, compute)
                pass
            return self.get_or_compute(key, compute)
        try:
            value = compute()
            with self._lock:
                self._entries[key] = value
                self.misses += 1
            return value, False
        finally:
            with self._lock:
                del self._pending[key]
            running.release()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
