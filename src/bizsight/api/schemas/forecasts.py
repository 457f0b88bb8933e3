"""Answers of forecasts, forecast accuracy, anomalies, targets and trends."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer, Row


class ScenarioOut(Answer):
    multiplier: float = Field(description="the what-if's factor on the forecast")
    assumptions: list[str]


class ForecastOut(Answer):
    metric: str
    grain: str
    dimension: str | None
    origin: dt.date | None = Field(description="the last period of the history")
    season_length: int
    candidates: list[str] = Field(description="the models tried")
    levels: list[int] = Field(description="interval levels (%): columns lo_<level>, hi_<level>")
    reconciliation: str
    forecasts: list[Row] = Field(
        description="series, period, step, model, forecast, lo_80, hi_80, lo_95, hi_95, base; with a "
        "scenario also scenario, scenario_lo_*, scenario_hi_*"
    )
    selection: list[Row] = Field(description="per series: the model chosen, how and why, its backtest scores")
    accuracy: list[Row] = Field(description="each candidate's backtest accuracy per series")
    restricted: bool = Field(description="the caller's slice only (row-level restrictions)")
    history: list[Row] = Field(description="series, period, actual")
    scenario: ScenarioOut | None = Field(default=None, description="only with ?scenario=")


class AccuracyOut(Answer):
    metric: str
    grain: str
    dimension: str | None
    rows: list[Row] = Field(description="each stored forecast beside its actual: error, ape, inside_80, ...")
    by_step: list[Row] = Field(description="mape, bias, coverage_80, coverage_95 and n per horizon step")
    by_origin: list[Row] = Field(description="the same per run (origin)")
    restricted: bool | None = Field(default=None, description="only for a restricted caller")
    withheld: str | None = Field(default=None, description="why nothing is shown, when that is so")


class Anomaly(Answer):
    metric: str
    grain: str
    dimension: str | None = Field(description="null for the total")
    dimension_value: str | None
    period: dt.date
    actual: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    direction: str = Field(description="spike or drop")
    kind: str
    severity: str = Field(description="low, medium or high")
    score: float | None
    forecast_z: float | None
    residual_z: float | None


class AnomalyList(Answer):
    since: dt.date | None
    total: int | None = Field(description="anomalies scored in all; null for a restricted caller")
    anomalies: list[Anomaly] = Field(description="newest first")


class TargetPacing(Answer):
    metric: str
    period_start: dt.date
    period_end: dt.date
    filter: str = Field(description='e.g. "region=Europe, category=Toys"; empty for the total')
    target: float | None
    actual: float | None
    pct_achieved: float | None
    elapsed: float | None = Field(description="share of the period passed, 0 to 1")
    expected: float | None = Field(description="the expected total at the period's end")
    probability: float | None = Field(description="of reaching the target")
    status: str
    note: str | None


class TargetList(Answer):
    targets: list[TargetPacing]
    restricted: bool


class TrendsOut(Answer):
    metric: str
    grain: str
    dimension: str | None
    notes: list[str]
    rows: list[Row] = Field(
        description="period, the dimension (with by), value, moving averages, growth (mom, yoy) and "
        "the seasonal decomposition (trend, seasonal columns, remainder)"
    )
