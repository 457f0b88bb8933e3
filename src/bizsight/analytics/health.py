"""Health scores: each KPI's value mapped to 0–100 by its rule, a section's score as the weighted
mean of its KPIs' scores, the drivers that pulled it up or down, and a summary written from the
numbers. Pure functions: the service gathers the values; formatting is passed in.

The rules (``bizsight.config.executive.KpiRule``):

* trend — z = (value − mean of the earlier periods) / their standard deviation (sign turned when
  lower is better); score = 100 / (1 + e^(−z)). Flat is 50, one deviation better is 73.1.
* target — achievement a = value / target (target / value when lower is better);
  score = 100 × clamp((a − floor) / (1 − floor), 0, 1). At target 100; at ``floor`` 0.
* threshold — 100 at ``good`` or better, 0 at ``bad`` or worse, linear between.

A section scores Σ wᵢ·sᵢ / Σ wᵢ over the KPIs that have a value. KPI i's driver is
dᵢ = wᵢ·(sᵢ − 50) / Σ w — its pull, in points, away from a neutral 50 — so the drivers add up to
the section's score − 50.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bizsight.config.executive import KpiRule

NEUTRAL = 50.0


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def trend_z(value: float, history: Sequence[float]) -> float | None:
    """Standard deviations between ``value`` and the mean of ``history``; None with fewer than two
    earlier values. Flat history: the relative change over 10 % counts as one deviation.

    >>> trend_z(12.0, [8.0, 10.0, 12.0])
    1.0
    >>> trend_z(11.0, [10.0, 10.0])
    1.0
    """
    if len(history) < 2:
        return None
    mean = statistics.fmean(history)
    sd = statistics.stdev(history)
    if sd > 0:
        return (value - mean) / sd
    if mean == 0:
        return 0.0 if value == 0 else math.copysign(1.0, value)
    return round((value / mean - 1.0) / 0.1, 12)


def logistic(z: float) -> float:
    """100 / (1 + e^(−z)).

    >>> logistic(0.0), round(logistic(1.0), 1)
    (50.0, 73.1)
    """
    return 100.0 / (1.0 + math.exp(-z))


def score_kpi(rule: KpiRule, value: float, history: Sequence[float] = ()) -> float | None:
    """``value`` as 0–100 by ``rule``; None when the rule cannot judge it (a trend without history).

    >>> score_kpi(KpiRule(metric="revenue", rule="target", target=100), 100.0)
    100.0
    >>> score_kpi(KpiRule(metric="revenue", rule="target", target=100), 75.0)
    50.0
    >>> score_kpi(KpiRule(metric="days", rule="threshold", good=1, bad=7, direction="lower"), 4.0)
    50.0
    """
    lower = rule.direction == "lower"
    if rule.rule == "threshold":
        assert rule.good is not None and rule.bad is not None
        return 100.0 * _clamp((value - rule.bad) / (rule.good - rule.bad))
    if rule.rule == "target":
        assert rule.target is not None
        if lower:
            achievement = rule.target / value if value > 0 else math.inf
        else:
            achievement = value / rule.target if rule.target else math.inf
        return 100.0 * _clamp((achievement - rule.floor) / (1.0 - rule.floor))
    z = trend_z(value, history)
    if z is None:
        return None
    return logistic(-z if lower else z)


@dataclass(frozen=True)
class KpiScore:
    key: str  # metric, or metric:change
    metric: str
    measure: str
    value: float | None
    previous: float | None  # the period before
    reference: float | None  # what the value was judged against: target, mean of history, good
    score: float | None
    weight: float
    rule: str
    direction: str
    period: str = "scored"  # or "next": read for the period after the one the data end in
    driver: float | None = None  # points this KPI moves the section away from 50
    missing: str | None = None  # why there is no score

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def kpi_score(rule: KpiRule, series: Sequence[float | None], missing: str | None = None) -> KpiScore:
    """Score the last value of ``series`` (oldest first; the period scored is the last).

    With ``measure: change`` the series is first turned into differences between periods.

    >>> k = kpi_score(KpiRule(metric="m"), [8.0, 10.0, 12.0, 12.0])
    >>> round(k.score, 1), k.reference
    (73.1, 10.0)
    """
    key = rule.metric if rule.measure == "value" else f"{rule.metric}:change"
    values = list(series)
    if rule.measure == "change":
        values = [b - a if a is not None and b is not None else None for a, b in itertools.pairwise(values)]
    current = values[-1] if values else None
    history = [v for v in values[:-1] if v is not None]
    score = score_kpi(rule, current, history) if current is not None else None
    if current is None:
        why: str | None = missing or "no value for the period"
        reference = None
    else:
        why = None if score is not None else "too few earlier periods to see a trend"
        reference = {"target": rule.target, "threshold": rule.good}.get(
            rule.rule, statistics.fmean(history) if history else None
        )
    return KpiScore(
        key=key,
        metric=rule.metric,
        measure=rule.measure,
        value=current,
        previous=values[-2] if len(values) > 1 else None,
        reference=reference,
        score=score,
        weight=rule.weight,
        rule=rule.rule,
        direction=rule.direction,
        period=rule.period,
        missing=why,
    )


@dataclass(frozen=True)
class SectionScore:
    name: str
    score: float | None
    kpis: list[KpiScore]
    drivers: list[KpiScore] = field(default_factory=list)  # scored KPIs, biggest pull first
    missing: list[str] = field(default_factory=list)  # KPIs without a score, and why
    summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def section_score(name: str, kpis: Sequence[KpiScore]) -> SectionScore:
    """The weighted mean of the scored KPIs, and each one's pull on it.

    >>> a = KpiScore("a", "a", "value", 1.0, None, None, 90.0, 3.0, "trend", "higher")
    >>> b = KpiScore("b", "b", "value", 1.0, None, None, 30.0, 1.0, "trend", "higher")
    >>> s = section_score("S", [a, b])
    >>> s.score, [(d.key, d.driver) for d in s.drivers]
    (75.0, [('a', 30.0), ('b', -5.0)])
    """
    scored = [k for k in kpis if k.score is not None]
    total = sum(k.weight for k in scored)
    if not scored or total <= 0:
        missing = [f"{k.key} ({k.missing})" for k in kpis]
        return SectionScore(name, None, list(kpis), [], missing)
    drivers = {k.key: k.weight * (float(k.score or 0) - NEUTRAL) / total for k in scored}
    out = [KpiScore(**{**k.as_dict(), "driver": drivers[k.key]}) if k.key in drivers else k for k in kpis]
    score = sum(k.weight * float(k.score or 0) for k in scored) / total
    ranked = sorted((k for k in out if k.driver is not None), key=lambda k: -abs(k.driver or 0))
    missing = [f"{k.key} ({k.missing})" for k in out if k.score is None]
    return SectionScore(name, score, out, ranked, missing)


Formatter = Callable[[float | None, str], str]  # (value, metric or key) → text


def _verdict(score: float) -> str:
    if score >= 70:
        return "healthy"
    if score >= 45:
        return "steady"
    return "under pressure"


def _points(driver: float) -> str:
    n = round(abs(driver))
    return f"{n} point" if n == 1 else f"{n} points"


def _against(kpi: KpiScore, fmt: Formatter) -> str:
    if kpi.reference is None:
        return ""
    ref = fmt(kpi.reference, kpi.key)
    return {"target": f" (target {ref})", "threshold": f" (good at {ref})"}.get(
        kpi.rule, f" ({ref} on average before)"
    )


def summarise(section: SectionScore, label: Callable[[str], str], fmt: Formatter) -> str:
    """Two or three sentences from the numbers: the verdict, the strongest pull up and down, what
    is missing.

    >>> a = KpiScore("revenue", "revenue", "value", 120.0, 100.0, 100.0, 80.0, 1.0, "trend", "higher")
    >>> s = section_score("Financial", [a])
    >>> summarise(s, str, lambda v, k: f"{v:g}")
    'Financial scores 80/100 (healthy). revenue at 120 (100 on average before) pulled it up by 30 points.'
    """
    if section.score is None:
        return f"{section.name} cannot be scored: " + "; ".join(section.missing) + "."
    text = [f"{section.name} scores {section.score:.0f}/100 ({_verdict(section.score)})."]
    up = next((k for k in section.drivers if (k.driver or 0) > 0.5), None)
    down = next((k for k in section.drivers if (k.driver or 0) < -0.5), None)
    for kpi, way in ((up, "up"), (down, "down")):
        if kpi is None:
            continue
        name = label(kpi.metric) + (" (change)" if kpi.measure == "change" else "")
        text.append(
            f"{name} at {fmt(kpi.value, kpi.key)}{_against(kpi, fmt)} pulled it {way} "
            f"by {_points(kpi.driver or 0)}."
        )
    if section.missing:
        unscored = [
            label(k.metric) + (" (change)" if k.measure == "change" else "")
            for k in section.kpis
            if k.score is None
        ]
        text.append(f"Not scored: {', '.join(unscored)}.")
    return " ".join(text)
