"""Period arithmetic (bizsight.metrics.periods): examples, and the invariants for every day."""

from __future__ import annotations

import datetime as dt
import doctest
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizsight.errors import InvalidArgumentError
from bizsight.metrics import periods
from bizsight.metrics.compiler import compile_query
from bizsight.metrics.definitions import builtin
from bizsight.metrics.periods import (
    GRAINS,
    add_months,
    period_end,
    period_start,
    previous_span,
    previous_year,
    shift,
)
from bizsight.metrics.query import Query

DAYS = st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2199, 12, 31))
FISCAL = st.integers(min_value=1, max_value=12)
ONE_DAY = dt.timedelta(days=1)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(periods)
    assert result.failed == 0 and result.attempted > 0


@given(day=DAYS, grain=st.sampled_from(GRAINS), fiscal=FISCAL)
def test_a_period_holds_its_days_and_ends_the_day_before_the_next_starts(
    day: dt.date, grain: str, fiscal: int
) -> None:
    start = period_start(day, grain, fiscal)
    end = period_end(start, grain)
    assert start <= day <= end
    assert period_start(start, grain, fiscal) == start == period_start(end, grain, fiscal)
    following = end + ONE_DAY
    assert period_start(following, grain, fiscal) == following == shift(start, grain)


@given(day=DAYS, grain=st.sampled_from(GRAINS), fiscal=FISCAL, n=st.integers(-30, 30))
def test_shifting_a_period_start_and_back_is_the_identity(
    day: dt.date, grain: str, fiscal: int, n: int
) -> None:
    start = period_start(day, grain, fiscal)
    moved = shift(start, grain, n)
    assert period_start(moved, grain, fiscal) == moved
    assert shift(moved, grain, -n) == start


@given(day=DAYS, fiscal=FISCAL)
def test_quarters_and_years_start_in_the_fiscal_year_s_months(day: dt.date, fiscal: int) -> None:
    assert period_start(day, "year", fiscal).month == fiscal
    assert (period_start(day, "quarter", fiscal).month - fiscal) % 3 == 0
    assert period_start(day, "week").weekday() == 0


@given(day=DAYS)
def test_the_previous_year_is_the_same_day_or_28_february(day: dt.date) -> None:
    before = previous_year(day)
    if (day.month, day.day) == (2, 29):
        assert before == dt.date(day.year - 1, 2, 28)
    else:
        assert before == day.replace(year=day.year - 1)


@given(day=DAYS, months=st.integers(-240, 240))
def test_adding_months_keeps_the_day_or_clamps_it_to_the_month_s_end(day: dt.date, months: int) -> None:
    moved = add_months(day, months)
    assert periods.months_apart(day, moved) == months
    assert moved.day == day.day or (
        moved.day < day.day and period_end(moved.replace(day=1), "month") == moved
    )


@given(start=DAYS, days=st.integers(0, 400))
def test_the_previous_span_is_as_long_and_ends_the_day_before(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    lo, hi = previous_span(start, end)
    assert hi + ONE_DAY == start and hi - lo == end - start


def test_an_unknown_grain_says_which_it_meant() -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'month'"):
        period_start(dt.date(2026, 1, 1), "mnth")


@pytest.mark.parametrize(
    ("query", "today", "earliest"),
    [
        (Query(metrics=("revenue",), range="last_12_months"), dt.date(2024, 2, 29), "2023-03-01"),
        (  # the year before 29 February 2024 starts on 28 February 2023
            Query(metrics=("revenue",), start=dt.date(2024, 2, 29), end=dt.date(2024, 3, 31), compare="previous_year"),
            dt.date(2026, 1, 1),
            "2023-02-28",
        ),
        (  # month grain, compared: the data read starts two months back, on a day February has
            Query(metrics=("revenue",), grain="month", start=dt.date(2025, 4, 30), end=dt.date(2025, 6, 30), compare="previous_period"),
            dt.date(2026, 1, 1),
            "2025-02-28",
        ),
        (
            Query(metrics=("revenue", "orders"), grain="month", start=dt.date(2025, 8, 31), end=dt.date(2026, 8, 31), compare="previous_period"),
            dt.date(2026, 11, 24),
            "2025-06-30",
        ),
    ],
)  # fmt: skip
def test_ranges_on_days_other_months_lack_compile(query: Query, today: dt.date, earliest: str) -> None:
    # These raised "day is out of range for month" before the arithmetic clamped (decision 0031);
    # the earliest day the SQL reads is that month's last.
    sql = compile_query(builtin(), query, today=today).sql()
    assert min(re.findall(r"'(\d{4}-\d\d-\d\d)'", sql)) == earliest
