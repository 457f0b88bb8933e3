"""Answers of the catalogue, metric queries, drill-down and the pages' data (``/insights``)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from bizsight.api.schemas.common import Answer, Row, Table
from bizsight.metrics.definitions import Metric
from bizsight.presentation import Unit


class DimensionOut(Answer):
    label: str
    description: str
    models: list[str] = Field(description="the models (fact tables) it can slice")


class CatalogueOut(Answer):
    metrics: dict[str, Metric] = Field(description="by name; keys without a value are left out")
    dimensions: dict[str, DimensionOut]


class QueryResult(Table):
    """One row per period × dimension values: ``period`` (with a grain), each dimension, each
    metric and, with ``compare``, ``<metric>__previous``, ``__change`` and ``__change_pct``."""

    units: dict[str, Unit] = Field(
        description="metric column → money, count, percent (a fraction), ratio, ..."
    )
    labels: dict[str, str] = Field(description="every column → what a person calls it")
    cached: bool = Field(description="answered from the result cache (the data had not changed)")


class DrillPage(Table):
    """Order lines (or the rows of the metric's model) behind one cell, in time order."""

    page: int
    page_size: int


class Bounds(Answer):
    first: dt.date | None = Field(description="the first order date; null before any order is loaded")
    last: dt.date | None


class TrendOut(Answer):
    metric: str
    rows: list[Row] = Field(description="period, the metric's value (key: its name), ma_7 and ma_30")


class SparkPoint(Answer):
    period: dt.date
    value: float | int | None


class KpiCompare(Answer):
    kind: str = Field(description="previous_period, or previous_year for a year-on-year growth")
    start: dt.date
    end: dt.date
    metric: str = Field(description="the metric compared: the KPI's own, or a growth's base (revenue)")
    unit: str = Field(description="of current and previous: money, count, percent, ...")
    current: float | int | None
    previous: float | int | None = Field(
        description="None when the data do not reach the period compared with"
    )
    change_pct: float | None = Field(description="current / previous - 1")
    partial: bool = Field(description="the data start inside the period compared with")
    note: str | None


class Kpi(Answer):
    metric: str
    title: str
    unit: str = Field(description="money, count, percent, ratio, days, stars or number")
    value: float | int | None
    compare: KpiCompare | None
    sparkline: list[SparkPoint] = Field(description="the KPI by month over the range")
    note: str | None


class OverviewOut(Answer):
    start: dt.date | None
    end: dt.date | None
    kpis: list[Kpi]


class ClvDistribution(Answer):
    edges: list[float] = Field(description="bin edges: one more than counts")
    counts: list[int]
    customers: int
    mean: float | None
    median: float | None


class SentimentMonth(Answer):
    month: dt.date
    reviews: int
    scored: int
    mean_compound: float | None = Field(description="VADER compound score, -1 to 1")
    positive_share: float | None
    neutral_share: float | None
    negative_share: float | None
    mean_rating: float | None


class SentimentOut(Answer):
    months: list[SentimentMonth]


class RatedProduct(Answer):
    product: str
    product_name: str | None
    average_rating: float
    review_count: int
    negative_review_share: float | None


class WorstProducts(Answer):
    products: list[RatedProduct]


class ProductPair(Answer):
    product_a: str
    product_b: str
    product_a_name: str | None = None
    product_b_name: str | None = None
    orders: int = Field(description="orders holding both products: the evidence behind the pair")
    orders_a: int
    orders_b: int
    baskets: int
    expected_orders: float = Field(description="orders that would hold both if bought independently")
    support: float
    confidence_a_to_b: float
    confidence_b_to_a: float
    lift: float
    shrunk_lift: float = Field(
        description="lift shrunk towards 1 when few orders back it: (orders + k) / (expected_orders + k)"
    )


class CategoryPair(Answer):
    category_from: str
    category_to: str
    orders: int = Field(description="orders holding both categories")
    support: float
    confidence: float
    lift: float
    shrunk_lift: float


class AffinityOut(Answer):
    pairs: list[ProductPair] = Field(description="highest shrunk lift first, each held by at least 5 orders")
    categories: list[CategoryPair] = Field(description="the category cross-sell matrix")
    withheld: str | None = Field(description="why nothing is shown (a restricted user); else null")
