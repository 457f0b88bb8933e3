"""Product affinity in SQL: what is bought together.

A basket is an order: the distinct products (or categories) on its non-cancelled lines. With
N baskets, n(X) baskets holding X and n(X, Y) holding both:

- support(X, Y) = n(X, Y) / N
- confidence(X → Y) = n(X, Y) / n(X), the share of X's baskets that also hold Y
- lift(X, Y) = n(X, Y) · N / (n(X) · n(Y)), how much more often they meet than by chance (1 =
  independent)

>>> "lift" in render(pairs_query())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from bizsight.warehouse.sql import lit, render, template

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.warehouse.connection import Warehouse


class AffinitySettings(BaseModel):
    """Thresholds a pair must reach to be reported: ``min_orders`` baskets together and
    ``min_support``; ``include_refunded`` counts refunded orders as baskets (they were bought)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_orders: int = Field(default=2, ge=1)
    min_support: float = Field(default=0.0, ge=0.0, le=1.0)
    include_refunded: bool = True


# Baskets of items; ``:item`` is product_id or the line's category (falling back to the
# product's), both our own expressions.
_BASKETS = """
SELECT DISTINCT f.order_id, :item AS item
FROM core.fact_order_line AS f
LEFT JOIN core.dim_product AS p ON p.product_id = f.product_id
WHERE f.status = 'completed' OR (:refunded AND f.status = 'refunded')
"""

_BASKET_COUNT = "SELECT count(DISTINCT order_id) AS baskets FROM baskets"
_ITEM_COUNTS = "SELECT item, count(*) AS orders FROM baskets WHERE item IS NOT NULL GROUP BY item"
_TOGETHER = """
SELECT a.item AS item_a, b.item AS item_b, count(*) AS orders_together
FROM baskets AS a JOIN baskets AS b ON a.order_id = b.order_id AND a.item < b.item
GROUP BY ALL
HAVING count(*) >= :min_orders
"""
_PAIRS = """
SELECT t.item_a, t.item_b, t.orders_together, ia.orders AS orders_a, ib.orders AS orders_b,
       n.baskets,
       t.orders_together / n.baskets AS support,
       t.orders_together / ia.orders AS confidence_a_to_b,
       t.orders_together / ib.orders AS confidence_b_to_a,
       t.orders_together * n.baskets / (ia.orders * ib.orders) AS lift
FROM together AS t
JOIN items AS ia ON ia.item = t.item_a
JOIN items AS ib ON ib.item = t.item_b
CROSS JOIN n
WHERE t.orders_together / n.baskets >= :min_support
"""

_ITEMS = {"product": "f.product_id", "category": "coalesce(f.category, p.category)"}


def _baskets(level: Literal["product", "category"], settings: AffinitySettings) -> exp.Expr:
    return template(_BASKETS, item=template(_ITEMS[level]), refunded=lit(settings.include_refunded))


def _pairs(level: Literal["product", "category"], settings: AffinitySettings) -> exp.Select:
    select = template(_PAIRS, min_support=lit(settings.min_support))
    assert isinstance(select, exp.Select)
    return (
        select.with_("baskets", _baskets(level, settings))
        .with_("n", template(_BASKET_COUNT))
        .with_("items", template(_ITEM_COUNTS))
        .with_("together", template(_TOGETHER, min_orders=lit(settings.min_orders)))
    )


def pairs_query(settings: AffinitySettings | None = None) -> exp.Select:
    """Each unordered pair of products (``product_a < product_b``) bought together in at
    least ``min_orders`` orders: orders_together, orders_a, orders_b, baskets, support,
    confidence both ways and lift, highest lift first."""
    select = _pairs("product", settings or AffinitySettings())
    pairs = exp.select(
        exp.alias_(exp.column("item_a"), "product_a"),
        exp.alias_(exp.column("item_b"), "product_b"),
        *(
            exp.column(c)
            for c in (
                "orders_together",
                "orders_a",
                "orders_b",
                "baskets",
                "support",
                "confidence_a_to_b",
                "confidence_b_to_a",
                "lift",
            )
        ),
    ).from_(select.subquery("p"))
    return pairs.order_by("lift DESC", "orders_together DESC", "product_a", "product_b")


_ALSO_BOUGHT = """
SELECT CAST(:product AS VARCHAR) AS product_id, other AS also_bought, orders_together, support, confidence, lift
FROM (
  SELECT item_b AS other, orders_together, support, confidence_a_to_b AS confidence, lift
  FROM pairs WHERE item_a = :product
  UNION ALL
  SELECT item_a, orders_together, support, confidence_b_to_a, lift
  FROM pairs WHERE item_b = :product)
"""


def also_bought_query(
    product_id: str,
    top: int = 10,
    rank_by: Literal["lift", "confidence"] = "lift",
    settings: AffinitySettings | None = None,
) -> exp.Select:
    """ "Bought X, also bought": the ``top`` products most associated with ``product_id``;
    ``confidence`` is P(other | X)."""
    select = template(_ALSO_BOUGHT, product=lit(product_id))
    assert isinstance(select, exp.Select)
    second = "confidence" if rank_by == "lift" else "lift"
    return (
        select.with_("pairs", _pairs("product", settings or AffinitySettings()))
        .order_by(f"{rank_by} DESC", f"{second} DESC", "also_bought")
        .limit(lit(top))
    )


_MATRIX = """
SELECT item_a AS category_from, item_b AS category_to, orders_together, support,
       confidence_a_to_b AS confidence, lift
FROM pairs
UNION ALL
SELECT item_b, item_a, orders_together, support, confidence_b_to_a, lift
FROM pairs
ORDER BY category_from, category_to
"""


def category_matrix_query(settings: AffinitySettings | None = None) -> exp.Query:
    """The category cross-sell matrix in long form: one row per ordered pair of different
    categories bought together, with ``confidence`` = P(to | from) and the (symmetric) lift."""
    select = template(_MATRIX)
    assert isinstance(select, exp.Query)
    return select.with_("pairs", _pairs("category", settings or AffinitySettings(min_orders=1)))


def _arrow(wh: Warehouse, query: exp.Expr) -> pa.Table:
    return wh.con.cursor().sql(render(query)).to_arrow_table()


def pairs(wh: Warehouse, settings: AffinitySettings | None = None) -> pa.Table:
    """:func:`pairs_query` run on ``wh``."""
    return _arrow(wh, pairs_query(settings))


def also_bought(
    wh: Warehouse,
    product_id: str,
    top: int = 10,
    rank_by: Literal["lift", "confidence"] = "lift",
    settings: AffinitySettings | None = None,
) -> pa.Table:
    """:func:`also_bought_query` run on ``wh``."""
    return _arrow(wh, also_bought_query(product_id, top, rank_by, settings))


def category_matrix(wh: Warehouse, settings: AffinitySettings | None = None) -> pa.Table:
    """:func:`category_matrix_query` run on ``wh``."""
    return _arrow(wh, category_matrix_query(settings))


__all__ = [
    "AffinitySettings",
    "also_bought",
    "also_bought_query",
    "category_matrix",
    "category_matrix_query",
    "pairs",
    "pairs_query",
]
