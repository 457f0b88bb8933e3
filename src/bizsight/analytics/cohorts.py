"""Acquisition cohorts × periods since acquisition, in SQL.

A cohort is the month (or week) of a customer's first non-cancelled order, or of their
``signup_date``. Period k is the k-th month (week) after the cohort's own; every cohort gets a
row for every period from 0 up to the last period with data, so empty periods show as zeros
rather than disappearing.

Per (split value, cohort, period): ``cohort_customers``, ``active_customers`` (with a
non-cancelled order in the period), ``retention`` (active / cohort customers), ``revenue`` (net),
``revenue_retention`` (revenue / the cohort's revenue in period 0), ``cumulative_revenue_per_customer``,
``lost_customers`` (active in the previous period, not in this one) and ``churn_rate``
(lost customers / the previous period's active customers: the share of last period's buyers
who did not buy again this period, always between 0 and 1; NULL in period 0 and after a
period with nobody active).

Churn is counted customer by customer, not from retention: 1 − retention(k) / retention(k − 1)
turns negative whenever lapsed customers come back (retention 20 % → 25 % gave −25 %).

>>> "DATE_TRUNC('WEEK'" in render(cohorts_query(CohortSettings(grain="week")))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from sqlglot import exp

from bizsight.errors import did_you_mean
from bizsight.warehouse.model import CUSTOMERS
from bizsight.warehouse.sql import col, lit, render, template

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.warehouse.connection import Warehouse

# Customer attributes a cohort table can be split by.
SPLITS = tuple(c.name for c in CUSTOMERS.columns if c.name not in {"customer_id", "customer_name", "email"})


class CohortSettings(BaseModel):
    """``grain``: month or week (ISO weeks, starting Monday); ``anchor``: first purchase or
    signup date; ``split_by``: a customer attribute (region, customer_segment,
    acquisition_channel, country, ...); ``max_periods``: drop periods beyond it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grain: Literal["month", "week"] = "month"
    anchor: Literal["first_purchase", "signup"] = "first_purchase"
    split_by: str | None = None
    max_periods: int | None = None

    @field_validator("split_by")
    @classmethod
    def _known_split(cls, value: str | None) -> str | None:
        if value is not None and value not in SPLITS:
            raise ValueError(
                f"cannot split cohorts by {value!r}{did_you_mean(value, SPLITS)}; use one of {', '.join(SPLITS)}"
            )
        return value


# Customers and their cohort. With anchor = signup, every customer with a signup date belongs
# to a cohort, whether they bought or not; orders before the signup period are ignored.
_FIRST_PURCHASE = """
SELECT customer_id, CAST(date_trunc(:grain, min(order_date)) AS DATE) AS cohort
FROM core.fact_order_line WHERE status <> 'cancelled' GROUP BY customer_id
"""
_SIGNUP = """
SELECT customer_id, CAST(date_trunc(:grain, signup_date) AS DATE) AS cohort
FROM core.dim_customer WHERE signup_date IS NOT NULL
"""

_ACTIVITY = """
SELECT f.customer_id, CAST(date_trunc(:grain, f.order_date) AS DATE) AS period_start,
       sum(f.net_amount) AS revenue
FROM core.fact_order_line AS f
WHERE f.status <> 'cancelled'
GROUP BY ALL
"""

_GRID = """
SELECT split, cohort, cohort_customers,
       unnest(range(0, :last_period + 1)) AS period
FROM sizes, (SELECT max(period_start) AS last_period FROM activity) AS bounds
"""

# One row per cohort member and period in which they bought (activity has one per customer and period).
_ACTIVE = """
SELECT m.split, m.cohort, m.customer_id, :period AS period, a.revenue
FROM members AS m JOIN activity AS a ON a.customer_id = m.customer_id
WHERE a.period_start >= m.cohort
"""

_CELLS = """
SELECT split, cohort, period, count(DISTINCT customer_id) AS active_customers, sum(revenue) AS revenue
FROM active
GROUP BY ALL
"""

# Customers active in period k − 1 and not in k, counted at k.
_LOST = """
SELECT p.split, p.cohort, p.period + 1 AS period, count(*) AS lost_customers
FROM active AS p
WHERE NOT EXISTS (
  SELECT 1 FROM active AS c WHERE c.customer_id = p.customer_id AND c.period = p.period + 1)
GROUP BY ALL
"""

