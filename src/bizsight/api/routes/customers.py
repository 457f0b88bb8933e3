"""Customers: search and lists, one customer's detail, RFM segments and cohorts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from bizsight.api.deps import CustomersUser, ProjectDep, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas import CohortList, CustomerDetail, CustomerPage, SegmentList
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import customers as service

router = APIRouter(tags=["customers"], responses=ERRORS)

Page = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]


@router.get("/customers", response_model_exclude_unset=True)
def list_customers(
    user: CustomersUser,
    project: ProjectDep,
    wh: WarehouseDep,
    search: Annotated[str | None, Query(max_length=200, description="part of the id, name or email")] = None,
    segment: Annotated[str | None, Query(max_length=100, description="RFM segment")] = None,
    sort: Annotated[str, Query(description=f"one of {', '.join(service.SORTS)}")] = "revenue",
    page: Page = 1,
    page_size: PageSize = 50,
) -> CustomerPage:
    """Customers with order history, RFM segment, CLV and churn risk, best first by ``sort``."""
    found = service.list_customers(
        project, wh, user, search=search, segment=segment, sort=sort, page=page, page_size=page_size
    )
    return CustomerPage.model_validate(json_ready(found))


@router.get("/customers/{customer_id}", response_model_exclude_unset=True)
def customer(
    user: CustomersUser,
    project: ProjectDep,
    wh: WarehouseDep,
    customer_id: Annotated[str, Path(max_length=200)],
) -> CustomerDetail:
    """One customer: profile, RFM, CLV, churn risk with its reasons, recent orders and reviews."""
    return CustomerDetail.model_validate(json_ready(service.customer_detail(project, wh, user, customer_id)))


@router.get("/segments")
def segments(user: CustomersUser, project: ProjectDep, wh: WarehouseDep) -> SegmentList:
    """RFM segments: size, revenue and typical recency, frequency and spend."""
    return SegmentList.model_validate({"segments": json_ready(service.segments(project, wh, user))})


@router.get("/cohorts")
def cohorts(
    user: CustomersUser,
    project: ProjectDep,
    wh: WarehouseDep,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CohortList:
    """Monthly cohorts: customers active in each month after their first order, and revenue."""
    found = service.cohorts(project, wh, user, start=start, end=end)
    return CohortList.model_validate({"cohorts": json_ready(found)})
