"""Running a report: build its document as its owner, render its formats, store the files, then
deliver it to each recipient exactly once (DESIGN.md, "Jobs, schedules and delivery").

The order is what makes it exactly once:

1. the document is built *as the owner* (their role and row-level restrictions) and rendered
   into ``.bizsight/reports/tmp-*``;
2. in **one transaction** the :class:`~bizsight.app.models.ReportRun` row is created, the files
   move to ``.bizsight/reports/<run_id>/`` and a pending delivery is recorded per recipient,
   keyed ``report-run-<run_id>:<channel>:<to>``;
3. each pending delivery is sent (with retries) and its outcome recorded
   (:func:`bizsight.services.deliveries.send`, which never sends a row that is not pending).

A job stopped before step 2 committed left nothing behind: the server queues it again at its
next start (:func:`requeue_interrupted`). One stopped after it left pending rows: the server's
``deliver`` job sends them at its next start, rebuilding each message from the run's stored
files (:func:`report_message`), so every recipient gets the same files, once.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app import jobs as job_rows
from bizsight.app.models import Delivery, Job, JobState, ReportDefinition, ReportRun, User
from bizsight.app.store import MetadataStore
from bizsight.delivery import Attachment, Message
from bizsight.errors import InvalidArgumentError, JobCancelledError, NotFoundError
from bizsight.metrics.query import Filter
from bizsight.presentation import Presenter
from bizsight.reports import Document, Format, Kpis, render
from bizsight.reports.text import comparison_texts, kpi_value
from bizsight.services import deliveries
from bizsight.services.access import Principal
from bizsight.services.deliveries import Recipient
from bizsight.services.job_runner import JobRunner
from bizsight.services.jobs import JobContext
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.report_period import brand_of
from bizsight.services.report_templates import ReportRequest, build_report
from bizsight.services.users import open_store, principal_of

log = logging.getLogger("bizsight.reports")
BODY_HTML, BODY_TEXT, LOGO = "body.html", "body.txt", "brand-logo"
LOGO_CID = "brand-logo"
RUN_URL = "/api/v1/reports/runs/{run_id}/files/{name}"


@dataclass(frozen=True)
class Definition:
    """What one run renders and for whom: a stored definition's fields, or an ad-hoc one's."""

    name: str
    template: str
    owner_id: int
    range: str | None = None
    filters: tuple[Filter, ...] = ()
    formats: tuple[str, ...] = ("pdf",)
    recipients: tuple[Recipient, ...] = ()
    dashboard_id: int | None = None
    report_id: int | None = None

    @classmethod
    def of(cls, row: ReportDefinition) -> Definition:
        return cls(
            name=row.name,
            template=row.template,
            owner_id=row.owner_id,
            range=row.range,
            filters=tuple(Filter.model_validate(f) for f in row.filters),
            formats=tuple(row.formats),
            recipients=tuple(Recipient(r["channel"], r.get("to") or r["channel"]) for r in row.recipients),
            dashboard_id=row.dashboard_id,
            report_id=row.id,
        )


@dataclass
class RunOutcome:
    """What a report job did: its run, the files and each delivery's row."""

    run_id: int
    report: str
    title: str
    period: str
    files: list[dict[str, Any]]
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        statuses = [d["status"] for d in self.deliveries]
        return {
            "run_id": self.run_id,
            "report": self.report,
            "title": self.title,
            "period": self.period,
            "files": self.files,
            "sent": statuses.count("sent"),
            "failed": statuses.count("failed"),
            "pending": statuses.count("pending"),
        }


# -- the job -----------------------------------------------------------------------------------


def run_report(ctx: JobContext) -> RunOutcome:
    """The ``report`` job: ``{"report": NAME}`` or ``{"report_id": ID}`` runs a stored definition;
    ``{"definition": {...}}`` an ad-hoc one (the fields of :class:`Definition`)."""
    with _store(ctx) as store:
        definition = load_definition(store, ctx.params)
        ctx.step(f"building {definition.name} ({definition.template})")
        document, presenter = build_document(ctx.project, store, definition)
        ctx.step(f"rendering {', '.join(definition.formats) or 'the email body'}")
        staged = stage_files(ctx.project, document, presenter, definition)
        try:
            ctx.step("recording the run")
            run_id = commit_run(store, definition, document, staged, ctx.job_id)
        finally:
            shutil.rmtree(staged.folder, ignore_errors=True)  # moved when committed
        outcome = RunOutcome(run_id, definition.name, document.title, document.period, staged.listed)
        outcome.deliveries = send_run(ctx.project, store, run_id, ctx)
        return outcome


