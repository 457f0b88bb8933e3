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
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from bizsight.analytics.contribution import contributions
from bizsight.analytics.insights import Insight, excess_test, holm, rank, seasonal_indices
from bizsight.analytics.significance import ALPHA, WELCH, proportions_test
from bizsight.errors import AccessDeniedError, BizsightError
from bizsight.metrics.periods import add_months
from bizsight.metrics.query import Grain
from bizsight.presentation import Presenter, Unit
from bizsight.reports import Finding
from bizsight.services.presentation import presentation
from bizsight.services.report_customers import churn_table, movement_table, segments_table
from bizsight.services.report_parts import VS_PREVIOUS, Reading, literal
from bizsight.warehouse.sql import col, lit, table

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
AT_RISK_SEGMENTS = ("At Risk", "Can't Lose Them")  # RFM segments a move into is worth a word
ANOMALIES = 5  # the strongest anomalies of the period
TARGETS = 3  # targets at risk, the largest shortfall first


def number(value: Any) -> float:
    """A table cell as a float (a cell that is not a number counts 0).

    >>> number(Decimal("2.50")), number(None), number("Europe")
    (2.5, 0.0, 0.0)
    """
    return float(value) if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else 0.0


def compute(reading: Reading) -> list[Insight]:
    """Every insight for the reading's period and reader, ranked by impact."""
    found: list[Insight] = []
    revenue = reading.kpi("revenue", target=False)
    found += _headline_changes(reading)
    found += _members(reading, revenue.value, revenue.comparisons[0].value)
    found += _anomalies(reading)
    found += _targets(reading)
    found += _churn(reading)
    found += _segment_moves(reading)
    seasonal = _seasonality(reading)
    if seasonal is not None:
        found.append(seasonal)
    return rank(found)


def _query(
    reading: Reading, metric: str, span: tuple[dt.date, dt.date], where: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The metric query a number is the value of (filters as dimension → member)."""
    return {
        "metric": metric,
        "start": span[0].isoformat(),
        "end": span[1].isoformat(),
        "where": dict(where or {}),
    }


def _drill(
    reading: Reading,
    metric: str,
    where: dict[str, Any],
    *,
    grain: str | None = None,
    cell: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A drill-down the pages open (``B.drill(query, metric, cell)``): the rows behind ``metric``
    over the period for the members in ``where``."""
    query: dict[str, Any] = {
        "metrics": [metric],
        "dimensions": list(where),
        "start": reading.period.start.isoformat(),
        "end": reading.period.end.isoformat(),
    }
    if grain:
        query["grain"] = grain
    return {"query": query, "metric": metric, "cell": {**where, **(cell or {})}}


def _span(reading: Reading) -> tuple[dt.date, dt.date]:
    return reading.period.start, reading.period.end


def _previous(reading: Reading) -> tuple[dt.date, dt.date] | None:
    lo, hi = reading.period.previous
    return None if hi < reading.period.first else (max(lo, reading.period.first), hi)


def _money_per(reading: Reading, metric: str) -> float:
    """What one unit of ``metric`` is worth in revenue this period (1 for money; revenue per
    order for orders; revenue per active customer for customer counts): how a count's change is
    turned into an impact in money."""
    unit = reading.unit(metric).value
    if unit == "money":
        return 1.0
    revenue = float(reading.value("revenue") or 0.0)
    per = {"orders": "orders"}.get(metric, "active_customers")
    count = float(reading.value(per) or 0.0) if reading.visible(per) else 0.0
    return revenue / count if count else 0.0


def _headline_changes(reading: Reading) -> list[Insight]:
    """Each headline metric whose change on the previous period the stated test finds
    significant; revenue's sentence names the members that contributed most."""
    previous = _previous(reading)
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
        sources = {2: _query(reading, metric, _span(reading)), 3: _query(reading, metric, previous)}
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
                impact=abs(delta) * _money_per(reading, metric),
                direction="up" if delta > 0 else "down",
                evidence={"test": before.test, "p_value": before.p_value, "sources": sources},
                drill=_drill(reading, metric, {}, grain="month"),
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
    previous = _previous(reading)
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
                        1: _query(reading, "revenue", _span(reading), t["member"]),
                        2: _query(reading, "revenue", previous, t["member"]),
                    },
                },
                drill=_drill(reading, "revenue", t["member"]),
            )
        )
    return out


