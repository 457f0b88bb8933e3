"""A channel's secret is read at send time and never shown: not in repr, str, dumps, errors
or log records."""

from __future__ import annotations

import logging

import pytest

from bizsight.delivery import (
    Message,
    Secret,
    SlackChannel,
    SmtpChannel,
    WebhookChannel,
    build_channel,
    send_with_retries,
)
from bizsight.errors import ConfigError
from tests.delivery.delivery_support import Receiver

PASSWORD = "pa55-Sekr1t-xyzzy"


def channels(receiver_url: str) -> list[object]:
    return [
        SmtpChannel(
            host="127.0.0.1",
            port=1,
            security="plain",
            sender="bi@example.com",
            username="bi",
            password=PASSWORD,
        ),
        WebhookChannel(url=receiver_url, secret=PASSWORD),
        SlackChannel(url=f"{receiver_url}?token={PASSWORD}"),
    ]


def test_repr_str_and_dumps_hide_the_secret(receiver: Receiver) -> None:
    for channel in channels(receiver.url):
        assert PASSWORD not in repr(channel)
        assert PASSWORD not in str(channel)
        assert PASSWORD not in str(channel.model_dump())  # type: ignore[attr-defined]
        assert PASSWORD not in channel.model_dump_json()  # type: ignore[attr-defined]
        assert PASSWORD not in str(type(channel).model_json_schema())  # type: ignore[attr-defined]


def test_log_records_hold_no_secret(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.statuses = [500, 401]
    caplog.set_level(logging.DEBUG)
    for channel in channels(receiver.url):
        send_with_retries(channel, Message("s", "t", idempotency_key="k"), "r", sleep=lambda s: None)  # type: ignore[arg-type]
        logging.getLogger("bizsight.delivery").info("channel %r / %s", channel, channel)

    assert caplog.records
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
        assert PASSWORD not in repr(record.args)


def test_an_env_reference_is_read_at_send_time(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = Secret("env:BIZSIGHT_TEST_HOOK_SECRET")
    monkeypatch.delenv("BIZSIGHT_TEST_HOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="BIZSIGHT_TEST_HOOK_SECRET is not set"):
        secret.reveal()
    monkeypatch.setenv("BIZSIGHT_TEST_HOOK_SECRET", "first")
    assert secret.reveal() == "first"
    monkeypatch.setenv("BIZSIGHT_TEST_HOOK_SECRET", "rotated")
    assert secret.reveal() == "rotated"
    assert repr(secret) == "Secret('env:BIZSIGHT_TEST_HOOK_SECRET')"


def test_invalid_settings_name_the_key_not_the_secret() -> None:
    with pytest.raises(ConfigError) as error:
        build_channel(
            "email", {"host": "h", "sender": "s", "username": "bi", "password": PASSWORD, "port": "x"}
        )
    assert "port" in str(error.value) and PASSWORD not in str(error.value)
    with pytest.raises(ConfigError, match="extra_key"):
        build_channel("webhook", {"url": "https://e.com", "secret": PASSWORD, "extra_key": 1})
    with pytest.raises(ConfigError, match="both username and password"):
        build_channel("email", {"host": "h", "sender": "s", "username": "bi"})


def test_an_unset_reference_fails_the_delivery_at_once_naming_the_variable(
    receiver: Receiver, monkeypatch
) -> None:
    monkeypatch.delenv("BIZSIGHT_TEST_UNSET_SECRET", raising=False)
    hook = WebhookChannel(url=receiver.url, secret="env:BIZSIGHT_TEST_UNSET_SECRET")
    result = send_with_retries(hook, Message("s", "t"), "ops", sleep=lambda s: None)

    assert (result.status, result.attempts) == ("failed", 1)
    assert (
        result.last_error
        == "the environment variable BIZSIGHT_TEST_UNSET_SECRET is not set (a channel's secret refers to it)"
    )
    assert receiver.requests == []
