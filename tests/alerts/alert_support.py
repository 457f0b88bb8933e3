"""A shop whose channels are a real webhook receiver and SMTP server on loopback, for the alert
tests: the tiny shop of tests/metrics (revenue: January 2024 39, February 20, March none,
April 35), so "revenue last month below 30" is breached in March and back to normal in May."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bizsight.services.project import Project
from tests.delivery.delivery_support import Receiver, SmtpServer
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, customers, order, products, write_csv
from tests.metrics.conftest import shop

MARCH_5 = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)  # last month is February: 20
MAY_2 = dt.datetime(2024, 5, 2, 9, 0, tzinfo=dt.UTC)  # last month is April: 35


def settings(
    receiver: Receiver, smtp: SmtpServer | None = None, *, attempts: int = 3, base: float = 0
) -> str:
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


def recent_orders(folder: Path, name: str, days_ago_and_prices: list[tuple[int, str]]) -> Path:
    """Order lines dated ``days_ago`` days before today (UTC), so that a relative window such as
    last_30_days holds them whenever the test runs."""
    today = dt.datetime.now(dt.UTC).date()
    rows = [
        order(f"{name}-{n}", "C1", "P1", date=f"{today - dt.timedelta(days=days)} 10:00:00", price=price)
        for n, (days, price) in enumerate(days_ago_and_prices)
    ]
    return write_csv(folder / f"{name}.csv", ORDER_HEADER, rows)


def recent_shop(root: Path, config: str) -> Project:
    """A shop whose revenue in the last 30 days is $30.00 (three orders of $10 this month)."""
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, customers(2))
    write_csv(data / "product_catalog.csv", PRODUCT_HEADER, products(1))
    recent_orders(data, "sales_transactions", [(2, "10.00"), (3, "10.00"), (4, "10.00")])
    project = Project(root / "shop")
    project.init()
    project.paths.config_file.write_text("timezone: UTC\n" + config, encoding="utf-8")
    from bizsight.console import NullReporter
    from bizsight.services.ingest import ingest
    from bizsight.services.refresh import refresh

    ingest(project, [data], NullReporter())
    refresh(project, NullReporter())
    return Project(project.root)
