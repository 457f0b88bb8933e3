"""Answers of the customer views: lists, one customer, RFM segments and cohorts."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer, Page, Row


class CustomerRow(Answer):
    """A customer's profile, order history and scores. The score keys (RFM, CLV, churn) are
    there only once a refresh has built their marts; history is null for a customer without
    orders."""

    customer_id: str
    customer_name: str | None
    email: str | None
    signup_date: dt.date | None
    customer_segment: str | None
    region: str | None
    country: str | None
    acquisition_channel: str | None
    orders: int | None
    net_revenue: float | None
    first_order_date: dt.date | None
    last_order_date: dt.date | None
    cohort_month: dt.date | None
    rfm_segment: str | None = None
    rfm_code: int | None = None
    recency_days: int | None = None
    frequency: int | None = None
    monetary: float | None = None
    scores_as_of: dt.date | None = Field(default=None, description="the date the RFM scores were computed at")
    clv: float | None = None
    p_alive: float | None = None
    expected_purchases: float | None = None
    churn_probability: float | None = None
    risk_band: str | None = None
    reason_1: str | None = Field(
        default=None, description="the strongest reason for the churn risk, as a code (feature and level)"
    )
    reason_2: str | None = None
    reason_3: str | None = None
    main_reason: str | None = Field(
        default=None, description="the strongest reason for the churn risk, in words (lists show this one)"
    )
    reasons: list[str] | None = Field(
        default=None, description="the reasons for the churn risk in words, strongest first"
    )
    revenue_at_risk: float | None = None
    churn_days: int | None = Field(default=None, description="the churn window: days without a purchase")


class CustomerExplanation(Answer):
    """What the customer's numbers mean, in sentences (null when the score is not built)."""

    summary: str | None = Field(description="segment, churn risk and p_alive reconciled in a sentence or two")
    segment: str | None = Field(description="the RFM segment: past behaviour against all customers")
    churn_risk: str | None = Field(
        description="the churn model's probability of no purchase in the churn window"
    )
    p_alive: str | None = Field(description="the BG/NBD probability that they are still a customer")
    clv: str | None = Field(description="expected future value; says when the customer has likely lapsed")
    clv_if_alive: float | None = Field(description="CLV / p_alive: the expected value if still a customer")


class CustomerPage(Page):
    customers: list[CustomerRow]


class CustomerDetail(Answer):
    customer: CustomerRow
    explanation: CustomerExplanation
    orders: list[Row] = Field(description="the last 100 order lines (all their columns), newest first")
    reviews: list[Row] = Field(description="the last 50 reviews, newest first")


class Segment(Answer):
    segment: str
    customers: int
    revenue: float | None
    avg_recency_days: float | None
    avg_frequency: float | None
    avg_monetary: float | None
    avg_clv: float | None


class SegmentList(Answer):
    segments: list[Segment] = Field(description="highest revenue first")


class CohortMonth(Answer):
    cohort: dt.date = Field(description="the month of the first order")
    period: dt.date
    months_since_first: int
    cohort_customers: int | None
    active_customers: int
    revenue: float | None
    retention: float | None = Field(description="active customers / the cohort's first month")


class CohortList(Answer):
    cohorts: list[CohortMonth]
