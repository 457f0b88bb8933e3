"""The churn model's binning done beforehand gives scikit-learn's own thresholds and the very same
model: the same predicted probabilities, row for row, as HistGradientBoosting binning the raw
values with class weights itself."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.binning import _find_binning_thresholds
from sklearn.utils.class_weight import compute_sample_weight

from bizsight.analytics.weighted_bins import PreBinned, bin_thresholds


def columns(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [
        rng.lognormal(3, 1, n),  # continuous, skewed
        rng.integers(0, 400, n).astype(float),  # many ties
        np.where(rng.random(n) < 0.2, np.nan, rng.gamma(1, 30, n).round(1)),  # missing values
        rng.integers(0, 40, n).astype(float),  # fewer distinct values than bins
    ]


@pytest.mark.parametrize("n", [300, 5_000, 40_000])
def test_thresholds_are_scikit_learns(n: int) -> None:
    rng = np.random.default_rng(n)
    y = (rng.random(n) < 0.3).astype(int)
    weights = compute_sample_weight("balanced", y)
    for column in columns(n, rng):
        ours = bin_thresholds(column, weights)
        theirs = _find_binning_thresholds(column, 255, weights)
        if ours is None:  # at most 255 distinct values: scikit-learn takes their midpoints itself
            assert np.unique(column[~np.isnan(column)]).size <= 255
        else:
            assert np.array_equal(ours, theirs)


def test_the_same_model_as_binning_the_values() -> None:
    rng = np.random.default_rng(7)
    n = 6_000
    x = np.column_stack([*columns(n, rng), rng.integers(0, 4, n).astype(float)])
    y = ((x[:, 0] > 25) ^ (rng.random(n) < 0.2)).astype(int)

    def model() -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=60,
            class_weight="balanced",
            categorical_features=[False, False, False, False, True],
            early_stopping=False,
            random_state=0,
        )

    plain = model().fit(x, y)
    binned = PreBinned(model()).fit(x, y)
    unseen = np.column_stack([*columns(500, np.random.default_rng(8)), np.full(500, 2.0)])
    assert [t is None for t in binned.thresholds_] == [False, False, False, True, True]
    assert np.array_equal(binned.predict_proba(x), plain.predict_proba(x))
    assert np.array_equal(binned.predict_proba(unseen), plain.predict_proba(unseen))
    assert np.array_equal(binned.predict(unseen), plain.predict(unseen))
