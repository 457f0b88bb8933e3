"""When purchasers buy (BG/NBD) and how much each order is worth (Gamma-Gamma).

BG/NBD (Fader, Hardie & Lee 2005): per customer λ ~ Gamma(shape r, rate alpha) purchases per week
and p ~ Beta(a, b). The first purchase is at noon of the signup day. While alive, repeat
purchases arrive as a Poisson process of rate λ·s(t), where s(t) = month factor × weekday factor
(mean 1); after each repeat purchase the customer drops out with probability p.

The process is simulated exactly and without a loop: with Λ(t) = ∫ s, the repeat purchases of an
immortal customer in the observation window are M ~ Poisson(λ/7 · (Λ(end) − Λ(t0))) points
distributed with density ∝ s (this is the thinning construction, done by time change); the
customer dies after J ~ Geometric(p) repeat purchases, so K = min(M, J) purchases are observed and
the customer is alive at the end iff M < J. The first K of M sorted uniforms come from exponential
spacings (U_(j) = S_j / (S_K + Gamma(M − K + 1))).

Distinct days: a purchase that falls on a day already holding one of the customer's purchases
moves to the next free day (day'_k = max(day_k, day'_{k-1} + 1)); one moved past the end date is
dropped. Both counts are stated in the truth; they are a tiny fraction of purchases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.demo import params
from bizsight.demo.customers import Customers
from bizsight.demo.timeline import Timeline


@dataclass(frozen=True)
class Purchases:
    buyer: np.ndarray  # customer index of each purchaser
    lam: np.ndarray  # λ per week
    p: np.ndarray  # dropout probability after each repeat purchase
    nu: np.ndarray  # Gamma-Gamma ν
    alive: np.ndarray  # bool, alive at the end of end_date
    dropout_day: np.ndarray  # epoch day of the dropout purchase, -1 when alive
    tau_weeks: np.ndarray  # Λ(end) − Λ(t0) in weeks: the seasonally weighted exposure
    n_repeat: np.ndarray  # repeat purchases present in the data
    order_buyer: np.ndarray  # per order: index into the purchaser arrays
    order_day: np.ndarray  # per order: epoch day
    order_cents: np.ndarray  # per order: net value z in cents
    n_moved: int
    n_dropped: int


def _group_starts(sizes: np.ndarray) -> np.ndarray:
    return np.cumsum(sizes) - sizes


def simulate(rng: np.random.Generator, timeline: Timeline, customers: Customers) -> Purchases:
    bg, gg = params.BGNBD, params.GAMMA_GAMMA
    buyer = np.flatnonzero(customers.purchaser)
    n = len(buyer)
    season = timeline.season()
    cum = np.concatenate([[0.0], np.cumsum(season)])
    d0 = customers.signup_day[buyer] - timeline.epoch_day
    start = cum[d0] + 0.5 * season[d0]
    window = cum[-1] - start

    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    p = rng.beta(bg["a"], bg["b"], n)
    m = rng.poisson(lam / 7.0 * window)
    j = rng.geometric(p)
    k = np.minimum(m, j)
    alive = m < j

    # The first k of m sorted uniforms, per customer.
    owner = np.repeat(np.arange(n), k)
    spacing = np.cumsum(rng.exponential(1.0, int(k.sum())))
    first = _group_starts(k)
    base = np.concatenate([[0.0], spacing])[first]
    s = spacing - base[owner]
    last = np.zeros(n)
    has = k > 0
    last[has] = s[first[has] + k[has] - 1]
    tail = rng.gamma(m - k + 1.0)
    u = s / (last + tail)[owner]
    x = start[owner] + u * window[owner]
    repeat_day = np.clip(np.searchsorted(cum, x, side="right") - 1, 0, timeline.n_days - 1)

    dropout_day = np.full(n, -1, dtype=np.int64)
    dead = ~alive
    dropout_day[dead] = repeat_day[first[dead] + k[dead] - 1] + timeline.epoch_day

    # All purchase days per customer (first purchase, then repeats), made distinct.
    size = k + 1
    owner_all = np.repeat(np.arange(n), size)
    first_all = _group_starts(size)
    day = np.empty(int(size.sum()), dtype=np.int64)
    day[first_all] = d0
    rest = np.ones(len(day), dtype=bool)
    rest[first_all] = False
    day[rest] = repeat_day
    rank = np.arange(len(day)) - first_all[owner_all]
    big = timeline.n_days + int(size.max(initial=1)) + 2
    shifted = np.maximum.accumulate(day - rank + owner_all * big) - owner_all * big + rank
    keep = shifted < timeline.n_days
    n_moved = int((shifted != day).sum())
    n_dropped = int((~keep).sum())

    order_buyer = owner_all[keep]
    order_day = shifted[keep] + timeline.epoch_day
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    z = rng.gamma(gg["p"], 1.0 / nu[order_buyer])
    order_cents = np.maximum(1, np.round(z * 100)).astype(np.int64)
    n_orders = np.bincount(order_buyer, minlength=n)
    return Purchases(
        buyer=buyer,
        lam=lam,
        p=p,
        nu=nu,
        alive=alive,
        dropout_day=dropout_day,
        tau_weeks=window / 7.0,
        n_repeat=n_orders - 1,
        order_buyer=order_buyer,
        order_day=order_day,
        order_cents=order_cents,
        n_moved=n_moved,
        n_dropped=n_dropped,
    )


def purchase_truth(pur: Purchases) -> dict[str, object]:
    bg, gg = params.BGNBD, params.GAMMA_GAMMA
    return {
        "repeat_purchases": {
            "model": "BG/NBD (Fader, Hardie & Lee 2005)",
            "time_unit": "weeks",
            **bg,
            "lambda": "Gamma(shape r, rate alpha) repeat purchases per week while alive",
            "p": "Beta(a, b): probability of dropping out right after each repeat purchase",
            "clock": (
                "starts at noon of the signup day (the first purchase); the observation window "
                "ends at "
                "the end of end_date"
            ),
            "seasonality": (
                "the purchase rate is λ × month_factor × weekday_factor (mean 1); tau_weeks in "
                "ground_truth_customers.parquet is the seasonally weighted exposure, so that "
                "E[repeat purchases] is the BG/NBD E[X(t)] at t = tau_weeks"
            ),
            "transactions": ("all orders count, whatever their status (completed, refunded, cancelled)"),
            "churn_mechanism": (
                "after each repeat purchase a coin with probability p decides whether the customer "
                "becomes inactive for good; a customer never drops out before the first repeat "
                "purchase, so one without repeat purchases is alive"
            ),
            "distinct_days": (
                "at most one order per customer and day: a purchase falling on a day that already "
                "holds "
                "one of the customer's orders moves to the next free day; one moved past end_date "
                "is "
                "dropped (counts below); so 'transactions on the same day count as one' holds "
                "exactly"
            ),
            "purchases_moved_to_next_free_day": pur.n_moved,
            "purchases_dropped_past_end": pur.n_dropped,
            "purchasers": len(pur.buyer),
            "share_alive_at_end": round(float(pur.alive.mean()) if len(pur.alive) else 0.0, 6),
            "mean_repeat_purchases": round(float(pur.n_repeat.mean()) if len(pur.n_repeat) else 0.0, 6),
        },
        "order_value": {
            "model": "Gamma-Gamma (Fader, Hardie & Lee 2005, 'RFM and CLV')",
            **gg,
            "nu": "Gamma(shape q, rate gamma) per customer",
            "z": (
                "Gamma(shape p, rate nu) per order: the net order value (sum of the lines' "
                "total_amount, before refunds), rounded to cents, at least 0.01"
            ),
            "expected_mean_order_value": round(gg["p"] * gg["gamma"] / (gg["q"] - 1.0), 6),
            "applies_to": "every order, the first one included, whatever its status",
        },
    }
