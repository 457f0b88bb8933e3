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
from bizsight.analytics.trends import GRAINS, split_series
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


def detect_anomalies(project: Project, wh: Warehouse, reporter: Reporter) -> pa.Table:
    """Every configured series (bizsight.yml ``anomalies``) scored; one row per anomaly.

    Runs inside refresh's transaction, so the series are read on ``wh``'s own connection (a
    cursor would not see the tables refresh has just rebuilt). A series that cannot be read (a
    metric or dimension the catalogue does not know, a dimension the metric lacks) is skipped
    with a warning: a typo in bizsight.yml must not stop a refresh.
    """
    settings = project.settings.anomalies
    detector = DetectorSettings(threshold=settings.threshold, medium=settings.medium, high=settings.high)
    rows: list[dict[str, object]] = []
    for watched in settings.series:
        for dimension in (None, *watched.by):
            try:
                result = metric_table(project, wh, watched.metric, settings.grain, dimension)
            except BizsightError as err:
                reporter.warn(f"anomalies of {_name(watched.metric, dimension)} not scored: {err}")
                continue
            rows += _score_table(result, watched.metric, dimension, settings, detector)
    return pa.Table.from_pylist(rows, schema=ANOMALY_SCHEMA)


def _score_table(
    result: pa.Table,
    metric: str,
    dimension: str | None,
    settings: AnomalySettings,
    detector: DetectorSettings,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for series in split_series(result, metric, dimension):
        known = series.values[~np.isnan(series.values)]
        if known.size == 0 or float(np.median(np.abs(known))) < settings.min_median:
            continue  # too sparse: a day without orders is not news when most days have none
        scores = score_series(series.values, GRAINS[settings.grain].seasons, detector)
        if scores is not None:
            key = SeriesKey(metric, settings.grain, dimension, series.value)
            rows += anomaly_rows(key, series.periods, series.values, scores, detector)
    return rows


def metric_table(
    project: Project, wh: Warehouse, metric: str, grain: str, dimension: str | None = None
) -> pa.Table:
    """One metric at ``grain`` (by ``dimension``) over all the data, through the metrics
    layer's compiler, on ``wh``'s own connection."""
    query = Query.model_validate(
        {"metrics": (metric,), "dimensions": (dimension,) if dimension else (), "grain": grain}
    )
    compiled = compile_query(
        catalogue(project), query, today=dt.date.today(), fiscal_year_start=project.settings.fiscal_year_start
    )
    return wh.con.sql(compiled.sql("duckdb")).to_arrow_table()


def _name(metric: str, dimension: str | None) -> str:
    return f"{metric} by {dimension}" if dimension else metric


def write_anomalies(wh: Warehouse, found: pa.Table) -> None:
    """Replace marts.anomalies with ``found``."""
    wh.con.register("_anomalies", found)
    try:
        wh.run("CREATE OR REPLACE TABLE marts.anomalies AS SELECT * FROM _anomalies ORDER BY period, metric")
    finally:
        wh.con.unregister("_anomalies")


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
    with project.warehouse(read_only=True) as wh:
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
        if since is None:
            latest = wh.scalar(exp.select("max(period)").from_(mart))
            since = latest - dt.timedelta(days=DEFAULT_DAYS - 1) if latest else None
        query = exp.select("*").from_(mart)
        if since is not None:
            query = query.where(
                exp.GTE(this=col("period"), expression=exp.cast(lit(since.isoformat()), "DATE"))
            )
        if metrics:
            query = query.where(col("metric").isin(*(lit(m) for m in metrics)))
        if severity is not None:
            allowed = SEVERITIES[SEVERITIES.index(severity) :]
            query = query.where(col("severity").isin(*(lit(s) for s in allowed)))
        query = query.order_by("period DESC", "score DESC")
        return AnomalyList(wh.con.sql(query.sql("duckdb")).to_arrow_table(), since, total)
