"""The trends use case: a metric's moving averages, growth and seasonal decomposition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.trends import GRAINS, split_series, trend_columns
from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.periods import period_end
from bizsight.metrics.query import Filter, Query
from bizsight.presentation import Unit
from bizsight.services.project import Project
from bizsight.services.query import run_query
from bizsight.warehouse.connection import Warehouse


@dataclass(frozen=True)
class TrendsResult:
    """One row per period (× dimension value): the metric's value and its trend columns."""

    metric: str
    grain: str
    dimension: str | None
    table: pa.Table
    value_unit: Unit  # of the metric, its moving averages and trend; growth columns are percent
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "grain": self.grain,
            "dimension": self.dimension,
            "notes": self.notes,
            "rows": self.table.to_pylist(),
        }


def trends(
    project: Project,
    metric: str,
    *,
    grain: str = "day",
    by: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Sequence[Filter] = (),
    wh: Warehouse | None = None,
) -> TrendsResult:
    """Trend columns of ``metric`` at ``grain``, in total or by one dimension, for the periods
    from ``start`` to ``end``."""
    if grain not in GRAINS:
        raise InvalidArgumentError(
            f"unknown grain '{grain}'{did_you_mean(grain, GRAINS)}; use {', '.join(GRAINS)}"
        )
    if start is not None and end is not None and start > end:
        raise InvalidArgumentError(f"--from {start} is after --to {end}")
    # All the history up to ``end``: the first rows shown get their moving averages and growth,
    # and the decomposition sees every seasonal cycle there is.
    query = Query.model_validate(
        {"metrics": (metric,), "dimensions": (by,) if by else (), "grain": grain, "end": end}
    ).model_copy(update={"filters": tuple(filters)})
    result = run_query(project, query, wh=wh)
    pieces: list[pa.Table] = []
    notes: list[str] = []
    for series in split_series(result.table, metric, by):
        columns = trend_columns(series.periods, series.values, grain)
        keep = np.array([start is None or p >= start for p in series.periods], dtype=bool)
        data: dict[str, Any] = {"period": pa.array(series.periods, pa.date32()).filter(pa.array(keep))}
        if by:
            data[by] = [series.value] * int(keep.sum())
        data["value"] = _floats(series.values[keep])
        data.update({name: _floats(values[keep]) for name, values in columns.items()})
        pieces.append(pa.table(data))
        if np.isnan(columns["trend"]).all() and series.values.size:
            label = f"{by} {series.value}: " if by else ""
            notes.append(f"{label}too short for a seasonal decomposition (needs two full seasonal cycles)")
    table = pa.concat_tables(pieces) if pieces else pa.table({"period": pa.array([], pa.date32())})
    if table.num_rows and grain != "day":
        last: dt.date = pc.max(table.column("period")).as_py()
        notes += _partial_last_period(project, metric, grain, last, end, tuple(filters), wh)
    return TrendsResult(metric, grain, by, table, result.units.get(metric, Unit.NUMBER), notes)


def _partial_last_period(
    project: Project,
    metric: str,
    grain: str,
    last: dt.date,
    end: dt.date | None,
    filters: tuple[Filter, ...] = (),
    wh: Warehouse | None = None,
) -> list[str]:
    """A note when the data (or ``end``) stop before the last period does: its value, averages
    and growth are then for part of a period and look like a drop."""
    ends = period_end(last, grain)
    daily_query = Query.model_validate({"metrics": (metric,), "grain": "day", "start": last, "end": end})
    daily = run_query(project, daily_query.model_copy(update={"filters": filters}), wh=wh).table
    covered: dt.date | None = pc.max(daily.column("period")).as_py() if daily.num_rows else None
    if covered is None or covered >= ends:
        return []
    return [
        f"the last {grain} ({last} to {ends}) has data up to {covered} only: "
        "its value, averages and growth are for part of it"
    ]


def _floats(values: np.ndarray) -> pa.Array:
    """Rounded floats with NaN as null (JSON and CSV show them empty, not as NaN)."""
    return pa.array(np.round(values, 6), pa.float64(), mask=np.isnan(values))
