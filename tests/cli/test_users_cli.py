"""`bizsight users`: the first admin, adding users, roles, restrictions and tokens."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from bizsight.cli import app
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


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """The CLI in this process (faster than a subprocess for checking messages)."""
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def test_users_errors_are_one_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    env = {"BIZSIGHT_ADMIN_PASSWORD": "from the environment"}
    assert cli("users", "add", "ana", "--project", str(root), env=env).exit_code == 0
    cases = [
        (["users", "restrict", "ana", "regoin=Europe"], "did you mean 'region'"),
        (["users", "set-role", "ana", "boss"], "unknown role 'boss'"),
        (["users", "add", "ana"], "exists already"),
        (["users", "add", "bad name!"], "user name"),
        (["users", "token", "nobody"], "no user named 'nobody'"),
        (["users", "restrict", "ana"], "--clear"),
    ]
    for args, message in cases:
        result = cli(*args, "--project", str(root), env=env)
        assert result.exit_code == 2, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    short = cli("users", "add", "bo", "--password-stdin", "--project", str(root), stdin="too short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.stderr
    assert "too short" not in short.stderr + short.stdout
    good = cli("users", "add", "bo", "--password-stdin", "--project", str(root), stdin="long enough secret\n")
    assert good.exit_code == 0 and "long enough secret" not in good.stdout + good.stderr


def test_the_admin_password_can_come_from_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    result = cli(
        "users", "list", "--project", str(root), env={"BIZSIGHT_ADMIN_PASSWORD": "from the environment"}
    )
    assert "$BIZSIGHT_ADMIN_PASSWORD" in result.stderr
    assert "from the environment" not in result.stderr + result.stdout


def test_not_a_project(tmp_path: Path) -> None:
    result = cli("users", "list", "--project", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "not a bizsight project" in result.stderr


def test_pii_grants_and_erasure_from_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    env = {"BIZSIGHT_ADMIN_PASSWORD": "from the environment"}
    assert cli("users", "add", "ana", "--project", str(root), env=env).exit_code == 0
    granted = cli("users", "pii", "ana", "--project", str(root), env=env)
    assert granted.exit_code == 0 and "ana now sees names and e-mails" in granted.stdout
    role = cli("users", "pii", "--role", "editor", "--project", str(root), env=env)
    assert "Roles that see names and e-mails: admin, editor." in role.stdout
    both = cli("users", "pii", "ana", "--role", "editor", "--project", str(root), env=env)
    assert both.exit_code == 2 and "not both" in both.stderr
    assert cli("privacy", "erased", "--project", str(root)).stdout.strip() == "Nobody has been erased."
    early = cli("privacy", "erase", "C1", "--reason", "request 9", "--project", str(root))
    assert early.exit_code == 0 and "Not in the warehouse: C1 (remembered" in early.stdout, early.stdout
    listed = json.loads(cli("privacy", "erased", "--json", "--project", str(root)).stdout)
    assert [(e["customer_id"], e["reason"]) for e in listed] == [("C1", "request 9")]
    none = cli("privacy", "erase", " ", "--project", str(root))
    assert none.exit_code == 2 and "name one or more customer ids" in none.stderr
