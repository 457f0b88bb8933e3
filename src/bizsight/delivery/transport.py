"""One JSON POST for the webhook channels, with errors sorted into retryable or not."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bizsight.errors import ConfigError, DeliveryError

RETRYABLE_STATUS = frozenset({408, 425, 429})


def check_url(url: str) -> str:
    """An http(s) URL, or a :class:`ConfigError` that does not repeat it (it may hold a token).

    >>> check_url("https://hooks.example.com/T1/B2")
    'https://hooks.example.com/T1/B2'
    >>> check_url("file:///etc/passwd")
    Traceback (most recent call last):
    ...
    bizsight.errors.ConfigError: a webhook URL must start with http:// or https://
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError("a webhook URL must start with http:// or https://")
    return url


def status_is_retryable(status: int) -> bool:
    """HTTP 429, 408, 425 and 5xx may succeed later; every other 4xx will not.

    >>> [status_is_retryable(s) for s in (429, 500, 503, 400, 401, 404)]
    [True, True, True, False, False, False]
    """
    return status in RETRYABLE_STATUS or status >= 500


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    what: str,
    timeout_s: float,
) -> tuple[int, str]:
    """POST ``body`` to ``url``; return the status and the start of the answer, or raise
    :class:`DeliveryError`. ``what`` names the endpoint in errors instead of its URL."""
    request = urllib.request.Request(
        check_url(url),
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "bizsight", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status), response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        answer = error.read(300).decode("utf-8", "replace").strip()
        raise DeliveryError(
            f"{what} answered HTTP {error.code}{': ' + answer if answer else ''}",
            retryable=status_is_retryable(error.code),
            retry_after=retry_after(error.headers.get("Retry-After")),
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"{what} could not be reached: {reason}", retryable=True) from None


def retry_after(value: str | None) -> float | None:
    """The seconds of a ``Retry-After`` header given in seconds (an HTTP date is ignored).

    >>> retry_after("30"), retry_after(None), retry_after("Wed, 21 Oct 2026 07:28:00 GMT")
    (30.0, None, None)
    """
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes that are signed and sent.

    >>> dumps({"text": "café"})
    b'{"text":"caf\\xc3\\xa9"}'
    """
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
