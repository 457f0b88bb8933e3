"""The files agree with the processes stated in ground_truth.json.

Expectations are derived here from the stated parameters (closed forms and one-dimensional
quadrature), not from the generator's code. Tolerances are four standard errors of the quantity
compared, estimated from the sample itself, so a correct generator fails about once in 15,000
runs per check while a wrong parameter (say, rate instead of scale) is far outside them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict

import numpy as np
import pyarrow.parquet as pq
import pytest

from bizsight.demo import CUSTOMER_TRUTH_FILE
from tests.demo.support import Demo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
POSITIVE = {"great", "love", "loved", "loves", "excellent", "fantastic", "happy", "amazing",
            "perfect", "perfectly", "recommend", "best", "good", "nice", "wonderful"}  # fmt: skip
NEGATIVE = {"terrible", "broken", "broke", "disappointed", "disappointing", "poor", "bad", "awful",
            "waste", "worst", "horrible", "damaged", "useless"}  # fmt: skip
EPOCH = dt.date(1970, 1, 1)


def _day(text: str) -> int:
    return (dt.date.fromisoformat(text[:10]) - EPOCH).days


def _season(truth: dict, days: np.ndarray) -> np.ndarray:
    month = np.array([truth["seasonality"]["month_factors"][m] for m in MONTHS])
    weekday = np.array([truth["seasonality"]["weekday_factors"][w] for w in WEEKDAYS])
    d = days.astype("datetime64[D]")
    return month[d.astype("datetime64[M]").astype(np.int64) % 12] * weekday[(days + 3) % 7]


def _orders(demo: Demo) -> dict[str, dict]:
    """order_id → customer, day, value in cents, products."""
    orders: dict[str, dict] = {}
    for r in demo.dicts("sales_transactions.csv"):
        o = orders.setdefault(
            r["order_id"],
            {"customer": r["customer_id"], "day": _day(r["order_date"]), "cents": 0, "products": set()},
        )
        o["cents"] += round(float(r["total_amount"]) * 100)
        o["products"].add(r["product_id"])
    return orders


def _beta_grid(a: float, b: float, k: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    p = (np.arange(k) + 0.5) / k
    w = np.exp((a - 1) * np.log(p) + (b - 1) * np.log1p(-p))
    return p, w / w.sum()


@pytest.fixture(scope="module")
def buyers(demo: Demo) -> dict[str, np.ndarray]:
    """Per purchaser: repeat purchases seen in the file, exposure tau (weeks) from the stated
    seasonality, and the truth table's values."""
    truth = demo.truth
    start, end = _day(truth["generator"]["start_date"]), _day(truth["generator"]["end_date"])
    days = np.arange(start, end + 1)
    s = _season(truth, days)
    before = np.concatenate([[0.0], np.cumsum(s)])
    order_days: dict[str, set[int]] = defaultdict(set)
    for o in _orders(demo).values():
        order_days[o["customer"]].add(o["day"])
    table = pq.read_table(demo.path / CUSTOMER_TRUTH_FILE).to_pylist()
    rows = [r for r in table if r["purchaser"]]
    signup = np.array([(r["signup_date"] - EPOCH).days for r in rows]) - start
    tau = (before[-1] - before[signup] - 0.5 * s[signup]) / 7.0
    return {
        "x": np.array([len(order_days[r["customer_id"]]) - 1 for r in rows]),
        "n_repeat": np.array([r["n_repeat"] for r in rows]),
        "tau": tau,
        "tau_truth": np.array([r["tau_weeks"] for r in rows]),
        "alive": np.array([r["alive_at_end"] for r in rows]),
        "lam": np.array([r["lambda_per_week"] for r in rows]),
        "p": np.array([r["p_dropout"] for r in rows]),
    }


