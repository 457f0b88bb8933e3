"""The generic webhook, Slack and Teams against an HTTP receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bizsight.delivery import (
    Attachment,
    Message,
    RetryPolicy,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    send_with_retries,
    sign,
    verify_signature,
)
from bizsight.errors import InvalidSignatureError
from tests.delivery.delivery_support import Receiver

SECRET = "whsec-test-4f9a"
CSV = b"region,revenue\nNorth,1200\n"
ALERT = Message(
    "Revenue below target",
    "Revenue is 12% behind target for December.",
    html="<p>Revenue is <b>12%</b> behind target.</p>",
    attachments=(Attachment("revenue.csv", CSV, "text/csv"),),
    idempotency_key="alert-3:ops",
    link="https://bi.example.com/monitor",
)


def hook(receiver: Receiver, **settings: object) -> WebhookChannel:
    return WebhookChannel.model_validate({"url": receiver.url, "secret": SECRET, "timeout_s": 5} | settings)


def test_the_receiver_verifies_the_signature(receiver: Receiver) -> None:
    receiver.secret = SECRET
    receipt = hook(receiver).send(ALERT, "ops")

    (request,) = receiver.requests
    assert (request.status, request.verdict) == (200, "valid")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "alert-3:ops"
    payload = request.json()
    assert payload["id"] == "alert-3:ops" and payload["recipient"] == "ops"
    assert (
        payload["subject"] == "Revenue below target" and payload["link"] == "https://bi.example.com/monitor"
    )
    (attachment,) = payload["attachments"]
    assert base64.b64decode(attachment["content_base64"]) == CSV
    assert attachment["sha256"] == hashlib.sha256(CSV).hexdigest() and attachment["size"] == len(CSV)
    assert receipt.detail == "HTTP 200"


def test_a_replayed_request_is_rejected(receiver: Receiver) -> None:
    receiver.secret = SECRET
    hook(receiver).send(ALERT, "ops")
    (original,) = receiver.requests

    # the same bytes and headers an hour later: the signature still matches, the timestamp does not
    receiver.clock = lambda: time.time() + 3600
    replay = urllib.request.Request(receiver.url, data=original.body, headers=original.headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(replay, timeout=5)
    assert refused.value.code == 401
    assert "a replay or a wrong clock" in receiver.requests[-1].verdict


def test_a_wrong_secret_or_a_changed_body_is_rejected(receiver: Receiver) -> None:
    receiver.secret = "another secret"
    result = send_with_retries(hook(receiver), ALERT, "ops", sleep=lambda s: None)

    assert (result.status, result.attempts) == ("failed", 1)  # 401 is not retried
    assert receiver.requests[0].verdict == "the signature does not match the body"
    stamp = int(time.time())
    headers = {"X-Bizsight-Timestamp": str(stamp), "X-Bizsight-Signature": sign(SECRET, stamp, b'{"a":1}')}
    verify_signature(SECRET, headers, b'{"a":1}')
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_signature(SECRET, headers, b'{"a":2}')
    with pytest.raises(InvalidSignatureError, match="no X-Bizsight-Timestamp"):
        verify_signature(SECRET, {}, b'{"a":1}')


def test_429_and_5xx_are_retried_and_the_request_is_accepted_once(receiver: Receiver, no_sleep) -> None:
    receiver.statuses = [503, 429]
    result = send_with_retries(hook(receiver), ALERT, "ops", RetryPolicy(max_attempts=4), sleep=no_sleep)

    assert result.ok and result.attempts == 3
    assert result.last_error is not None and "HTTP 429" in result.last_error
    assert [r.status for r in receiver.requests] == [503, 429, 200]
    assert len(receiver.accepted) == 1
    # every try carries the same key, so a receiver can drop a copy it has already seen
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {"alert-3:ops"}


def test_a_retry_after_longer_than_the_backoff_is_honoured_up_to_the_cap(
    receiver: Receiver, no_sleep
) -> None:
    receiver.statuses, receiver.retry_after = [429, 503], "45"
    result = send_with_retries(hook(receiver), ALERT, "ops", RetryPolicy(base_s=1, cap_s=30), sleep=no_sleep)

    assert result.ok and result.attempts == 3
    assert no_sleep.waits == [30, 30]


def test_other_4xx_are_not_retried(receiver: Receiver, no_sleep) -> None:
    receiver.statuses = [404]
    result = send_with_retries(hook(receiver), ALERT, "ops", sleep=no_sleep)

    assert (result.status, result.attempts) == ("failed", 1)
    assert result.last_error == "the webhook answered HTTP 404: refused"
    assert no_sleep.waits == []


def test_large_attachments_travel_as_digests_and_the_link(receiver: Receiver) -> None:
    hook(receiver, max_inline_bytes=10).send(ALERT, "ops")

    (attachment,) = receiver.requests[0].json()["attachments"]
    assert "content_base64" not in attachment and attachment["name"] == "revenue.csv"
    assert receiver.requests[0].json()["link"] == "https://bi.example.com/monitor"


def test_slack_payload_shape(receiver: Receiver, monkeypatch) -> None:
    monkeypatch.setenv("BIZSIGHT_TEST_SLACK_URL", receiver.url)
    SlackChannel(url="env:BIZSIGHT_TEST_SLACK_URL", timeout_s=5).send(ALERT, "#sales")

    payload = receiver.requests[0].json()
    assert set(payload) == {"text", "blocks"}
    assert payload["text"] == "Revenue below target"
    header, section, actions = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Revenue below target"}}
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].startswith("Revenue is 12% behind target for December.")
    assert "revenue.csv" in section["text"]["text"]
    (button,) = actions["elements"]
    assert button["type"] == "button" and button["url"] == "https://bi.example.com/monitor"


def test_teams_payload_shape(receiver: Receiver) -> None:
    TeamsChannel(url=receiver.url, timeout_s=5).send(ALERT, "Sales channel")

    payload = receiver.requests[0].json()
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (
        card["type"] == "AdaptiveCard"
        and card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    )
    assert [b["type"] for b in card["body"]] == ["TextBlock", "TextBlock", "TextBlock"]
    assert card["body"][0]["text"] == "Revenue below target"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open", "url": "https://bi.example.com/monitor"}
    ]


def test_a_long_slack_subject_is_clipped_to_slacks_limit(receiver: Receiver) -> None:
    SlackChannel(url=receiver.url, timeout_s=5).send(Message("x" * 400, "y" * 5000), "#sales")

    header, section = receiver.requests[0].json()["blocks"]
    assert len(header["text"]["text"]) == 150 and len(section["text"]["text"]) == 3000


def test_an_unreachable_chat_webhook_is_retried_without_naming_its_url(no_sleep) -> None:
    from tests.delivery.delivery_support import free_port

    url = f"http://127.0.0.1:{free_port()}/services/T000/B000/token-secret"
    result = send_with_retries(
        SlackChannel(url=url, timeout_s=2), ALERT, "#sales", RetryPolicy(3), sleep=no_sleep
    )

    assert (result.status, result.attempts) == ("failed", 3)
    assert result.last_error is not None and result.last_error.startswith(
        "the slack webhook could not be reached"
    )
    assert "token-secret" not in result.last_error


def test_the_documented_verification_without_bizsight_accepts_a_real_request(receiver: Receiver) -> None:
    """docs/delivery.md gives receivers a few lines of plain Python: they must agree with us."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "delivery.md").read_text()
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", docs, re.S) if "def verify(" in b]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    hook(receiver).send(ALERT, "ops")
    (request,) = receiver.requests

    assert namespace["verify"](SECRET.encode(), request.headers, request.body)
    assert not namespace["verify"](SECRET.encode(), request.headers, request.body + b" ")
    stamp = int(request.headers["X-Bizsight-Timestamp"]) - 900  # rightly signed, 15 minutes old
    old = {"X-Bizsight-Timestamp": str(stamp), "X-Bizsight-Signature": sign(SECRET, stamp, request.body)}
    assert not namespace["verify"](SECRET.encode(), old, request.body)
