"""Churn features and the churn definition, computed in DuckDB from data up to a cutoff.

A *purchase* is an order line whose status is not ``cancelled``; a purchase day is a day with at
least one. Features at ``as_of`` read only order lines, reviews and review sentiment dated on or
before ``as_of``; the churn label at ``as_of`` is "no purchase in (as_of, as_of + N days]".
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa

from bizsight.errors import InvalidArgumentError
from bizsight.warehouse.connection import Warehouse

NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "orders",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "signup_age_days",
    "spend_90",
    "spend_trend",
    "frequency_90",
    "frequency_trend",
    "category_breadth",
    "channel_count",
    "main_channel_share",
    "review_count",
    "avg_rating",
    "avg_sentiment",
    "refund_share",
    "discount_share",
)
CATEGORICAL_FEATURES = ("main_channel", "acquisition_channel")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES

TREND_WINDOW_DAYS = 90


def _date(value: dt.date) -> str:
    # A date object, never user text, becomes the literal: no injection path.
    if not isinstance(value, dt.date):
        raise InvalidArgumentError(f"expected a date, got {value!r}")
    return f"DATE '{value.isoformat()}'"


def features_sql(as_of: dt.date, *, with_sentiment: bool = True, only: str | None = None) -> str:
    """One row per customer with a purchase on or before ``as_of``: the :data:`FEATURES`.

    Order lines, reviews and sentiment are aggregated per customer separately before the join,
    so a customer with many reviews does not multiply their order lines (no fan-out).
    ``with_sentiment=False`` leaves ``avg_sentiment`` NULL (no ``marts.review_sentiment``).
    ``only`` names a relation registered by the caller (a constant, never user text) whose
    ``customer_id`` column limits the customers computed.

    >>> "DATE '2026-01-31'" in features_sql(dt.date(2026, 1, 31))
    True
    """
    d, w = _date(as_of), TREND_WINDOW_DAYS
    if only is not None and not only.isidentifier():
        raise InvalidArgumentError(f"not a relation name: {only!r}")
    limit = f"AND customer_id IN (SELECT customer_id FROM {only})" if only else ""
    sentiment = (
        f"""SELECT customer_id, avg(compound) AS avg_sentiment FROM marts.review_sentiment
            WHERE review_date <= {d} GROUP BY customer_id"""
        if with_sentiment
        else "SELECT NULL::VARCHAR AS customer_id, NULL::DOUBLE AS avg_sentiment WHERE false"
    )
    return f"""
WITH lines AS (
    SELECT customer_id, order_id, order_date, category, channel,
           net_amount AS net, coalesce(discount_amount, 0) AS discount,
           coalesce(refund_amount, 0) AS refund,
           net_amount + coalesce(discount_amount, 0) + coalesce(refund_amount, 0) AS gross
    FROM core.fact_order_line
    WHERE order_date <= {d} AND coalesce(status, '') <> 'cancelled' AND customer_id IS NOT NULL {limit}
),
days AS (
    SELECT customer_id, order_date, sum(net) AS net FROM lines GROUP BY ALL
),
by_day AS (
    SELECT customer_id,
           {d} - max(order_date) AS recency_days,
           count(*) AS frequency,
           {d} - min(order_date) AS tenure_days,
           coalesce(sum(net) FILTER (WHERE order_date > {d} - {w}), 0) AS spend_90,
           coalesce(sum(net) FILTER (WHERE order_date > {d} - {2 * w} AND order_date <= {d} - {w}), 0)
               AS spend_prev_90,
           count(*) FILTER (WHERE order_date > {d} - {w}) AS frequency_90,
           count(*) FILTER (WHERE order_date > {d} - {2 * w} AND order_date <= {d} - {w}) AS frequency_prev_90
    FROM days GROUP BY customer_id
),
by_line AS (
    SELECT customer_id,
           sum(net) AS monetary,
           count(DISTINCT category) AS category_breadth,
           sum(refund) / nullif(sum(gross), 0) AS refund_share,
           sum(discount) / nullif(sum(gross), 0) AS discount_share
    FROM lines GROUP BY customer_id
),
order_channels AS (
    SELECT DISTINCT customer_id, order_id, channel FROM lines
),
channel_orders AS (
    SELECT customer_id, channel, count(order_id) AS n FROM order_channels GROUP BY ALL
),
by_channel AS (
    SELECT customer_id, arg_max(channel, (n, channel)) AS main_channel, max(n) AS main_n,
           count(channel) AS channel_count
    FROM channel_orders GROUP BY customer_id
),
by_order AS (
    SELECT customer_id, count(DISTINCT order_id) AS orders FROM order_channels GROUP BY customer_id
),
reviews AS (
    SELECT customer_id, count(*) AS review_count, avg(rating)::DOUBLE AS avg_rating
    FROM core.fact_review WHERE review_date <= {d} GROUP BY customer_id
),
sentiment AS ({sentiment})
SELECT t.customer_id,
       t.recency_days::DOUBLE AS recency_days,
       t.frequency::DOUBLE AS frequency,
       o.orders::DOUBLE AS orders,
       l.monetary::DOUBLE AS monetary, (l.monetary / o.orders)::DOUBLE AS avg_order_value,
       t.tenure_days::DOUBLE AS tenure_days,
       ({d} - c.signup_date)::DOUBLE AS signup_age_days,
       t.spend_90::DOUBLE AS spend_90, (t.spend_90 - t.spend_prev_90)::DOUBLE AS spend_trend,
       t.frequency_90::DOUBLE AS frequency_90,
       (t.frequency_90 - t.frequency_prev_90)::DOUBLE AS frequency_trend,
       l.category_breadth::DOUBLE AS category_breadth,
       m.channel_count::DOUBLE AS channel_count,
       m.main_n::DOUBLE / o.orders AS main_channel_share,
       coalesce(r.review_count, 0)::DOUBLE AS review_count,
       r.avg_rating, s.avg_sentiment,
       coalesce(l.refund_share, 0)::DOUBLE AS refund_share,
       coalesce(l.discount_share, 0)::DOUBLE AS discount_share,
       m.main_channel, c.acquisition_channel
