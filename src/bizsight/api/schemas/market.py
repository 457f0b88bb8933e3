"""Answers of the market and executive views (services.market, services.executive)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer


class ShareRowOut(Answer):
    period: dt.date
    region: str
    revenue: float
    market_size: float | None
    share: float | None = Field(description="our revenue / market size, a fraction")
    share_change: float | None = Field(
        description="against the region's previous quarter, a fraction (pp / 100)"
    )
    our_growth: float | None
    market_growth: float | None
    growth_gap: float | None
    complete: bool = Field(description="false: our data do not cover the quarter to its end")


class ShareMoveOut(Answer):
    region: str
    start: dt.date
    end: dt.date
    share_start: float | None
    share_end: float | None
    change: float | None


class RankedOut(Answer):
    period: dt.date
    region: str
    name: str = Field(description="a competitor, or 'us'")
    revenue: float
    rank: int
    share: float | None
    is_us: bool


class MarketOut(Answer):
    latest: dt.date | None = Field(description="the last quarter our data cover to its end")
    previous: dt.date | None
    data_end: dt.date | None
    rows: list[ShareRowOut]
    moves: list[ShareMoveOut] = Field(description="share gained or lost, previous quarter → latest")
    year_moves: list[ShareMoveOut] = Field(
        description="share gained or lost over the year to the latest quarter"
    )
    ranking: list[RankedOut] = Field(description="our revenue beside each competitor's in the latest quarter")
    units: dict[str, str]
    notes: list[str]
    restricted: bool


class KpiOut(Answer):
    key: str
    metric: str
    measure: str
    value: float | None
    previous: float | None
    reference: float | None
    score: float | None
    weight: float
    rule: str
    direction: str
    period: str = Field(description="scored, or next: the period after the one the data end in")
    driver: float | None = Field(description="points this KPI moves the section's score from 50")
    missing: str | None


class SectionOut(Answer):
    name: str
    score: float | None
    kpis: list[KpiOut]
    drivers: list[KpiOut]
    missing: list[str]
    summary: str


class ExecutiveOut(Answer):
    period: dt.date | None
    period_end: dt.date | None
    next_period: dt.date | None = Field(description="start of the period forward-looking KPIs are read for")
    next_period_end: dt.date | None
    grain: str
    data_end: dt.date | None
    sections: list[SectionOut]
    units: dict[str, str]
    labels: dict[str, str]
    restricted: bool
