"""Forecast accuracy: MASE, sMAPE and interval coverage.

>>> import numpy as np
>>> history = np.array([10.0, 12, 14, 16])
>>> scale = mase_scale(history, season_length=1)  # mean absolute one-step change: 2
>>> mase(np.array([18.0, 20]), np.array([17.0, 21]), scale)
0.5
>>> round(smape(np.array([100.0]), np.array([50.0])), 4)  # a fraction: 66.67 %
0.6667
>>> coverage(np.array([1.0, 5.0]), np.array([0.0, 0.0]), np.array([2.0, 4.0]))
0.5
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def mase_scale(history: np.ndarray, season_length: int) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast (lag ``season_length``,
    or lag 1 when the history is shorter than two seasons); never 0, so a constant history
    does not divide by zero."""
    lag = season_length if season_length > 1 and len(history) > season_length else 1
    if len(history) <= lag:
        return 1.0
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
    if scale > 0 and np.isfinite(scale):
        return scale
    level = float(np.mean(np.abs(history)))
    return level if level > 0 else 1.0


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: mean |actual − predicted| / ``scale`` (1 = as good in-sample
    seasonal naive)."""
    return float(np.mean(np.abs(actual - predicted)) / scale)


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE as a fraction (0 – 2, shown as 0 – 200 %); a period where both are 0 counts
    as no error."""
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(
        np.abs(actual - predicted), denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(2.0 * np.mean(ratio))


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actuals inside [lo, hi]; NaN when the model gives no interval."""
    if np.all(np.isnan(lo)):
        return float("nan")
    return float(np.mean((actual >= lo) & (actual <= hi)))


def track_accuracy(forecasts: pa.Table, actuals: pa.Table) -> pa.Table:
    """Past forecasts (series, period, origin, step, forecast, lo_80, hi_80, lo_95, hi_95, ...)
    beside what happened (``actuals``: series, period, actual): the error (actual − forecast),
    the absolute percentage error (null when the actual is 0) and whether each interval held it.
    Periods without an actual yet are left out."""
    joined = forecasts.join(actuals, keys=["series", "period"], join_type="inner")
    actual = pc.cast(joined.column("actual"), pa.float64())
    error = pc.subtract(actual, joined.column("forecast"))
    nonzero = pc.if_else(pc.equal(actual, pa.scalar(0.0)), pa.scalar(None, pa.float64()), pc.abs(actual))
    ape = pc.divide(pc.abs(error), nonzero)  # a fraction, like every percentage bizsight stores
    out = joined.append_column("error", error).append_column("ape", ape)
    for level in (80, 95):
        inside = pc.and_(
            pc.greater_equal(actual, joined.column(f"lo_{level}")),
            pc.less_equal(actual, joined.column(f"hi_{level}")),
        )
        out = out.append_column(f"inside_{level}", pc.cast(inside, pa.float64()))
    return out.sort_by([("origin", "ascending"), ("series", "ascending"), ("period", "ascending")])
