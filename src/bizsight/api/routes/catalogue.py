"""The metrics catalogue, metric queries and drill-down: through the metrics layer only, with
the caller's row-level restrictions added by services.access."""

from __future__ import annotations

from fastapi import APIRouter

from bizsight.api.deps import CatalogueUser, ProjectDep, QueryUser, WarehouseDep
from bizsight.api.render import table_json
from bizsight.api.schemas import CatalogueOut, DimensionOut, DrillPage, DrillRequest, QueryResult
from bizsight.api.schemas.errors import ERRORS
from bizsight.metrics.query import Query
from bizsight.services.access import scoped_query
from bizsight.services.presentation import column_names
from bizsight.services.privacy import mask_table
from bizsight.services.query import catalogue as load_catalogue
from bizsight.services.query import run_drill_down, run_query

router = APIRouter(tags=["metrics"], responses=ERRORS)


@router.get("/catalogue", response_model_exclude_none=True)
def catalogue(user: CatalogueUser, project: ProjectDep) -> CatalogueOut:
    """Every metric and dimension that can be asked for, with labels, units and descriptions."""
    found = load_catalogue(project)
    return CatalogueOut(
        metrics=dict(found.metrics),
        dimensions={
            name: DimensionOut(label=d.label, description=d.description, models=sorted(d.sql))
            for name, d in found.dimensions.items()
        },
    )


@router.post("/query")
def query(body: Query, user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> QueryResult:
    """Metrics by period and dimensions: one row per period × dimension values."""
    scoped = scoped_query(user, body, load_catalogue(project))
    result = run_query(project, scoped, wh=wh)
    names = column_names(project)
    labels = {column: names.label(column) for column in result.table.column_names}
    return QueryResult.model_validate(
        {**table_json(result.table), "units": result.units, "labels": labels, "cached": result.cached}
    )


@router.post("/drill-down")
def drill_down(body: DrillRequest, user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> DrillPage:
    """The rows behind one cell of a query's result, a page at a time."""
    scoped = scoped_query(user, body.query, load_catalogue(project))
    rows = mask_table(
        user,
        run_drill_down(
            project, scoped, body.metric, dict(body.cell), page=body.page, page_size=body.page_size, wh=wh
        ),
    )
    return DrillPage.model_validate({**table_json(rows), "page": body.page, "page_size": body.page_size})
