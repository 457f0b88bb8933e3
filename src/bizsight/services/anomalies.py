"""The anomalies use cases: score the configured metric series at every refresh (marts.anomalies)
and list what was found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from bizsight.analytics.anomalies import (
    ANOMALY_SCHEMA,
    SEVERITIES,
    DetectorSettings,
    SeriesKey,
    anomaly_rows,
    score_series,
)
from bizsight.analytics.trends import GRAINS, Series, split_series
from bizsight.config.settings import AnomalySettings
from bizsight.console import Reporter
from bizsight.errors import BizsightError, InvalidArgumentError, NotInitializedError, did_you_mean
from bizsight.metrics.compiler import compile_query
from bizsight.metrics.query import Query
from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import col, lit, table

DEFAULT_DAYS = 30  # without --since: anomalies of the last 30 days of data


@dataclass(frozen=True)
class Detection:
    """What a refresh found: one row per anomaly (``anomalies``) and one per watched series with
    its span, its number of anomalies and whether it was scored (``series``)."""

    anomalies: pa.Table
    series: pa.Table


_SERIES_COLUMNS: dict[str, pa.DataType] = {
    "metric": pa.string(),
    "grain": pa.string(),
    "dimension": pa.string(),
    "dimension_value": pa.string(),
    "first_period": pa.date32(),
    "last_period": pa.date32(),
    "points": pa.int64(),
    "anomalies": pa.int64(),
    "status": pa.string(),
}
SERIES_SCHEMA = pa.schema(_SERIES_COLUMNS)


def detect_anomalies(project: Project, wh: Warehouse, reporter: Reporter) -> Detection:
    """Every configured series (bizsight.yml ``anomalies``) scored.

    Runs inside refresh's transaction, so the series are read on ``wh``'s own connection (a
    cursor would not see the tables refresh has just rebuilt). A series that cannot be read (a
    metric or dimension the catalogue does not know, a dimension the metric lacks) is skipped
    with a warning: a typo in bizsight.yml must not stop a refresh.
    """
    settings = project.settings.anomalies
    detector = DetectorSettings(threshold=settings.threshold, medium=settings.medium, high=settings.high)
    found: list[dict[str, object]] = []
    watched_series: list[dict[str, object]] = []
    wanted = [(watched.metric, dimension) for watched in settings.series for dimension in (None, *watched.by)]
    tables = metric_tables(project, wh, settings.grain, wanted)
    for watched in settings.series:
        for dimension in (None, *watched.by):
            result = tables[(watched.metric, dimension)]
            if isinstance(result, BizsightError):
                reporter.warn(f"anomalies of {_name(watched.metric, dimension)} not scored: {result}")
                continue
            for series in split_series(result, watched.metric, dimension):
                key = SeriesKey(watched.metric, settings.grain, dimension, series.value)
                rows, status = _score(key, series, settings, detector)
                found += rows
                watched_series.append(_summary(key, series, len(rows), status))
    return Detection(
        pa.Table.from_pylist(found, schema=ANOMALY_SCHEMA),
        pa.Table.from_pylist(watched_series, schema=SERIES_SCHEMA),
    )


def _score(
    key: SeriesKey, series: Series, settings: AnomalySettings, detector: DetectorSettings
) -> tuple[list[dict[str, object]], str]:
    known = series.values[~np.isnan(series.values)]
    if known.size == 0 or float(np.median(np.abs(known))) < settings.min_median:
        return [], "skipped: median below min_median"  # a day without orders is not news when most have none
    scores = score_series(series.values, GRAINS[settings.grain].seasons, detector)
    if scores is None:
        return [], "skipped: shorter than two seasonal cycles"
    return anomaly_rows(key, series.periods, series.values, scores, detector), "scored"


def _summary(key: SeriesKey, series: Series, anomalies: int, status: str) -> dict[str, object]:
    return {
        "metric": key.metric,
        "grain": key.grain,
        "dimension": key.dimension,
        "dimension_value": key.dimension_value,
        "first_period": series.periods[0] if series.periods else None,
        "last_period": series.periods[-1] if series.periods else None,
        "points": len(series.periods),
        "anomalies": anomalies,
        "status": status,
    }


def metric_tables(
    project: Project, wh: Warehouse, grain: str, wanted: list[tuple[str, str | None]]
) -> dict[tuple[str, str | None], pa.Table | BizsightError]:
    """Each (metric, dimension) of ``wanted`` at ``grain`` over all the data, or the error that
    stopped it. Metrics over the same tables (not growth, which looks back) by the same dimension
    are read in one query: one scan of the order lines for revenue, orders and average order
    value instead of three, each column as the metric's own query computes it (the same spine
    of periods and dimension values). A batch that fails is read metric by metric, so the error
    names its series."""
    cat = catalogue(project)
    batches: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for metric, dimension in dict.fromkeys(wanted):
        known = metric in cat.metrics and not cat.metrics[metric].growth
        tables = (
            tuple(sorted({str(cat.metrics[a].model) for a in cat.aggregates([metric])}))
            if known
            else (metric,)
        )
        batches.setdefault((dimension, tables), []).append(metric)
    found: dict[tuple[str, str | None], pa.Table | BizsightError] = {}
    for (dimension, _), metrics in batches.items():
        try:
            table = metric_table(project, wh, tuple(metrics), grain, dimension)
            found.update({(metric, dimension): table for metric in metrics})
        except BizsightError:
            for metric in metrics:
                try:
                    found[(metric, dimension)] = metric_table(project, wh, (metric,), grain, dimension)
                except BizsightError as err:
                    found[(metric, dimension)] = err
    return found


def metric_table(
    project: Project, wh: Warehouse, metrics: tuple[str, ...], grain: str, dimension: str | None = None
) -> pa.Table:
    """Metrics at ``grain`` (by ``dimension``) over all the data, through the metrics layer's
    compiler, on ``wh``'s own connection."""
    query = Query.model_validate(
        {"metrics": metrics, "dimensions": (dimension,) if dimension else (), "grain": grain}
    )
    compiled = compile_query(
        catalogue(project), query, today=dt.date.today(), fiscal_year_start=project.settings.fiscal_year_start
    )
    return wh.con.sql(compiled.sql("duckdb")).to_arrow_table()


