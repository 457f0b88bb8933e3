"""targets.csv (revenue and bookings targets) and market_data.csv (market size and competitors)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from bizsight.demo import fmt, params
from bizsight.demo.customers import REGION_NAMES, Customers
from bizsight.demo.pipeline import WON_STATUS, Deals
from bizsight.demo.sales import COMPLETED, Sales
from bizsight.demo.timeline import Timeline, season_of
from bizsight.metrics.periods import months_apart


def revenue_by_day_region(timeline: Timeline, sales: Sales, customers: Customers) -> np.ndarray:
    """Completed revenue in cents, shape (days, regions)."""
    ln = sales.lines
    done = sales.status[ln.order] == COMPLETED
    day = sales.second[ln.order[done]] // 86_400 - timeline.epoch_day
    region = customers.region[sales.customer[ln.order[done]]]
    cell = day * len(REGION_NAMES) + region
    flat = np.bincount(cell, weights=ln.total_cents[done], minlength=timeline.n_days * len(REGION_NAMES))
    return flat.reshape(timeline.n_days, len(REGION_NAMES))


def _month_days(month: int) -> np.ndarray:
    """Epoch days of a month given as months since 1970-01."""
    first = np.datetime64("1970-01", "M") + month
    start = first.astype("datetime64[D]").astype(np.int64)
    stop = (first + 1).astype("datetime64[D]").astype(np.int64)
    return np.arange(start, stop)


def _months_since_epoch(day: dt.date) -> int:
    return months_apart(dt.date(1970, 1, 1), day)


def _quarter_days(quarter: int) -> np.ndarray:
    """Epoch days of a calendar quarter given as quarters since 1970-Q1."""
    return np.concatenate([_month_days(quarter * 3 + k) for k in range(3)])


def bookings_targets(timeline: Timeline, deals: Deals) -> list[tuple[int, int, str, str, int]]:
    """One company-wide bookings target per calendar quarter, from the quarter three before the
    end date's to the one after it: the won amount of the last 365 days as a quarterly run rate,
    grown by the deal growth to the quarter's middle, × the plan ratio."""
    end = timeline.epoch_day + timeline.n_days - 1
    recent = (deals.status == WON_STATUS) & (deals.closed > end - 365)
    per_quarter = deals.amount_cents[recent].sum() / 4
    mid = end - 182.5
    growth = 1.0 + params.DEAL_GROWTH
    last_q = _months_since_epoch(timeline.end) // 3
    rows = []
    for q in range(last_q - 3, last_q + 2):
        qdays = _quarter_days(q)
        cents = per_quarter * growth ** ((qdays.mean() - mid) / 365.25) * params.TARGET_RATIO_BOOKINGS
        rows.append((int(qdays[0]), int(qdays[-1]), "bookings", "", round(float(cents))))
    return rows


