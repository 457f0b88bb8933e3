"""Every defect the truth counts is in the dirty files, and nothing else is.

Each row of a dirty file is classified here on its own evidence (and, for in-place changes, by
comparing it with the same row of the clean file of the same seed): exact copy of an earlier row,
copy with the same key (equal or not after cleaning), blank required field, bad date or number,
negative quantity, value out of range, unknown reference, or one cell that differs from the clean
row (blank, other date layout, formatted number, spaces/case). The counts must equal the truth's
exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest

from tests.demo.support import DIRTY, Demo

KINDS = {
    "customer_database.csv": {
        "customer_id": "id", "customer_name": "text", "email": "text", "signup_date": "date",
        "customer_segment": "category", "region": "category", "country": "category",
        "acquisition_channel": "category",
    },
    "product_catalog.csv": {
        "product_id": "id", "product_name": "text", "category": "category", "price": "money",
        "unit_cost": "money", "stock_level": "integer",
    },
    "sales_transactions.csv": {
        "order_id": "id", "customer_id": "id", "product_id": "id", "order_date": "timestamp",
        "quantity": "integer", "unit_price": "money", "total_amount": "money", "discount": "money",
        "region": "category", "category": "category", "channel": "category", "status": "enum",
        "currency": "code",
    },
    "customer_reviews.csv": {
        "review_id": "id", "customer_id": "id", "product_id": "id", "rating": "integer",
        "review_date": "date", "review_text": "text",
    },
    "marketing_spend.csv": {
        "date": "date", "channel": "category", "campaign": "text", "spend": "money",
        "impressions": "integer", "clicks": "integer", "signups": "integer",
    },
    "sales_pipeline.csv": {
        "deal_id": "id", "customer_id": "id", "owner": "text", "stage": "category",
        "amount": "money", "created_date": "date", "expected_close_date": "date",
        "closed_date": "date", "status": "enum", "source": "category",
    },
}  # fmt: skip
REQUIRED = {
    "customer_database.csv": ("customer_id",),
    "product_catalog.csv": ("product_id",),
    "sales_transactions.csv": ("order_id", "customer_id", "product_id", "order_date", "quantity",
                               "unit_price"),
    "customer_reviews.csv": ("review_id", "customer_id", "product_id", "rating"),
    "marketing_spend.csv": ("date", "channel", "spend"),
    "sales_pipeline.csv": ("deal_id", "stage", "amount", "created_date"),
}  # fmt: skip
KEYS = {
    "customer_database.csv": ("customer_id",),
    "product_catalog.csv": ("product_id",),
    "sales_transactions.csv": ("order_id", "product_id"),
    "customer_reviews.csv": ("review_id",),
    "marketing_spend.csv": ("date", "channel", "campaign"),
    "sales_pipeline.csv": ("deal_id",),
}
NON_NEGATIVE = {"price", "unit_cost", "unit_price", "discount", "spend", "amount"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%b %d, %Y", "%d %b %Y", "%m/%d/%Y")
TIME_FORMATS = tuple(f"{d} {t}" for d in DATE_FORMATS for t in ("%H:%M:%S", "%H:%M"))
LOADS = {"missing_optional", "mixed_date_format", "formatted_number", "whitespace_case"}
INVALID = object()


def _number(text: str) -> Decimal | object:
    s = re.sub(r"^[$£€]\s*", "", text)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    return Decimal(s) if re.fullmatch(r"-?\d+(\.\d+)?", s) else INVALID


def _when(text: str, formats: tuple[str, ...]) -> dt.datetime | object:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    return INVALID


def _clean(kind: str, value: str) -> object:
    """The value after the cleaning an ingester does; None when blank, INVALID when unparseable."""
    text = value.strip()
    if not text:
        return None
    if kind in ("money", "integer"):
        return _number(text)
    if kind == "date":
        return _when(text, DATE_FORMATS)
    if kind == "timestamp":
        return _when(text, TIME_FORMATS)
    return text.casefold() if kind in ("category", "enum", "code") else text


def classify(
    name: str, dirty: Demo, clean: Demo, customers: set[str], products: set[str]
) -> tuple[Counter[str], set[str]]:
    """Defect kind per row, counted; and the ids of the rows that load."""
    kinds, header = KINDS[name], dirty.header(name)
    assert header == clean.header(name)
    key_of = lambda norm: tuple(norm[c] for c in KEYS[name])  # noqa: E731
    twins = {}
    for row in clean.dicts(name):
        norm = {c: _clean(kinds[c], v) for c, v in row.items()}
        twins[key_of(norm)] = row
    counts: Counter[str] = Counter()
    loaded: set[str] = set()
    raw_seen: set[tuple[str, ...]] = set()
    key_seen: dict[tuple, dict] = {}
    for raw in dirty.rows(name):
        cells = dict(zip(header, raw, strict=True))
        if tuple(raw) in raw_seen:
            counts["exact_duplicate"] += 1
            continue
        raw_seen.add(tuple(raw))
        norm = {c: _clean(kinds[c], v) for c, v in cells.items()}
        key = key_of(norm)
        if all(v is not None and v is not INVALID for v in key):
            if key in key_seen:
                same = key_seen[key] == norm
                counts["resent_duplicate" if same else "conflicting_duplicate"] += 1
                continue
            key_seen[key] = norm
        kind = _in_place(cells, norm, kinds, REQUIRED[name], customers, products, twins.get(key))
        counts[kind] += 1
        if kind == "clean" or kind in LOADS:
            loaded.add(str(norm[header[0]]))
    return counts, loaded


def _in_place(
    cells: dict[str, str],
    norm: dict[str, object],
    kinds: dict[str, str],
    required: tuple[str, ...],
    customers: set[str],
    products: set[str],
    twin: dict[str, str] | None,
) -> str:
    if any(norm[c] is None for c in required):
        return "missing_required"
    if any(norm[c] is INVALID for c, k in kinds.items() if k in ("date", "timestamp")):
        return "malformed_date"
    if any(norm[c] is INVALID for c, k in kinds.items() if k in ("money", "integer")):
        return "malformed_number"
    if "quantity" in norm and norm["quantity"] < 0 and norm["status"] in (None, "completed"):  # type: ignore[operator]
        return "negative_quantity"
    if "rating" in norm and not 1 <= norm["rating"] <= 5:  # type: ignore[operator]
        return "out_of_range"
    if any(norm[c] is not None and norm[c] < 0 for c in NON_NEGATIVE & set(norm)):  # type: ignore[operator]
        return "out_of_range"
    if "review_id" in norm or "order_id" in norm:
        if norm["customer_id"] not in customers:
            return "unknown_customer"
        if norm["product_id"] not in products:
            return "unknown_product"
    if twin is None:
        return "unexplained: no clean row with this key"
    diffs = [c for c in cells if cells[c] != twin[c]]
    if not diffs:
        return "clean"
    if len(diffs) > 1:
        return f"unexplained: {diffs}"
    column = diffs[0]
    value, kind = cells[column], kinds[column]
    if not value.strip():
        return "missing_optional"
    if norm[column] != _clean(kind, twin[column]):
        return f"unexplained: {column}={value!r}"
    if kind in ("date", "timestamp"):
        return "mixed_date_format"
    if kind == "money" and re.search(r"[$£€,]", value):
        return "formatted_number"
    return "whitespace_case"


@pytest.fixture(scope="module")
def classified(demo: Demo, dirty_demo: Demo) -> dict[str, tuple[Counter[str], set[str]]]:
    out: dict[str, tuple[Counter[str], set[str]]] = {}
    for name in ("customer_database.csv", "product_catalog.csv"):
        out[name] = classify(name, dirty_demo, demo, set(), set())
    customers = {r["customer_id"] for r in demo.dicts("customer_database.csv")}
    products = {r["product_id"] for r in demo.dicts("product_catalog.csv")}
    for name in KINDS:
        if name not in out:
            out[name] = classify(name, dirty_demo, demo, customers, products)
    return out


@pytest.mark.parametrize("name", list(KINDS))
def test_each_counted_defect_is_in_the_file(
    name: str, dirty_demo: Demo, classified: dict[str, tuple[Counter[str], set[str]]]
) -> None:
    counts, _ = classified[name]
    truth = dirty_demo.truth["files"][name]
    found = {kind: n for kind, n in counts.items() if kind != "clean"}
    assert found == truth["defects"]
    assert sum(counts.values()) == truth["rows"] == len(dirty_demo.rows(name))
    in_place = sum(n for kind, n in truth["defects"].items() if not kind.endswith("duplicate"))
    assert counts["clean"] == truth["clean_rows"] - in_place
    # about DIRTY of the clean rows carry a defect
    assert abs(sum(truth["defects"].values()) / truth["clean_rows"] - DIRTY) < 0.05


@pytest.mark.parametrize("name", list(KINDS))
def test_expected_outcome_adds_up(name: str, dirty_demo: Demo) -> None:
    truth = dirty_demo.truth["files"][name]
    expected = truth["expected"]
    total = expected["loaded"] + sum(expected["quarantined"].values())
    assert total + sum(expected["duplicates"].values()) == truth["rows"]
    loads = sum(n for kind, n in truth["defects"].items() if kind in LOADS)
    in_place = sum(n for kind, n in truth["defects"].items() if not kind.endswith("duplicate"))
    assert expected["loaded"] == truth["clean_rows"] - in_place + loads
    contract = dirty_demo.truth["defects"]["contract"]
    for kind, n in truth["defects"].items():
        rule = contract[kind]["rule"] or contract[kind]["counted_as"]
        if rule:
            assert (expected["quarantined"] | expected["duplicates"])[rule] >= n


def test_every_kind_appears_somewhere(dirty_demo: Demo) -> None:
    kinds = {k for f in dirty_demo.truth["files"].values() for k in f["defects"]}
    assert kinds == set(dirty_demo.truth["defects"]["contract"])


def test_quarantined_dimension_rows_are_referenced_by_nothing(
    dirty_demo: Demo, classified: dict[str, tuple[Counter[str], set[str]]]
) -> None:
    _, customers = classified["customer_database.csv"]
    _, products = classified["product_catalog.csv"]
    for name in ("sales_transactions.csv", "customer_reviews.csv", "sales_pipeline.csv"):
        for row in dirty_demo.dicts(name):
            customer = row["customer_id"].strip()
            assert not customer or customer in customers or customer.endswith("x"), (name, row)
            product = row.get("product_id", "").strip()
            assert not product or product in products or product.endswith("x"), (name, row)


def test_examples_point_at_the_defective_cells(dirty_demo: Demo) -> None:
    for name, truth in dirty_demo.truth["files"].items():
        header, rows = dirty_demo.header(name), dirty_demo.rows(name)
        for examples in truth.get("examples", {}).values():
            for example in examples:
                row = rows[example["line"] - 2]
                if "column" in example:
                    assert row[header.index(example["column"])] == example["value"]
