"""The generator's contract: arguments, determinism, file layout and clean formats."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from bizsight.demo import CUSTOMER_TRUTH_FILE, FILES, TRUTH_FILE, generate
from bizsight.demo.orders import split_orders
from bizsight.demo.products import make_catalog
from bizsight.errors import InvalidArgumentError
from tests.demo.support import CUSTOMERS, Demo

# The canonical model (docs: DESIGN.md), in column order.
COLUMNS = {
    "customer_database.csv": ["customer_id", "customer_name", "email", "signup_date",
                              "customer_segment", "region", "country", "acquisition_channel"],
    "product_catalog.csv": ["product_id", "product_name", "category", "price", "unit_cost",
                            "stock_level"],
    "sales_transactions.csv": ["order_id", "customer_id", "product_id", "order_date", "quantity",
                               "unit_price", "total_amount", "discount", "region", "category",
                               "channel", "status", "currency"],
    "customer_reviews.csv": ["review_id", "customer_id", "product_id", "rating", "review_date",
                             "review_text"],
    "marketing_spend.csv": ["date", "channel", "campaign", "spend", "impressions", "clicks",
                            "signups"],
    "sales_pipeline.csv": ["deal_id", "customer_id", "owner", "stage", "amount", "created_date",
                           "expected_close_date", "closed_date", "status", "source"],
    "targets.csv": ["metric", "period_start", "period_end", "target_value", "region", "category"],
    "market_data.csv": ["period", "region", "market_size", "competitor", "competitor_revenue"],
}  # fmt: skip
KEYS = {
    "customer_database.csv": ("customer_id",),
    "product_catalog.csv": ("product_id",),
    "sales_transactions.csv": ("order_id", "product_id"),
    "customer_reviews.csv": ("review_id",),
    "marketing_spend.csv": ("date", "channel", "campaign"),
    "sales_pipeline.csv": ("deal_id",),
    "targets.csv": ("metric", "period_start", "period_end", "region", "category"),
    "market_data.csv": ("period", "region", "competitor"),
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY = re.compile(r"^\d+\.\d{2}$")
REGIONS = {"Europe", "North America", "Asia Pacific", "Latin America"}


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"customers": 0}, "customers"),
        ({"customers": -5}, "customers"),
        ({"customers": 2.5}, "customers"),
        ({"years": 0}, "years"),
        ({"years": -1.0}, "years"),
        ({"years": float("nan")}, "years"),
        ({"dirty": -0.01}, "dirty"),
        ({"dirty": 0.51}, "dirty"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_invalid_argument(tmp_path: Path, kwargs: dict, word: str) -> None:
    with pytest.raises(InvalidArgumentError, match=word):
        generate(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    kwargs = {"customers": 400, "years": 1.5, "dirty": 0.2}
    generate(tmp_path / "a", seed=3, **kwargs)
    generate(tmp_path / "b", seed=3, **kwargs)
    generate(tmp_path / "c", seed=4, **kwargs)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert set(a) == {*FILES, TRUTH_FILE, CUSTOMER_TRUTH_FILE}
    assert a == b
    assert all(a[name] != c[name] for name in FILES if name != "targets.csv")


def test_the_dirty_rate_leaves_the_clean_process_alone(demo: Demo, dirty_demo: Demo) -> None:
    for name in ("targets.csv", "market_data.csv", CUSTOMER_TRUTH_FILE):
        assert (demo.path / name).read_bytes() == (dirty_demo.path / name).read_bytes()


def test_progress_reports_steps_up_to_one(tmp_path: Path) -> None:
    calls: list[tuple[str, float]] = []
    generate(tmp_path, customers=100, years=0.5, progress=lambda s, f: calls.append((s, f)))
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(step == "writing sales_transactions.csv" for step, _ in calls)


def test_files_have_the_canonical_columns_and_declared_row_counts(demo: Demo) -> None:
    for name, columns in COLUMNS.items():
        assert demo.header(name) == columns, name
        assert len(demo.rows(name)) == demo.truth["files"][name]["rows"], name
    assert len(demo.rows("customer_database.csv")) == CUSTOMERS


def test_keys_are_unique(demo: Demo) -> None:
    for name, key in KEYS.items():
        rows = demo.dicts(name)
        keys = Counter(tuple(r[k] for k in key) for r in rows)
        assert keys.most_common(1)[0][1] == 1, name


def test_clean_formats(demo: Demo) -> None:
    customers = demo.dicts("customer_database.csv")
    assert all(re.fullmatch(r"C\d{7}", r["customer_id"]) for r in customers)
    assert all(DATE.match(r["signup_date"]) for r in customers)
    assert {r["region"] for r in customers} == REGIONS
    products = demo.dicts("product_catalog.csv")
    assert all(re.fullmatch(r"P\d{5}", r["product_id"]) for r in products)
    for r in products:
        assert MONEY.match(r["price"]) and MONEY.match(r["unit_cost"])
        assert float(r["unit_cost"]) < float(r["price"])
    lines = demo.dicts("sales_transactions.csv")
    for r in lines:
        assert re.fullmatch(r"O\d{8}", r["order_id"])
        dt.datetime.strptime(r["order_date"], "%Y-%m-%d %H:%M:%S")
        assert all(MONEY.match(r[k]) for k in ("unit_price", "total_amount", "discount"))
        assert int(r["quantity"]) >= 1
        assert r["status"] in {"completed", "refunded", "cancelled"}
        assert r["currency"] == "USD" and r["region"] in REGIONS
        assert r["channel"] in {"online", "mobile_app", "marketplace", "retail_store"}
    reviews = demo.dicts("customer_reviews.csv")
    assert all(re.fullmatch(r"R\d{8}", r["review_id"]) for r in reviews)
    assert {r["rating"] for r in reviews} == {"1", "2", "3", "4", "5"}
    deals = demo.dicts("sales_pipeline.csv")
    assert all(re.fullmatch(r"D\d{7}", r["deal_id"]) for r in deals)
    assert {r["status"] for r in deals} == {"open", "won", "lost"}
    assert all(r["closed_date"] == "" for r in deals if r["status"] == "open")


def test_line_money_adds_up(demo: Demo) -> None:
    catalog = {r["product_id"]: r for r in demo.dicts("product_catalog.csv")}
    customers = {r["customer_id"]: r for r in demo.dicts("customer_database.csv")}
    for r in demo.dicts("sales_transactions.csv"):
        cents = round(float(r["unit_price"]) * 100) * int(r["quantity"])
        assert cents - round(float(r["discount"]) * 100) == round(float(r["total_amount"]) * 100)
        assert r["category"] == catalog[r["product_id"]]["category"]
        assert r["region"] == customers[r["customer_id"]]["region"]


def test_one_order_per_customer_and_day_and_no_repeated_product(demo: Demo) -> None:
    orders_per_day: dict[tuple[str, str], set[str]] = {}
    for r in demo.dicts("sales_transactions.csv"):
        orders_per_day.setdefault((r["customer_id"], r["order_date"][:10]), set()).add(r["order_id"])
    assert max(len(v) for v in orders_per_day.values()) == 1


def test_line_totals_sum_to_each_customers_order_values(demo: Demo) -> None:
    table = pq.read_table(demo.path / CUSTOMER_TRUTH_FILE).to_pylist()
    cents: Counter[str] = Counter()
    orders: dict[str, set[str]] = {}
    for r in demo.dicts("sales_transactions.csv"):
        cents[r["customer_id"]] += round(float(r["total_amount"]) * 100)
        orders.setdefault(r["customer_id"], set()).add(r["order_id"])
    for row in table:
        assert cents[row["customer_id"]] == round(row["total_value"] * 100)
        assert len(orders.get(row["customer_id"], ())) == row["n_orders"]
        assert row["purchaser"] == (row["n_orders"] > 0)


def test_split_orders_sums_to_z_exactly_with_list_prices_nearby() -> None:
    rng = np.random.default_rng(11)
    catalog = make_catalog(rng, 5_000)
    z = np.maximum(1, np.round(rng.gamma(2.0, 6000.0, 20_000))).astype(np.int64)
    lines = split_orders(rng, z, catalog)
    assert np.array_equal(np.bincount(lines.order, weights=lines.total_cents).astype(np.int64), z)
    assert (lines.discount_cents >= 0).all() and (lines.total_cents >= 1).all()
    assert np.array_equal(lines.quantity * lines.unit_cents - lines.discount_cents, lines.total_cents)
    assert len({(o, p) for o, p in zip(lines.order, lines.product, strict=True)}) == len(lines.order)
    assert catalog.sellable[lines.product].all()
    ratio = lines.unit_cents / catalog.price_cents[lines.product]
    assert 0.9 < np.median(ratio) < 1.1
    assert np.mean(np.abs(ratio - 1) < 0.25) > 0.9


def test_never_sold_products_and_never_purchasing_customers_exist(demo: Demo) -> None:
    sold = {r["product_id"] for r in demo.dicts("sales_transactions.csv")}
    assert len(demo.rows("product_catalog.csv")) - len(sold) >= demo.truth["products"]["never_sold"]
    buyers = {r["customer_id"] for r in demo.dicts("sales_transactions.csv")}
    assert CUSTOMERS - len(buyers) == demo.truth["customers"]["never_purchased"]
    share = demo.truth["customers"]["never_purchased"] / CUSTOMERS
    assert abs(share - demo.truth["customers"]["never_purchase_share"]) < 4 * (0.09 / CUSTOMERS) ** 0.5
