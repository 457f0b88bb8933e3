"""Review sentiment: a VADER compound score per review, aggregated in SQL.

VADER (vaderSentiment) runs in Python, so it is the one step that does not run in the engine:
:func:`score_texts` scores each distinct text once. :func:`score_reviews` pulls the distinct
texts of ``core.fact_review``, scores them, registers the scores on a cursor and joins them
back in SQL; the result (one row per review) is the input of every other query here, which
reads it as the relation named by ``source`` (default ``review_sentiment``), so the same
queries run on a registered Arrow table or on a marts table.

The label follows VADER's own convention: positive when compound > 0.05, negative when
< −0.05, neutral otherwise (both thresholds are settings).

>>> [round(s, 2) for s in score_texts(["Terrible, it broke after a day.", "Great product, love it!"])]
[-0.71, 0.86]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from sqlglot import exp

from bizsight.warehouse.sql import ident, lit, render, table, template

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.warehouse.connection import Warehouse

SCORED = "review_sentiment"


def _relation(name: str) -> exp.Table:
    """``name`` or ``schema.name`` as a quoted table reference (``marts.review_sentiment``)."""
    schema, _, bare = name.rpartition(".")
    return table(schema, bare) if schema else exp.table_(ident(bare))


class SentimentSettings(BaseModel):
    """Label thresholds on the compound score and what counts as a recent review."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    positive_above: float = 0.05
    negative_below: float = -0.05
    recent_days: int = 90

    @model_validator(mode="after")
    def _ordered(self) -> SentimentSettings:
        if self.negative_below > self.positive_above:
            raise ValueError("negative_below must not exceed positive_above")
        return self


def score_texts(texts: Iterable[str]) -> list[float]:
    """VADER compound scores (−1 … 1), in the order of ``texts``; each distinct text is
    scored once."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = list(texts)
    analyzer = SentimentIntensityAnalyzer()
    scores = {text: float(analyzer.polarity_scores(text)["compound"]) for text in dict.fromkeys(texts)}
    return [scores[text] for text in texts]


def text_scores(texts: Sequence[str]) -> pa.Table:
    """An Arrow table ``(review_text, compound)`` for the distinct ``texts``."""
    import pyarrow as pa

    distinct = list(dict.fromkeys(texts))
    return pa.table(
        {
            "review_text": pa.array(distinct, pa.string()),
            "compound": pa.array(score_texts(distinct), pa.float64()),
        }
    )


_REVIEWS = """
SELECT r.review_id, r.customer_id, r.product_id, p.category, r.rating, r.review_date,
       r.review_text, s.compound,
       CASE WHEN s.compound > :pos THEN 'positive'
            WHEN s.compound < :neg THEN 'negative'
            WHEN s.compound IS NOT NULL THEN 'neutral' END AS label
FROM core.fact_review AS r
LEFT JOIN core.dim_product AS p ON p.product_id = r.product_id
LEFT JOIN :scores AS s ON s.review_text = r.review_text
"""


def reviews_query(scores: str = "_text_scores", settings: SentimentSettings | None = None) -> exp.Select:
    """Every review with its compound score and label, the scores read from the relation
    ``scores`` (review_text, compound); reviews without text get NULLs."""
    settings = settings or SentimentSettings()
    select = template(
        _REVIEWS,
        pos=lit(settings.positive_above),
        neg=lit(settings.negative_below),
        scores=_relation(scores),
    )
    assert isinstance(select, exp.Select)
    return select


def score_reviews(wh: Warehouse, settings: SentimentSettings | None = None) -> pa.Table:
    """Every review of ``core.fact_review`` scored: review_id, customer_id, product_id,
    category, rating, review_date, review_text, compound, label."""
    cursor = wh.con.cursor()
    texts = cursor.sql(
        "SELECT DISTINCT review_text FROM core.fact_review WHERE review_text IS NOT NULL"
    ).fetchall()
    cursor.register("_text_scores", text_scores([t for (t,) in texts]))
    try:
        return cursor.sql(render(reviews_query("_text_scores", settings))).to_arrow_table()
    finally:
        cursor.unregister("_text_scores")


# Aggregates. ``:source`` is the scored reviews; ``{key}`` our own grouping expression.
_AGGREGATE = """
SELECT {key} AS {name}, count(*) AS reviews, count(compound) AS scored,
       avg(compound) AS mean_compound,
       avg(CASE WHEN label = 'positive' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END) AS positive_share,
       avg(CASE WHEN label = 'neutral' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END) AS neutral_share,
       avg(CASE WHEN label = 'negative' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END) AS negative_share,
       avg(rating) AS mean_rating
