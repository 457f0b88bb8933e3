"""When alerts are checked, with a real JobRunner and the scheduler on a clock the test drives: a
refresh job is followed by a check that triggers the alert; the alert's own schedule checks it
again when due, and by then, unacknowledged past escalate_after, it escalates."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bizsight.app.models import Job
from bizsight.services import alerts
from bizsight.services.job_runner import JobRunner
from bizsight.services.scheduler import Scheduler
from bizsight.services.users import open_store
from tests.alerts.alert_support import recent_shop, settings
from tests.delivery.delivery_support import Receiver
from tests.services.test_scheduler import FakeClock

START = dt.datetime(2026, 6, 1, 0, 1, tzinfo=dt.UTC)  # the scheduler's clock; checks use the real one


def wait(until: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_a_refresh_triggers_and_the_schedule_escalates(tmp_path: Path, receiver: Receiver) -> None:
    project = recent_shop(tmp_path, settings(receiver))
    store = open_store(project)
    rule = {"name": "low revenue", "kind": "threshold", "metric": "revenue", "window": "last_30_days",
            "direction": "below", "value": 100, "escalate_after": "1s"}  # fmt: skip
    alerts.add_rule(
        project,
        store,
        rule,
        recipients=["ops:team"],
        escalation=["ops:boss"],
        cron="every 15 minutes",
        now=START,
    )
    clock = FakeClock(START)
    runner = JobRunner(project, store)
    with runner.running(), Scheduler(project, store, runner, clock=clock).running():
        runner.submit("refresh", {}, requested_by="test", origin="cli")
        wait(lambda: receiver.accepted)
        time.sleep(1.2)  # the escalation delay passes; nothing checks the alert meanwhile
        assert len(receiver.accepted) == 1
        clock.set(START + dt.timedelta(minutes=14))  # the alert's schedule is due at 00:15
        wait(lambda: len(receiver.accepted) == 2)
    store_jobs = [(j.kind, j.origin, j.params) for j in _jobs(store)]
    assert store_jobs == [
        ("refresh", "cli", {}),
        ("alerts", "after-job", {}),
        ("insights", "after-job", {}),  # docs/insights.md
        ("alerts", "schedule", {"rule": "low revenue"}),
    ]
    assert [(r.json()["recipient"], r.json()["subject"]) for r in receiver.accepted] == [
        ("team", "[MEDIUM] low revenue — triggered"),
        ("boss", "[MEDIUM] low revenue — escalated"),
    ]
    store.close()


def _jobs(store: object) -> list[Job]:
    with store.session() as s:  # type: ignore[attr-defined]
        return list(s.scalars(select(Job).order_by(Job.id)))
