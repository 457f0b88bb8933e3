"""Orders in time order, their status and channel, and the columns of sales_transactions.csv."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.demo import fmt, params
from bizsight.demo.customers import REGION_NAMES, Customers
from bizsight.demo.orders import Lines, line_stats, split_orders
from bizsight.demo.products import Catalog
from bizsight.demo.purchases import Purchases

COMPLETED, REFUNDED, CANCELLED = 0, 1, 2
STATUSES = ("completed", "refunded", "cancelled")
SALES_CHANNELS = tuple(params.SALES_CHANNELS)


@dataclass(frozen=True)
class Sales:
    """Orders sorted by time; order ``i`` has id ``O{i + 1}``."""

    customer: np.ndarray  # customer index
    buyer: np.ndarray  # index into the purchaser arrays of Purchases
    second: np.ndarray  # epoch seconds of the order
    status: np.ndarray  # COMPLETED, REFUNDED or CANCELLED, for all lines of the order
    channel: np.ndarray  # index into SALES_CHANNELS
    value_cents: np.ndarray  # z
    lines: Lines

    @property
    def n_orders(self) -> int:
        return len(self.customer)

    @property
    def order_width(self) -> int:
        return fmt.id_width(self.n_orders, 8)


def make_sales(rng: np.random.Generator, pur: Purchases, catalog: Catalog) -> Sales:
    n = len(pur.order_day)
    hours = np.asarray(params.HOUR_WEIGHTS)
    time_of_day = rng.choice(24, size=n, p=hours / hours.sum()) * 3600 + rng.integers(0, 3600, n)
    second = pur.order_day * 86_400 + time_of_day
    chrono = np.argsort(second, kind="stable")
    buyer = pur.order_buyer[chrono]
    u = rng.random(n)
    status = np.where(
        u < params.REFUND_SHARE,
        REFUNDED,
        np.where(u < params.REFUND_SHARE + params.CANCEL_SHARE, CANCELLED, COMPLETED),
    )
    ch = np.asarray(list(params.SALES_CHANNELS.values()))
    channel = rng.choice(len(ch), size=n, p=ch / ch.sum())
    value = pur.order_cents[chrono]
    lines = split_orders(rng, value, catalog)
    return Sales(pur.buyer[buyer], buyer, second[chrono], status, channel, value, lines)


def line_columns(s: Sales, customers: Customers, catalog: Catalog) -> fmt.Columns:
    ln = s.lines
    order = ln.order
    return {
        "order_id": fmt.ids("O", order + 1, s.order_width),
        "customer_id": customers.ids(s.customer[order]),
        "product_id": catalog.ids(ln.product),
        "order_date": fmt.timestamps(s.second[order]),
        "quantity": fmt.integers(ln.quantity),
        "unit_price": fmt.money(ln.unit_cents),
        "total_amount": fmt.money(ln.total_cents),
        "discount": fmt.money(ln.discount_cents),
        "region": fmt.take(REGION_NAMES, customers.region[s.customer[order]]),
        "category": fmt.take(params.CATEGORY_NAMES, catalog.category[ln.product]),
        "channel": fmt.take(SALES_CHANNELS, s.channel[order]),
        "status": fmt.take(STATUSES, s.status[order]),
        "currency": fmt.take((params.CURRENCY,), np.zeros(len(order), dtype=np.int64)),
    }


def sales_truth(s: Sales, catalog: Catalog) -> dict[str, object]:
    ln = s.lines
    completed = s.status[ln.order] == COMPLETED
    return {
        "orders": s.n_orders,
        "order_lines": len(ln.order),
        "lines_per_order": dict(zip(("1", "2", "3", "4"), params.LINES_PER_ORDER, strict=True)),
        "min_line_share": params.MIN_LINE_SHARE_CENTS / 100,
        "quantity_weights": dict(zip(map(str, params.QUANTITIES), params.QUANTITY_WEIGHTS, strict=True)),
        "promotion_share": params.PROMO_SHARE,
        "promotion_rates_percent": {str(k): v for k, v in params.PROMO_RATES.items()},
        "money": (
            "discount is a currency amount taken off the line; total_amount = quantity × "
            "unit_price − "
            "discount (net, cents); the totals of an order's lines sum to its Gamma-Gamma value z"
        ),
        "line_split": "see bizsight.demo.orders: shares of z, products near the target unit price, "
        "quantity = round(share / ((1 − rate) × list price)), unit_price = ceil(total / ((1 − "
        "rate) × quantity))",
        "status": {
            "refunded_share_of_orders": params.REFUND_SHARE,
            "cancelled_share_of_orders": params.CANCEL_SHARE,
            "rule": ("all lines of an order share its status; refunded lines keep their positive quantity"),
        },
        "sales_channels": params.SALES_CHANNELS,
        "hour_of_day_weights": list(params.HOUR_WEIGHTS),
        "no_repeated_product_in_an_order": True,
        "bundle_lines": int(ln.bundle.sum()),
        "realised": {
            **line_stats(ln, catalog),
            "revenue_completed": round(float(ln.total_cents[completed].sum()) / 100, 2),
            "value_all_orders": round(float(s.value_cents.sum()) / 100, 2),
            "refunded_orders": int((s.status == REFUNDED).sum()),
            "cancelled_orders": int((s.status == CANCELLED).sum()),
        },
    }
