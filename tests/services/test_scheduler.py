"""The scheduler with a clock the test drives and a real JobRunner on a small demo project: missed
runs are made up once (late), a zone's wall-clock time fires at the right UTC instant across a DST
change, a schedule whose job is still busy is skipped, and a watch folder is loaded once."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bizsight.app.models import Job, Schedule
from bizsight.app.store import MetadataStore
from bizsight.services.job_runner import JobRunner
from bizsight.services.jobs import KINDS, JobContext, JobKind
from bizsight.services.project import Project
from bizsight.services.scheduler import Scheduler
from bizsight.services.schedules import add_schedule, kind_params, list_schedules
from tests.demo_builds import SMALL, DemoBuilds
from tests.helpers import CUSTOMER_HEADER, PRODUCT_HEADER, write_csv

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


class FakeClock:
    """Time stands still until the test moves it; waiting takes a few real milliseconds."""

    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def wait(self, wake: threading.Event, seconds: float) -> None:
        wake.wait(0.01)

    def set(self, moment: dt.datetime) -> None:
        self.current = moment


@pytest.fixture(scope="module")
def project(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return demo_builds.copy(SMALL, tmp_path_factory.mktemp("sched"))  # the watch folder loads more


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    yield opened
    opened.close()


@pytest.fixture
def fake_backup(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A quick stand-in for the backup job kind: it records its params (the real kinds are
    registered first, so the stand-in is not replaced by them)."""
    import bizsight.services.job_kinds  # noqa: F401

    calls: list[dict[str, Any]] = []

    def work(ctx: JobContext) -> dict[str, Any]:
        calls.append(dict(ctx.params))
        return dict(ctx.params)

    monkeypatch.setitem(KINDS, "backup", JobKind("backup", work, lambda r: r, "Backup"))
    return calls


def jobs(store: MetadataStore) -> list[Job]:
    with store.session() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def schedule_row(store: MetadataStore, name: str) -> Schedule:
    with store.session() as s:
        row = s.scalar(select(Schedule).where(Schedule.name == name))
        assert row is not None
        return row


def finished(store: MetadataStore, job_id: int, seconds: float = 120) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with store.session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.state not in ("queued", "running"):
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_a_run_missed_while_down_runs_once_late_then_on_time(project: Project, store: MetadataStore) -> None:
    add_schedule(
        store, "nightly", "refresh", "daily at 02:00", timezone="UTC", params={}, created_by="ana",
        now=utc(2026, 3, 2, 12),
    )  # fmt: skip
    runner = JobRunner(project, store)  # not started yet: its jobs stay queued
    clock = FakeClock(utc(2026, 3, 6, 9))  # the server was down for four 02:00s
    scheduler = Scheduler(project, store, runner, clock=clock)

    [fired] = scheduler.tick()
    assert (fired.action, fired.late, fired.due) == ("submitted", True, dt.datetime(2026, 3, 3, 2))
    [job] = jobs(store)
    assert (job.kind, job.origin, job.late, job.requested_by) == ("refresh", "schedule", True, "ana")
    assert job.schedule_id == schedule_row(store, "nightly").id
    row = schedule_row(store, "nightly")
    assert (row.last_job_id, row.last_run_at, row.next_run_at) == (
        job.id,
        dt.datetime(2026, 3, 6, 9),
        dt.datetime(2026, 3, 7, 2),
    )
    assert scheduler.tick() == []  # not due again before 03-07 02:00

    # The next slot comes while that job is still queued: skipped (and noted), not queued twice.
    clock.set(utc(2026, 3, 7, 2, 0, 3))
    [skipped] = scheduler.tick()
    assert skipped.action == "skipped" and f"job {job.id} is still queued" in skipped.note
    assert len(jobs(store)) == 1
    row = schedule_row(store, "nightly")
    assert row.next_run_at == dt.datetime(2026, 3, 8, 2)
    assert row.state["skipped"]["count"] == 1
    assert list_schedules(store)[0]["skipped"]["reason"] == skipped.note

    with runner.running():  # a runner starting finds that job queued by "a dead process"
        assert finished(store, job.id).state == "interrupted"
        clock.set(utc(2026, 3, 8, 2, 0, 2))
        [on_time] = scheduler.tick()
        assert (on_time.action, on_time.late) == ("submitted", False)
        assert finished(store, on_time.job_id or 0).state == "succeeded"
    assert [s["last_job_state"] for s in list_schedules(store)] == ["succeeded"]


