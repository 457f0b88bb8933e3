"""Trailing moving averages and histograms of a series, with numpy (no pandas).

>>> import numpy as np
>>> moving_average(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
[nan, 1.5, 2.5, 3.5]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


def moving_average(values: Floats, window: int) -> Floats:
    """The mean of each value and the ``window - 1`` before it; NaN until a full window exists.

    >>> moving_average(np.array([2.0, 4.0, 6.0]), 3).tolist()
    [nan, nan, 4.0]
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    out = np.full(values.shape, np.nan)
    if values.size >= window:
        sums = np.cumsum(np.concatenate([[0.0], values]))
        out[window - 1 :] = (sums[window:] - sums[:-window]) / window
    return out


def histogram(values: Floats, bins: int) -> tuple[list[float], list[int]]:
    """Bin edges (``bins + 1``) and counts of the finite values.

    >>> histogram(np.array([0.0, 1.0, 1.0, 2.0]), 2)
    ([0.0, 1.0, 2.0], [1, 3])
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [], []
    counts, edges = np.histogram(finite, bins=bins)
    return [float(e) for e in edges], [int(c) for c in counts]