def test_bgnbd_repeat_purchases_and_share_alive_match_the_parameters(
    demo: Demo, buyers: dict[str, np.ndarray]
) -> None:
    bg = demo.truth["repeat_purchases"]
    r, alpha, a, b = bg["r"], bg["alpha"], bg["a"], bg["b"]
    assert np.array_equal(buyers["x"], buyers["n_repeat"])
    assert np.allclose(buyers["tau"], buyers["tau_truth"])
    # E[X(t) | p] = (1 - (alpha / (alpha + p t))^r) / p and P(alive at t | p) = (alpha / (alpha + p t))^r
    # after integrating lambda ~ Gamma(r, alpha) out; p ~ Beta(a, b) by quadrature, on a grid of t.
    p, w = _beta_grid(a, b)
    grid = np.linspace(0, buyers["tau"].max() + 1, 400)
    survive = (alpha / (alpha + p[None, :] * grid[:, None])) ** r
    expected_x = np.interp(buyers["tau"], grid, ((1 - survive) / p[None, :]) @ w)
    expected_alive = np.interp(buyers["tau"], grid, survive @ w)
    x = buyers["x"]
    n = len(x)
    assert abs(x.mean() - expected_x.mean()) < 4 * x.std() / math.sqrt(n)
    alive_se = math.sqrt((expected_alive * (1 - expected_alive)).sum()) / n
    assert abs(buyers["alive"].mean() - expected_alive.mean()) < 4 * alive_se
    assert buyers["alive"].mean() == pytest.approx(bg["share_alive_at_end"], abs=1e-6)
    # and the latent draws follow their stated distributions
    lam_sd = math.sqrt(r) / alpha
    assert abs(buyers["lam"].mean() - r / alpha) < 4 * lam_sd / math.sqrt(n)
    p_mean, p_var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    assert abs(buyers["p"].mean() - p_mean) < 4 * math.sqrt(p_var / n)


def test_dropouts_are_recorded_consistently(demo: Demo) -> None:
    for row in pq.read_table(demo.path / CUSTOMER_TRUTH_FILE).to_pylist():
        if not row["purchaser"]:
            assert row["n_orders"] == 0 and row["alive_at_end"] is None
        elif row["alive_at_end"]:
            assert row["dropout_date"] is None
        else:
            assert row["n_repeat"] >= 1 and row["dropout_date"] <= row["last_order_date"]


def test_gamma_gamma_mean_order_value(demo: Demo) -> None:
    gg = demo.truth["order_value"]
    per_customer: dict[str, list[int]] = defaultdict(list)
    for o in _orders(demo).values():
        per_customer[o["customer"]].append(o["cents"])
    means = np.array([np.mean(v) / 100 for v in per_customer.values()])
    expected = gg["p"] * gg["gamma"] / (gg["q"] - 1)
    assert abs(means.mean() - expected) < 4 * means.std() / math.sqrt(len(means))
    nu = np.array(
        [r["nu"] for r in pq.read_table(demo.path / CUSTOMER_TRUTH_FILE).to_pylist() if r["purchaser"]]
    )
    nu_sd = math.sqrt(gg["q"]) / gg["gamma"]
    assert abs(nu.mean() - gg["q"] / gg["gamma"]) < 4 * nu_sd / math.sqrt(len(nu))


def test_weekday_and_month_factors_show_in_the_order_counts(demo: Demo) -> None:
    truth = demo.truth
    days = np.array([o["day"] for o in _orders(demo).values()])
    by_weekday = np.bincount((days + 3) % 7, minlength=7)
    factors = np.array([truth["seasonality"]["weekday_factors"][w] for w in WEEKDAYS])
    ratio = by_weekday / by_weekday.mean()
    assert np.all(np.abs(ratio - factors) < 4 * np.sqrt(by_weekday) / by_weekday.mean())

    month_index = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = month_index.min()
    counts = np.bincount(month_index - first)
    months = np.arange(first, first + len(counts))
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - months.astype(
        "datetime64[M]"
    ).astype("datetime64[D]").astype(np.int64)
    rate = counts / length
    # ratio to the centred 2x12 moving average, averaged per calendar month
    kernel = np.r_[0.5, np.ones(11), 0.5] / 12
    trend = np.convolve(rate, kernel, mode="valid")
    ratios = rate[6 : 6 + len(trend)] / trend
    calendar = months[6 : 6 + len(trend)] % 12
    seasonal = np.array([ratios[calendar == m].mean() for m in range(12)])
    stated = np.array([truth["seasonality"]["month_factors"][m] for m in MONTHS])
    assert np.corrcoef(seasonal, stated)[0, 1] > 0.9
    assert np.abs(seasonal / seasonal.mean() - stated).max() < 0.15