def test_started_scheduler_makes_up_a_missed_run_once(
    project: Project, store: MetadataStore, fake_backup: list[dict[str, Any]]
) -> None:
    add_schedule(
        store, "backups", "backup", "every 5 minutes", timezone="UTC",
        params=kind_params("backup", keep=3), now=utc(2026, 6, 1, 0, 0),
    )  # fmt: skip
    clock = FakeClock(utc(2026, 6, 1, 3, 2))  # 36 slots missed
    runner = JobRunner(project, store)
    with runner.running(), Scheduler(project, store, runner, clock=clock).running() as scheduler:
        deadline = time.monotonic() + 10
        while not fake_backup and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the thread ticks every 10 ms meanwhile: still one job
        clock.set(utc(2026, 6, 1, 3, 5))
        deadline = time.monotonic() + 10
        while len(fake_backup) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        # Added while it runs (as `bizsight schedule add` does, from another process): seen.
        add_schedule(
            store, "more", "backup", "hourly at :07", timezone="UTC", params={"keep": 1}, now=clock.now()
        )
        clock.set(utc(2026, 6, 1, 3, 7))
        deadline = time.monotonic() + 10
        while len(fake_backup) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert fake_backup == [{"keep": 3}, {"keep": 3}, {"keep": 1}]
    assert [(j.kind, j.late, j.state) for j in jobs(store)] == [
        ("backup", True, "succeeded"),
        ("backup", False, "succeeded"),
        ("backup", False, "succeeded"),
    ]
    assert [(f.schedule, f.action) for f in scheduler.recent] == [
        ("backups", "submitted"),
        ("backups", "submitted"),
        ("more", "submitted"),
    ]


def test_berlin_0230_fires_at_the_right_utc_instants_across_dst(
    project: Project, store: MetadataStore, fake_backup: list[dict[str, Any]]
) -> None:
    """The clock walks in 15-minute steps over both changes of 2026; 02:30 Europe/Berlin fires at
    01:30 UTC (CET), at 01:00 UTC on the day 02:30 does not exist (03:00 CEST), at 00:30 UTC
    (CEST), and once only on the day it happens twice."""
    add_schedule(
        store, "berlin", "backup", "30 2 * * *", timezone="Europe/Berlin", params={"keep": 7},
        now=utc(2026, 3, 27, 12),
    )  # fmt: skip
    clock = FakeClock(utc(2026, 3, 27, 12))
    scheduler = Scheduler(project, store, JobRunner(project, store), clock=clock)
    fired: list[str] = []
    with scheduler.runner.running():
        for start in (utc(2026, 3, 27, 12), utc(2026, 10, 23, 12)):
            if start.month == 10:  # the schedule was paused over the summer
                with store.session() as s:
                    row = s.scalar(select(Schedule).where(Schedule.name == "berlin"))
                    assert row is not None
                    row.next_run_at = dt.datetime(2026, 10, 24, 0, 30)
            for step in range(4 * 24 * 4):
                clock.set(start + dt.timedelta(minutes=15 * step))
                for one in scheduler.tick():
                    assert one.action == "submitted", one.note
                    fired.append(clock.now().strftime("%m-%d %H:%M"))
                    finished(store, one.job_id or 0)
    assert fired == [
        "03-28 01:30",  # CET
        "03-29 01:00",  # 02:30 does not exist: 03:00 CEST
        "03-30 00:30",  # CEST
        "03-31 00:30",
        "10-24 00:30",  # CEST
        "10-25 00:30",  # the first 02:30; not again at 01:30 UTC (the second 02:30)
        "10-26 01:30",  # CET
        "10-27 01:30",
    ]
    assert not any(j.late for j in jobs(store))


