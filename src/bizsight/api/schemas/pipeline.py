"""Answers of the sales pipeline: its summary, the open deals with their scores, the model."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer, Number, Page, ServerTimestamp


class StageProbability(Answer):
    stage: str
    stage_order: int
    reached: int = Field(description="closed deals that reached the stage")
    won: int = Field(description="of which won")
    probability: float = Field(description="won / reached: P(win | the deal reached the stage)")


class OpenGroup(Answer):
    value: str = Field(description="the stage, owner or source")
    deals: int
    amount: float
    weighted: float = Field(description="Σ amount × the learned probability of the deal's stage")


class StageFlow(Answer):
    stage: str
    reached: int
    advanced: int = Field(description="moved on to the next stage (or were won, from the last)")
    conversion: float | None
    ended_here: int = Field(description="closed deals whose last stage was this one")
    days_to_close: float | None = Field(description="their mean days from creation to close")
    days_in_stage: float | None = Field(description="days_to_close minus that of the stage before")


class Coverage(Answer):
    start: dt.date
    end: dt.date
    open_pipeline: Number | None = Field(description="open deals expected to close in the quarter")
    target: Number | None = Field(description="the quarter's bookings target")
    coverage: float | None = Field(description="open_pipeline / target; empty without a target")


class BookingsForecast(Answer):
    start: dt.date
    end: dt.date
    expected: float
    low: float = Field(description="10 % quantile")
    high: float = Field(description="90 % quantile")
    from_pipeline: float
    run_rate: float
    deals: int
    method: str


class PipelineOut(Answer):
    as_of: dt.date = Field(description="the last date the deals know of")
    kpis: dict[str, Number | None] = Field(description="open_pipeline, weighted_pipeline, win_rate, ...")
    stage_probabilities: list[StageProbability]
    by_stage: list[OpenGroup]
    by_owner: list[OpenGroup]
    by_source: list[OpenGroup]
    flow: list[StageFlow]
    coverage: Coverage
    forecast: BookingsForecast


class Reason(Answer):
    feature: str
    value: str
    effect: float = Field(description="change of the log-odds against the average deal")
    direction: str


class ScoredDeal(Answer):
    deal_id: str
    owner: str | None = Field(description="the salesperson (an employee)")
    stage: str
    source: str | None
    amount: float
    created_date: dt.date
    expected_close_date: dt.date | None
    probability: float | None = Field(description="predicted probability to win (the last refresh)")
    reasons: list[Reason]


class DealPage(Page):
    rows: list[ScoredDeal]


class ModelEvaluation(Answer):
    model: str
    fitted_at: ServerTimestamp
    cutoff: dt.date = Field(description="trained on deals closed before, tested on those closed from it")
    train_rows: int
    test_rows: int
    auc: float | None
    brier: float | None
    base_rate: float | None = Field(description="share won among the test rows")


class CalibrationBin(Answer):
    low: float
    high: float
    count: int
    predicted: float | None
    observed: float | None


class DealModelOut(Answer):
    evaluation: ModelEvaluation | None
    calibration: list[CalibrationBin]
    withheld: bool = Field(description="true for users with row-level restrictions")
