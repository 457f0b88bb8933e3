"""The Marketing page's figures: spend, new customers, CAC, LTV:CAC, ROAS and payback by channel,
the acquisition funnel and budget recommendations (services.marketing)."""

from __future__ import annotations

from fastapi import APIRouter

from bizsight.api.deps import MarketingUser, ProjectDep, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.marketing import MarketingOut
from bizsight.services.marketing import marketing as marketing_figures
from bizsight.services.page_data import Scope

router = APIRouter(tags=["marketing"], responses=ERRORS)


@router.post("/marketing")
def marketing(body: Scope, user: MarketingUser, project: ProjectDep, wh: WarehouseDep) -> MarketingOut:
    """Marketing over the body's range and filters (all the data by default). Spend has no region,
    segment or category: for a restricted caller every spend-based figure is withheld (null,
    ``withheld: true``, with the reason in ``withheld``), never shown unfiltered."""
    return MarketingOut.model_validate(json_ready(marketing_figures(project, wh, user, body)))
