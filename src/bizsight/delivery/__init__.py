"""Delivery channels: one :class:`Message`, one :class:`Channel` interface, and the built-in
channels (SMTP email, a signed generic webhook, Slack and Teams incoming webhooks), with retries.
How to configure each: docs/delivery.md."""

from __future__ import annotations

from .chat import SlackChannel, TeamsChannel, slack_payload, teams_payload
from .message import Attachment, Channel, Message, Receipt
from .registry import BUILTIN, ENTRY_POINT_GROUP, build_channel, channel_kinds
from .retry import DeliveryResult, RetryPolicy, backoff_delay, is_retryable, send_with_retries
from .secrets import Secret
from .smtp import SmtpChannel, fit_attachments
from .webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookChannel, sign, verify_signature

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Attachment",
    "Channel",
    "DeliveryResult",
    "Message",
    "Receipt",
    "RetryPolicy",
    "Secret",
    "SlackChannel",
    "SmtpChannel",
    "TeamsChannel",
    "WebhookChannel",
    "backoff_delay",
    "build_channel",
    "channel_kinds",
    "fit_attachments",
    "is_retryable",
    "send_with_retries",
    "sign",
    "slack_payload",
    "teams_payload",
    "verify_signature",
]
