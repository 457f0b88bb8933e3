"""Forecasts by a dimension that add up to the total: weighted least-squares reconciliation.

A total and its k parts are forecast separately, so their means rarely add up. Reconciliation
projects the k + 1 base forecasts onto the coherent ones (total = sum of parts):
``ỹ = S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ``, with S the summing matrix (a row of ones over the identity) and
W the diagonal of the base forecasts' variances, step by step. That is MinT (Wickramasuriya,
Athanasopoulos & Hyndman 2019) with a diagonal covariance: a series whose forecast is
uncertain moves more than one that is sure. The full covariance MinT needs is not estimable from
a few cross-validation errors per series, and bottom-up would throw away the total's forecast,
usually the most accurate one.

>>> import numpy as np
>>> total, parts = reconcile(np.array([12.0]), np.array([[5.0], [5.0]]), np.array([[1.0], [1.0], [1.0]]))
>>> round(float(total[0]), 4), parts[:, 0].round(4).tolist()  # equal variances: the gap is shared
(11.3333, [5.6667, 5.6667])
"""

from __future__ import annotations

import numpy as np

_FLOOR = 1e-9  # a series forecast with no uncertainty keeps its value


def reconcile(total: np.ndarray, parts: np.ndarray, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coherent forecasts from base ones: ``total`` (h,), ``parts`` (k, h) and ``variances``
    (k + 1, h), the total's first; variances that are missing (NaN) count as equal weights."""
    k, h = parts.shape
    summing = np.vstack([np.ones((1, k)), np.eye(k)])
    base = np.vstack([total[None, :], parts])
    var = np.where(np.isfinite(variances), variances, np.nan)
    coherent = np.empty_like(base)
    for step in range(h):
        v = var[:, step]
        v = np.ones_like(v) if np.any(np.isnan(v)) else np.maximum(v, _FLOOR * max(float(v.max()), 1.0))
        weights = summing.T / v  # Sᵀ W⁻¹
        bottom = np.linalg.solve(weights @ summing, weights @ base[:, step])
        coherent[:, step] = summing @ bottom
    return coherent[0], coherent[1:]


def variance_from_interval(lo: np.ndarray, hi: np.ndarray, level: int) -> np.ndarray:
    """The variance of a normal forecast distribution with central interval [lo, hi] at ``level``%."""
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 200))
    return np.asarray(((hi - lo) / (2 * z)) ** 2, dtype=float)
