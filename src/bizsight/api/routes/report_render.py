"""Reports rendered on request: a template's report for the caller (their row-level restrictions
applied) as a PDF, XLSX, zip of CSVs or HTML file. ``bizsight report run`` asks here while the
server owns the project."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.deps import ProjectDep, ReportUser, StoreDep, WarehouseDep
from bizsight.api.schemas.errors import ERRORS
from bizsight.metrics.query import Filter
from bizsight.reports import Format
from bizsight.services.report_run import run_report
from bizsight.services.report_templates import ReportRequest

router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)

Day = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))]
_FILE = {"schema": {"type": "string", "format": "binary"}}
REPORT_FILE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "the report file (Content-Disposition: attachment; filename=<template>-<period>.<suffix>)",
        "content": {fmt.media_type.split(";")[0]: _FILE for fmt in Format},
    }
}


class ReportRender(BaseModel):
    """Which report, in which format, for which period and rows."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(max_length=100, description="executive, sales, customers, quality, dashboard, ...")
    format: Format = Format.PDF
    range: str | None = Field(default=None, max_length=40, description="a relative period: last_month, ...")
    start: Day | None = None
    end: Day | None = None
    filters: tuple[Filter, ...] = Field(default=(), max_length=20)
    dashboard_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@router.post("/render", response_class=Response, responses=REPORT_FILE)
def render_report(
    body: ReportRender, user: ReportUser, project: ProjectDep, wh: WarehouseDep, store: StoreDep
) -> Response:
    """A report built now for the caller, as a file."""
    request = ReportRequest(
        template=body.template,
        range=body.range,
        start=body.start,
        end=body.end,
        filters=body.filters,
        principal=user,
        dashboard_id=body.dashboard_id,
        store=store,
    )
    rendered = run_report(project, wh, request, body.format)
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )
