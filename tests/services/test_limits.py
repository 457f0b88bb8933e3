"""The token bucket: bursts up to capacity, then the refill rate; keys are independent."""

from __future__ import annotations

import pytest

from bizsight.errors import RateLimitedError
from bizsight.services.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock)  # one a second, three at once
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimitedError) as err:
        limiter.take("a")
    assert err.value.retry_after == pytest.approx(1.0)
    limiter.take("b")  # another key has its own bucket
    clock.now = 0.5
    with pytest.raises(RateLimitedError):
        limiter.take("a")
    clock.now = 1.6  # refilled about one token since the refused call at 0.5
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")


def test_refill_never_exceeds_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=2, clock=clock)
    clock.now = 3600.0
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")


def test_sustained_rate_matches_the_setting() -> None:
    clock = Clock()
    limiter = RateLimiter(120, burst=1, clock=clock)  # two a second
    allowed = 0
    for step in range(1000):  # ten seconds in 10 ms steps
        clock.now = step / 100
        try:
            limiter.take("k")
            allowed += 1
        except RateLimitedError:
            pass
    assert allowed in (20, 21)
