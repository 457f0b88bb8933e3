"""Regular time indexes for forecasting: which grain a column of dates follows, each date's period
number, and the dates of future periods.

Models see periods as integers 0, 1, 2, ...; the calendar turns them back into dates. Months are
counted as months (not 30-day steps), so a forecast of February follows January whatever their
lengths. Integer ``ds`` columns (period numbers) are taken as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.errors import InvalidArgumentError
from bizsight.metrics.periods import MONTHS

# Default season length of each grain: a week of days, a year of weeks, months or quarters.
SEASON_LENGTH = {"day": 7, "week": 52, "month": 12, "quarter": 4, "year": 1, "step": 1}


@dataclass(frozen=True)
class Calendar:
    """How period numbers map to dates. ``grain`` is day, week, month, quarter, year, or step
    (plain integers). ``anchor`` keeps the data's weekday for weeks (days since 1970-01-01
    modulo 7) and its day of month for month-based grains (1–28, or -1 for the last day)."""

    grain: str
    anchor: int = 1

    @property
    def season_length(self) -> int:
        return SEASON_LENGTH[self.grain]

    def index(self, values: np.ndarray) -> np.ndarray:
        """Period numbers of ``values`` (datetime64[D] or integers)."""
        if self.grain == "step":
            return values.astype(np.int64)
        days = values.astype("datetime64[D]")
        if self.grain == "day":
            return days.astype(np.int64)
        if self.grain == "week":
            return (days.astype(np.int64) - self.anchor) // 7
        months = days.astype("datetime64[M]").astype(np.int64)
        return months // MONTHS[self.grain]

    def dates(self, index: np.ndarray) -> np.ndarray:
        """The dates (or integers) of period numbers ``index``; the inverse of :meth:`index`."""
        index = np.asarray(index, dtype=np.int64)
        if self.grain == "step":
            return index
        if self.grain == "day":
            return index.astype("datetime64[D]")
        if self.grain == "week":
            return (index * 7 + self.anchor).astype("datetime64[D]")
        months = (index * MONTHS[self.grain]).astype("datetime64[M]")
        if self.anchor == -1:
            return (months + 1).astype("datetime64[D]") - 1
        return months.astype("datetime64[D]") + (self.anchor - 1)


def infer_calendar(values: np.ndarray, ids: np.ndarray) -> Calendar:
    """The grain that the dates (or integers) in ``values`` follow, one series per value of ``ids``.

    >>> import numpy as np
    >>> days = np.array(["2024-01-31", "2024-02-29", "2024-03-31"], dtype="datetime64[D]")
    >>> infer_calendar(days, np.zeros(3))
    Calendar(grain='month', anchor=-1)
    """
    if np.issubdtype(values.dtype, np.integer):
        return Calendar("step")
    days = values.astype("datetime64[D]")
    if len(days) == 0:
        raise InvalidArgumentError("no rows to forecast")
    months = days.astype("datetime64[M]")
    day_of_month = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    last_of_month = days + 1 == (months + 1).astype("datetime64[D]")
    steps = _steps(days.astype(np.int64), ids)
    smallest_days = int(steps.min()) if steps.size else 1
    if smallest_days == 1:
        return Calendar("day")  # gaps, if any, are reported with the series they are in
    weekdays = days.astype(np.int64) % 7
    if smallest_days == 7 and np.all(weekdays == weekdays[0]):
        return Calendar("week", int(weekdays[0]))
    if np.all(last_of_month):
        anchor = -1
    elif np.all(day_of_month == day_of_month[0]) and day_of_month[0] <= 28:
        anchor = int(day_of_month[0])
    else:
        raise InvalidArgumentError(
            "ds: dates are neither daily, weekly nor on one day of the month; "
            "expected one row per day, week (same weekday), month, quarter or year"
        )
    month_steps = _steps(months.astype(np.int64), ids)
    smallest = int(month_steps.min()) if month_steps.size else 1
    grain = {1: "month", 3: "quarter", 12: "year"}.get(smallest)
    if grain is None or np.any(month_steps % smallest):
        raise InvalidArgumentError(
            f"ds: dates are {smallest} months apart; expected monthly, quarterly or yearly dates"
        )
    return Calendar(grain, anchor)


def _steps(numbers: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Differences between consecutive values within each series (rows sorted by id, then time)."""
    same = ids[1:] == ids[:-1]
    steps = np.diff(numbers)[same]
    return steps[steps > 0]  # two rows for one date are reported with their series
