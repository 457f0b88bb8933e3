"""`bizsight users`: the first admin, adding users, roles, restrictions and tokens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bizsight.services.project import Project
from tests.helpers import run_cli


def test_users_commands_end_to_end(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    first = run_cli("users", "list", "--json", "--project", str(root))
    assert first.returncode == 0, first.stderr
    assert "First run: created user 'admin'" in first.stderr and "shown only this once" in first.stderr
    assert [u["username"] for u in json.loads(first.stdout)] == ["admin"]
    again = run_cli("users", "list", "--project", str(root))
    assert "First run" not in again.stderr  # the password is printed once

    added = run_cli("users", "add", "ana", "--role", "editor", "--json", "--project", str(root))
    assert added.returncode == 0, added.stderr
    assert len(json.loads(added.stdout)["password"]) >= 10
    assert (
        run_cli("users", "restrict", "ana", "region=Europe,Asia Pacific", "--project", str(root)).returncode
        == 0
    )
    listed = {
        u["username"]: u
        for u in json.loads(run_cli("users", "list", "--json", "--project", str(root)).stdout)
    }
    assert listed["ana"]["role"] == "editor"
    assert listed["ana"]["restrictions"] == {"region": ["Europe", "Asia Pacific"]}

    token = run_cli("users", "token", "ana", "--name", "nightly", "--json", "--project", str(root))
    assert json.loads(token.stdout)["token"].startswith("bzs_")
    assert run_cli("users", "set-role", "ana", "viewer", "--project", str(root)).returncode == 0
    cleared = run_cli("users", "restrict", "ana", "--clear", "--project", str(root))
    assert "all rows" in cleared.stdout


def test_users_errors_are_one_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    env = {"BIZSIGHT_ADMIN_PASSWORD": "from the environment"}
    run_cli("users", "add", "ana", "--project", str(root), env=env)
    cases = [
        (["users", "restrict", "ana", "regoin=Europe"], "did you mean 'region'"),
        (["users", "set-role", "ana", "boss"], "unknown role 'boss'"),
        (["users", "add", "ana"], "exists already"),
        (["users", "add", "bad name!"], "user name"),
        (["users", "token", "nobody"], "no user named 'nobody'"),
    ]
    for args, message in cases:
        result = run_cli(*args, "--project", str(root), env=env)
        assert result.returncode == 2, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    short = subprocess.run(
        [sys.executable, "-m", "bizsight", "users", "add", "bo", "--password-stdin", "--project", str(root)],
        input="too short\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    assert "too short" not in short.stderr + short.stdout


def test_the_admin_password_can_come_from_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    result = run_cli(
        "users", "list", "--project", str(root), env={"BIZSIGHT_ADMIN_PASSWORD": "from the environment"}
    )
    assert (
        "$BIZSIGHT_ADMIN_PASSWORD" in result.stderr
        and "from the environment" not in result.stderr + result.stdout
    )


def test_not_a_project(tmp_path: Path) -> None:
    result = run_cli("users", "list", "--project", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "not a bizsight project" in result.stderr
