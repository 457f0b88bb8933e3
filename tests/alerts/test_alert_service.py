"""Alerts stored, checked and delivered to a real webhook receiver and SMTP server on loopback,
with a clock the test controls (``now``): an alert fires once, respects its cooldown, escalates
when not acknowledged (not when acknowledged), sends a recovery, and the delivery log shows each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bizsight.app.models import Delivery
from bizsight.app.store import MetadataStore
from bizsight.errors import BizsightError, InvalidArgumentError, NotFoundError
from bizsight.services import alerts, deliveries
from bizsight.services.alert_runs import check_alerts, dry_run
from bizsight.services.project import Project
from bizsight.services.users import open_store
from tests.alerts.alert_support import MARCH_5, MAY_2, alert_shop, low_revenue
from tests.delivery.delivery_support import Receiver, SmtpServer

H = dt.timedelta(hours=1)


@pytest.fixture
def shop(tmp_path: Path, receiver: Receiver, smtp_server: Callable[..., SmtpServer]) -> Project:
    smtp = smtp_server()
    receiver.secret = "s3cret"  # it checks every signature, as a user's receiver would
    project = alert_shop(tmp_path, receiver, smtp)
    project.smtp = smtp  # type: ignore[attr-defined]
    return project


@pytest.fixture
def store(shop: Project) -> Iterator[MetadataStore]:
    opened = open_store(shop)
    yield opened
    opened.close()


def check(project: Project, store: MetadataStore, now: dt.datetime, sleep=None) -> dict:
    with project.warehouse(read_only=True) as wh:
        options = {"sleep": sleep} if sleep else {}
        return check_alerts(project, wh, store, now, **options).as_dict()


def hooks(receiver: Receiver) -> list[tuple[str, str]]:
    """(recipient, subject) of each webhook the receiver accepted."""
    return [(r.json()["recipient"], r.json()["subject"]) for r in receiver.accepted]


def test_fires_once_respects_the_cooldown_escalates_and_recovers(
    shop: Project, store: MetadataStore, receiver: Receiver
) -> None:
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops:team"], escalation=["mail:boss@example.com"])
    mail = shop.smtp.mailbox  # type: ignore[attr-defined]

    assert check(shop, store, MARCH_5)["notifications"] == [
        {"rule": "low revenue", "kind": "triggered", "channel": "primary"}
    ]
    check(shop, store, MARCH_5 + 0.5 * H)  # still breached, inside the cooldown: nothing
    assert hooks(receiver) == [("team", "[HIGH] low revenue — triggered")]
    body = receiver.accepted[0].json()
    assert "Revenue (last month) is $20.00, below $30.00" in body["text"]
    assert body["link"] == "https://bi.example.com/monitor"
    assert receiver.accepted[0].verdict == "valid"

    check(shop, store, MARCH_5 + 2 * H)  # not acknowledged within 2 h: the escalation channel
    assert [m["Subject"] for m in mail.received] == ["[HIGH] low revenue — escalated"]
    assert mail.envelopes[0][1] == ["boss@example.com"]
    assert len(receiver.accepted) == 1

    check(shop, store, MARCH_5 + 25 * H)  # the cooldown has passed: a reminder
    assert hooks(receiver)[-1] == ("team", "[HIGH] low revenue — reminder")

    check(shop, store, MAY_2)  # April's 35: back to normal, told to both channels
    assert hooks(receiver)[-1] == ("team", "[HIGH] low revenue — recovered")
    assert [m["Subject"] for m in mail.received][-1] == "[HIGH] low revenue — recovered"
    assert len(receiver.accepted) == 3 and len(mail.received) == 2

    events = alerts.history(store, "low revenue")
    assert [e["kind"] for e in events] == ["recovered", "recovered", "reminder", "escalated", "triggered"]
    assert all(d["status"] == "sent" and d["attempts"] == 1 for e in events for d in e["deliveries"])
    assert [d["recipient"] for d in events[-1]["deliveries"]] == ["team"]
    assert [d["recipient"] for d in events[-2]["deliveries"]] == ["boss@example.com"]
    view = alerts.get_rule(store, "low revenue")
    assert (view["status"], view["last_value"], view["error"]) == ("resolved", 35.0, None)
    assert view["last_checked"] == MAY_2.isoformat()


def test_an_acknowledged_alert_neither_reminds_nor_escalates_but_recovers(
    shop: Project, store: MetadataStore, receiver: Receiver
) -> None:
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops"], escalation=["mail:boss@example.com"])
    check(shop, store, MARCH_5)
    acknowledged = alerts.acknowledge(store, "low revenue", "ann", now=MARCH_5 + 0.5 * H)
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("acknowledged", "ann")
    for hours in (3, 30, 60):
        check(shop, store, MARCH_5 + hours * H)
    check(shop, store, MAY_2)
    assert [s for _, s in hooks(receiver)] == [
        "[HIGH] low revenue — triggered",
        "[HIGH] low revenue — recovered",
    ]
    assert shop.smtp.mailbox.received == []  # type: ignore[attr-defined]
    kinds = [(e["kind"], e["actor"]) for e in alerts.history(store, "low revenue")]
    assert kinds == [("recovered", None), ("acknowledged", "ann"), ("triggered", None)]
    with pytest.raises(InvalidArgumentError, match="only a triggered alert can be acknowledged"):
        alerts.acknowledge(store, "low revenue", "ann")


def test_a_kill_between_the_event_and_the_send_is_finished_once(
    shop: Project, store: MetadataStore, receiver: Receiver, no_sleep: Callable[[float], None]
) -> None:
    """The receiver down for every try: the delivery fails, recorded; a pending row (as a kill
    after the commit leaves it) is sent by the deliver job's finish_pending, once."""
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops:team"])
    receiver.statuses = [503, 503, 503]
    summary = check(shop, store, MARCH_5, sleep=no_sleep)
    assert (summary["sent"], summary["failed"]) == (0, 1)
    with store.session() as s:
        row = s.query(Delivery).one()
        assert (row.status, row.attempts, row.idempotency_key.startswith("alert-event-")) == (
            "failed",
            3,
            True,
        )
        row.status = "pending"  # as a process killed after the commit and before the send leaves it
    done = deliveries.finish_pending(shop, store)
    assert [d["status"] for d in done] == ["sent"]
    assert deliveries.finish_pending(shop, store) == []
    assert hooks(receiver) == [("team", "[HIGH] low revenue — triggered")]
    assert receiver.accepted[0].headers["Idempotency-Key"] == row.idempotency_key


