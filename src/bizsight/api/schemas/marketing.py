"""The Marketing API's answer (services.marketing)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer


class MarketingKpi(Answer):
    metric: str = Field(description="a catalogue metric, or `payback` (months, computed for the page)")
    title: str
    unit: str
    value: float | None
    withheld: bool = Field(
        description="true when the caller's restrictions cannot filter it (spend has no region)"
    )


class MarketingChannel(Answer):
    channel: str
    marketing_spend: float | None = None
    new_customers: int | None = None
    signups: int | None = None
    conversion_rate: float | None = None
    customer_acquisition_cost: float | None = None
    ltv_to_cac: float | None = None
    roas: float | None = None
    payback: int | None = Field(description="months until the cumulative gross margin covered the spend")


class FunnelStep(Answer):
    step: str = Field(description="impressions, clicks, signups, first_purchase, repeat_purchase")
    metric: str
    count: float | None
    step_rate: float | None = Field(description="count over the step before")
    overall_rate: float | None = Field(description="count over the first step")


class Recommendation(Answer):
    channel: str
    action: str = Field(description="cut, grow or keep")
    text: str = Field(description="the sentence, citing its numbers")
    ltv_to_cac: float


class MarketingOut(Answer):
    start: dt.date | None
    end: dt.date | None
    kpis: list[MarketingKpi]
    channels: list[MarketingChannel]
    funnel: list[FunnelStep]
    recommendations: list[Recommendation]
    withheld: str | None = Field(description="why spend-based figures are not shown, or null")
    payback_basis: str | None
    ltv_metric: str = Field(
        description="ltv_to_cac (predicted CLV where scored) or ltv_to_cac_historical (before a CLV model is fitted)"
    )
