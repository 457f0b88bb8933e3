"""Automated insights and recommendations: what they are, how they are ranked, and the pure
pieces that decide them (docs/insights.md, docs/decisions/0048-automated-insights.md).

An :class:`Insight` is a sentence with ``{0}``, ``{1}``, ... standing for its numbers (each with
its unit, written by the presentation layer), the money it is about (its **impact**), the
evidence (which test, its p-value) and a drill-down (a metric query and the cell of it whose rows
lie behind the sentence). A :class:`Recommendation` follows from one or more insights: an action
with a priority, an expected impact in money where one can be stated, a confidence, and the
reason in words.

**Ranking rule** (:func:`rank`): by impact in money, largest first; equal impacts by kind (in
:data:`KINDS` order) and then by title, so the order is stable. Impacts are stated per kind by
the service (a change's money, an anomaly's distance from its expected value, a target's
expected shortfall, the revenue at risk of customers moving or churning).

**Members that moved differently from the whole** (:func:`excess_test`): a member's daily
values this period are tested against its previous period's scaled by the total's growth ``g``,
with the test decision 0040 states for the metric (Welch's t-test for amounts, the exact
Poisson-rates test for counts). Under "this member grew like the whole", the scaled previous
values have the current values' mean, so the test holds its stated false-alarm rate; a member
flagged is one whose change the total's growth does not explain.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bizsight.analytics.significance import POISSON, WELCH, ChangeTest, poisson_rates_test, welch_test

# Kinds of insight, in the order equal impacts are shown.
KINDS = ("change", "member", "anomaly", "target", "churn", "segment_move", "seasonality")
PRIORITIES = ("high", "medium", "low")
HIGH_SHARE = 0.05  # expected impact ≥ 5 % of the period's revenue: high priority
MEDIUM_SHARE = 0.01  # ≥ 1 %: medium; below: low


@dataclass(frozen=True)
class Insight:
    """One thing found, as a sentence citing its numbers."""

    kind: str
    title: str
    text: str  # "{0}", "{1}", ... stand for ``numbers``
    numbers: tuple[tuple[Any, str], ...]  # (value, unit) — written by the presentation layer
    impact: float  # money, ≥ 0: the ranking key
    direction: str = "none"  # up, down or none
    subject: Mapping[str, Any] = field(default_factory=dict)  # dimension → member it is about
    evidence: Mapping[str, Any] = field(default_factory=dict)  # test, p_value, period ...
    drill: Mapping[str, Any] | None = None  # {"query": ..., "metric": ..., "cell": ...}

    def render(self, write: Any) -> str:
        """The sentence with its numbers written by ``write(value, unit)``.

        >>> Insight("change", "t", "Revenue rose {0}.", ((0.1, "percent"),), 1.0).render(lambda v, u: f"{v:.0%}")
        'Revenue rose 10%.'
        """
        return self.text.format(*(write(value, unit) for value, unit in self.numbers))


@dataclass(frozen=True)
class Recommendation:
    """An action following from insights, with its priority, expected impact and confidence."""

    action: str  # win_back, shift_budget, rescue_target, investigate, retain
    title: str
    text: str
    numbers: tuple[tuple[Any, str], ...]
    priority: str  # high, medium, low (:func:`priority`)
    expected_impact: float | None  # money, when one can be stated
    confidence: str  # high, medium, low
    why: str  # the reasoning, in words (may cite ``numbers`` too)
    link: Mapping[str, Any] | None = None  # a drill-down, or {"page": "/customers?..."}

    def render(self, write: Any) -> str:
        return self.text.format(*(write(value, unit) for value, unit in self.numbers))

    def reason(self, write: Any) -> str:
        return self.why.format(*(write(value, unit) for value, unit in self.numbers))


def rank(insights: Iterable[Insight]) -> list[Insight]:
    """Largest impact first; ties by kind, then title.

    >>> found = rank([Insight("anomaly", "b", "", (), 5.0), Insight("change", "a", "", (), 5.0),
    ...               Insight("member", "c", "", (), 9.0)])
    >>> [i.title for i in found]
    ['c', 'a', 'b']
    """
    return sorted(insights, key=lambda i: (-i.impact, KINDS.index(i.kind), i.title))


def order_recommendations(found: Iterable[Recommendation]) -> list[Recommendation]:
    """High priority first, then by expected impact (stated impacts before unstated ones)."""
    return sorted(
        found,
        key=lambda r: (PRIORITIES.index(r.priority), -(r.expected_impact or 0.0), r.title),
    )


def priority(expected_impact: float | None, revenue: float | None) -> str:
    """High when the expected impact is at least 5 % of the period's revenue, medium from 1 %,
    low below (or with no impact in money).

    >>> priority(600, 10_000), priority(100, 10_000), priority(50, 10_000), priority(None, 10_000)
    ('high', 'medium', 'low', 'low')
    """
    if expected_impact is None or not revenue or revenue <= 0:
        return "low"
    share = abs(expected_impact) / revenue
    return "high" if share >= HIGH_SHARE else "medium" if share >= MEDIUM_SHARE else "low"


def confidence_of(p_value: float | None) -> str:
    """Confidence in a finding from its test: p < 0.01 high, p < 0.05 medium, else low.

    >>> confidence_of(0.001), confidence_of(0.03), confidence_of(None)
    ('high', 'medium', 'low')
    """
    if p_value is None:
        return "low"
    return "high" if p_value < 0.01 else "medium" if p_value < 0.05 else "low"


def excess_test(
    current: Sequence[float], previous: Sequence[float], growth: float, test: str
) -> ChangeTest | None:
    """Whether a member's change differs from the whole's growth ``growth`` (current total over
    previous total). ``current``/``previous`` are its daily values (for ``WELCH``) or, for
    ``POISSON``, ``[events, days]`` of each period.

    >>> excess_test([10, 12, 11, 9], [5, 6, 5.5, 4.5], 2.0, WELCH).p_value
    1.0
    >>> excess_test([60, 30], [30, 30], 2.0, POISSON).significant
    False
    """
    if not math.isfinite(growth) or growth <= 0:
        return None
    if test == WELCH:
        return welch_test(current, [growth * v for v in previous])
    if test == POISSON:
        (k1, t1), (k2, t2) = current, previous
        return poisson_rates_test(int(k1), float(t1) * growth, int(k2), float(t2))
    return None


def seasonal_indices(monthly: Mapping[dt.date, float]) -> dict[int, float] | None:
    """Each calendar month's seasonal index (1 = an average month) from monthly totals: the
    classical multiplicative decomposition of the **daily average** of each month (so February's
    fewer days do not count as season) — each month over its centred 2×12 moving average,
    averaged per calendar month, normalised to mean 1. None with fewer than 24 consecutive months.

    >>> months = [dt.date(2020 + i // 12, i % 12 + 1, 1) for i in range(36)]
    >>> days = [((m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - m).days for m in months]
    >>> shape = [1.0] * 11 + [2.0]
    >>> found = seasonal_indices({m: d * shape[m.month - 1] for m, d in zip(months, days)})
    >>> round(found[12] / found[1], 3)
    2.0
    """
    months = sorted(monthly)
    if len(months) < 24:
        return None
    daily = np.array(
        [float(monthly[m]) / ((_next_month(m) - m).days) for m in months],
        dtype=float,
    )
    weights = np.array([0.5] + [1.0] * 11 + [0.5]) / 12.0
    ratios: dict[int, list[float]] = {}
    for i in range(6, len(months) - 6):
        trend = float(np.dot(weights, daily[i - 6 : i + 7]))
        if trend > 0:
            ratios.setdefault(months[i].month, []).append(daily[i] / trend)
    if len(ratios) < 12:
        return None
    raw = {m: float(np.mean(v)) for m, v in ratios.items()}
    mean = float(np.mean(list(raw.values())))
    return {m: v / mean for m, v in sorted(raw.items())}


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def holm(p_values: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down correction: which of several tests are significant with a chance of at
    most ``alpha`` that any true "no change" is flagged (the family-wise error rate).

    >>> holm([0.01, 0.04, 0.03, 0.005])
    [True, False, False, True]
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    keep = [False] * len(p_values)
    m = len(p_values)
    for rank_, i in enumerate(order):
        if p_values[i] > alpha / (m - rank_):
            break
        keep[i] = True
    return keep
