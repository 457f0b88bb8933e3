"""`bizsight report add|list|schedule|send|deliveries|remove` without a server: a report sent to
an aiosmtpd server from the command line, its schedule's next run listed, errors in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bizsight.services.project import Project
from bizsight.services.users import add_user, open_store
from tests.delivery.delivery_support import SmtpServer
from tests.metrics.conftest import shop
from tests.reports.report_support import channels_yaml, copy_shop, report_cli
from tests.test_cli import assert_one_line_error

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return shop(tmp_path_factory.mktemp("cli"))


def test_a_report_is_defined_scheduled_sent_and_logged_from_the_command_line(
    built: Project, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_server(refusals=["451 try again later"])
    project = copy_shop(built, tmp_path / "shop", channels_yaml(smtp_port=smtp.port))
    p = str(project.root)
    no_admin = report_cli("report", "add", "weekly", "--template", "tiny", "-p", p)
    assert_one_line_error(no_admin, "no admin user yet", "--owner")
    store = open_store(project)
    add_user(store, "ann", "admin", "a long enough password")
    store.close()

    added = report_cli(
        "report", "add", "weekly", "--template", "tiny", "--range", "last_month", "--where", "region=Europe",
        "--format", "pdf", "--format", "xlsx", "--to", "mail:bob@example.com", "-p", p,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Added report 'weekly' (tiny, last_month) owned by ann, to mail:bob@example.com" in added.stdout
    assert_one_line_error(
        report_cli("report", "add", "x", "--template", "tiny", "--format", "docx", "-p", p),
        "unknown report format 'docx'",
    )
    assert_one_line_error(report_cli("report", "schedule", "weekly", "-p", p), "--cron", "--off")
    assert_one_line_error(
        report_cli("report", "schedule", "weekly", "--cron", "0 25 * * *", "-p", p), "25"
    )  # a bad hour, named
    scheduled = report_cli(
        "report",
        "schedule",
        "weekly",
        "--cron",
        "0 7 * * MON",
        "--timezone",
        "Europe/Berlin",
        "--json",
        "-p",
        p,
    )
    assert scheduled.returncode == 0, scheduled.stderr
    schedule = json.loads(scheduled.stdout)["schedule"]
    assert (schedule["cron"], schedule["timezone"], schedule["kind"]) == (
        "0 7 * * MON",
        "Europe/Berlin",
        "report",
    )
    assert (
        schedule["next_run_local"].endswith(("+01:00", "+02:00"))
        and "T07:00:00" in schedule["next_run_local"]
    )

    sent = report_cli("report", "send", "weekly", "--json", "-p", p)
    assert sent.returncode == 0, sent.stderr
    outcome = json.loads(sent.stdout)
    assert (outcome["sent"], outcome["failed"]) == (1, 0)
    assert outcome["deliveries"][0]["attempts"] == 2  # the 451, then accepted
    assert len(smtp.mailbox.received) == 1

    listed = report_cli("report", "list", "-p", p)
    assert listed.returncode == 0, listed.stderr
    for fragment in (
        "weekly",
        "tiny",
        "last_month",
        "region=Europe",
        "pdf, xlsx",
        "mail:bob@example.com",
        "sent (1 sent)",
    ):
        assert fragment in listed.stdout, listed.stdout
    assert "next 20" in listed.stdout and "CE" in listed.stdout  # the next run, in Berlin time
    log = report_cli("report", "deliveries", "--report", "weekly", "--json", "-p", p)
    (row,) = json.loads(log.stdout)
    assert (row["report"], row["recipient"], row["status"], row["attempts"]) == (
        "weekly",
        "bob@example.com",
        "sent",
        2,
    )
    assert "451" in row["last_error"]
    assert "password" not in log.stdout and "host" not in log.stdout

    smtp.mailbox.refusals = ["550 5.1.1 no such user"]  # not retried: the run fails, and says so
    refused = report_cli("report", "send", "weekly", "-p", p)
    assert refused.returncode == 1 and "error: 1 of 1 deliveries failed" in refused.stderr
    assert "550" in refused.stdout and "Traceback" not in refused.stderr

    removed = report_cli("report", "remove", "weekly", "-p", p)
    assert "Removed report 'weekly' and its schedule." in removed.stdout
    assert json.loads(report_cli("schedule", "list", "--json", "-p", p).stdout) == []
    assert len(json.loads(report_cli("report", "deliveries", "--json", "-p", p).stdout)) == 2  # the log stays
    assert_one_line_error(report_cli("report", "send", "weekly", "-p", p), "no report 'weekly'")
