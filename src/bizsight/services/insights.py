"""Automated insights for one reader over one period (docs/insights.md): significant changes of
the headline metrics with the members that drove them, members that moved differently from the
whole, anomalies, targets at risk, churn, customers moving between RFM segments and the seasonal
pattern — ranked by impact (:func:`bizsight.analytics.insights.rank`).

Every figure is read through a :class:`~bizsight.services.report_parts.Reading`, the executive
report's view of the warehouse: the metrics layer with the reader's row-level restrictions, the
tests of decision 0040, the customer marts limited to the customers the reader may see. So a
reader restricted to a region gets insights about that region's rows only, and the executive
report's written findings are these insights (one code path).

Numbers that are a metric's value carry the query that gives it (``sources``), so a test can ask
the metrics layer the same question.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.analytics.contribution import contributions
from bizsight.analytics.insights import Insight, excess_test, holm, rank, seasonal_indices
from bizsight.analytics.significance import ALPHA, WELCH
from bizsight.errors import AccessDeniedError
from bizsight.metrics.periods import add_months
from bizsight.metrics.query import Grain
from bizsight.reports import Finding
from bizsight.services import insight_watch
from bizsight.services.insight_parts import drill, money_per, previous_span, source, span, to_finding
from bizsight.services.insight_watch import period_anomalies
from bizsight.services.report_parts import VS_PREVIOUS, Reading

__all__ = ["as_finding", "compute", "member_tests", "period_anomalies"]

HEADLINE = ("revenue", "orders", "average_order_value", "active_customers", "new_customers")
# Dimensions (and one pair) whose members are tested against the whole's growth.
MEMBER_DIMENSIONS: tuple[tuple[str, ...], ...] = (
    ("region",),
    ("category",),
    ("sales_channel",),
    ("customer_segment",),
    ("region", "category"),
)
CONTRIBUTORS = 2  # members cited per dimension in a change's sentence


def compute(reading: Reading) -> list[Insight]:
    """Every insight for the reading's period and reader, ranked by impact."""
    found: list[Insight] = []
    revenue = reading.kpi("revenue", target=False)
    found += _headline_changes(reading)
    if revenue.comparisons:  # none when the reader's restrictions cannot filter revenue
        found += _members(reading, revenue.value, revenue.comparisons[0].value)
    found += insight_watch.anomalies(reading)
    found += insight_watch.targets(reading)
    found += insight_watch.churn(reading)
    found += insight_watch.segment_moves(reading)
    seasonal = _seasonality(reading)
    if seasonal is not None:
        found.append(seasonal)
    return rank(found)


def _headline_changes(reading: Reading) -> list[Insight]:
    """Each headline metric whose change on the previous period the stated test finds
    significant; revenue's sentence names the members that contributed most."""
    previous = previous_span(reading)
    if previous is None:
        return []
    found = []
    for card, metric in zip(reading.kpis(HEADLINE, target=False), HEADLINE, strict=True):
        before = next((c for c in card.comparisons if c.label == VS_PREVIOUS), None)
        if before is None or not before.significant or card.value is None or before.value is None:
            continue
        change = before.change(card.value)
        if change is None:
            continue
        unit = reading.unit(metric).value
        delta = float(card.value) - float(before.value)
        text = (
            "{0} "
            + ("rose" if delta > 0 else "fell")
            + " {1} to {2} against the previous period ({3}; {4}, {5})."
        )
        numbers: list[tuple[Any, str]] = [
            (reading.label(metric), "text"),
            (abs(change), "percent"),
            (card.value, unit),
            (before.value, unit),
            (before.test, "text"),
            (before.p_value, "p_value"),
        ]
        sources = {2: source(reading, metric, span(reading)), 3: source(reading, metric, previous)}
        if metric == "revenue":
            drivers = _drivers(reading, previous)
            if drivers:
                parts = []
                for member_dim, member, change_of in drivers:
                    i = len(numbers)
                    parts.append(f"{{{i}}} ({'up' if change_of > 0 else 'down'} {{{i + 1}}})")
                    label = reading.cat.dimensions[member_dim].label or member_dim
                    numbers += [(f"{label} {member}", "text"), (abs(change_of), "money")]
                text += " Largest contributions: " + ", ".join(parts) + "."
        found.append(
            Insight(
                kind="change",
                title=f"{reading.label(metric)} {'up' if delta > 0 else 'down'}",
                text=text,
                numbers=tuple(numbers),
                impact=abs(delta) * money_per(reading, metric),
                direction="up" if delta > 0 else "down",
                evidence={"test": before.test, "p_value": before.p_value, "sources": sources},
                drill=drill(reading, metric, {}),
            )
        )
    return found