def load_definition(store: MetadataStore, params: dict[str, Any]) -> Definition:
    if "definition" in params:
        given = dict(params["definition"])
        given["filters"] = tuple(Filter.model_validate(f) for f in given.get("filters", ()))
        given["recipients"] = tuple(Recipient(**r) for r in given.get("recipients", ()))
        given["formats"] = tuple(given.get("formats", ("pdf",)))
        return Definition(**given)
    with store.session() as s:
        key = params.get("report_id") or params.get("report")
        row = (
            s.get(ReportDefinition, key)
            if isinstance(key, int)
            else s.scalar(select(ReportDefinition).where(ReportDefinition.name == key))
        )
        if row is None:
            raise NotFoundError(f"no report '{key}' (removed since the job was asked for?)")
        return Definition.of(row)


def owner_principal(store: MetadataStore, owner_id: int) -> Principal:
    """The owner as a caller: their role and restrictions apply to what the report holds."""
    with store.session() as s:
        user = s.get(User, owner_id)
        if user is None or not user.active:
            raise InvalidArgumentError(f"the report's owner (user {owner_id}) is gone or disabled")
        return principal_of(user)


def build_document(
    project: Project, store: MetadataStore, definition: Definition
) -> tuple[Document, Presenter]:
    """The definition's document, built as its owner, and the presenter to render it with."""
    principal = owner_principal(store, definition.owner_id)
    request = ReportRequest(
        template=definition.template,
        range=definition.range,
        filters=definition.filters,
        principal=principal,
        dashboard_id=definition.dashboard_id,
        brand=brand_of(project),
        store=store,
    )
    with project.warehouse(read_only=True) as wh:
        document = build_report(project, wh, request)
        presenter = presentation(project, wh).presenter
    return document, presenter


# -- files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    folder: Path
    listed: list[dict[str, Any]]  # the attachments (and inline logo): name, media_type, size


def stage_files(project: Project, document: Document, presenter: Presenter, definition: Definition) -> Staged:
    """Render every format and the message bodies into a fresh folder under the reports dir."""
    root = project.paths.reports_dir
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"tmp-{uuid.uuid4().hex}"
    folder.mkdir()
    listed = []
    for fmt in definition.formats:
        name = f"{definition.name}{Format(fmt).suffix}"
        data = render(document, fmt, presenter)
        (folder / name).write_bytes(data)
        listed.append({"name": name, "media_type": Format(fmt).media_type, "size": len(data)})
    (folder / BODY_HTML).write_bytes(render(document, Format.HTML, presenter))
    (folder / BODY_TEXT).write_text(summary_text(document, presenter), encoding="utf-8")
    if document.brand.logo:
        (folder / LOGO).write_bytes(document.brand.logo)
        listed.append(
            {
                "name": LOGO,
                "media_type": document.brand.logo_type,
                "size": len(document.brand.logo),
                "inline": True,
            }
        )
    return Staged(folder, listed)


def summary_text(document: Document, presenter: Presenter) -> str:
    """The plain-text body: title, period and every KPI card with its comparisons.

    >>> from bizsight.reports import Comparison, Kpi
    >>> doc = Document(title="Sales", period="May 2024", sections=[Kpis(title="KPIs", cards=[
    ...     Kpi(label="Revenue", value=39, unit="money", comparisons=[Comparison(label="vs previous period", value=30)])])])
    >>> print(summary_text(doc, Presenter()), end="")
    Sales
    May 2024
    <BLANKLINE>
    Revenue: $39.00 (+30.0% vs previous period)
    """
    lines = [document.title, document.period, ""]
    for section in document.sections:
        if isinstance(section, Kpis):
            for card in section.cards:
                changes = ", ".join(
                    f"{change} {label}" for label, _, change, _ in comparison_texts(card, presenter)
                )
                lines.append(
                    f"{card.label}: {kpi_value(card, presenter)}" + (f" ({changes})" if changes else "")
                )
    return "\n".join(lines).rstrip() + "\n"


def run_dir(project: Project, run_id: int) -> Path:
    return project.paths.reports_dir / str(run_id)


def commit_run(
    store: MetadataStore, definition: Definition, document: Document, staged: Staged, job_id: int | None
) -> int:
    """In one transaction: the run row, its files moved to their folder, a pending delivery per
    recipient. Before it commits nothing is recorded (the job is queued again after a crash); after
    it, the deliveries are sent from the stored files whatever happens to this process."""
    with store.session() as s:
        run = ReportRun(
            report_id=definition.report_id,
            job_id=job_id,
            template=definition.template,
            title=document.title[:200],
            period=document.period[:200],
            files=staged.listed,
        )
        s.add(run)
        s.flush()
        final = staged.folder.parent / str(run.id)
        if final.exists():  # left by a transaction that never committed: this id is ours now
            shutil.rmtree(final)
        staged.folder.rename(final)
        subject = f"{document.title} — {document.period}" if document.period else document.title
        for recipient in definition.recipients:
            key = f"report-run-{run.id}:{recipient.channel}:{recipient.to}"
            deliveries.intend(s, key, recipient, subject, report_run_id=run.id)
        return run.id


