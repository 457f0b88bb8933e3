"""One exception tree for bizsight.

Every error a user can cause is a :class:`BizsightError`. The CLI and the API turn it into a
one-line message (or a 4xx body); anything else reaching a user is a bug. This module imports
nothing from the package so every layer can use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BizsightError(Exception):
    """Base of every error bizsight raises on purpose; ``str(err)`` is the one-line message."""


class ConfigError(BizsightError):
    """bizsight.yml (or another definition file) is invalid."""


class InputFileError(BizsightError):
    """A file to ingest is missing, unreadable, of an unknown kind or has unknown columns."""


class WarehouseError(BizsightError):
    """The warehouse cannot be opened or used (locked by another process, corrupt, ...)."""


class EngineError(WarehouseError):
    """An engine (DuckDB, Spark, PostgreSQL) failed a query. Its text helps whoever runs the
    server, not the person asking: the API logs it and answers with a request id instead."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse read-write."""


class NotInitializedError(BizsightError):
    """The directory is not a bizsight project yet."""


class ModelFitError(BizsightError):
    """A statistical model cannot be fitted to the data given."""


class InvalidArgumentError(BizsightError):
    """A command-line or API argument is out of range or malformed."""


class UnknownNameError(ConfigError, InvalidArgumentError):
    """A metric, dimension or other catalogue name that does not exist: an error of the file that
    names it, or of the request that does (with the nearest spelling)."""


class NotFoundError(BizsightError):
    """Something named by the caller (a customer, a dashboard, a user) does not exist."""


class ConflictError(BizsightError):
    """The request conflicts with what is stored: it would leave no admin, say."""


class AuthenticationError(BizsightError):
    """No valid credentials: wrong password, unknown or expired token or session."""


class AccessDeniedError(BizsightError):
    """The caller is known but may not do this (role, row-level restriction, CSRF)."""


class RateLimitedError(BizsightError):
    """Too many requests of one kind in a short time; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobCancelledError(BizsightError):
    """Someone cancelled the job; what it had written in its open transaction was rolled back."""


class PayloadTooLargeError(BizsightError):
    """An upload is larger than the server allows (``server.max_upload_mb``)."""


class BackupError(BizsightError):
    """A backup cannot be written, or a backup file is damaged and cannot be restored."""


class DeliveryError(BizsightError):
    """A message could not be delivered through a channel (SMTP, webhook, Slack, Teams).

    ``retryable`` says whether trying again later may succeed: a refused connection, an SMTP 4xx
    or an HTTP 429/5xx may; a failed login, an SMTP 5xx or another HTTP 4xx will not.
    ``retry_after`` is the wait in seconds the other side asked for (HTTP ``Retry-After``), if any.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class InvalidSignatureError(BizsightError):
    """A signed webhook request is unsigned, wrongly signed, or older than the allowed tolerance."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix naming the closest choice, or ``""``.

    >>> did_you_mean("custmer_id", ["customer_id", "product_id"])
    " (did you mean 'customer_id'?)"
    >>> did_you_mean("zzz", ["customer_id"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
