"""A shop whose channels are a real webhook receiver and SMTP server on loopback, for the alert
tests: the tiny shop of tests/metrics (revenue: January 2024 39, February 20, March none,
April 35), so "revenue last month below 30" is breached in March and back to normal in May."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bizsight.services.project import Project
from tests.delivery.delivery_support import Receiver, SmtpServer
from tests.metrics.conftest import shop

MARCH_5 = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)  # last month is February: 20
MAY_2 = dt.datetime(2024, 5, 2, 9, 0, tzinfo=dt.UTC)  # last month is April: 35


def settings(receiver: Receiver, smtp: SmtpServer | None = None, *, attempts: int = 3, base: float = 0) -> str:
    """bizsight.yml's channels: ``ops`` (the webhook receiver) and ``mail`` (the SMTP server)."""
    text = f"channels:\n  ops:\n    kind: webhook\n    url: {receiver.url}\n    secret: s3cret\n"
    if smtp is not None:
        text += (
            f"  mail:\n    kind: email\n    host: 127.0.0.1\n    port: {smtp.port}\n"
            "    security: plain\n    sender: bi@example.com\n"
        )
    text += f"delivery:\n  max_attempts: {attempts}\n  base_seconds: {base}\n"
    return text + "reports:\n  public_url: https://bi.example.com\n"


def alert_shop(
    root: Path, receiver: Receiver, smtp: SmtpServer | None = None, *, attempts: int = 3, base: float = 0
) -> Project:
    return shop(root, "timezone: UTC\n" + settings(receiver, smtp, attempts=attempts, base=base))


def low_revenue(name: str = "low revenue", **extra: object) -> dict[str, object]:
    """Revenue last month below 30, high severity, 24 h cooldown, escalation after 2 h."""
    return {
        "name": name,
        "kind": "threshold",
        "metric": "revenue",
        "direction": "below",
        "value": 30,
        "severity": "high",
        "cooldown": "24h",
        "escalate_after": "2h",
        **extra,
    }
