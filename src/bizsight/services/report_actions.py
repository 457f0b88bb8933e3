"""What people do with a report besides defining it: send it now, preview it, download a run's
files and read the delivery log — each checked against who may see the report (see
:mod:`bizsight.services.reports`), shared by the CLI, the API and the Reports page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bizsight.app.models import Delivery, ReportDefinition, ReportRun
from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, NotFoundError
from bizsight.reports import Format, render
from bizsight.services import deliveries, job_admin, report_delivery, reports
from bizsight.services.access import Principal
from bizsight.services.job_runner import JobRunner
from bizsight.services.project import Project

PREVIEW_FORMATS = ("html", "pdf", "xlsx", "csv")
MAX_LOG = 1000


def send_now(
    store: MetadataStore,
    runner: JobRunner,
    principal: Principal,
    report: str | int,
    *,
    origin: str,
    client: str | None = None,
) -> dict[str, Any]:
    """Queue a ``report`` job for a report the caller may see; the job as it stands."""
    with store.session() as s:
        row = reports.visible(s, principal, report)
        report_id, name = row.id, row.name
    return job_admin.submit(
        store,
        runner,
        "report",
        {"report_id": report_id},
        actor=principal.username,
        origin=origin,
        client=client,
        detail={"report": name},
    )


@dataclass(frozen=True)
class File:
    name: str
    data: bytes
    media_type: str


def preview(
    project: Project, store: MetadataStore, principal: Principal, report: str | int, fmt: str = "html"
) -> File:
    """The report rendered now in ``fmt`` (as its owner would receive it), not delivered."""
    if fmt not in PREVIEW_FORMATS:
        raise InvalidArgumentError(f"preview format '{fmt}': use one of {', '.join(PREVIEW_FORMATS)}")
    with store.session() as s:
        definition = report_delivery.Definition.of(reports.visible(s, principal, report))
    document, presenter = report_delivery.build_document(project, store, definition)
    return File(
        f"{definition.name}{Format(fmt).suffix}", render(document, fmt, presenter), Format(fmt).media_type
    )


def run_file(project: Project, store: MetadataStore, principal: Principal, run_id: int, name: str) -> Path:
    """The stored file ``name`` of a report run (the link in its messages), when the caller may
    see its report (ad-hoc runs: only those who see every report)."""
    with store.session() as s:
        run = s.get(ReportRun, run_id)
        if run is None:
            raise NotFoundError(f"no report run {run_id}")
        if run.report_id is not None:
            reports.visible(s, principal, run.report_id)
        elif not reports.sees_all(principal):
            raise NotFoundError(f"no report run {run_id}")
        names = [f["name"] for f in run.files if not f.get("inline")] + [report_delivery.BODY_HTML]
    if name not in names:
        raise NotFoundError(f"report run {run_id} has no file '{name}' (it has {', '.join(names)})")
    path = report_delivery.run_dir(project, run_id) / name
    if not path.is_file():
        raise NotFoundError(f"the file '{name}' of report run {run_id} is gone from the server")
    return path


def delivery_log(
    store: MetadataStore, principal: Principal, *, report: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Deliveries the caller may see, newest first: channel, recipient, status, attempts, last
    error (never a channel's settings or secrets), with the report's name. Everyone sees their
    reports'; unrestricted managers every report's and the alerts' too."""
    with store.session() as s:
        query = (
            select(Delivery, ReportDefinition.name)
            .outerjoin(ReportRun, ReportRun.id == Delivery.report_run_id)
            .outerjoin(ReportDefinition, ReportDefinition.id == ReportRun.report_id)
            .order_by(Delivery.id.desc())
            .limit(min(limit, MAX_LOG))
        )
        if report is not None:
            query = query.where(ReportRun.report_id == reports.visible(s, principal, report).id)
        elif not reports.sees_all(principal):
            query = query.where(ReportDefinition.owner_id == principal.user_id)
        return [{**deliveries.view(row), "report": name} for row, name in s.execute(query).all()]
