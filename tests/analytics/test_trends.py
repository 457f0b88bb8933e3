"""Trends: moving averages and growth on hand-computed cases (empty periods, leap days), and
the seasonal decomposition on series with a known seasonal pattern."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from bizsight.analytics.decompose import decompose, usable_periods
from bizsight.analytics.trends import growth, moving_average, shift_date, split_series, trend_columns
from bizsight.demo.series import WEEKLY, SeriesSpec, simulate_series

NAN = float("nan")


def days(start: str, n: int) -> list[dt.date]:
    first = dt.date.fromisoformat(start)
    return [first + dt.timedelta(days=i) for i in range(n)]


def test_moving_average_by_hand_with_empty_periods() -> None:
    # A zero is an empty period of a sum (no sales): it counts. A null is an empty ratio: skipped.
    values = np.array([4.0, 0.0, 2.0, NAN, NAN, NAN, 6.0])
    assert moving_average(values, 3).tolist() == pytest.approx(
        [NAN, NAN, 2.0, 1.0, 2.0, NAN, 6.0], nan_ok=True
    )
    assert moving_average(np.array([1.0, 2.0]), 7).tolist() == pytest.approx([NAN, NAN], nan_ok=True)


def test_seven_day_average_of_a_weekly_pattern_is_flat() -> None:
    values = np.tile(WEEKLY, 5) + 10.0
    assert moving_average(values, 7)[6:] == pytest.approx(np.full(29, 10.0))


def test_month_on_month_and_year_on_year_by_hand() -> None:
    periods = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2025, 3, 31)]
    values = np.array([100.0, 120.0, 90.0, 180.0])
    # 29 Feb ← 29 Jan (absent); 31 Mar ← 29 Feb (the last day of February); 2025-03-31 ← 2024-03-31.
    assert growth(periods, values, months=1).tolist() == pytest.approx([NAN, NAN, -0.25, NAN], nan_ok=True)
    assert growth(periods, values, months=12).tolist() == pytest.approx([NAN, NAN, NAN, 1.0], nan_ok=True)


def test_leap_day_compares_with_28_february() -> None:
    assert shift_date(dt.date(2024, 2, 29), months=12) == dt.date(2023, 2, 28)
    assert shift_date(dt.date(2025, 2, 28), months=12) == dt.date(2024, 2, 28)
    assert shift_date(dt.date(2025, 3, 1), months=12) == dt.date(2024, 3, 1)
    periods = [dt.date(2023, 2, 28), dt.date(2024, 2, 29)]
    assert growth(periods, np.array([50.0, 75.0]), months=12).tolist() == pytest.approx(
        [NAN, 0.5], nan_ok=True
    )


def test_growth_from_nothing_or_from_a_null_is_null() -> None:
    periods = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
    values = np.array([0.0, 10.0, NAN, 5.0])
    # Feb ← 0 (no percentage), Mar is null, Apr ← null March.
    assert growth(periods, values, months=1).tolist() == pytest.approx([NAN, NAN, NAN, NAN], nan_ok=True)
    assert growth(periods, np.array([10.0, 0.0, 5.0, 5.0]), months=1).tolist() == pytest.approx(
        [NAN, -1.0, NAN, 0.0], nan_ok=True
    )


def test_week_grain_compares_with_52_weeks_earlier() -> None:
    weeks = [dt.date(2024, 1, 1) + dt.timedelta(weeks=i) for i in range(60)]
    values = np.arange(60, dtype=float) + 1.0
    columns = trend_columns(weeks, values, "week")
    assert list(columns)[:4] == ["ma_4w", "ma_13w", "mom", "yoy"]
    assert columns["yoy"][52] == pytest.approx(53.0 / 1.0 - 1.0)
    assert columns["mom"][4] == pytest.approx(5.0 / 1.0 - 1.0)
    assert columns["ma_4w"][3] == pytest.approx(2.5)


def test_decomposition_recovers_a_known_weekly_and_yearly_pattern() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0), 7)
    parts = decompose(sim.values, (7, 365))
    assert parts is not None
    weekly = parts.seasonals[7][:7] - parts.seasonals[7][:7].mean()
    # True weekly effects are ±40-120 against a noise of 30; measured error at most 8.
    assert weekly == pytest.approx(1000 * (WEEKLY - WEEKLY.mean()), abs=15.0)
    truth = sim.seasonal - sim.seasonal.mean()
    assert np.corrcoef(parts.seasonal, truth)[0, 1] > 0.98  # measured 0.992
    assert np.sqrt(np.mean((parts.seasonal - truth) ** 2)) < 0.7 * 30.0  # measured 15.4
    assert parts.trend + parts.seasonal + parts.remainder == pytest.approx(sim.values)


def test_an_outlier_does_not_bend_the_decomposition() -> None:
    sim = simulate_series(SeriesSpec(anomalies=0, days=400), 4)
    spiked = sim.values.copy()
    spiked[200] += 3000.0
    clean, bent = decompose(sim.values, (7,)), decompose(spiked, (7,))
    assert clean is not None
    assert bent is not None
    assert bent.weights[200] == 0.0
    # A 100-sd spike moves a plain LOESS trend by 185 (measured); the robust one by ~10, a third
    # of the noise, through the weekly means of the neighbouring weeks in the first pass.
    assert np.abs(bent.trend - clean.trend).max() < 15.0


def test_periods_need_two_full_cycles() -> None:
    assert usable_periods((7, 365), 729) == (7,)
    assert usable_periods((7, 365), 730) == (7, 365)
    assert decompose(np.ones(13), (7,)) is None
    columns = trend_columns(days("2025-01-01", 10), np.arange(10.0), "day")
    assert np.isnan(columns["trend"]).all()
    assert columns["ma_7d"][6] == pytest.approx(3.0)


def test_split_series_orders_each_dimension_value_by_time() -> None:
    table = pa.table(
        {
            "period": [dt.date(2025, 1, 2), dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 2)],
            "region": ["EU", "EU", None, None],
            "orders": [2, 1, 5, 6],
        }
    )
    found = {s.value: s.values.tolist() for s in split_series(table, "orders", "region")}
    assert found == {"EU": [1.0, 2.0], "(none)": [5.0, 6.0]}
