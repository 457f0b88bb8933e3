"""Dashboards: list, read, create, replace, delete; shared with users or roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bizsight.api.deps import DashboardReader, DashboardWriter, ProjectDep, StoreDep, WarehouseDep
from bizsight.api.schemas import DashboardList, DashboardOut
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import dashboards as service
from bizsight.services.query import catalogue

router = APIRouter(prefix="/dashboards", tags=["dashboards"], responses=ERRORS)

DashboardId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
def list_dashboards(user: DashboardReader, store: StoreDep) -> DashboardList:
    """Dashboards the caller owns or that are shared with them or their role."""
    return DashboardList.model_validate({"dashboards": service.list_dashboards(store, user)})


@router.post("", status_code=201)
def create_dashboard(
    body: service.DashboardIn, user: DashboardWriter, store: StoreDep, project: ProjectDep
) -> DashboardOut:
    return DashboardOut.model_validate(service.save_dashboard(store, user, body, catalogue(project)))


@router.get("/{dashboard_id}")
def get_dashboard(
    dashboard_id: DashboardId, user: DashboardReader, store: StoreDep, wh: WarehouseDep
) -> DashboardOut:
    """A dashboard, with ``period``: its dates today (a relative period resolved against the data)."""
    return DashboardOut.model_validate(service.get_dashboard(store, user, dashboard_id, wh))


@router.put("/{dashboard_id}")
def replace_dashboard(
    dashboard_id: DashboardId,
    body: service.DashboardIn,
    user: DashboardWriter,
    store: StoreDep,
    project: ProjectDep,
) -> DashboardOut:
    return DashboardOut.model_validate(
        service.save_dashboard(store, user, body, catalogue(project), dashboard_id)
    )


@router.delete("/{dashboard_id}", status_code=204)
def delete_dashboard(dashboard_id: DashboardId, user: DashboardWriter, store: StoreDep) -> None:
    service.delete_dashboard(store, user, dashboard_id)
