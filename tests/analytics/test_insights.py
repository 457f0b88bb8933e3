"""The pure parts of automated insights (bizsight.analytics.insights) against known truth: a
member test that holds its stated false-alarm rate when nothing changed and finds a stated drop,
seasonal indices that recover known factors, the ranking and priority rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bizsight.analytics.insights import (
    Insight,
    Recommendation,
    excess_test,
    holm,
    order_recommendations,
    priority,
    rank,
    seasonal_indices,
)
from bizsight.analytics.significance import ALPHA, POISSON, WELCH, proportions_test

RUNS = 400
DAYS = 91  # a quarter
MEMBERS = 24  # e.g. four regions × six categories


def _period(rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
    """Daily revenue of each member: a Poisson number of orders a day, each a gamma amount
    (skewed, like order values)."""
    orders = rng.poisson(np.repeat(means[:, None], DAYS, axis=1) / 60.0)
    return np.where(orders > 0, rng.gamma(np.maximum(2.0 * orders, 1e-9), 30.0), 0.0)  # k gamma(2) sum


def _flagged(rng: np.random.Generator, drop: float) -> list[bool]:
    """One simulated quarter against the one before: the whole grows 8 %; member 0 falls by
    ``drop`` against that. Which members the Holm-corrected excess test flags."""
    base = rng.uniform(200.0, 900.0, MEMBERS)
    before = _period(rng, base)
    factor = np.full(MEMBERS, 1.08)
    factor[0] *= 1 - drop
    now = _period(rng, base * factor)
    growth = now.sum() / before.sum()
    tests = [excess_test(now[m], before[m], growth, WELCH) for m in range(MEMBERS)]
    return holm([t.p_value if t else 1.0 for t in tests], ALPHA)


def test_no_change_beyond_the_whole_flags_nothing_but_at_the_stated_rate() -> None:
    """With every member growing like the whole, the chance that any member is flagged is the
    stated family-wise rate α = 5 % (Holm); over 400 runs we allow three standard errors."""
    rng = np.random.default_rng(16)
    any_flag = np.mean([any(_flagged(rng, 0.0)) for _ in range(RUNS)])
    assert any_flag <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / RUNS)


def test_a_stated_drop_of_one_member_is_found() -> None:
    rng = np.random.default_rng(17)
    found = [_flagged(rng, 0.4) for _ in range(100)]
    assert np.mean([f[0] for f in found]) >= 0.9  # the member that fell
    assert np.mean([any(f[1:]) for f in found]) <= 0.15  # the others, rarely


def test_the_count_version_scales_the_previous_exposure_by_the_growth() -> None:
    # 200 events against 100 over equal days, the whole doubled: exactly as expected.
    assert excess_test([200, 30], [100, 30], 2.0, POISSON).p_value == pytest.approx(1.0)
    assert excess_test([100, 30], [100, 30], 2.0, POISSON).significant
    assert excess_test([1, 2], [1, 2], float("nan"), WELCH) is None


def test_holm_by_hand() -> None:
    # m = 4: sorted 0.001 ≤ 0.0125, 0.012 ≤ 0.0167, 0.02 ≤ 0.025, 0.06 > 0.05
    assert holm([0.02, 0.001, 0.06, 0.012]) == [True, True, False, True]
    assert holm([0.03, 0.04]) == [False, False]  # 0.03 > 0.05 / 2: nothing after it either
    assert holm([]) == []


def test_fishers_exact_test_by_hand() -> None:
    # 2 of 2 against 0 of 2: P = C(2,2)·C(2,0)/C(4,2) = 1/6 for the table and for its mirror.
    assert proportions_test(2, 2, 0, 2).p_value == pytest.approx(2 / 6)


def test_seasonal_indices_recover_known_month_factors() -> None:
    truth = np.array([0.86, 0.80, 0.90, 0.93, 0.96, 0.93, 0.91, 0.94, 0.98, 1.04, 1.27, 1.48])
    truth /= truth.mean()
    rng = np.random.default_rng(3)
    months = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]
    monthly = {}
    for i, m in enumerate(months):
        days = ((m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - m).days
        level = 1000 * 1.25 ** (i / 12)  # a growing business
        monthly[m] = days * level * truth[m.month - 1] * rng.lognormal(0, 0.02)
    found = seasonal_indices(monthly)
    assert found is not None
    got = np.array([found[m] for m in range(1, 13)])
    assert np.max(np.abs(got - truth)) < 0.05
    assert max(found, key=found.__getitem__) == 12 and min(found, key=found.__getitem__) == 2
    assert seasonal_indices(dict(list(monthly.items())[:23])) is None


def test_ranking_and_priority_rules() -> None:
    small = Insight("member", "small", "", (), 10.0)
    big = Insight("anomaly", "big", "", (), 500.0)
    tie_change = Insight("change", "z", "", (), 10.0)
    assert rank([small, big, tie_change]) == [big, tie_change, small]  # impact, then kind
    assert priority(5_000, 100_000) == "high" and priority(999, 100_000) == "low"

    def advice(p: str, impact: float | None) -> Recommendation:
        return Recommendation("investigate", f"{p}{impact}", "", (), p, impact, "low", "")

    ordered = order_recommendations(
        [advice("low", 9e9), advice("high", 1.0), advice("high", 5.0), advice("medium", None)]
    )
    assert [r.title for r in ordered] == ["high5.0", "high1.0", "mediumNone", "low9000000000.0"]
