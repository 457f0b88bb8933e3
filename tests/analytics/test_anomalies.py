"""Anomaly detection against known truth: simulated daily series (trend, weekly and yearly
seasons, Gaussian noise) with spikes and drops of known size injected at known days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bizsight.analytics.anomalies import (
    DetectorSettings,
    SeriesKey,
    anomaly_rows,
    robust_scale,
    score_series,
    severity_of,
)
from bizsight.demo.series import SeriesSpec, simulate_series

DAILY = (7, 365)


def precision_recall(spec: SeriesSpec, seeds: range) -> tuple[float, float, int]:
    """Pooled over the series: precision, recall and the number of false alarms."""
    hits = false_alarms = misses = 0
    for seed in seeds:
        sim = simulate_series(spec, seed)
        scores = score_series(sim.values, DAILY)
        assert scores is not None
        flagged = set(np.flatnonzero(scores.flagged).tolist())
        truth = set(sim.anomaly_days.tolist())
        hits += len(flagged & truth)
        false_alarms += len(flagged - truth)
        misses += len(truth - flagged)
    precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
    return precision, hits / (hits + misses), false_alarms


def test_finds_injected_spikes_and_drops_of_5_to_8_standard_deviations() -> None:
    # 20 series × 3 years × 10 anomalies. Measured: precision 0.984, recall 0.925. A point's
    # score is the smaller of two z-scores whose expected values carry their own estimation
    # noise (~1.1 sd in all), so a 5 sd anomaly on a -1 sd noise draw can fall under 3.5:
    # recall cannot be near 1 at this size; the floors leave room for other seeds, not more.
    precision, recall, _ = precision_recall(SeriesSpec(), range(20))
    print(f"5-8 sd: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.93
    assert recall >= 0.88


def test_recall_falls_for_smaller_anomalies_while_precision_holds() -> None:
    # Measured at 4-5 sd: precision 0.975, recall 0.585; at this size about half are found.
    precision, recall, _ = precision_recall(SeriesSpec(min_size=4.0, max_size=5.0), range(20))
    print(f"4-5 sd: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9
    assert 0.4 <= recall < 0.88


def test_few_false_alarms_on_clean_series() -> None:
    # 20 clean series of 1,096 days (21,920 points): measured 6 false alarms, none high (one
    # in 3,600 points).
    false_alarms = 0
    severities = []
    for seed in range(100, 120):
        sim = simulate_series(SeriesSpec(anomalies=0), seed)
        scores = score_series(sim.values, DAILY)
        assert scores is not None
        false_alarms += int(scores.flagged.sum())
        severities += [severity_of(float(s)) for s in scores.score[scores.flagged]]
    print(f"clean: {false_alarms} false alarms in 21,920 points")
    assert false_alarms <= 12
    assert "high" not in severities


def test_z_scores_are_standard_on_clean_series() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0), 5)
    scores = score_series(sim.values, DAILY)
    assert scores is not None
    assert np.nanstd(scores.forecast_z) == pytest.approx(1.0, abs=0.15)
    assert np.nanstd(scores.residual_z) == pytest.approx(1.0, abs=0.15)


def test_an_outage_of_three_days_and_a_spike_on_the_last_day_are_found() -> None:
    # The forecast level learns from clipped errors, so the second and third day of an outage
    # are still judged against normal; the last day has no right-hand neighbours at all.
    sim = simulate_series(SeriesSpec(anomalies=0), 7)
    values = sim.values.copy()
    values[500:503] -= 7 * 30.0
    values[-1] += 8 * 30.0
    scores = score_series(values, DAILY)
    assert scores is not None
    assert np.flatnonzero(scores.flagged).tolist() == [500, 501, 502, values.size - 1]
    assert (values[500:503] < scores.lower[500:503]).all()
    assert values[-1] > scores.upper[-1]


def test_expected_value_is_the_clean_series_within_noise() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0), 9)
    scores = score_series(sim.values, DAILY)
    assert scores is not None
    error = (scores.expected - sim.clean)[60:]
    # Measured 0.61 sd: the level, the weekly and the yearly part are each estimated from a few
    # dozen points (~0.3-0.4 sd of error each), so forecasts miss the truth by well under the noise.
    assert np.sqrt(np.mean(error**2)) < 0.75 * 30.0


def test_nulls_are_never_flagged_and_short_series_are_not_scored() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0, days=200), 1)
    values = sim.values.copy()
    values[[50, 51, 120]] = np.nan
    scores = score_series(values, (7,))
    assert scores is not None
    assert not scores.flagged[[50, 51, 120]].any()
    assert score_series(values[:13], (7,)) is None  # fewer than two weeks


def test_rows_carry_direction_severity_and_dimension() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0, days=400), 2)
    values = sim.values.copy()
    values[300] += 12 * 30.0
    values[320] -= 6 * 30.0
    scores = score_series(values, (7,))
    assert scores is not None
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(values.size)]
    rows = anomaly_rows(SeriesKey("revenue", "day", "region", "Europe"), days, values, scores)
    by_day = {row["period"]: row for row in rows}
    spike, drop = by_day[days[300]], by_day[days[320]]
    assert (spike["direction"], spike["severity"]) == ("spike", "high")
    assert drop["direction"] == "drop"
    assert drop["severity"] in ("medium", "high")
    assert spike["dimension"] == "region"
    assert spike["dimension_value"] == "Europe"
    assert spike["lower"] < spike["expected"] < spike["upper"] < spike["actual"]


def test_thresholds_are_settings() -> None:
    strict = DetectorSettings(threshold=6.0, medium=8.0, high=12.0)
    sim = simulate_series(SeriesSpec(anomalies=10, min_size=4.0, max_size=5.0), 3)
    default, raised = score_series(sim.values, DAILY), score_series(sim.values, DAILY, strict)
    assert default is not None
    assert raised is not None
    assert raised.flagged.sum() < default.flagged.sum()
    assert not (raised.flagged & ~default.flagged).any()
    assert (raised.score[raised.flagged] >= 6.0).all()
    assert severity_of(7.0, strict) == "low"


def test_robust_scale_ignores_outliers_and_survives_constant_series() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 2.0, 5000)
    noise[:100] = 1e6
    assert robust_scale(noise) == pytest.approx(2.0, rel=0.05)
    mostly_zero = np.array([0.0] * 80 + [1.0] * 20)
    assert robust_scale(mostly_zero) > 0


@pytest.mark.parametrize(("points", "period"), [(48, 12), (156, 52)])
def test_monthly_and_weekly_series_with_a_yearly_season(points: int, period: int) -> None:
    # Four years of months, three years of weeks: a 10 sd spike ten points before the end is
    # the only point flagged (a yearly wave of ±5 sd and a trend are not news).
    rng = np.random.default_rng(0)
    t = np.arange(points)
    values = 1000 + 5 * t + 100 * np.sin(2 * np.pi * t / period) + rng.normal(0, 20, points)
    values[points - 10] += 200
    scores = score_series(values, (period,))
    assert scores is not None
    assert np.flatnonzero(scores.flagged).tolist() == [points - 10]


@pytest.mark.parametrize("size", [8.0, -10.0, 20.0])
def test_a_lasting_change_of_level_is_one_shift_and_spikes_after_it_are_still_found(size: float) -> None:
    # Shifts of 8 sd and more are found on their first day in 20 series of 20 (6 sd: 10 of 20).
    # Measured recall of the other anomalies: 0.915 (+8 sd), 0.95 (-10), 0.81 (+20); before the
    # step was taken out of the decomposition, 0.22 at +20 sd (it leaked into the yearly part).
    found_shifts = hits = injected = 0
    for seed in range(10):
        sim = simulate_series(SeriesSpec(anomalies=6), seed)
        values = sim.values.copy()
        values[600:] += size * 30.0
        scores = score_series(values, DAILY)
        assert scores is not None
        found_shifts += int(np.flatnonzero(scores.shift).tolist() == [600])
        truth = sim.anomaly_days[np.abs(sim.anomaly_days - 600) > 5]
        hits += int(scores.flagged[truth].sum())
        injected += truth.size
        others = np.setdiff1d(np.arange(601, 610), sim.anomaly_days)
        assert not scores.flagged[others].any()  # one event, not a week of alarms
    assert found_shifts == 10
    print(f"shift {size:+} sd: recall of the other anomalies {hits / injected:.3f}")
    assert hits / injected >= 0.75


def test_an_outage_is_outliers_not_a_shift() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0), 7)
    values = sim.values.copy()
    values[500:503] -= 8 * 30.0  # three days down, then back: a run of forecast errors too
    scores = score_series(values, DAILY)
    assert scores is not None
    assert np.flatnonzero(scores.flagged).tolist() == [500, 501, 502]
    assert not scores.shift.any()
