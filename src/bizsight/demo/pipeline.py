"""The B2B sales pipeline: deals moving Lead → Qualified → Proposal → Negotiation → Won."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.demo import fmt, params
from bizsight.demo.customers import SEGMENT_NAMES, Customers
from bizsight.demo.timeline import Timeline

OPEN, WON, LOST = "open", "won", "lost"
WON_STATUS = 1  # Deals.status: 0 open, 1 won, 2 lost


@dataclass(frozen=True)
class Deals:
    created: np.ndarray  # epoch day, sorted
    stage: np.ndarray  # index into params.STAGES
    status: np.ndarray  # 0 open, 1 won, 2 lost
    closed: np.ndarray  # epoch day, -1 when open
    expected_close: np.ndarray
    amount_cents: np.ndarray
    owner: np.ndarray
    source: np.ndarray
    customer: np.ndarray  # customer index, -1 when none


def deal_count(customers: int) -> int:
    return max(params.DEALS_MIN, round(customers * params.DEALS_PER_CUSTOMER))


def make_deals(rng: np.random.Generator, timeline: Timeline, customers: Customers) -> Deals:
    n = deal_count(customers.n)
    g = np.log1p(params.DEAL_GROWTH)
    span = timeline.n_days / 365.25
    years = np.log1p(rng.random(n) * np.expm1(g * span)) / g  # density ∝ (1 + growth)^t
    created = np.sort(np.minimum((years * 365.25).astype(np.int64), timeline.n_days - 1)) + timeline.epoch_day
    end = timeline.epoch_day + timeline.n_days - 1

    conv = np.asarray(params.STAGE_CONVERSION)
    steps = len(conv)
    success = rng.random((n, steps)) < conv[None, :]
    passed = np.cumprod(success, axis=1).sum(axis=1)  # transitions passed before the first failure
    durations = rng.exponential(np.asarray(params.STAGE_DAYS_MEAN)[None, :], (n, steps))
    decision = created[:, None] + np.floor(np.cumsum(durations, axis=1)).astype(np.int64)
    # the deal closes at the decision of the stage where it failed, or after the last one
    close = decision[np.arange(n), np.minimum(passed, steps - 1)]
    won = passed == steps
    is_open = close > end
    # an open deal sits at the stage reached by the end date
    reached_by_end = ((decision <= end) & (np.arange(steps)[None, :] < passed[:, None])).sum(axis=1)
    stage = np.where(is_open, reached_by_end, passed)
    status = np.where(is_open, 0, np.where(won, WON_STATUS, 2))
    closed = np.where(is_open, -1, close)

    estimate = np.round(params.DEAL_EXPECTED_CLOSE_DAYS * rng.lognormal(0.0, 0.3, n)).astype(np.int64)
    amount = np.round(params.DEAL_AMOUNT["median"] * rng.lognormal(0.0, params.DEAL_AMOUNT["log_sd"], n))
    src = np.asarray(list(params.DEAL_SOURCES.values()))

    customer = np.full(n, -1, dtype=np.int64)
    business = np.flatnonzero(customers.purchaser & (customers.segment != SEGMENT_NAMES.index("Consumer")))
    if len(business) == 0:
        business = np.flatnonzero(customers.purchaser)
    link = np.flatnonzero((status == WON_STATUS) & (rng.random(n) < params.WON_LINK_SHARE))
    # a won deal names a business customer who had signed up by the close date
    available = np.searchsorted(customers.signup_day[business], closed[link], side="right")
    pick = np.floor(rng.random(len(link)) * available).astype(np.int64)
    has = available > 0
    customer[link[has]] = business[pick[has]]
    owner = rng.integers(0, len(params.DEAL_OWNERS), n)
    source = rng.choice(len(src), size=n, p=src / src.sum())
    # an open or lost deal names an existing business customer (signed up by the creation date)
    other = np.flatnonzero((status != 1) & (rng.random(n) < params.OTHER_LINK_SHARE))
    available = np.searchsorted(customers.signup_day[business], created[other], side="right")
    pick = np.floor(rng.random(len(other)) * available).astype(np.int64)
    has = available > 0
    customer[other[has]] = business[pick[has]]
    return Deals(
        created=created,
        stage=stage,
        status=status,
        closed=closed,
        expected_close=created + estimate,
        amount_cents=amount.astype(np.int64) * 100,
        owner=owner,
        source=source,
        customer=customer,
    )


def deal_columns(d: Deals, customers: Customers) -> fmt.Columns:
    n = len(d.created)
    has_customer = d.customer >= 0
    customer_ids = customers.ids(np.maximum(d.customer, 0))
    closed = fmt.dates(np.maximum(d.closed, 0))
    return {
        "deal_id": fmt.ids("D", np.arange(n) + 1, fmt.id_width(n, 7)),
        "customer_id": pc.if_else(pa.array(has_customer), customer_ids, ""),
        "owner": fmt.take(params.DEAL_OWNERS, d.owner),
        "stage": fmt.take(params.STAGES, d.stage),
        "amount": fmt.money(d.amount_cents),
        "created_date": fmt.dates(d.created),
        "expected_close_date": fmt.dates(d.expected_close),
        "closed_date": pc.if_else(pa.array(d.closed >= 0), closed, ""),
        "status": fmt.take((OPEN, WON, LOST), d.status),
        "source": fmt.take(tuple(params.DEAL_SOURCES), d.source),
    }


def stage_win_probability() -> dict[str, float]:
    """The true probability that a deal which reached each open stage is won.

    >>> stage_win_probability()["Negotiation"]
    0.7
    """
    conv = params.STAGE_CONVERSION
    return {params.STAGES[k]: round(float(np.prod(conv[k:])), 6) for k in range(len(conv))}


def deal_truth(d: Deals) -> dict[str, object]:
    stages = params.STAGES
    return {
        "deals": len(d.created),
        "stages": list(stages),
        "stage_conversion": {
            f"{stages[k]}->{stages[k + 1]}": rate for k, rate in enumerate(params.STAGE_CONVERSION)
        },
        "stage_days_mean": dict(zip(stages[:-1], params.STAGE_DAYS_MEAN, strict=True)),
        "stage_win_probability": stage_win_probability(),
        "win_rate": round(float(np.prod(params.STAGE_CONVERSION)), 6),
        "other_link_share": params.OTHER_LINK_SHARE,
        "win_probability_rule": (
            "P(won | the deal reached a stage) = the product of the conversion rates from that "
            "stage on; win_rate = P(won | Lead), the share of closed deals won (before the "
            "censoring at end_date, which keeps long-running deals open)"
        ),
        "process": (
            "each deal starts as a Lead; after an exponential time in a stage it moves on with "
            "the stated "
            "conversion rate or is lost there (stage = the stage where it was lost, status lost); "
            "a deal "
            "passing Negotiation is Won; a deal whose next decision falls after end_date is open "
            "at the "
            "stage reached by end_date (closed_date empty)"
        ),
        "created": f"density ∝ (1 + {params.DEAL_GROWTH})^t over the period",
        "amount": {**params.DEAL_AMOUNT, "rule": "median × LogNormal(0, log_sd), whole dollars"},
        "expected_close_date": "created + round(60 × LogNormal(0, 0.3)) days, the owner's estimate",
        "owners": list(params.DEAL_OWNERS),
        "sources": params.DEAL_SOURCES,
        "customer_link": (
            f"{params.WON_LINK_SHARE:.0%} of won deals name a Small Business or Enterprise "
            f"purchaser who had "
            f"signed up by the close date; {params.OTHER_LINK_SHARE:.0%} of open and lost deals "
            "name one who had signed up by the created date (an upsell); other deals have no "
            "customer_id"
        ),
        "realised": {
            "open": int((d.status == 0).sum()),
            "won": int((d.status == WON_STATUS).sum()),
            "lost": int((d.status == 2).sum()),
        },
    }
