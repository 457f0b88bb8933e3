"""Moving averages and histograms against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from bizsight.analytics.smoothing import histogram, moving_average


def test_a_linear_series_averages_to_its_window_midpoint() -> None:
    values = np.arange(40, dtype=float)  # y = t: the mean of t-w+1..t is t - (w-1)/2
    for window in (1, 7, 30):
        got = moving_average(values, window)
        assert np.isnan(got[: window - 1]).all()
        np.testing.assert_allclose(got[window - 1 :], values[window - 1 :] - (window - 1) / 2)


def test_each_point_is_the_mean_of_its_window() -> None:
    values = np.random.default_rng(3).gamma(2.0, 100.0, size=90)
    got = moving_average(values, 7)
    for i in range(6, 90):
        assert got[i] == pytest.approx(values[i - 6 : i + 1].mean())


def test_a_series_shorter_than_the_window_has_no_average() -> None:
    assert np.isnan(moving_average(np.array([1.0, 2.0]), 7)).all()
    with pytest.raises(ValueError):
        moving_average(np.array([1.0]), 0)


def test_histogram_counts_every_finite_value_once() -> None:
    values = np.array([0.0, 0.5, 1.0, 9.9, 10.0, np.nan, np.inf])
    edges, counts = histogram(values, 2)
    assert edges == [0.0, 5.0, 10.0] and counts == [3, 2]
    assert histogram(np.array([np.nan]), 3) == ([], [])