def period_anomalies(reading: Reading) -> list[dict[str, Any]]:
    """The anomalies refresh found in the period (marts.anomalies), strongest first: all of them
    for the whole business, those of its one member for a narrowed reading."""
    member = reading.member()
    if not reading.wh.table_exists("marts", "anomalies") or (member is None and reading.restricted):
        return []
    select = (
        exp.select("*")
        .from_(table("marts", "anomalies"))
        .where(col("period").between(lit(reading.period.start), lit(reading.period.end)))
        .order_by("score DESC", "period")
    )
    rows = reading.wh.records(select)
    if member is not None:
        allowed = {str(v) for v in member[1]}
        rows = [r for r in rows if r["dimension"] == member[0] and str(r["dimension_value"]) in allowed]
    return rows


def _anomalies(reading: Reading) -> list[Insight]:
    out = []
    for r in period_anomalies(reading)[:ANOMALIES]:
        metric = r["metric"]
        if metric not in reading.cat.metrics or r["actual"] is None or r["expected"] is None:
            continue
        unit = reading.unit(metric).value
        where = {r["dimension"]: r["dimension_value"]} if r["dimension"] else {}
        place = f" in {r['dimension_value']}" if r["dimension"] else ""
        day = r["period"].date() if isinstance(r["period"], dt.datetime) else r["period"]
        out.append(
            Insight(
                kind="anomaly",
                title=f"{reading.label(metric)}{place} on {day.isoformat()}",
                text=f"{{0}}{place} on {day.isoformat()} was {{1}} against {{2}} expected: a {r['severity']} anomaly ({r['direction']}).",
                numbers=((reading.label(metric), "text"), (r["actual"], unit), (r["expected"], unit)),
                impact=abs(float(r["actual"]) - float(r["expected"])) * _money_per(reading, metric),
                direction="up" if float(r["actual"]) > float(r["expected"]) else "down",
                subject=where,
                evidence={"score": r.get("score"), "severity": r["severity"]},
                drill=_drill(reading, metric, where, grain="day", cell={"period": day.isoformat()}),
            )
        )
    return out


def _targets(reading: Reading) -> list[Insight]:
    """Targets not yet ended that start within a month of the data's last day and whose
    probability of being reached is below one half: the three with the largest shortfall."""
    out = []
    horizon = add_months(reading.period.last, 1)
    for r in reading.pacing():
        if (
            r.get("status") != "at risk"
            or r["metric"] not in reading.cat.metrics
            or r["period_start"] > horizon
        ):
            continue
        unit = reading.unit(r["metric"]).value
        shortfall = max(0.0, float(r["target"]) - float(r.get("expected") or 0.0))
        where = r["filter"] or "the whole business"
        out.append(
            Insight(
                kind="target",
                title=f"{reading.label(r['metric'])} target of {r['period_start'].isoformat()} ({where}) at risk",
                text=(
                    f"The {{0}} target of {{1}} for {r['period_start'].isoformat()} to {r['period_end'].isoformat()} "
                    f"({where}) is at risk: {{2}} so far, {{3}} expected by the end, a {{4}} chance of reaching it."
                ),
                numbers=(
                    (reading.label(r["metric"]), "text"),
                    (r["target"], unit),
                    (r["actual"], unit),
                    (r.get("expected"), unit),
                    (r.get("probability"), "percent"),
                ),
                impact=shortfall * _money_per(reading, r["metric"]),
                direction="down",
                subject={"target": f"{r['metric']} {r['period_start']} {r['filter']}"},
                evidence={
                    "probability": r.get("probability"),
                    "shortfall": shortfall,
                    "basis": r.get("basis"),
                },
                drill={
                    "query": {
                        "metrics": [r["metric"]],
                        "start": r["period_start"].isoformat(),
                        "end": r["period_end"].isoformat(),
                    },
                    "metric": r["metric"],
                    "cell": {},
                },
            )
        )
    return sorted(out, key=lambda i: -i.impact)[:TARGETS]