FROM :source
GROUP BY ALL
ORDER BY 1 NULLS LAST
"""

_KEYS = {
    "product": ("product_id", "product_id"),
    "category": ("category", "category"),
    "month": ("CAST(date_trunc('month', review_date) AS DATE)", "month"),
}


def aggregate_query(by: Literal["product", "category", "month"], source: str = SCORED) -> exp.Select:
    """Per product, category or month: reviews, scored, mean_compound, positive/neutral/
    negative shares (of scored reviews) and mean_rating."""
    key, name = _KEYS[by]
    # key and name are our own constants, chosen by ``by``
    select = template(_AGGREGATE.format(key=key, name=name), source=_relation(source))
    assert isinstance(select, exp.Select)
    return select


# Spearman's rho is Pearson's correlation of the ranks, ties taking their average rank.
_AGREEMENT = """
WITH s AS (SELECT rating, compound, label FROM :source WHERE compound IS NOT NULL AND rating IS NOT NULL),
ranked AS (
  SELECT *,
         rank() OVER (ORDER BY rating) + (count(*) OVER (PARTITION BY rating) - 1) / 2 AS rating_rank,
         rank() OVER (ORDER BY compound) + (count(*) OVER (PARTITION BY compound) - 1) / 2 AS compound_rank
  FROM s)
SELECT count(*) AS reviews,
       avg(CASE WHEN label = 'positive' THEN 1.0 ELSE 0.0 END) FILTER (WHERE rating >= 4) AS high_rated_positive,
       avg(CASE WHEN label = 'negative' THEN 1.0 ELSE 0.0 END) FILTER (WHERE rating <= 2) AS low_rated_negative,
       avg(CASE WHEN (rating >= 4 AND label = 'positive') OR (rating <= 2 AND label = 'negative')
                  OR (rating = 3 AND label = 'neutral') THEN 1.0 ELSE 0.0 END) AS agreement,
       corr(rating_rank, compound_rank) AS spearman,
       corr(rating, compound) AS pearson
FROM ranked
"""


def agreement_query(source: str = SCORED) -> exp.Select:
    """One row: reviews, ``high_rated_positive`` (share of 4–5 star reviews whose text is
    positive), ``low_rated_negative`` (1–2 stars, negative text), ``agreement`` (the share where
    the label matches the stars, 3 stars counting as neutral), and the Spearman and Pearson
    correlations of compound score and rating."""
    select = template(_AGREEMENT, source=_relation(source))
    assert isinstance(select, exp.Select)
    return select


_MOST_NEGATIVE = """
SELECT product_id, review_id, customer_id, rating, review_date, review_text, compound
FROM :source
WHERE label = 'negative' AND review_date > :as_of - :days
QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY compound, review_date DESC, review_id) <= :top
ORDER BY product_id, compound, review_date DESC, review_id
"""


def most_negative_query(
    top: int = 3,
    as_of: dt.date | None = None,
    settings: SentimentSettings | None = None,
    source: str = SCORED,
) -> exp.Select:
    """Per product, the ``top`` most negative reviews of the ``recent_days`` up to ``as_of``
    (default: the latest review date)."""
    settings = settings or SentimentSettings()
    relation = _relation(source)
    day: exp.Expr = (
        exp.cast(lit(as_of.isoformat()), "DATE")
        if as_of
        else exp.select("max(review_date)").from_(relation.copy()).subquery()
    )
    select = template(
        _MOST_NEGATIVE, source=relation, as_of=day, days=lit(settings.recent_days), top=lit(top)
    )
    assert isinstance(select, exp.Select)
    return select


def _on_scored(wh: Warehouse, scored: pa.Table, query: exp.Expr) -> pa.Table:
    cursor = wh.con.cursor()
    cursor.register(SCORED, scored)
    try:
        return cursor.sql(render(query)).to_arrow_table()
    finally:
        cursor.unregister(SCORED)


def sentiment_by(wh: Warehouse, scored: pa.Table, by: Literal["product", "category", "month"]) -> pa.Table:
    """:func:`aggregate_query` over ``scored`` (from :func:`score_reviews`)."""
    return _on_scored(wh, scored, aggregate_query(by))


def rating_agreement(wh: Warehouse, scored: pa.Table) -> pa.Table:
    """:func:`agreement_query` over ``scored``."""
    return _on_scored(wh, scored, agreement_query())


def most_negative(
    wh: Warehouse,
    scored: pa.Table,
    top: int = 3,
    as_of: dt.date | None = None,
    settings: SentimentSettings | None = None,
) -> pa.Table:
    """:func:`most_negative_query` over ``scored``."""
    return _on_scored(wh, scored, most_negative_query(top, as_of, settings))


__all__ = [
    "SCORED",
    "SentimentSettings",
    "aggregate_query",
    "agreement_query",
    "most_negative",
    "most_negative_query",
    "rating_agreement",
    "reviews_query",
    "score_reviews",
    "score_texts",
    "sentiment_by",
    "text_scores",
]