_RESULT = """
SELECT g.split, g.cohort, g.period, g.cohort_customers,
       coalesce(c.active_customers, 0) AS active_customers,
       coalesce(c.active_customers, 0) / g.cohort_customers AS retention,
       CAST(coalesce(c.revenue, 0) AS DECIMAL(18, 2)) AS revenue,
       coalesce(l.lost_customers, 0) AS lost_customers
FROM grid AS g
LEFT JOIN cells AS c ON c.split IS NOT DISTINCT FROM g.split AND c.cohort = g.cohort AND c.period = g.period
LEFT JOIN lost AS l ON l.split IS NOT DISTINCT FROM g.split AND l.cohort = g.cohort AND l.period = g.period
"""

_FINAL = """
SELECT split, cohort, period, :period_start AS period_start, cohort_customers, active_customers,
       retention, revenue,
       revenue / nullif(first_value(revenue) OVER w, 0) AS revenue_retention,
       sum(revenue) OVER w / cohort_customers
         AS cumulative_revenue_per_customer,
       CASE WHEN period > 0 THEN lost_customers END AS lost_customers,
       lost_customers / nullif(lag(active_customers) OVER w, 0) AS churn_rate
FROM result
WINDOW w AS (PARTITION BY split, cohort ORDER BY period)
ORDER BY split NULLS FIRST, cohort, period
"""


def _periods_between(grain: str) -> str:
    # Both ends are already truncated to the grain, so these are exact counts.
    if grain == "month":
        return "(12 * (year(:b) - year(:a)) + month(:b) - month(:a))"
    return "(datediff('day', :a, :b) // 7)"


def cohorts_query(settings: CohortSettings | None = None) -> exp.Select:
    """The cohort × period table described in the module docstring; ``split`` is NULL
    without ``split_by``."""
    settings = settings or CohortSettings()
    grain = lit(settings.grain)
    anchor = template(_FIRST_PURCHASE if settings.anchor == "first_purchase" else _SIGNUP, grain=grain)
    split: exp.Expr = exp.cast(exp.null(), "VARCHAR")
    if settings.split_by:
        split = exp.cast(col(settings.split_by, "d"), "VARCHAR")
    members = (
        exp.select(col("customer_id", "a"), col("cohort", "a"), exp.alias_(split, "split"))
        .from_(exp.alias_(exp.paren(anchor), "a"))
        .join(
            exp.alias_(exp.table_("dim_customer", db="core"), "d"),
            on="a.customer_id = d.customer_id",
            join_type="left",
        )
    )
    sizes = template("SELECT split, cohort, count(*) AS cohort_customers FROM members GROUP BY ALL")
    between = _periods_between(settings.grain)
    grid = template(_GRID, last_period=template(between, a=exp.column("cohort"), b=exp.column("last_period")))
    active = template(
        _ACTIVE, period=template(between, a=exp.column("cohort", "m"), b=exp.column("period_start", "a"))
    )
    result = template(_RESULT)
    assert isinstance(result, exp.Select)
    if settings.max_periods is not None:
        result = result.where(template("g.period <= :n", n=lit(settings.max_periods)))
    unit = "MONTH" if settings.grain == "month" else "WEEK"
    period_start = template(f"CAST(cohort + period * INTERVAL 1 {unit} AS DATE)")
    final = template(_FINAL, period_start=period_start)
    assert isinstance(final, exp.Select)
    for name, query in (
        ("members", members),
        ("sizes", sizes),
        ("activity", template(_ACTIVITY, grain=grain)),
        ("grid", grid),
        ("active", active),
        ("cells", template(_CELLS)),
        ("lost", template(_LOST)),
        ("result", result),
    ):
        final = final.with_(name, query)
    return final


def cohorts(wh: Warehouse, settings: CohortSettings | None = None) -> pa.Table:
    """:func:`cohorts_query` run on ``wh``."""
    return wh.con.cursor().sql(render(cohorts_query(settings))).to_arrow_table()


__all__ = ["SPLITS", "CohortSettings", "cohorts", "cohorts_query"]
