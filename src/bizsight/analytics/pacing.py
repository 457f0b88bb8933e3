"""Target pacing: how much of a target is reached, and the probability of reaching it by the end
of its period, from the forecast distribution of the part of the period not yet observed.

The unobserved part is covered by forecast periods (months, say); a forecast period that lies
partly inside it counts in proportion to its days. Its forecast is taken as normal, with the
standard deviation implied by its interval. The forecast periods' errors are taken as perfectly
correlated (the standard deviations add up): one model's errors in neighbouring periods share its
level and trend, and the assumption gives the wider, more cautious distribution.

>>> import datetime as dt
>>> months = [ForecastPeriod(dt.date(2025, 1, 1), dt.date(2025, 1, 31), 100.0, 10.0)]
>>> part = remaining(dt.date(2025, 1, 1), dt.date(2025, 1, 31), dt.date(2025, 1, 15), months)
>>> round(part.mean, 1), round(part.sd, 2)  # 16 of 31 days are still to come
(51.6, 5.16)
>>> round(probability_of_reaching(100.0, 50.0, part), 3)
0.623
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class ForecastPeriod:
    start: dt.date
    end: dt.date
    mean: float
    sd: float


@dataclass(frozen=True)
class Remaining:
    """The forecast of the unobserved part of a period; ``covered`` is False when the forecasts
    end before the period does."""

    mean: float
    sd: float
    covered: bool


def remaining(
    start: dt.date, end: dt.date, observed_until: dt.date, forecasts: Sequence[ForecastPeriod]
) -> Remaining:
    """The forecast for the days of [start, end] after ``observed_until``."""
    first = max(start, observed_until + dt.timedelta(days=1))
    if first > end:
        return Remaining(0.0, 0.0, True)
    mean = sd = 0.0
    days_covered = 0
    for period in forecasts:
        overlap = (min(end, period.end) - max(first, period.start)).days + 1
        if overlap <= 0:
            continue
        share = overlap / ((period.end - period.start).days + 1)
        mean += share * period.mean
        sd += share * period.sd
        days_covered += overlap
    return Remaining(mean, sd, days_covered >= (end - first).days + 1)


def probability_of_reaching(target: float, actual: float, rest: Remaining) -> float:
    """P(actual + the rest of the period ≥ target): the normal upper tail at what is still needed.

    >>> rest = Remaining(mean=70.0, sd=10.0, covered=True)
    >>> round(probability_of_reaching(100.0, 40.0, rest), 4)  # one sd short of the mean: Φ(1)
    0.8413
    >>> probability_of_reaching(100.0, 30.0, rest), probability_of_reaching(100.0, 30.0, Remaining(69.0, 0.0, True))
    (0.5, 0.0)
    """
    needed = target - actual
    if rest.sd <= 0:
        return 1.0 if rest.mean >= needed else 0.0
    return 1.0 - NormalDist(rest.mean, rest.sd).cdf(needed)


def status(probability: float | None, ended: bool, reached: bool) -> str:
    """achieved / missed for a period that has ended; on track (≥ 50%) / at risk otherwise."""
    if ended:
        return "achieved" if reached else "missed"
    if probability is None:
        return "no forecast"
    return "on track" if probability >= 0.5 else "at risk"
