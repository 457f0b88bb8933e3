"""The generic webhook: a signed JSON POST, and :func:`verify_signature` for the receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bizsight.errors import InvalidSignatureError

from .message import Message, Receipt
from .secrets import Secret
from .transport import check_url, dumps, post_json

SIGNATURE_HEADER = "X-Bizsight-Signature"
TIMESTAMP_HEADER = "X-Bizsight-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of
    ``timestamp + "." + body`` under ``secret``.

    >>> sign("s3cret", 1700000000, b'{"subject":"hi"}')
    'sha256=...'
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> None:
    """Check a request a bizsight webhook sent; raise :class:`InvalidSignatureError` when the
    headers are missing, the signature does not match the body, or the timestamp is more than
    ``tolerance_s`` seconds away from ``now`` (a replayed request). Header names are matched
    without regard to case; ``body`` must be the raw bytes received.

    >>> body = b'{"subject":"hi"}'
    >>> headers = {"x-bizsight-timestamp": "1700000000", "x-bizsight-signature": sign("k", 1700000000, body)}
    >>> verify_signature("k", headers, body, now=1700000010)
    >>> verify_signature("k", headers, body, now=1700000900)
    Traceback (most recent call last):
    ...
    bizsight.errors.InvalidSignatureError: the request's timestamp is 900 s away from now (more than 300 s): a replay or a wrong clock
    """
    lower = {k.lower(): v for k, v in headers.items()}
    stamp, signature = lower.get(TIMESTAMP_HEADER.lower()), lower.get(SIGNATURE_HEADER.lower())
    if not stamp or not signature:
        raise InvalidSignatureError(f"the request has no {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidSignatureError(f"{TIMESTAMP_HEADER} is not a number of seconds") from None
    # compare before looking at the age, so a forged request learns nothing about the clock
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise InvalidSignatureError("the signature does not match the body")
    age = abs((time.time() if now is None else now) - timestamp)
    if age > tolerance_s:
        raise InvalidSignatureError(
            f"the request's timestamp is {age:.0f} s away from now (more than {tolerance_s:g} s): "
            "a replay or a wrong clock"
        )


def webhook_payload(message: Message, recipient: str, max_inline_bytes: int) -> dict[str, Any]:
    """The JSON a generic webhook receives. Attachments travel base64-encoded while together
    they are at most ``max_inline_bytes``; above it only their names, sizes and digests, and
    ``link``. Inline parts of the HTML (``content_id``) always travel with their content.

    >>> p = webhook_payload(Message("Hi", "Text", idempotency_key="r1:ops"), "ops", 1000)
    >>> sorted(p)
    ['attachments', 'html', 'id', 'link', 'recipient', 'subject', 'text']
    """
    embed = message.attachment_bytes <= max_inline_bytes
    attachments = []
    for a in message.attachments:
        item: dict[str, Any] = {
            "name": a.name,
            "media_type": a.media_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        if a.content_id is not None:  # a part of the HTML (a logo): always sent with it
            item["content_id"] = a.content_id
        if embed or a.inline:
            item["content_base64"] = base64.b64encode(a.data).decode()
        attachments.append(item)
    return {
        "id": message.idempotency_key,
        "recipient": recipient,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "link": message.link,
        "attachments": attachments,
    }


class WebhookChannel(BaseModel):
    """A JSON POST to ``url``, signed with ``secret`` (see :func:`verify_signature`).

    >>> WebhookChannel(url="https://example.com/hook", secret="env:HOOK_SECRET")
    WebhookChannel(name='webhook', url='https://example.com/hook', secret=Secret('env:HOOK_SECRET'), ...)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "webhook"
    url: str
    secret: Secret
    timeout_s: float = Field(default=30.0, gt=0)
    max_inline_bytes: int = Field(default=5_000_000, ge=0)

    def model_post_init(self, __context: Any) -> None:
        check_url(self.url)

    def send(self, message: Message, recipient: str) -> Receipt:
        body = dumps(webhook_payload(message, recipient, self.max_inline_bytes))
        timestamp = int(time.time())
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.secret.reveal(), timestamp, body),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        status, _ = post_json(self.url, body, headers, what="the webhook", timeout_s=self.timeout_s)
        return Receipt(self.name, recipient, message.idempotency_key, f"HTTP {status}")