def test_cpa_per_channel_is_spend_over_signups(demo: Demo) -> None:
    spend: Counter[str] = Counter()
    signups: Counter[str] = Counter()
    per_day: Counter[tuple[str, str]] = Counter()
    for r in demo.dicts("marketing_spend.csv"):
        spend[r["channel"]] += float(r["spend"])
        signups[r["channel"]] += int(r["signups"])
        per_day[(r["date"], r["channel"])] += int(r["signups"])
    acq = demo.truth["acquisition"]
    assert set(spend) == set(acq["paid_channels"])
    for channel, cpa in acq["cpa"].items():
        realised = spend[channel] / signups[channel]
        assert abs(realised / cpa - 1) < 4 / math.sqrt(signups[channel]), channel
    customers = Counter(
        (r["signup_date"], r["acquisition_channel"]) for r in demo.dicts("customer_database.csv")
    )
    assert all(customers[key] == n for key, n in per_day.items())
    assert sum(per_day.values()) == sum(n for (_, c), n in customers.items() if c in spend)


def _passes(stage: str, status: str, stages: list[str]) -> int:
    return len(stages) - 1 if status == "won" else stages.index(stage)


def test_pipeline_stage_conversion(demo: Demo) -> None:
    pipe = demo.truth["pipeline"]
    stages = pipe["stages"]
    end = _day(demo.truth["generator"]["end_date"])
    passes = np.array([
        _passes(r["stage"], r["status"], stages)
        for r in demo.dicts("sales_pipeline.csv")
        if r["status"] != "open" and _day(r["created_date"]) < end - 300
    ])  # fmt: skip
    for k, rate in enumerate(pipe["stage_conversion"].values()):
        reached = (passes >= k).sum()
        realised = (passes >= k + 1).sum() / reached
        assert abs(realised - rate) < 4 * math.sqrt(rate * (1 - rate) / reached), k
    others = [r for r in demo.dicts("sales_pipeline.csv") if r["status"] != "won"]
    linked = sum(r["customer_id"] != "" for r in others) / len(others)
    share = pipe["other_link_share"]
    assert abs(linked - share) < 4 * math.sqrt(share * (1 - share) / len(others))


def test_bundles_have_high_lift(demo: Demo) -> None:
    baskets = [o["products"] for o in _orders(demo).values()]
    n = len(baskets)
    count = Counter(p for basket in baskets for p in basket)
    lifts = []
    for bundle in demo.truth["products"]["bundles"]:
        a, b = bundle["product_a"], bundle["product_b"]
        both = sum(1 for basket in baskets if a in basket and b in basket)
        if count[a] >= 30:
            lifts.append(both * n / (count[a] * count[b]))
    assert len(lifts) >= 10
    assert min(lifts) > 5
    assert np.median(lifts) > 20


def test_review_text_sentiment_agrees_with_the_rating(demo: Demo) -> None:
    for r in demo.dicts("customer_reviews.csv"):
        words = re.findall(r"[a-z]+", r["review_text"].lower())
        pos = sum(w in POSITIVE for w in words)
        neg = sum(w in NEGATIVE for w in words)
        rating = int(r["rating"])
        if rating >= 4:
            assert pos >= 1 and neg == 0, r
        elif rating <= 2:
            assert neg >= 1 and pos == 0, r
        else:
            assert pos == neg == 0, r


