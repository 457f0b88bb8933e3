"""Property: for any mix of defects, every row is accounted for under the rule its defect implies."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizsight.console import NullReporter
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from tests.helpers import (
    CUSTOMER_HEADER,
    ORDER_HEADER,
    PRODUCT_HEADER,
    customers,
    order,
    products,
    write_csv,
)


def defective(kind: str, i: int) -> list[object]:
    """Order line ``i`` carrying one defect, or none for "clean"/"cosmetic" kinds."""
    oid = f"O{i}"
    return {
        "clean": order(oid),
        "cosmetic": [
            f" {oid} ",
            "C1",
            "P1",
            "Feb 1, 2024",
            "1",
            "$10.00",
            "",
            "0",
            "EUROPE ",
            "home",
            "online",
            " Completed",
            "usd",
        ],
        "missing_required": order(oid, customer=""),
        "invalid_number": order(oid, quantity="1..2"),
        "invalid_date": order(oid, date="2024-13-45"),
        "invalid_value": order(oid, status="lost in the post"),
        "negative_quantity": order(oid, quantity=-3),
        "out_of_range": order(oid, discount="-5"),
        "unknown_customer": order(oid, customer="C999"),
        "unknown_product": order(oid, product="P999"),
    }[kind]


def resend(row: list[object], kind: str) -> list[object]:
    """The same values written differently: padded id, other date format, upper-case codes."""
    same_time = "02/01/2024 10:00" if kind == "clean" else "2024-02-01"  # "cosmetic" rows are at midnight
    return [f"  {row[0]}", row[1], row[2], same_time, *row[4:11], "COMPLETED", "USD"]


KINDS = [
    "clean",
    "cosmetic",
    "missing_required",
    "invalid_number",
    "invalid_date",
    "invalid_value",
    "negative_quantity",
    "out_of_range",
    "unknown_customer",
    "unknown_product",
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=40),
    exact=st.lists(st.integers(min_value=0, max_value=39), max_size=5),
    resent=st.lists(st.integers(min_value=0, max_value=39), max_size=5),
)
def test_rows_read_equals_loaded_plus_quarantined_plus_duplicates(
    kinds: list[str], exact: list[int], resent: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [defective(kind, i) for i, kind in enumerate(kinds)]
        valid = [i for i, kind in enumerate(kinds) if kind in ("clean", "cosmetic")]
        copies = [rows[valid[j % len(valid)]] for j in exact] if valid else []
        # A re-sent copy: the same values written differently (spacing, case, date format).
        resends = (
            [resend(rows[i], kinds[i]) for i in (valid[j % len(valid)] for j in resent)] if valid else []
        )
        files = [
            write_csv(root / "customer_database.csv", CUSTOMER_HEADER, customers(3)),
            write_csv(root / "product_catalog.csv", PRODUCT_HEADER, products(2)),
            write_csv(root / "sales_transactions.csv", ORDER_HEADER, rows + copies + resends),
        ]
        result = ingest(Project(root / "p"), files, NullReporter()).results[-1]
        expected_rules = Counter(kind for kind in kinds if kind not in ("clean", "cosmetic"))
        assert result.rows_read == len(rows) + len(copies) + len(resends)
        assert result.rows_read == result.loaded + result.quarantined + result.duplicates
        assert result.quality["quarantined_by_rule"] == dict(expected_rules)
        assert result.loaded == len(valid)
        # Every copy is skipped; byte-identical ones as exact (a re-send may repeat another re-send).
        assert result.duplicates == len(copies) + len(resends)
        assert result.counts["exact_duplicate"] >= len(copies)
