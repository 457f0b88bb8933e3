"""The state of the warehouse: status, loads, quality reports and quarantined rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from bizsight.api.deps import QualityUser, StatusUser, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas import DataStatus, LoadPage, QualityReport, QuarantinePage
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import data as service

router = APIRouter(prefix="/data", tags=["data"], responses=ERRORS)


@router.get("/status")
def status(user: StatusUser, wh: WarehouseDep) -> DataStatus:
    """Tables and row counts, quarantine by rule, recent loads, freshness."""
    return DataStatus.model_validate(json_ready(service.data_status(wh)))


@router.get("/loads")
def loads(
    user: StatusUser,
    wh: WarehouseDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> LoadPage:
    """Loads, newest first: file, rows read, loaded, quarantined and skipped as duplicates."""
    return LoadPage.model_validate(json_ready(service.loads(wh, page=page, page_size=page_size)))


@router.get("/loads/{load_id}/quality", response_model_exclude_unset=True)
def quality(
    user: QualityUser, wh: WarehouseDep, load_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> QualityReport:
    """The quality report of one load: columns, missing shares, rejected rows by rule."""
    return QualityReport.model_validate(json_ready(service.quality_report(wh, load_id)))


@router.get("/quarantine/{entity}")
def quarantine(
    user: QualityUser,
    wh: WarehouseDep,
    entity: Annotated[str, Path(max_length=64)],
    rule: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> QuarantinePage:
    """Rejected rows of one entity with file, line, rule and reason."""
    found = service.quarantine(wh, entity, rule=rule, page=page, page_size=page_size)
    return QuarantinePage.model_validate(json_ready(found))
