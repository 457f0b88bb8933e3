"""Is a change between two periods more than noise? Two stated tests, chosen by what a metric is
(docs/decisions/0040-significant-changes.md):

* **Counts of events** (orders, active or new customers): the exact conditional test of two
  Poisson rates. Given ``k1`` events over ``t1`` days and ``k2`` over ``t2``, under "the rate did
  not change" ``k1`` is binomial with ``n = k1 + k2`` trials and ``p = t1 / (t1 + t2)``; the
  two-sided p-value is the binomial test's (:func:`poisson_rates_test`).
* **Amounts and averages** (revenue, units, average order value): Welch's t-test of the mean
  daily value of the two periods (unequal variances, :func:`welch_test`). A sum's day without
  rows counts as 0; an average's day without rows has no value.

A change is *significant* when the p-value is below ``alpha`` (5 % by default): not a fixed
percentage, so a 3 % change of a million orders can be significant while a 30 % change of ten is
not.

>>> round(poisson_rates_test(10, 30, 2, 30).p_value, 5)  # 2 · P(X ≥ 10 | n = 12, p = ½) = 158/4096
0.03857
>>> poisson_rates_test(10, 30, 2, 30).significant
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
POISSON = "exact test of two Poisson rates"
WELCH = "Welch's t-test of daily values"


@dataclass(frozen=True)
class ChangeTest:
    """A test's outcome: its p-value, whether it is below ``alpha``, and which test it was."""

    p_value: float
    significant: bool
    test: str


def poisson_rates_test(k1: int, t1: float, k2: int, t2: float, *, alpha: float = ALPHA) -> ChangeTest | None:
    """Whether ``k1`` events in ``t1`` (days) and ``k2`` in ``t2`` come from different rates; None
    when there is nothing to test (no events, or an empty exposure).

    >>> poisson_rates_test(100, 31, 100, 31).p_value
    1.0
    >>> poisson_rates_test(0, 31, 0, 31) is None
    True
    """
    from scipy.stats import binomtest

    k1, k2 = int(k1), int(k2)
    if k1 < 0 or k2 < 0 or t1 <= 0 or t2 <= 0 or k1 + k2 == 0:
        return None
    p = float(binomtest(k1, k1 + k2, t1 / (t1 + t2)).pvalue)
    return ChangeTest(p_value=min(p, 1.0), significant=p < alpha, test=POISSON)


def welch_test(
    current: Sequence[float], previous: Sequence[float], *, alpha: float = ALPHA
) -> ChangeTest | None:
    """Whether the mean of ``current`` differs from that of ``previous`` (Welch's t-test); None
    with fewer than two values on a side or no variation at all.

    >>> welch_test([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]).p_value
    1.0
    >>> welch_test([1.0], [2.0, 3.0]) is None
    True
    """
    from scipy.stats import ttest_ind

    a = np.asarray(current, dtype=float)
    b = np.asarray(previous, dtype=float)
    if a.size < 2 or b.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return None
    p = float(ttest_ind(a, b, equal_var=False).pvalue)
    if not np.isfinite(p):
        return None
    return ChangeTest(p_value=p, significant=p < alpha, test=WELCH)


FISHER = "Fisher's exact test of two proportions"


def proportions_test(x1: int, n1: int, x2: int, n2: int, *, alpha: float = ALPHA) -> ChangeTest | None:
    """Whether ``x1`` of ``n1`` and ``x2`` of ``n2`` (customers retained of those there before,
    say) come from different proportions: Fisher's exact test of the 2×2 table, two-sided; None
    when a side is empty.

    >>> round(proportions_test(1, 4, 3, 4).p_value, 4)  # the hypergeometric by hand: 34/70
    0.4857
    >>> proportions_test(0, 0, 3, 4) is None
    True
    """
    from scipy.stats import fisher_exact

    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        return None
    p = float(fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue)
    return ChangeTest(p_value=min(p, 1.0), significant=p < alpha, test=FISHER)
