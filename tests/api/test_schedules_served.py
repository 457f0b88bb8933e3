"""The server runs the scheduler beside its job runner: a schedule that fell due while the server
was down becomes one late job soon after start, and the scheduler stops with the app."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from bizsight.app.models import Job
from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.project import Project
from bizsight.services.schedules import add_schedule


def test_the_server_makes_up_a_missed_run_once(tmp_path: Path) -> None:
    project = Project(tmp_path / "shop")
    project.init()
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    add_schedule(store, "nightly", "refresh", "hourly", timezone="UTC", params={}, now=yesterday)
    with TestClient(create_app(project, store=store)) as client:
        scheduler = client.app.state.bizsight.scheduler  # type: ignore[attr-defined]
        assert scheduler.alive
        deadline = time.monotonic() + 30
        while not scheduler.recent and time.monotonic() < deadline:
            time.sleep(0.05)
        with store.session() as s:
            made = [(j.kind, j.origin, j.late) for j in s.scalars(select(Job))]
    # 24 missed hours, one run (and, once it has succeeded, the insights job that follows a refresh)
    assert [m for m in made if m[1] != "after-job"] == [("refresh", "schedule", True)]
    assert {m[0] for m in made if m[1] == "after-job"} <= {"insights"}
    assert not scheduler.alive  # stopped with the app
    store.close()
