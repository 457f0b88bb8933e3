"""The significance tests against known truth: hand-computed small cases, and simulated periods
with a known true change — significant when it is large, and, when there is none, found
significant about as often as alpha says (fixed seeds)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from bizsight.analytics.significance import ALPHA, POISSON, WELCH, poisson_rates_test, welch_test

SIMULATIONS = 2000


def test_poisson_test_by_hand() -> None:
    # 10 events against 2 over equal days: under H0, X ~ Binomial(12, 1/2);
    # two-sided p = 2 * P(X >= 10) = 2 * (C(12,10) + C(12,11) + C(12,12)) / 2**12 = 158/4096.
    found = poisson_rates_test(10, 31, 2, 31)
    assert found is not None
    assert found.p_value == pytest.approx(2 * sum(comb(12, k) for k in (10, 11, 12)) / 2**12, rel=1e-12)
    assert found.significant and found.test == POISSON


def test_poisson_test_weighs_unequal_exposure() -> None:
    # 20 events in 20 days against 10 in 10 days is the same rate: nothing to see
    same = poisson_rates_test(20, 20, 10, 10)
    assert same is not None and same.p_value == pytest.approx(1.0) and not same.significant
    # the same counts over equal days is a doubling (p = 2 * P(X >= 20 | n=30, p=1/2) ≈ 0.099)
    doubled = poisson_rates_test(20, 10, 10, 10)
    assert doubled is not None
    assert doubled.p_value == pytest.approx(2 * sum(comb(30, k) for k in range(20, 31)) / 2**30, rel=1e-12)
    assert not doubled.significant


def test_welch_test_by_hand() -> None:
    a = [10.0, 12.0, 14.0, 16.0]  # mean 13, variance 20/3
    b = [1.0, 2.0, 3.0, 4.0, 5.0]  # mean 3, variance 2.5
    va, vb = 20 / 3 / 4, 2.5 / 5
    t = (13 - 3) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 4)
    from scipy.stats import t as student

    found = welch_test(a, b)
    assert found is not None and found.test == WELCH
    assert found.p_value == pytest.approx(2 * student.sf(t, df), rel=1e-9)
    assert found.significant


def test_nothing_to_test_is_none() -> None:
    assert poisson_rates_test(0, 30, 0, 30) is None
    assert poisson_rates_test(5, 0, 3, 30) is None
    assert welch_test([1.0], [1.0, 2.0]) is None
    assert welch_test([2.0, 2.0], [2.0, 2.0]) is None


def test_poisson_false_positives_stay_near_alpha() -> None:
    rng = np.random.default_rng(40)
    rejected = 0
    for _ in range(SIMULATIONS):
        k1, k2 = rng.poisson(300, size=2)
        found = poisson_rates_test(int(k1), 30, int(k2), 30)
        rejected += bool(found and found.significant)
    rate = rejected / SIMULATIONS
    # the exact conditional test is conservative: at most alpha, and not far below it
    assert 0.025 <= rate <= ALPHA + 0.01, rate


def test_poisson_finds_a_large_change_and_not_a_tiny_one() -> None:
    rng = np.random.default_rng(41)
    big = [poisson_rates_test(int(rng.poisson(390)), 30, int(rng.poisson(300)), 30) for _ in range(500)]
    small = [poisson_rates_test(int(rng.poisson(3.9)), 30, int(rng.poisson(3)), 30) for _ in range(500)]
    # +30% of 300 orders a month is z ≈ 3.4: found nearly always; +30% of 3 is noise
    assert np.mean([bool(f and f.significant) for f in big]) > 0.85
    assert np.mean([bool(f and f.significant) for f in small]) < 0.1


def test_welch_false_positives_stay_near_alpha() -> None:
    rng = np.random.default_rng(42)
    rejected = 0
    for _ in range(SIMULATIONS):
        now = rng.gamma(2.0, 500.0, size=30)  # skewed daily revenue, as shops have
        before = rng.gamma(2.0, 500.0, size=31)
        found = welch_test(now, before)
        rejected += bool(found and found.significant)
    rate = rejected / SIMULATIONS
    assert abs(rate - ALPHA) < 0.015, rate


def test_welch_finds_a_large_change() -> None:
    rng = np.random.default_rng(43)
    hits = 0
    for _ in range(500):
        found = welch_test(
            rng.gamma(2.0, 1000.0, size=30), rng.gamma(2.0, 500.0, size=30)
        )  # doubled: z ≈ 3.5
        hits += bool(found and found.significant)
    assert hits / 500 > 0.85
