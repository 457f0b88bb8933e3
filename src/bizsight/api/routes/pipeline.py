"""The sales pipeline (services.pipeline): summary, scored open deals and the scoring model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bizsight.api.deps import PipelineUser, ProjectDep, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.pipeline import DealModelOut, DealPage, PipelineOut
from bizsight.services import pipeline as service

router = APIRouter(tags=["pipeline"], responses=ERRORS)


@router.get("/pipeline")
def pipeline(user: PipelineUser, project: ProjectDep, wh: WarehouseDep) -> PipelineOut:
    """KPIs, open pipeline by stage, owner and source, learned stage probabilities, stage
    conversion and velocity, coverage of the next quarter's bookings target and its forecast."""
    return PipelineOut.model_validate(json_ready(service.pipeline_view(project, wh, user)))


@router.get("/pipeline/deals")
def pipeline_deals(
    user: PipelineUser,
    project: ProjectDep,
    wh: WarehouseDep,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DealPage:
    """Open deals with their probability to win and its main reasons, most likely first."""
    found = service.deals_view(project, wh, user, page=page, page_size=page_size)
    return DealPage.model_validate(json_ready(found))


@router.get("/pipeline/model")
def pipeline_model(user: PipelineUser, wh: WarehouseDep) -> DealModelOut:
    """The deal-scoring model's temporal-holdout evaluation: ROC-AUC, Brier score, calibration."""
    return DealModelOut.model_validate(json_ready(service.model_view(wh, user)))
