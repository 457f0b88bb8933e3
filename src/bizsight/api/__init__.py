"""The REST API: its routers (mounted under :data:`API_PREFIX` by :func:`bizsight.server.create_app`)
and what tells their permissions.

Handlers are thin: they validate, authorise through the dependency aliases of
:mod:`bizsight.api.deps` and call one service.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from bizsight.api.deps import Guard
from bizsight.api.routes import API_ROUTERS, ROOT_ROUTERS

API_PREFIX = "/api/v1"


def route_permission(route: APIRoute) -> str | None:
    """The permission a route's guard checks, or None for routes open to anyone logged in (or
    to everyone, like /healthz)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Guard):
            return dependant.call.permission.value
        stack.extend(dependant.dependencies)
    return None


def api_routes() -> dict[tuple[str, str], APIRoute]:
    """Every route of the app by (method, full path)."""
    routers = [(API_PREFIX, r) for r in API_ROUTERS] + [("", r) for r in ROOT_ROUTERS]
    return {
        (method, prefix + route.path): route
        for prefix, router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    }


def document_permissions() -> None:
    """Name each route's permission in the OpenAPI document (``x-permission``)."""
    for route in api_routes().values():
        extra: dict[str, Any] = dict(route.openapi_extra or {})
        extra["x-permission"] = route_permission(route) or "none"
        route.openapi_extra = extra