FROM by_day t
JOIN by_line l USING (customer_id)
JOIN by_order o USING (customer_id)
JOIN by_channel m USING (customer_id)
LEFT JOIN core.dim_customer c USING (customer_id)
LEFT JOIN reviews r USING (customer_id)
LEFT JOIN sentiment s USING (customer_id)
ORDER BY t.customer_id
"""


def labels_sql(as_of: dt.date, churn_days: int) -> str:
    """``customer_id, churned`` for the customers of :func:`features_sql` at ``as_of``:
    churned when they have no purchase in (as_of, as_of + churn_days]."""
    d = _date(as_of)
    return f"""
SELECT customer_id,
       NOT bool_or(order_date > {d} AND order_date <= {d} + {int(churn_days)}) AS churned
FROM core.fact_order_line
WHERE order_date <= {d} + {int(churn_days)} AND coalesce(status, '') <> 'cancelled'
GROUP BY customer_id
HAVING min(order_date) <= {d}
ORDER BY customer_id
"""


def churn_days_from_gaps(gaps: np.ndarray, *, quantile: float = 0.9, step: int = 7) -> int:
    """The ``quantile`` of the gaps (days) between consecutive purchase days, rounded up to a
    multiple of ``step`` days: most repeat purchases come sooner, so a longer silence is churn.

    >>> churn_days_from_gaps(np.array([10, 20, 30, 40, 100]), quantile=0.5)
    35
    """
    values = np.asarray(gaps, dtype=float)
    if values.size == 0:
        raise InvalidArgumentError("no repeat purchases: give the churn window in days")
    return _whole_steps(float(np.quantile(values, quantile)), step)  # linear, as quantile_cont


def _whole_steps(days: float, step: int) -> int:
    return max(step, math.ceil(days / step) * step)


def _gaps_sql(as_of: dt.date | None) -> str:
    """``gap``: the days between consecutive purchase days of each customer (up to ``as_of``)."""
    where = f"AND order_date <= {_date(as_of)}" if as_of else ""
    return f"""
        WITH days AS (
            SELECT DISTINCT customer_id, order_date FROM core.fact_order_line
            WHERE coalesce(status, '') <> 'cancelled' {where}
        )
        SELECT gap FROM (
            SELECT order_date - lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS gap
            FROM days
        ) WHERE gap IS NOT NULL
        """


def purchase_gaps(wh: Warehouse, *, as_of: dt.date | None = None) -> np.ndarray:
    """Days between consecutive purchase days of each customer (optionally up to ``as_of``)."""
    return np.array([r[0] for r in wh.rows(_gaps_sql(as_of))], dtype=float)


def default_churn_days(
    wh: Warehouse, *, quantile: float = 0.9, step: int = 7, as_of: dt.date | None = None
) -> int:
    """Churn window derived from the data: :func:`churn_days_from_gaps` of :func:`purchase_gaps`,
    the quantile taken in DuckDB (``quantile_cont`` interpolates as numpy does) so that the
    millions of gaps of a large project never reach Python."""
    q = wh.scalar(f"SELECT quantile_cont(gap, {float(quantile)}) FROM ({_gaps_sql(as_of)})")
    if q is None:
        raise InvalidArgumentError("no repeat purchases: give the churn window in days")
    return _whole_steps(float(q), step)


# --- what the churn model reads from the warehouse ----------------------------------------------


def current_features(wh: Warehouse, as_of: dt.date, *, only: str | None = None) -> pa.Table:
    """The :data:`FEATURES` at ``as_of`` (sentiment when ``marts.review_sentiment`` exists), of
    the customers in the registered relation ``only`` when given."""
    sentiment = wh.table_exists("marts", "review_sentiment")
    return wh.con.sql(features_sql(as_of, with_sentiment=sentiment, only=only)).to_arrow_table()


def labelled_features(wh: Warehouse, as_of: dt.date, churn_days: int) -> pa.Table:
    """Features at ``as_of`` with the ``churned`` label of (as_of, as_of + churn_days]."""
    features = current_features(wh, as_of)
    labels = wh.con.sql(labels_sql(as_of, churn_days)).to_arrow_table()
    return features.join(labels, "customer_id").sort_by("customer_id")


def value_at_risk_base(wh: Warehouse, last: dt.date) -> dict[str, float]:
    """Predicted CLV per customer from marts.clv, else net revenue of the last 365 days."""
    if wh.table_exists("marts", "clv"):
        return dict(wh.rows("SELECT customer_id, clv::DOUBLE FROM marts.clv"))
    return dict(
        wh.rows(
            "SELECT customer_id, sum(net_amount)::DOUBLE FROM core.fact_order_line "
            "WHERE order_date > ?::DATE - 365 AND coalesce(status, '') <> 'cancelled' GROUP BY 1",
            [last],
        )
    )


def order_span(wh: Warehouse) -> tuple[dt.date | None, dt.date | None]:
    """The first and last order dates (None, None without order lines)."""
    first, last = wh.rows("SELECT min(order_date), max(order_date) FROM core.fact_order_line")[0]
    return first, last


def data_version(wh: Warehouse) -> str:
    """Order lines, last order date and total net amount: changes when the order data change."""
    rows, last, total = wh.rows(
        "SELECT count(*), max(order_date), round(sum(net_amount), 2) FROM core.fact_order_line"
    )[0]
    return f"{rows}:{last}:{total}"
