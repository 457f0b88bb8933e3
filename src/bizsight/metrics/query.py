"""The query model: metrics × dimensions × filters × time grain × range × comparison."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.choices import Compare, Grain
from bizsight.metrics.periods import DAY, period_end, period_start, previous_year, shift

MAX_LIMIT = 1_000_000_000  # rows; engines cast LIMIT to a 64-bit integer, and no answer is larger


Operator = Literal["=", "!=", "in", "not_in", ">", ">=", "<", "<="]
Value = str | int | float | dt.date


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension: str
    op: Operator = "="
    values: tuple[Value, ...]

    @model_validator(mode="after")
    def _arity(self) -> Filter:
        if not self.values:
            raise ValueError("a filter needs at least one value")
        if self.op not in ("in", "not_in") and len(self.values) != 1:
            raise ValueError(f"operator {self.op} takes one value")
        return self


class Query(BaseModel):
    """What to compute. ``start``/``end`` are inclusive dates; ``range`` names a relative range
    (resolved against ``today``) instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: tuple[str, ...] = Field(min_length=1)
    dimensions: tuple[str, ...] = ()
    grain: Grain | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    range: str | None = None
    filters: tuple[Filter, ...] = ()
    compare: Compare | None = None
    order_by: tuple[str, ...] = ()
    limit: int | None = Field(default=None, gt=0, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _consistent(self) -> Query:
        if self.range and (self.start or self.end):
            raise ValueError("give either range or start/end, not both")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self

    def bounds(self, today: dt.date, fiscal_year_start: int = 1) -> tuple[dt.date | None, dt.date | None]:
        if self.range is None:
            return self.start, self.end
        return relative_range(self.range, today, fiscal_year_start)


RELATIVE_RANGES = (
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "last_12_months",
    "this_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "year_to_date",
    "quarter_to_date",
    "month_to_date",
)


def relative_range(name: str, today: dt.date, fiscal_year_start: int = 1) -> tuple[dt.date, dt.date]:
    """Inclusive dates of a named range ending today (quarters and years are fiscal).

    >>> relative_range("last_month", dt.date(2024, 3, 15))
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    >>> relative_range("this_quarter", dt.date(2024, 5, 2), fiscal_year_start=4)
    (datetime.date(2024, 4, 1), datetime.date(2024, 6, 30))
    """
    day = DAY
    if name == "today":
        return today, today
    if name == "yesterday":
        return today - day, today - day
    if name.startswith("last_") and name.endswith("_days"):
        n = int(name.removeprefix("last_").removesuffix("_days"))
        return today - dt.timedelta(days=n - 1), today
    if name == "last_12_months":
        return previous_year(today) + day, today
    if name == "this_week":
        start = period_start(today, "week")
        return start, period_end(start, "week")
    month = period_start(today, "month")
    quarter = period_start(today, "quarter", fiscal_year_start)
    year = period_start(today, "year", fiscal_year_start)
    spans = {
        "this_month": (month, period_end(month, "month")),
        "last_month": (shift(month, "month", -1), month - day),
        "this_quarter": (quarter, period_end(quarter, "quarter")),
        "last_quarter": (shift(quarter, "quarter", -1), quarter - day),
        "this_year": (year, period_end(year, "year")),
        "last_year": (shift(year, "year", -1), year - day),
        "year_to_date": (year, today),
        "quarter_to_date": (quarter, today),
        "month_to_date": (month, today),
    }
    if name not in spans:
        raise InvalidArgumentError(
            f"unknown range '{name}'{did_you_mean(name, RELATIVE_RANGES)}; "
            f"use one of {', '.join(RELATIVE_RANGES)}"
        )
    return spans[name]
