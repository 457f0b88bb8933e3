"""The pooled model (one network trained across the series of a call), on simulated series with a
known shared pattern: it learns what one short series cannot show, it is deterministic, and
forecast() uses it only from POOLED_MIN_SERIES series."""

from __future__ import annotations

import numpy as np
import pytest

from bizsight.analytics.forecast import POOLED_MIN_SERIES, ForecastSettings, forecast
from bizsight.analytics.forecast_combine import POOLED, combination_name, combine_members
from bizsight.analytics.forecast_models import Prediction, Series, Task, predict
from bizsight.analytics.forecast_pooled import PooledSettings, pooled
from bizsight.analytics.forecast_scores import mase, mase_scale
from tests.analytics.test_forecast import long_table

pytestmark = pytest.mark.slow  # model fits: seconds per test

H = 12


def shared_shape(count: int, seed: int) -> list[np.ndarray]:
    """Series of 96 + H months that all follow one S-shaped life cycle (slow start, growth,
    saturation) at different levels and phases, with 3 % noise. A series whose history ends in
    its growth phase gives no sign of the saturation ahead; the others, further along, show it."""
    rng = np.random.default_rng(seed)
    t = np.arange(96 + H)
    out = []
    for _ in range(count):
        middle, level = rng.uniform(50, 120), rng.uniform(100, 5000)
        curve = 0.2 + 1 / (1 + np.exp(-(t - middle) / 6))
        out.append(level * curve * np.exp(rng.normal(0, 0.03, t.size)))
    return out


def tasks_of(series: list[np.ndarray]) -> list[Task]:
    # Training part: all but the last H months; three cross-validation windows H apart.
    return [Task(Series(f"s{i}", 0, y[:-H]), 3, H) for i, y in enumerate(series)]


def test_pooled_beats_the_per_series_fit_where_the_series_share_a_pattern() -> None:
    series = shared_shape(POOLED_MIN_SERIES, seed=1)  # the fewest forecast() pools
    tasks = tasks_of(series)
    final, cv = pooled(tasks, horizon=H, levels=(80, 95), season_length=12)
    assert len(final) == len(cv) == POOLED_MIN_SERIES
    ets = predict([t.series for t in tasks], ["AutoETS"], horizon=H, levels=(80,), season_length=12)
    score = {"pooled": [], "ets": []}
    for task, y in zip(tasks, series, strict=True):
        scale = mase_scale(task.series.y, 12)
        score["pooled"].append(mase(y[-H:], final[task.series.uid].mean, scale))
        score["ets"].append(mase(y[-H:], ets[(task.series.uid, "AutoETS")].mean, scale))
    pooled_mase, ets_mase = np.mean(score["pooled"]), np.mean(score["ets"])
    # The truth: one curve for all; per series, ETS extrapolates the growth it has seen.
    assert pooled_mase < 0.7 * ets_mase, (pooled_mase, ets_mase)
    # Cross-validation forecasts for all three windows, with the actuals and ordered bounds.
    one = cv["s0"]
    assert one.actual is not None and one.mean.shape == one.actual.shape == (3 * H,)
    assert np.all(one.lo[80] < one.mean) and np.all(one.mean < one.hi[80])
    assert np.all(one.lo[95] < one.lo[80]) and np.all(one.hi[80] < one.hi[95])


def test_pooled_is_deterministic_and_leaves_out_series_that_are_not_positive() -> None:
    series = shared_shape(40, seed=2)
    series[0] = series[0] - series[0].min()  # a zero: no logarithm, left to the other models
    tasks = tasks_of(series)
    short = PooledSettings(max_iter=20)  # the seeds and the one thread make it repeatable, not the length
    first, cv_first = pooled(tasks, horizon=H, levels=(80,), season_length=12, settings=short)
    again, cv_again = pooled(tasks, horizon=H, levels=(80,), season_length=12, settings=short)
    assert "s0" not in first and len(first) == 39
    for uid in first:
        np.testing.assert_array_equal(first[uid].mean, again[uid].mean)
        np.testing.assert_array_equal(cv_first[uid].hi[80], cv_again[uid].hi[80])


def test_too_few_windows_to_learn_from_give_no_pooled_forecast() -> None:
    final, cv = pooled(tasks_of(shared_shape(3, seed=4)), horizon=H, levels=(80,), season_length=12)
    assert final == {} and cv == {}


def test_the_pooled_member_moves_the_mean_halfway_and_the_bounds_with_it() -> None:
    a = Prediction(np.array([10.0]), {80: np.array([8.0])}, {80: np.array([12.0])})
    b = Prediction(np.array([20.0]), {80: np.array([18.0])}, {80: np.array([22.0])})
    c = Prediction(np.array([12.0]), {80: np.array([10.0])}, {80: np.array([14.0])})
    p = Prediction(np.array([16.0]), {80: np.array([0.0])}, {80: np.array([99.0])})
    combined = combine_members({"AutoETS": a, "AutoCES": b, "AutoARIMA": c, POOLED: p})
    assert combined.mean.tolist() == [14.0]  # (median 12 + pooled 16) / 2
    assert combined.lo[80].tolist() == [12.0] and combined.hi[80].tolist() == [16.0]
    assert combination_name(("AutoETS", "AutoCES", POOLED)) == "Combination (ETS, CES; pooled)"


def test_forecast_pools_from_the_threshold_and_not_below() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(60)
    values = {
        f"shop{i:03d}": rng.uniform(200, 800) * (1 + 0.3 * np.sin(2 * np.pi * (t + i) / 12))
        + rng.normal(0, 5, 60)
        for i in range(POOLED_MIN_SERIES)
    }
    settings = ForecastSettings(horizon=6, candidates="fast", n_jobs=1)  # no ARIMA: half the time
    few = forecast(long_table(dict(list(values.items())[:20])), settings)
    assert POOLED not in set(few.accuracy.column("model").to_pylist())
    assert not any("pooled" in m for m in few.selection.column("model").to_pylist())
    many = forecast(long_table(values), settings)  # exactly POOLED_MIN_SERIES series
    assert POOLED in set(many.accuracy.column("model").to_pylist())
    models = set(many.selection.column("model").to_pylist())
    assert "Combination (ETS, Theta, CES, log ETS; pooled)" in models, models
