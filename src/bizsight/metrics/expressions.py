"""Small syntax-tree builders the metrics compiler and drill-down share."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlglot import exp

from bizsight.metrics.definitions import parse_sql
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
