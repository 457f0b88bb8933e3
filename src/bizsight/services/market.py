"""The market view: share by region and quarter, growth against the market, share gained or lost,
and our place among the competitors — read through the metrics layer (so row-level security
applies: a user kept to a region sees that region's market only) and shaped by
:mod:`bizsight.analytics.market`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.analytics import market
from bizsight.metrics.periods import period_end
from bizsight.metrics.query import Grain, Query
from bizsight.services.access import Principal, scoped_query
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

UNITS = {
    "revenue": "money",
    "market_size": "money",
    "share": "percent",
    "share_change": "percent",
    "our_growth": "percent",
    "market_growth": "percent",
    "growth_gap": "percent",
}


def _rows(project: Project, wh: Warehouse, principal: Principal | None, query: Query) -> list[dict[str, Any]]:
    if principal is not None:
        query = scoped_query(principal, query, catalogue(project))
    return run_query(project, query, wh=wh).table.to_pylist()


def data_end(wh: Warehouse) -> dt.date | None:
    """The last day with orders: a quarter after it is not over yet."""
    last = wh.scalar("SELECT max(order_date) FROM core.fact_order_line")
    return last if isinstance(last, dt.date) else None


def share_by_quarter(
    project: Project, wh: Warehouse, principal: Principal | None = None, *, by_region: bool = True
) -> list[market.ShareRow]:
    """Share rows for the quarters that have market data, per region (or all regions together)."""
    dims = ("region",) if by_region else ()
    query = Query(metrics=("revenue", "market_size"), dimensions=dims, grain=Grain.QUARTER)
    rows = [r for r in _rows(project, wh, principal, query) if r.get("market_size")]
    for row in rows:
        row.setdefault("region", "All regions")
    return market.share_rows(rows)


def complete_quarters(rows: list[market.ShareRow], end: dt.date | None) -> list[dt.date]:
    """The quarters our data covers to their last day, oldest first."""
    periods = sorted({r.period for r in rows})
    if end is None:
        return periods
    return [p for p in periods if period_end(p, Grain.QUARTER) <= end]


def market_view(project: Project, wh: Warehouse, principal: Principal | None = None) -> dict[str, Any]:
    """Everything the Market page and ``GET /api/v1/market`` show."""
    rows = share_by_quarter(project, wh, principal)
    end = data_end(wh)
    complete = complete_quarters(rows, end)
    notes = []
    partial = sorted({r.period for r in rows} - set(complete))
    if partial:
        notes.append(
            f"Quarters starting {', '.join(p.isoformat() for p in partial)} are not over in our data "
            f"(orders end {end}); they are shown but left out of share gained and the ranking."
        )
    latest = complete[-1] if complete else None
    previous = complete[-2] if len(complete) > 1 else None
    year_ago = latest.replace(year=latest.year - 1) if latest else None
    moves = market.share_moves(rows, previous, latest) if latest and previous else []
    year_moves = market.share_moves(rows, year_ago, latest) if latest and year_ago in complete else []
    ranked: list[market.Ranked] = []
    if latest is not None:
        competitors = _rows(
            project,
            wh,
            principal,
            Query(
                metrics=("competitor_revenue",),
                dimensions=("region", "competitor"),
                grain=Grain.QUARTER,
                start=latest,
                end=period_end(latest, Grain.QUARTER),
            ),
        )
        ours = [
            {"period": r.period, "region": r.region, "revenue": r.revenue, "market_size": r.market_size}
            for r in rows
            if r.period == latest
        ]
        ranked = market.ranking(ours, [c for c in competitors if c.get("competitor")])
    if not rows:
        notes.append("No market data is loaded (market_data.csv): there is no share to show.")
    return {
        "latest": latest,
        "previous": previous,
        "data_end": end,
        "rows": [{**r.as_dict(), "complete": r.period in complete} for r in rows],
        "moves": [m.as_dict() for m in moves],
        "year_moves": [m.as_dict() for m in year_moves],
        "ranking": [r.as_dict() for r in ranked],
        "units": UNITS,
        "notes": notes,
        "restricted": bool(principal and principal.restricted),
    }
