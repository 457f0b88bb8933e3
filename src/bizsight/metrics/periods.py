"""Calendar periods in Python: where a period starts and ends, and moving by periods, months and
years. The one place for this arithmetic (the compiler's SQL does the same in the engine).

A period is a day, a week (Monday to Sunday, as DuckDB's ``date_trunc('week')``), a month, a
quarter or a year; quarters and years start in the fiscal year's first month
(``fiscal_year_start``, 1 = January). A period is keyed by its first day. Moving by months keeps
the day of the month, clamped to the end of a shorter month: 31 January plus a month is 28 (or
29) February, and the year before 29 February is 28 February.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from bizsight.errors import InvalidArgumentError, did_you_mean

GRAINS = ("day", "week", "month", "quarter", "year")
MONTHS = {"month": 1, "quarter": 3, "year": 12}  # months in each month-based grain
DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` (back when negative), clamped to the end of a shorter month.

    >>> add_months(dt.date(2025, 1, 31), 1), add_months(dt.date(2024, 3, 15), -14)
    (datetime.date(2025, 2, 28), datetime.date(2023, 1, 15))
    """
    moved: dt.date = day + relativedelta(months=months)
    return moved


def previous_year(day: dt.date) -> dt.date:
    """The same day a year earlier; 29 February's is 28 February.

    >>> previous_year(dt.date(2024, 2, 29)), previous_year(dt.date(2025, 6, 30))
    (datetime.date(2023, 2, 28), datetime.date(2024, 6, 30))
    """
    return add_months(day, -12)


def months_apart(earlier: dt.date, later: dt.date) -> int:
    """Calendar months from ``earlier``'s month to ``later``'s (days ignored).

    >>> months_apart(dt.date(2025, 11, 30), dt.date(2026, 2, 1))
    3
    """
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _check(grain: str) -> None:
    if grain not in GRAINS:
        raise InvalidArgumentError(
            f"grain '{grain}'{did_you_mean(grain, GRAINS)}: expected one of {', '.join(GRAINS)}"
        )


def period_start(day: dt.date, grain: str, fiscal_year_start: int = 1) -> dt.date:
    """The first day of the ``grain`` period holding ``day``.

    >>> period_start(dt.date(2026, 12, 6), "week"), period_start(dt.date(2026, 12, 6), "month")
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 1))
    >>> period_start(dt.date(2026, 2, 10), "quarter", fiscal_year_start=4)
    datetime.date(2026, 1, 1)
    >>> period_start(dt.date(2026, 2, 10), "year", fiscal_year_start=4)
    datetime.date(2025, 4, 1)
    """
    _check(grain)
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    months = MONTHS[grain]
    first = fiscal_year_start if grain != "month" else 1
    return add_months(day.replace(day=1), -((day.month - first) % months))


def shift(day: dt.date, grain: str, periods: int = 1) -> dt.date:
    """``day`` moved by ``periods`` periods of ``grain`` (back when negative); a period start
    moves to a period start.

    >>> shift(dt.date(2026, 1, 1), "quarter", -1), shift(dt.date(2026, 12, 28), "week")
    (datetime.date(2025, 10, 1), datetime.date(2027, 1, 4))
    """
    _check(grain)
    if grain == "day":
        return day + dt.timedelta(days=periods)
    if grain == "week":
        return day + dt.timedelta(days=7 * periods)
    return add_months(day, periods * MONTHS[grain])


def period_end(start: dt.date, grain: str) -> dt.date:
    """The last day of the ``grain`` period that starts on ``start``.

    >>> period_end(dt.date(2024, 2, 1), "month"), period_end(dt.date(2025, 4, 1), "year")
    (datetime.date(2024, 2, 29), datetime.date(2026, 3, 31))
    """
    return shift(start, grain) - DAY


def previous_span(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The span of as many days just before ``start``..``end`` (both inclusive).

    >>> previous_span(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    (datetime.date(2026, 2, 19), datetime.date(2026, 2, 28))
    """
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - DAY


def last_complete_month_end(last: dt.date) -> dt.date:
    """The end of the last calendar month that ends on or before ``last``.

    >>> last_complete_month_end(dt.date(2026, 3, 31)), last_complete_month_end(dt.date(2026, 3, 30))
    (datetime.date(2026, 3, 31), datetime.date(2026, 2, 28))
    """
    start = last.replace(day=1)
    return last if period_end(start, "month") == last else start - DAY
