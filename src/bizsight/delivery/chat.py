"""Slack-compatible and Microsoft Teams-compatible incoming webhooks.

Their URLs carry the credential, so each is a :class:`Secret` (``env:SLACK_WEBHOOK_URL``). Chat
webhooks take no files: attachments are named and ``link`` points to them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .message import Message, Receipt
from .secrets import Secret
from .transport import check_url, dumps, post_json

# Slack refuses a header block over 150 characters and a section text over 3000
SLACK_HEADER_MAX = 150
SLACK_SECTION_MAX = 3000
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut.

    >>> clip("Revenue rose", 8)
    'Revenue…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def attachment_note(message: Message) -> str:
    """A line naming the attachments, for channels that cannot carry them.

    >>> from bizsight.delivery.message import Attachment
    >>> attachment_note(Message("S", "T", attachments=(Attachment("a.pdf", b"x"),)))
    'Attached to the report: a.pdf'
    """
    if not message.files:
        return ""
    return "Attached to the report: " + ", ".join(a.name for a in message.files)


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack's incoming-webhook body: ``text`` (the notification and fallback) and ``blocks``.

    >>> p = slack_payload(Message("Weekly sales", "Revenue rose 4%.", link="https://bi.example/r/1"))
    >>> p["text"], [b["type"] for b in p["blocks"]]
    ('Weekly sales', ['header', 'section', 'actions'])
    """
    body = "\n\n".join(part for part in (message.text, attachment_note(message)) if part)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(message.subject, SLACK_HEADER_MAX)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(body or " ", SLACK_SECTION_MAX)}},
    ]
    if message.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": message.link}
                ],
            }
        )
    return {"text": message.subject, "blocks": blocks}


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams incoming-webhook (or Workflows) body: one Adaptive Card in ``attachments``.

    >>> card = teams_payload(Message("Weekly sales", "Revenue rose 4%."))["attachments"][0]
    >>> card["contentType"], card["content"]["type"], card["content"]["body"][0]["text"]
    ('application/vnd.microsoft.card.adaptive', 'AdaptiveCard', 'Weekly sales')
    """
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.text, "wrap": True},
    ]
    note = attachment_note(message)
    if note:
        body.append({"type": "TextBlock", "text": note, "wrap": True, "isSubtle": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": message.link}]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


class _ChatWebhook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: Secret
    timeout_s: float = Field(default=30.0, gt=0)

    def payload(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, message: Message, recipient: str) -> Receipt:
        # the URL is checked only now: it may come from the environment at send time
        url = check_url(self.url.reveal())
        status, answer = post_json(
            url,
            dumps(self.payload(message)),
            {"Idempotency-Key": message.idempotency_key},
            what=f"the {self.name} webhook",
            timeout_s=self.timeout_s,
        )
        return Receipt(self.name, recipient, message.idempotency_key, f"HTTP {status} {answer[:100]}".strip())


class SlackChannel(_ChatWebhook):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat).

    >>> SlackChannel(url="env:SLACK_WEBHOOK_URL")
    SlackChannel(name='slack', url=Secret('env:SLACK_WEBHOOK_URL'), timeout_s=30.0)
    """

    name: str = "slack"

    def payload(self, message: Message) -> dict[str, Any]:
        return slack_payload(message)


class TeamsChannel(_ChatWebhook):
    """A Microsoft Teams incoming webhook or Workflows "post to a channel" URL.

    >>> str(TeamsChannel(url="https://example.webhook.office.com/x/secret-token"))
    "name='teams' url=Secret('***') timeout_s=30.0"
    """

    name: str = "teams"

    def payload(self, message: Message) -> dict[str, Any]:
        return teams_payload(message)
