"""Reviews of order lines: who reviews, when, the rating and its text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.demo import fmt, params
from bizsight.demo.customers import Customers
from bizsight.demo.products import Catalog
from bizsight.demo.purchases import Purchases
from bizsight.demo.sales import CANCELLED, REFUNDED, Sales
from bizsight.demo.text import review_texts, sentiment_truth
from bizsight.demo.timeline import Timeline


@dataclass(frozen=True)
class Reviews:
    line: np.ndarray  # the reviewed order line, sorted by review date
    day: np.ndarray  # epoch day of the review
    rating: np.ndarray

    @property
    def width(self) -> int:
        return fmt.id_width(len(self.line), 8)


def expected_p() -> float:
    return params.BGNBD["a"] / (params.BGNBD["a"] + params.BGNBD["b"])


def make_reviews(
    rng: np.random.Generator, timeline: Timeline, sales: Sales, pur: Purchases, catalog: Catalog
) -> Reviews:
    ln = sales.lines
    status = sales.status[ln.order]
    chosen = np.flatnonzero((status != CANCELLED) & (rng.random(len(ln.order)) < params.REVIEW_SHARE))
    order_day = sales.second[ln.order[chosen]] // 86_400
    day = order_day + np.floor(rng.exponential(params.REVIEW_DELAY_MEAN_DAYS, len(chosen))).astype(np.int64)
    inside = day <= timeline.epoch_day + timeline.n_days - 1
    chosen, day = chosen[inside], day[inside]
    model = params.REVIEW_MODEL
    p = pur.p[sales.buyer[ln.order[chosen]]]
    latent = (
        model["base"]
        + catalog.quality[ln.product[chosen]]
        - model["p_effect"] * (p - expected_p())
        - model["refund_penalty"] * (status[chosen] == REFUNDED)
        + rng.logistic(0.0, 1.0, len(chosen))
    )
    rating = 1 + (latent[:, None] > np.asarray(params.REVIEW_CUT_POINTS)[None, :]).sum(axis=1)
    chrono = np.lexsort((chosen, day))
    return Reviews(chosen[chrono], day[chrono], rating[chrono])


def review_columns(
    rng: np.random.Generator, r: Reviews, sales: Sales, customers: Customers, catalog: Catalog
) -> fmt.Columns:
    ln = sales.lines
    return {
        "review_id": fmt.ids("R", np.arange(len(r.line)) + 1, r.width),
        "customer_id": customers.ids(sales.customer[ln.order[r.line]]),
        "product_id": catalog.ids(ln.product[r.line]),
        "rating": fmt.integers(r.rating),
        "review_date": fmt.dates(r.day),
        "review_text": review_texts(rng, r.rating),
    }


def review_truth(r: Reviews) -> dict[str, object]:
    counts = np.bincount(r.rating, minlength=6)[1:]
    return {
        "share_of_lines": params.REVIEW_SHARE,
        "eligible_lines": "completed and refunded lines (not cancelled)",
        "review_date": (
            f"order date + floor(Exponential(mean {params.REVIEW_DELAY_MEAN_DAYS} days)); reviews "
            f"that "
            "would fall after end_date are not written"
        ),
        "rating_model": {
            **params.REVIEW_MODEL,
            "cut_points": list(params.REVIEW_CUT_POINTS),
            "expected_p": round(expected_p(), 6),
            "formula": (
                "latent = base + quality(product) − p_effect × (p − expected_p) − refund_penalty × "
                "[line refunded] + Logistic(0, 1); rating = 1 + number of cut points below latent; "
                "quality(product) ~ N(0, quality_sd); p is the customer's BG/NBD dropout "
                "probability"
            ),
            "effect_of_p": "customers more likely to drop out rate lower: −p_effect per unit of p",
        },
        "sentiment": sentiment_truth(),
        "reviews": len(r.line),
        "rating_counts": {str(k + 1): int(v) for k, v in enumerate(counts)},
    }
