"""What the web pages ask for beyond metric queries and customer views: trends with moving
averages, the CLV distribution, review sentiment, worst-rated products, product affinity and the
dates the data spans (services.page_data)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from bizsight.api.deps import (
    CatalogueUser,
    Client,
    CustomersUser,
    ExportUser,
    ProjectDep,
    QueryUser,
    StateDep,
    WarehouseDep,
)
from bizsight.api.render import json_ready
from bizsight.api.schemas import (
    AffinityOut,
    Bounds,
    ClvDistribution,
    SentimentOut,
    TrendOut,
    WorstProducts,
)
from bizsight.api.schemas.downloads import FILE_RESPONSES
from bizsight.api.schemas.errors import ERRORS
from bizsight.metrics.query import Query as MetricQuery
from bizsight.services import page_data as service
from bizsight.services.exports import ExportFormat, encode
from bizsight.services.presentation import presentation
from bizsight.services.users import record

router = APIRouter(prefix="/insights", tags=["pages"], responses=ERRORS)


@router.get("/bounds")
def bounds(user: CatalogueUser, wh: WarehouseDep) -> Bounds:
    """The first and last order dates: what the pages' date presets count back from."""
    return Bounds.model_validate(service.data_bounds(wh))


@router.post("/trend")
def trend(body: MetricQuery, user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> TrendOut:
    """The query's first metric by day, with trailing 7- and 30-day moving averages."""
    return TrendOut.model_validate(json_ready(service.trend(project, wh, user, body)))


@router.get("/clv")
def clv(
    user: CustomersUser,
    project: ProjectDep,
    wh: WarehouseDep,
    bins: Annotated[int, Query(ge=2, le=200)] = 30,
) -> ClvDistribution:
    """The distribution of predicted customer lifetime value."""
    return ClvDistribution.model_validate(json_ready(service.clv_distribution(project, wh, user, bins=bins)))


@router.post("/sentiment")
def sentiment(body: service.Scope, user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> SentimentOut:
    """Review sentiment (VADER compound score and label shares) and rating by month."""
    return SentimentOut.model_validate(
        {"months": json_ready(service.sentiment_by_month(project, wh, user, body))}
    )


@router.post("/worst-products")
def worst_products(
    body: service.Scope, user: QueryUser, project: ProjectDep, wh: WarehouseDep
) -> WorstProducts:
    """The lowest-rated products with at least five reviews."""
    return WorstProducts.model_validate(
        {"products": json_ready(service.worst_products(project, wh, user, body))}
    )


@router.get("/affinity")
def affinity(user: QueryUser, wh: WarehouseDep) -> AffinityOut:
    """Product pairs bought together (highest lift first) and the category cross-sell matrix."""
    return AffinityOut.model_validate(json_ready(service.affinity(wh, user)))


@router.post("/export", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_shown(
    body: service.ShownTable,
    user: ExportUser,
    project: ProjectDep,
    state: StateDep,
    client: Client,
    format: Annotated[ExportFormat, Query(description="csv, xlsx or parquet")] = ExportFormat.CSV,
) -> StreamingResponse:
    """A table a page shows (trend, CLV histogram, sentiment, affinity) as a file; audited."""
    table = service.shown_table(body)
    record(
        state.store,
        "export",
        user,
        target=f"page:{body.name}",
        format=format.value,
        rows=table.num_rows,
        client=client,
    )
    filename = f"bizsight-{body.name}-{dt.date.today().isoformat()}.{format.value}"
    return StreamingResponse(
        encode([table], format, presentation(project)),
        media_type=format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
