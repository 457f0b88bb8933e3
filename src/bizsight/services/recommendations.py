"""Recommendations that follow from the insights (docs/insights.md, "Recommendations"): each an
action with a priority, an expected impact in money where one can be stated, a confidence, and
the reason in words.

* **Win back** the customers of the RFM segment At Risk: the revenue at stake is their predicted
  lifetime value (customers × the segment's average CLV); the expected impact assumes a win-back
  campaign keeps :data:`WIN_BACK_RATE` of it (a stated assumption, so medium confidence at best).
* **Shift budget** from a channel whose LTV:CAC is below 1 to the one with the highest
  (:func:`bizsight.analytics.marketing.recommend`): moving :data:`BUDGET_STEP` of the losing
  channel's spend of the last year is expected to gain that amount × the difference of their
  LTV:CAC in lifetime margin — assuming the best channel's average return holds at the margin,
  hence low confidence.
* **Rescue a target** at risk: the expected shortfall (target − expected) is the impact; the
  confidence is the pacing model's probability of missing it.
* **Investigate** a member whose revenue fell against the trend: the impact is its shortfall
  against the trend this period; the confidence is its test's.
* **Retain** a customer segment whose retention fell: the customers lost beyond last period's
  rate × revenue per customer; the confidence is the test's.

Priority (:func:`bizsight.analytics.insights.priority`): high from 5 % of the period's revenue,
medium from 1 %, low below or without an impact in money.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.analytics import marketing as channels
from bizsight.analytics.insights import (
    Insight,
    Recommendation,
    confidence_of,
    order_recommendations,
    priority,
)
from bizsight.errors import BizsightError
from bizsight.reports import Finding
from bizsight.services.insight_parts import number, to_finding
from bizsight.services.page_data import Scope
from bizsight.services.report_customers import segments_table
from bizsight.services.report_parts import Reading, literal

WIN_BACK_SEGMENT = "At Risk"
WIN_BACK_RATE = 0.10  # share of the value at stake a win-back campaign is assumed to keep
BUDGET_STEP = 0.20  # share of a losing channel's yearly spend a shift moves


def recommend(reading: Reading, insights: list[Insight]) -> list[Recommendation]:
    """The recommendations for the reading's period and reader, highest priority first."""
    value = reading.value("revenue") if reading.visible("revenue") else None
    revenue = float(value) if value is not None else None
    found: list[Recommendation] = []
    win_back = _win_back(reading, revenue)
    if win_back is not None:
        found.append(win_back)
    found += _budget(reading, revenue)
    for insight in insights:
        made = _from_insight(insight, revenue)
        if made is not None:
            found.append(made)
    return order_recommendations(found)


def _win_back(reading: Reading, revenue: float | None) -> Recommendation | None:
    table = segments_table(reading)
    row = next((r for r in table.rows if r[0] == WIN_BACK_SEGMENT), None)
    if row is None or not row[1] or row[3] is None:
        return None
    at_stake = number(row[1]) * number(row[3])
    expected = WIN_BACK_RATE * at_stake
    return Recommendation(
        action="win_back",
        title=f"Win back the {WIN_BACK_SEGMENT} customers",
        text=(
            f"Run a win-back campaign for the {{0}} {WIN_BACK_SEGMENT} customers: {{1}} of predicted lifetime "
            "value is at stake; keeping {2} of it is worth {3}."
        ),
        numbers=((row[1], "count"), (at_stake, "money"), (WIN_BACK_RATE, "percent"), (expected, "money")),
        priority=priority(expected, revenue),
        expected_impact=expected,
        confidence="medium",
        why=(
            f"They bought often and much, but not lately (RFM segment {WIN_BACK_SEGMENT}); their value "
            "is the CLV model's prediction, and the share a campaign keeps ({2}) is an assumption."
        ),
        link={
            "query": {"metrics": ["new_customers"], "dimensions": ["rfm_segment"]},
            "metric": "new_customers",
            "cell": {"rfm_segment": WIN_BACK_SEGMENT},
        },
    )


