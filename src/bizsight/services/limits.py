"""Rate limits: token buckets in this process.

``bizsight serve`` is one process (it owns the warehouse; see DESIGN.md), so an in-process limiter
sees every request; nothing needs sharing between workers. A restart empties the buckets, which
at worst lets one extra burst through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from bizsight.errors import RateLimitedError

MAX_KEYS = 50_000  # bound the memory an attacker can make us spend on distinct keys


class RateLimiter:
    """``per_minute`` requests per key, in bursts of up to ``burst`` (default: ``per_minute``)."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst: float | None = None,
        what: str = "requests",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = burst if burst is not None else per_minute
        self.what = what
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key → (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> None:
        """Spend one token of ``key``'s bucket, or raise :class:`RateLimitedError`."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
                raise RateLimitedError(f"too many {self.what}; try again in {wait:.0f} s", retry_after=wait)
            if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
                self._forget_full(now)
            self._buckets[key] = (tokens - 1, now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.capacity]
        for key in full or list(self._buckets)[: MAX_KEYS // 10]:
            del self._buckets[key]
