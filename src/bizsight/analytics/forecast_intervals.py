"""Interval adjustments: empirical intervals for Croston, and widening a model's intervals to
the coverage its cross-validation errors call for.

>>> import numpy as np
>>> cv = Prediction(np.zeros(40), {80: np.full(40, -1.0)}, {80: np.full(40, 1.0)}, np.linspace(-2, 2, 40))
>>> widening(cv, 80)  # half the errors fell outside ±1; ±1.69 holds the share an 80% interval should
1.69
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bizsight.analytics.forecast_models import Prediction

MIN_ERRORS = 30  # fewer cross-validation errors than this say too little about the tails


def empirical(pred: Prediction, history: np.ndarray, levels: Sequence[int]) -> Prediction:
    """Intervals from the quantiles of the past values (Croston gives a mean demand only)."""
    lo = {level: np.full_like(pred.mean, np.quantile(history, (1 - level / 100) / 2)) for level in levels}
    hi = {level: np.full_like(pred.mean, np.quantile(history, 1 - (1 - level / 100) / 2)) for level in levels}
    return Prediction(pred.mean, lo, hi)


def widening(cv: Prediction, level: int) -> float:
    """How much to stretch the interval at ``level`` so that it would have held ``level``% of the
    cross-validation errors (split-conformal quantile of each error over its side's half-width);
    1 when it held them already or when there are fewer than MIN_ERRORS errors. Never narrows."""
    assert cv.actual is not None
    up, down = cv.hi[level] - cv.mean, cv.mean - cv.lo[level]
    half = np.where(cv.actual >= cv.mean, up, down)
    ok = np.isfinite(half) & (half > 0)
    if ok.sum() < MIN_ERRORS:
        return 1.0
    ratios = np.sort(np.abs(cv.actual - cv.mean)[ok] / half[ok])
    n = len(ratios)
    rank = min(n, math.ceil((n + 1) * level / 100))
    return round(max(1.0, float(ratios[rank - 1])), 2)


def widened(pred: Prediction, factors: dict[int, float]) -> Prediction:
    """``pred`` with each interval stretched around the mean by its factor."""
    return Prediction(
        pred.mean,
        {k: pred.mean - factors[k] * (pred.mean - v) for k, v in pred.lo.items()},
        {k: pred.mean + factors[k] * (v - pred.mean) for k, v in pred.hi.items()},
    )