# -- delivering --------------------------------------------------------------------------------


def send_run(project: Project, store: MetadataStore, run_id: int, ctx: JobContext) -> list[dict[str, Any]]:
    """Send the run's pending deliveries one by one. A stop asked for between two of them leaves
    the rest pending (the next start sends them) and ends the job as interrupted or cancelled."""
    with store.session() as s:
        ids = list(
            s.scalars(select(Delivery.id).where(Delivery.report_run_id == run_id).order_by(Delivery.id))
        )
    rows = []
    for n, delivery_id in enumerate(ids, 1):
        reason = ctx.cancelled()
        if reason:
            raise JobCancelledError(
                f"{reason}; {len(ids) - n + 1} deliveries of run {run_id} are left for the next start"
            )
        with store.session() as s:
            row = s.get(Delivery, delivery_id)
            assert row is not None
            message = report_message(project, s, row)
        ctx.reporter.advance(n - 1, len(ids), f"sending to {row.recipient} ({row.channel})")
        rows.append(deliveries.send(project, store, delivery_id, message))
    ctx.reporter.advance(len(ids), len(ids), f"delivered run {run_id}")
    return rows


@deliveries.message_source("report")
def report_message(project: Project, s: OrmSession, row: Delivery) -> Message:
    """The message of a report delivery, from its run's stored files: email gets the HTML body,
    the attachments and the logo inline; the webhook, Slack and Teams the text and the link."""
    run = s.get(ReportRun, row.report_run_id)
    if run is None:
        raise NotFoundError(f"delivery {row.id}: its report run is gone")
    folder = run_dir(project, run.id)
    if not (folder / BODY_TEXT).is_file():
        raise NotFoundError(f"the files of report run {run.id} are gone from {folder}")
    files = [f for f in run.files if not f.get("inline")]
    link = download_link(project, run.id, files[0]["name"] if files else BODY_HTML)
    text = (folder / BODY_TEXT).read_text(encoding="utf-8")
    names = ", ".join(f["name"] for f in files)
    channel = project.settings.channels.get(row.channel)
    if channel is None or channel.kind == "email":
        attachments = tuple(
            Attachment(
                f["name"],
                (folder / f["name"]).read_bytes(),
                f["media_type"],
                content_id=LOGO_CID if f.get("inline") else None,
            )
            for f in run.files
        )
        body = text + (f"\nAttached: {names}\n" if names else "") + (f"Open it: {link}\n" if link else "")
        html = (folder / BODY_HTML).read_text(encoding="utf-8")
        return Message(
            row.subject,
            body,
            html=html,
            attachments=attachments,
            idempotency_key=row.idempotency_key,
            link=link,
        )
    body = text + (f"\nFiles: {names}\n" if names else "")
    return Message(row.subject, body, idempotency_key=row.idempotency_key, link=link)


def download_link(project: Project, run_id: int, name: str) -> str | None:
    """Where a reader opens the run's file ``name`` (with bizsight.yml ``reports.public_url``)."""
    base = project.settings.reports.public_url
    return base.rstrip("/") + RUN_URL.format(run_id=run_id, name=name) if base else None


# -- after a restart ---------------------------------------------------------------------------


def requeue_interrupted(store: MetadataStore, runner: JobRunner) -> list[int]:
    """Queue again every report job that stopped before its run was recorded (nothing of it was
    kept, so nothing is lost by running it again); the new jobs' ids. Each is queued once: the
    interrupted job's result says which job took over."""
    made = []
    with store.session() as s:
        done = set(s.scalars(select(ReportRun.job_id).where(ReportRun.job_id.is_not(None))))
        jobs = list(
            s.scalars(
                select(Job)
                .where(Job.kind == "report", Job.state == JobState.INTERRUPTED.value)
                .order_by(Job.id)
            )
        )
        todo = [
            (j.id, dict(j.params), j.requested_by, j.schedule_id)
            for j in jobs
            if j.id not in done and not (j.result or {}).get("requeued_as")
        ]
    for job_id, params, requested_by, schedule_id in todo:
        new = runner.submit(
            "report", params, requested_by=requested_by, origin="restart", schedule_id=schedule_id
        )
        with store.session() as s:
            old = job_rows.get(s, job_id)
            old.result = {"requeued_as": new}
            old.error = f"{old.error or 'interrupted'}; queued again as job {new}"
        log.warning("report job %d stopped before its run was recorded: queued again as job %d", job_id, new)
        made.append(new)
    return made


@contextmanager
def _store(ctx: JobContext) -> Iterator[MetadataStore]:
    """The server's store, or (run by the CLI without a server) the project's, opened here."""
    if ctx.store is not None:
        yield ctx.store
        return
    store = open_store(ctx.project)
    try:
        yield store
    finally:
        store.close()