def target_columns(
    timeline: Timeline, revenue: np.ndarray, deals: Deals
) -> tuple[fmt.Columns, dict[str, object]]:
    days = timeline.days()
    window = slice(max(0, timeline.n_days - 365), timeline.n_days)
    w_days = days[window]
    base_rate = revenue[window].sum(axis=0) / season_of(w_days).sum()  # cents per unit of s, per region
    mid = w_days.mean()
    growth = 1.0 + params.TARGET_PLAN_GROWTH
    end_month = _months_since_epoch(timeline.end)
    rows: list[tuple[int, int, str, str, int]] = []  # (start day, end day, metric, region, cents)
    for month in range(end_month - 11, end_month + 4):
        mdays = _month_days(month)
        expected = base_rate * season_of(mdays).sum() * growth ** ((mdays.mean() - mid) / 365.25)
        total = round(float(expected.sum()) * params.TARGET_RATIO_TOTAL)
        rows.append((int(mdays[0]), int(mdays[-1]), "revenue", "", total))
        for k, region in enumerate(REGION_NAMES):
            cents = round(float(expected[k]) * params.TARGET_RATIO_REGION[region])
            rows.append((int(mdays[0]), int(mdays[-1]), "revenue", region, cents))
    rows += bookings_targets(timeline, deals)
    metrics = ("revenue", "bookings")
    columns = {
        "metric": fmt.take(metrics, np.array([metrics.index(r[2]) for r in rows])),
        "period_start": fmt.dates(np.array([r[0] for r in rows])),
        "period_end": fmt.dates(np.array([r[1] for r in rows])),
        "target_value": fmt.money(np.array([r[4] for r in rows])),
        "region": fmt.take(
            ("", *REGION_NAMES),
            np.array([(REGION_NAMES.index(r[3]) + 1) if r[3] else 0 for r in rows]),
        ),
        "category": fmt.take(("",), np.zeros(len(rows), dtype=np.int64)),
    }
    truth = {
        "metric": "revenue = sum of total_amount of completed order lines",
        "periods": "each month of the final 12 months up to end_date and of the 3 months after it",
        "rows": (
            "revenue: one total row (region empty) and one row per region per month; bookings: one "
            "company-wide row per calendar quarter; category is empty"
        ),
        "bookings": {
            "periods": "each calendar quarter from the one three before end_date's to the one after it",
            "target_value": (
                "won deal amounts closed in the last 365 days / 4 × (1 + deal_growth)^((quarter mid − "
                "(end_date − 182.5 days)) / 365.25 days) × ratio"
            ),
            "deal_growth": params.DEAL_GROWTH,
            "ratio": params.TARGET_RATIO_BOOKINGS,
        },
        "expected_revenue": (
            "base_rate × sum of s(day) over the month's days × (1 + plan_growth)^((month mid − "
            "window mid) / "
            "365.25 days), where base_rate = completed revenue / sum of s(day) over the last 365 "
            "days (per "
            "region) and s = month factor × weekday factor"
        ),
        "plan_growth": params.TARGET_PLAN_GROWTH,
        "ratio_total": params.TARGET_RATIO_TOTAL,
        "ratio_by_region": params.TARGET_RATIO_REGION,
    }
    return columns, truth


def market_columns(
    rng: np.random.Generator, timeline: Timeline, revenue: np.ndarray
) -> tuple[fmt.Columns, dict[str, object]]:
    days = timeline.days()
    first_year = slice(0, min(365, timeline.n_days))
    quarter_rate = revenue[first_year].sum(axis=0) / len(days[first_year]) * (365.25 / 4)  # cents
    start_mid = days[first_year].mean()
    first_q = _months_since_epoch(timeline.start) // 3
    last_q = _months_since_epoch(timeline.end) // 3
    competitors = tuple(params.COMPETITORS)
    period, region, size, comp, comp_rev = [], [], [], [], []
    for q in range(first_q, last_q + 1):
        qdays = _quarter_days(q)
        factor = season_of(qdays).mean() * (1.0 + params.MARKET_GROWTH) ** (
            (qdays.mean() - start_mid) / 365.25
        )
        for k in range(len(REGION_NAMES)):
            noise = rng.lognormal(0.0, params.MARKET_NOISE_SIGMA)
            market = round(float(quarter_rate[k]) / params.MARKET_SHARE_START * factor * noise)
            for c, name in enumerate(competitors):
                period.append(int(qdays[0]))
                region.append(k)
                size.append(market)
                comp.append(c)
                comp_rev.append(round(market * params.COMPETITORS[name] * float(rng.lognormal(0.0, 0.05))))
    columns = {
        "period": fmt.dates(np.array(period)),
        "region": fmt.take(REGION_NAMES, np.array(region)),
        "market_size": fmt.money(np.array(size)),
        "competitor": fmt.take(competitors, np.array(comp)),
        "competitor_revenue": fmt.money(np.array(comp_rev)),
    }
    truth = {
        "period": "first day of each calendar quarter overlapping the simulated period",
        "market_size": (
            "our completed revenue per region over the first year, as a quarterly run rate, / "
            "share_start × "
            "(1 + growth)^(years from the first year's mid) × mean s(day) of the quarter × "
            "LogNormal(0, noise)"
        ),
        "share_start": params.MARKET_SHARE_START,
        "growth": params.MARKET_GROWTH,
        "noise_log_sd": params.MARKET_NOISE_SIGMA,
        "competitor_share": params.COMPETITORS,
        "competitor_revenue": "market_size × share × LogNormal(0, 0.05)",
    }
    return columns, truth
