"""The refresh step for forecasts: the default set into ``marts.forecasts`` (kept over runs, for
tracking accuracy) and target pacing into ``marts.target_pacing`` (rebuilt each time).

It runs in the refresh's transaction, after the core and marts are rebuilt, and is skipped with
a reason when the history is too short to forecast from. The forecasts are made as the Forecasts
page makes them (every candidate model), and reach the end of the last target when that is
further than a quarter ahead: the page and target pacing both read these (one forecast, one
answer; see docs/forecasting.md). A forecast whose inputs did not change since the last refresh
(the complete months it is made from, its horizon, the forecasting code) is kept rather than
fitted again: new days of the current month leave it as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from bizsight.console import Reporter
from bizsight.errors import BizsightError
from bizsight.services.forecast import HORIZON, TOTAL, forecast_metric, metric_history
from bizsight.services.forecast_store import reuse_forecast, store_forecast
from bizsight.services.project import Project
from bizsight.services.targets import months_to_last_target, target_pacing
from bizsight.warehouse.connection import Warehouse

DEFAULT_FORECASTS = (("revenue", "region"), ("orders", "region"))  # monthly, total and by region
SEASON = 12
MIN_MONTHS = 2 * SEASON + HORIZON["month"]  # two years to see the seasons, plus a horizon to test on


def refresh_forecasts(project: Project, wh: Warehouse, reporter: Reporter) -> dict[str, int]:
    """Forecast the default metrics and pace the targets; returns rows written per table."""
    version = int(wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'"))
    run_at = dt.datetime.now()
    written: dict[str, int] = {}
    with wh.transaction():
        for metric, by in DEFAULT_FORECASTS:
            reporter.step(f"marts.forecasts: {metric} by month and {by}")
            try:
                history = metric_history(project, wh, metric, grain="month", by=by)
                total = history.filter(pc.equal(history.column("series"), pa.scalar(TOTAL)))
                months = total.num_rows
                if months < MIN_MONTHS:
                    reporter.warn(
                        f"marts.forecasts: {metric} skipped: {months} complete months of history, "
                        f"forecasts need {MIN_MONTHS}"
                    )
                    continue
                origin: dt.date = pc.max(total.column("period")).as_py()
                horizon = max(HORIZON["month"], months_to_last_target(wh, origin))
                stored = _forecast_or_keep(
                    project, wh, metric, by, history, horizon, run_at, version, reporter
                )
            except BizsightError as err:  # a metric without data must not stop the refresh
                reporter.warn(f"marts.forecasts: {metric} skipped: {err}")
                continue
            written["marts.forecasts"] = written.get("marts.forecasts", 0) + stored
        reporter.step("marts.target_pacing")
        try:
            # the forecasts just stored; where none covers a target, the fast models (as before)
            rows = target_pacing(project, wh=wh, candidates="fast")
        except BizsightError as err:
            reporter.warn(f"marts.target_pacing not rebuilt: {err}")
            rows = []
        if rows:
            wh.replace_table("marts", "target_pacing", _pacing_table(rows, version))
            written["marts.target_pacing"] = len(rows)
    return written


def _forecast_or_keep(
    project: Project,
    wh: Warehouse,
    metric: str,
    by: str,
    history: pa.Table,
    horizon: int,
    run_at: dt.datetime,
    version: int,
    reporter: Reporter,
) -> int:
    """Store the forecast of ``metric`` by month and ``by`` (whose monthly ``history`` is given):
    the last one again when it was made from the same inputs, a new one otherwise. Returns the
    rows stored."""
    inputs = forecast_inputs(history, horizon)
    kept = reuse_forecast(wh, metric, "month", by, inputs=inputs, run_at=run_at, data_version=version)
    if kept is not None:
        reporter.step(f"marts.forecasts: {metric} by {by} kept (its monthly history is unchanged)")
        return kept
    fc = forecast_metric(project, metric, by=by, grain="month", horizon=horizon, wh=wh)
    return store_forecast(wh, fc, run_at=run_at, data_version=version, inputs=inputs)


def forecast_inputs(history: pa.Table, horizon: int) -> str:
    """A fingerprint of what a refresh's forecast is made from: the complete periods' history
    (every series), the horizon and the forecasting code (its modules' text and statsforecast's
    version). Equal fingerprints give equal forecasts, so a refresh may keep the stored one."""
    digest = hashlib.sha256(_forecasting_code().encode())
    digest.update(str(horizon).encode())
    ordered = history.sort_by([("series", "ascending"), ("period", "ascending")])
    for name in ordered.column_names:
        digest.update(name.encode())
        digest.update(str(ordered.column(name).to_pylist()).encode())
    return digest.hexdigest()


@cache
def _forecasting_code() -> str:
    from bizsight.analytics import forecast
    from bizsight.services import forecast as service

    modules = [*sorted(Path(forecast.__file__).parent.glob("forecast*.py")), Path(service.__file__)]
    digest = hashlib.sha256(importlib.metadata.version("statsforecast").encode())
    for module in modules:
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _pacing_table(rows: list[dict[str, object]], version: int) -> pa.Table:
    fields: list[tuple[str, pa.DataType]] = [
        ("data_version", pa.int64()),
        ("metric", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("filter", pa.string()),
        ("target", pa.float64()),
        ("actual", pa.float64()),
        ("pct_achieved", pa.float64()),
        ("elapsed", pa.float64()),
        ("expected", pa.float64()),
        ("probability", pa.float64()),
        ("status", pa.string()),
        ("note", pa.string()),
        ("basis", pa.string()),
    ]
    schema = pa.schema([pa.field(name, kind) for name, kind in fields])
    stamped = [{**row, "data_version": version} for row in rows]
    return pa.Table.from_pylist(
        [{name: row.get(name) for name in schema.names} for row in stamped], schema=schema
    )
