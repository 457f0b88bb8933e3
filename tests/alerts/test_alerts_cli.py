"""`bizsight alerts` without a server: add, list, test (a dry run), check after `bizsight
refresh`, ack, history, remove; mistakes are one line. The webhook receiver is real (loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizsight.services.project import Project
from tests.alerts.alert_support import recent_orders, recent_shop, settings
from tests.delivery.delivery_support import Receiver
from tests.helpers import run_cli
from tests.test_cli import assert_one_line_error

pytestmark = pytest.mark.slow


@pytest.fixture
def shop(tmp_path: Path, receiver: Receiver) -> Project:
    return recent_shop(tmp_path, settings(receiver))


@pytest.fixture(scope="module")
def quiet_shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A shop whose channel leads nowhere, for commands that must fail before sending anything."""
    hook = "channels:\n  ops:\n    kind: webhook\n    url: http://127.0.0.1:9/hook\n    secret: s\n"
    return recent_shop(tmp_path_factory.mktemp("quiet"), hook)


def cli(project: Project, *args: str) -> str:
    result = run_cli("alerts", *args, "--project", str(project.root))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_alert_from_the_command_line(shop: Project, receiver: Receiver) -> None:
    added = cli(
        shop, "add", "low revenue", "--metric", "revenue", "--below", "100", "--window", "last_30_days",
        "--severity", "high", "--to", "ops:team", "--cooldown", "24h",
    )  # fmt: skip
    assert "Added alert 'low revenue' (threshold on revenue), checked after each refresh" in added
    (listed,) = json.loads(cli(shop, "list", "--json"))
    assert (listed["status"], listed["last_value"], listed["next_check"]) == ("ok", None, None)

    seen = json.loads(cli(shop, "test", "low revenue", "--json"))  # a dry run
    assert (seen["breached"], seen["value"]) == (True, 30.0)
    assert [(w["kind"], w["recipients"]) for w in seen["would_send"]] == [("triggered", ["ops:team"])]
    assert receiver.requests == []
    assert "Would send '[HIGH] low revenue — triggered' to ops:team" in cli(shop, "test", "low revenue")

    refreshed = run_cli("refresh", "--project", str(shop.root))  # checks the alerts after it
    assert refreshed.returncode == 0, refreshed.stderr
    assert [r.json()["subject"] for r in receiver.accepted] == ["[HIGH] low revenue — triggered"]
    assert "Revenue (last 30 days) is $30.00, below $100.00" in receiver.accepted[0].json()["text"]
    table = cli(shop, "list")
    assert "triggered" in table and "$30.00" in table and "after a refresh" in table

    assert "acknowledged by cli:" in cli(shop, "ack", "low revenue")
    recent_orders(shop.root / "more", "big", [(1, "500.00")])  # back to normal
    assert run_cli("ingest", str(shop.root / "more"), "--project", str(shop.root)).returncode == 0
    assert run_cli("refresh", "--project", str(shop.root)).returncode == 0
    assert [r.json()["subject"] for r in receiver.accepted][-1] == "[HIGH] low revenue — recovered"
    events = json.loads(cli(shop, "history", "low revenue", "--json"))
    assert [e["kind"] for e in events] == ["recovered", "acknowledged", "triggered"]
    assert [d["status"] for d in events[0]["deliveries"]] == ["sent"]
    assert "recovered" in cli(shop, "history", "low revenue")

    sent = json.loads(cli(shop, "test", "low revenue", "--send", "--json"))
    assert [s["status"] for s in sent["sent"]] == ["sent"]
    assert receiver.accepted[-1].json()["subject"].startswith("[TEST] ")
    assert "Removed alert 'low revenue'." in cli(shop, "remove", "low revenue")
    assert "No alerts yet" in cli(shop, "list")


def test_kinds_from_options_and_from_a_file(shop: Project) -> None:
    cli(shop, "add", "falling", "--metric", "orders", "--change-below", "-0.2", "--compare", "previous_year",
        "--where", "region=Europe", "--to", "ops", "--cron", "every 15 minutes")  # fmt: skip
    cli(shop, "add", "odd", "--metric", "revenue", "--anomaly", "--min-severity", "high", "--to", "ops")
    cli(shop, "add", "pace", "--metric", "revenue", "--pacing-behind", "--probability", "0.4", "--to", "ops")
    rule = shop.root / "rule.yml"
    rule.write_text("kind: threshold\nmetric: orders\ndirection: above\nvalue: 5\nescalate_after: 2h\n")
    cli(shop, "add", "busy", "--file", str(rule), "--to", "ops", "--escalate-to", "ops:night")
    listed = {r["name"]: r for r in json.loads(cli(shop, "list", "--json"))}
    assert listed["falling"]["definition"] == {
        "name": "falling", "kind": "change", "metric": "orders", "direction": "below", "value": -0.2,
        "compare": "previous_year", "filters": {"region": ["Europe"]},
    }  # fmt: skip
    assert listed["falling"]["schedule"] == "*/15 * * * *" and listed["falling"]["next_check"]
    assert listed["odd"]["definition"]["min_severity"] == "high"
    assert listed["pace"]["definition"]["probability_below"] == 0.4
    assert listed["busy"]["escalation"] == [{"channel": "ops", "to": "night"}]
    schedules = json.loads(run_cli("schedule", "list", "--json", "-p", str(shop.root)).stdout)
    assert [(s["kind"], s["params"]) for s in schedules] == [("alerts", {"rule": "falling"})]
    cli(shop, "remove", "falling")  # its schedule goes with it
    assert json.loads(run_cli("schedule", "list", "--json", "-p", str(shop.root)).stdout) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["add", "x", "--metric", "revenu", "--below", "1", "--to", "ops"], ["did you mean 'revenue'?"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--to", "opz"], ["no channel 'opz'"]),
        (["add", "x", "--metric", "revenue", "--to", "ops"], ["exactly one of --below"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--above", "2", "--to", "ops"], ["exactly one"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--compare", "previous_year", "--to", "ops"],
         ["--compare does not apply to a threshold rule"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--window", "last_mnth", "--to", "ops"],
         ["did you mean 'last_month'?"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--where", "regoin=Europe", "--to", "ops"],
         ["unknown dimension 'regoin'"]),
        (["add", "x", "--metric", "revenue", "--below", "1", "--cooldown", "soon", "--to", "ops"], ["cooldown"]),
        (["add", "x", "--file", "/nonexistent/rule.yml", "--to", "ops"], ["cannot read it"]),
        (["ack", "nobody"], ["no alert named 'nobody'"]),
        (["test", "nobody"], ["no alert named 'nobody'"]),
        (["history", "nobody"], ["no alert named 'nobody'"]),
        (["remove", "nobody"], ["no alert named 'nobody'"]),
    ],
)  # fmt: skip
def test_mistakes_are_one_line(quiet_shop: Project, args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(run_cli("alerts", *args, "--project", str(quiet_shop.root)), *fragments)
