"""What the pages ask beyond metric queries, checked against SQL written by hand on a demo
project: trends and moving averages, CLV distribution, sentiment, worst products, affinity —
with and without a region restriction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bizsight.app.models import Role
from bizsight.errors import InvalidArgumentError
from bizsight.metrics.query import Filter, Query
from bizsight.services import page_data
from bizsight.services.access import Principal, restriction_filters
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse
from tests.demo_builds import SMALL, DemoBuilds

ADMIN = Principal(1, "root", Role.ADMIN)
EUROPE = Principal(2, "eu", Role.VIEWER, restriction_filters({"region": ["Europe"]}))


@pytest.fixture(scope="module")
def project(demo_builds: DemoBuilds) -> Project:
    return demo_builds.shared(SMALL)


@pytest.fixture
def wh(project: Project) -> Warehouse:
    with project.warehouse(read_only=True) as opened:
        yield opened  # type: ignore[misc]


def test_bounds_are_the_first_and_last_order(wh: Warehouse) -> None:
    bounds = page_data.data_bounds(wh)
    first, last = wh.rows("SELECT min(order_date), max(order_date) FROM core.fact_order_line")[0]
    assert bounds == {"first": first, "last": last}


def test_trend_is_daily_revenue_with_trailing_averages(project: Project, wh: Warehouse) -> None:
    last = page_data.data_bounds(wh)["last"]
    assert last is not None
    start = last - dt.timedelta(days=59)
    found = page_data.trend(project, wh, ADMIN, Query(metrics=("revenue",), start=start, end=last))
    rows = found["rows"]
    assert [r["period"] for r in rows] == [start + dt.timedelta(days=i) for i in range(60)]
    by_day = dict(
        wh.rows(
            "SELECT order_date, sum(net_amount) FROM core.fact_order_line "
            "WHERE status <> 'cancelled' AND order_date BETWEEN ? AND ? GROUP BY 1",
            [start, last],
        )
    )
    values = np.array([float(by_day.get(r["period"], 0)) for r in rows])
    np.testing.assert_allclose([r["revenue"] for r in rows], values, atol=0.005)
    assert rows[5]["ma_7"] is None and rows[28]["ma_30"] is None
    for i in (6, 30, 59):
        assert rows[i]["ma_7"] == pytest.approx(values[i - 6 : i + 1].mean(), abs=0.01)
    assert rows[59]["ma_30"] == pytest.approx(values[30:60].mean(), abs=0.01)


def test_a_restricted_trend_is_their_regions(project: Project, wh: Warehouse) -> None:
    query = Query(metrics=("revenue",), start=dt.date(2000, 1, 1), end=dt.date(2100, 1, 1))
    everyone = sum(r["revenue"] or 0 for r in page_data.trend(project, wh, ADMIN, query)["rows"])
    europe = sum(r["revenue"] or 0 for r in page_data.trend(project, wh, EUROPE, query)["rows"])
    filtered = query.model_copy(update={"filters": (Filter(dimension="region", values=("Europe",)),)})
    assert europe == pytest.approx(
        sum(r["revenue"] or 0 for r in page_data.trend(project, wh, ADMIN, filtered)["rows"])
    )
    assert 0 < europe < everyone


def test_clv_distribution_counts_the_visible_customers(project: Project, wh: Warehouse) -> None:
    everyone = page_data.clv_distribution(project, wh, ADMIN, bins=10)
    assert sum(everyone["counts"]) == everyone["customers"] == wh.scalar("SELECT count(clv) FROM marts.clv")
    assert len(everyone["edges"]) == 11
    europe = page_data.clv_distribution(project, wh, EUROPE, bins=10)
    expected = wh.scalar(
        "SELECT count(m.clv) FROM marts.clv m JOIN core.dim_customer c USING (customer_id) WHERE c.region = 'Europe'"
    )
    assert sum(europe["counts"]) == europe["customers"] == expected > 0


def test_sentiment_by_month_adds_up_to_the_visible_reviews(project: Project, wh: Warehouse) -> None:
    months = page_data.sentiment_by_month(project, wh, ADMIN, page_data.Scope())
    assert sum(m["reviews"] for m in months) == wh.scalar("SELECT count(*) FROM marts.review_sentiment")
    europe = page_data.sentiment_by_month(project, wh, EUROPE, page_data.Scope())
    expected = wh.scalar(
        "SELECT count(*) FROM core.fact_review r JOIN core.dim_customer c USING (customer_id) WHERE c.region = 'Europe'"
    )
    assert sum(m["reviews"] for m in europe) == expected > 0
    start = months[len(months) // 2]["month"]
    later = page_data.sentiment_by_month(project, wh, ADMIN, page_data.Scope(start=start))
    assert later and all(m["month"] >= start for m in later)
    assert all(0 <= m["positive_share"] + m["negative_share"] <= 1 + 1e-9 for m in months if m["scored"])


def test_worst_products_are_the_lowest_rated_with_enough_reviews(project: Project, wh: Warehouse) -> None:
    found = page_data.worst_products(project, wh, ADMIN, page_data.Scope(), min_reviews=3, top=5)
    expected = wh.rows(
        "SELECT product_id, avg(rating) FROM core.fact_review GROUP BY 1 HAVING count(*) >= 3 "
        "ORDER BY 2, count(*) DESC, 1 LIMIT 5"
    )
    assert [(r["product"], pytest.approx(r["average_rating"])) for r in found] == expected


def test_affinity_is_withheld_from_restricted_users(wh: Warehouse) -> None:
    found = page_data.affinity(wh, ADMIN, top=10)
    lifts = [p["shrunk_lift"] for p in found["pairs"]]
    assert found["withheld"] is None and 0 < len(lifts) <= 10 and lifts == sorted(lifts, reverse=True)
    assert all(p["orders"] >= 5 for p in found["pairs"])  # the default floor
    assert found["categories"]
    hidden = page_data.affinity(wh, EUROPE)
    assert hidden["pairs"] == hidden["categories"] == [] and "restricted" in hidden["withheld"]


def test_a_shown_table_keeps_its_types_and_refuses_ragged_rows() -> None:
    table = page_data.shown_table(
        page_data.ShownTable(columns=["a", "b"], rows=[[1, "x"], [2.5, None], ["mixed", "y"]])
    )
    assert table.column("a").to_pylist() == ["1", "2.5", "mixed"] and table.column("b").null_count == 1
    with pytest.raises(InvalidArgumentError, match="every row must have 2 values"):
        page_data.shown_table(page_data.ShownTable(columns=["a", "b"], rows=[[1]]))
