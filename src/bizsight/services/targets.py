"""The targets use case: each target of ``core.fact_target`` (targets.csv) beside the actual,
the share achieved and the probability of reaching it by the end of its period.

Actuals come from the metrics layer with the target's dimension filters. The rest of the period
is forecast at month grain: a target without filters uses the metric's total forecast, one
filtered on a single dimension the reconciled forecast by that dimension, any other the
forecast of the filtered metric.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.pacing import ForecastPeriod, Remaining, probability_of_reaching, remaining, status
from bizsight.analytics.reconcile import variance_from_interval
from bizsight.errors import BizsightError
from bizsight.metrics.definitions import Aggregate
from bizsight.metrics.periods import add_months, months_apart, period_end, period_start
from bizsight.metrics.query import Filter, Query
from bizsight.services.forecast import (
    TOTAL,
    MetricForecast,
    data_bounds,
    forecast_metric,
    require_warehouse,
)
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

# Columns of targets.csv that filter a dimension of the catalogue.
FILTER_COLUMNS = {
    "region": "region",
    "category": "category",
    "channel": "sales_channel",
    "customer_segment": "customer_segment",
}
MAX_MONTHS_AHEAD = 24


def targets_report(project: Project, wh: Warehouse | None = None) -> list[dict[str, Any]]:
    """What ``bizsight targets`` prints: marts.target_pacing when the last refresh made it from
    the current data, else the pacing worked out now."""
    if wh is None:
        require_warehouse(project)
        with project.warehouse(read_only=True) as owned:
            return targets_report(project, owned)
    version = wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'")
    made = wh.scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'marts' "
        "AND table_name = 'target_pacing' AND column_name = 'data_version'"
    )
    if made:
        kept = wh.con.sql(
            "SELECT * EXCLUDE (data_version) FROM marts.target_pacing WHERE data_version = ? "
            "ORDER BY period_start, metric, filter",
            params=[int(version)],
        )
        rows = kept.to_arrow_table().to_pylist()
        if rows:
            return rows
    return target_pacing(project, wh=wh)


def target_pacing(
    project: Project,
    *,
    wh: Warehouse | None = None,
    candidates: str = "auto",
    known: Sequence[MetricForecast] = (),
) -> list[dict[str, Any]]:
    """One row per target: metric, period, filter, target, actual, pct_achieved, elapsed,
    expected, probability, status (achieved / missed / on track / at risk / no forecast).
    ``known`` month forecasts (e.g. refresh's) are used where they reach far enough."""
    if wh is None:
        require_warehouse(project)
        with project.warehouse(read_only=True) as owned:
            return target_pacing(project, wh=owned, candidates=candidates, known=known)
    if not wh.table_exists("core", "fact_target"):
        return []
    columns = ["metric", "period_start", "period_end", "target_value", *FILTER_COLUMNS]
    targets = wh.con.sql(
        f"SELECT {', '.join(columns)} FROM core.fact_target ORDER BY period_start, metric, region NULLS FIRST"
    ).fetchall()
    forecasts = _Forecasts(project, wh, max((row[2] for row in targets), default=dt.date.min), candidates)
    for fc in (fc for fc in known if fc.grain == "month"):
        forecasts.made[(fc.metric, ())] = fc  # every forecast holds the total
        if fc.dimension:
            forecasts.made[(fc.metric, fc.dimension)] = fc
    return [_pace(project, wh, dict(zip(columns, row, strict=True)), forecasts) for row in targets]


class _Forecasts:
    """Month forecasts, one per metric and filter, made once and reaching the last target's end."""

    def __init__(self, project: Project, wh: Warehouse, last_end: dt.date, candidates: str) -> None:
        self.project, self.wh, self.last_end, self.candidates = project, wh, last_end, candidates
        self.made: dict[tuple[str, object], MetricForecast | str] = {}

    def get(self, metric: str, filters: tuple[Filter, ...], last: dt.date) -> MetricForecast | str:
        by = filters[0].dimension if len(filters) == 1 else None
        key = (metric, by if by else filters)
        months = months_apart(last, self.last_end) + 1
        made = self.made.get(key)
        if made is None or (
            not isinstance(made, str)
            and _last_period(made) < add_months(period_start(last, "month"), months - 1)
        ):
            try:
                self.made[key] = forecast_metric(
                    self.project, metric, by=by, grain="month", horizon=min(max(3, months), MAX_MONTHS_AHEAD),
                    filters=filters if by is None else (), candidates=self.candidates, wh=self.wh,
                )  # fmt: skip
            except BizsightError as err:
                self.made[key] = f"no forecast: {err}"
        return self.made[key]


def _pace(
    project: Project,
    wh: Warehouse,
    target: dict[str, Any],
    forecasts: _Forecasts,
) -> dict[str, Any]:
    metric, start, end = str(target["metric"]), target["period_start"], target["period_end"]
    filters = tuple(
        Filter(dimension=dim, values=(str(target[column]),))
        for column, dim in FILTER_COLUMNS.items()
        if target[column] not in (None, "")
    )
    row: dict[str, Any] = {
        "metric": metric,
        "period_start": start,
        "period_end": end,
        "filter": ", ".join(f"{f.dimension}={f.values[0]}" for f in filters),
        "target": float(target["target_value"]),
    }
    cat = catalogue(project)
    if metric not in cat.metrics:
        return {**row, "status": f"unknown metric '{metric}'"}
    _, last = data_bounds(project, wh, metric)
    observed_end = min(end, last)
    actual = 0.0
    if observed_end >= start:
        query = Query(metrics=(metric,), start=start, end=observed_end, filters=filters)
        value = run_query(project, query, wh=wh).table.column(metric)[0].as_py()
        actual = float(value or 0.0)
    ended = end <= last
    elapsed = max(0, (observed_end - start).days + 1) / ((end - start).days + 1)
    row.update(
        actual=actual,
        pct_achieved=100.0 * actual / row["target"] if row["target"] else None,
        elapsed=round(elapsed, 4),
    )
    probability, expected = (1.0 if actual >= row["target"] else 0.0), actual
    if not ended:
        rest = _remaining(project, metric, filters, start, end, last, forecasts)
        if isinstance(rest, str):
            probability, expected, row["note"] = None, None, rest  # type: ignore[assignment]
        else:
            probability, expected = probability_of_reaching(row["target"], actual, rest), actual + rest.mean
    return {
        **row,
        "expected": expected,
        "probability": probability,
        "status": status(probability, ended, actual >= row["target"]),
    }


def _remaining(
    project: Project,
    metric: str,
    filters: tuple[Filter, ...],
    start: dt.date,
    end: dt.date,
    last: dt.date,
    forecasts: _Forecasts,
) -> Remaining | str:
    """The forecast of the target's days after ``last``, or why there is none."""
    aggregate = catalogue(project).metrics[metric].aggregate
    if aggregate not in (Aggregate.SUM, Aggregate.COUNT):
        return f"{metric} does not add up over time; no pacing forecast"
    found = forecasts.get(metric, filters, last)
    if isinstance(found, str):
        return found
    series = str(filters[0].values[0]) if len(filters) == 1 else TOTAL
    periods = _periods(found.forecasts, series)
    if not periods:
        return f"no forecast for {series}"
    rest = remaining(start, end, last, periods)
    return rest if rest.covered else "the period ends after the forecast horizon"


def _last_period(fc: MetricForecast) -> dt.date:
    last: dt.date = pc.max(fc.forecasts.column("period")).as_py()
    return last


def _periods(table: pa.Table, series: str) -> list[ForecastPeriod]:
    rows = [r for r in table.to_pylist() if r["series"] == series]
    out = []
    for r in rows:
        sd = float(variance_from_interval(r["lo_95"], r["hi_95"], 95) ** 0.5)
        out.append(ForecastPeriod(r["period"], period_end(r["period"], "month"), float(r["forecast"]), sd))
    return out
