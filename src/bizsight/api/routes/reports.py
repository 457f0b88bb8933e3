"""Reports: definitions, their schedules, "send now" (a job), previews, the files of a run (the
link in every message), dashboard subscriptions and the delivery log. A report runs as its
owner; who sees which report is :mod:`bizsight.services.reports`'s rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, Response

from bizsight.api.deps import Client, ReportManager, ReportPreviewer, ReportReader, StateDep
from bizsight.api.job_schemas import JobOut
from bizsight.api.routes.jobs import Origin
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.reports import (
    DeliveryList,
    NewReport,
    PreviewFormat,
    ReportChange,
    ReportList,
    ReportOut,
    ReportSchedule,
    Subscription,
    TemplateList,
)
from bizsight.reports import Format
from bizsight.services import report_actions, reports
from bizsight.services.report_templates import templates

router = APIRouter(tags=["reports"], responses=ERRORS)

ReportId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The email body previewed: inline styles and nothing else (no script, no fetch), framed by us only.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
_BINARY = {"schema": {"type": "string", "format": "binary"}}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file",
        "content": {f.media_type.split(";")[0]: _BINARY for f in Format},
    }
}


@router.get("/reports", response_model=ReportList)
def list_reports(user: ReportReader, state: StateDep) -> ReportList:
    """Your reports (every report for editors and admins): template, period, recipients, schedule
    with its next run, and how the last run's deliveries went."""
    return ReportList.model_validate({"reports": reports.list_reports(state.store, user)})


@router.get("/reports/templates", response_model=TemplateList)
def list_templates(user: ReportReader) -> TemplateList:
    """The report templates a definition can name."""
    found = [{"name": t.name, "title": t.title, "description": t.description} for t in templates().values()]
    return TemplateList.model_validate({"templates": sorted(found, key=lambda t: t["name"])})


@router.post("/reports", status_code=201, response_model=ReportOut)
def add_report(body: NewReport, user: ReportManager, state: StateDep, client: Client) -> ReportOut:
    """A new report, owned by you: it runs with your row-level restrictions."""
    made = reports.create_report(
        state.project,
        state.store,
        user,
        body.name,
        body.template,
        range=body.range,
        where=body.where,
        formats=body.formats,
        to=[r.model_dump() for r in body.recipients],
        dashboard_id=body.dashboard_id,
        client=client,
    )
    return ReportOut.model_validate(made)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: ReportId, user: ReportReader, state: StateDep) -> ReportOut:
    return ReportOut.model_validate(reports.get_report(state.store, user, report_id))


@router.patch("/reports/{report_id}", response_model=ReportOut)
def change_report(
    report_id: ReportId, body: ReportChange, user: ReportManager, state: StateDep, client: Client
) -> ReportOut:
    """Change the fields given (the others stay)."""
    changed = reports.update_report(
        state.project,
        state.store,
        user,
        report_id,
        template=body.template,
        range=body.range,
        where=body.where,
        formats=body.formats,
        to=None if body.recipients is None else [r.model_dump() for r in body.recipients],
        client=client,
    )
    return ReportOut.model_validate(changed)


@router.delete("/reports/{report_id}", status_code=204)
def remove_report(report_id: ReportId, user: ReportReader, state: StateDep, client: Client) -> None:
    """Remove your report (editors and admins: any) and its schedule; the delivery log stays."""
    reports.delete_report(state.store, user, report_id, client=client)


@router.put("/reports/{report_id}/schedule", response_model=ReportOut)
def schedule_report(
    report_id: ReportId, body: ReportSchedule, user: ReportManager, state: StateDep, client: Client
) -> ReportOut:
    """Send the report on a timetable (replacing its previous one), or ``when: null`` for none."""
    zone = body.timezone or state.project.settings.timezone
    changed = reports.schedule_report(state.store, user, report_id, body.when, timezone=zone, client=client)
    if state.scheduler is not None:
        state.scheduler.wake()
    return ReportOut.model_validate(changed)


@router.post("/reports/{report_id}/send", status_code=202, response_model=JobOut)
def send_report(
    report_id: ReportId, user: ReportReader, state: StateDep, origin: Origin, client: Client
) -> JobOut:
    """Run the report now and deliver it (a job: follow it with GET /jobs/{id} or the answer's state)."""
    job = report_actions.send_now(state.store, state.runner, user, report_id, origin=origin, client=client)
    return JobOut.model_validate(job)


@router.get("/reports/{report_id}/preview", response_class=Response, responses=FILE_RESPONSES)
def preview_report(
    report_id: ReportId,
    user: ReportPreviewer,
    state: StateDep,
    format: Annotated[PreviewFormat, Query(description="html (the email body), pdf, xlsx or csv")] = "html",
) -> Response:
    """The report rendered now, as its owner would receive it; nothing is sent or stored."""
    found = report_actions.preview(state.project, state.store, user, report_id, format)
    disposition = "inline" if format in ("html", "pdf") else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{found.name}"'}
    if format == "html":  # shown in a frame of the Reports page: this site may frame it, nothing runs
        headers |= {"Content-Security-Policy": PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"}
    return Response(found.data, media_type=found.media_type, headers=headers)


@router.get("/reports/runs/{run_id}/files/{name}", response_class=FileResponse, responses=FILE_RESPONSES)
def run_file(
    run_id: ReportId,
    name: Annotated[str, Path(max_length=200)],
    user: ReportReader,
    state: StateDep,
) -> FileResponse:
    """A file a report run sent (the ``link`` of its messages)."""
    path = report_actions.run_file(state.project, state.store, user, run_id, name)
    media = {f.suffix: f.media_type for f in Format}.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, filename=path.name)


@router.get("/deliveries", response_model=DeliveryList)
def delivery_log(
    user: ReportReader,
    state: StateDep,
    report: Annotated[str | None, Query(max_length=90, description="only this report's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> DeliveryList:
    """Deliveries of the reports you see, newest first: status, attempts and the last error."""
    found = report_actions.delivery_log(state.store, user, report=report, limit=limit)
    return DeliveryList.model_validate({"deliveries": found})


@router.post("/dashboards/{dashboard_id}/subscribe", status_code=201, response_model=ReportOut)
def subscribe(
    dashboard_id: ReportId, body: Subscription, user: ReportReader, state: StateDep, client: Client
) -> ReportOut:
    """Receive a dashboard you can read by email, on ``when`` (weekly on Mondays at 07:00 by
    default), with your restrictions: a report of template ``dashboard`` owned by you."""
    made = reports.subscribe(
        state.project,
        state.store,
        user,
        dashboard_id,
        to=body.to,
        channel=body.channel,
        formats=body.formats,
        when=body.when,
        client=client,
    )
    if state.scheduler is not None:
        state.scheduler.wake()
    return ReportOut.model_validate(made)
