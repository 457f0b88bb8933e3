"""The product catalogue: categories, list prices, margins, stock, quality and bundles."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bizsight.demo import fmt, params

NOUNS = {
    "Electronics": ("Headphones", "Speaker", "Charger", "Smartwatch", "Camera", "Tablet",
                    "Keyboard", "Mouse", "Monitor", "Router", "Earbuds", "Power Bank"),
    "Home & Kitchen": ("Blender", "Kettle", "Pan", "Knife Set", "Lamp", "Cushion", "Toaster",
                       "Coffee Grinder", "Vase", "Storage Box", "Towel Set", "Mixing Bowl"),
    "Clothing": ("T-Shirt", "Jacket", "Sweater", "Jeans", "Dress", "Scarf", "Hoodie", "Shorts",
                 "Socks", "Cap", "Raincoat", "Shirt"),
    "Beauty": ("Face Cream", "Shampoo", "Lipstick", "Serum", "Perfume", "Body Lotion",
               "Sunscreen", "Hair Oil", "Face Mask", "Nail Polish"),
    "Sports & Outdoors": ("Yoga Mat", "Water Bottle", "Backpack", "Tent", "Running Shoes",
                          "Dumbbells", "Bike Light", "Hiking Poles", "Sleeping Bag", "Jump Rope"),
    "Toys & Games": ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Toy Car", "Card Game",
                     "Doll", "Kite", "Train Set", "Science Kit"),
    "Books": ("Cookbook", "Novel", "Travel Guide", "Biography", "Atlas", "Poetry Collection",
              "History Book", "Comic", "Notebook", "Workbook"),
    "Grocery": ("Coffee Beans", "Green Tea", "Olive Oil", "Dark Chocolate", "Honey", "Pasta",
                "Granola", "Spice Mix", "Hot Sauce", "Almonds"),
}  # fmt: skip
ADJECTIVES = ("Classic", "Pro", "Lite", "Max", "Mini", "Ultra", "Smart", "Eco", "Premium",
              "Essential", "Compact", "Deluxe", "Original", "Everyday", "Studio",
              "Travel")  # fmt: skip
BRANDS = ("Nordvik", "Alpina", "Solano", "Kairo", "Brightline", "Meridian", "Oakridge", "Vela",
          "Corvo", "Lumen", "Tidewater", "Halcyon")  # fmt: skip


@dataclass(frozen=True)
class Catalog:
    n: int
    sellable: np.ndarray  # bool: may appear on order lines (the rest are never sold)
    category: np.ndarray  # index into params.CATEGORY_NAMES
    price_cents: np.ndarray
    cost_cents: np.ndarray
    margin: np.ndarray
    stock: np.ndarray
    quality: np.ndarray  # latent review quality
    name: pa.Array
    by_price: list[np.ndarray]  # per category: sellable product indices sorted by price
    bundles: list[tuple[int, int, float]]  # (product a, product b, probability)

    @property
    def id_width(self) -> int:
        return fmt.id_width(self.n, 5)

    def ids(self, index: np.ndarray) -> pa.Array:
        return fmt.ids("P", np.asarray(index) + 1, self.id_width)


def catalogue_size(customers: int) -> tuple[int, int]:
    """(sellable products, unsold products) for a customer count.

    >>> catalogue_size(20_000)
    (500, 100)
    """
    sellable = int(
        np.clip(
            round(customers * params.PRODUCTS_PER_CUSTOMER),
            params.PRODUCTS_MIN,
            params.PRODUCTS_MAX,
        )
    )
    return sellable, math.ceil(sellable * params.UNSOLD_SHARE)


def make_catalog(rng: np.random.Generator, customers: int) -> Catalog:
    n_sell, n_unsold = catalogue_size(customers)
    n = n_sell + n_unsold
    cats = params.CATEGORIES
    shares = np.array([v[0] for v in cats.values()])
    counts = np.floor(shares / shares.sum() * n).astype(np.int64)
    counts[: n - counts.sum()] += 1
    category = rng.permutation(np.repeat(np.arange(len(cats)), counts))
    median = np.array([v[1] for v in cats.values()])[category]
    log_sd = np.array([v[2] for v in cats.values()])[category]
    raw = np.clip(median * np.exp(log_sd * rng.standard_normal(n)), params.PRICE_MIN, params.PRICE_MAX)
    price = np.ceil(raw).astype(np.int64) * 100 - 1  # x.99
    margin = np.clip(
        np.array([v[3] for v in cats.values()])[category] + params.MARGIN_SD * rng.standard_normal(n),
        0.05,
        0.8,
    )
    cost = np.round(price * (1.0 - margin)).astype(np.int64)
    p_nb = 0.6
    stock = rng.negative_binomial(params.STOCK_MEAN * p_nb / (1 - p_nb), p_nb, n)
    sellable = np.ones(n, dtype=bool)
    sellable[rng.choice(n, size=n_unsold, replace=False)] = False

    noun_offsets = np.cumsum([0] + [len(v) for v in NOUNS.values()])
    all_nouns = [noun for nouns in NOUNS.values() for noun in nouns]
    noun = noun_offsets[category] + (rng.random(n) * np.diff(noun_offsets)[category]).astype(np.int64)
    name = fmt.join(
        fmt.take(BRANDS, rng.integers(0, len(BRANDS), n)),
        fmt.take(ADJECTIVES, rng.integers(0, len(ADJECTIVES), n)),
        fmt.take(all_nouns, noun),
        sep=" ",
    )
    by_price = []
    for k in range(len(cats)):
        members = np.flatnonzero((category == k) & sellable)
        by_price.append(members[np.argsort(price[members], kind="stable")])
    quality = params.REVIEW_MODEL["quality_sd"] * rng.standard_normal(n)
    catalog = Catalog(n, sellable, category, price, cost, margin, stock, quality, name, by_price, [])
    catalog.bundles.extend(_bundles(rng, catalog))
    return catalog


def _bundles(rng: np.random.Generator, catalog: Catalog) -> list[tuple[int, int, float]]:
    """Pairs of distinct sellable products: a mid-priced product and a cheap add-on whose category
    follows the transition row of the first (camera and memory card)."""
    transitions = np.asarray(params.CATEGORY_TRANSITIONS)
    used: set[int] = set()
    out: list[tuple[int, int, float]] = []
    lo, hi = params.BUNDLE_PROBABILITY_RANGE

    def priced(cat: int, lo_q: float, hi_q: float) -> int:
        members = catalog.by_price[cat]
        band = members[int(len(members) * lo_q) : max(int(len(members) * lo_q) + 1, int(len(members) * hi_q))]
        free = [int(p) for p in band if int(p) not in used]
        return free[int(rng.integers(0, len(free)))] if free else -1

    first = np.asarray(params.FIRST_CATEGORY)
    while len(out) < params.N_BUNDLES:
        a_cat = int(rng.choice(len(first), p=first / first.sum()))
        a = priced(a_cat, 0.25, 0.75)  # a mid-priced product
        if a < 0:
            continue
        used.add(a)
        row = transitions[a_cat]
        b = priced(int(rng.choice(len(row), p=row / row.sum())), 0.0, 0.35)  # a cheap add-on
        if b < 0:
            used.discard(a)
            continue
        used.add(b)
        out.append((a, b, round(float(rng.uniform(lo, hi)), 2)))
    return out


def product_columns(c: Catalog) -> fmt.Columns:
    return {
        "product_id": c.ids(np.arange(c.n)),
        "product_name": c.name,
        "category": fmt.take(params.CATEGORY_NAMES, c.category),
        "price": fmt.money(c.price_cents),
        "unit_cost": fmt.money(c.cost_cents),
        "stock_level": fmt.integers(c.stock),
    }


def product_truth(c: Catalog) -> dict[str, object]:
    ids = c.ids(np.arange(c.n)).to_pylist()
    names = c.name.to_pylist()
    return {
        "count": c.n,
        "sellable": int(c.sellable.sum()),
        "never_sold": int((~c.sellable).sum()),
        "categories": {
            name: {
                "product_share": v[0],
                "median_price": v[1],
                "price_log_sd": v[2],
                "margin": v[3],
            }
            for name, v in params.CATEGORIES.items()
        },
        "price": "median × exp(log_sd × N(0,1)), clipped to [1.99, 2499.99], rounded up to x.99",
        "unit_cost": (
            "round(price × (1 − margin), 2); margin = category margin + N(0, 0.04), clipped to [0.05, 0.8]"
        ),
        "stock_level": f"negative binomial with mean {params.STOCK_MEAN}",
        "first_line_category": dict(zip(params.CATEGORY_NAMES, params.FIRST_CATEGORY, strict=True)),
        "category_transitions": {
            name: dict(zip(params.CATEGORY_NAMES, row, strict=True))
            for name, row in zip(params.CATEGORY_NAMES, params.CATEGORY_TRANSITIONS, strict=True)
        },
        "bundles": [
            {
                "product_a": ids[a],
                "product_b": ids[b],
                "name_a": names[a],
                "name_b": names[b],
                "probability": prob,
            }
            for a, b, prob in c.bundles
        ],
        "bundle_rule": (
            "when product_a is on a line of an order and a later line follows, that next line "
            "becomes "
            "product_b with the stated probability (quantity re-derived from the line's value "
            "share)"
        ),
    }
