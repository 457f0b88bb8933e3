"""The Executive summary: the headline KPIs against the previous period (with a significance
test), the previous year and target; monthly trends with the stored forecast and its interval;
the best and worst categories and regions; RFM segments and their movement; churn risk and
revenue at risk; anomalies of the period; target pacing; then the period's insights, ranked by
impact, and the recommendations that follow (services.insights, the same the pages show).

Everything is read through the services the pages use (metrics layer, customer views, stored
forecasts, marts.anomalies, marts.target_pacing), so the report agrees with the screen. Figures
kept for the whole business — targets, the total's forecast, anomalies — are shown to a narrowed
report (filters, or a reader with row-level restrictions) only where they fit its rows: the
stored series of its one member, the anomalies of that member, no targets.
"""

from __future__ import annotations

from typing import Any

from bizsight.metrics.periods import add_months
from bizsight.presentation import Unit
from bizsight.reports import Chart, Column, Document, Findings, Kpis, Series, Table
from bizsight.services.forecast_store import current_forecast, stored_dimensions
from bizsight.services.insights import as_finding, compute, period_anomalies
from bizsight.services.project import Project
from bizsight.services.recommendations import advice_finding, recommend
from bizsight.services.report_customers import churn_table, movement_table, segments_table
from bizsight.services.report_parts import TESTS_NOTE, Reading
from bizsight.services.report_templates import ReportRequest, template
from bizsight.warehouse.connection import Warehouse

HEADLINE = (
    "revenue",
    "orders",
    "average_order_value",
    "active_customers",
    "new_customers",
    "customer_retention_rate",
)
TOTAL = "(total)"
FORECAST_MONTHS = 12  # months of history beside the forecast
INSIGHTS = 8  # the insights a report shows, the highest impact first


