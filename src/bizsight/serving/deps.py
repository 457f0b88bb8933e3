"""Request dependencies the API and the pages share, as ``Annotated`` aliases: the server's state,
a warehouse cursor per request, the metadata store, the project and the client's address.
Who the caller is and what they may do is the API's (:mod:`bizsight.api.deps`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from bizsight.app.store import MetadataStore
from bizsight.services.project import Project
from bizsight.serving.state import AppState
from bizsight.warehouse.connection import Warehouse

SESSION_COOKIE = "bizsight_session"


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bizsight
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_store(state: StateDep) -> MetadataStore:
    return state.store


def get_project(state: StateDep) -> Project:
    return state.project


def get_warehouse(state: StateDep) -> Iterator[Warehouse]:
    """A cursor of the owner's connection for this request (DESIGN.md: one owner, a cursor each)."""
    with state.warehouse.cursor() as wh:
        yield wh


StoreDep = Annotated[MetadataStore, Depends(get_store)]
ProjectDep = Annotated[Project, Depends(get_project)]
WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


Client = Annotated[str | None, Depends(client_of)]
