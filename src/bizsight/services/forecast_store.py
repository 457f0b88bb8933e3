"""Forecasts kept in ``marts.forecasts``, one set per run, so that what was forecast can later be
compared with what happened.

Refresh appends the forecasts of its data version (replacing those of an earlier refresh of the
same version); nothing deletes older ones. :func:`tracked_accuracy` joins them with the actuals
the warehouse holds now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from bizsight.analytics.forecast_scores import track_accuracy
from bizsight.errors import InvalidArgumentError
from bizsight.services.forecast import MetricForecast, metric_history
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse

STORED_LEVELS = (80, 95)
_COLUMNS = """
    run_at TIMESTAMP, data_version BIGINT, metric VARCHAR, grain VARCHAR, dimension VARCHAR,
    series VARCHAR, origin DATE, period DATE, step INTEGER, model VARCHAR, forecast DOUBLE,
    lo_80 DOUBLE, hi_80 DOUBLE, lo_95 DOUBLE, hi_95 DOUBLE, base DOUBLE
"""


def ensure_table(wh: Warehouse) -> None:
    wh.run(f"CREATE TABLE IF NOT EXISTS marts.forecasts ({_COLUMNS})")


def store_forecast(wh: Warehouse, fc: MetricForecast, *, run_at: dt.datetime, data_version: int) -> int:
    """Append ``fc`` (forecast at levels 80 and 95) to marts.forecasts; rows of the same data
    version, metric, grain, dimension and origin are replaced. Returns the rows written."""
    missing = [level for level in STORED_LEVELS if f"lo_{level}" not in fc.forecasts.column_names]
    if missing:
        raise InvalidArgumentError(f"stored forecasts need the 80% and 95% intervals; missing {missing}")
    ensure_table(wh)
    rows = fc.forecasts.num_rows
    table = pa.table(
        {
            "run_at": pa.array([run_at] * rows, pa.timestamp("us")),
            "data_version": pa.array([data_version] * rows, pa.int64()),
            "metric": pa.array([fc.metric] * rows, pa.string()),
            "grain": pa.array([fc.grain] * rows, pa.string()),
            "dimension": pa.array([fc.dimension] * rows, pa.string()),
            "origin": pa.array([fc.origin] * rows, pa.date32()),
            **{name: fc.forecasts.column(name) for name in ("series", "period", "step", "model", "forecast")},
            **{
                f"{side}_{level}": fc.forecasts.column(f"{side}_{level}")
                for level in STORED_LEVELS
                for side in ("lo", "hi")
            },
            "base": fc.forecasts.column("base"),
        }
    )
    wh.run(
        "DELETE FROM marts.forecasts WHERE data_version = ? AND metric = ? AND grain = ? "
        "AND dimension IS NOT DISTINCT FROM ? AND origin = ?",
        [data_version, fc.metric, fc.grain, fc.dimension, fc.origin],
    )
    wh.append_rows("marts", "forecasts", table)
    return rows


def stored_forecasts(wh: Warehouse, metric: str, grain: str, dimension: str | None) -> pa.Table:
    if not wh.table_exists("marts", "forecasts"):
        return pa.table({})
    return wh.con.sql(
        "SELECT * FROM marts.forecasts WHERE metric = ? AND grain = ? AND dimension IS NOT DISTINCT FROM ? "
        "ORDER BY run_at, series, period",
        params=[metric, grain, dimension],
    ).to_arrow_table()


def tracked_accuracy(
    project: Project, metric: str, *, grain: str = "month", by: str | None = None, wh: Warehouse | None = None
) -> dict[str, Any]:
    """Every stored forecast of ``metric`` whose period now has an actual: the errors, per row,
    per horizon step and per run (MAPE, bias, interval coverage)."""
    if wh is None:
        with project.warehouse(read_only=True) as owned:
            return tracked_accuracy(project, metric, grain=grain, by=by, wh=owned)
    stored = stored_forecasts(wh, metric, grain, by)
    if stored.num_rows == 0:
        return {"metric": metric, "grain": grain, "dimension": by, "rows": [], "by_step": [], "by_origin": []}
    actuals = metric_history(project, wh, metric, grain=grain, by=by)
    rows = track_accuracy(stored, actuals)
    return {
        "metric": metric,
        "grain": grain,
        "dimension": by,
        "rows": rows.to_pylist(),
        "by_step": _summary(rows, "step"),
        "by_origin": _summary(rows, "origin"),
    }


def _summary(rows: pa.Table, key: str) -> list[dict[str, Any]]:
    if rows.num_rows == 0:
        return []
    grouped = rows.group_by(key).aggregate(
        [
            ("ape", "mean"),
            ("error", "mean"),
            ("inside_80", "mean"),
            ("inside_95", "mean"),
            ("actual", "count"),
        ]
    )
    names = {
        "ape_mean": "mape",
        "error_mean": "bias",
        "inside_80_mean": "coverage_80",
        "inside_95_mean": "coverage_95",
        "actual_count": "n",
    }
    renamed = grouped.rename_columns([names.get(c, c) for c in grouped.column_names])
    return renamed.sort_by(key).to_pylist()
