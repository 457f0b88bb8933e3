"""Backoff with full jitter, and what send_with_retries records."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizsight.delivery import Message, Receipt, RetryPolicy, backoff_delay, send_with_retries
from bizsight.errors import DeliveryError


@given(
    attempt=st.integers(1, 2000),
    base=st.floats(0, 60),
    cap=st.floats(0, 3600),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_the_delay_lies_between_zero_and_the_capped_exponential(attempt, base, cap, draw) -> None:
    delay = backoff_delay(attempt, base, cap, rand=lambda: draw)
    assert 0 <= delay <= min(cap, base * 2.0 ** min(attempt - 1, 60))


def test_the_ceiling_doubles_until_the_cap() -> None:
    ceilings = [backoff_delay(n, 1.0, 30.0, rand=lambda: 1.0) for n in range(1, 8)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_full_jitter_spreads_the_waits_over_the_whole_range() -> None:
    rng = random.Random(13)
    waits = [backoff_delay(4, 1.0, 60.0, rand=rng.random) for _ in range(2000)]
    assert min(waits) < 0.5 and max(waits) > 7.5  # uniform over [0, 8], not bunched at the top
    assert 3.5 < sum(waits) / len(waits) < 4.5


def test_attempts_are_counted_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, 1.0, 10.0)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


class Flaky:
    """A channel that fails with the given errors, then accepts."""

    name = "flaky"

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def send(self, message: Message, recipient: str) -> Receipt:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Receipt(self.name, recipient, message.idempotency_key)


def test_the_result_records_attempts_and_the_last_error() -> None:
    waits: list[float] = []
    channel = Flaky(ConnectionResetError("reset"), DeliveryError("HTTP 502", retryable=True))
    result = send_with_retries(channel, Message("s", "t", idempotency_key="k"), "r", sleep=waits.append)

    assert (result.status, result.attempts, result.last_error) == ("sent", 3, "HTTP 502")
    assert result.receipt is not None and result.receipt.idempotency_key == "k"
    assert len(waits) == 2


def test_the_attempts_run_out() -> None:
    channel = Flaky(*[DeliveryError("HTTP 503", retryable=True)] * 9)
    result = send_with_retries(
        channel, Message("s", "t"), "r", RetryPolicy(max_attempts=3), sleep=lambda s: None
    )

    assert (result.status, result.attempts, result.last_error, channel.calls) == ("failed", 3, "HTTP 503", 3)


def test_a_bug_in_a_channel_is_not_taken_for_a_delivery_failure() -> None:
    with pytest.raises(KeyError):
        send_with_retries(Flaky(KeyError("oops")), Message("s", "t"), "r", sleep=lambda s: None)
