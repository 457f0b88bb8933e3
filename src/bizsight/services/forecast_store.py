"""Forecasts kept in ``marts.forecasts``, one set per run, so that what was forecast can later be
compared with what happened.

Refresh appends the forecasts of its data version (replacing those of an earlier refresh of the
same version); nothing deletes older ones. :func:`tracked_accuracy` joins them with the actuals
the warehouse holds now.

Beside the rows, ``marts.forecast_runs`` keeps what else the Forecasts page shows of a run (the
models tried and chosen per series, their backtest scores, the reconciliation), so that the page
and target pacing read the one forecast refresh made instead of each making their own
(:func:`current_forecast`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

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


_RUN_COLUMNS = """
    run_at TIMESTAMP, data_version BIGINT, metric VARCHAR, grain VARCHAR, dimension VARCHAR,
    origin DATE, detail VARCHAR
"""


def ensure_table(wh: Warehouse) -> None:
    wh.run(f"CREATE TABLE IF NOT EXISTS marts.forecasts ({_COLUMNS})")
    wh.run(f"CREATE TABLE IF NOT EXISTS marts.forecast_runs ({_RUN_COLUMNS})")


def store_forecast(
    wh: Warehouse, fc: MetricForecast, *, run_at: dt.datetime, data_version: int, inputs: str | None = None
) -> int:
    """Append ``fc`` (forecast at levels 80 and 95) to marts.forecasts; rows of the same data
    version, metric, grain, dimension and origin are replaced. ``inputs`` (a fingerprint of what
    the forecast was made from) is kept with the run, for :func:`reuse_forecast`. Returns the rows
    written."""
    missing = [level for level in STORED_LEVELS if f"lo_{level}" not in fc.forecasts.column_names]
    if missing:
        raise InvalidArgumentError(f"stored forecasts need the 80% and 95% intervals; missing {missing}")
    ensure_table(wh)
    _forget_run(wh, data_version, fc.metric, fc.grain, fc.dimension, fc.origin)
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
    wh.append_rows("marts", "forecasts", table)
    detail = {k: v for k, v in fc.to_dict().items() if k not in ("forecasts", "origin")}
    if inputs is not None:
        detail["inputs"] = inputs
    wh.run(
        "INSERT INTO marts.forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_at, data_version, fc.metric, fc.grain, fc.dimension, fc.origin, json.dumps(detail, default=str)],
    )
    return rows


def reuse_forecast(
    wh: Warehouse,
    metric: str,
    grain: str,
    dimension: str | None,
    *,
    inputs: str,
    run_at: dt.datetime,
    data_version: int,
) -> int | None:
    """When the latest stored run of ``metric`` at ``grain`` by ``dimension`` was made from the
    same ``inputs`` (the same history, horizon and forecasting code), store it again as a run of
    ``data_version`` at ``run_at`` and return its rows; otherwise store nothing and return None.

    A refresh of data whose complete periods did not change (new days of the current month, a
    re-run) so keeps the forecast it already made, as a recomputation would (the fits are
    deterministic), without fitting every model again."""
    if not wh.table_exists("marts", "forecast_runs"):
        return None
    found = wh.rows(
        "SELECT run_at, data_version, origin, detail FROM marts.forecast_runs WHERE metric = ? AND grain = ? "
        "AND dimension IS NOT DISTINCT FROM ? ORDER BY run_at DESC LIMIT 1",
        [metric, grain, dimension],
    )
    if not found or json.loads(found[0][3]).get("inputs") != inputs:
        return None
    was_run_at, was_version, origin, detail = found[0]
    key = [was_version, metric, grain, dimension, was_run_at, origin]
    count = (
        "SELECT count(*) FROM marts.forecasts WHERE data_version = ? AND metric = ? AND grain = ? "
        "AND dimension IS NOT DISTINCT FROM ? AND run_at = ? AND origin = ?"
    )
    if was_version == data_version:  # a refresh without new loads: the run is already this version's
        kept: int = wh.scalar(count, key)
        return kept
    _forget_run(wh, data_version, metric, grain, dimension, origin)
    wh.run(
        "INSERT INTO marts.forecasts SELECT ? AS run_at, ? AS data_version, * EXCLUDE (run_at, data_version) "
        "FROM marts.forecasts WHERE data_version = ? AND metric = ? AND grain = ? "
        "AND dimension IS NOT DISTINCT FROM ? AND run_at = ? AND origin = ?",
        [run_at, data_version, *key],
    )
    wh.run(
        "INSERT INTO marts.forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_at, data_version, metric, grain, dimension, origin, detail],
    )
    copied: int = wh.scalar(count, [data_version, metric, grain, dimension, run_at, origin])
    return copied


def _forget_run(
    wh: Warehouse, data_version: int, metric: str, grain: str, dimension: str | None, origin: dt.date
) -> None:
    """Delete the stored run of one data version, metric, grain, dimension and origin (replaced)."""
    for table in ("forecasts", "forecast_runs"):
        wh.run(
            f"DELETE FROM marts.{table} WHERE data_version = ? AND metric = ? AND grain = ? "
            "AND dimension IS NOT DISTINCT FROM ? AND origin = ?",
            [data_version, metric, grain, dimension, origin],
        )


@dataclass(frozen=True)
class StoredForecast:
    """The forecast of a metric that the last refresh of the current data made: its rows (as in
    :class:`~bizsight.services.forecast.MetricForecast`'s ``forecasts``) and what the Forecasts
    page shows about it (``detail``: season_length, candidates, levels, reconciliation,
    selection, accuracy)."""

    metric: str
    grain: str
    dimension: str | None
    origin: dt.date
    run_at: dt.datetime
    data_version: int
    forecasts: pa.Table
    detail: dict[str, Any]

    @property
    def last_period(self) -> dt.date:
        last: dt.date = pc.max(self.forecasts.column("period")).as_py()
        return last

    @property
    def basis(self) -> str:
        by = f" by {self.dimension}" if self.dimension else ""
        return f"stored forecast of {self.metric}{by} (refresh of {self.run_at:%Y-%m-%d %H:%M}, data version {self.data_version})"


def current_forecast(wh: Warehouse, metric: str, grain: str, dimension: str | None) -> StoredForecast | None:
    """The latest stored forecast of ``metric`` at ``grain`` by ``dimension`` made from the data
    as they are now (the current data version), or None."""
    if not wh.table_exists("marts", "forecast_runs"):
        return None
    version = wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'")
    if version is None:
        return None
    found = wh.rows(
        "SELECT run_at, origin, detail FROM marts.forecast_runs WHERE data_version = ? AND metric = ? "
        "AND grain = ? AND dimension IS NOT DISTINCT FROM ? ORDER BY run_at DESC, origin DESC LIMIT 1",
        [int(version), metric, grain, dimension],
    )
    if not found:
        return None
    run_at, origin, detail = found[0]
    rows = wh.con.sql(
        "SELECT series, period, step, model, forecast, lo_80, hi_80, lo_95, hi_95, base FROM marts.forecasts "
        "WHERE data_version = ? AND metric = ? AND grain = ? AND dimension IS NOT DISTINCT FROM ? "
        "AND run_at = ? AND origin = ? ORDER BY series, period",
        params=[int(version), metric, grain, dimension, run_at, origin],
    ).to_arrow_table()
    if rows.num_rows == 0:
        return None
    shown = {k: v for k, v in json.loads(detail).items() if k != "inputs"}  # the fingerprint is refresh's
    return StoredForecast(metric, grain, dimension, origin, run_at, int(version), rows, shown)


def stored_dimensions(wh: Warehouse, metric: str, grain: str) -> list[str | None]:
    """The dimensions (None: the total only) of the stored forecasts of ``metric`` from the
    current data, the most recently made first."""
    if not wh.table_exists("marts", "forecast_runs"):
        return []
    version = wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'")
    if version is None:
        return []
    found = wh.rows(
        "SELECT dimension FROM marts.forecast_runs WHERE data_version = ? AND metric = ? AND grain = ? "
        "GROUP BY dimension ORDER BY max(run_at) DESC, dimension NULLS FIRST",
        [int(version), metric, grain],
    )
    return [row[0] for row in found]


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
