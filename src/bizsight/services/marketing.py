"""The Marketing page and API: what acquisition costs and returns, by channel, over a range.

Every number but payback comes from the metrics layer (through ``scoped_query``, so row-level
security applies); payback and the funnel's rates and the recommendations come from
:mod:`bizsight.analytics.marketing`. Marketing spend has no region, segment or category: for a
user restricted by one of them every spend-based figure (spend, CAC, LTV:CAC, ROAS, payback,
impressions, clicks, signups) is **withheld** with a note, never shown unfiltered; what can be
filtered (new customers by channel, first and repeat purchases) is still shown. A page filter a
metric cannot take (a category on spend) is left out of that metric, as on the Overview.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.analytics import marketing as analysis
from bizsight.errors import AccessDeniedError, InvalidArgumentError
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Query
from bizsight.services.access import Principal, customer_rows, scoped_query
from bizsight.services.overview import fits
from bizsight.services.page_data import Scope, data_bounds
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import table

WITHHELD = (
    "Marketing spend has no region, segment or category, so spend, CAC, LTV:CAC, ROAS, payback, "
    "impressions, clicks and signups are withheld from users restricted to part of the data"
)
PAYBACK_BASIS = (
    "months from the first order until the cumulative gross margin of the range's new customers "
    "covers the range's spend (empty: not yet)"
)
KPIS = (
    ("marketing_spend", "Marketing spend"),
    ("new_customers", "New customers"),
    ("customer_acquisition_cost", "CAC"),
    ("ltv_to_cac", "LTV:CAC"),
    ("roas", "ROAS"),
)
CHANNEL_METRICS = (
    "marketing_spend",
    "new_customers",
    "signups",
    "conversion_rate",
    "customer_acquisition_cost",
    "ltv_to_cac",
    "roas",
)
FUNNEL = (
    ("impressions", "impressions"),
    ("clicks", "clicks"),
    ("signups", "signups"),
    ("first_purchase", "paid_new_customers"),
    ("repeat_purchase", "paid_repeat_customers"),
)


def ltv_metric(wh: Warehouse) -> str:
    """``ltv_to_cac`` (predicted CLV where scored) once the CLV model has been fitted (marts.clv),
    else ``ltv_to_cac_historical`` (margin to date)."""
    return "ltv_to_cac" if wh.table_exists("marts", "clv") else "ltv_to_cac_historical"


def visible(principal: Principal, cat: Catalogue, metric: str) -> bool:
    """Whether the caller's restrictions can be applied to ``metric`` (else it is withheld)."""
    try:
        scoped_query(principal, Query(metrics=(metric,)), cat)
    except AccessDeniedError:
        return False
    return True


