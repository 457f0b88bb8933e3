"""Downloads of query results, drill-down rows and customer lists as CSV, XLSX or Parquet,
streamed; every export is audited."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from typing import Annotated

import pyarrow as pa
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from bizsight.api.deps import Client, ExportUser, ProjectDep, StateDep, WarehouseDep
from bizsight.api.schemas import DrillRequest
from bizsight.api.schemas.downloads import FILE_RESPONSES
from bizsight.api.schemas.errors import ERRORS
from bizsight.metrics.query import Query as MetricQuery
from bizsight.services import customers as customer_service
from bizsight.services.access import Principal, scoped_query
from bizsight.services.exports import ExportFormat, drill_batches, encode
from bizsight.services.presentation import Presentation, presentation
from bizsight.services.query import catalogue, run_query
from bizsight.services.users import record

router = APIRouter(prefix="/exports", tags=["exports"], responses=ERRORS)

FormatParam = Annotated[ExportFormat, Query(description="csv, xlsx or parquet")]


@router.post("/query", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_query(
    body: MetricQuery,
    user: ExportUser,
    project: ProjectDep,
    wh: WarehouseDep,
    state: StateDep,
    client: Client,
    format: FormatParam = ExportFormat.CSV,
) -> StreamingResponse:
    """A query's result as a file."""
    result = run_query(project, scoped_query(user, body, catalogue(project)), wh=wh)
    _audit(state, user, "query", format, result.table.num_rows, client, body.model_dump(mode="json"))
    units = {column: unit.value for column, unit in result.units.items()}
    return _download([result.table], format, "query", presentation(project, wh).with_units(units))


@router.post("/drill-down", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_drill_down(
    body: DrillRequest,
    user: ExportUser,
    project: ProjectDep,
    state: StateDep,
    client: Client,
    format: FormatParam = ExportFormat.CSV,
) -> StreamingResponse:
    """Every row behind one cell (up to server.export_max_rows), streamed as it is read."""
    limit = project.settings.server.export_max_rows
    pres = presentation(project)

    def batches() -> Iterator[pa.Table]:
        with state.warehouse.cursor() as wh:  # the request's own cursor ends before streaming does
            yield from drill_batches(
                project, wh, user, body.query, body.metric, dict(body.cell), max_rows=limit
            )

    stream = batches()
    first = next(stream, None)  # errors in the request show as 4xx before any byte is sent
    _audit(state, user, "drill-down", format, None, client, body.model_dump(mode="json"))
    return _download(itertools.chain([first] if first is not None else [], stream), format, "rows", pres)


@router.get("/customers", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_customers(
    user: ExportUser,
    project: ProjectDep,
    wh: WarehouseDep,
    state: StateDep,
    client: Client,
    format: FormatParam = ExportFormat.CSV,
    search: Annotated[str | None, Query(max_length=200)] = None,
    segment: Annotated[str | None, Query(max_length=100)] = None,
    sort: str = "revenue",
    page_size: Annotated[int, Query(ge=1, le=customer_service.MAX_PAGE)] = customer_service.MAX_PAGE,
) -> StreamingResponse:
    """The first ``page_size`` customers of a customer list as a file."""
    found = customer_service.list_customers(
        project, wh, user, search=search, segment=segment, sort=sort, page_size=page_size
    )
    table = pa.Table.from_pylist(found["customers"]) if found["customers"] else pa.table({})
    _audit(state, user, "customers", format, table.num_rows, client, {"search": search, "segment": segment})
    return _download([table], format, "customers", presentation(project, wh))


def _download(
    batches: Iterable[pa.Table], fmt: ExportFormat, name: str, pres: Presentation
) -> StreamingResponse:
    filename = f"bizsight-{name}-{dt.date.today().isoformat()}.{fmt.value}"
    return StreamingResponse(
        encode(batches, fmt, pres),
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _audit(
    state: StateDep,
    user: Principal,
    kind: str,
    fmt: ExportFormat,
    rows: int | None,
    client: str | None,
    request: object,
) -> None:
    record(
        state.store, "export", user, target=kind, format=fmt.value, rows=rows, request=request, client=client
    )
