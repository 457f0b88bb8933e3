"""The forecasting core on series with known structure: calendars, model choice, fallbacks,
interval coverage, reconciliation and the accuracy scores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from bizsight.analytics.forecast import ForecastSettings, forecast
from bizsight.analytics.forecast_calendar import Calendar
from bizsight.analytics.forecast_input import read_series
from bizsight.analytics.forecast_scores import mase_scale, track_accuracy
from bizsight.analytics.reconcile import reconcile
from bizsight.errors import InvalidArgumentError


def months(n: int, start: dt.date = dt.date(2020, 1, 1)) -> list[dt.date]:
    return [
        dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1) for i in range(n)
    ]


def long_table(series: dict[str, np.ndarray], dates: list[dt.date] | None = None) -> pa.Table:
    ids, ds, ys = [], [], []
    for uid, y in series.items():
        ids += [uid] * len(y)
        ds += (dates or months(len(y)))[: len(y)]
        ys += list(map(float, y))
    return pa.table({"unique_id": ids, "ds": ds, "y": ys})


def test_calendars_map_dates_to_consecutive_periods_and_back() -> None:
    month_ends = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    mondays = [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(3)]
    for dates, grain in ((month_ends, "month"), (mondays, "week"), (months(3), "month")):
        calendar, (series,) = read_series(long_table({"a": np.arange(3.0)}, dates))
        assert calendar.grain == grain
        assert calendar.dates(np.arange(series.start, series.start + 4)).astype(object).tolist()[:3] == dates
    # The period after 2024-03-31 is 2024-04-30; after Monday 2024-01-15, Monday 2024-01-22.
    assert Calendar("month", -1).dates(
        Calendar("month", -1).index(np.array(["2024-03-31"], "datetime64[D]")) + 1
    )[0] == np.datetime64("2024-04-30")
    quarters = [dt.date(2023, 1, 1), dt.date(2023, 4, 1), dt.date(2023, 7, 1)]
    assert read_series(long_table({"a": np.arange(3.0)}, quarters))[0].season_length == 4


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"unique_id": ["a"], "ds": [dt.date(2024, 1, 1)]}), "missing column y"),
        (pa.table({"id": ["a"], "ds": [dt.date(2024, 1, 1)], "y": [1.0]}), "missing column unique_id"),
        (
            long_table({"a": np.ones(3)}, [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 4, 1)]),
            "gap after 2024-02-01",
        ),
        (
            pa.table({"unique_id": ["a", "a"], "ds": [dt.date(2024, 1, 1)] * 2, "y": [1.0, 2.0]}),
            "two rows for",
        ),
        (pa.table({"unique_id": ["a"], "ds": ["soon"], "y": [1.0]}), "ds: expected dates"),
        (pa.table({"unique_id": ["a"], "ds": [dt.date(2024, 1, 1)], "y": ["many"]}), "y: expected numbers"),
        (pa.table({"unique_id": ["a", "a"], "ds": [1, 2], "y": [1.0, None]}), "y: 1 empty values"),
    ],
)
def test_bad_tables_are_refused_in_one_line(table: pa.Table, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message) as err:
        forecast(table, ForecastSettings(horizon=2))
    assert "\n" not in str(err.value)


def test_settings_are_checked() -> None:
    for bad in ({"horizon": 0}, {"horizon": 3, "levels": (80, 100)}, {"horizon": 3, "season_length": 0}):
        with pytest.raises(InvalidArgumentError):
            ForecastSettings(**bad)  # type: ignore[arg-type]


def test_short_and_intermittent_series_fall_back_and_say_why() -> None:
    rng = np.random.default_rng(3)
    data = long_table(
        {
            "short": 100 + rng.normal(0, 5, 15),  # 15 months: too short for 3 × cross-validation
            "sparse": np.where(rng.random(40) < 0.7, 0.0, rng.integers(1, 5, 40)),
            "one": np.array([7.0]),
            "long": 100 + 10 * np.sin(np.arange(48) * np.pi / 6) + rng.normal(0, 2, 48),
        }
    )
    result = forecast(data, ForecastSettings(horizon=3, candidates="fast"))
    chosen = {row["unique_id"]: row for row in result.selection.to_pylist()}
    assert chosen["short"]["method"] == "fallback" and chosen["short"]["model"] == "SeasonalNaive"
    assert "too short" in chosen["short"]["reason"]
    assert chosen["one"]["model"] == "Naive"
    assert chosen["sparse"]["model"] == "CrostonSBA" and "intermittent" in chosen["sparse"]["reason"]
    assert chosen["long"]["method"] == "cross-validation" and chosen["long"]["windows"] == 3
    rows = result.forecasts.to_pylist()
    assert len(rows) == 4 * 3
    sparse = [r for r in rows if r["unique_id"] == "sparse"]
    assert all(0 <= r["lo_95"] <= r["mean"] <= r["hi_95"] for r in sparse)  # no demand below zero
    short = [r["mean"] for r in rows if r["unique_id"] == "short"]
    assert short == pytest.approx(
        list(data.filter(pa.compute.equal(data["unique_id"], "short"))["y"].to_pylist()[3:6])
    )


def test_the_model_that_forecast_the_past_best_is_chosen_and_beats_seasonal_naive() -> None:
    """A trending seasonal series: seasonal naive lags a year of growth behind, so the chosen
    model (by cross-validation) must beat it on the next 12 months it never saw."""
    t = np.arange(72)
    factors = np.array([0.8, 0.8, 0.9, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.25, 1.4])
    y = 100 * 1.02**t * factors[t % 12] * np.exp(np.random.default_rng(5).normal(0, 0.02, 72))
    result = forecast(long_table({"shop": y[:60]}), ForecastSettings(horizon=12))
    pred = np.array(result.forecasts["mean"].to_pylist())
    scale = mase_scale(y[:60], 12)
    model_mase = np.mean(np.abs(y[60:] - pred)) / scale
    naive_mase = np.mean(np.abs(y[60:] - y[48:60])) / scale
    selection = result.selection.to_pylist()[0]
    assert selection["model"] != "SeasonalNaive"
    assert selection["mase"] < selection["seasonal_naive_mase"]
    assert model_mase < 0.6 * naive_mase, (model_mase, naive_mase)  # reached: 0.73 vs 1.71
    # The seasonal shape of the forecast is the stated one (December peak, February trough).
    detrended = pred / 1.02 ** t[60:]
    assert np.corrcoef(detrended, factors)[0, 1] > 0.95


def simulated_coverage(horizon: int, seed: int = 11) -> tuple[float, float, int]:
    """Coverage of the 80% and 95% intervals on 60 series from a local-level model with additive
    monthly seasonality and Gaussian noise (what ETS assumes), 54 months of history; and how
    many series had their intervals widened."""
    rng = np.random.default_rng(seed)
    n, count = 54, 60
    season = 10 * np.sin(np.arange(12) * np.pi / 6)
    series, future = {}, {}
    for k in range(count):
        level = 100 + np.cumsum(rng.normal(0, 1.5, n + horizon))
        y = level + season[np.arange(n + horizon) % 12] + rng.normal(0, 3, n + horizon)
        series[f"s{k:02d}"], future[f"s{k:02d}"] = y[:n], y[n:]
    result = forecast(long_table(series), ForecastSettings(horizon=horizon, candidates="fast"))
    inside: dict[int, list[bool]] = {80: [], 95: []}
    for row in result.forecasts.to_pylist():
        actual = future[row["unique_id"]][row["step"] - 1]
        for level in inside:
            inside[level].append(row[f"lo_{level}"] <= actual <= row[f"hi_{level}"])
    widened = sum("widened" in reason for reason in result.selection.column("reason").to_pylist())
    return float(np.mean(inside[80])), float(np.mean(inside[95])), widened


def test_intervals_cover_about_their_nominal_share_on_simulated_series() -> None:
    """Six months ahead: 360 points, but the 6 points of a series share its model's errors, so
    the effective sample is nearer 60 — the standard error of a coverage near 80% is then about
    5 points, near 95% about 3. With 18 cross-validation errors per series (< 30) the intervals
    are the models' own, which leave out parameter and model-choice uncertainty and run a few
    points narrow. Reached (seed 11): 0.72 and 0.91 (0.75 and 0.93 before decision 0053 kept
    each model's structure for cross-validation, which changes some choices); seeds 12 and 13
    before it: 0.72/0.90, 0.74/0.90."""
    cover80, cover95, widened = simulated_coverage(horizon=6)
    assert widened == 0
    assert 0.70 <= cover80 <= 0.90, cover80  # 80% ± 2 standard errors, less 2 points
    assert 0.89 <= cover95 <= 0.99, cover95


@pytest.mark.slow
def test_intervals_widened_from_cross_validation_errors_reach_their_nominal_share() -> None:
    """Twelve months ahead: 36 cross-validation errors per series, so intervals are widened to
    the coverage those errors call for. Reached (seed 11): 0.80 and 0.95, with 42 of the 60
    series widened (before decision 0053: 0.86 and 0.96, 37 widened; seeds 12 and 13: 0.81/0.97
    and 0.83/0.97): about nominal; the standard errors are about 5 and 3 points."""
    cover80, cover95, widened = simulated_coverage(horizon=12)
    assert widened > 10
    assert 0.72 <= cover80 <= 0.90, cover80
    assert 0.91 <= cover95 <= 0.99, cover95


def test_reconciliation_makes_parts_add_up_and_moves_the_uncertain_ones_most() -> None:
    rng = np.random.default_rng(2)
    total, parts = rng.uniform(90, 110, 4), rng.uniform(20, 40, (3, 4))
    variances = rng.uniform(1, 10, (4, 4))
    new_total, new_parts = reconcile(total, parts, variances)
    assert new_parts.sum(axis=0) == pytest.approx(new_total)
    # A part known exactly (variance ~0) keeps its value; the gap goes to the others.
    variances[1, :] = 0.0
    _, fixed = reconcile(total, parts, variances)
    assert fixed[0] == pytest.approx(parts[0])
    # Coherent forecasts stay as they are.
    same_total, same_parts = reconcile(parts.sum(axis=0), parts, variances)
    assert same_total == pytest.approx(parts.sum(axis=0)) and same_parts == pytest.approx(parts)


def test_tracked_accuracy_pairs_past_forecasts_with_actuals() -> None:
    forecasts = pa.table(
        {
            "series": ["t", "t", "t"],
            "period": [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)],
            "origin": [dt.date(2024, 12, 1)] * 3,
            "step": [1, 2, 3],
            "forecast": [100.0, 110.0, 120.0],
            "lo_80": [90.0, 95.0, 100.0],
            "hi_80": [110.0, 125.0, 140.0],
            "lo_95": [80.0, 85.0, 90.0],
            "hi_95": [120.0, 135.0, 150.0],
        }
    )
    actuals = pa.table(
        {"series": ["t", "t"], "period": [dt.date(2025, 1, 1), dt.date(2025, 2, 1)], "actual": [80.0, 110.0]}
    )
    rows = track_accuracy(forecasts, actuals).to_pylist()
    assert [r["error"] for r in rows] == [-20.0, 0.0]  # March has no actual yet
    assert [r["ape"] for r in rows] == [0.25, 0.0]  # fractions: 25 % and 0 %
    assert [r["inside_80"] for r in rows] == [0.0, 1.0] and [r["inside_95"] for r in rows] == [1.0, 1.0]
