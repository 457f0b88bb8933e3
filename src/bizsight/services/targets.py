"""The targets use case: each target of ``core.fact_target`` (targets.csv) beside the actual,
the share achieved and the probability of reaching it by the end of its period.

Actuals come from the metrics layer with the target's dimension filters. The rest of the period
is forecast at month grain, from the one forecast the Forecasts page shows: the one refresh
stored (``marts.forecasts``, of the current data) — its total for a target without filters, the
series of the dimension's value for a target filtered on the dimension it is stored by. Only
where no stored forecast covers the target (another filter, several filters, another metric,
or a period past the stored horizon) is a forecast made for the target itself; each row's
``basis`` says which was used, and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.pacing import ForecastPeriod, Remaining, probability_of_reaching, remaining, status
from bizsight.analytics.reconcile import variance_from_interval
from bizsight.errors import BizsightError
from bizsight.metrics.definitions import Aggregate
from bizsight.metrics.periods import months_apart, period_end, period_start
from bizsight.metrics.query import Filter, Query
from bizsight.services.forecast import (
    TOTAL,
    MetricForecast,
    data_bounds,
    forecast_metric,
    require_warehouse,
)
from bizsight.services.forecast_store import current_forecast, stored_dimensions
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


def months_to_last_target(wh: Warehouse, origin: dt.date) -> int:
    """Months from ``origin`` (a month) to the month of the last target's end, at most
    MAX_MONTHS_AHEAD; 0 without targets."""
    if not wh.table_exists("core", "fact_target"):
        return 0
    last = wh.scalar("SELECT max(period_end) FROM core.fact_target")
    return 0 if last is None else max(0, min(MAX_MONTHS_AHEAD, months_apart(origin, last)))


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
) -> list[dict[str, Any]]:
    """One row per target: metric, period, filter, target, actual, pct_achieved, elapsed,
    expected, probability, status (achieved / missed / on track / at risk / no forecast).
    ``candidates``: of the forecasts made for targets that no stored forecast covers."""
    if wh is None:
        require_warehouse(project)
        with project.warehouse(read_only=True) as owned:
            return target_pacing(project, wh=owned, candidates=candidates)
    if not wh.table_exists("core", "fact_target"):
        return []
    columns = ["metric", "period_start", "period_end", "target_value", *FILTER_COLUMNS]
    targets = wh.con.sql(
        f"SELECT {', '.join(columns)} FROM core.fact_target ORDER BY period_start, metric, region NULLS FIRST"
    ).fetchall()
    forecasts = _Forecasts(project, wh, max((row[2] for row in targets), default=dt.date.min), candidates)
    return [_pace(project, wh, dict(zip(columns, row, strict=True)), forecasts) for row in targets]


@dataclass(frozen=True)
class _Source:
    """Month forecasts (series, period, forecast, lo_95, hi_95...) and what they are."""

    forecasts: pa.Table
    basis: str


class _Forecasts:
    """Month forecasts per metric and filter: the stored ones first, others made once (reaching
    the last target's end) where no stored forecast covers a target."""

    def __init__(self, project: Project, wh: Warehouse, last_end: dt.date, candidates: str) -> None:
        self.project, self.wh, self.last_end, self.candidates = project, wh, last_end, candidates
        self.made: dict[tuple[str, object], MetricForecast | str] = {}
        self.stored: dict[tuple[str, str | None], _Source] = {}

    def _stored(self, metric: str, dimension: str | None) -> _Source | None:
        if (metric, dimension) not in self.stored:
            found = current_forecast(self.wh, metric, "month", dimension)
            if found is None:
                return None
            self.stored[(metric, dimension)] = _Source(found.forecasts, found.basis)
        return self.stored[(metric, dimension)]

    def get(self, metric: str, filters: tuple[Filter, ...], end: dt.date, last: dt.date) -> _Source | str:
        """The forecast that covers ``metric`` with ``filters`` until ``end``, or why there is none."""
        by = filters[0].dimension if len(filters) == 1 else None
        why = ""
        if len(filters) <= 1:
            dims = [by] if by else [*self._known_dimensions(metric)]
            for dim in dims:
                stored = self._stored(metric, dim)
                if stored is None:
                    continue
                if _last_period(stored.forecasts) >= period_start(end, "month"):
                    return stored
                why = f"the {stored.basis} ends before this period"
        if not why:
            dims_text = ", ".join(d or "total" for d in stored_dimensions(self.wh, metric, "month"))
            why = (
                f"refresh stores {metric} by {dims_text}, not with this filter"
                if dims_text
                else f"refresh stores no forecast of {metric}"
            )
        made = self._made(metric, filters, by, last)
        if isinstance(made, str):
            return made
        models = " (the fast models: no AutoARIMA)" if self.candidates == "fast" else ""
        return _Source(made.forecasts, f"forecast made for this target{models}: {why}")

    def _known_dimensions(self, metric: str) -> list[str | None]:
        known = [d for (m, d) in self.stored if m == metric]
        return known + [d for d in stored_dimensions(self.wh, metric, "month") if d not in known]

    def _made(
        self, metric: str, filters: tuple[Filter, ...], by: str | None, last: dt.date
    ) -> MetricForecast | str:
        key = (metric, by if by else filters)
        months = months_apart(last, self.last_end) + 1
        made = self.made.get(key)
        if made is None:
            try:
                made = forecast_metric(
                    self.project, metric, by=by, grain="month", horizon=min(max(3, months), MAX_MONTHS_AHEAD),
                    filters=filters if by is None else (), candidates=self.candidates, wh=self.wh,
                )  # fmt: skip
            except BizsightError as err:
                made = f"no forecast: {err}"
            self.made[key] = made
        return made


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
        pct_achieved=actual / row["target"] if row["target"] else None,  # a fraction, like every percentage
        elapsed=round(elapsed, 4),
    )
    probability, expected = (1.0 if actual >= row["target"] else 0.0), actual
    row["basis"] = "actual: the period has ended"
    if not ended:
        rest = _remaining(project, metric, filters, start, end, last, forecasts)
        if isinstance(rest, str):
            probability, expected, row["note"], row["basis"] = None, None, rest, None  # type: ignore[assignment]
        else:
            probability, expected = (
                probability_of_reaching(row["target"], actual, rest[0]),
                actual + rest[0].mean,
            )
            row["basis"] = rest[1]
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
) -> tuple[Remaining, str] | str:
    """The forecast of the target's days after ``last`` and its basis, or why there is none."""
    aggregate = catalogue(project).metrics[metric].aggregate
    if aggregate not in (Aggregate.SUM, Aggregate.COUNT):
        return f"{metric} does not add up over time; no pacing forecast"
    found = forecasts.get(metric, filters, end, last)
    if isinstance(found, str):
        return found
    series = str(filters[0].values[0]) if len(filters) == 1 else TOTAL
    periods = _periods(found.forecasts, series)
    if not periods:
        return f"no forecast for {series}"
    rest = remaining(start, end, last, periods)
    return (rest, found.basis) if rest.covered else "the period ends after the forecast horizon"


def _last_period(forecasts: pa.Table) -> dt.date:
    last: dt.date = pc.max(forecasts.column("period")).as_py()
    return last


def _periods(table: pa.Table, series: str) -> list[ForecastPeriod]:
    rows = [r for r in table.to_pylist() if r["series"] == series]
    out = []
    for r in rows:
        sd = float(variance_from_interval(r["lo_95"], r["hi_95"], 95) ** 0.5)
        out.append(ForecastPeriod(r["period"], period_end(r["period"], "month"), float(r["forecast"]), sd))
    return out