def _drivers(reading: Reading, previous: tuple[dt.date, dt.date]) -> list[tuple[str, Any, float]]:
    """The members of each single dimension with the largest contribution to revenue's change
    (contributions sum to the change: :mod:`bizsight.analytics.contribution`)."""
    out: list[tuple[str, Any, float]] = []
    for dims in MEMBER_DIMENSIONS:
        if len(dims) != 1:
            continue
        (dim,) = dims
        try:
            now = {r[dim]: r["revenue"] for r in reading.rows("revenue", dimensions=dims)}
            before = {r[dim]: r["revenue"] for r in reading.rows("revenue", dimensions=dims, span=previous)}
        except AccessDeniedError:
            continue
        if len(set(now) | set(before)) < 2:
            continue
        top = contributions(now, before)[:1]
        out += [(dim, c.member, float(c.change)) for c in top if c.member is not None]
    return sorted(out, key=lambda d: -abs(d[2]))[:CONTRIBUTORS]


def member_tests(
    reading: Reading, dims: tuple[str, ...], previous: tuple[dt.date, dt.date], growth: float
) -> list[dict[str, Any]]:
    """Each member of ``dims``: its revenue in both periods and the test of its daily revenue
    against the whole's growth (:func:`bizsight.analytics.insights.excess_test`)."""
    now = {tuple(r[d] for d in dims): r["revenue"] for r in reading.rows("revenue", dimensions=dims)}
    before = {
        tuple(r[d] for d in dims): r["revenue"]
        for r in reading.rows("revenue", dimensions=dims, span=previous)
    }
    daily = reading.rows("revenue", dimensions=dims, grain=Grain.DAY, span=(previous[0], reading.period.end))
    by_member: dict[tuple[Any, ...], dict[dt.date, float]] = {}
    for r in daily:
        day = r["period"].date() if isinstance(r["period"], dt.datetime) else r["period"]
        by_member.setdefault(tuple(r[d] for d in dims), {})[day] = float(r["revenue"] or 0.0)
    out = []
    for member in sorted(set(now) | set(before), key=str):
        if any(m is None for m in member):
            continue
        days = by_member.get(member, {})
        current = _days(days, reading.period.start, reading.period.end)
        past = _days(days, *previous)
        out.append(
            {
                "member": dict(zip(dims, member, strict=True)),
                "current": now.get(member),
                "previous": before.get(member),
                "test": excess_test(current, past, growth, WELCH),
            }
        )
    return out


def _days(values: dict[dt.date, float], lo: dt.date, hi: dt.date) -> list[float]:
    return [values.get(lo + dt.timedelta(days=i), 0.0) for i in range((hi - lo).days + 1)]


