"""What a customer's numbers mean, in sentences: the RFM segment looks back, churn risk and
p_alive look ahead, CLV is future value — so "Loyal" beside a 72 % churn risk is no
contradiction, and this module says so for the customer at hand.

- **segment** (RFM): how recently, often and much they bought, ranked against all customers, as
  of the last refresh. A description of the past: a customer who bought every three weeks for two
  years and then stopped stays "Loyal" while their recency score is middling.
- **churn risk**: the churn classifier's probability that they buy nothing in the next N days
  (the churn window).
- **p_alive**: the BG/NBD purchase model's probability that they are still a customer at all
  (have not silently stopped for good), from how often they bought and how long they have been
  silent; a frequent buyer's long silence weighs heavily.
- **CLV**: expected, discounted value of their purchases over the horizon. Under BG/NBD the
  expected purchases are p_alive × the purchases expected if still a customer, so a big spender
  who has likely lapsed has a small CLV; ``clv_if_alive`` = CLV / p_alive says what they would be
  worth if still a customer.

>>> story = customer_story({"rfm_segment": "Loyal", "recency_days": 147, "orders": 48,
...     "first_order_date": dt.date(2023, 10, 2), "last_order_date": dt.date(2026, 5, 6),
...     "churn_probability": 0.8, "p_alive": 0.06, "churn_days": 63, "clv": 396.0,
...     "net_revenue": 25156.87})
>>> story["summary"]
'No order for 147 days, 7× their usual gap of 20 days. Both models say they have probably stopped buying (churn risk 80.0%, still a customer 6.0%), although their past buying puts them in the segment Loyal.'
>>> round(story["clv_if_alive"])
6600
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bizsight.presentation.numbers import Presenter, Unit

GOOD_SEGMENTS = frozenset({"Champions", "Loyal", "Potential Loyalists", "New Customers", "Promising"})
"""Segments of the default rules that sound like good news: the summary says when risk contradicts one."""

LAPSED_P_ALIVE = 0.1
"""Below this p_alive the CLV sentence says the customer has likely lapsed."""


def _pct(value: float, presenter: Presenter) -> str:
    """A probability as the pages show it (:mod:`bizsight.presentation`).

    >>> _pct(0.7968, Presenter("USD", "en"))
    '79.7%'
    """
    return presenter.format(value, Unit.PERCENT)


def _money(value: float, presenter: Presenter) -> str:
    return presenter.format(value, Unit.MONEY)


def _days(value: float, presenter: Presenter) -> str:
    return presenter.format(value, Unit.DAYS)


def usual_order_gap(row: Mapping[str, Any]) -> float | None:
    """Average days between a customer's orders, first to last; None below two orders.

    >>> usual_order_gap({"orders": 3, "first_order_date": dt.date(2024, 1, 1), "last_order_date": dt.date(2024, 3, 1)})
    30.0
    """
    first, last, orders = row.get("first_order_date"), row.get("last_order_date"), row.get("orders")
    if not isinstance(first, dt.date) or not isinstance(last, dt.date) or not orders or orders < 2:
        return None
    return (last - first).days / (orders - 1)


def _now(row: Mapping[str, Any], p: Presenter) -> str | None:
    days = row.get("recency_days")
    if days is None:
        return None
    gap = usual_order_gap(row)
    if gap and days / gap >= 1.5:
        return f"No order for {_days(days, p)}, {days / gap:.0f}× their usual gap of {_days(gap, p)}."
    if gap:
        return f"Last order {_days(days, p)} ago; they usually order every {_days(gap, p)}."
    return f"No order for {_days(days, p)} since their only order." if row.get("orders") == 1 else None


def _verdict(churn: float | None, alive: float | None, window: str, p: Presenter) -> str | None:
    scores = ", ".join(
        part
        for part in (
            f"churn risk {_pct(churn, p)}" if churn is not None else "",
            f"still a customer {_pct(alive, p)}" if alive is not None else "",
        )
        if part
    )
    gone = [v for v in (churn, None if alive is None else 1 - alive) if v is not None]
    if not gone:
        return None
    if all(v >= 0.5 for v in gone):
        who = "Both models say" if len(gone) == 2 else "The model says"
        return f"{who} they have probably stopped buying ({scores})"
    if all(v < 0.5 for v in gone):
        who = "Both models expect" if len(gone) == 2 else "The model expects"
        return f"{who} them to buy again ({scores})"
    return f"The models differ: churn risk {_pct(churn or 0, p)} is about the next {window}, p_alive {_pct(alive or 0, p)} about ever buying again"


def customer_story(
    row: Mapping[str, Any], *, horizon_months: int = 12, presenter: Presenter | None = None
) -> dict[str, Any]:
    """Sentences for a customer ``row`` (the columns of the customer views): ``summary``
    reconciling segment and risk, and what ``segment``, ``churn_risk``, ``p_alive`` and ``clv``
    each mean with this customer's values; ``clv_if_alive`` (None when p_alive is unknown or
    below 0.1 %). A score the row lacks gets None. Numbers are written by ``presenter`` (the
    project's currency and locale; default USD, en), as the pages write them.

    >>> customer_story({"churn_probability": 0.2})["churn_risk"]
    "Churn risk 20.0%: the churn model's probability that they buy nothing in the churn window."
    """
    p = presenter or Presenter()
    segment, churn, alive, clv = (row.get(k) for k in ("rfm_segment", "churn_probability", "p_alive", "clv"))
    days = row.get("churn_days")
    window = f"{days} days" if days else "churn window"
    out: dict[str, Any] = {
        "segment": None,
        "churn_risk": None,
        "p_alive": None,
        "clv": None,
        "clv_if_alive": None,
    }
    if segment is not None:
        code = (
            f" (RFM code {row['rfm_code']}: recency, frequency and monetary scores, highest best)"
            if row.get("rfm_code")
            else ""
        )
        when = f" as of {row['scores_as_of']}" if row.get("scores_as_of") else ""
        out["segment"] = (
            f"Segment {segment}{code}: how recently, how often and how much they bought, ranked against "
            f"all customers{when}. It describes the past, not a forecast."
        )
    if churn is not None:
        out["churn_risk"] = (
            f"Churn risk {_pct(churn, p)}: the churn model's probability that they buy nothing in the "
            + (f"next {window}." if days else "churn window.")
        )
    if alive is not None:
        out["p_alive"] = (
            f"Still a customer {_pct(alive, p)} (p_alive): the purchase model's (BG/NBD) probability that they "
            "have not stopped buying for good, from how often they bought and how long they have been silent."
        )
    if clv is not None:
        spent = row.get("net_revenue")
        sentence = f"CLV {_money(clv, p)}: the expected, discounted value of their purchases in the next {horizon_months} months"
        sentence += f", not what they spent so far ({_money(spent, p)})." if spent is not None else "."
        if alive is not None and alive >= 0.001:
            out["clv_if_alive"] = clv / alive
        if alive is not None and alive < LAPSED_P_ALIVE:
            sentence += (
                f" This customer has likely lapsed (p_alive {_pct(alive, p)}), so the expected value is small"
            )
            sentence += (
                f"; if they are still a customer, about {_money(out['clv_if_alive'], p)}."
                if out["clv_if_alive"] is not None
                else "."
            )
        out["clv"] = sentence
    verdict = _verdict(churn, alive, window, p)
    if verdict and segment in GOOD_SEGMENTS and verdict.startswith(("Both models say", "The model says")):
        verdict += f", although their past buying puts them in the segment {segment}"
    parts = [part for part in (_now(row, p), verdict and verdict + ".") if part]
    out["summary"] = " ".join(parts) or None
    return out


__all__ = ["GOOD_SEGMENTS", "LAPSED_P_ALIVE", "customer_story", "usual_order_gap"]
