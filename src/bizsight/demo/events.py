"""Stated, localised events in the demo's most recent months, for insights to find.

One event today (``params.CATEGORY_DROP``): over the last complete calendar quarter of the data,
customers of one region buy a stated share fewer of one category's lines — each such line is,
with that probability, bought in another category instead: the product of another category whose
list price is closest to its own. Quantities, totals, unit prices and discounts stay as they
were, so every order's value, every customer's history (BG/NBD, Gamma-Gamma, RFM, churn, CLV
truths) and every region's revenue are unchanged; only the category mix of that region and
quarter moves. The category's revenue in the region falls by about the stated share against what
it would have been, and the other categories of the region gain what it lost.

The lines are drawn from the ``events`` random stream (generator.STREAMS), so the other files'
random draws are untouched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np

from bizsight.demo import params
from bizsight.demo.customers import REGION_NAMES, Customers
from bizsight.demo.orders import dedupe
from bizsight.demo.products import Catalog
from bizsight.demo.sales import Sales
from bizsight.demo.timeline import Timeline, to_epoch_day


def last_full_quarter(timeline: Timeline) -> tuple[dt.date, dt.date] | None:
    """The last calendar quarter wholly inside the timeline (None when there is none).

    >>> last_full_quarter(Timeline(dt.date(2023, 10, 1), dt.date(2026, 9, 30)))
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    >>> last_full_quarter(Timeline(dt.date(2023, 10, 1), dt.date(2026, 9, 29)))
    (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    """
    after = timeline.end + dt.timedelta(days=1)
    start = dt.date(after.year, 3 * ((after.month - 1) // 3) + 1, 1)  # the quarter the day after is in
    end = start - dt.timedelta(days=1)
    start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return (start, end) if start >= timeline.start else None


def category_drop(
    rng: np.random.Generator, timeline: Timeline, sold: Sales, cust: Customers, catalog: Catalog
) -> tuple[Sales, dict[str, object]]:
    """``sold`` with the stated category drop applied, and its truth for ground_truth.json."""
    event = params.CATEGORY_DROP
    truth: dict[str, object] = {
        "kind": "category_drop",
        "category": event["category"],
        "region": event["region"],
        "share": event["share"],
        "rule": (
            "over the last complete calendar quarter, each order line of the category bought by a "
            "customer of the region is, with probability `share`, bought in another category instead "
            "(the product of another category with the closest list price); quantities and totals "
            "stay, so order values, customer histories and the region's revenue are unchanged"
        ),
        "expected": (
            "the category's revenue in the region over the window is about (1 - share) of what it "
            "would have been; relative to the previous quarter it falls by about `share` more than "
            "the region's other categories move"
        ),
    }
    window = last_full_quarter(timeline)
    if window is None:
        return sold, {
            **truth,
            "applied": False,
            "start": None,
            "end": None,
            "lines_moved": 0,
            "revenue_moved": 0.0,
        }
    lo = (to_epoch_day(window[0])) * 86_400
    hi = (to_epoch_day(window[1]) + 1) * 86_400
    lines = sold.lines
    category = params.CATEGORY_NAMES.index(str(event["category"]))
    region = REGION_NAMES.index(str(event["region"]))
    at = sold.second[lines.order]
    eligible = (
        (catalog.category[lines.product] == category)
        & (cust.region[sold.customer[lines.order]] == region)
        & (at >= lo)
        & (at < hi)
    )
    moved = np.flatnonzero(eligible & (rng.random(len(eligible)) < float(event["share"])))  # type: ignore[arg-type]
    others = np.concatenate([m for k, m in enumerate(catalog.by_price) if k != category])
    others = others[np.argsort(catalog.price_cents[others], kind="stable")]
    prices = catalog.price_cents[others]
    wanted = catalog.price_cents[lines.product[moved]]
    above = np.clip(np.searchsorted(prices, wanted), 0, len(others) - 1)
    below = np.maximum(above - 1, 0)
    closer = np.abs(prices[below] - wanted) <= np.abs(prices[above] - wanted)
    product = lines.product.copy()
    bundle = lines.bundle.copy()
    product[moved] = others[np.where(closer, below, above)]
    bundle[moved] = False
    dedupe(rng, lines.order, product, bundle, catalog)
    changed = replace(sold, lines=replace(lines, product=product, bundle=bundle))
    return changed, {
        **truth,
        "applied": True,
        "start": window[0].isoformat(),
        "end": window[1].isoformat(),
        "lines_moved": len(moved),
        "revenue_moved": round(float(lines.total_cents[moved].sum()) / 100, 2),
    }