def _name(metric: str, dimension: str | None) -> str:
    return f"{metric} by {dimension}" if dimension else metric


def write_anomalies(wh: Warehouse, found: Detection) -> None:
    """Replace marts.anomalies and marts.anomaly_series with what ``found`` holds."""
    for name, rows, order in (
        ("anomalies", found.anomalies, ("period", "metric")),
        ("anomaly_series", found.series, ("metric", "dimension", "dimension_value")),
    ):
        wh.replace_table("marts", name, rows.sort_by([(column, "ascending") for column in order]))


@dataclass(frozen=True)
class AnomalyList:
    """What ``bizsight anomalies`` shows: the anomalies from ``since`` on, newest first, and
    how many the mart holds in all."""

    table: pa.Table
    since: dt.date | None
    total: int

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since, "total": self.total, "anomalies": self.table.to_pylist()}


def list_anomalies(
    project: Project,
    *,
    since: dt.date | None = None,
    metrics: tuple[str, ...] = (),
    severity: str | None = None,
    wh: Warehouse | None = None,
) -> AnomalyList:
    """Anomalies found by the last refresh: from ``since`` (default: the last 30 days up to the
    latest scored period), of ``metrics`` (default: all), of at least ``severity``."""
    if severity is not None and severity not in SEVERITIES:
        raise InvalidArgumentError(
            f"unknown severity '{severity}'{did_you_mean(severity, SEVERITIES)}; use low, medium or high"
        )
    if not project.paths.warehouse.exists():
        raise NotInitializedError(
            f"no warehouse in {project.root.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first"
        )
    if wh is None:
        with project.warehouse(read_only=True) as owned:
            return list_anomalies(project, since=since, metrics=metrics, severity=severity, wh=owned)
    if not wh.table_exists("marts", "anomalies"):
        raise NotInitializedError("no anomalies scored yet: run `bizsight refresh`")
    mart = table("marts", "anomalies")
    total = int(wh.scalar(exp.select("count(*)").from_(mart)))
    known = {m for (m,) in wh.rows(exp.select("metric").distinct().from_(mart))}
    for metric in metrics:
        if metric not in known:
            watched = ", ".join(sorted(known)) or "none"
            raise InvalidArgumentError(
                f"no anomalies of '{metric}'{did_you_mean(metric, known)} (metrics with anomalies: "
                f"{watched}; bizsight.yml anomalies.series says which metrics are scored)"
            )
    if since is None and wh.table_exists("marts", "anomaly_series"):
        latest = wh.scalar(exp.select("max(last_period)").from_(table("marts", "anomaly_series")))
        since = latest - dt.timedelta(days=DEFAULT_DAYS - 1) if latest else None
    query = exp.select("*").from_(mart)
    if since is not None:
        query = query.where(exp.GTE(this=col("period"), expression=exp.cast(lit(since.isoformat()), "DATE")))
    if metrics:
        query = query.where(col("metric").isin(*(lit(m) for m in metrics)))
    if severity is not None:
        allowed = SEVERITIES[SEVERITIES.index(severity) :]
        query = query.where(col("severity").isin(*(lit(s) for s in allowed)))
    query = query.order_by("period DESC", "score DESC")
    return AnomalyList(wh.con.sql(query.sql("duckdb")).to_arrow_table(), since, total)
