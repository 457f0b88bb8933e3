"""Request dependencies the API and the pages share, as ``Annotated`` aliases: the server's state,
a warehouse cursor per request, the metadata store, the project and the client's address.
Who the caller is and what they may do is the API's (:mod:`bizsight.api.deps`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
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


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str | None:
    """Who is asking: the connection's address, unless it is one of ``trusted_proxies`` — then
    the last address of ``X-Forwarded-For`` that is not a trusted proxy itself (the addresses
    before it were written by the client, who can write anything).

    >>> client_address("127.0.0.1", "6.6.6.6", [])
    '127.0.0.1'
    >>> client_address("10.0.0.2", "6.6.6.6, 203.0.113.9", ["10.0.0.0/8"])
    '203.0.113.9'
    >>> client_address("10.0.0.2", "203.0.113.9, 10.0.0.7", ["10.0.0.0/8"])
    '203.0.113.9'
    """
    if peer is None or not forwarded_for or not _trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def _trusted(address: str, networks: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def client_of(request: Request, state: StateDep) -> str | None:
    peer = request.client.host if request.client else None
    return client_address(
        peer, request.headers.get("x-forwarded-for"), state.project.settings.server.trusted_proxies
    )


Client = Annotated[str | None, Depends(client_of)]
