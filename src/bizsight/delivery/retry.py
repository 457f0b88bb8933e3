"""Retries: exponential backoff with full jitter, a maximum number of attempts, and a result
that records every attempt's outcome."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bizsight.errors import BizsightError, ConfigError, DeliveryError

from .message import Channel, Message, Receipt

log = logging.getLogger("bizsight.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try: ``max_attempts`` in all, the n-th wait drawn from
    ``[0, min(cap_s, base_s * 2**(n-1))]``."""

    max_attempts: int = 5
    base_s: float = 2.0
    cap_s: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_s < 0 or self.cap_s < 0:
            raise ValueError("max_attempts must be at least 1, base_s and cap_s at least 0")


def backoff_delay(
    attempt: int, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...): full jitter, a
    uniform draw between 0 and the exponential ceiling ``min(cap_s, base_s * 2**(attempt-1))``.

    >>> [backoff_delay(n, 2.0, 10.0, rand=lambda: 1.0) for n in (1, 2, 3, 4)]
    [2.0, 4.0, 8.0, 10.0]
    >>> backoff_delay(3, 2.0, 10.0, rand=lambda: 0.25)
    2.0
    """
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    # 2**attempt overflows a float after ~1000 attempts; the cap is reached long before
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt - 1, 60))
    return ceiling * rand()


def is_retryable(error: BaseException) -> bool:
    """Whether trying again may succeed: a :class:`DeliveryError` says so itself; a connection
    or timeout error (``OSError``) may; anything else is a bug and is not retried.

    >>> is_retryable(DeliveryError("HTTP 503", retryable=True)), is_retryable(ConnectionRefusedError())
    (True, True)
    >>> is_retryable(DeliveryError("SMTP 535 authentication failed", retryable=False))
    False
    """
    if isinstance(error, DeliveryError):
        return error.retryable
    return isinstance(error, OSError)


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of sending one message to one recipient, after retries."""

    status: Literal["sent", "failed"]
    attempts: int
    last_error: str | None
    receipt: Receipt | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def send_with_retries(
    channel: Channel,
    message: Message,
    recipient: str,
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> DeliveryResult:
    """Send ``message`` to ``recipient`` through ``channel``, retrying what may succeed later.

    Never raises for a delivery failure: the result says ``failed`` with the attempts made and
    the last error (which names no secret). A :class:`ConfigError` (a secret's environment
    variable is not set) fails at once. Errors that are bugs (not a :class:`DeliveryError`,
    ``ConfigError`` nor ``OSError``) propagate.
    """
    policy = policy or RetryPolicy()
    last_error: str | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            receipt = channel.send(message, recipient)
        except (DeliveryError, ConfigError, OSError) as error:
            last_error = describe(error)
            retry = is_retryable(error) and attempt < policy.max_attempts
            log.warning(
                "delivery %s via %s to %s, attempt %d of %d failed: %s%s",
                message.idempotency_key,
                channel.name,
                recipient,
                attempt,
                policy.max_attempts,
                last_error,
                "; will retry" if retry else "",
            )
            if not retry:
                return DeliveryResult("failed", attempt, last_error)
            sleep(wait_after(error, attempt, policy, rand))
        else:
            log.info("delivered %s via %s to %s", message.idempotency_key, channel.name, recipient)
            return DeliveryResult("sent", attempt, last_error, receipt)
    raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover


def wait_after(error: BaseException, attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    """The backoff delay, or longer when the other side asked for a longer wait (HTTP
    ``Retry-After``), never beyond the policy's cap.

    >>> slow_down = DeliveryError("HTTP 429", retryable=True, retry_after=60)
    >>> wait_after(slow_down, 1, RetryPolicy(base_s=2, cap_s=300), rand=lambda: 0.5)
    60
    >>> wait_after(slow_down, 1, RetryPolicy(base_s=2, cap_s=30), rand=lambda: 0.5)
    30
    """
    delay = backoff_delay(attempt, policy.base_s, policy.cap_s, rand)
    asked = getattr(error, "retry_after", None)
    return max(delay, min(asked, policy.cap_s)) if asked is not None else delay


def describe(error: BaseException) -> str:
    """One line for the delivery log.

    >>> describe(ConnectionRefusedError(111, "Connection refused"))
    'ConnectionRefusedError: [Errno 111] Connection refused'
    >>> describe(DeliveryError("HTTP 503 from the webhook", retryable=True))
    'HTTP 503 from the webhook'
    """
    if isinstance(error, BizsightError):  # written for people already
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
