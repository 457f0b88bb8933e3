"""Password hashing (argon2id) and random tokens stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
TOKEN_PREFIX = "bzs_"


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a wrong name costs as long as a
    wrong password and response times do not reveal which names exist."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always spends one argon2 verification."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = TOKEN_PREFIX) -> tuple[str, str]:
    """A fresh random token (to hand out once) and its hash (to store).

    >>> token, digest = new_token()
    >>> token.startswith("bzs_") and digest == token_hash(token) and len(digest) == 64
    True
    """
    token = prefix + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """SHA-256 is enough here: tokens carry 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_password() -> str:
    return secrets.token_urlsafe(12)


MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MIN_SCORE = 3  # zxcvbn's 0–4 scale; 3: "safely unguessable", about 10^8 guesses or more


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, as zxcvbn ships them (no download at run time)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be used by ``username``, or None when it may: fewer than 12
    characters, one of the common passwords, built from the user name (it, or it reversed, and
    fewer than 6 other letters or digits), or easy to guess by
    zxcvbn's estimate (repeats, sequences, dictionary words with common substitutions).

    >>> password_problem("a long test password", "ana") is None
    True
    >>> password_problem("aaaaaaaaaa")
    'a password needs at least 12 characters'
    >>> password_problem("password1234")
    'this is one of the 30,000 most common passwords'
    >>> password_problem("Bizsight-admin", "bizsight-admin")
    'a password may not be built from the user name'
    >>> password_problem("abcabcabcabc")
    'this password is easy to guess: Repeats like "abcabcabc" are only slightly harder to guess than "abc".'
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password may have at most {MAX_PASSWORD} characters"
    folded = password.casefold()
    if folded in _common_passwords():
        return f"this is one of the {len(_common_passwords()):,} most common passwords"
    name = "".join(c for c in username.casefold() if c.isalnum())
    letters = "".join(c for c in folded if c.isalnum())
    if len(name) >= 3 and any(len(letters.replace(n, "")) < 6 for n in (name, name[::-1]) if n in letters):
        return "a password may not be built from the user name"  # the name, plus a few characters
    verdict = zxcvbn(password[:100], user_inputs=[username] if username else [])  # its cost grows with length
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        reason = feedback["warning"] or " ".join(feedback["suggestions"]) or "add more words or characters"
        return f"this password is easy to guess: {reason}"
    return None
