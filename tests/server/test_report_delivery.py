"""Reports delivered by a real `bizsight serve` to an aiosmtpd server on loopback: a scheduled
report whose PDF (every page rendered with pdftoppm, read with pdftotext) and workbook hold the
metrics layer's numbers, a restricted owner's report holding only their rows, `report send`
through the server after 451 refusals (once, attempts > 1), a server killed with SIGKILL
mid-delivery that, restarted, sends each recipient exactly one copy, and one killed before the
run was recorded that, restarted, runs the report again."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from bizsight.metrics.query import Query
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.services.report_period import period_of
from bizsight.services.report_templates import ReportRequest
from bizsight.services.users import add_user, open_store, restrict
from tests.delivery.delivery_support import HOST, Mailbox, SmtpServer, free_port
from tests.metrics.conftest import shop
from tests.reports.report_support import (
    KPI_METRICS,
    channels_yaml,
    copy_shop,
    report_cli,
    serving_reports,
)

pytestmark = pytest.mark.slow
RANGE = "last_90_days"  # of the tiny shop's last day with orders: January to April 2024


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return shop(tmp_path_factory.mktemp("served-reports"))


def prepared(built: Project, root: Path, smtp_port: int) -> str:
    """A copy of the shop whose mail channel is the test's SMTP server, with an admin and a
    viewer restricted to North America; its directory."""
    project = copy_shop(built, root, channels_yaml(smtp_port=smtp_port))
    store = open_store(project)
    add_user(store, "ann", "admin", "a long enough password")
    add_user(store, "vic", "viewer", "a long enough password")
    restrict(store, catalogue(project), "vic", {"region": ["North America"]})
    store.close()
    return str(project.root)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def due_now(project: str, schedule: str) -> None:
    """The schedule fell due while no server ran: the next server makes it up at start."""
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(tzinfo=None)
    with sqlite3.connect(Path(project) / ".bizsight" / "app.db") as con:
        con.execute("UPDATE schedules SET next_run_at = ? WHERE name = ?", [past.isoformat(" "), schedule])


def wait(condition: Callable[[], bool], seconds: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def attachment(mail: EmailMessage, suffix: str) -> bytes:
    part = next(p for p in mail.iter_attachments() if str(p.get_filename()).endswith(suffix))
    data = part.get_content()
    assert isinstance(data, bytes)
    return data


def pdf_pages(pdf: bytes, folder: Path) -> list[str]:
    """Every page rendered to an image with pdftoppm (so each is drawable) and its text."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("poppler-utils (pdftoppm, pdftotext) is needed")
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(folder / "page")], check=True)
    images = sorted(folder.glob("page*.png"))
    assert images and all(p.stat().st_size > 0 for p in images)
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, len(images) + 1)
    ]