def _churn(reading: Reading) -> list[Insight]:
    """Customers at high churn risk (marts.churn_scores), and each customer segment whose
    retention fell significantly (Fisher's exact test): churn risk rising there."""
    out: list[Insight] = []
    churn = churn_table(reading)
    high = [r for r in churn.rows if r[0] == "high"]
    if high and high[0][2] is not None:
        out.append(
            Insight(
                kind="churn",
                title="Customers at high churn risk",
                text="{0} customers are at high risk of churning, holding {1} of revenue at risk.",
                numbers=((high[0][1], "count"), (high[0][2], "money")),
                impact=number(high[0][2]),
                direction="down",
                evidence={"model": "marts.churn_scores"},
                drill=None,
            )
        )
    previous = _previous(reading)
    if previous is None:
        return out
    metrics = ("customer_retention_rate", "retained_customers", "previous_period_customers")
    try:
        now = {r["customer_segment"]: r for r in reading.rows(*metrics, dimensions=("customer_segment",))}
        before = {
            r["customer_segment"]: r
            for r in reading.rows(*metrics, dimensions=("customer_segment",), span=previous)
        }
    except (AccessDeniedError, BizsightError):
        return out
    per_customer = _money_per(reading, "active_customers")
    for segment in sorted(k for k in now if k is not None and k in before):
        a, b = now[segment], before[segment]
        if not (a["previous_period_customers"] and b["previous_period_customers"]):
            continue
        tested = proportions_test(
            a["retained_customers"],
            a["previous_period_customers"],
            b["retained_customers"],
            b["previous_period_customers"],
        )
        if (
            tested is None
            or not tested.significant
            or a["customer_retention_rate"] >= b["customer_retention_rate"]
        ):
            continue
        lost = (float(b["customer_retention_rate"]) - float(a["customer_retention_rate"])) * float(
            a["previous_period_customers"]
        )
        out.append(
            Insight(
                kind="churn",
                title=f"Churn rising: {segment}",
                text=(
                    f"Retention of {segment} customers fell to {{0}} from {{1}} ({{2}} of {{3}} kept; {tested.test}, "
                    "{4}): churn risk is rising in this segment."
                ),
                numbers=(
                    (a["customer_retention_rate"], "percent"),
                    (b["customer_retention_rate"], "percent"),
                    (a["retained_customers"], "count"),
                    (a["previous_period_customers"], "count"),
                    (tested.p_value, "p_value"),
                ),
                impact=lost * per_customer,
                direction="down",
                subject={"customer_segment": segment},
                evidence={
                    "test": tested.test,
                    "p_value": tested.p_value,
                    "customers_lost": lost,
                    "sources": {
                        0: _query(
                            reading, "customer_retention_rate", _span(reading), {"customer_segment": segment}
                        ),
                        1: _query(
                            reading, "customer_retention_rate", previous, {"customer_segment": segment}
                        ),
                    },
                },
                drill=_drill(reading, "active_customers", {"customer_segment": segment}),
            )
        )
    return out


def _segment_moves(reading: Reading) -> list[Insight]:
    """The largest moves of customers into the RFM segments worth winning back, valued at the
    destination segment's average predicted CLV."""
    moves = movement_table(reading)
    segments = segments_table(reading)
    if not moves.rows or moves.columns[0].key != "segment_from":
        return []
    clv = {r[0]: r[3] for r in segments.rows if len(r) > 3}
    out = []
    for source, target, customers in moves.rows:
        if target not in AT_RISK_SEGMENTS or source in AT_RISK_SEGMENTS or source == "(new)":
            continue
        worth = number(clv.get(target)) * number(customers)
        out.append(
            Insight(
                kind="segment_move",
                title=f"{source} → {target}",
                text=f"{{0}} customers moved from {source} to {target} over the period, worth {{1}} in predicted lifetime value.",
                numbers=((customers, "count"), (worth, "money")),
                impact=worth,
                direction="down",
                subject={"rfm_segment": target},
                evidence={
                    "basis": "RFM segments at both dates; value = movers × the segment's average predicted CLV"
                },
                drill=None,
            )
        )
    return out[:3]


def _seasonality(reading: Reading) -> Insight | None:
    """The yearly pattern of revenue (daily average per month, classical decomposition over the
    data's complete years)."""
    start = reading.period.first.replace(day=1)
    if reading.period.first.day != 1:
        start = add_months(start, 1)
    end = reading.period.end
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
        drill=_drill(reading, "revenue", {}, grain="month"),
    )


def p_text(presenter: Presenter, value: Any) -> str:
    """A p-value in a sentence: "p = 0.012", "p < 0.001"."""
    written = presenter.p_value(None if value is None else float(value))
    return "p " + written if written.startswith("<") else "p = " + written


def to_finding(text: str, numbers: Sequence[tuple[Any, str]], reading: Reading) -> Finding:
    """A sentence as a report's :class:`~bizsight.reports.Finding`: names and p-values are
    written into the text now (by the presentation layer), the other numbers stay numbers the
    renderer writes."""
    presenter = presentation(reading.project, reading.wh).presenter
    parts: list[str] = []
    kept: list[tuple[Any, Unit]] = []
    for value, unit in numbers:
        if unit == "text":
            parts.append(literal(value))
        elif unit == "p_value":
            parts.append(literal(p_text(presenter, value)))
        else:
            parts.append("{" + str(len(kept)) + "}")
            kept.append((value, Unit(unit)))
    return Finding(text=text.format(*parts), numbers=tuple(kept))


def as_finding(insight: Insight, reading: Reading) -> Finding:
    """An insight as one of the executive report's written findings."""
    return to_finding(insight.text, insight.numbers, reading)