@template(
    "executive",
    title="Executive summary",
    description="Headline KPIs against the previous period (significance-tested), the previous year and "
    "target; trends with the forecast; best and worst categories and regions; RFM segments; churn; "
    "anomalies; target pacing; insights ranked by impact and recommendations",
)
def executive(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """The Executive summary report (docs/reports.md, "Templates")."""
    reading = Reading.of(project, wh, request)
    cards = reading.kpis(HEADLINE)
    categories = reading.by("category", "revenue", "orders", title="Categories by change", by_change=True)
    regions = reading.by("region", "revenue", "orders", title="Regions by change", by_change=True)
    sections: list[Any] = [
        Kpis(title="Headline figures", cards=cards, note=TESTS_NOTE),
        revenue_chart(reading),
        reading.monthly("orders", "active_customers", title="Orders and customers by month"),
        categories,
        regions,
        segments_table(reading),
        movement_table(reading),
        churn_table(reading),
    ]
    forecast = forecast_table(reading)
    if forecast is not None:
        sections.append(forecast)
    sections.append(anomalies_table(reading))
    if not reading.restricted:
        sections.append(pacing_table(reading))
    found = compute(reading)
    sections.append(Findings(title="Insights", items=tuple(as_finding(i, reading) for i in found[:INSIGHTS])))
    advice = recommend(reading, found)
    if advice:
        sections.append(
            Findings(title="Recommendations", items=tuple(advice_finding(r, reading) for r in advice))
        )
    return Document(
        title="Executive summary", period=reading.period.label, brand=request.brand, sections=tuple(sections)
    )


def _stored(reading: Reading, metric: str) -> tuple[Any, str] | None:
    """The stored monthly forecast of ``metric`` that covers the report's rows, and its series:
    the total for the whole business, else the series of the report's one member."""
    member = reading.member()
    if member is None and reading.restricted:
        return None
    wanted = member[0] if member else None
    if wanted is not None and len(member[1]) != 1:  # type: ignore[index]
        return None
    for dimension in stored_dimensions(reading.wh, metric, "month"):
        if wanted is not None and dimension != wanted:
            continue
        found = current_forecast(reading.wh, metric, "month", dimension)
        if found is None:
            continue
        series = TOTAL if wanted is None else str(member[1][0])  # type: ignore[index]
        if series in set(found.forecasts.column("series").to_pylist()):
            return found, series
    return None


def revenue_chart(reading: Reading) -> Chart:
    """Revenue by month over the last year to the period's end, then the stored forecast with its
    95 % interval (when one covers the report's rows and starts after the period)."""
    chart = reading.monthly("revenue", title="Revenue by month", months=FORECAST_MONTHS)
    stored = _stored(reading, "revenue")
    if stored is None:
        return chart
    fc, series = stored
    ahead = [
        r for r in fc.forecasts.to_pylist() if r["series"] == series and r["period"] > reading.period.end
    ]
    if not ahead:
        return chart
    x = (*chart.x, *(r["period"] for r in ahead))
    pad = (None,) * len(ahead)
    actual = Series(label="Revenue", values=(*chart.series[0].values, *pad))
    before = (None,) * len(chart.x)
    predicted = Series(
        label="Forecast (95% interval)",
        values=(*before, *(r["forecast"] for r in ahead)),
        lo=(*before, *(r["lo_95"] for r in ahead)),
        hi=(*before, *(r["hi_95"] for r in ahead)),
    )
    return Chart(title="Revenue by month, and the forecast", unit=Unit.MONEY, x=x, series=(actual, predicted))


def forecast_table(reading: Reading) -> Table | None:
    """The stored revenue forecast's months after the period, with the 80 % and 95 % intervals;
    its basis (which stored forecast, made when) in the title."""
    stored = _stored(reading, "revenue")
    if stored is None:
        return None
    fc, series = stored
    rows = [r for r in fc.forecasts.to_pylist() if r["series"] == series and r["period"] > reading.period.end]
    rows = [r for r in rows if r["period"] <= add_months(reading.period.end, 12)]
    return Table(
        title=f"Revenue forecast: {fc.basis}",
        columns=(
            Column(key="period", label="Month"),
            Column(key="forecast", label="Forecast", unit=Unit.MONEY),
            Column(key="lo_80", label="Low (80%)", unit=Unit.MONEY),
            Column(key="hi_80", label="High (80%)", unit=Unit.MONEY),
            Column(key="lo_95", label="Low (95%)", unit=Unit.MONEY),
            Column(key="hi_95", label="High (95%)", unit=Unit.MONEY),
        ),
        rows=tuple(
            (r["period"], r["forecast"], r["lo_80"], r["hi_80"], r["lo_95"], r["hi_95"]) for r in rows
        ),
    )


def anomalies_table(reading: Reading) -> Table:
    """The anomalies refresh found in the period (marts.anomalies), strongest first: all of them
    for the whole business, those of its one member for a narrowed report."""
    rows = period_anomalies(reading)
    unit = reading.common_unit({r["metric"] for r in rows})
    return Table(
        title="Anomalies in the period",
        columns=(
            Column(key="period", label="Day"),
            Column(key="metric", label="Metric"),
            Column(key="member", label="Where"),
            Column(key="direction", label="Direction"),
            Column(key="severity", label="Severity"),
            Column(key="actual", label="Actual", unit=unit),
            Column(key="expected", label="Expected", unit=unit),
        ),
        rows=tuple(
            (
                r["period"],
                reading.label(r["metric"]) if r["metric"] in reading.cat.metrics else r["metric"],
                f"{r['dimension']}={r['dimension_value']}" if r["dimension"] else "all",
                r["direction"],
                r["severity"],
                r["actual"],
                r["expected"],
            )
            for r in rows[:30]
        ),
    )


def pacing_table(reading: Reading) -> Table:
    """Targets whose period overlaps the report's: actual, share achieved, probability, status."""
    rows = [
        r
        for r in reading.pacing()
        if r["period_start"] <= reading.period.end and r["period_end"] >= reading.period.start
    ]
    unit = reading.common_unit({r["metric"] for r in rows})
    return Table(
        title="Target pacing",
        columns=(
            Column(key="metric", label="Metric"),
            Column(key="period_start", label="Period from"),
            Column(key="filter", label="Filter"),
            Column(key="target", label="Target", unit=unit),
            Column(key="actual", label="Actual", unit=unit),
            Column(key="pct_achieved", label="Achieved", unit=Unit.PERCENT),
            Column(key="probability", label="Probability", unit=Unit.PERCENT),
            Column(key="status", label="Status"),
        ),
        rows=tuple(
            (
                reading.label(r["metric"]) if r["metric"] in reading.cat.metrics else r["metric"],
                r["period_start"],
                r["filter"] or "all",
                r["target"],
                r["actual"],
                r["pct_achieved"],
                r["probability"],
                r["status"],
            )
            for r in rows
        ),
    )