def test_a_scheduled_report_arrives_with_the_metrics_layers_numbers_and_the_owners_rows(
    built: Project, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_server()
    p = prepared(built, tmp_path / "shop", smtp.port)
    ok(report_cli("report", "add", "weekly", "--template", "sales", "--range", RANGE, "--format", "pdf", "--format", "xlsx",
                  "--to", "mail:ceo@example.com", "-p", p))  # fmt: skip
    ok(report_cli("report", "add", "vic-weekly", "--template", "sales", "--range", RANGE, "--format", "csv", "--owner", "vic",
                  "--to", "mail:vic@example.com", "-p", p))  # fmt: skip
    for name in ("weekly", "vic-weekly"):
        ok(
            report_cli(
                "report", "schedule", name, "--cron", "0 7 * * MON", "--timezone", "Europe/Berlin", "-p", p
            )
        )
        due_now(p, f"report-{name}")
    with serving_reports(Project(p)):
        wait(lambda: len(smtp.mailbox.received) >= 2, what="two scheduled reports")
    mails = {m["To"]: m for m in smtp.mailbox.received}
    assert len(smtp.mailbox.received) == 2 and sorted(mails) == ["ceo@example.com", "vic@example.com"]

    project = Project(p)
    with project.warehouse(read_only=True) as wh:  # the dates the sales report covered
        period = period_of(project, wh, ReportRequest(template="sales", range=RANGE))
    query = Query(metrics=KPI_METRICS, start=period.start, end=period.end)
    answer = run_query(project, query).table.to_pylist()[0]
    pres = presentation(project)
    pages = pdf_pages(attachment(mails["ceo@example.com"], ".pdf"), tmp_path)
    text = "\n".join(pages)
    for metric in KPI_METRICS:
        unit = pres.names.unit(metric) or "number"
        assert pres.presenter.format(answer[metric], unit, compact=True) in text, (metric, text)
    assert f"Page 1 of {len(pages)}" in pages[0]
    sheet = load_workbook(io.BytesIO(attachment(mails["ceo@example.com"], ".xlsx")))["KPIs"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for metric in KPI_METRICS:
        assert values[pres.label(metric)] == pytest.approx(answer[metric]), metric

    with zipfile.ZipFile(io.BytesIO(attachment(mails["vic@example.com"], ".zip"))) as z:
        regions = "".join(z.read(n).decode() for n in z.namelist())
    assert "North America" in regions and "Europe" not in regions  # Vic's restriction, on a schedule

    listed = json.loads(ok(report_cli("report", "list", "--json", "-p", p)))
    for report in listed:
        assert report["last_run"]["status"] == "sent"
        assert report["schedule"]["next_run_utc"] > dt.datetime.now(dt.UTC).isoformat()
    with sqlite3.connect(Path(p) / ".bizsight" / "app.db") as con:
        jobs = con.execute("SELECT kind, origin, state FROM jobs ORDER BY id").fetchall()
    assert jobs == [("report", "schedule", "succeeded")] * 2


def test_report_send_goes_through_the_server_and_arrives_once_after_refusals(
    built: Project, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_server(refusals=["451 4.3.0 try again later", "451 4.3.0 try again later"])
    p = prepared(built, tmp_path / "shop", smtp.port)
    ok(
        report_cli(
            "report",
            "add",
            "weekly",
            "--template",
            "sales",
            "--range",
            RANGE,
            "--to",
            "mail:ceo@example.com",
            "-p",
            p,
        )
    )
    with serving_reports(Project(p)):
        sent = report_cli("report", "send", "weekly", "--json", "-p", p)
        assert "sent to the bizsight server" in sent.stderr
        outcome = json.loads(ok(sent))
    assert (outcome["sent"], outcome["failed"]) == (1, 0)
    assert len(smtp.mailbox.received) == 1 and smtp.mailbox.attempts == 3
    (row,) = json.loads(ok(report_cli("report", "deliveries", "--json", "-p", p)))
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert "451" in row["last_error"]


class HoldingMailbox(Mailbox):
    """Holds the second message until ``release`` is set, then refuses it (its sender is dead by
    then); accepts every other."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.held = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.attempts == 1 and not self.held.is_set():
            self.attempts += 1
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 the sender went away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding() -> Iterator[tuple[HoldingMailbox, int]]:
    mailbox, port = HoldingMailbox(), free_port()
    controller = Controller(mailbox, hostname=HOST, port=port)
    controller.start()
    yield mailbox, port
    mailbox.release.set()
    controller.stop()


def test_a_server_killed_mid_delivery_sends_each_recipient_exactly_one_copy_after_restart(
    built: Project, tmp_path: Path, holding: tuple[HoldingMailbox, int]
) -> None:
    mailbox, port = holding
    p = prepared(built, tmp_path / "shop", port)
    ok(report_cli("report", "add", "weekly", "--template", "sales", "--range", RANGE, "--format", "pdf", "--to", "mail:a@example.com",
                  "--to", "mail:b@example.com", "--to", "mail:c@example.com", "-p", p))  # fmt: skip
    ok(report_cli("report", "schedule", "weekly", "--cron", "0 7 * * MON", "-p", p))
    due_now(p, "report-weekly")
    with serving_reports(Project(p)) as served:
        wait(mailbox.held.is_set, what="the second delivery to reach the SMTP server")
        served.kill()  # SIGKILL while the second message is in flight
    mailbox.release.set()
    assert [m["To"] for m in mailbox.received] == ["a@example.com"]
    with sqlite3.connect(Path(p) / ".bizsight" / "app.db") as con:
        before = con.execute("SELECT recipient, status FROM deliveries ORDER BY id").fetchall()
    assert before == [("a@example.com", "sent"), ("b@example.com", "pending"), ("c@example.com", "pending")]

    with serving_reports(Project(p)):
        wait(lambda: len(mailbox.received) >= 3, what="the pending deliveries after the restart")
        time.sleep(1.0)  # nothing more arrives
    assert sorted(m["To"] for m in mailbox.received) == ["a@example.com", "b@example.com", "c@example.com"]
    pdfs = {attachment(m, ".pdf") for m in mailbox.received}
    assert len(pdfs) == 1  # the same stored file for everyone
    log = json.loads(ok(report_cli("report", "deliveries", "--json", "-p", p)))
    assert sorted((d["recipient"], d["status"]) for d in log) == [
        ("a@example.com", "sent"), ("b@example.com", "sent"), ("c@example.com", "sent"),
    ]  # fmt: skip
    with sqlite3.connect(Path(p) / ".bizsight" / "app.db") as con:
        jobs = con.execute("SELECT kind, origin, state FROM jobs ORDER BY id").fetchall()
        runs = con.execute("SELECT count(*) FROM report_runs").fetchone()[0]
    assert jobs == [("report", "schedule", "interrupted"), ("deliver", "restart", "succeeded")]
    assert runs == 1


def test_a_report_job_killed_before_its_run_was_recorded_runs_again_at_the_next_start(
    built: Project, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_server()
    p = prepared(built, tmp_path / "shop", smtp.port)
    ok(report_cli("report", "add", "weekly", "--template", "held", "--to", "mail:ceo@example.com", "-p", p))
    ok(report_cli("report", "schedule", "weekly", "--cron", "0 7 * * MON", "-p", p))
    due_now(p, "report-weekly")
    with serving_reports(Project(p)) as served:
        wait((Path(p) / "building").exists, what="the report job to start building")
        served.kill()  # SIGKILL while the document is being built: no run recorded yet
    with sqlite3.connect(Path(p) / ".bizsight" / "app.db") as con:
        assert con.execute("SELECT count(*) FROM report_runs").fetchone()[0] == 0
    (Path(p) / "release").touch()
    with serving_reports(Project(p)):
        wait(lambda: len(smtp.mailbox.received) >= 1, what="the report queued again")
        time.sleep(1.0)
    assert [m["To"] for m in smtp.mailbox.received] == ["ceo@example.com"]
    with sqlite3.connect(Path(p) / ".bizsight" / "app.db") as con:
        jobs = con.execute("SELECT id, kind, origin, state, error FROM jobs ORDER BY id").fetchall()
    (_, _, _, state, error), (again, kind, origin, done, _) = jobs
    assert (state, kind, origin, done) == ("interrupted", "report", "restart", "succeeded")
    assert f"queued again as job {again}" in error
