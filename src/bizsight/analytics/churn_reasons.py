"""Churn reasons in words a person reads: "No order for 214 days, 3× longer than usual for this
customer" rather than "recency_days high".

:func:`~bizsight.analytics.churn.top_reasons` names a reason by a code, ``"<feature> <level>"``
(``high``, ``low`` or ``missing`` for a number, the value for a category). :func:`reason_words`
turns a code into a sentence with the customer's own value beside the typical customer's (the
median over everyone scored, the same typical value the reason was measured against). Without the
customer's values (a code alone), :func:`reason_words` still gives a plain sentence, without
numbers.

>>> row = {"recency_days": 214.0, "tenure_days": 880.0, "frequency": 10.0}
>>> reason_words("recency_days high", row, {"recency_days": 90.0})
'No order for 214 days, 3× longer than usual for this customer (one order every 74 days)'
>>> reason_words("frequency_90 low")
'Fewer purchase days in the last 90 days than a typical customer'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# feature → (what it counts, how to write a value: count, money, share, stars, score)
_NUMBERS: dict[str, tuple[str, str]] = {
    "recency_days": ("days since the last order", "count"),
    "frequency": ("days with a purchase", "count"),
    "orders": ("orders", "count"),
    "monetary": ("total spend", "money"),
    "avg_order_value": ("average order value", "money"),
    "tenure_days": ("days since the first order", "count"),
    "signup_age_days": ("days since signing up", "count"),
    "spend_90": ("spend in the last 90 days", "money"),
    "spend_trend": ("change in spend, last 90 days against the 90 before", "money"),
    "frequency_90": ("purchase days in the last 90 days", "count"),
    "frequency_trend": ("change in purchase days, last 90 days against the 90 before", "count"),
    "category_breadth": ("product categories bought", "count"),
    "channel_count": ("sales channels used", "count"),
    "main_channel_share": ("share of orders through the main channel", "share"),
    "review_count": ("reviews written", "count"),
    "avg_rating": ("average rating given", "stars"),
    "avg_sentiment": ("tone of their reviews (−1 negative to +1 positive)", "score"),
    "refund_share": ("share of spend refunded", "share"),
    "discount_share": ("share of spend discounted", "share"),
}
_CATEGORIES = {"main_channel": "Buys mostly through {}", "acquisition_channel": "Came to us through {}"}
_MISSING = {"avg_rating": "Has not rated any product", "avg_sentiment": "Has written no review text"}
# Numeric features whose "fewer"/"more" reads better as "lower"/"higher".
_AMOUNTS = {"money", "share", "stars", "score"}


def _value(value: float, kind: str) -> str:
    if kind == "share":
        return f"{value:.0%}".replace("%", " %")
    if kind == "stars":
        return f"{value:.1f} stars"
    if kind == "score":
        return f"{value:+.2f}"
    if kind == "money":
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,.0f}"


def usual_gap_days(row: Mapping[str, Any]) -> float | None:
    """Days between a customer's purchase days on average, up to their last purchase; None with
    fewer than two purchase days.

    >>> usual_gap_days({"tenure_days": 100.0, "recency_days": 10.0, "frequency": 4.0})
    30.0
    """
    tenure, recency, days = (row.get(k) for k in ("tenure_days", "recency_days", "frequency"))
    if tenure is None or recency is None or days is None or days < 2:
        return None
    return float(tenure - recency) / float(days - 1)


def _recency(days: float, row: Mapping[str, Any], typical: float | None) -> str:
    gap = usual_gap_days(row)
    if gap is not None and gap > 0:
        ratio = days / gap
        pace = f"one order every {gap:,.0f} days"
        if ratio >= 1.5:
            return f"No order for {days:,.0f} days, {ratio:.0f}× longer than usual for this customer ({pace})"
        return f"Last order {days:,.0f} days ago; this customer usually places {pace}"
    only = f"No order for {days:,.0f} days since their only purchase day"
    return only + (f" (half of customers ordered within {typical:,.0f} days)" if typical is not None else "")


def _trend(name: str, value: float, kind: str) -> str:
    what = "Spent" if name == "spend_trend" else "Bought on"
    amount = _value(abs(value), kind) + ("" if kind == "money" else " days")
    direction = ("less" if kind == "money" else "fewer") if value < 0 else "more"
    if value == 0:
        return f"{what} as much in the last 90 days as in the 90 before".replace(
            "Bought on as much", "Bought as often"
        )
    return f"{what} {amount} {direction} in the last 90 days than in the 90 before"


def _generic(name: str, level: str) -> str:
    label, kind = _NUMBERS[name]
    if level == "missing":
        return _MISSING.get(name, f"{label.capitalize()} unknown")
    more = (
        ("higher" if level == "high" else "lower")
        if kind in _AMOUNTS
        else ("more" if level == "high" else "fewer")
    )
    return f"{more.capitalize()} {label} than a typical customer"


def reason_words(
    code: str, row: Mapping[str, Any] | None = None, typical: Mapping[str, float | None] | None = None
) -> str:
    """The sentence for a reason ``code`` of :func:`~bizsight.analytics.churn.top_reasons`, with
    the customer's feature values ``row`` and the typical customer's ``typical`` when given.

    >>> reason_words("frequency high", {"frequency": 48.0}, {"frequency": 3.0})
    'Bought on 48 different days (a typical customer: 3), so a silence stands out'
    >>> reason_words("main_channel Marketplace")
    'Buys mostly through Marketplace'
    >>> reason_words("avg_rating missing", {"avg_rating": None})
    'Has not rated any product'
    """
    name, _, level = code.partition(" ")
    if name in _CATEGORIES:
        return _CATEGORIES[name].format(level or "an unknown channel")
    if name not in _NUMBERS:
        return code
    value = None if row is None else row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or level == "missing":
        return _generic(name, level)
    value = float(value)
    typical_value = None if typical is None else typical.get(name)
    label, kind = _NUMBERS[name]
    if name == "recency_days":
        return _recency(value, row or {}, typical_value)
    if name in ("spend_trend", "frequency_trend"):
        return _trend(name, value, kind)
    if name == "frequency_90" and value == 0:
        return "No purchase in the last 90 days"
    shown = _value(value, kind)
    base = {
        "frequency": f"Bought on {shown} different days",
        "orders": f"Placed {shown} orders",
        "review_count": f"Wrote {shown} reviews",
    }.get(name, f"{label.capitalize()}: {shown}")
    if typical_value is None or (isinstance(typical_value, float) and math.isnan(typical_value)):
        return base
    sentence = f"{base} (a typical customer: {_value(float(typical_value), kind)})"
    if name == "frequency" and level == "high":
        sentence += ", so a silence stands out"
    return sentence


__all__ = ["reason_words", "usual_gap_days"]
