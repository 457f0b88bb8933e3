"""The forecast use case: any metric of the catalogue, in total and by a dimension, with
forecasts by dimension reconciled to add up to the total.

The history comes from the metrics layer (one query at the grain, one by the dimension); the
first and last periods are dropped when the data cover them only in part (a month in progress
would look like a collapse).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from bizsight.analytics.forecast import ForecastResult, ForecastSettings, forecast
from bizsight.analytics.reconcile import reconcile, variance_from_interval
from bizsight.errors import InputFileError, InvalidArgumentError, NotInitializedError, did_you_mean
from bizsight.metrics.periods import period_end, period_start
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

GRAINS = ("day", "week", "month")
HORIZON = {"day": 91, "week": 13, "month": 3}  # one quarter at each grain
TOTAL = "(total)"  # the series id of the total; a dimension's values name the others
NONE = "(none)"  # the series of rows without a value for the dimension


@dataclass(frozen=True)
class MetricForecast:
    """A metric's history and forecast. ``forecasts`` has series, period, step, model, forecast,
    lo_<level>, hi_<level> and base (the model's own forecast before reconciliation)."""

    metric: str
    grain: str
    dimension: str | None
    history: pa.Table  # series, period, actual
    result: ForecastResult
    forecasts: pa.Table
    reconciliation: str

    @property
    def origin(self) -> dt.date:
        """The last period with actuals."""
        last: dt.date = pc.max(self.history.column("period")).as_py()
        return last

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "grain": self.grain,
            "dimension": self.dimension,
            "origin": self.origin,
            "season_length": self.result.season_length,
            "candidates": list(self.result.candidates),
            "levels": list(self.result.levels),
            "reconciliation": self.reconciliation,
            "forecasts": self.forecasts.to_pylist(),
            "selection": self.result.selection.to_pylist(),
            "accuracy": self.result.accuracy.to_pylist(),
        }


def forecast_metric(
    project: Project,
    metric: str,
    *,
    by: str | None = None,
    grain: str = "month",
    horizon: int | None = None,
    levels: Sequence[int] = (80, 95),
    filters: Sequence[Filter] = (),
    end: dt.date | None = None,
    candidates: str = "auto",
    wh: Warehouse | None = None,
) -> MetricForecast:
    """Forecast ``metric`` at ``grain`` from the history up to ``end`` (default: all of it),
    ``horizon`` periods ahead (default: one quarter), in total and, with ``by``, per value of that
    dimension, reconciled so that the values add up to the total when the metric adds up."""
    if grain not in GRAINS:
        raise InvalidArgumentError(
            f"grain '{grain}'{did_you_mean(grain, GRAINS)}: expected day, week or month"
        )
    cat = catalogue(project)
    if metric not in cat.metrics:
        raise InvalidArgumentError(
            f"unknown metric '{metric}'{did_you_mean(metric, cat.metrics)}; see `bizsight metrics`"
        )
    if by is not None and by not in cat.dimensions:
        raise InvalidArgumentError(
            f"unknown dimension '{by}'{did_you_mean(by, cat.dimensions)}; see `bizsight metrics`"
        )
    if wh is None:
        require_warehouse(project)
        with project.warehouse(read_only=True) as owned:
            return forecast_metric(
                project, metric, by=by, grain=grain, horizon=horizon, levels=levels, filters=filters,
                end=end, candidates=candidates, wh=owned,
            )  # fmt: skip
    history = metric_history(project, wh, metric, grain=grain, by=by, filters=filters, end=end)
    settings = ForecastSettings(
        horizon=horizon or HORIZON[grain], levels=tuple(levels), candidates=candidates
    )
    long = pa.table(
        {
            "unique_id": history.column("series"),
            "ds": history.column("period"),
            "y": history.column("actual"),
        }
    )
    result = forecast(long, settings)
    table = result.forecasts.rename_columns(["series", "period", *result.forecasts.column_names[2:]])
    table = table.rename_columns([("forecast" if c == "mean" else c) for c in table.column_names])
    table = table.append_column("base", table.column("forecast"))
    reconciliation = "none: no dimension"
    if by is not None:
        table, reconciliation = _reconciled(table, history, settings.levels)
    return MetricForecast(metric, grain, by, history, result, table, reconciliation)


def require_warehouse(project: Project) -> None:
    if not project.paths.warehouse.exists():
        raise NotInitializedError(
            f"no warehouse in {project.root.resolve()}: run `bizsight ingest PATH` first"
        )


