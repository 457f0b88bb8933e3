"""The market metrics and view on a tiny warehouse whose figures are worked out by hand.

The tiny shop (tests/metrics/conftest.py) has net revenue Europe 59 in Q1 2024 (25 + 9 + 5 + 20;
the refunded and cancelled orders count 0) and 0 in Q2; North America 0 in Q1 and 35 in Q2
(30 + 5). Its orders end on 2024-04-09, so Q2 is not over.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bizsight.app.models import Role
from bizsight.console import NullReporter
from bizsight.errors import InvalidArgumentError
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.services.access import Principal
from bizsight.services.executive import executive_view
from bizsight.services.ingest import ingest
from bizsight.services.market import market_view
from bizsight.services.project import Project
from bizsight.services.query import run_query
from bizsight.services.refresh import refresh
from tests.helpers import write_csv
from tests.metrics.conftest import shop

MARKET_HEADER = ["period", "region", "market_size", "competitor", "competitor_revenue"]
MARKET = [  # market size repeats on each competitor's row, as in market_data.csv
    ["2024-01-01", "Europe", "1000.00", "A", "100.00"],
    ["2024-01-01", "Europe", "1000.00", "B", "40.00"],
    ["2024-04-01", "Europe", "1000.00", "A", "90.00"],
    ["2024-04-01", "Europe", "1000.00", "B", "50.00"],
    ["2024-01-01", "North America", "500.00", "A", "20.00"],
    ["2024-01-01", "North America", "500.00", "B", "10.00"],
    ["2024-04-01", "North America", "700.00", "A", "30.00"],
    ["2024-04-01", "North America", "700.00", "B", "35.00"],
]


EXECUTIVE = """executive:
  grain: quarter
  sections:
    Market:
      - {metric: market_share, rule: target, target: 0.05, weight: 3}
      - {metric: orders, rule: target, target: 4}
    Sales:
      - {metric: win_rate}
    Operational:
      - {metric: quarantine_rate, direction: lower, rule: threshold, good: 0.01, bad: 0.05}
      - {metric: failed_jobs_7d, direction: lower, rule: threshold, good: 0, bad: 3}
