"""The demo's stated event (bizsight.demo.events): stated in ground_truth.json, applied in the
last complete quarter to the stated category and region at the stated rate, moving lines to
other categories without changing any order's value."""

from __future__ import annotations

import math
from collections import defaultdict

from bizsight.demo import params
from tests.demo.support import Demo


def test_the_category_drop_is_stated_and_applied_at_its_rate(demo: Demo) -> None:
    (event,) = demo.truth["events"]
    assert event["applied"] is True
    assert (event["start"], event["end"]) == ("2026-07-01", "2026-09-30")  # end_date 2026-09-30
    assert (event["category"], event["region"], event["share"]) == tuple(params.CATEGORY_DROP.values())
    remaining = [
        r
        for r in demo.dicts("sales_transactions.csv")
        if r["category"] == event["category"]
        and r["region"] == event["region"]
        and event["start"] <= r["order_date"][:10] <= event["end"]
    ]
    eligible = len(remaining) + event["lines_moved"]
    share = event["lines_moved"] / eligible
    assert abs(share - event["share"]) <= 3 * math.sqrt(event["share"] * (1 - event["share"]) / eligible)


def test_orders_keep_their_values_and_lines_their_products_are_distinct(demo: Demo) -> None:
    totals: dict[str, float] = defaultdict(float)
    products: dict[str, list[str]] = defaultdict(list)
    for r in demo.dicts("sales_transactions.csv"):
        totals[r["order_id"]] += float(r["total_amount"])
        products[r["order_id"]].append(r["product_id"])
    assert all(len(set(p)) == len(p) for p in products.values())
    realised = demo.truth["orders"]["realised"]["value_all_orders"]  # type: ignore[index]
    assert math.isclose(sum(totals.values()), realised, abs_tol=0.01 * len(totals))
