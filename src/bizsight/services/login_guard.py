"""Login throttling: per client address, per account and across accounts.

Three watches, all in this process (``bizsight serve`` is one process, so it sees every login):

- **per client address**: a token bucket of ``login_per_minute`` attempts;
- **per account**: after each failure the next attempt on that account waits longer (1 s, 2 s,
  4 s, ... up to a minute); after ``login_lock_after`` failures in a row the account is locked for
  ``login_lock_minutes``, whatever the address, and the lock is audited. A success clears it;
- **one password across many accounts** (password spraying): a wrong password that fails on
  ``login_spray_accounts`` different accounts within the lock window is refused on every account
  until the window passes. The password is remembered only as an HMAC under a key made at start
  and never written anywhere.

Refusals are :class:`RateLimitedError` with the wait in whole seconds (the API's ``Retry-After``).

>>> now = [0.0]
>>> guard = LoginGuard(per_minute=100, lock_after=3, lock_minutes=15, spray_accounts=5, clock=lambda: now[0])
>>> for _ in range(3):
...     guard.check("10.0.0.1", "ana", "guess"); _ = guard.failed("10.0.0.1", "ana", "guess"); now[0] += 60
>>> guard.check("10.0.0.9", "ana", "another")
Traceback (most recent call last):
...
bizsight.errors.RateLimitedError: too many failed logins for this account; it is locked for 14 min 0 s
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bizsight.errors import RateLimitedError
from bizsight.services.limits import RateLimiter

MAX_DELAY = 60.0  # seconds: the longest wait between two attempts on one account before it locks
MAX_TRACKED = 50_000  # accounts and passwords remembered at most (memory an attacker can make us use)


@dataclass
class _Account:
    failures: int = 0
    next_try: float = 0.0  # the growing delay: no attempt before this time
    locked_until: float = 0.0


@dataclass
class _Password:
    accounts: dict[str, float] = field(default_factory=dict)  # account → when it failed there


def wait_text(seconds: float) -> str:
    """
    >>> wait_text(3.2), wait_text(840), wait_text(61)
    ('4 s', '14 min 0 s', '1 min 1 s')
    """
    whole = math.ceil(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


class LoginGuard:
    def __init__(
        self,
        *,
        per_minute: float,
        lock_after: int,
        lock_minutes: float,
        spray_accounts: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = RateLimiter(per_minute, what="login attempts from this address", clock=clock)
        self.lock_after = lock_after
        self.lock_seconds = lock_minutes * 60
        self.spray_accounts = spray_accounts
        self._clock = clock
        self._key = secrets.token_bytes(32)  # passwords are remembered only as HMACs under it
        self._accounts: dict[str, _Account] = {}
        self._passwords: dict[bytes, _Password] = {}
        self._sprays: deque[float] = deque(maxlen=1000)  # when sprays were seen, for the audit
        self._lock = threading.Lock()

    def check(self, client: str | None, username: str, password: str) -> None:
        """Refuse this attempt before the password is verified, or let it through."""
        now = self._clock()
        account = username.casefold()
        with self._lock:
            state = self._accounts.get(account)
            if state is not None and state.locked_until > now:
                raise RateLimitedError(
                    f"too many failed logins for this account; it is locked for {wait_text(state.locked_until - now)}",
                    retry_after=math.ceil(state.locked_until - now),
                )
            if state is not None and state.next_try > now:
                raise RateLimitedError(
                    f"too many failed logins for this account; try again in {wait_text(state.next_try - now)}",
                    retry_after=math.ceil(state.next_try - now),
                )
            sprayed = self._passwords.get(self._fingerprint(password))
            if sprayed is not None and len(self._recent(sprayed, now)) >= self.spray_accounts:
                wait = min(sprayed.accounts.values()) + self.lock_seconds - now
                raise RateLimitedError(
                    f"this password was just tried on many accounts; try again in {wait_text(wait)}",
                    retry_after=math.ceil(wait),
                )
        if client is not None:
            self.per_client.take(client)

    def failed(self, client: str | None, username: str, password: str) -> list[str]:
        """Count a failed attempt; what it set off, for the audit log: ``account_locked``,
        ``password_spray``."""
        now = self._clock()
        account = username.casefold()
        events = []
        with self._lock:
            self._forget(now)
            state = self._accounts.setdefault(account, _Account())
            state.failures += 1
            state.next_try = now + min(MAX_DELAY, 2.0 ** (state.failures - 1))
            if state.failures >= self.lock_after:
                state.locked_until = now + self.lock_seconds
                state.failures = 0
                events.append("account_locked")
            tried = self._passwords.setdefault(self._fingerprint(password), _Password())
            was_spray = len(self._recent(tried, now)) >= self.spray_accounts
            tried.accounts[account] = now
            if not was_spray and len(self._recent(tried, now)) >= self.spray_accounts:
                events.append("password_spray")
        return events

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._accounts.pop(username.casefold(), None)

    def _fingerprint(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def _recent(self, tried: _Password, now: float) -> list[str]:
        return [a for a, at in tried.accounts.items() if now - at < self.lock_seconds]

    def _forget(self, now: float) -> None:
        """Drop what no longer counts, when there is too much of it."""
        if len(self._accounts) > MAX_TRACKED:
            for name in [n for n, s in self._accounts.items() if s.locked_until <= now and s.next_try <= now]:
                del self._accounts[name]
        if len(self._passwords) > MAX_TRACKED:
            for key in [k for k, p in self._passwords.items() if not self._recent(p, now)]:
                del self._passwords[key]
