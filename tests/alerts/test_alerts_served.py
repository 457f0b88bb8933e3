"""Alerts through a real `bizsight serve`: a refresh the CLI sends to the server queues an alert
check that delivers to a real webhook receiver; the CLI's alert commands go through the server;
a server killed while a delivery is pending sends it once after its restart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bizsight.app.models import Delivery, Job
from bizsight.services import alerts
from bizsight.services.project import Project
from bizsight.services.users import open_store
from tests.alerts.alert_support import recent_shop, settings
from tests.delivery.delivery_support import Receiver
from tests.helpers import run_cli, serving

pytestmark = pytest.mark.slow

RULE = {"name": "low revenue", "kind": "threshold", "metric": "revenue", "window": "last_30_days",
        "direction": "below", "value": 100, "severity": "high"}  # fmt: skip


def wait(until: Callable[[], object], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)


def subjects(receiver: Receiver) -> list[str]:
    return [r.json()["subject"] for r in receiver.accepted]


def shop_with_rule(root: Path, receiver: Receiver, **options: float) -> Project:
    project = recent_shop(root, settings(receiver, **options))  # type: ignore[arg-type]
    store = open_store(project)
    alerts.add_rule(project, store, RULE, recipients=["ops:team"])
    store.close()
    return project


def test_a_refresh_in_the_server_triggers_the_alert_once(tmp_path: Path, receiver: Receiver) -> None:
    project = shop_with_rule(tmp_path, receiver)
    with serving(project):
        refreshed = run_cli("refresh", "--project", str(project.root))
        assert refreshed.returncode == 0, refreshed.stderr
        assert "sent to the bizsight server" in refreshed.stderr
        wait(lambda: receiver.accepted)
        assert run_cli("refresh", "--project", str(project.root)).returncode == 0  # breached still
        listed = run_cli("alerts", "list", "--json", "--project", str(project.root))
        assert "sent to the bizsight server" in listed.stderr
        (rule,) = json.loads(listed.stdout)
        assert (rule["status"], rule["last_value"]) == ("triggered", 30.0)
        acked = run_cli("alerts", "ack", "low revenue", "--project", str(project.root))
        assert acked.returncode == 0, acked.stderr
        added = run_cli("alerts", "add", "falling", "--metric", "orders", "--change-below", "-0.2",
                        "--where", "region=Europe", "--to", "ops", "--project", str(project.root))  # fmt: skip
        assert added.returncode == 0 and "sent to the bizsight server" in added.stderr, added.stderr
        tested = run_cli("alerts", "test", "falling", "--project", str(project.root))
        assert tested.returncode == 0 and "Alert 'falling' (ok) sees:" in tested.stdout, tested.stderr
        store = open_store(project)
        wait(lambda: _finished(store, "alerts") == 2)
    assert subjects(receiver) == ["[HIGH] low revenue — triggered"]  # one, though checked twice
    events = alerts.history(store, "low revenue")
    store.close()
    assert [e["kind"] for e in events] == ["acknowledged", "triggered"]
    assert events[0]["actor"].startswith("cli:")


def _finished(store: object, kind: str) -> int:
    with store.session() as s:  # type: ignore[attr-defined]
        return len(list(s.scalars(select(Job).where(Job.kind == kind, Job.state == "succeeded"))))


def test_a_server_killed_with_a_delivery_pending_sends_it_once_after_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    # The receiver refuses (503) and the server waits up to minutes between tries: it is killed
    # while the delivery is intended, recorded, and not yet sent.
    project = shop_with_rule(tmp_path, receiver, attempts=20, base=30)
    receiver.statuses = [503] * 100
    store = open_store(project)
    with serving(project) as served:
        assert run_cli("refresh", "--project", str(project.root)).returncode == 0
        wait(lambda: receiver.requests)
        with store.session() as s:
            (row,) = s.scalars(select(Delivery))
            assert row.status == "pending" and row.alert_event_id is not None
        served.kill()
    receiver.statuses = []  # the receiver is well again
    with serving(project):
        wait(lambda: receiver.accepted)
        wait(lambda: _finished(store, "deliver") == 1)
    assert subjects(receiver) == ["[HIGH] low revenue — triggered"]
    assert receiver.accepted[0].headers["Idempotency-Key"] == row.idempotency_key
    with store.session() as s:
        (after,) = s.scalars(select(Delivery))
        assert after.status == "sent"
    store.close()
