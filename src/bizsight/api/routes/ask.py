"""Questions in plain English: read into a metric query and answered with the caller's row-level
restrictions (services.ask)."""

from __future__ import annotations

from fastapi import APIRouter

from bizsight.api.deps import AskUser, ProjectDep, WarehouseDep
from bizsight.api.render import table_json
from bizsight.api.schemas.ask import AskOut
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.requests import AskRequest
from bizsight.services.ask import ask
from bizsight.services.presentation import column_names

router = APIRouter(tags=["metrics"], responses=ERRORS)


@router.post("/ask")
def ask_question(body: AskRequest, user: AskUser, project: ProjectDep, wh: WarehouseDep) -> AskOut:
    """Read the question into a query object (metrics, dimensions, grain, dates, filters, ...),
    run it like any query with your row-level restrictions, and say how it was read; or decline,
    with questions to try."""
    answer = ask(project, user, body.question, today=body.today, wh=wh)
    names = column_names(project)
    labels = {column: names.label(column) for column in answer.table.column_names}
    return AskOut.model_validate({**answer.fields(), **table_json(answer.table), "labels": labels})
