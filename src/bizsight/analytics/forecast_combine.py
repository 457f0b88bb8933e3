"""Combinations of forecasts, and the rule that lets one model replace the combination.

The default forecast of a series is the median, step by step, of the forecasts of several
diverse models (ETS, Theta, CES, ETS on the logarithms of a positive series and, where there
is time for it, ARIMA: docs/decisions/0049, 0053).
A single model replaces it only when the evidence is strong: its rolling-origin MASE is lower
than the combination's by ``MARGIN`` or more in *every* cross-validation window.

>>> import numpy as np
>>> a = Prediction(np.array([1.0, 2.0]), {80: np.array([0.0, 1.0])}, {80: np.array([2.0, 3.0])})
>>> b = Prediction(np.array([3.0, 2.0]), {80: np.array([2.0, 0.0])}, {80: np.array([4.0, 4.0])})
>>> c = Prediction(np.array([2.0, 9.0]), {80: np.array([1.0, 8.0])}, {80: np.array([3.0, 10.0])})
>>> combine([a, b, c]).mean.tolist()
[2.0, 2.0]
>>> combination_name(("AutoETS", "DynamicOptimizedTheta", "AutoCES"))
'Combination (ETS, Theta, CES)'
>>> strong_single({"AutoETS": np.array([0.5, 0.6, 0.7]), "Drift": np.array([0.5, 1.2, 0.5])},
...               np.array([1.2, 1.3, 1.4]))
'AutoETS'
>>> strong_single({"AutoETS": np.array([0.5, 0.6, 0.7])}, np.array([0.8, 0.9, 1.0])) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bizsight.analytics.forecast_models import Prediction

# The combination's members, in the order of their names; those not among a run's candidates
# (AutoARIMA when many series are forecast) are left out.
MEMBERS = ("AutoETS", "DynamicOptimizedTheta", "AutoCES", "AutoARIMA", "AutoETS (log)")
SHORT = {
    "AutoETS": "ETS",
    "DynamicOptimizedTheta": "Theta",
    "AutoCES": "CES",
    "AutoARIMA": "ARIMA",
    "AutoETS (log)": "log ETS",
}
POOLED = "Pooled"  # forecast_pooled: trained across the series of a call, from POOLED_MIN_SERIES
POOLED_WEIGHT = 0.5  # the pooled model's share of the mean; the median of the others has the rest
PREFIX = "Combination"
MARGIN = 0.5  # a single model must halve the combination's MASE in every window (0053)


def combination_name(members: Sequence[str]) -> str:
    """The name the result, the API and the UI show: the members by their short names."""
    names = ", ".join(SHORT.get(m, m) for m in members if m != POOLED)
    return f"{PREFIX} ({names}{'; pooled' if POOLED in members else ''})"


def is_combination(name: str) -> bool:
    """Whether a model name is a combination's."""
    return name.startswith(PREFIX)


def combine(preds: Sequence[Prediction]) -> Prediction:
    """The median of the members' forecasts, step by step, and the median of their interval
    bounds (quantile combination); the actuals of the first member (cross-validation)."""
    levels = preds[0].lo.keys()
    return Prediction(
        mean=np.median([p.mean for p in preds], axis=0),
        lo={level: np.median([p.lo[level] for p in preds], axis=0) for level in levels},
        hi={level: np.median([p.hi[level] for p in preds], axis=0) for level in levels},
        actual=preds[0].actual,
    )


def combine_members(preds: Mapping[str, Prediction]) -> Prediction:
    """The median of the members (by name), and where the pooled model is one of them, the
    mean of that median and the pooled forecast (weights POOLED_WEIGHT to the pooled one); the
    bounds are the median's, moved with its mean (the pooled model's own bounds are not used:
    interval widening calibrates the result from its cross-validation errors)."""
    median = combine([pred for name, pred in preds.items() if name != POOLED])
    if POOLED not in preds:
        return median
    mean = (1 - POOLED_WEIGHT) * median.mean + POOLED_WEIGHT * preds[POOLED].mean
    shift = mean - median.mean
    return Prediction(
        mean,
        {level: bound + shift for level, bound in median.lo.items()},
        {level: bound + shift for level, bound in median.hi.items()},
        median.actual,
    )


def window_mase(pred: Prediction, scale: float, windows: int) -> np.ndarray:
    """MASE of each cross-validation window (the windows' steps lie one after another);
    infinite where the model failed."""
    assert pred.actual is not None
    errors = np.abs(pred.actual - pred.mean).reshape(windows, -1)
    out = errors.mean(axis=1) / scale
    return np.where(np.isfinite(out), out, np.inf)


def strong_single(
    by_window: Mapping[str, np.ndarray], combination: np.ndarray, margin: float = MARGIN
) -> str | None:
    """The single model whose MASE is at most (1 − ``margin``) × the combination's in every
    window (the lowest mean MASE of those if several are), or None: keep the combination."""
    strong = {
        name: float(np.mean(scores))
        for name, scores in by_window.items()
        if np.all(scores <= (1 - margin) * combination)
    }
    return min(strong, key=lambda name: strong[name]) if strong else None