def test_a_watch_folder_loads_new_files_once_and_waits_for_changing_ones(
    project: Project, store: MetadataStore, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    params = kind_params("watch", folder=inbox, settle_seconds=3600)  # still for an hour
    add_schedule(
        store, "inbox", "watch", "every 5 minutes", timezone="UTC", params=params, now=utc(2026, 1, 1)
    )
    new_customers = [
        [f"W{i}", f"Watched {i}", f"w{i}@example.com", "2024-05-01", "Consumer", "Europe", "Germany", "Email"]
        for i in range(1, 5)
    ]
    write_csv(inbox / "customer_database.csv", CUSTOMER_HEADER, new_customers)
    _age(inbox / "customer_database.csv", hours=2)
    write_csv(inbox / "product_catalog.csv", PRODUCT_HEADER, [["WP1", "Watched", "Home", "9.00", "4.00", 1]])
    (inbox / "notes.txt").write_text("not a data file")

    def run_at(moment: dt.datetime) -> dict[str, Any]:
        """One scheduled run on a freshly started runner (as after a restart of the server)."""
        with JobRunner(project, store).running() as runner:
            [fired] = Scheduler(project, store, runner, clock=FakeClock(moment)).tick()
            job = finished(store, fired.job_id or 0)
        assert job.state == "succeeded", job.error
        assert job.result is not None
        return job.result

    first = run_at(utc(2026, 1, 1, 0, 5))
    assert first["taken"] == ["customer_database.csv"]
    assert first["waiting"] == ["product_catalog.csv"]  # written just now: maybe still being copied
    assert first["rows_loaded"] == 4 and first["refreshed"] is True
    assert _count(project, "select count(*) from core.dim_customer where customer_id like 'W%'") == 4

    second = run_at(utc(2026, 1, 1, 0, 10))
    assert second["taken"] == [] and second["unchanged"] == 1
    assert second["refreshed"] is False  # nothing new: no refresh

    _age(inbox / "product_catalog.csv", hours=2)  # the copy has finished
    write_csv(inbox / "junk.csv", ["foo", "bar"], [[1, 2]])  # a file no entity places
    _age(inbox / "junk.csv", hours=2)
    third = run_at(utc(2026, 1, 1, 0, 15))
    assert third["taken"] == ["product_catalog.csv"] and third["refreshed"] is True
    assert list(third["failed"]) == ["junk.csv"]  # named, and not in the way of the good file
    assert _count(project, "select count(*) from core.dim_product where product_id = 'WP1'") == 1
    files = schedule_row(store, "inbox").state["files"]
    assert sorted(files) == ["customer_database.csv", "junk.csv", "product_catalog.csv"]
    assert files["junk.csv"]["error"] and not files["product_catalog.csv"]["error"]


def _age(path: Path, *, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def _count(project: Project, sql: str) -> int:
    with project.warehouse() as wh:
        return int(wh.scalar(sql))


def test_a_broken_row_does_not_stop_the_others(project: Project, store: MetadataStore) -> None:
    """Rows edited by hand into something unreadable are noted and left; the rest still run."""
    add_schedule(store, "good", "refresh", "hourly", timezone="UTC", params={}, now=utc(2026, 1, 1))
    with store.session() as s:
        s.add(Schedule(name="no-time", kind="refresh", cron="nonsense", timezone="UTC", params={}, state={}))
        s.add(
            Schedule(
                name="no-zone", kind="refresh", cron="0 * * * *", timezone="Mars/Olympus", params={}, state={},
                next_run_at=dt.datetime(2026, 1, 1, 0, 30),
            )
        )  # fmt: skip
    scheduler = Scheduler(project, store, JobRunner(project, store), clock=FakeClock(utc(2026, 1, 1, 1)))
    fired = {f.schedule: f for f in scheduler.tick()}
    assert fired["good"].action == "submitted"
    assert fired["no-zone"].action == "failed" and "unknown time zone 'Mars/Olympus'" in fired["no-zone"].note
    assert not schedule_row(store, "no-zone").enabled  # stopped until someone fixes it
    assert "no-time" not in fired
    assert any("schedule 'no-time': schedule time 'nonsense'" in w for w in scheduler.reporter.warnings)  # type: ignore[attr-defined]
    assert [j.kind for j in jobs(store)] == ["refresh"]
