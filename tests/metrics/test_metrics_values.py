"""Every built-in metric on a shop small enough to work out by hand, and the classic BI traps.

Net line amounts: Jan O1 25 (C1), O2 9 (C2), O8 5 (C2); Feb O3 20 (C1), O4 refunded (C3, gross
10), O5 cancelled (C2); March nothing; Apr O6 30, O7 5 (C3).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bizsight.services.project import Project
from tests.helpers import ORDER_HEADER, order, write_csv
from tests.metrics.conftest import shop

JAN, FEB, MAR, APR = (dt.date(2024, m, 1) for m in (1, 2, 3, 4))


def by_period(project: Project, *metrics: str, **kwargs: object) -> dict[object, dict[str, object]]:
    table = project.query(*metrics, grain="month", start="2024-01-01", end="2024-04-30", **kwargs)  # type: ignore[arg-type]
    return {row.pop("period"): row for row in table.to_pylist()}


def test_sums_counts_and_empty_periods(tiny: Project) -> None:
    rows = by_period(tiny, "revenue", "gross_revenue", "refunds", "discounts", "orders", "units")
    assert list(rows) == [JAN, FEB, MAR, APR]  # March has no orders and still appears
    assert rows[JAN] == {
        "revenue": Decimal("39.00"),
        "gross_revenue": Decimal("40.00"),
        "refunds": Decimal("0.00"),
        "discounts": Decimal("1.00"),
        "orders": 3,
        "units": 5,
    }
    assert rows[FEB] == {
        "revenue": Decimal("20.00"),
        "gross_revenue": Decimal("30.00"),
        "refunds": Decimal("10.00"),
        "discounts": Decimal("0.00"),
        "orders": 2,
        "units": 4,
    }
    assert rows[MAR] == {
        "revenue": 0,
        "gross_revenue": 0,
        "refunds": 0,
        "discounts": 0,
        "orders": 0,
        "units": 0,
    }
    assert rows[APR]["revenue"] == Decimal("35.00")


def test_ratios_are_computed_from_components_at_the_grain(tiny: Project) -> None:
    monthly = by_period(tiny, "average_order_value", "refund_rate", "purchase_frequency")
    assert monthly[JAN]["average_order_value"] == pytest.approx(13.0)
    assert monthly[FEB]["average_order_value"] == pytest.approx(10.0)
    assert monthly[MAR]["average_order_value"] is None  # no orders: unknown, not zero
    assert monthly[FEB]["refund_rate"] == pytest.approx(10 / 30)
    quarter = tiny.query(
        "average_order_value", grain="quarter", start="2024-01-01", end="2024-03-31"
    ).to_pylist()
    # 59 / 5 orders, not the average of the monthly values (13 + 10) / 2.
    assert quarter == [{"period": JAN, "average_order_value": pytest.approx(59 / 5)}]


def test_customer_metrics(tiny: Project) -> None:
    rows = by_period(
        tiny,
        "active_customers",
        "new_customers",
        "returning_customers",
        "repeat_customers",
        "repeat_purchase_rate",
        "customer_retention_rate",
        "revenue_per_customer",
    )
    assert [rows[p]["active_customers"] for p in (JAN, FEB, MAR, APR)] == [2, 2, 0, 1]
    assert [rows[p]["new_customers"] for p in (JAN, FEB, MAR, APR)] == [2, 1, 0, 0]
    assert [rows[p]["returning_customers"] for p in (JAN, FEB, MAR, APR)] == [0, 1, 0, 1]
    assert [rows[p]["repeat_customers"] for p in (JAN, FEB, MAR, APR)] == [1, 0, 0, 1]  # C2 in Jan, C3 in Apr
    assert rows[APR]["repeat_purchase_rate"] == pytest.approx(1.0)
    # Jan buyers {C1, C2}; Feb buyers {C1, C3}: one of two came back. Feb → Mar: none of two.
    assert rows[FEB]["customer_retention_rate"] == pytest.approx(0.5)
    assert rows[MAR]["customer_retention_rate"] == pytest.approx(0.0)
    assert rows[JAN]["customer_retention_rate"] is None and rows[APR]["customer_retention_rate"] is None
    assert rows[JAN]["revenue_per_customer"] == pytest.approx(39 / 2)


def test_margin_reviews_marketing_and_categories(tiny: Project) -> None:
    rows = by_period(
        tiny,
        "gross_margin",
        "average_rating",
        "average_sentiment",
        "review_count",
        "negative_review_share",
        "marketing_spend",
        "customer_acquisition_cost",
        "product_categories",
    )
    # Lines whose product has a unit cost: Jan P1 20 + 9 against cost 3 × 4.
    assert rows[JAN]["gross_margin"] == pytest.approx((29 - 12) / 29)
    assert rows[APR]["gross_margin"] == pytest.approx((30 - 12) / 30)
    assert (rows[JAN]["average_rating"], rows[JAN]["review_count"]) == (pytest.approx(3.0), 2)
    assert rows[JAN]["negative_review_share"] == pytest.approx(0.5)
    vader = SentimentIntensityAnalyzer()
    jan_texts = ("great", "broken")  # R1 and R2; R3 "good" is in February
    assert rows[JAN]["average_sentiment"] == pytest.approx(
        sum(vader.polarity_scores(t)["compound"] for t in jan_texts) / 2
    )
    assert rows[JAN]["average_sentiment"] < rows[FEB]["average_sentiment"]
    assert rows[MAR]["average_rating"] is None and rows[MAR]["review_count"] == 0
    assert rows[JAN]["marketing_spend"] == Decimal("80.0000")
    assert rows[JAN]["customer_acquisition_cost"] == pytest.approx(40.0)
    assert rows[FEB]["customer_acquisition_cost"] == pytest.approx(40.0)
    assert rows[JAN]["product_categories"] == 2


def test_growth_and_comparisons(tiny: Project) -> None:
    rows = by_period(tiny, "revenue", "revenue_growth", compare="previous_period")
    assert rows[FEB]["revenue_growth"] == pytest.approx(20 / 39 - 1)
    assert rows[MAR]["revenue_growth"] == pytest.approx(-1.0)
    assert rows[APR]["revenue_growth"] is None  # growth from nothing is undefined
    assert rows[FEB]["revenue__previous"] == Decimal("39.00")
    assert rows[FEB]["revenue__change"] == Decimal("-19.00")
    assert rows[FEB]["revenue__change_pct"] == pytest.approx(-19 / 39)
    # Without a grain, the range is one period compared with the same length before it.
    total = tiny.query("revenue", start="2024-02-01", end="2024-02-29", compare="previous_period").to_pylist()
    assert total == [
        {
            "revenue": Decimal("20.00"),
            "revenue__previous": Decimal("39.00"),
            "revenue__change": Decimal("-19.00"),
            "revenue__change_pct": pytest.approx(-19 / 39),
        }
    ]


def test_no_fan_out_when_metrics_of_two_tables_share_a_dimension(tiny: Project) -> None:
    rows = {
        r["product"]: r
        for r in tiny.query("revenue", "average_rating", "review_count", by=["product"]).to_pylist()
    }
    # P1 has three reviews; joining order lines to reviews would have tripled its revenue.
    assert rows["P1"] == {
        "product": "P1",
        "product_name": "Lamp",
        "revenue": Decimal("59.00"),
        "average_rating": pytest.approx(10 / 3),
        "review_count": 3,
    }
    assert rows["P2"]["revenue"] == Decimal("35.00") and rows["P2"]["average_rating"] is None


def test_dimensions_filters_and_ordering(tiny: Project) -> None:
    table = tiny.query("revenue", by=["region"], order_by=["-revenue"])
    assert table.to_pylist() == [
        {"region": "Europe", "revenue": Decimal("59.00")},
        {"region": "North America", "revenue": Decimal("35.00")},
    ]
    only = tiny.query("revenue", "orders", where={"customer_segment": "Corporate"})
    assert only.to_pylist() == [{"revenue": Decimal("35.00"), "orders": 3}]
    several = tiny.query("revenue", where={"country": ["Germany", "France"]})
    assert several.to_pylist() == [{"revenue": Decimal("59.00")}]
    cohorts = tiny.query("revenue", by=["cohort_month"], order_by=["cohort_month"]).to_pylist()
    assert cohorts == [
        {"cohort_month": JAN, "revenue": Decimal("59.00")},
        {"cohort_month": FEB, "revenue": Decimal("35.00")},
    ]


def test_a_filter_value_is_only_ever_a_value(tiny: Project) -> None:
    hostile = "x' OR 1=1 --"
    assert tiny.query("revenue", where={"region": hostile}).to_pylist() == [{"revenue": 0}]
    assert tiny.query("revenue", where={"region": ["Europe", hostile]}).to_pylist() == [
        {"revenue": Decimal("59.00")}
    ]


def test_time_zone_day_boundaries(tmp_path: Path) -> None:
    project = shop(tmp_path, settings="timezone: Europe/Berlin\n")
    late = write_csv(
        tmp_path / "late" / "sales_transactions.csv",
        ORDER_HEADER,
        [
            order(
                "Z1", "C1", "P2", date="2024-03-31T23:30:00Z", quantity=1, price="5.00"
            ),  # 01:30 on 1 April in Berlin
            order(
                "Z2", "C1", "P2", date="2024-03-31T21:30:00Z", quantity=2, price="5.00"
            ),  # 23:30 on 31 March
        ],
    )
    from bizsight.console import NullReporter
    from bizsight.services.ingest import ingest

    ingest(project, [late], NullReporter())
    rows = project.query("revenue", grain="day", start="2024-03-31", end="2024-04-01").to_pylist()
    assert rows == [
        {"period": dt.date(2024, 3, 31), "revenue": Decimal("10.00")},
        {"period": dt.date(2024, 4, 1), "revenue": Decimal("5.00")},
    ]


def test_fiscal_years_and_quarters(tmp_path: Path) -> None:
    project = shop(tmp_path, settings="fiscal_year_start: 2\n")
    years = project.query("revenue", grain="year").to_pylist()
    assert years == [
        {"period": dt.date(2023, 2, 1), "revenue": Decimal("39.00")},
        {"period": dt.date(2024, 2, 1), "revenue": Decimal("55.00")},
    ]
    quarters = project.query("revenue", grain="quarter", start="2024-01-01", end="2024-04-30").to_pylist()
    assert quarters == [
        {"period": dt.date(2023, 11, 1), "revenue": Decimal("39.00")},
        {"period": dt.date(2024, 2, 1), "revenue": Decimal("55.00")},
    ]


def test_previous_year_across_a_leap_day(tmp_path: Path) -> None:
    project = shop(tmp_path)
    days = write_csv(
        tmp_path / "leap" / "sales_transactions.csv",
        ORDER_HEADER,
        [
            order("L1", date="2023-02-28", price="10.00"),
            order("L2", date="2024-02-28", price="5.00"),
            order("L3", date="2024-02-29", price="20.00"),
            order("L4", date="2025-02-28", price="7.00"),
            order("L5", date="2023-03-01", price="3.00"),
            order("L6", date="2024-03-01", price="4.00"),
        ],
    )
    from bizsight.console import NullReporter
    from bizsight.services.ingest import ingest

    ingest(project, [days], NullReporter())
    rows = {
        r["period"]: r["revenue__previous"]
        for r in project.query(
            "revenue", grain="day", start="2024-02-28", end="2024-03-01", compare="previous_year"
        ).to_pylist()
    }
    # 29 February is compared with 28 February of the year before; 1 March with 1 March.
    assert rows == {
        dt.date(2024, 2, 28): Decimal("10.00"),
        dt.date(2024, 2, 29): Decimal("10.00"),
        dt.date(2024, 3, 1): Decimal("3.00"),
    }
    after = project.query(
        "revenue", grain="day", start="2025-02-28", end="2025-02-28", compare="previous_year"
    )
    assert after.to_pylist()[0]["revenue__previous"] == Decimal("5.00")


def test_refresh_builds_the_marts_and_rfm_segment_is_a_dimension(tiny: Project) -> None:
    with tiny.warehouse(read_only=True) as wh:
        marts = dict(
            wh.rows("SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'marts'")
        )
        segments = dict(wh.rows("SELECT customer_id, segment FROM marts.rfm_segments"))
    assert set(marts) >= {
        "rfm_segments",
        "cohort_retention",
        "product_affinity",
        "category_affinity",
        "review_sentiment",
    }
    assert set(segments) == {"C1", "C2", "C3"}
    rows = tiny.query("revenue", by=["rfm_segment"]).to_pylist()
    by_segment: dict[str, Decimal] = {}
    for customer, revenue in (("C1", Decimal("45.00")), ("C2", Decimal("14.00")), ("C3", Decimal("35.00"))):
        by_segment[segments[customer]] = by_segment.get(segments[customer], Decimal(0)) + revenue
    assert {r["rfm_segment"]: r["revenue"] for r in rows} == by_segment
