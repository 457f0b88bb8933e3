"""The catalogue: built-in definitions, a project's metrics.yml, and one-line errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bizsight.errors import ConfigError
from bizsight.metrics.definitions import builtin, load_catalogue
from bizsight.services.project import Project
from tests.metrics.conftest import shop

ISSUE_METRICS = [
    "revenue",
    "gross_revenue",
    "refunds",
    "refund_rate",
    "orders",
    "units",
    "active_customers",
    "new_customers",
    "returning_customers",
    "average_order_value",
    "revenue_per_customer",
    "purchase_frequency",
    "repeat_purchase_rate",
    "customer_retention_rate",
    "revenue_growth",
    "revenue_growth_yoy",
    "gross_margin",
    "average_rating",
    "review_count",
    "negative_review_share",
    "marketing_spend",
    "customer_acquisition_cost",
    "product_categories",
]
ISSUE_DIMENSIONS = [
    "region",
    "country",
    "category",
    "product",
    "customer_segment",
    "acquisition_channel",
    "sales_channel",
    "cohort_month",
]


def test_builtin_catalogue_covers_the_promised_metrics_and_dimensions() -> None:
    catalogue = builtin()
    assert set(ISSUE_METRICS) <= set(catalogue.metrics)
    assert set(ISSUE_DIMENSIONS) <= set(catalogue.dimensions)
    assert all(metric.description or metric.label for metric in catalogue.metrics.values())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(text)
    return path


def test_project_metrics_extend_the_catalogue(tmp_path: Path) -> None:
    project = shop(tmp_path)
    write(
        project.root,
        """
metrics:
  europe_revenue:
    label: Revenue in Europe
    model: order_lines
    aggregate: sum
    sql: f.net_amount
    filter: "coalesce(f.region, customer.region) = 'Europe'"
    format: currency
  europe_share:
    label: Share of revenue from Europe
    ratio: [europe_revenue, revenue]
  revenue_after_marketing:
    label: Revenue after marketing spend
    derived: revenue - marketing_spend
dimensions:
  payment_status:
    label: Order status
    sql: {order_lines: f.status}
""",
    )
    rows = project.query("europe_revenue", "europe_share", "revenue_after_marketing").to_pylist()
    assert rows == [
        {
            "europe_revenue": Decimal("59.00"),
            "europe_share": pytest.approx(59 / 94),
            "revenue_after_marketing": pytest.approx(94 - 120),
        }
    ]
    by_status = {
        r["payment_status"]: r["orders"] for r in project.query("orders", by=["payment_status"]).to_pylist()
    }
    assert by_status == {"cancelled": 0, "completed": 6, "refunded": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "metrics:\n  x:\n    label: X\n    ratio: [revenue, ordrs]\n",
            "unknown metric 'ordrs' (did you mean 'orders'?)",
        ),
        (
            "metrics:\n  x:\n    label: X\n    derived: y + 1\n  y:\n    label: Y\n    derived: x * 2\n",
            "depends on itself",
        ),
        (
            "metrics:\n  x:\n    label: X\n    model: order_lines\n    agregate: sum\n    sql: f.quantity\n",
            "unknown key 'metrics.x.agregate' (did you mean 'aggregate'?)",
        ),
        (
            "metrics:\n  x:\n    label: X\n    model: orderlines\n    aggregate: sum\n    sql: f.quantity\n",
            "unknown model 'orderlines' (did you mean 'order_lines'?)",
        ),
        ("metrics:\n  revenue:\n    label: Mine\n    derived: orders * 2\n", "metrics.revenue is built in"),
        (
            "metrics:\n  x:\n    label: X\n    model: order_lines\n    aggregate: sum\n    sql: 'f.quantity +'\n",
            "not a valid SQL expression",
        ),
        (
            "metrics:\n  x:\n    label: X\n    model: order_lines\n    aggregate: sum\n    sql: (SELECT 1)\n",
            "must be an expression, not a query",
        ),
        ("metrics:\n  x:\n    label: X\n", "exactly one of aggregate, ratio, derived or growth"),
    ],
)
def test_bad_definitions_are_refused_with_file_key_and_hint(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    if "unknown key" in message:
        assert str(path) in str(err.value)


def test_unknown_metric_and_dimension_in_a_query_suggest_names(tiny: Project) -> None:
    from bizsight.errors import BizsightError

    with pytest.raises(BizsightError, match="unknown metric 'revnue' \\(did you mean 'revenue'\\?\\)"):
        tiny.query("revnue")
    with pytest.raises(
        BizsightError, match="unknown dimension 'customer_segmnt' \\(did you mean 'customer_segment'\\?\\)"
    ):
        tiny.query("revenue", by=["customer_segmnt"])
    with pytest.raises(BizsightError, match="does not apply to marketing_spend"):
        tiny.query("marketing_spend", by=["category"])
