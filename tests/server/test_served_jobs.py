"""Jobs of a real `bizsight serve`: a backup taken while it serves restores to the same numbers,
and a schedule that fell due while it was stopped runs once when it starts."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bizsight.services.project import Project
from tests.demo_builds import TINY, DemoBuilds
from tests.helpers import metric_answers, run_cli, serving

pytestmark = pytest.mark.slow
SENT = "sent to the bizsight server"


def test_a_backup_taken_while_serving_restores_every_metric(demo_builds: DemoBuilds, tmp_path: Path) -> None:
    project = demo_builds.copy(TINY, tmp_path)
    archive = tmp_path / "shop.tar"
    with serving(project) as served:
        made = run_cli("backup", "--out", str(archive), "--json", "--project", str(project.root))
        assert made.returncode == 0, made.stderr
        assert SENT in made.stderr
        manifest = json.loads(made.stdout)
        assert manifest["path"] == str(archive) and archive.stat().st_size == manifest["bytes"]
        assert httpx.get(f"{served.base}/healthz").status_code == 200  # still serving
    restored = Project(tmp_path / "restored")
    back = run_cli("restore", str(archive), "--project", str(restored.root))
    assert back.returncode == 0, back.stderr
    assert metric_answers(restored) == metric_answers(project)

    # A damaged copy is refused, and the project it was to go into is left as it was.
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    before = {p: p.read_bytes() for p in restored.root.rglob("*") if p.is_file()}
    refused = run_cli("restore", str(cut), "--project", str(restored.root))
    assert refused.returncode == 2 and "error:" in refused.stderr
    assert {p: p.read_bytes() for p in restored.root.rglob("*") if p.is_file()} == before


def test_a_schedule_due_while_the_server_was_stopped_runs_once_at_start(
    demo_builds: DemoBuilds, tmp_path: Path
) -> None:
    project = demo_builds.copy(TINY, tmp_path)
    added = run_cli(
        "schedule",
        "add",
        "hourly-refresh",
        "--kind",
        "refresh",
        "--when",
        "hourly",
        "--project",
        str(project.root),
    )
    assert added.returncode == 0, added.stderr
    # The server was down for the last five hours: the run due then was missed (five times over).
    missed = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=5)
    with sqlite3.connect(project.paths.app_db) as con:
        con.execute(
            "UPDATE schedules SET next_run_at = ? WHERE name = 'hourly-refresh'", [missed.isoformat(" ")]
        )
    with serving(project):
        deadline = time.monotonic() + 120
        while True:
            with sqlite3.connect(project.paths.app_db, timeout=5) as con:
                jobs = con.execute("SELECT kind, origin, late, state FROM jobs ORDER BY id").fetchall()
                next_run = con.execute("SELECT next_run_at FROM schedules").fetchone()[0]
            if jobs and jobs[-1][3] in ("succeeded", "failed"):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.2)
        time.sleep(1.5)  # a second tick of the scheduler must not add another run
        with sqlite3.connect(project.paths.app_db, timeout=5) as con:
            jobs = con.execute("SELECT kind, origin, late, state FROM jobs ORDER BY id").fetchall()
    assert jobs[0] == ("refresh", "schedule", 1, "succeeded")
    # what follows a refresh (docs/insights.md), and no second run of the schedule
    assert [job[:3] for job in jobs[1:]] == [("insights", "after-job", 0)]
    assert dt.datetime.fromisoformat(next_run) > dt.datetime.now(dt.UTC).replace(tzinfo=None)
