"""The server owns the project and does the work: with `bizsight serve` running, the CLI sends
its commands to it (found by the warehouse lock), ingests and refreshes run as jobs there, and a
server killed mid-refresh leaves the warehouse as it was."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bizsight.services.project import Project
from tests.demo_builds import WEB, DemoBuilds
from tests.helpers import built_project, run_cli, serving

pytestmark = pytest.mark.slow
SENT = "sent to the bizsight server"


def split_orders(data: Path, later: Path, share: float = 0.2) -> set[str]:
    """Move the last ``share`` of the orders (whole orders) of data/sales_transactions.csv into
    ``later``/sales_transactions.csv; the ids of the orders moved that count as orders (not
    cancelled: the catalogue's definition)."""
    source = data / "sales_transactions.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    column = header.index("order_id")
    orders = sorted({row[column] for row in body})
    moved = set(orders[int(len(orders) * (1 - share)) :])
    later.mkdir(parents=True, exist_ok=True)
    for path, keep in ((source, False), (later / "sales_transactions.csv", True)):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(row for row in body if (row[column] in moved) == keep)
    status = header.index("status")
    return {row[column] for row in body if row[column] in moved and row[status] != "cancelled"}


def split_project(tmp_path: Path, **options: object) -> tuple[Project, Path, set[str]]:
    """A demo project loaded without its last orders, which wait in ``later/``."""
    from bizsight.demo import generate

    generate(tmp_path / "data", **options)  # type: ignore[arg-type]
    moved = split_orders(tmp_path / "data", tmp_path / "later")
    return built_project(tmp_path, [tmp_path / "data"]), tmp_path / "later", moved


def cli(project: Project, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--project", str(project.root), timeout=timeout)


def total_orders(project: Project) -> int:
    answer = cli(project, "query", "orders", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    return int(json.loads(answer.stdout)[0]["orders"])


def last_job(project: Project, kind: str | None = None) -> dict[str, object] | None:
    """The newest job row (of ``kind``), read straight from the metadata store (SQLite in WAL mode)."""
    with sqlite3.connect(project.paths.app_db, timeout=5) as con:
        row = con.execute(
            "SELECT id, kind, state, progress, origin, requested_by, error FROM jobs "
            "WHERE ? IS NULL OR kind = ? ORDER BY id DESC LIMIT 1",
            [kind, kind],
        ).fetchone()
    names = ("id", "kind", "state", "progress", "origin", "requested_by", "error")
    return dict(zip(names, row, strict=True)) if row else None


def test_commands_go_through_the_running_server(tmp_path: Path) -> None:
    project, later, moved = split_project(tmp_path, customers=200, years=1.0, seed=5)
    before = total_orders(project)
    standalone = cli(project, "query", "revenue", "orders", "--grain", "month", "--format", "json")
    with serving(project) as served:
        # The new file goes to the server: a job there, and the numbers change by exactly its rows.
        loaded = cli(project, "ingest", str(later), "--json")
        assert loaded.returncode == 0, loaded.stderr
        assert SENT in loaded.stderr
        files = json.loads(loaded.stdout)["files"]
        assert [f["entity"] for f in files] == ["order_lines"] and files[0]["quarantined"] == 0
        job = last_job(project)
        assert job is not None and job["kind"] == "ingest" and job["state"] == "succeeded"
        assert job["origin"] == "cli" and str(job["requested_by"]).startswith("cli:")

        listed = cli(project, "jobs", "list", "--json")
        assert listed.returncode == 0 and SENT in listed.stderr
        assert [(j["id"], j["kind"], j["state"]) for j in json.loads(listed.stdout)] == [
            (job["id"], "ingest", "succeeded")
        ]
        done = cli(project, "jobs", "cancel", str(job["id"]))  # finished: answered as it is
        assert done.returncode == 0 and f"Job {job['id']} (ingest): succeeded" in done.stdout

        assert total_orders(project) == before + len(moved)
        with httpx.Client(base_url=served.base) as client:
            login = client.post(
                "/api/v1/auth/login", json={"username": "admin", "password": "served admin password"}
            )
            csrf = login.json()["csrf_token"]
            answer = client.post(
                "/api/v1/query", json={"metrics": ["orders"]}, headers={"X-CSRF-Token": csrf}
            )
            assert answer.json()["rows"][0]["orders"] == before + len(moved)

        status = cli(project, "status", "--json")
        assert status.returncode == 0 and SENT in status.stderr
        assert json.loads(status.stdout)["needs_refresh"] is True

        # Errors come back as they would alone: one line, exit code 2.
        wrong = cli(project, "query", "revnue")
        assert wrong.returncode == 2 and "did you mean 'revenue'" in wrong.stderr
        assert "Traceback" not in wrong.stderr

        # The same command's output through the server and alone is the same, byte for byte:
        # loading the same file again changes nothing, so the earlier answer must come back.
        again = cli(project, "ingest", str(later), "--json")
        assert json.loads(again.stdout)["files"][0]["already_loaded_as"] is not None
        served_answer = cli(project, "query", "revenue", "orders", "--grain", "month", "--format", "json")
        assert served_answer.returncode == 0 and SENT in served_answer.stderr
    alone = cli(project, "query", "revenue", "orders", "--grain", "month", "--format", "json")
    assert SENT not in alone.stderr
    # Without a server the job history is still there; there is nothing to cancel.
    assert [j["kind"] for j in json.loads(cli(project, "jobs", "list", "--json").stdout)] == [
        "ingest",
        "ingest",
    ]
    nothing = cli(project, "jobs", "cancel", "1")
    assert nothing.returncode == 2 and "no server runs this project" in nothing.stderr
    assert served_answer.stdout == alone.stdout
    assert json.loads(alone.stdout) != json.loads(standalone.stdout)  # the new orders are in


def repeated_orders(data: Path, later: Path, share: float = 0.2) -> None:
    """``later``/sales_transactions.csv: the last ``share`` of the orders of
    data/sales_transactions.csv again, under new order ids (LATE-...)."""
    with (data / "sales_transactions.csv").open(newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    column = header.index("order_id")
    later.mkdir(parents=True, exist_ok=True)
    with (later / "sales_transactions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in body[int(len(body) * (1 - share)) :]:
            writer.writerow([*row[:column], f"LATE-{row[column]}", *row[column + 1 :]])


def test_a_server_killed_during_a_refresh_leaves_the_warehouse_as_it_was(
    tmp_path: Path, demo_builds: DemoBuilds
) -> None:
    project = demo_builds.copy(WEB, tmp_path)  # a refresh long enough to be caught at work
    repeated_orders(tmp_path / "data", tmp_path / "later")
    assert cli(project, "ingest", str(tmp_path / "later")).returncode == 0  # newer than the marts
    numbers = cli(
        project, "query", "revenue", "orders", "active_customers", "--grain", "month", "--format", "json"
    )
    state = json.loads(cli(project, "status", "--json").stdout)
    assert state["needs_refresh"] is True

    with serving(project) as served:
        refresh = subprocess.Popen(
            [sys.executable, "-m", "bizsight", "refresh", "--project", str(project.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            job = last_job(project)
            if (
                job
                and job["kind"] == "refresh"
                and job["state"] == "running"
                and float(job["progress"]) > 0.2
            ):  # type: ignore[arg-type]
                break
            assert time.monotonic() < deadline, f"the refresh never got going: {job}"
            assert job is None or job["state"] in ("queued", "running"), job
            time.sleep(0.05)
        served.kill()
        _, err = refresh.communicate(timeout=60)
        assert refresh.returncode == 1 and "closed the connection" in err

    # The server is gone (its server file left behind): commands open the warehouse themselves.
    after = json.loads(cli(project, "status", "--json").stdout)
    assert after["refreshed_version"] == state["refreshed_version"]
    assert after["freshness"]["last_refresh"] == state["freshness"]["last_refresh"]
    again = cli(
        project, "query", "revenue", "orders", "active_customers", "--grain", "month", "--format", "json"
    )
    assert again.stdout == numbers.stdout

    with serving(project):
        job = last_job(project)
        assert job is not None and job["kind"] == "refresh" and job["state"] == "interrupted"
        redo = cli(project, "refresh", "--json")
        assert redo.returncode == 0, redo.stderr
        assert SENT in redo.stderr
        # (the insights job that follows each refresh may be the newest row: docs/insights.md)
        assert last_job(project, "refresh")["state"] == "succeeded"  # type: ignore[index]
        assert json.loads(cli(project, "status", "--json").stdout)["needs_refresh"] is False
