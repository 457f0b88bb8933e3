"""Forecasts of the demo shop's metrics against the generator's ground truth, reconciliation,
stored forecasts tracked against later actuals, targets and what-if overlays."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from bizsight.analytics.forecast_scores import mase_scale
from bizsight.analytics.whatif import parse_scenario
from bizsight.errors import InvalidArgumentError
from bizsight.services.forecast import TOTAL, forecast_metric
from bizsight.services.forecast_store import current_forecast, store_forecast, tracked_accuracy
from bizsight.services.forecast_views import forecast_answer
from bizsight.services.project import Project
from bizsight.services.targets import target_pacing, targets_report
from tests.helpers import demo_project

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Five years of demo data (60 months), ending 2026-09-30."""
    return demo_project(tmp_path_factory.mktemp("forecast-demo"), customers=8_000, years=5.0, seed=7)


def month_factors(shop: Project) -> np.ndarray:
    truth = json.loads((shop.root.parent / "data" / "ground_truth.json").read_text())
    return np.array(list(truth["seasonality"]["month_factors"].values()))


def test_forecast_recovers_the_generators_monthly_seasonality(shop: Project) -> None:
    """Revenue a year ahead, per day of each month and with its growth trend taken out, follows
    the generator's month factors (ground_truth.json). Reached: correlation 0.987, largest
    deviation 4.8% (asked: above 0.95 and under 8%)."""
    fc = forecast_metric(shop, "revenue", horizon=12)
    rows = fc.forecasts.to_pylist()
    assert next(r["period"] for r in rows) == dt.date(2026, 10, 1)
    per_day = np.log(
        [r["forecast"] / calendar.monthrange(r["period"].year, r["period"].month)[1] for r in rows]
    )
    stated = np.log(month_factors(shop)[[r["period"].month - 1 for r in rows]])
    step = np.arange(12)
    trend = np.polyfit(step, per_day - stated, 1)
    seasonal = per_day - np.polyval(trend, step)
    assert np.corrcoef(seasonal, stated)[0, 1] > 0.95
    assert np.max(np.abs(seasonal - stated - np.mean(seasonal - stated))) < 0.08
    assert rows[2]["period"].month == 12 and rows[2]["forecast"] == max(r["forecast"] for r in rows)


def test_on_a_held_out_final_year_the_chosen_model_beats_seasonal_naive(shop: Project) -> None:
    """History to 2025-09-30, forecast the 12 months after it. The demo grows (acquisition +25%
    a year), so seasonal naive repeats last year too low. Reached: AutoARIMA, MASE 0.31 against
    1.22, an error 75% smaller; the test asks for at least 40% smaller."""
    actual = forecast_metric(shop, "revenue").history
    y = np.array(actual.column("actual").to_pylist())
    train, test = y[:-12], y[-12:]
    fc = forecast_metric(shop, "revenue", horizon=12, end=dt.date(2025, 9, 30))
    assert fc.origin == dt.date(2025, 9, 1)
    predicted = np.array(fc.forecasts.column("forecast").to_pylist())
    scale = mase_scale(train, 12)
    model_mase = float(np.mean(np.abs(test - predicted)) / scale)
    naive_mase = float(np.mean(np.abs(test - train[-12:])) / scale)
    assert model_mase < 0.6 * naive_mase, (model_mase, naive_mase)


def test_forecasts_by_region_add_up_to_the_total(shop: Project) -> None:
    fc = forecast_metric(shop, "revenue", by="region", horizon=3, candidates="fast")
    assert fc.reconciliation.startswith("weighted least squares")
    rows = fc.forecasts.to_pylist()
    regions = {r["series"] for r in rows} - {TOTAL}
    assert regions == {"Europe", "North America", "Asia Pacific", "Latin America"}
    for period in {r["period"] for r in rows}:
        total = next(r["forecast"] for r in rows if r["series"] == TOTAL and r["period"] == period)
        parts = sum(r["forecast"] for r in rows if r["series"] != TOTAL and r["period"] == period)
        assert parts == pytest.approx(total, rel=1e-9)
    for r in rows:  # each interval moved with its mean
        assert r["lo_95"] <= r["lo_80"] <= r["forecast"] <= r["hi_80"] <= r["hi_95"]
    # The base (unreconciled) forecasts did not add up, so reconciliation had work to do.
    base_total = sum(r["base"] for r in rows if r["series"] == TOTAL)
    assert base_total != pytest.approx(sum(r["base"] for r in rows if r["series"] != TOTAL), rel=1e-6)


def test_a_metric_that_does_not_add_up_is_not_reconciled(shop: Project) -> None:
    fc = forecast_metric(shop, "active_customers", by="category", grain="month", candidates="fast")
    assert fc.reconciliation.startswith("none: the metric does not add up")


