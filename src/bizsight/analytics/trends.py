"""Trends of a metric series: moving averages, growth against a month and a year earlier, and
the seasonal decomposition (trend, seasons, remainder).

Each grain has its own windows and comparisons (:data:`GRAINS`): at day grain 7- and 30-day
moving averages, month-on-month (the same day of the previous month) and year-on-year (the same
date a year earlier); at week grain 4- and 13-week averages, 4 and 52 weeks earlier (52 weeks
keep the weekday mix); at month grain 3 and 12 months, the previous month and the month a year
earlier. A comparison day that does not exist is the last day of that month: 31 March compares
with 28 (or 29) February, 29 February with 28 February, as the metrics layer does.

Empty periods: the metrics layer returns 0 for a sum or count over a period without rows and
null for a ratio (an average order value without orders). A moving average is the mean of the
non-null values of its window, null until the first full window. Growth is null when either
value is null or the earlier value is 0 or negative (a change from nothing has no percentage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.decompose import SEASON_NAMES, decompose
from bizsight.metrics.periods import add_months


@dataclass(frozen=True)
class GrainSpec:
    """Windows (in periods, with a suffix for column names), comparisons (name → months and
    days back) and seasonal periods of one time grain."""

    windows: tuple[int, int]
    unit: str
    comparisons: dict[str, tuple[int, int]]
    seasons: tuple[int, ...]


GRAINS = {
    "day": GrainSpec((7, 30), "d", {"mom": (1, 0), "yoy": (12, 0)}, (7, 365)),
    "week": GrainSpec((4, 13), "w", {"mom": (0, 28), "yoy": (0, 364)}, (52,)),
    "month": GrainSpec((3, 12), "m", {"mom": (1, 0), "yoy": (12, 0)}, (12,)),
    "quarter": GrainSpec((2, 4), "q", {"qoq": (3, 0), "yoy": (12, 0)}, (4,)),
    "year": GrainSpec((2, 3), "y", {"yoy": (12, 0)}, ()),
}


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean of the non-null values of the last ``window`` periods; null for the first
    ``window - 1`` periods and for windows without any value.

    >>> moving_average(np.array([1.0, 2.0, np.nan, 4.0, 0.0]), 2).tolist()
    [nan, 1.5, 2.0, 4.0, 2.0]
    """
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(known, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(known)])
    window_sum = sums[window:] - sums[:-window]
    window_count = counts[window:] - counts[:-window]
    full = np.divide(window_sum, window_count, out=np.full(window_sum.shape, np.nan), where=window_count > 0)
    return np.concatenate([np.full(min(window - 1, values.size), np.nan), full])


def shift_date(day: dt.date, months: int = 0, days: int = 0) -> dt.date:
    """``day`` moved back by ``months`` (clamped to the end of a shorter month) and ``days``.

    >>> shift_date(dt.date(2025, 3, 31), months=1), shift_date(dt.date(2024, 2, 29), months=12)
    (datetime.date(2025, 2, 28), datetime.date(2023, 2, 28))
    """
    return add_months(day, -months) - dt.timedelta(days=days)


def growth(periods: Sequence[dt.date], values: np.ndarray, months: int = 0, days: int = 0) -> np.ndarray:
    """value / (the value ``months`` and ``days`` earlier) − 1, matched by date, not position:
    a comparison period missing from ``periods`` gives null.

    >>> days = [dt.date(2024, 1, 29), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    >>> growth(days, np.array([100.0, 0.0, 50.0]), months=1).tolist()
    [nan, -1.0, nan]
    """
    by_date = dict(zip(periods, np.asarray(values, dtype=float).tolist(), strict=True))
    result = np.full(len(periods), np.nan)
    for i, (period, value) in enumerate(by_date.items()):
        base = by_date.get(shift_date(period, months, days))
        if base is not None and base > 0 and not np.isnan(base) and not np.isnan(value):
            result[i] = value / base - 1.0
    return result


def trend_columns(periods: Sequence[dt.date], values: np.ndarray, grain: str) -> dict[str, np.ndarray]:
    """Every trend column of one series at ``grain``: ``ma_<w><unit>`` for both windows, one
    growth column per comparison, then ``trend``, one column per season (``weekly``, ``yearly``)
    and ``remainder`` (all null when the series is shorter than two cycles of any season)."""
    spec = GRAINS[grain]
    values = np.asarray(values, dtype=float)
    columns = {f"ma_{w}{spec.unit}": moving_average(values, w) for w in spec.windows}
    for name, (months, days) in spec.comparisons.items():
        columns[name] = growth(periods, values, months, days)
    parts = decompose(values, spec.seasons) if values.size else None
    empty = np.full(values.size, np.nan)
    columns["trend"] = parts.trend if parts else empty
    for period in spec.seasons:
        columns[SEASON_NAMES[period]] = (
            parts.seasonals[period] if parts and period in parts.seasonals else empty
        )
    columns["remainder"] = parts.remainder if parts else empty
    return columns


@dataclass(frozen=True)
class Series:
    """One series of a metric table: the dimension value (None for the total), its periods and values."""

    value: str | None
    periods: list[dt.date]
    values: np.ndarray


def split_series(table: pa.Table, metric: str, dimension: str | None = None) -> list[Series]:
    """A metric table from the metrics layer (``period``, the dimension, the metric) as one
    series per dimension value, in time order.

    >>> t = pa.table({"period": [dt.date(2025, 1, 2), dt.date(2025, 1, 1)], "x": [2, 1]})
    >>> [s.values.tolist() for s in split_series(t, "x")]
    [[1.0, 2.0]]
    """
    table = table.sort_by([(dimension, "ascending"), ("period", "ascending")] if dimension else "period")
    groups = [None] if dimension is None else pc.unique(table.column(dimension)).to_pylist()
    found = []
    for value in groups:
        part = table
        if dimension is not None:
            mask = (
                pc.is_null(table.column(dimension))
                if value is None
                else pc.equal(table.column(dimension), value)
            )
            part = table.filter(mask)
        numbers = pc.cast(part.column(metric), pa.float64()).to_numpy(zero_copy_only=False)
        label = None if dimension is None else "(none)" if value is None else str(value)
        periods = [p for p in part.column("period").to_pylist() if p is not None]
        found.append(Series(label, periods, numbers))
    return found
