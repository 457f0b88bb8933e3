"""Automated insights and recommendations (services.insight_store, docs/insights.md)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from bizsight.api.deps import InsightsUser, ProjectDep, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.insights import InsightsOut
from bizsight.services.insight_store import insights as insight_set

router = APIRouter(tags=["insights"], responses=ERRORS)


@router.get("/insights")
def insights(
    user: InsightsUser,
    project: ProjectDep,
    wh: WarehouseDep,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> InsightsOut:
    """What changed and why, ranked by impact, and what to do about it: over ``start``–``end``
    (default: the last complete quarter) against the period before it. A caller with row-level
    restrictions gets insights worked out from their rows only."""
    return InsightsOut.model_validate(json_ready(insight_set(project, wh, user, start=start, end=end)))
