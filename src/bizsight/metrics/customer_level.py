"""Customer-level aggregates: repeat customers, retained customers and the previous period's
count, each over the distinct keys (customers) of a period rather than over rows. The compiler
(:mod:`bizsight.metrics.compiler`) joins their subqueries to the spine like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from bizsight.metrics.compiler import PERIOD
from bizsight.metrics.definitions import Aggregate, Compare
from bizsight.metrics.expressions import snippet
from bizsight.warehouse.sql import col, ident

if TYPE_CHECKING:
    from bizsight.metrics.compiler import QueryCompiler


def customer_level_query(compiler: QueryCompiler, name: str) -> exp.Select:
    """repeat_customers, retained and previous_period_count: over the distinct keys per period."""
    metric = compiler.cat.metrics[name]
    assert metric.model and metric.sql
    keys = compiler.group_keys(metric.model)
    snippets = [e for _, e in keys] + [snippet(t) for t in (metric.sql, metric.filter, metric.events) if t]
    base = compiler.rows_of(metric.model, snippets, compiler.data_lower_bound())
    if metric.filter:
        base = base.where(snippet(metric.filter))
    key_names = [k for k, _ in keys]
    base = base.select(*(exp.alias_(e, ident(k)) for k, e in keys), exp.alias_(snippet(metric.sql), "k"))
    base = base.group_by(*(exp.Literal.number(i + 1) for i in range(len(keys) + 1)))
    if metric.aggregate is Aggregate.REPEAT_CUSTOMERS:
        assert metric.events
        base = base.having(
            exp.GTE(
                this=exp.Count(this=exp.Distinct(expressions=[snippet(metric.events)])),
                expression=exp.Literal.number(2),
            )
        )
        return (
            exp.select(*(col(k) for k in key_names), exp.alias_(exp.Count(this=exp.Star()), ident(name)))
            .from_(base.subquery("a"))
            .group_by(*(col(k) for k in key_names))
        )
    if metric.aggregate is Aggregate.PREVIOUS_PERIOD_COUNT:
        later = compiler.shift_period(col(PERIOD, "a"), Compare.PREVIOUS_PERIOD, forward=True)
        others = [col(k, "a") for k in key_names[1:]]
        return (
            exp.select(
                exp.alias_(later, PERIOD), *others, exp.alias_(exp.Count(this=exp.Star()), ident(name))
            )
            .from_(base.subquery("a"))
            .group_by(*(exp.Literal.number(i + 1) for i in range(len(key_names))))
        )
    # retained: the key is present in the period and in the one before it
    on = exp.and_(
        exp.EQ(this=col("k", "b"), expression=col("k", "a")),
        exp.EQ(
            this=col(PERIOD, "b"),
            expression=compiler.shift_period(col(PERIOD, "a"), Compare.PREVIOUS_PERIOD),
        ),
        *(exp.NullSafeEQ(this=col(k, "b"), expression=col(k, "a")) for k in key_names[1:]),
    )
    return (
        exp.select(*(col(k, "a") for k in key_names), exp.alias_(exp.Count(this=exp.Star()), ident(name)))
        .from_(base.subquery("a"))
        .join(base.subquery("b"), on=on, join_type="inner")
        .group_by(*(exp.Literal.number(i + 1) for i in range(len(key_names))))
    )
