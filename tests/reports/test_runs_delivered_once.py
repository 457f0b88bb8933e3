"""Report definitions and runs in one process: checked definitions, a run delivered to an
aiosmtpd server and a signed webhook (with Slack and Teams shapes) once each, the owner's
restrictions, pending deliveries finished from the stored files, jobs queued again."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bizsight.app.models import AlertEvent, AlertRule, Job, JobState, ReportRun
from bizsight.app.store import MetadataStore
from bizsight.console import NullReporter
from bizsight.delivery import verify_signature
from bizsight.errors import (
    AccessDeniedError,
    BizsightError,
    InvalidArgumentError,
    JobCancelledError,
    NotFoundError,
)
from bizsight.services import deliveries, report_actions, report_delivery, reports, schedules
from bizsight.services.access import SYSTEM
from bizsight.services.deliveries import Recipient
from bizsight.services.job_runner import JobRunner
from bizsight.services.jobs import JobContext
from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.services.users import add_user, open_store, principal_of, restrict
from tests.delivery.delivery_support import Receiver, SmtpServer
from tests.metrics.conftest import shop
from tests.reports.report_support import channels_yaml, copy_shop


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return shop(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def wired(
    built: Project, tmp_path: Path, smtp_server: Callable[..., SmtpServer], receiver: Receiver
) -> Iterator[tuple[Project, MetadataStore, SmtpServer]]:
    smtp = smtp_server()
    project = copy_shop(built, tmp_path / "shop", channels_yaml(smtp_port=smtp.port, hook_url=receiver.url))
    store = open_store(project)
    add_user(store, "ann@example.com", "admin", "a long enough password")
    add_user(store, "vic@example.com", "viewer", "a long enough password")
    yield project, store, smtp
    store.close()


def principal(store: MetadataStore, name: str) -> reports.Principal:
    from bizsight.app.accounts import require_user

    with store.session() as s:
        return principal_of(require_user(s, name))


def run(
    project: Project, store: MetadataStore, params: dict[str, object], job_id: int | None = None
) -> dict[str, object]:
    ctx = JobContext(project, params, NullReporter(), job_id=job_id, store=store)
    return report_delivery.run_report(ctx).as_dict()


def test_definitions_are_checked_before_anything_is_stored(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, _ = wired
    ann = principal(store, "ann@example.com")
    bad: list[tuple[dict[str, object], str]] = [
        ({"template": "tinny"}, "unknown report template 'tinny' (did you mean 'tiny'?)"),
        (
            {"template": "tiny", "range": "last_mnth"},
            "unknown range 'last_mnth' (did you mean 'last_month'?)",
        ),
        ({"template": "tiny", "formats": ["pdf", "docx"]}, "unknown report format 'docx'"),
        ({"template": "tiny", "to": ["mial:x@example.com"]}, "no channel 'mial' (did you mean 'mail'?)"),
        (
            {"template": "tiny", "to": ["mail"]},
            "recipient 'mail': give the address, e.g. mail:ann@example.com",
        ),
        (
            {"template": "tiny", "where": ["regoin=Europe"]},
            "unknown dimension 'regoin' (did you mean 'region'?)",
        ),
        ({"template": "dashboard"}, "a dashboard report names its dashboard"),
    ]
    for given, message in bad:
        with pytest.raises(
            BizsightError, match=message.replace("(", "\\(").replace(")", "\\)").replace("?", "\\?")
        ):
            reports.create_report(project, store, ann, "weekly", **given)  # type: ignore[arg-type]
    assert reports.list_reports(store, ann) == []
    made = reports.create_report(
        project, store, ann, "weekly", "tiny", range="last_month", where=["region=Europe"],
        formats=["pdf", "xlsx"], to=["mail:bob@example.com", "hook"],
    )  # fmt: skip
    assert (made["owner"], made["filters"], made["period"]) == (
        "ann@example.com",
        ["region=Europe"],
        "last_month",
    )
    assert made["recipients"] == [
        {"channel": "mail", "to": "bob@example.com"},
        {"channel": "hook", "to": "hook"},
    ]
    with pytest.raises(InvalidArgumentError, match="exists already"):
        reports.create_report(project, store, ann, "weekly", "tiny")
    vic = principal(store, "vic@example.com")
    assert reports.list_reports(store, vic) == []  # another owner's report
    with pytest.raises(NotFoundError):
        reports.delete_report(store, vic, "weekly")
    with pytest.raises(AccessDeniedError, match="only an admin"):
        reports.create_report(project, store, vic, "mine", "tiny", owner="ann@example.com")


def test_a_run_reaches_every_recipient_once_with_its_files(
    wired: tuple[Project, MetadataStore, SmtpServer], receiver: Receiver
) -> None:
    project, store, smtp = wired
    reports.create_report(
        project, store, SYSTEM, "weekly", "tiny", formats=["pdf", "xlsx", "csv"],
        to=["mail:bob@example.com", "mail:cy@example.com", "hook", "slack:#sales", "teams"],
    )  # fmt: skip
    outcome = run(project, store, {"report": "weekly"})
    assert (outcome["sent"], outcome["failed"], outcome["pending"]) == (5, 0, 0)
    mails = {m["To"]: m for m in smtp.mailbox.received}
    assert sorted(mails) == ["bob@example.com", "cy@example.com"]
    mail = mails["bob@example.com"]
    names = sorted(part.get_filename() for part in mail.iter_attachments())
    assert names == ["weekly.pdf", "weekly.xlsx", "weekly.zip"]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Tiny sales" in html and "<script" not in html
    workbook = next(p for p in mail.iter_attachments() if p.get_filename() == "weekly.xlsx").get_content()
    assert load_workbook(io.BytesIO(workbook)).sheetnames[0] == "KPIs"
    zipped = next(p for p in mail.iter_attachments() if p.get_filename() == "weekly.zip").get_content()
    assert zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    by_path = {r.path: r for r in receiver.accepted}
    hook = by_path["/hook"]
    verify_signature("s3cret", hook.headers, hook.body, tolerance_s=300)  # as a user's receiver does
    body = by_path["/hook"].json()
    assert body["link"].startswith("https://bi.example.com/api/v1/reports/runs/")
    assert body["id"].startswith("report-run-") and body["attachments"] == []
    assert by_path["/hook/slack"].json()["blocks"][0]["type"] == "header"
    assert (
        by_path["/hook/teams"].json()["attachments"][0]["contentType"]
        == "application/vnd.microsoft.card.adaptive"
    )
    log = report_actions.delivery_log(store, SYSTEM, report="weekly")
    assert sorted((d["channel"], d["status"], d["attempts"]) for d in log) == [
        ("hook", "sent", 1), ("mail", "sent", 1), ("mail", "sent", 1), ("slack", "sent", 1), ("teams", "sent", 1),
    ]  # fmt: skip
    assert deliveries.finish_pending(project, store) == []  # nothing left, nothing sent twice
    assert len(smtp.mailbox.received) == 2 and len(receiver.accepted) == 3
    listed = reports.list_reports(store, SYSTEM)[0]["last_run"]
    assert listed["status"] == "sent" and listed["deliveries"] == {"sent": 5, "failed": 0, "pending": 0}


def test_the_owner_restrictions_apply_whoever_runs_the_report(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    restrict(store, catalogue(project), "vic@example.com", {"region": ["North America"]})
    vic = principal(store, "vic@example.com")
    reports.create_report(project, store, vic, "mine", "tiny", formats=["csv"], to=["mail:vic@example.com"])
    run(project, store, {"report": "mine"})  # as the system, say a schedule: still Vic's rows
    zipped = next(smtp.mailbox.received[0].iter_attachments()).get_content()
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        (name,) = z.namelist()
        text = z.read(name).decode()
    assert "North America" in text and "Europe" not in text
    # The admin's preview of Vic's report is Vic's too; a restricted user sees only their own.
    previewed = report_actions.preview(project, store, SYSTEM, "mine", "html").data.decode()
    assert "North America" in previewed and "Europe" not in previewed
    reports.create_report(project, store, SYSTEM, "all", "tiny")
    assert [r["name"] for r in reports.list_reports(store, vic)] == ["mine"]
    with pytest.raises(NotFoundError):
        report_actions.preview(project, store, vic, "all")


def test_pending_deliveries_are_sent_from_the_stored_files_after_a_restart(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    reports.create_report(
        project,
        store,
        SYSTEM,
        "weekly",
        "tiny",
        formats=["pdf"],
        to=["mail:a@example.com", "mail:b@example.com"],
    )
    definition = report_delivery.load_definition(store, {"report": "weekly"})
    document, presenter = report_delivery.build_document(project, store, definition)
    staged = report_delivery.stage_files(project, document, presenter, definition)
    run_id = report_delivery.commit_run(store, definition, document, staged, None)  # then the process died
    stored = (report_delivery.run_dir(project, run_id) / "weekly.pdf").read_bytes()
    assert not staged.folder.exists() and len(deliveries.pending(store)) == 2
    done = deliveries.finish_pending(project, store)
    assert [d["status"] for d in done] == ["sent", "sent"]
    sent = [next(m.iter_attachments()).get_content() for m in smtp.mailbox.received]
    assert sent == [stored, stored]
    keys = [m["X-Bizsight-Idempotency-Key"] for m in smtp.mailbox.received]
    assert keys == [f"report-run-{run_id}:mail:a@example.com", f"report-run-{run_id}:mail:b@example.com"]


def test_a_report_job_stopped_before_its_run_was_recorded_is_queued_again_once(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    reports.create_report(project, store, SYSTEM, "weekly", "tiny", to=["mail:a@example.com"])
    with store.session() as s:
        lost = Job(
            kind="report", params={"report": "weekly"}, state=JobState.INTERRUPTED.value, origin="schedule"
        )
        recorded = Job(kind="report", params={"report": "weekly"}, state=JobState.INTERRUPTED.value)
        s.add_all([lost, recorded])
        s.flush()
        s.add(ReportRun(report_id=None, job_id=recorded.id, template="tiny", title="t"))
        lost_id = lost.id
    runner = JobRunner(project, store)
    with runner.running():
        (again,) = report_delivery.requeue_interrupted(store, runner)
        assert report_delivery.requeue_interrupted(store, runner) == []  # once
        runner.run("deliver", {}, NullReporter(), requested_by=None, origin="test")  # waits for the queue
    with store.session() as s:
        job = s.get(Job, again)
        assert job is not None and (job.state, job.origin, job.params) == (
            "succeeded",
            "restart",
            {"report": "weekly"},
        )
        old = s.get(Job, lost_id)
        assert old is not None and f"queued again as job {again}" in (old.error or "")
    assert len(smtp.mailbox.received) == 1


def test_a_run_file_is_served_only_to_who_sees_the_report(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, _ = wired
    reports.create_report(project, store, SYSTEM, "weekly", "tiny", formats=["xlsx"])
    run_id = run(project, store, {"report": "weekly"})["run_id"]
    assert isinstance(run_id, int)
    path = report_actions.run_file(project, store, SYSTEM, run_id, "weekly.xlsx")
    assert path.read_bytes()[:2] == b"PK"
    with pytest.raises(NotFoundError, match="has no file"):
        report_actions.run_file(project, store, SYSTEM, run_id, "../app.db")
    with pytest.raises(NotFoundError):
        report_actions.run_file(project, store, principal(store, "vic@example.com"), run_id, "weekly.xlsx")


def test_an_ad_hoc_definition_runs_without_a_stored_one(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    ann = principal(store, "ann@example.com")
    definition = {"name": "once", "template": "tiny", "owner_id": ann.user_id, "formats": ["csv"],
                  "filters": [{"dimension": "region", "op": "=", "values": ["Europe"]}],
                  "recipients": [{"channel": "mail", "to": "x@example.com"}]}  # fmt: skip
    outcome = run(project, store, {"definition": definition})
    assert (outcome["report"], outcome["sent"]) == ("once", 1)
    with store.session() as s:
        row = s.get(ReportRun, outcome["run_id"])
        assert row is not None and row.report_id is None
    zipped = next(smtp.mailbox.received[0].iter_attachments()).get_content()
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        text = "".join(z.read(n).decode() for n in z.namelist())
    assert "Europe" in text and "North America" not in text  # the definition's own filter


def test_a_stop_between_two_deliveries_leaves_the_rest_for_the_next_start(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    reports.create_report(
        project, store, SYSTEM, "weekly", "tiny", to=["mail:a@example.com", "mail:b@example.com"]
    )
    stopping = lambda: "the server is stopping" if smtp.mailbox.received else None  # noqa: E731  (after the first)
    ctx = JobContext(project, {"report": "weekly"}, NullReporter(), store=store, cancelled=stopping)
    with pytest.raises(JobCancelledError, match=r"1 deliveries of run \d+ are left for the next start"):
        report_delivery.run_report(ctx)
    assert [m["To"] for m in smtp.mailbox.received] == ["a@example.com"]
    assert [d["recipient"] for d in deliveries.finish_pending(project, store)] == ["b@example.com"]
    assert len(smtp.mailbox.received) == 2


def test_the_log_shows_an_owner_their_reports_and_managers_everything(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, _ = wired
    vic = principal(store, "vic@example.com")
    reports.create_report(project, store, vic, "mine", "tiny", to=["mail:vic@example.com"])
    reports.create_report(project, store, SYSTEM, "all", "tiny", to=["mail:ceo@example.com"])
    run(project, store, {"report": "mine"})
    run(project, store, {"report": "all"})
    with store.session() as s:
        rule = AlertRule(name="low", definition={})
        s.add(rule)
        s.flush()
        event = AlertEvent(rule_id=rule.id, kind="triggered", status="triggered")
        s.add(event)
        s.flush()
        deliveries.intend(
            s,
            "alert-1:mail:ops@example.com",
            Recipient("mail", "ops@example.com"),
            "Low",
            alert_event_id=event.id,
        )
    seen = report_actions.delivery_log(store, vic)
    assert [(d["report"], d["recipient"]) for d in seen] == [("mine", "vic@example.com")]
    everything = report_actions.delivery_log(store, SYSTEM)
    assert [(d["source"], d["report"]) for d in everything] == [
        ("alert", None),
        ("report", "all"),
        ("report", "mine"),
    ]


def test_a_report_has_one_timetable_replaced_or_taken_off(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, _ = wired
    reports.create_report(project, store, SYSTEM, "weekly", "tiny")
    first = reports.schedule_report(store, SYSTEM, "weekly", "0 7 * * MON", timezone="Europe/Berlin")[
        "schedule"
    ]
    again = reports.schedule_report(store, SYSTEM, "weekly", "daily at 06:00", timezone="UTC")["schedule"]
    assert (first["name"], again["name"], again["cron"]) == ("report-weekly", "report-weekly", "0 6 * * *")
    assert [s["cron"] for s in schedules.list_schedules(store)] == ["0 6 * * *"]
    with pytest.raises(InvalidArgumentError, match="not a time of day"):
        reports.schedule_report(store, SYSTEM, "weekly", "daily at 25:00", timezone="UTC")
    reports.create_report(project, store, SYSTEM, "other", "tiny")
    schedules.add_schedule(store, "report-other", "backup", "daily", timezone="UTC", params={"keep": 1})
    with pytest.raises(InvalidArgumentError, match="'report-other' exists already"):
        reports.schedule_report(store, SYSTEM, "other", "daily", timezone="UTC")
    assert reports.schedule_report(store, SYSTEM, "weekly", None, timezone="UTC")["schedule"] is None
    assert [s["name"] for s in schedules.list_schedules(store)] == ["report-other"]  # the old one stays


def test_a_pending_delivery_whose_files_are_gone_fails_saying_so(
    wired: tuple[Project, MetadataStore, SmtpServer],
) -> None:
    project, store, smtp = wired
    reports.create_report(project, store, SYSTEM, "weekly", "tiny", to=["mail:a@example.com"])
    definition = report_delivery.load_definition(store, {"report": "weekly"})
    document, presenter = report_delivery.build_document(project, store, definition)
    staged = report_delivery.stage_files(project, document, presenter, definition)
    run_id = report_delivery.commit_run(store, definition, document, staged, None)
    shutil.rmtree(report_delivery.run_dir(project, run_id))  # someone cleaned the reports folder
    (row,) = deliveries.finish_pending(project, store)
    assert row["status"] == "failed" and f"the files of report run {run_id} are gone" in row["last_error"]
    assert smtp.mailbox.received == [] and deliveries.pending(store) == []
