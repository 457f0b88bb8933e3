"""Health and Prometheus metrics, outside /api/v1 and without login (they hold no data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from bizsight.api.deps import StateDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(state: StateDep) -> dict[str, Any]:
    """Liveness and readiness: the warehouse answers and the metadata store is at its newest schema."""
    with state.warehouse.cursor() as wh:
        version = wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'")
    return {"status": "ok", "data_version": version, "store_schema": state.store.revision()}


@router.get("/metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    """Request counts and durations by route, and the query cache, in Prometheus' text format."""
    return Response(state.telemetry.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