"""


@pytest.fixture(scope="module")
def mshop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("market")
    project = shop(root, EXECUTIVE)
    path = write_csv(root / "more" / "market_data.csv", MARKET_HEADER, MARKET)
    ingest(project, [Path(path)], NullReporter())
    refresh(project, NullReporter())
    return project


def rows(project: Project, query: Query) -> list[dict[str, object]]:
    return run_query(project, query).table.to_pylist()


def test_market_size_is_counted_once_not_once_per_competitor(mshop: Project) -> None:
    got = rows(mshop, Query(metrics=("market_size", "competitor_revenue"), dimensions=("region",)))
    assert {r["region"]: (float(r["market_size"]), float(r["competitor_revenue"])) for r in got} == {
        "Europe": (2000.0, 280.0),
        "North America": (1200.0, 95.0),
    }


def test_market_share_by_region_and_by_quarter(mshop: Project) -> None:
    total = rows(mshop, Query(metrics=("market_share",), dimensions=("region",)))
    assert {r["region"]: r["market_share"] for r in total} == pytest.approx(
        {"Europe": 59 / 2000, "North America": 35 / 1200}
    )
    by_q = rows(mshop, Query(metrics=("market_share",), dimensions=("region",), grain=Grain.QUARTER))
    got = {(str(r["period"]), r["region"]): r["market_share"] for r in by_q}
    assert got == pytest.approx(
        {
            ("2024-01-01", "Europe"): 0.059,
            ("2024-04-01", "Europe"): 0.0,
            ("2024-01-01", "North America"): 0.0,
            ("2024-04-01", "North America"): 0.05,
        }
    )


def test_competitor_dimension(mshop: Project) -> None:
    got = rows(mshop, Query(metrics=("competitor_revenue",), dimensions=("competitor",)))
    assert {r["competitor"]: float(r["competitor_revenue"]) for r in got} == {"A": 240.0, "B": 135.0}


def test_market_share_combines_with_metrics_of_other_models(mshop: Project) -> None:
    got = rows(mshop, Query(metrics=("market_share", "customer_acquisition_cost", "revenue")))
    assert got[0]["market_share"] == pytest.approx(94 / 3200)  # all revenue / all market
    assert got[0]["customer_acquisition_cost"] == pytest.approx(120 / 3)


def test_market_growth_against_the_year_before(mshop: Project) -> None:
    q = Query(
        metrics=("market_growth",), grain=Grain.QUARTER, start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
    )
    assert rows(mshop, q)[0]["market_growth"] is None  # no market a year earlier


def test_finer_grain_than_the_market_data_is_refused(mshop: Project) -> None:
    with pytest.raises(InvalidArgumentError, match="stated per quarter"):
        rows(mshop, Query(metrics=("market_share",), grain=Grain.MONTH))


def test_market_view_by_hand(mshop: Project) -> None:
    with mshop.warehouse(read_only=True) as wh:
        view = market_view(mshop, wh)
    assert view["latest"] == dt.date(2024, 1, 1)  # Q2 is not over (orders end 2024-04-09)
    assert view["previous"] is None and view["moves"] == []
    assert any("2024-04-01" in note for note in view["notes"])
    ranked = [(r["region"], r["name"], r["rank"]) for r in view["ranking"]]
    assert ranked == [
        ("Europe", "A", 1),
        ("Europe", "us", 2),
        ("Europe", "B", 3),
        ("North America", "A", 1),
        ("North America", "B", 2),
        ("North America", "us", 3),
    ]
    na_q2 = next(
        r for r in view["rows"] if r["region"] == "North America" and str(r["period"]) == "2024-04-01"
    )
    assert na_q2["share"] == pytest.approx(0.05) and na_q2["share_change"] == pytest.approx(0.05)
    assert na_q2["complete"] is False


def test_a_user_kept_to_a_region_sees_its_market_only(mshop: Project) -> None:
    eu = Principal(1, "eu", Role.VIEWER, (Filter(dimension="region", op="in", values=("Europe",)),))
    with mshop.warehouse(read_only=True) as wh:
        view = market_view(mshop, wh, eu)
    assert {r["region"] for r in view["rows"]} == {"Europe"}
    assert {r["region"] for r in view["ranking"]} == {"Europe"}
    assert view["restricted"] is True


def test_executive_view_by_hand(mshop: Project) -> None:
    with mshop.warehouse(read_only=True) as wh:
        view = executive_view(mshop, wh)  # no metadata store: failed jobs are not recorded
    assert view["period"] == dt.date(2024, 1, 1)  # Q2 is not over
    market, sales, ops = view["sections"]
    share = {k["key"]: k for k in market["kpis"]}["market_share"]
    assert share["value"] == pytest.approx(59 / 1500)  # Q1: 59 of 1000 + 500
    assert share["score"] == pytest.approx(100 * (59 / 1500 / 0.05 - 0.5) / 0.5)  # 57.33
    assert {k["key"]: k for k in market["kpis"]}["orders"]["score"] == 100.0  # 5 orders, target 4
    assert market["score"] == pytest.approx((3 * share["score"] + 100) / 4)
    assert sum(k["driver"] for k in market["kpis"]) == pytest.approx(market["score"] - 50)
    assert (
        market["summary"]
        == "Market scores 68/100 (steady). Orders at 5 (target 4) pulled it up by 12 points."
    )
    assert sales["score"] is None  # no deals in this shop: its one KPI has no value
    assert sales["missing"] == ["win_rate (no value for the period)"]
    assert ops["score"] == 100.0  # nothing quarantined; failed jobs left out
    assert ops["missing"] == ["failed_jobs_7d (not recorded (no metadata store or no loads))"]


def test_executive_view_for_a_restricted_user(mshop: Project) -> None:
    eu = Principal(1, "eu", Role.VIEWER, (Filter(dimension="region", op="in", values=("Europe",)),))
    with mshop.warehouse(read_only=True) as wh:
        view = executive_view(mshop, wh, eu)
    share = view["sections"][0]["kpis"][0]
    assert share["value"] == pytest.approx(59 / 1000)  # Europe's market only
    assert view["sections"][2]["score"] is None and "withheld" in view["sections"][2]["summary"]
