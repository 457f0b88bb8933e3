"""The default forecast — the median combination — and the rule that lets one model replace it,
on constructed cases and on simulated series with known structure."""

from __future__ import annotations

import numpy as np
import pytest

from bizsight.analytics.forecast import ForecastSettings, forecast
from bizsight.analytics.forecast_combine import MEMBERS, combination_name, combine, strong_single, window_mase
from bizsight.analytics.forecast_models import Prediction
from bizsight.analytics.forecast_scores import mase_scale
from tests.analytics.test_forecast import long_table

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


def test_the_combination_is_the_median_of_its_members_and_of_their_bounds() -> None:
    means = [np.array([1.0, 5.0]), np.array([2.0, 1.0]), np.array([10.0, 3.0]), np.array([4.0, 2.0])]
    preds = [Prediction(m, {80: m - 1}, {80: m + 1}) for m in means]
    combined = combine(preds)
    assert combined.mean.tolist() == [3.0, 2.5]  # four members: the mean of the middle two
    assert combined.lo[80].tolist() == [2.0, 1.5] and combined.hi[80].tolist() == [4.0, 3.5]
    # One wild member moves the median no further than the middle members allow.
    preds[2] = Prediction(np.array([1e6, 3.0]), {80: np.zeros(2)}, {80: np.full(2, 2e6)})
    assert combine(preds).mean.tolist() == [3.0, 2.5]
    assert combination_name(MEMBERS) == "Combination (ETS, Theta, CES, ARIMA, log ETS)"


def test_window_mase_splits_the_errors_by_window() -> None:
    cv = Prediction(np.zeros(6), {}, {}, actual=np.array([1.0, 1.0, 2.0, 2.0, 0.0, 4.0]))
    assert window_mase(cv, scale=2.0, windows=3).tolist() == [0.5, 1.0, 1.0]


def test_one_model_replaces_the_combination_only_when_it_wins_every_window_by_the_margin() -> None:
    combination = np.array([1.0, 1.0, 1.0])
    # Half the combination's MASE or less in every window: strong evidence, the model is chosen.
    assert strong_single({"AutoETS": np.array([0.45, 0.4, 0.3])}, combination) == "AutoETS"
    # Far better on average but not in one window: the combination stays.
    assert strong_single({"AutoETS": np.array([0.1, 0.1, 0.6])}, combination) is None
    # Better in every window but by less than 50 %: the combination stays.
    assert strong_single({"AutoETS": np.array([0.6, 0.6, 0.6])}, combination) is None
    # Several strong ones: the lowest mean MASE.
    both = {"Drift": np.array([0.4, 0.4, 0.4]), "AutoETS": np.array([0.1, 0.2, 0.5])}
    assert strong_single(both, combination) == "AutoETS"
    assert strong_single({"AutoETS": np.array([0.0, 0.3, 0.5])}, combination) == "AutoETS"  # at the margin


def test_a_noisy_seasonal_series_gets_the_combination_named_by_its_members() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(60)
    y = 200 + 0.8 * t + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 6, 60)
    result = forecast(long_table({"shop": y}), ForecastSettings(horizon=6))
    selection = result.selection.to_pylist()[0]
    assert selection["model"] == "Combination (ETS, Theta, CES, ARIMA, log ETS)", selection
    assert "median of 5 models" in selection["reason"]
    assert set(result.forecasts.column("model").to_pylist()) == {selection["model"]}
    accuracy = {row["model"] for row in result.accuracy.to_pylist()}
    assert {"SeasonalNaive", "AutoETS", "DynamicOptimizedTheta", "AutoCES", "AutoARIMA"} <= accuracy


def test_a_series_seasonal_naive_forecasts_exactly_is_left_to_seasonal_naive() -> None:
    """The same year repeated with a one-off spike in the first year: seasonal naive forecasts
    every later window exactly, the smoothing models are thrown by the spike, so the rule's
    evidence (at most half the combination's MASE in every window) is there and seasonal naive is chosen."""
    year = np.array([50, 40, 60, 80, 120, 90, 70, 65, 100, 130, 160, 220.0])
    y = np.tile(year, 6)
    y[3] = 400.0
    result = forecast(long_table({"repeat": y}), ForecastSettings(horizon=6, candidates="fast"))
    selection = result.selection.to_pylist()[0]
    assert selection["model"] == "SeasonalNaive", selection
    assert "in every one of 3 cross-validation windows" in selection["reason"]
    assert result.forecasts.column("mean").to_pylist() == pytest.approx(year[:6].tolist())


def simulated(
    count: int, seed: int, n: int, horizon: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Trend × season × noise series with a level shift in every third one (known structure)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + horizon)
    history, future = {}, {}
    for k in range(count):
        season = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        shift = np.where((k % 3 == 0) & (t >= n // 2), 1 + rng.choice([-0.2, 0.2]), 1.0)
        noise = np.exp(rng.normal(0, rng.uniform(0.02, 0.08), n + horizon))
        y = rng.uniform(50, 500) * np.exp(rng.normal(0.005, 0.005) * t) * season * shift * noise
        history[f"s{k:02d}"], future[f"s{k:02d}"] = y[:n], y[n:]
    return history, future


def test_the_default_beats_seasonal_naive_on_simulated_series_by_a_stated_margin() -> None:
    """24 series of 60 months, 12 held out. Seasonal naive lags a year of growth behind; the
    combination must cut its MASE by 15 % or more on average (reached, seed 17: 0.66 of
    seasonal naive's MASE; 0.67 before decision 0053), and its 80 % intervals must hold 70 – 92 %
    of the held-out points (24 series × 12 points, correlated within a series: a standard error
    near 4 points; reached: 0.82, and 0.96 for the 95 % intervals; before: 0.80 and 0.94)."""
    history, future = simulated(24, seed=17, n=60, horizon=12)
    result = forecast(long_table(history), ForecastSettings(horizon=12))
    rows = result.forecasts.to_pylist()
    ours, naive, inside = [], [], []
    for uid, y in history.items():
        pred = np.array([r["mean"] for r in rows if r["unique_id"] == uid])
        lo = np.array([r["lo_80"] for r in rows if r["unique_id"] == uid])
        hi = np.array([r["hi_80"] for r in rows if r["unique_id"] == uid])
        scale = mase_scale(y, 12)
        ours.append(np.mean(np.abs(future[uid] - pred)) / scale)
        naive.append(np.mean(np.abs(future[uid] - y[-12:])) / scale)
        inside.extend((future[uid] >= lo) & (future[uid] <= hi))
    ratio = float(np.mean(ours) / np.mean(naive))
    assert ratio <= 0.85, ratio
    assert 0.70 <= float(np.mean(inside)) <= 0.92, np.mean(inside)
