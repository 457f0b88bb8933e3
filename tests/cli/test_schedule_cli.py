"""`bizsight schedule add|list|remove`: the project's time zone by default, next run shown in the
schedule's zone and in UTC, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bizsight.cli import app
from bizsight.services.project import Project
from tests.helpers import run_cli


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shop = tmp_path / "shop"
    Project(shop).init()
    config = shop / "bizsight.yml"
    config.write_text(config.read_text().replace("timezone: UTC", "timezone: America/New_York", 1))
    return shop


def test_add_list_remove(root: Path, tmp_path: Path) -> None:
    project = ["--project", str(root)]
    added = cli(
        "schedule", "add", "nightly", "--kind", "refresh", "--when", "daily at 09:00", "--json", *project
    )
    assert added.exit_code == 0, added.output
    view = json.loads(added.stdout)
    assert (view["cron"], view["timezone"]) == ("0 9 * * *", "America/New_York")  # bizsight.yml's zone
    local, utc = (
        dt.datetime.fromisoformat(view["next_run_local"]),
        dt.datetime.fromisoformat(view["next_run_utc"]),
    )
    assert local.strftime("%H:%M") == "09:00" and local == utc
    assert utc.strftime("%H:%M") in ("13:00", "14:00")  # EDT or EST

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watched = cli(
        "schedule", "add", "inbox", "--kind", "watch", "--folder", str(inbox), "--when", "every 10 minutes",
        "--timezone", "Europe/Berlin", *project,
    )  # fmt: skip
    assert watched.exit_code == 0, watched.output
    assert "Added schedule 'inbox' (watch)" in watched.stdout and "UTC" in watched.stdout
    backup = cli("schedule", "add", "weekly-backup", "--kind", "backup", "--when", "weekly on sunday at 03:30",
                 "--keep", "4", *project)  # fmt: skip
    assert backup.exit_code == 0, backup.output

    table = cli("schedule", "list", *project)
    assert table.exit_code == 0, table.output
    for text in (
        "nightly",
        "inbox",
        "weekly-backup",
        "At 09:00 every day",
        "0 9 * * *",
        str(inbox),
        "keep 4",
    ):
        assert text in table.stdout
    assert (
        "CET" in table.stdout and "UTC" in table.stdout and ("EST" in table.stdout or "EDT" in table.stdout)
    )
    listed = json.loads(cli("schedule", "list", "--json", *project).stdout)
    assert {s["name"]: s["params"] for s in listed} == {
        "inbox": {"folder": str(inbox.resolve()), "settle_seconds": 5.0},
        "nightly": {},
        "weekly-backup": {"keep": 4},
    }
    assert all(s["last_run_utc"] is None and s["last_job_state"] is None for s in listed)

    removed = cli("schedule", "remove", "nightly", *project)
    assert removed.exit_code == 0 and "Removed schedule 'nightly'" in removed.stdout
    assert [s["name"] for s in json.loads(cli("schedule", "list", "--json", *project).stdout)] == [
        "inbox",
        "weekly-backup",
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "x", "--kind", "refresh", "--when", "61 * * * *"], "schedule time '61 * * * *': bad minute"),
        (["add", "x", "--kind", "refresh", "--when", "daily at 2pm"], "schedule time 'daily at 2pm'"),
        (
            ["add", "x", "--kind", "refresh", "--when", "daily", "--timezone", "Europe/Berln"],
            "did you mean 'Europe/Berlin'",
        ),
        (
            ["add", "x", "--kind", "nightly", "--when", "daily"],
            "unknown schedule kind 'nightly'; expected refresh, watch, backup, alerts",
        ),
        (["add", "x", "--kind", "watch", "--when", "daily"], "a watch schedule needs a folder"),
        (["add", "x", "--kind", "refresh", "--when", "daily", "--keep", "3"], "keep is for backup schedules"),
        (["remove", "nope"], "no schedule named 'nope'"),
    ],
)
def test_errors_are_one_line(root: Path, args: list[str], says: str) -> None:
    result = cli("schedule", *args, "--project", str(root))
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_the_real_command_and_its_help(root: Path) -> None:
    helped = run_cli("schedule", "add", "--help")
    assert helped.returncode == 0 and "daily at HH:MM" in helped.stdout and "Examples" in helped.stdout
    assert (
        run_cli(
            "schedule", "add", "n", "--kind", "refresh", "--when", "hourly", "--project", str(root)
        ).returncode
        == 0
    )
    listed = run_cli("schedule", "list", "--json", "--project", str(root))
    assert [s["cron"] for s in json.loads(listed.stdout)] == ["0 * * * *"]
    outside = run_cli("schedule", "list", "--project", str(root.parent / "nowhere"))
    assert outside.returncode == 2 and "is not a bizsight project" in outside.stderr