def test_ratings_follow_quality_and_dropout_probability(demo: Demo) -> None:
    quality = demo.truth["products"]["quality"]
    table = pq.read_table(demo.path / CUSTOMER_TRUTH_FILE).to_pylist()
    p = {r["customer_id"]: r["p_dropout"] for r in table}
    reviews = demo.dicts("customer_reviews.csv")
    rating = np.array([int(r["rating"]) for r in reviews])
    assert np.corrcoef(rating, [quality[r["product_id"]] for r in reviews])[0, 1] > 0.1
    assert np.corrcoef(rating, [p[r["customer_id"]] for r in reviews])[0, 1] < 0
    first_order = {}
    for r in demo.dicts("sales_transactions.csv"):
        key = (r["customer_id"], r["product_id"])
        first_order[key] = min(first_order.get(key, r["order_date"][:10]), r["order_date"][:10])
    assert all(r["review_date"] >= first_order[(r["customer_id"], r["product_id"])] for r in reviews)
    # a binomial share of the lines that were not cancelled, less those reviewed after end_date
    eligible = sum(r["status"] != "cancelled" for r in demo.dicts("sales_transactions.csv"))
    expected = demo.truth["reviews"]["share_of_lines"] * eligible
    assert 0.9 * expected - 4 * math.sqrt(expected) < len(reviews) < expected + 4 * math.sqrt(expected)


def test_targets_are_stated_ratios_of_one_expected_revenue(demo: Demo) -> None:
    targets = demo.truth["targets"]
    rows = [r for r in demo.dicts("targets.csv") if r["metric"] == "revenue"]
    assert len(rows) == 15 * 5
    by_period: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        assert r["category"] == ""
        by_period[r["period_start"]][r["region"]] = float(r["target_value"])
    for values in by_period.values():
        total = values.pop("") / targets["ratio_total"]
        regions = sum(v / targets["ratio_by_region"][region] for region, v in values.items())
        assert total == pytest.approx(regions, abs=0.05)


def test_bookings_targets_follow_the_won_run_rate(demo: Demo) -> None:
    """Recomputed by hand from sales_pipeline.csv with the rule ground_truth.json states."""
    stated = demo.truth["targets"]["bookings"]
    end = dt.date.fromisoformat(demo.truth["generator"]["end_date"])
    won = sum(
        float(d["amount"])
        for d in demo.dicts("sales_pipeline.csv")
        if d["status"] == "won" and (end - dt.date.fromisoformat(d["closed_date"])).days < 365
    )
    rows = [r for r in demo.dicts("targets.csv") if r["metric"] == "bookings"]
    assert len(rows) == 5 and all(r["region"] == "" and r["category"] == "" for r in rows)
    for r in rows:
        start, stop = dt.date.fromisoformat(r["period_start"]), dt.date.fromisoformat(r["period_end"])
        assert start.day == 1 and start.month % 3 == 1 and (stop - start).days in (89, 90, 91, 92)
        middle = (start.toordinal() + stop.toordinal()) / 2 - (end.toordinal() - 182.5)
        expected = won / 4 * (1 + stated["deal_growth"]) ** (middle / 365.25) * stated["ratio"]
        assert float(r["target_value"]) == pytest.approx(expected, rel=1e-6)
    # the last target is for the quarter after the end date: pipeline coverage needs it
    assert dt.date.fromisoformat(rows[-1]["period_start"]) > end


def test_market_rows_and_competitor_shares(demo: Demo) -> None:
    market = demo.truth["market"]
    rows = demo.dicts("market_data.csv")
    periods = {r["period"] for r in rows}
    assert all(dt.date.fromisoformat(p).day == 1 and dt.date.fromisoformat(p).month % 3 == 1 for p in periods)
    assert len(rows) == len(periods) * 4 * len(market["competitor_share"])
    for r in rows:
        share = float(r["competitor_revenue"]) / float(r["market_size"])
        assert abs(math.log(share / market["competitor_share"][r["competitor"]])) < 0.25