def test_rules_are_validated_named_once_and_listed_with_their_errors(
    shop: Project, store: MetadataStore
) -> None:
    with pytest.raises(BizsightError, match="unknown metric 'revenu' \\(did you mean 'revenue'\\?\\)"):
        alerts.add_rule(shop, store, low_revenue(metric="revenu"), recipients=["ops"])
    with pytest.raises(InvalidArgumentError, match="no channel 'opz' \\(did you mean 'ops'\\?\\)"):
        alerts.add_rule(shop, store, low_revenue(), recipients=["opz"])
    with pytest.raises(InvalidArgumentError, match="at least one recipient"):
        alerts.add_rule(shop, store, low_revenue(), recipients=[])
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops"], cron="every 15 minutes", now=MARCH_5)
    with pytest.raises(InvalidArgumentError, match="exists already"):
        alerts.add_rule(shop, store, low_revenue(), recipients=["ops"])
    (shop.root / "metrics.yml").write_text(
        "metrics:\n  big_orders:\n    label: Big orders\n    model: order_lines\n    aggregate: count_distinct\n"
        "    sql: order_id\n    filter: quantity > 5\n    unit: count\n"
    )
    alerts.add_rule(shop, store, low_revenue("gone metric", metric="big_orders"), recipients=["ops"])
    (shop.root / "metrics.yml").unlink()  # the metric has left metrics.yml since
    summary = check(shop, store, MARCH_5)
    listed = {r["name"]: r for r in alerts.list_rules(store)}
    assert listed["low revenue"]["status"] == "triggered"
    assert listed["low revenue"]["schedule"] == "*/15 * * * *"
    assert listed["low revenue"]["next_check"] is not None
    assert "unknown metric 'big_orders'" in summary["errors"]["gone metric"]
    assert listed["gone metric"]["status"] == "ok"
    assert "unknown metric 'big_orders'" in listed["gone metric"]["error"]
    with pytest.raises(
        NotFoundError, match="no alert named 'low revenu' \\(did you mean 'low revenue'\\?\\)"
    ):
        alerts.get_rule(store, "low revenu")
    removed = alerts.remove_rule(store, "low revenue")
    assert removed["name"] == "low revenue"
    assert [r["name"] for r in alerts.list_rules(store)] == ["gone metric"]


def test_a_dry_run_stores_and_sends_nothing_unless_asked_to_send_a_test(
    shop: Project, store: MetadataStore, receiver: Receiver
) -> None:
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops:team"])
    with shop.warehouse(read_only=True) as wh:
        seen = dry_run(shop, wh, store, "low revenue", MARCH_5)
        assert (seen["breached"], seen["value"], seen["status"], seen["status_after"]) == (
            True,
            20.0,
            "ok",
            "triggered",
        )
        assert [(w["kind"], w["recipients"]) for w in seen["would_send"]] == [("triggered", ["ops:team"])]
        assert receiver.requests == [] and alerts.history(store, "low revenue") == []
        assert alerts.get_rule(store, "low revenue")["status"] == "ok"
        sent = dry_run(shop, wh, store, "low revenue", MARCH_5, send=True)
    assert [(s["recipient"], s["status"]) for s in sent["sent"]] == [("ops:team", "sent")]
    assert hooks(receiver) == [("team", "[TEST] [HIGH] low revenue — test")]
    assert alerts.history(store, "low revenue") == []
    with store.session() as s:
        assert s.query(Delivery).count() == 0


def test_a_refresh_is_followed_by_a_check_only_when_there_are_rules(
    shop: Project, store: MetadataStore
) -> None:
    from bizsight.services.jobs import follow_ups
    from bizsight.services.watch import WatchSummary

    insights = ("insights", {})  # after every refresh (docs/insights.md)
    assert follow_ups(shop, store, "refresh", None) == [insights]  # no rules: no check for nothing
    alerts.add_rule(shop, store, low_revenue(), recipients=["ops"])
    assert follow_ups(shop, store, "refresh", None) == [("alerts", {}), insights]
    assert follow_ups(shop, None, "refresh", None) == [("alerts", {}), insights]  # the CLI, without a server
    assert follow_ups(shop, store, "watch", WatchSummary("inbox", refreshed=True)) == [
        ("alerts", {}),
        insights,
    ]
    assert follow_ups(shop, store, "watch", WatchSummary("inbox")) == []  # nothing new was loaded
    assert follow_ups(shop, store, "backup", {}) == []
    alerts.set_enabled(store, "low revenue", False)
    assert follow_ups(shop, store, "refresh", None) == [insights]
