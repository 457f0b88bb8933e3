"""Insights from what refresh scored and planned: anomalies of the period, targets at risk,
customers at high churn risk and segments whose retention fell, moves into the RFM segments worth
winning back (docs/insights.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from bizsight.analytics.insights import Insight
from bizsight.analytics.significance import proportions_test
from bizsight.errors import AccessDeniedError, BizsightError
from bizsight.metrics.periods import add_months
from bizsight.services.insight_parts import drill, money_per, number, previous_span, source, span
from bizsight.services.report_customers import churn_table, movement_table, segments_table
from bizsight.services.report_parts import Reading
from bizsight.warehouse.sql import col, lit, table

AT_RISK_SEGMENTS = ("At Risk", "Can't Lose Them")  # RFM segments a move into is worth a word
ANOMALIES = 5  # the strongest anomalies of the period
TARGETS = 3  # targets at risk, the largest shortfall first


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


def anomalies(reading: Reading) -> list[Insight]:
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
                impact=abs(float(r["actual"]) - float(r["expected"])) * money_per(reading, metric),
                direction="up" if float(r["actual"]) > float(r["expected"]) else "down",
                subject=where,
                evidence={"score": r.get("score"), "severity": r["severity"]},
                drill=drill(reading, metric, where, grain="day", cell={"period": day.isoformat()}),
            )
        )
    return out


def targets(reading: Reading) -> list[Insight]:
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
        # a target whose period has not begun has nothing "so far": say (and cite) only what is expected
        begun = r["period_start"] <= reading.period.last
        so_far = ((r["actual"], unit),) if begun else ()
        out.append(
            Insight(
                kind="target",
                title=f"{reading.label(r['metric'])} target of {r['period_start'].isoformat()} ({where}) at risk",
                text=(
                    f"The {{0}} target of {{1}} for {r['period_start'].isoformat()} to {r['period_end'].isoformat()} "
                    f"({where}) is at risk: "
                    + ("{4} so far, {2} expected by the end" if begun else "{2} expected")
                    + ", a {3} chance of reaching it."
                ),
                numbers=(
                    (reading.label(r["metric"]), "text"),
                    (r["target"], unit),
                    (r.get("expected"), unit),
                    (r.get("probability"), "percent"),
                    *so_far,
                ),
                impact=shortfall * money_per(reading, r["metric"]),
                direction="down",
                subject={"target": f"{r['metric']} {r['period_start']} {r['filter']}"},
                evidence={
                    "probability": r.get("probability"),
                    "shortfall": shortfall,
                    "basis": r.get("basis"),
                },
                drill=target_rows(reading, r),
            )
        )
    return sorted(out, key=lambda i: -i.impact)[:TARGETS]


def target_rows(reading: Reading, target: dict[str, Any]) -> dict[str, Any] | None:
    """The rows a target has so far (None before its period starts): its metric from the
    period's start to the data's last day, under the target's filters."""
    if target["period_start"] > reading.period.last:
        return None
    where = dict(f.split("=", 1) for f in str(target["filter"] or "").split(", ") if "=" in f)
    query = {
        "metrics": [target["metric"]],
        "dimensions": list(where),
        "start": target["period_start"].isoformat(),
        "end": min(target["period_end"], reading.period.last).isoformat(),
    }
    return {"query": query, "metric": target["metric"], "cell": where}


def churn(reading: Reading) -> list[Insight]:
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
    previous = previous_span(reading)
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
    per_customer = money_per(reading, "active_customers")
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
                        0: source(
                            reading, "customer_retention_rate", span(reading), {"customer_segment": segment}
                        ),
                        1: source(
                            reading, "customer_retention_rate", previous, {"customer_segment": segment}
                        ),
                    },
                },
                drill=drill(reading, "active_customers", {"customer_segment": segment}),
            )
        )
    return out


def segment_moves(reading: Reading) -> list[Insight]:
    """The largest moves of customers into the RFM segments worth winning back, valued at the
    destination segment's average predicted CLV."""
    moves = movement_table(reading)
    segments = segments_table(reading)
    if not moves.rows or moves.columns[0].key != "segment_from":
        return []
    clv = {r[0]: r[3] for r in segments.rows if len(r) > 3}
    out = []
    for origin, target, customers in moves.rows:
        if target not in AT_RISK_SEGMENTS or origin in AT_RISK_SEGMENTS or origin == "(new)":
            continue
        worth = number(clv.get(target)) * number(customers)
        out.append(
            Insight(
                kind="segment_move",
                title=f"{origin} → {target}",
                text=f"{{0}} customers moved from {origin} to {target} over the period, worth {{1}} in predicted lifetime value.",
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
