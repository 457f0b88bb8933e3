"""Any saved dashboard as a report: each widget's query under the dashboard's global filters (and
the request's period and filters, when it gives them) through the metrics layer with the
reader's restrictions, drawn as a KPI card, a chart or a table. The dashboard is read as its
page reads it (:func:`~bizsight.services.dashboards.get_dashboard`): a dashboard the reader may
not open is "not found" here too."""

from __future__ import annotations

from typing import Any

from bizsight.errors import InvalidArgumentError
from bizsight.metrics.query import Query
from bizsight.presentation import Unit
from bizsight.reports import Chart, Column, Document, Kpi, Kpis, Series, Table
from bizsight.services.access import scoped_query
from bizsight.services.dashboards import GlobalFilters, Widget, apply_filters, get_dashboard, resolve_period
from bizsight.services.page_data import data_bounds
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.services.report_period import period_of
from bizsight.services.report_templates import ReportRequest, template
from bizsight.services.users import open_store
from bizsight.warehouse.connection import Warehouse

MAX_SERIES = 8  # members drawn as lines of a chart by time and a dimension
Section = Kpis | Chart | Table


@template(
    "dashboard",
    title="Dashboard",
    description="A saved dashboard (--dashboard ID) as a report: each widget as a KPI card, chart or table",
)
def dashboard(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """A saved dashboard as a report (docs/reports.md, "Templates")."""
    if request.dashboard_id is None:
        raise InvalidArgumentError("the dashboard report needs a dashboard: give its id (--dashboard ID)")
    store = request.store or open_store(project)
    try:
        board = get_dashboard(store, request.principal, request.dashboard_id, wh)
    finally:
        if request.store is None:
            store.close()
    filters = GlobalFilters.model_validate(board["filters"])
    if request.range or request.start or request.end:
        period = period_of(project, wh, request)
        filters = GlobalFilters(start=period.start, end=period.end, filters=filters.filters)
    filters = filters.model_copy(update={"filters": (*filters.filters, *request.filters)})
    bounds = data_bounds(wh)
    shown = resolve_period(filters, bounds["first"], bounds["last"])
    sections: list[Section] = []
    cards: list[Kpi] = []
    for raw in sorted(board["widgets"], key=lambda w: (w["layout"]["y"], w["layout"]["x"])):
        widget = Widget.model_validate(raw)
        query = apply_filters(widget.query, filters)
        drawn = _widget(project, wh, request, widget, query)
        if isinstance(drawn, Kpi):
            cards.append(drawn)
        else:
            sections.append(drawn)
    if cards:
        sections.insert(0, Kpis(title="Figures", cards=tuple(cards)))
    label = f"{shown.start} to {shown.end}" if shown.start and shown.end else "All the data"
    return Document(title=board["title"], period=label, brand=request.brand, sections=tuple(sections))


def _widget(
    project: Project, wh: Warehouse, request: ReportRequest, widget: Widget, query: Query
) -> Kpi | Section:
    cat = catalogue(project)
    last = _last(wh)
    if widget.type == "kpi":
        query = query.model_copy(update={"grain": None, "dimensions": (), "compare": None})
    result = run_query(project, scoped_query(request.principal, query, cat), today=last, wh=wh)
    rows = result.table.to_pylist()
    metrics = query.metrics
    units = {m: Unit(cat.metrics[m].unit.value) for m in metrics}
    title = widget.title or ", ".join(cat.metrics[m].label or m for m in metrics)
    if widget.type == "kpi":
        return Kpi(label=title, value=rows[0][metrics[0]] if rows else None, unit=units[metrics[0]])
    if widget.type in ("line", "bar") and (query.grain or query.dimensions):
        labels = {m: cat.metrics[m].label or m for m in metrics}
        return _chart(widget, query, rows, units, labels, title)
    keys = [*query.dimensions, *(["period"] if query.grain else [])]
    columns = (
        *(Column(key=k, label=cat.dimensions[k].label if k in cat.dimensions else "Period") for k in keys),
        *(Column(key=m, label=cat.metrics[m].label or m, unit=units[m]) for m in metrics),
    )
    return Table(
        title=title,
        columns=columns,
        rows=tuple(tuple(_member(r, k) for k in keys) + tuple(r[m] for m in metrics) for r in rows),
    )


def _member(row: dict[str, Any], key: str) -> Any:
    """A member's cell: a product by its name, other members as they are."""
    if key == "product" and row.get("product_name"):
        return row["product_name"]
    value = row[key]
    return (
        value
        if value is None or isinstance(value, str | int | float) or hasattr(value, "isoformat")
        else str(value)
    )


def _chart(
    widget: Widget,
    query: Query,
    rows: list[dict[str, Any]],
    units: dict[str, Unit],
    labels: dict[str, str],
    title: str,
) -> Chart:
    """By time (one line per metric of the first's unit, or per member of one dimension), or by
    the members of one dimension (bars)."""
    first = query.metrics[0]
    same = [m for m in query.metrics if units[m] == units[first]]
    style = "bar" if widget.type == "bar" else "line"
    if query.grain:
        x = tuple(sorted({r["period"] for r in rows if r["period"] is not None}))
        if query.dimensions:
            dim = query.dimensions[0]
            totals: dict[Any, float] = {}
            for r in rows:
                totals[r[dim]] = totals.get(r[dim], 0.0) + float(r[first] or 0)
            members = sorted(totals, key=lambda k: -totals[k])[:MAX_SERIES]
            found = {(r[dim], r["period"]): r[first] for r in rows}
            series = tuple(
                Series(label=str(_member({dim: m}, dim)), values=tuple(found.get((m, p)) for p in x))
                for m in members
            )
        else:
            by_period = {r["period"]: r for r in rows}
            series = tuple(Series(label=labels[m], values=tuple(by_period[p][m] for p in x)) for m in same)
        return Chart(title=title, style=style, unit=units[first], x=x, series=series)  # type: ignore[arg-type]
    dim = query.dimensions[0]
    kept = [r for r in rows if r[dim] is not None]
    return Chart(
        title=title,
        style=style,  # type: ignore[arg-type]
        unit=units[first],
        x=tuple(str(_member(r, dim)) for r in kept),
        series=tuple(Series(label=labels[m], values=tuple(r[m] for r in kept)) for m in same),
    )


def _last(wh: Warehouse) -> Any:
    return data_bounds(wh)["last"]
