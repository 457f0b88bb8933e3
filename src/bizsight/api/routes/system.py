"""Health and Prometheus metrics, outside /api/v1 and without login (they hold no data)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from bizsight.api.deps import StateDep
from bizsight.api.schemas import Health

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(state: StateDep) -> Health:
    """Liveness and readiness: the warehouse answers and the metadata store is at its newest schema."""
    with state.warehouse.cursor() as wh:
        version = wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'")
    return Health(status="ok", data_version=version, store_schema=state.store.revision())


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format 0.0.4",
        }
    },
)
def metrics(state: StateDep) -> Response:
    """Request counts and durations by route, and the query cache, in Prometheus' text format."""
    return Response(state.telemetry.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