def _budget(reading: Reading, revenue: float | None) -> list[Recommendation]:
    """Budget shifts from channels losing money on the customers they buy (LTV:CAC below 1)."""
    from bizsight.services.marketing import marketing

    start = max(reading.period.first, reading.period.end - dt.timedelta(days=364))
    try:
        page = marketing(
            reading.project, reading.wh, reading.request.principal, Scope(start=start, end=reading.period.end)
        )
    except BizsightError:
        return []
    if page.get("withheld"):
        return []
    spent = [
        r for r in page["channels"] if (r.get("marketing_spend") or 0) > 0 and r.get("ltv_to_cac") is not None
    ]
    if len(spent) < 2:
        return []
    best = max(spent, key=lambda r: float(r["ltv_to_cac"]))
    out = []
    for advice in channels.recommend(spent, lambda v, u: str(v)):
        if advice.action != "cut" or advice.channel == best["channel"]:
            continue
        row = next(r for r in spent if r["channel"] == advice.channel)
        moved = BUDGET_STEP * float(row["marketing_spend"])
        gain = moved * (float(best["ltv_to_cac"]) - float(row["ltv_to_cac"]))
        out.append(
            Recommendation(
                action="shift_budget",
                title=f"Shift budget from {advice.channel} to {best['channel']}",
                text=(
                    f"Move {{0}} ({{1}} of last year's spend) from {advice.channel} to {best['channel']}: "
                    "LTV:CAC {2} against {3}, worth about {4} in lifetime margin."
                ),
                numbers=(
                    (moved, "money"),
                    (BUDGET_STEP, "percent"),
                    (row["ltv_to_cac"], "ratio"),
                    (best["ltv_to_cac"], "ratio"),
                    (gain, "money"),
                ),
                priority=priority(gain, revenue),
                expected_impact=gain,
                confidence="low",
                why=(
                    f"{advice.channel} buys customers whose lifetime margin is below what they cost; "
                    f"{best['channel']} returns the most per unit spent. Average returns are not marginal "
                    "returns: a larger budget may buy dearer customers, so confidence is low."
                ),
                link={"page": "/marketing"},
            )
        )
    return out


def _from_insight(insight: Insight, revenue: float | None) -> Recommendation | None:
    """The action an insight calls for, if any."""
    evidence: dict[str, Any] = dict(insight.evidence)
    if insight.kind == "target":
        probability = evidence.get("probability")
        miss = 1 - float(probability) if probability is not None else None
        return (
            Recommendation(
                action="rescue_target",
                title=f"Rescue the {insight.title.removesuffix(' at risk')}",
                text=f"Close the gap of {{0}} to the {insight.title.removesuffix(' at risk')} before its period ends.",
                numbers=((insight.impact, "money"), (miss, "percent")),
                priority=priority(insight.impact, revenue),
                expected_impact=insight.impact,
                confidence="high" if miss is not None and miss >= 0.8 else "medium",
                why="The pacing model gives it a {1} chance of being missed at the present pace.",
                link=insight.drill,
            )
            if miss is not None
            else None
        )
    if insight.kind == "member" and insight.direction == "down":
        where = " in ".join(str(v) for v in reversed(list(insight.subject.values())))
        return _tested_action(
            insight,
            revenue,
            action="investigate",
            title=f"Investigate {where}",
            text=f"Find out why revenue of {where} fell behind the trend: {{0}} short this period.",
            why="Its fall is more than the whole business's change explains ({1}, corrected for the many members tested); the rows behind it show where.",
        )
    if insight.kind == "churn" and insight.subject.get("customer_segment"):
        segment = insight.subject["customer_segment"]
        return _tested_action(
            insight,
            revenue,
            action="retain",
            title=f"Retain {segment} customers",
            text=f"Run a retention campaign for {segment} customers: falling retention costs about {{0}} this period.",
            why="Fewer of the segment's customers came back than the period before ({1}); the cost is those customers × revenue per customer.",
        )
    return None


def _tested_action(
    insight: Insight, revenue: float | None, *, action: str, title: str, text: str, why: str
) -> Recommendation:
    """An action following a tested change: its impact is the insight's, its confidence the
    test's p-value ({0} in the texts is the impact, {1} the p-value)."""
    p_value = insight.evidence.get("p_value")
    return Recommendation(
        action=action,
        title=title,
        text=text,
        numbers=((insight.impact, "money"), (p_value, "p_value")),
        priority=priority(insight.impact, revenue),
        expected_impact=insight.impact,
        confidence=confidence_of(p_value),
        why=why,
        link=insight.drill,
    )


def advice_finding(advice: Recommendation, reading: Reading) -> Finding:
    """A recommendation as one of the executive report's written findings: the action, its
    priority, confidence and expected impact, and why."""
    impact = f" expected impact {{{len(advice.numbers)}}};" if advice.expected_impact is not None else ""
    text = (
        f"{literal(advice.title)} ({advice.priority} priority,{impact} {advice.confidence} confidence): "
        f"{advice.text} {advice.why}"
    )
    numbers = advice.numbers + (
        ((advice.expected_impact, "money"),) if advice.expected_impact is not None else ()
    )
    return to_finding(text, numbers, reading)
