"""The simulated period and its daily seasonality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from bizsight.demo import params


@dataclass(frozen=True)
class Timeline:
    """Days ``0 .. n_days - 1`` from ``start`` to ``end`` (inclusive)."""

    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, end: dt.date, years: float) -> Timeline:
        """The period of ``years`` that ends on ``end``.

        >>> Timeline.ending(dt.date(2026, 9, 30), 3.0).start
        datetime.date(2023, 10, 1)
        """
        n_days = max(1, round(years * 365.25))
        return cls(end - dt.timedelta(days=n_days - 1), end)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to ``start``."""
        return (self.start - dt.date(1970, 1, 1)).days

    def days(self) -> np.ndarray:
        """Days since the epoch of every simulated day."""
        return self.epoch_day + np.arange(self.n_days, dtype=np.int64)

    def months(self) -> np.ndarray:
        """Calendar month (0 = January) of every day."""
        return month_of(self.days())

    def weekdays(self) -> np.ndarray:
        """Weekday (0 = Monday) of every day."""
        return weekday_of(self.days())

    def years_since_start(self) -> np.ndarray:
        return np.arange(self.n_days, dtype=float) / 365.25

    def season(self) -> np.ndarray:
        """The purchase-rate factor s(day) of every simulated day."""
        return season_of(self.days())


def season_of(epoch_days: np.ndarray) -> np.ndarray:
    """s(day) = month factor × weekday factor, for any day (mean 1 over months and weekdays)."""
    month = np.asarray(params.MONTH_FACTORS)[month_of(epoch_days)]
    return month * np.asarray(params.WEEKDAY_FACTORS)[weekday_of(epoch_days)]


def month_of(epoch_days: np.ndarray) -> np.ndarray:
    """Calendar month (0 = January) of epoch days.

    >>> month_of(np.array([0, 59])).tolist()
    [0, 2]
    """
    d = np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64) % 12


def weekday_of(epoch_days: np.ndarray) -> np.ndarray:
    """1970-01-01 was a Thursday.

    >>> weekday_of(np.array([0, 4])).tolist()
    [3, 0]
    """
    return (np.asarray(epoch_days, dtype=np.int64) + 3) % 7


def to_epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def from_epoch_day(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