def _members(reading: Reading, total: Any, total_before: Any) -> list[Insight]:
    """Members whose revenue moved differently from the whole's, Holm-corrected across every
    member tested (so a period of no change shows none, but for a 5 % chance)."""
    previous = previous_span(reading)
    if previous is None or not total or not total_before:
        return []
    growth = float(total) / float(total_before)
    tested: list[dict[str, Any]] = []
    for dims in MEMBER_DIMENSIONS:
        try:
            found = member_tests(reading, dims, previous, growth)
        except AccessDeniedError:
            continue
        if len({tuple(f["member"].items()) for f in found}) >= 2:
            tested += found
    usable = [t for t in tested if t["test"] is not None]
    flags = holm([t["test"].p_value for t in usable], ALPHA)
    out = []
    for t, flagged in zip(usable, flags, strict=True):
        if not flagged:
            continue
        now, before = float(t["current"] or 0.0), float(t["previous"] or 0.0)
        excess = now - growth * before
        where = " in ".join(str(v) for v in reversed(list(t["member"].values())))
        direction = "up" if excess > 0 else "down"
        verb = "rose" if now >= before else "fell"
        numbers: tuple[tuple[Any, str], ...] = (
            (abs(now / before - 1) if before else None, "percent"),
            (t["current"] or 0, "money"),  # as the metrics layer gave them
            (t["previous"] or 0, "money"),
            (abs(growth - 1), "percent"),
            (abs(excess), "money"),
            (t["test"].p_value, "p_value"),
        )
        whole = "rose" if growth >= 1 else "fell"
        text = (
            f"Revenue of {where} {verb} {{0}} to {{1}} (from {{2}}) while revenue overall {whole} {{3}}: "
            f"{{4}} {'more' if excess > 0 else 'less'} than the overall trend explains "
            f"({t['test'].test}, Holm-corrected, {{5}})."
        )
        out.append(
            Insight(
                kind="member",
                title=f"{where}: revenue {direction} against the trend",
                text=text,
                numbers=numbers,
                impact=abs(excess),
                direction=direction,
                subject=t["member"],
                evidence={
                    "test": t["test"].test,
                    "p_value": t["test"].p_value,
                    "growth": growth,
                    "excess": excess,
                    "sources": {
                        1: source(reading, "revenue", span(reading), t["member"]),
                        2: source(reading, "revenue", previous, t["member"]),
                    },
                },
                drill=drill(reading, "revenue", t["member"]),
            )
        )
    return out


def _seasonality(reading: Reading) -> Insight | None:
    """The yearly pattern of revenue (daily average per month, classical decomposition over the
    data's complete years)."""
    start = reading.period.first.replace(day=1)
    if reading.period.first.day != 1:
        start = add_months(start, 1)
    end = reading.period.end
    if start > end or not reading.visible("revenue"):  # not one whole month of data yet
        return None
    monthly = {
        (r["period"].date() if isinstance(r["period"], dt.datetime) else r["period"]): float(
            r["revenue"] or 0.0
        )
        for r in reading.rows("revenue", grain=Grain.MONTH, span=(start, end))
        if r["period"] is not None
    }
    last_full = max((m for m in monthly if add_months(m, 1) - dt.timedelta(days=1) <= end), default=None)
    monthly = {m: v for m, v in monthly.items() if last_full is not None and m <= last_full}
    indices = seasonal_indices(monthly)
    if indices is None:
        return None
    peak = max(indices, key=lambda m: indices[m])
    trough = min(indices, key=lambda m: indices[m])
    average = sum(monthly.values()) / len(monthly)
    name = lambda m: dt.date(2000, m, 1).strftime("%B")  # noqa: E731
    years = len(monthly) // 12
    return Insight(
        kind="seasonality",
        title="Seasonal pattern",
        text=(
            f"Revenue is seasonal: a day in {name(peak)} brings {{0}} more than an average day, one in "
            f"{name(trough)} {{1}} less (classical decomposition of {{2}} years and more of monthly revenue)."
        ),
        numbers=((indices[peak] - 1, "percent"), (1 - indices[trough], "percent"), (years, "count")),
        impact=(indices[peak] - 1) * average,
        direction="none",
        evidence={
            "indices": {str(m): round(v, 4) for m, v in indices.items()},
            "peak": peak,
            "trough": trough,
        },
        drill=drill(reading, "revenue", {}),
    )


def as_finding(insight: Insight, reading: Reading) -> Finding:
    """An insight as one of the executive report's written findings."""
    return to_finding(insight.text, insight.numbers, reading)