def metric_history(
    project: Project,
    wh: Warehouse,
    metric: str,
    *,
    grain: str,
    by: str | None = None,
    filters: Sequence[Filter] = (),
    end: dt.date | None = None,
) -> pa.Table:
    """The metric per complete period (series, period, actual): the total, and with ``by`` one
    series per value of the dimension."""
    first, last = data_bounds(project, wh, metric)
    if end is not None:
        last = min(last, end)
    parts = []
    for dims in [(), (by,)] if by else [()]:
        query = Query(
            metrics=(metric,),
            dimensions=dims,
            grain=Grain(grain),
            start=first,
            end=last,
            filters=tuple(filters),
        )
        table = run_query(project, query, wh=wh).table
        series = (
            pc.fill_null(pc.cast(table.column(dims[0]), pa.string()), pa.scalar(NONE))
            if dims
            else pa.array([TOTAL] * table.num_rows, pa.string())
        )
        actual = pc.fill_null(pc.cast(table.column(metric), pa.float64()), pa.scalar(0.0))
        parts.append(pa.table({"series": series, "period": table.column("period"), "actual": actual}))
    history = pa.concat_tables(parts)
    period = history.column("period")
    low = pa.scalar(_first_complete_start(first, grain), pa.date32())
    high = pa.scalar(_last_complete_start(last, grain), pa.date32())
    history = history.filter(pc.and_(pc.greater_equal(period, low), pc.less_equal(period, high)))
    if history.num_rows == 0:
        raise InvalidArgumentError(f"{metric}: no complete {grain} of data to forecast from")
    return history


def data_bounds(project: Project, wh: Warehouse, metric: str) -> tuple[dt.date, dt.date]:
    """The first and last day of data behind ``metric`` (over all the tables it reads)."""
    cat = catalogue(project)
    days: list[tuple[dt.date | None, dt.date | None]] = []
    for name in cat.aggregates([metric]):
        model = cat.models[str(cat.metrics[name].model)]
        day = exp.cast(exp.column(model.time), "DATE")
        query = exp.select(exp.Min(this=day), exp.Max(this=day)).from_(exp.to_table(model.table))
        low, high = wh.rows(query)[0]
        days.append((low, high))
    lows = [lo for lo, _ in days if lo is not None]
    highs = [hi for _, hi in days if hi is not None]
    if not lows or not highs:
        raise InvalidArgumentError(f"{metric}: no data yet to forecast from")
    return min(lows), max(highs)


def _first_complete_start(first: dt.date, grain: str) -> dt.date:
    start = period_start(first, grain)
    return start if start == first else period_end(start, grain) + dt.timedelta(days=1)


def _last_complete_start(last: dt.date, grain: str) -> dt.date:
    start = period_start(last, grain)
    if period_end(start, grain) == last:
        return start
    return period_start(start - dt.timedelta(days=1), grain)


def _reconciled(table: pa.Table, history: pa.Table, levels: Sequence[int]) -> tuple[pa.Table, str]:
    """Forecasts with the parts' means moved to add up to the total's (when the history adds up);
    each interval moves with its mean and keeps the width of its model."""
    totals = _pivot(history, "actual")
    parts = [s for s in totals if s != TOTAL]
    if not parts:
        return table, "none: no values of the dimension"
    gap = np.abs(totals[TOTAL] - np.sum([totals[s] for s in parts], axis=0))
    if np.any(gap > 1e-6 * np.maximum(np.abs(totals[TOTAL]), 1.0)):
        return table, "none: the metric does not add up across the dimension's values (e.g. distinct counts)"
    means, order = _pivot(table, "base"), [TOTAL, *parts]
    level = max(levels)
    lo, hi = _pivot(table, f"lo_{level}"), _pivot(table, f"hi_{level}")
    variances = np.array([variance_from_interval(lo[s], hi[s], level) for s in order])
    total, children = reconcile(means[TOTAL], np.array([means[s] for s in parts]), variances)
    coherent = {TOTAL: total, **dict(zip(parts, children, strict=True))}
    series = [str(s) for s in table.column("series").to_pylist()]
    step = table.column("step").to_numpy() - 1
    shift = np.array([coherent[s][k] - means[s][k] for s, k in zip(series, step, strict=True)])
    out = table.set_column(
        table.column_names.index("forecast"), "forecast", pa.array(table.column("base").to_numpy() + shift)
    )
    floor = {s: 0.0 if np.all(totals[s] >= 0) else -np.inf for s in order}  # no sales below zero
    lowest = pa.array([floor[s] for s in series])
    for name in out.column_names:
        if name.startswith(("lo_", "hi_")):
            moved = pc.max_element_wise(pc.add(out.column(name), pa.array(shift)), lowest)
            out = out.set_column(out.column_names.index(name), name, moved)
    return out, "weighted least squares (MinT with the forecasts' own variances)"


def _pivot(table: pa.Table, column: str) -> dict[str, np.ndarray]:
    """Values of ``column`` per series, in period order."""
    ordered = table.sort_by([("series", "ascending"), ("period", "ascending")])
    series = np.array(ordered.column("series").to_pylist(), dtype=object)
    values = ordered.column(column).to_numpy(zero_copy_only=False).astype(float)
    return {s: values[series == s] for s in dict.fromkeys(series.tolist())}


def forecast_file(path: Path, settings: ForecastSettings) -> ForecastResult:
    """Forecast the series of a long-format CSV or Parquet file (unique_id, ds, y); no project needed."""
    return forecast(read_long_file(path), settings)


def read_long_file(path: Path) -> pa.Table:
    """A CSV or Parquet file as an Arrow table, with a one-line error when it cannot be read."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
        if suffix in (".csv", ".txt", ".tsv"):
            options = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
            return pacsv.read_csv(path, parse_options=options)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputFileError(f"{path}: cannot read it as {suffix[1:]}: {str(err).splitlines()[0]}") from None
    raise InputFileError(f"{path}: expected a .csv or .parquet file")