def marketing(project: Project, wh: Warehouse, principal: Principal, scope: Scope) -> dict[str, Any]:
    """The Marketing page over ``scope`` (default: all the data): ``kpis`` (metric, title, unit,
    value, withheld), ``channels`` (one row per channel with ``payback``), ``funnel`` (steps
    with counts and rates), ``recommendations`` (sentences citing their numbers) and
    ``withheld`` (the note, or None)."""
    bounds = data_bounds(wh)
    first, last = bounds["first"], bounds["last"]
    empty: dict[str, Any] = {
        "start": None,
        "end": None,
        "kpis": [],
        "channels": [],
        "funnel": [],
        "recommendations": [],
    }
    if first is None or last is None:
        return {**empty, "withheld": None, "payback_basis": PAYBACK_BASIS, "ltv_metric": ltv_metric(wh)}
    if scope.start and scope.end and scope.start > scope.end:
        raise InvalidArgumentError(f"start {scope.start.isoformat()} is after end {scope.end.isoformat()}")
    start, end = max(scope.start or first, first), min(scope.end or last, last)
    cat = catalogue(project)
    ltv = ltv_metric(wh)
    wanted = {ltv if m == "ltv_to_cac" else m for m in _all_metrics()}
    shown = {m for m in wanted if visible(principal, cat, m)}
    spend_visible = "marketing_spend" in shown

    def ask(metrics: tuple[str, ...], by: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """``metrics`` (the shown ones), each with the page filters it can take."""
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for asked in metrics:
            metric = ltv if asked == "ltv_to_cac" else asked
            if metric not in shown:
                continue
            filters = tuple(f for f in scope.filters if fits(cat, metric, f.dimension))
            query = Query(metrics=(metric,), dimensions=by, start=start, end=end, filters=filters)
            for row in run_query(project, scoped_query(principal, query, cat), wh=wh).table.to_pylist():
                rows.setdefault(tuple(row[d] for d in by), {d: row[d] for d in by})[asked] = row[metric]
        return list(rows.values())

    totals = (ask(tuple(m for m, _ in KPIS) + tuple(m for _, m in FUNNEL)) or [{}])[0]
    channels = [r for r in ask(CHANNEL_METRICS, ("channel",)) if r.get("channel") is not None]
    spent = [r for r in channels if (r.get("marketing_spend") or 0) > 0]
    paybacks, payback_total = (
        _paybacks(wh, principal, cat, start, end, {r["channel"]: float(r["marketing_spend"]) for r in spent})
        if spend_visible
        else ({}, None)
    )
    for row in channels:
        row["payback"] = paybacks.get(row["channel"])
    kpis = [
        {
            "metric": ltv if m == "ltv_to_cac" else m,
            "title": t,
            "unit": cat.metrics[m].unit.value,
            "value": totals.get(m),
            "withheld": (ltv if m == "ltv_to_cac" else m) not in shown,
        }
        for m, t in KPIS
    ]
    kpis.append(
        {
            "metric": "payback",
            "title": "Payback",
            "unit": "number",
            "value": payback_total,
            "withheld": not spend_visible,
        }
    )
    steps = analysis.funnel([(name, totals.get(metric)) for name, metric in FUNNEL])
    fmt = presentation(project, wh).presenter.format
    return {
        "start": start,
        "end": end,
        "kpis": kpis,
        "channels": channels,
        "funnel": [
            {
                "step": s.name,
                "metric": m,
                "count": s.count,
                "step_rate": s.step_rate,
                "overall_rate": s.overall_rate,
            }
            for s, (_, m) in zip(steps, FUNNEL, strict=True)
            if m in shown
        ],
        "recommendations": [
            {"channel": r.channel, "action": r.action, "text": r.text, "ltv_to_cac": r.ltv_to_cac}
            for r in analysis.recommend(spent, fmt)
        ],
        "withheld": None if spend_visible else WITHHELD,
        "payback_basis": PAYBACK_BASIS,
        "ltv_metric": ltv,
    }


def _all_metrics() -> set[str]:
    return {m for m, _ in KPIS} | set(CHANNEL_METRICS) | {m for _, m in FUNNEL}


def _paybacks(
    wh: Warehouse, principal: Principal, cat: Catalogue, start: dt.date, end: dt.date, spend: dict[str, float]
) -> tuple[dict[str, int | None], int | None]:
    """Payback months per channel with ``spend`` (channel → spend over the range), and of all that
    spend by those channels' new customers together, from their gross margin by month since the
    first order (the new customers the caller may see; page filters do not apply, as to spend)."""
    rows = customer_rows(principal, cat, "new_customers", today=end)
    cohort = rows if rows is not None else table("core", "customer_orders")
    margins = analysis.monthly_margins(wh.records(analysis.margin_by_month_query(cohort, start, end)))
    per_channel = {c: analysis.payback_month(s, margins.get(c, [])) for c, s in spend.items()}
    months = max((len(margins.get(c, [])) for c in spend), default=0)
    together = [sum(margins[c][k] for c in spend if k < len(margins.get(c, []))) for k in range(months)]
    total = sum(spend.values())
    return per_channel, analysis.payback_month(total, together) if total > 0 else None
