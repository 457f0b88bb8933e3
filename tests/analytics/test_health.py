"""The health-score rule, worked out by hand (docs/executive.md)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from bizsight.analytics.health import kpi_score, score_kpi, section_score, summarise, trend_z
from bizsight.config.executive import ExecutiveSettings, KpiRule


def rule(**kw: object) -> KpiRule:
    return KpiRule.model_validate({"metric": "m", **kw})


def test_target_rule_at_target_scores_100_and_at_the_floor_0() -> None:
    r = rule(rule="target", target=200)
    assert score_kpi(r, 200.0) == 100.0
    assert score_kpi(r, 260.0) == 100.0  # capped
    assert score_kpi(r, 150.0) == pytest.approx(50.0)  # a = 0.75: (0.75 − 0.5) / 0.5
    assert score_kpi(r, 100.0) == 0.0
    assert score_kpi(r, 40.0) == 0.0


def test_target_rule_when_lower_is_better_inverts_achievement() -> None:
    r = rule(rule="target", target=30, direction="lower", floor=0.6)
    assert score_kpi(r, 30.0) == 100.0
    assert score_kpi(r, 40.0) == pytest.approx(100 * (0.75 - 0.6) / 0.4)  # a = 30/40 = 0.75 → 37.5


def test_trend_rule_is_the_logistic_of_the_z_score() -> None:
    history = [8.0, 10.0, 12.0]  # mean 10, sd 2
    assert trend_z(13.0, history) == pytest.approx(1.5)
    assert score_kpi(rule(), 10.0, history) == pytest.approx(50.0)
    assert score_kpi(rule(), 13.0, history) == pytest.approx(100 / (1 + math.exp(-1.5)))  # 81.76
    assert score_kpi(rule(direction="lower"), 13.0, history) == pytest.approx(100 / (1 + math.exp(1.5)))
    assert score_kpi(rule(), 13.0, [8.0]) is None  # one earlier value is no trend


def test_threshold_rule_is_linear_between_bad_and_good() -> None:
    r = rule(rule="threshold", good=0.01, bad=0.05, direction="lower")
    assert score_kpi(r, 0.0) == 100.0
    assert score_kpi(r, 0.02) == pytest.approx(75.0)
    assert score_kpi(r, 0.09) == 0.0


def test_change_measure_scores_the_difference_between_periods() -> None:
    k = kpi_score(rule(measure="change", rule="threshold", good=0.005, bad=-0.005), [0.040, 0.042, 0.044])
    assert k.key == "m:change"
    assert k.value == pytest.approx(0.002) and k.previous == pytest.approx(0.002)
    assert k.score == pytest.approx(70.0)  # (0.002 + 0.005) / 0.01


def test_section_is_the_weighted_mean_and_drivers_sum_to_its_deviation() -> None:
    a = kpi_score(rule(metric="a", weight=2, rule="target", target=100), [100.0])  # 100
    b = kpi_score(rule(metric="b", rule="threshold", good=10, bad=0), [2.0])  # 20
    c = kpi_score(rule(metric="c"), [None], "not in the metrics catalogue")
    s = section_score("Sales", [a, b, c])
    assert s.score == pytest.approx((2 * 100 + 20) / 3)  # 73.33
    drivers = {k.key: k.driver for k in s.drivers}
    assert drivers == pytest.approx({"a": 2 * 50 / 3, "b": -30 / 3})  # +33.3 and −10 points
    assert sum(drivers.values()) == pytest.approx(s.score - 50)
    assert [k.key for k in s.drivers] == ["a", "b"]
    assert s.missing == ["c (not in the metrics catalogue)"]


def test_a_section_with_nothing_scored_has_no_score_and_says_why() -> None:
    s = section_score("Sales", [kpi_score(rule(metric="win_rate"), [], "not in the metrics catalogue")])
    assert s.score is None
    text = summarise(s, str, lambda v, k: str(v))
    assert text == "Sales cannot be scored: win_rate (not in the metrics catalogue)."


def test_summary_cites_the_numbers() -> None:
    up = kpi_score(rule(metric="revenue", rule="target", target=100), [120.0])
    down = kpi_score(rule(metric="churn", rule="threshold", good=0, bad=10, direction="lower"), [8.0])
    s = section_score("Financial", [up, down])
    text = summarise(s, str.title, lambda v, k: f"{v:.0f}")
    assert text == (
        "Financial scores 60/100 (steady). Revenue at 120 (target 100) pulled it up by 25 points. "
        "Churn at 8 (good at 0) pulled it down by 15 points."
    )


def test_settings_refuse_incomplete_rules_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="target rule needs target"):
        rule(rule="target")
    with pytest.raises(ValidationError, match="good and bad"):
        rule(rule="threshold", good=1)
    with pytest.raises(ValidationError):
        rule(wieght=2)
    assert list(ExecutiveSettings().sections) == ["Financial", "Customer", "Sales", "Market", "Operational"]
