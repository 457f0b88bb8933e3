"""Marketing: the acquisition funnel, payback of a channel's spend, and budget recommendations.

Pure functions: SQL is built as sqlglot syntax trees over the relations they are given (the
caller passes the rows a user may see), and the rest works on small lists of numbers.

- **Funnel**: impressions → clicks → signups → first purchase → repeat purchase; each step's
  conversion is its count over the step before, and the overall rate is over the first step.
- **Payback**: the cohort is the customers whose first order falls in the range, by the channel
  that acquired them; their gross margin (net revenue − unit cost × quantity, completed lines
  whose product has a unit cost) is summed by month since their first order (month 0 is the
  month of the first order); payback is the number of months until the cumulative margin
  covers the channel's spend over the range — ``None`` when it has not yet.
- **Recommendations**: see :func:`recommend`.

>>> [round(s.step_rate, 2) for s in funnel([("impressions", 1000), ("clicks", 50), ("signups", 10)])[1:]]
[0.05, 0.2]
>>> payback_month(100.0, [30.0, 30.0, 50.0])
3
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from bizsight.warehouse.sql import col, lit

# LTV:CAC below this loses money on the acquired customers' lifetime value; above GOOD it leaves
# room to spend more (the usual 3:1 rule of thumb).
LOSING, GOOD = 1.0, 3.0


@dataclass(frozen=True)
class Step:
    """One funnel step: its count, conversion from the step before and from the first step."""

    name: str
    count: float | None
    step_rate: float | None
    overall_rate: float | None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def funnel(counts: Sequence[tuple[str, float | None]]) -> list[Step]:
    """The funnel from (step, count) pairs in order; a rate over a missing or zero count is None.

    >>> [(s.name, s.step_rate, s.overall_rate) for s in funnel([("signups", 20), ("first_purchase", 15), ("repeat_purchase", 6)])]
    [('signups', None, 1.0), ('first_purchase', 0.75, 0.75), ('repeat_purchase', 0.4, 0.3)]
    """
    first = counts[0][1] if counts else None
    steps, before = [], None
    for k, (name, count) in enumerate(counts):
        rate = None if k == 0 else _ratio(count, before)
        steps.append(Step(name, count, rate, _ratio(count, first)))
        before = count
    return steps


def payback_month(spend: float, margins: Sequence[float]) -> int | None:
    """Months until the cumulative margin covers ``spend``: ``margins[k]`` is the margin of month
    k since the first order, so covering it within month 0 is a payback of 1 month; None when the
    margins so far do not cover it; 0 when there was nothing to pay back.

    >>> payback_month(50.0, [60.0]), payback_month(50.0, [10.0, 10.0]), payback_month(0.0, [])
    (1, None, 0)
    """
    if spend <= 0:
        return 0
    total = 0.0
    for k, margin in enumerate(margins):
        total += margin
        if total >= spend:
            return k + 1
    return None


def margin_by_month_query(cohort: exp.Expr, start: dt.date, end: dt.date) -> exp.Select:
    """Gross margin by acquisition channel and month since the first order, of the customers in
    ``cohort`` (rows of core.customer_orders: customer_id, first_order_date,
    acquisition_channel) whose first order falls in [start, end].

    Columns: ``channel``, ``month_index`` (0 = the month of the first order), ``margin``.

    >>> from bizsight.warehouse.sql import render
    >>> "DATE_DIFF" in render(margin_by_month_query(exp.to_table("core.customer_orders"), dt.date(2025, 1, 1), dt.date(2025, 3, 31))).upper()
    True
    """
    source = cohort if isinstance(cohort, exp.Table) else exp.paren(cohort)
    month_index = exp.DateDiff(
        this=exp.DateTrunc(unit=exp.var("MONTH"), this=col("order_date", "f")),
        expression=exp.DateTrunc(unit=exp.var("MONTH"), this=col("first_order_date", "c")),
        unit=exp.var("MONTH"),
    )
    margin = exp.Sub(
        this=col("net_amount", "f"),
        expression=exp.Mul(this=col("quantity", "f"), expression=col("unit_cost", "p")),
    )
    in_range = exp.Between(this=col("first_order_date", "c"), low=lit(start), high=lit(end))
    counted = exp.and_(
        exp.EQ(this=col("status", "f"), expression=lit("completed")),
        exp.Not(this=exp.Is(this=col("unit_cost", "p"), expression=exp.Null())),
    )
    return (
        exp.select(
            exp.alias_(col("acquisition_channel", "c"), "channel"),
            exp.alias_(month_index, "month_index"),
            exp.alias_(exp.Sum(this=margin), "margin"),
        )
        .from_(exp.alias_(source, "c"))
        .join(
            exp.alias_(exp.to_table("core.fact_order_line"), "f"),
            on=exp.EQ(this=col("customer_id", "f"), expression=col("customer_id", "c")),
        )
        .join(
            exp.alias_(exp.to_table("core.dim_product"), "p"),
            on=exp.EQ(this=col("product_id", "p"), expression=col("product_id", "f")),
            join_type="left",
        )
        .where(exp.and_(in_range, counted))
        .group_by(col("acquisition_channel", "c"), month_index.copy())  # f has a (sales) channel too
        .order_by(exp.Literal.number(1), exp.Literal.number(2))
    )


def monthly_margins(rows: Sequence[dict[str, object]]) -> dict[str, list[float]]:
    """Rows of :func:`margin_by_month_query` as a list per channel, months without margin as 0.

    >>> monthly_margins([{"channel": "Email", "month_index": 0, "margin": 5}, {"channel": "Email", "month_index": 2, "margin": 7}])
    {'Email': [5.0, 0.0, 7.0]}
    """
    found: dict[str, list[float]] = {}
    for row in rows:
        channel, k = str(row["channel"]), int(row["month_index"])  # type: ignore[call-overload]
        months = found.setdefault(channel, [])
        months.extend([0.0] * (k + 1 - len(months)))
        months[k] += float(row["margin"] or 0.0)  # type: ignore[arg-type]
    return found


@dataclass(frozen=True)
class Recommendation:
    """A sentence about one channel and the numbers it cites."""

    channel: str
    action: str  # cut, grow, keep
    text: str
    ltv_to_cac: float
    cac: float | None


def recommend(
    channels: Sequence[dict[str, object]], fmt: Callable[[object, str], str]
) -> list[Recommendation]:
    """Budget moves from each channel's LTV:CAC (rows with ``channel``, ``ltv_to_cac``,
    ``customer_acquisition_cost``; channels without spend are left out).

    A channel with LTV:CAC below 1 (``LOSING``) loses money on the customers it buys: move budget
    from it to the channel with the highest LTV:CAC. A channel at 3 or more (``GOOD``) may take
    more budget. Anything between is kept. Each sentence cites the numbers, written by ``fmt``
    (the presenter: value, unit).

    >>> rows = [{"channel": "Display", "ltv_to_cac": 0.7, "customer_acquisition_cost": 80.0},
    ...         {"channel": "Email", "ltv_to_cac": 3.1, "customer_acquisition_cost": 13.0}]
    >>> [r.text for r in recommend(rows, lambda v, u: f"{v:.2f}" if u == "ratio" else f"${v:.0f}")]  # doctest: +NORMALIZE_WHITESPACE
    ['Move budget from Display to Email: LTV:CAC 0.70 against 3.10 (CAC $80 against $13).',
     'Grow Email: LTV:CAC 3.10 (CAC $13) — each unit spent returns 3.10 in lifetime margin.']
    """

    def number(value: object) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    scored = sorted(
        (
            (str(r["channel"]), ratio, number(r.get("customer_acquisition_cost")))
            for r in channels
            if (ratio := number(r.get("ltv_to_cac"))) is not None
        ),
        key=lambda c: c[1],
    )
    if not scored:
        return []
    best, best_ratio, best_cac = scored[-1]
    out = []
    for name, ratio, cac in scored:
        if ratio < LOSING and best_ratio >= LOSING:
            text = (
                f"Move budget from {name} to {best}: LTV:CAC {fmt(ratio, 'ratio')} against "
                f"{fmt(best_ratio, 'ratio')} (CAC {fmt(cac, 'money')} against {fmt(best_cac, 'money')})."
            )
            out.append(Recommendation(name, "cut", text, ratio, cac))
        elif ratio < LOSING:
            text = (
                f"Cut {name}: LTV:CAC {fmt(ratio, 'ratio')} (CAC {fmt(cac, 'money')}) — no channel pays back."
            )
            out.append(Recommendation(name, "cut", text, ratio, cac))
        elif ratio >= GOOD:
            text = (
                f"Grow {name}: LTV:CAC {fmt(ratio, 'ratio')} (CAC {fmt(cac, 'money')}) — each unit "
                f"spent returns {fmt(ratio, 'ratio')} in lifetime margin."
            )
            out.append(Recommendation(name, "grow", text, ratio, cac))
        else:
            text = (
                f"Keep {name}: LTV:CAC {fmt(ratio, 'ratio')} (CAC {fmt(cac, 'money')}) pays back, "
                "with little room to spare."
            )
            out.append(Recommendation(name, "keep", text, ratio, cac))
    order = {"cut": 0, "grow": 1, "keep": 2}
    return sorted(out, key=lambda r: order[r.action])
