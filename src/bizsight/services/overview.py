"""The Overview page's key figures, computed once here so the page only draws them: each KPI's
value over the chosen range, what it is compared with and how it changed, and its monthly
sparkline.

- Every KPI but growth is compared with the **previous period** (as many days just before the
  range, cut to the days with data). The previous period is queried as a range of its own, so metrics that themselves look
  back (retention looks at the period before; growth at the year before) get a previous value
  whenever the data reach back far enough. When the data start inside the previous period the
  comparison is still made and marked ``partial``; before the data start there is none, and
  ``note`` says why.
- Revenue growth is **year on year** (``revenue_growth_yoy``: the range against the same dates a
  year earlier), and says so; its comparison shows the two revenues it is made of.
- Sparklines are always over time: the KPI by month over the range. Average CLV is the mean
  predicted CLV of the customers acquired in each month (by their first order).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.errors import BizsightError, InvalidArgumentError
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.periods import previous_span, previous_year
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.services.access import Principal, scoped_query
from bizsight.services.page_data import Scope, data_bounds
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

KPIS = (
    ("revenue", "Total revenue"),
    ("active_customers", "Customers"),
    ("orders", "Transactions"),
    ("average_order_value", "Average order value"),
    ("customer_retention_rate", "Retention rate"),
    ("revenue_growth_yoy", "Revenue growth (year on year)"),
    ("average_clv", "Average CLV of new customers"),
    ("product_categories", "Product categories"),
)


def overview(project: Project, wh: Warehouse, principal: Principal, scope: Scope) -> dict[str, Any]:
    """The KPIs of ``scope`` (default: all the data) the caller may see: per KPI metric, title,
    unit, value, ``compare`` (kind, start, end, metric, unit, current, previous, change_pct,
    partial, note) and ``sparkline`` (period, value by month)."""
    bounds = data_bounds(wh)
    first, last = bounds["first"], bounds["last"]
    if first is None or last is None:
        return {"start": None, "end": None, "kpis": []}
    if scope.start and scope.end and scope.start > scope.end:
        raise InvalidArgumentError(f"start {scope.start.isoformat()} is after end {scope.end.isoformat()}")
    # The range is cut to the days with data, so the period compared with has as many days that
    # could hold data (a year to date is compared with the same number of days before it).
    start, end = max(scope.start or first, first), min(scope.end or last, last)
    if start > end:
        return {"start": start, "end": end, "kpis": []}
    cat = catalogue(project)
    kpis = []
    for metric, title in KPIS:
        filters = tuple(f for f in scope.filters if fits(cat, metric, f.dimension))
        kpi: dict[str, Any] = {"metric": metric, "title": title, "unit": cat.metrics[metric].unit.value}
        try:
            kpi.update(_kpi(project, wh, principal, cat, metric, filters, (start, end), first))
        except BizsightError as err:
            kpi.update(value=None, compare=None, sparkline=[], note=str(err).splitlines()[0])
        kpis.append(kpi)
    return {"start": start, "end": end, "kpis": kpis}


def _kpi(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    cat: Catalogue,
    metric: str,
    filters: tuple[Filter, ...],
    span: tuple[dt.date, dt.date],
    first: dt.date,
) -> dict[str, Any]:
    def value(name: str, lo: dt.date, hi: dt.date) -> Any:
        query = scoped_query(principal, Query(metrics=(name,), start=lo, end=hi, filters=filters), cat)
        return run_query(project, query, wh=wh).table.column(name)[0].as_py()

    start, end = span
    definition = cat.metrics[metric]
    if definition.growth and definition.compare and definition.compare.value == "previous_year":
        base = definition.growth
        lo, hi = previous_year(start), previous_year(end)
        kind, compared, current = "previous_year", base, value(base, start, end)
    else:
        lo, hi = previous_span(start, end)
        kind, compared = "previous_period", metric
        current = value(metric, start, end)
    compare: dict[str, Any] = {
        "kind": kind,
        "start": lo,
        "end": hi,
        "metric": compared,
        "unit": cat.metrics[compared].unit.value,
        "current": current,
        "previous": None,
        "change_pct": None,
        "partial": False,
        "note": None,
    }
    if hi < first:
        compare["note"] = f"no data before {first.isoformat()}, where the data start"
    else:
        previous = value(compared, lo, hi)
        compare.update(previous=previous, partial=lo < first and previous is not None)
        if previous is None:
            looks_back = lo - (hi - lo) <= first  # retention, growth: the period before it is not in the data
            compare["note"] = (
                f"{cat.metrics[compared].label or compared} of that period looks back before the data start "
                f"({first.isoformat()})"
                if looks_back
                else "no value in the period compared with"
            )
        elif current is not None and float(previous) != 0.0:
            compare["change_pct"] = float(current) / float(previous) - 1.0
        if lo < first and previous is not None:
            compare["note"] = (
                f"partial: the data start on {first.isoformat()}, inside the period compared with"
            )
    monthly = scoped_query(
        principal, Query(metrics=(metric,), grain=Grain.MONTH, start=start, end=end, filters=filters), cat
    )
    rows = run_query(project, monthly, wh=wh).table.to_pylist()
    sparkline = [{"period": r["period"], "value": r[metric]} for r in rows if r["period"] is not None]
    return {
        "value": current if compared == metric else value(metric, start, end),
        "compare": compare,
        "sparkline": sparkline,
        "note": None,
    }


def fits(cat: Catalogue, metric: str, dimension: str) -> bool:
    """Whether every table behind ``metric`` can be filtered by ``dimension``."""
    if dimension not in cat.dimensions:
        return False
    models = {cat.metrics[a].model for a in cat.aggregates([metric])}
    return all(m is not None and m in cat.dimensions[dimension].sql for m in models)
