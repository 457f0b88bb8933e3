"""Orders split into lines whose net totals sum to the order value z exactly.

Per order: the number of lines L (1-4, at most one per $12 of value), each line's share of z
(half an equal split plus half a Dirichlet(2, ..., 2) split), and a promotion (a quarter of the
orders: 5-20 % off every line). The first line's category follows the category popularity, each
later line's the transition row of the line before; a bundle's first product pulls its partner
into the next line. Within its category a line takes the product whose list price is closest
(in ratio) to its target unit price, share / (drawn quantity × (1 − promotion rate)); then

    quantity    = max(1, round(share / ((1 − rate) × list price)))
    total       = quantity × round(share / quantity)   (one line per order, the one with the
                  smallest quantity, takes z minus the other lines instead, so totals sum to z)
    unit_price  = ceil(total / ((1 − rate) × quantity))   (to the cent)
    discount    = quantity × unit_price − total   (≥ 0; ≈ rate × gross)

so unit_price stays near the list price (the bracketing products differ by a few per cent) and
lines without a promotion carry no discount, except a rounding discount of less than
``quantity`` cents on the one balancing line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.demo import params
from bizsight.demo.products import Catalog


@dataclass(frozen=True)
class Lines:
    order: np.ndarray  # order index of each line (lines of an order are adjacent)
    position: np.ndarray  # 0 .. L-1 within the order
    product: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray
    discount_cents: np.ndarray
    total_cents: np.ndarray
    bundle: np.ndarray  # bool: the product came from a bundle


def _starts(sizes: np.ndarray) -> np.ndarray:
    return np.cumsum(sizes) - sizes


def split_orders(rng: np.random.Generator, value_cents: np.ndarray, catalog: Catalog) -> Lines:
    """Lines for orders of the given net values (cents).

    >>> from bizsight.demo.products import make_catalog
    >>> rng = np.random.default_rng(1)
    >>> lines = split_orders(rng, np.array([12_345, 999, 250_000]), make_catalog(rng, 1000))
    >>> np.bincount(lines.order, weights=lines.total_cents).astype(int).tolist()
    [12345, 999, 250000]
    """
    z = np.asarray(value_cents, dtype=np.int64)
    n = len(z)
    probs = np.asarray(params.LINES_PER_ORDER)
    n_lines = rng.choice(len(probs), size=n, p=probs / probs.sum()) + 1
    n_lines = np.minimum(n_lines, np.maximum(1, z // params.MIN_LINE_SHARE_CENTS)).astype(np.int64)
    first = _starts(n_lines)
    order = np.repeat(np.arange(n), n_lines)
    position = np.arange(len(order)) - first[order]
    weight = rng.gamma(params.LINE_SHARE_CONCENTRATION, 1.0, len(order))
    weight = 0.5 / n_lines[order] + 0.5 * weight / np.bincount(order, weight, minlength=n)[order]
    share = z[order] * weight
    rates = np.asarray(list(params.PROMO_RATES), dtype=np.int64)
    rate_p = np.asarray(list(params.PROMO_RATES.values()))
    promo = np.where(
        rng.random(n) < params.PROMO_SHARE,
        rates[rng.choice(len(rates), size=n, p=rate_p / rate_p.sum())],
        0,
    )
    keep = 1.0 - promo[order] / 100.0  # the share of the gross a line keeps

    qty_w = np.asarray(params.QUANTITY_WEIGHTS)
    drawn_qty = np.asarray(params.QUANTITIES)[rng.choice(len(qty_w), size=len(order), p=qty_w / qty_w.sum())]
    target = share / (drawn_qty * keep)
    product, bundle = _choose_products(rng, target, position, int(n_lines.max(initial=1)), catalog)
    dedupe(rng, order, product, bundle, catalog)

    unit_list = catalog.price_cents[product]
    quantity = np.maximum(1, np.round(share / (keep * unit_list))).astype(np.int64)
    total = quantity * np.round(share / quantity).astype(np.int64)
    # The balancing line: the first line with the order's smallest quantity.
    smallest = np.minimum.reduceat(quantity, first)
    candidates = np.flatnonzero(quantity == smallest[order])
    _, at = np.unique(order[candidates], return_index=True)
    balance = candidates[at]
    total[balance] = 0
    total[balance] = z - np.add.reduceat(total, first)
    if (total < 1).any():  # pragma: no cover - shares are at least $6 when an order has 2+ lines
        raise RuntimeError("an order line lost its value")
    denominator = (100 - promo[order]) * quantity
    unit = -(-(total * 100) // denominator)
    discount = quantity * unit - total
    return Lines(order, position, product, quantity, unit, discount, total, bundle)


def _choose_products(
    rng: np.random.Generator,
    target: np.ndarray,
    position: np.ndarray,
    max_lines: int,
    catalog: Catalog,
) -> tuple[np.ndarray, np.ndarray]:
    product = np.empty(len(target), dtype=np.int64)
    bundle = np.zeros(len(target), dtype=bool)
    partner = np.full(catalog.n, -1, dtype=np.int64)
    partner_p = np.zeros(catalog.n)
    for a, b, prob in catalog.bundles:
        partner[a], partner_p[a] = b, prob
    first_cat = np.asarray(params.FIRST_CATEGORY)
    cum_t = np.cumsum(np.asarray(params.CATEGORY_TRANSITIONS), axis=1)
    cum_t /= cum_t[:, -1:]
    for k in range(max_lines):
        idx = np.flatnonzero(position == k)
        if k == 0:
            cat = rng.choice(len(first_cat), size=len(idx), p=first_cat / first_cat.sum())
        else:
            prev_cat = catalog.category[product[idx - 1]]
            cat = np.minimum(
                (rng.random(len(idx))[:, None] > cum_t[prev_cat]).sum(axis=1), len(first_cat) - 1
            )
        for c, members in enumerate(catalog.by_price):
            sel = idx[cat == c]
            prices = catalog.price_cents[members]
            above = np.clip(np.searchsorted(prices, target[sel]), 0, len(members) - 1)
            below = np.maximum(above - 1, 0)
            closer = np.abs(np.log(prices[below] / target[sel])) < np.abs(np.log(prices[above] / target[sel]))
            product[sel] = members[np.where(closer, below, above)]
        if k > 0:  # a bundle's first product on the line before pulls in its partner
            prev = product[idx - 1]
            hit = (partner[prev] >= 0) & (rng.random(len(idx)) < partner_p[prev])
            product[idx[hit]] = partner[prev[hit]]
            bundle[idx[hit]] = True
    return product, bundle


def dedupe(
    rng: np.random.Generator,
    order: np.ndarray,
    product: np.ndarray,
    bundle: np.ndarray,
    catalog: Catalog,
) -> None:
    """No order holds a product twice: a repeated (non-bundle) line moves to a product of similar
    price in the same category."""
    rank = np.zeros(catalog.n, dtype=np.int64)
    for members in catalog.by_price:
        rank[members] = np.arange(len(members))
    for attempt in range(100):
        key = order * catalog.n + product
        srt = np.lexsort((~bundle, key))
        same = key[srt][1:] == key[srt][:-1]
        dup = srt[1:][same]
        if len(dup) == 0:
            return
        cat = catalog.category[product[dup]]
        reach = 3 + attempt
        step = rng.integers(1, reach + 1, len(dup)) * rng.choice(np.array([-1, 1]), len(dup))
        for c, members in enumerate(catalog.by_price):
            m = cat == c
            new_rank = np.clip(rank[product[dup[m]]] + step[m], 0, len(members) - 1)
            product[dup[m]] = members[new_rank]
        bundle[dup] = False
    raise RuntimeError("could not make the products of an order distinct")  # pragma: no cover


def line_stats(lines: Lines, catalog: Catalog) -> dict[str, object]:
    gross = lines.quantity * lines.unit_cents
    ratio = lines.unit_cents / catalog.price_cents[lines.product]
    q = np.quantile(ratio, [0.01, 0.1, 0.5, 0.9, 0.99]) if len(ratio) else np.zeros(5)
    return {
        "unit_price_over_list_price_quantiles_1_10_50_90_99": [round(float(v), 4) for v in q],
        "share_of_lines_with_discount": round(float((lines.discount_cents > 0).mean()), 6),
        "discount_over_gross": round(float(lines.discount_cents.sum() / max(gross.sum(), 1)), 6),
        "p99_line_discount_rate": round(float(np.quantile(lines.discount_cents / gross, 0.99)), 6),
    }
