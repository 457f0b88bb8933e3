"""Which defects each demo file may carry, and where."""

from __future__ import annotations

import numpy as np

from bizsight.demo import params
from bizsight.demo.customers import COUNTRY_NAMES, REGION_NAMES, SEGMENT_NAMES
from bizsight.demo.defects import CONTRACT, FileSpec

ALL = tuple(CONTRACT)
NO_REFERENCES = tuple(k for k in ALL if k not in ("negative_quantity", "unknown_customer", "unknown_product"))


def _width(n: int) -> int:
    return len(str(max(n, 1)))


def customers_spec() -> FileSpec:
    return FileSpec(
        file="customer_database.csv",
        kinds_of_columns={
            "customer_id": "id",
            "customer_name": "text",
            "email": "text",
            "signup_date": "date",
            "customer_segment": "category",
            "region": "category",
            "country": "category",
            "acquisition_channel": "category",
        },
        required=("customer_id",),
        key=("customer_id",),
        defect_kinds=tuple(
            k for k in NO_REFERENCES if k not in ("formatted_number", "malformed_number", "out_of_range")
        ),
        blankable=(
            "customer_name",
            "email",
            "signup_date",
            "customer_segment",
            "region",
            "country",
            "acquisition_channel",
        ),
        conflict=("customer_segment", "region"),
        choices={
            "customer_segment": SEGMENT_NAMES,
            "region": REGION_NAMES,
            "country": COUNTRY_NAMES,
        },
    )


def products_spec() -> FileSpec:
    return FileSpec(
        file="product_catalog.csv",
        kinds_of_columns={
            "product_id": "id",
            "product_name": "text",
            "category": "category",
            "price": "money",
            "unit_cost": "money",
            "stock_level": "integer",
        },
        required=("product_id",),
        key=("product_id",),
        defect_kinds=tuple(k for k in NO_REFERENCES if k not in ("malformed_date", "mixed_date_format")),
        blankable=("product_name", "category", "price", "unit_cost", "stock_level"),
        conflict=("price", "stock_level"),
        numbers=("price", "unit_cost", "stock_level"),
        out_of_range=("price", "unit_cost"),
    )


def order_lines_spec(n_rows: int, customer_width: int, product_width: int) -> FileSpec:
    return FileSpec(
        file="sales_transactions.csv",
        kinds_of_columns={
            "order_id": "id",
            "customer_id": "id",
            "product_id": "id",
            "order_date": "timestamp",
            "quantity": "integer",
            "unit_price": "money",
            "total_amount": "money",
            "discount": "money",
            "region": "category",
            "category": "category",
            "channel": "category",
            "status": "enum",
            "currency": "code",
        },
        required=("order_id", "customer_id", "product_id", "order_date", "quantity", "unit_price"),
        key=("order_id", "product_id"),
        defect_kinds=ALL,
        blankable=("total_amount", "discount", "region", "category", "channel", "currency"),
        conflict=("quantity", "unit_price"),
        numbers=("quantity", "unit_price", "total_amount", "discount"),
        out_of_range=("unit_price",),
        id_prefix={
            "customer_id": ("C", max(customer_width, _width(n_rows))),
            "product_id": ("P", max(product_width, _width(n_rows))),
        },
    )


def reviews_spec(n_rows: int, customer_width: int, product_width: int) -> FileSpec:
    return FileSpec(
        file="customer_reviews.csv",
        kinds_of_columns={
            "review_id": "id",
            "customer_id": "id",
            "product_id": "id",
            "rating": "integer",
            "review_date": "date",
            "review_text": "text",
        },
        required=("review_id", "customer_id", "product_id", "rating"),
        key=("review_id",),
        defect_kinds=tuple(k for k in ALL if k not in ("negative_quantity", "formatted_number")),
        blankable=("review_date", "review_text"),
        conflict=("rating",),
        numbers=("rating",),
        out_of_range=("rating",),
        id_prefix={
            "customer_id": ("C", max(customer_width, _width(n_rows))),
            "product_id": ("P", max(product_width, _width(n_rows))),
        },
    )


def marketing_spec() -> FileSpec:
    return FileSpec(
        file="marketing_spend.csv",
        kinds_of_columns={
            "date": "date",
            "channel": "category",
            "campaign": "text",
            "spend": "money",
            "impressions": "integer",
            "clicks": "integer",
            "signups": "integer",
        },
        required=("date", "channel", "spend"),
        key=("date", "channel", "campaign"),
        defect_kinds=NO_REFERENCES,
        blankable=("impressions", "clicks", "signups"),
        conflict=("spend",),
        numbers=("spend", "impressions", "clicks"),
        out_of_range=("spend",),
    )


def deals_spec() -> FileSpec:
    return FileSpec(
        file="sales_pipeline.csv",
        kinds_of_columns={
            "deal_id": "id",
            "customer_id": "id",
            "owner": "text",
            "stage": "category",
            "amount": "money",
            "created_date": "date",
            "expected_close_date": "date",
            "closed_date": "date",
            "status": "enum",
            "source": "category",
        },
        required=("deal_id", "stage", "amount", "created_date"),
        key=("deal_id",),
        defect_kinds=NO_REFERENCES,
        blankable=("customer_id", "owner", "expected_close_date", "closed_date", "source"),
        conflict=("amount",),
        numbers=("amount",),
        out_of_range=("amount",),
    )


def contract() -> dict[str, dict[str, str | None]]:
    """The defect kinds, what they look like and what the ingester must do with them."""
    return {
        kind: {
            "looks_like": description,
            "outcome": outcome,
            "rule": rule if outcome == "quarantine" else None,
            "counted_as": rule if outcome == "duplicate" else None,
        }
        for kind, (outcome, rule, description) in CONTRACT.items()
    }


NOTES = {
    "placement": (
        "about dirty × clean_rows defects per file (targets.csv and market_data.csv stay clean), "
        "each "
        "on a distinct row; duplicates are appended copies of clean rows, placed at a random "
        "position "
        "after their original; each clean row is copied at most once"
    ),
    "no_cascade": (
        "defects that quarantine a customer or product row hit only customers who never purchased "
        "(no order line, review or deal names them) and products that were never sold, so nothing "
        "else is affected"
    ),
    "keys": {
        "customer_database.csv": ["customer_id"],
        "product_catalog.csv": ["product_id"],
        "sales_transactions.csv": ["order_id", "product_id"],
        "customer_reviews.csv": ["review_id"],
        "marketing_spend.csv": ["date", "channel", "campaign"],
        "sales_pipeline.csv": ["deal_id"],
    },
    "invariant": "loaded + sum(quarantined) + sum(duplicates) = rows, per file",
    "currency": params.CURRENCY,
    "categorical_case": (
        "a recased categorical value (EUROPE, paid search) is the canonical spelling ignoring "
        "case; "
        "ids and free text (names, emails, campaigns, review texts) only get stray spaces"
    ),
}


def unreferenced_pool(n: int, referenced: np.ndarray) -> np.ndarray:
    pool = np.ones(n, dtype=bool)
    pool[referenced] = False
    return pool
