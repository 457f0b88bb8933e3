"""Answers of forecasts, forecast accuracy, anomalies, targets and trends."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer, Number, Row


class ScenarioOut(Answer):
    multiplier: float = Field(description="the what-if's factor on the forecast")
    assumptions: list[str]


class HistoryPoint(Answer):
    series: str = Field(description='a value of the dimension, or "(total)"')
    period: dt.date
    actual: Number | None


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
    history: list[HistoryPoint]
    scenario: ScenarioOut | None = Field(default=None, description="only with ?scenario=")
    basis: str = Field(
        description="which forecast this is: the one refresh stored from the current data (the one "
        "target pacing uses), or one made now and why"
    )


class _Errors(Answer):
    mape: float | None = Field(description="mean absolute percentage error (%)")
    bias: float | None = Field(description="mean of actual − forecast")
    coverage_80: float | None = Field(description="share of actuals inside the 80% interval")
    coverage_95: float | None
    n: int = Field(description="forecasts with an actual")


class ErrorsByStep(_Errors):
    step: int = Field(description="periods ahead of the run")


class ErrorsByOrigin(_Errors):
    origin: dt.date = Field(description="the run: the last period it had")


class AccuracyOut(Answer):
    metric: str
    grain: str
    dimension: str | None
    rows: list[Row] = Field(description="each stored forecast beside its actual: error, ape, inside_80, ...")
    by_step: list[ErrorsByStep]
    by_origin: list[ErrorsByOrigin]
    restricted: bool | None = Field(default=None, description="only for a restricted caller")
    withheld: str | None = Field(default=None, description="why nothing is shown, when that is so")


class Anomaly(Answer):
    metric: str
    grain: str
    dimension: str | None = Field(description="null for the total")
    dimension_value: str | None
    period: dt.date
    actual: Number | None
    expected: Number | None
    lower: Number | None
    upper: Number | None
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
    target: Number | None
    actual: Number | None
    pct_achieved: float | None
    elapsed: float | None = Field(description="share of the period passed, 0 to 1")
    expected: Number | None = Field(description="the expected total at the period's end")
    probability: float | None = Field(description="of reaching the target")
    status: str
    note: str | None
    basis: str | None = Field(
        default=None,
        description="where expected and probability come from: the stored forecast the Forecasts page "
        "shows, a forecast made for this target (and why), or the actual of an ended period",
    )


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
