"""The compiler two ways: golden SQL (readable diffs) and execution against hand-written SQL."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from bizsight.console import NullReporter
from bizsight.demo import generate
from bizsight.metrics.compiler import compile_query
from bizsight.metrics.definitions import builtin
from bizsight.metrics.query import Filter, Query
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.query import RESULTS, run_drill_down, run_query
from bizsight.services.refresh import refresh

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 11, 24)

CASES = {
    "revenue_aov_by_month_region": Query(
        metrics=("revenue", "average_order_value"),
        dimensions=("region",),
        grain="month",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 6, 30),
        filters=(Filter(dimension="category", values=("Home",)),),
    ),
    "retention_growth_compare": Query(
        metrics=("customer_retention_rate", "revenue_growth"),
        grain="quarter",
        compare="previous_year",
    ),
    "cac_total_last_quarter": Query(metrics=("customer_acquisition_cost",), range="last_quarter"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_sql(name: str) -> None:
    sql = compile_query(builtin(), CASES[name], today=TODAY).sql("duckdb", pretty=True)
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("BIZSIGHT_UPDATE_GOLDEN"):
        path.write_text(sql + "\n")
    assert path.read_text().strip() == sql, (
        f"compiled SQL changed; run with BIZSIGHT_UPDATE_GOLDEN=1 and review {path}"
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("compiler")
    generate(root / "data", customers=1_500, years=2.0, seed=21, dirty=0.02)
    project = Project(root / "p")
    ingest(project, [root / "data"], NullReporter())
    refresh(project, NullReporter())
    return project


HAND_WRITTEN = """
SELECT CAST(date_trunc('month', f.order_date) AS DATE) AS period, coalesce(f.region, c.region) AS region,
       sum(f.net_amount) AS revenue,
       count(DISTINCT f.order_id) FILTER (WHERE f.status <> 'cancelled') AS orders,
       count(DISTINCT f.customer_id) FILTER (WHERE f.status <> 'cancelled') AS active_customers,
       sum(f.refund_amount) / sum(f.gross_amount) AS refund_rate
FROM core.fact_order_line f LEFT JOIN core.dim_customer c USING (customer_id)
WHERE f.order_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
GROUP BY ALL ORDER BY 1, 2
"""


def test_compiled_results_equal_hand_written_sql(demo: Project) -> None:
    query = Query(
        metrics=("revenue", "orders", "active_customers", "refund_rate"),
        dimensions=("region",),
        grain="month",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
    )
    ours = run_query(demo, query, today=TODAY).table.to_pylist()
    with demo.warehouse(read_only=True) as wh:
        expected = [
            dict(
                zip(
                    ["period", "region", "revenue", "orders", "active_customers", "refund_rate"],
                    row,
                    strict=True,
                )
            )
            for row in wh.rows(HAND_WRITTEN)
        ]
    assert len(ours) == len(expected) > 12
    for got, want in zip(ours, expected, strict=True):
        assert {k: got[k] for k in ("period", "region", "revenue", "orders", "active_customers")} == {
            k: want[k] for k in ("period", "region", "revenue", "orders", "active_customers")
        }
        assert got["refund_rate"] == pytest.approx(float(want["refund_rate"]))


def test_new_customers_and_cac_equal_hand_written_sql(demo: Project) -> None:
    rows = run_query(
        demo,
        Query(
            metrics=("new_customers", "marketing_spend", "customer_acquisition_cost"),
            dimensions=("acquisition_channel",),
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 12, 31),
        ),
        today=TODAY,
    ).table.to_pylist()
    with demo.warehouse(read_only=True) as wh:
        new = dict(
            wh.rows(
                "SELECT c.acquisition_channel, count(*) FROM core.customer_orders o JOIN core.dim_customer c "
                "USING (customer_id) WHERE first_order_date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1"
            )
        )
        spend = dict(
            wh.rows(
                "SELECT channel, sum(spend) FROM core.fact_marketing_spend "
                "WHERE date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1"
            )
        )
    for row in rows:
        channel = row["acquisition_channel"]
        assert row["new_customers"] == new.get(channel, 0)
        assert row["marketing_spend"] == spend.get(channel, 0)
        if channel in spend and new.get(channel):
            assert row["customer_acquisition_cost"] == pytest.approx(float(spend[channel]) / new[channel])
    assert {r["acquisition_channel"] for r in rows} >= set(spend)


def test_results_are_cached_until_the_data_changes(demo: Project, tmp_path: Path) -> None:
    query = Query(metrics=("revenue", "orders"), grain="quarter")
    RESULTS.clear()
    first = run_query(demo, query, today=TODAY)
    second = run_query(demo, query, today=TODAY)
    assert (first.cached, second.cached) == (False, True)
    assert first.table.equals(second.table)
    from tests.helpers import ORDER_HEADER, order, write_csv

    extra = write_csv(
        tmp_path / "more" / "sales_transactions.csv",
        ORDER_HEADER,
        [order("NEW-1", customer="C0000001", product="P00001", date="2025-05-05", price="1000.00")],
    )
    ingest(demo, [extra], NullReporter())
    third = run_query(demo, query, today=TODAY)
    assert third.cached is False
    q2 = next(r for r in third.table.to_pylist() if r["period"] == dt.date(2025, 4, 1))
    before = next(r for r in first.table.to_pylist() if r["period"] == dt.date(2025, 4, 1))
    assert q2["revenue"] - before["revenue"] == Decimal("1000.00")


def test_drill_down_returns_the_rows_behind_a_cell(demo: Project) -> None:
    query = Query(
        metrics=("revenue", "average_order_value"),
        dimensions=("region",),
        grain="month",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 31),
        filters=(Filter(dimension="category", values=("Electronics",)),),
    )
    cell = run_query(demo, query, today=TODAY).table.to_pylist()[0]
    key = {"period": cell["period"], "region": cell["region"]}
    rows: list[dict[str, object]] = []
    page = 1
    while batch := run_drill_down(
        demo, query, "revenue", key, page=page, page_size=50, today=TODAY
    ).to_pylist():
        rows += batch
        page += 1
    assert sum(r["net_amount"] for r in rows) == cell["revenue"]
    assert {r["by_region"] for r in rows} == {cell["region"]}
    assert all(r["category"] == "Electronics" or r["category"] is None for r in rows)
    assert all(dt.date(2025, 3, 1) <= r["order_date"] <= dt.date(2025, 3, 31) for r in rows)
    assert len({(r["order_id"], r["product_id"]) for r in rows}) == len(rows)  # pages do not overlap


def test_the_cache_is_safe_across_threads(demo: Project) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = [Query(metrics=("revenue",), grain=grain) for grain in ("month", "quarter", "year")] * 8
    RESULTS.clear()
    with demo.warehouse(read_only=True) as wh, ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda q: run_query(demo, q, today=TODAY, wh=wh), queries))
    by_grain: dict[str, list[object]] = {}
    for query, result in zip(queries, results, strict=True):
        by_grain.setdefault(str(query.grain), []).append(result.table.to_pylist())
    assert all(len({repr(r) for r in answers}) == 1 for answers in by_grain.values())
    assert sum(r["revenue"] for r in by_grain["year"][0]) == sum(r["revenue"] for r in by_grain["month"][0])
    assert (RESULTS.misses, RESULTS.hits) == (3, len(queries) - 3)  # each query computed once
