"""The insights API's answer (services.insight_store, docs/insights.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from bizsight.api.schemas.common import Answer


class CitedNumber(Answer):
    value: float | None = Field(description="the number (null for a name cited in the sentence)")
    unit: str = Field(description="money, count, percent, ratio, number, p_value or text")
    text: str = Field(description="as the sentence writes it (the presentation layer's format)")


class InsightOut(Answer):
    kind: str = Field(description="change, member, anomaly, target, churn, segment_move or seasonality")
    title: str
    text: str = Field(description="the sentence, citing its numbers")
    numbers: list[CitedNumber]
    impact: float = Field(description="the money it is about: the ranking key (largest first)")
    impact_text: str
    direction: str = Field(description="up, down or none")
    subject: dict[str, str] = Field(description="dimension → member the insight is about")
    evidence: dict[str, Any] = Field(
        description="test and p-value, or the model; `sources`: the metric query behind each cited number"
    )
    drill: dict[str, Any] | None = Field(
        description="{query, metric, cell}: POST /api/v1/drill-down shows the rows"
    )


class RecommendationOut(Answer):
    action: str = Field(description="win_back, shift_budget, rescue_target, investigate or retain")
    title: str
    text: str
    why: str = Field(description="the reasoning, in words")
    priority: str = Field(description="high (impact ≥ 5 % of the period's revenue), medium (≥ 1 %) or low")
    expected_impact: float | None = Field(description="money, when one can be stated")
    expected_impact_text: str | None
    confidence: str = Field(description="high, medium or low")
    link: dict[str, Any] | None = Field(description="a drill-down {query, metric, cell} or {page}")


class InsightsOut(Answer):
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    restricted: bool = Field(description="worked out for a reader with row-level restrictions")
    kept: bool = Field(description="true when read from what the last refresh kept (marts.insights)")
    insights: list[InsightOut]
    recommendations: list[RecommendationOut]
