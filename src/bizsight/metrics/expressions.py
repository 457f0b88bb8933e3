"""Small syntax-tree builders the metrics compiler and drill-down share."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlglot import exp

from bizsight.metrics.definitions import parse_sql
from bizsight.metrics.periods import MONTHS
from bizsight.metrics.query import Grain
from bizsight.warehouse.sql import ident


@cache
def _parsed(text: str) -> exp.Expr:
    return parse_sql(text)


def snippet(text: str) -> exp.Expr:
    """A catalogue SQL snippet as a fresh syntax tree (parsed once, copied on each use)."""
    return _parsed(text).copy()


def aliased_table(qualified: str, alias: str) -> exp.Table:
    """``schema.table AS alias``.

    >>> aliased_table("core.dim_date", "d").sql("duckdb")
    '"core"."dim_date" AS "d"'
    """
    schema, name = qualified.split(".")
    return exp.alias_(exp.table_(ident(name), db=ident(schema)), ident(alias))  # type: ignore[return-value]


def date_literal(value: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def shift_date(expr: exp.Expr, count: int, unit: str) -> exp.Expr:
    """A date moved by ``count`` units (negative: earlier), still a DATE.

    >>> shift_date(exp.column("d"), -3, "MONTH").sql("duckdb")
    "CAST(d - INTERVAL '3' MONTH AS DATE)"
    """
    op = exp.Add if count > 0 else exp.Sub
    interval = exp.Interval(this=exp.Literal.string(str(abs(count))), unit=exp.var(unit))
    return exp.cast(op(this=expr, expression=interval), "DATE")


def ratio(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """numerator / denominator as DOUBLE, NULL where the denominator is 0 or unknown."""
    return exp.Div(
        this=exp.cast(numerator, "DOUBLE"),
        expression=exp.Nullif(this=exp.cast(denominator, "DOUBLE"), expression=exp.Literal.number(0)),
    )


def period_key(time: exp.Expr, grain: Grain, fiscal_year_start: int = 1) -> exp.Expr:
    """The first day of the period at ``grain`` that ``time`` falls in, as SQL; quarters and years
    start in the fiscal year's first month.

    >>> period_key(exp.column("t"), Grain.MONTH).sql("duckdb")
    "CAST(DATE_TRUNC('MONTH', CAST(t AS DATE)) AS DATE)"
    >>> period_key(exp.column("t"), Grain.QUARTER, 4).sql("duckdb")
    "CAST(CAST(DATE_TRUNC('QUARTER', CAST(CAST(t AS DATE) - INTERVAL '3' MONTH AS DATE)) AS DATE) + INTERVAL '3' MONTH AS DATE)"
    """
    day = exp.cast(time, "DATE")
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return exp.cast(exp.DateTrunc(this=day, unit=exp.var("WEEK")), "DATE")
    offset = (fiscal_year_start - 1) if grain in (Grain.QUARTER, Grain.YEAR) else 0
    moved = shift_date(day, -offset, "MONTH") if offset else day
    truncated = exp.cast(exp.DateTrunc(this=moved, unit=exp.var(grain.value.upper())), "DATE")
    return shift_date(truncated, offset, "MONTH") if offset else truncated


def shift_period_key(period: exp.Expr, grain: Grain, *, previous_year: bool, by: int) -> exp.Expr:
    """A period key moved ``by`` periods (or, ``previous_year``, by years) at ``grain``, as SQL."""
    if previous_year:
        return shift_date(period, by, "YEAR") if grain is Grain.DAY else shift_date(period, by * 12, "MONTH")
    if grain is Grain.DAY:
        return shift_date(period, by, "DAY")
    if grain is Grain.WEEK:
        return shift_date(period, by * 7, "DAY")
    return shift_date(period, by * MONTHS[grain], "MONTH")
