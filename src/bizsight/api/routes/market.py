"""The market and executive views (services.market, services.executive), cut to the caller's rows."""

from __future__ import annotations

from fastapi import APIRouter

from bizsight.api.deps import ProjectDep, QueryUser, StoreDep, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.market import ExecutiveOut, MarketOut
from bizsight.services.executive import executive_view
from bizsight.services.market import market_view

router = APIRouter(tags=["market"], responses=ERRORS)


@router.get("/market")
def market(user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> MarketOut:
    """Market share by region and quarter, growth against the market, share gained or lost and
    our place among the competitors (a region-restricted user sees that region only)."""
    return MarketOut.model_validate(json_ready(market_view(project, wh, user)))


@router.get("/executive")
def executive(user: QueryUser, project: ProjectDep, wh: WarehouseDep, store: StoreDep) -> ExecutiveOut:
    """Financial, Customer, Sales, Market and Operational scored 0–100, with drivers and summaries."""
    return ExecutiveOut.model_validate(json_ready(executive_view(project, wh, user, store=store)))