def test_refresh_kept_forecasts_and_their_accuracy_is_tracked_against_later_actuals(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        kept = wh.rows(
            "SELECT metric, count(*), count(DISTINCT series), min(period) FROM marts.forecasts GROUP BY 1 ORDER BY 1"
        )
        pacing = wh.scalar("SELECT count(*) FROM marts.target_pacing")
    assert kept == [("orders", 15, 5, dt.date(2026, 10, 1)), ("revenue", 15, 5, dt.date(2026, 10, 1))]
    assert pacing == 80  # revenue: 15 months × (total + 4 regions); bookings: 5 quarters
    # A forecast made as of 2026-03-31 (as an earlier refresh would have), kept, then compared.
    with shop.warehouse() as wh:
        past = forecast_metric(
            shop, "revenue", by="region", end=dt.date(2026, 3, 31), candidates="fast", wh=wh
        )
        store_forecast(wh, past, run_at=dt.datetime(2026, 4, 1, 6, 0), data_version=1)
    report = tracked_accuracy(shop, "revenue", by="region")
    assert {r["period"] for r in report["rows"]} == {
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 1),
    }
    assert len(report["rows"]) == 15  # 3 months × (total + 4 regions); the current run has no actuals yet
    steps = report["by_step"]
    assert [s["step"] for s in steps] == [1, 2, 3] and all(s["n"] == 5 for s in steps)
    assert all(0 <= s["mape"] < 0.25 for s in steps)  # a fraction: under 25 %


def test_targets_are_paced_from_the_forecast_distribution(shop: Project) -> None:
    rows = target_pacing(shop, candidates="fast")
    assert len(rows) == 80  # revenue: 15 months × (total + 4 regions); bookings: 5 quarters
    ended = [r for r in rows if r["period_end"] <= dt.date(2026, 9, 30)]
    future = [r for r in rows if r["period_start"] > dt.date(2026, 9, 30)]
    assert len(ended) == 60 + 4 and len(future) == 15 + 1
    assert sorted({r["metric"] for r in future}) == ["bookings", "revenue"]
    for r in ended:
        assert r["status"] == ("achieved" if r["actual"] >= r["target"] else "missed")
        assert r["pct_achieved"] == pytest.approx(r["actual"] / r["target"])  # a fraction: 1.0 is 100 %
    for r in future:
        assert r["actual"] == 0 and r["elapsed"] == 0 and 0 < r["probability"] < 1
        assert r["status"] == ("on track" if r["probability"] >= 0.5 else "at risk")
    # A total target of revenue for October is paced on the total of the stored forecast for October.
    october = next(
        r
        for r in future
        if (r["metric"], r["filter"], r["period_start"]) == ("revenue", "", dt.date(2026, 10, 1))
    )
    with shop.warehouse(read_only=True) as wh:
        stored = current_forecast(wh, "revenue", "month", "region")
    assert stored is not None
    fc = stored.forecasts.to_pylist()
    expected = next(r["forecast"] for r in fc if r["series"] == TOTAL and r["period"] == dt.date(2026, 10, 1))
    assert october["expected"] == pytest.approx(expected, rel=1e-9)
    assert october["basis"] == stored.basis
    # `bizsight targets` reads marts.target_pacing, made by refresh from the same data.
    kept = targets_report(shop)
    assert "note" in kept[0] and len(kept) == len(rows)
    assert [
        (r["period_start"], r["filter"], r["status"]) for r in kept if r["period_end"] <= dt.date(2026, 9, 30)
    ] == [(r["period_start"], r["filter"], r["status"]) for r in ended]


def test_what_if_overlays_move_the_baseline_by_the_stated_assumptions(shop: Project) -> None:
    overlay = forecast_answer(shop, "revenue", scenarios=["price:+10%:elasticity=-2"], candidates="fast")
    assert overlay["basis"] == "forecast made now with a scenario"
    assert overlay["scenario"]["multiplier"] == pytest.approx(1.1 ** (1 - 2))  # revenue: price × quantity
    assert all(r["scenario"] == pytest.approx(r["forecast"] / 1.1) for r in overlay["forecasts"])
    units = forecast_answer(shop, "units", scenarios=["price:+10%:elasticity=-2"], candidates="fast")
    assert units["scenario"]["multiplier"] == pytest.approx(1.1**-2)
    extra = forecast_answer(
        shop, "revenue", scenarios=["new_customers:+10%:channel=Paid Search"], candidates="fast"
    )["scenario"]
    assert 1.0 < extra["multiplier"] < 1.1 and "first month" in extra["assumptions"][0]
    with pytest.raises(InvalidArgumentError, match="did you mean 'Paid Search'"):
        forecast_answer(
            shop, "revenue", scenarios=["new_customers:+10%:channel=Paid Serch"], candidates="fast"
        )
    with pytest.raises(InvalidArgumentError, match="needs elasticity"):
        parse_scenario("price:+5%")


def test_unknown_metric_dimension_or_grain_is_one_line(shop: Project) -> None:
    for kwargs, message in (
        ({"metric": "revenu"}, "did you mean 'revenue'"),
        ({"metric": "revenue", "by": "regoin"}, "did you mean 'region'"),
        ({"metric": "revenue", "grain": "quarter"}, "expected day, week or month"),
    ):
        with pytest.raises(InvalidArgumentError, match=message):
            forecast_metric(shop, **kwargs)  # type: ignore[arg-type]


def test_a_shop_with_little_history_skips_forecasts_with_a_reason(tmp_path: Path) -> None:
    from bizsight.console import NullReporter
    from bizsight.services.forecast_refresh import refresh_forecasts
    from tests.metrics.conftest import shop as tiny_shop

    tiny = tiny_shop(tmp_path)  # four months of orders
    reporter = NullReporter()
    with tiny.warehouse() as wh:
        assert refresh_forecasts(tiny, wh, reporter) == {}
    assert any("revenue skipped" in w and "need 27" in w for w in reporter.warnings), reporter.warnings
