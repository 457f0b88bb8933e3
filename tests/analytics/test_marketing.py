"""Marketing on a hand-made shop: CAC, conversion, ROAS, LTV:CAC, payback, the funnel, campaign
attribution and recommendations, each against numbers worked out by hand below."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bizsight.analytics.marketing import funnel, monthly_margins, payback_month, recommend
from bizsight.app.models import Role
from bizsight.metrics.query import Query
from bizsight.services.access import Principal, restriction_filters
from bizsight.services.marketing import WITHHELD, marketing
from bizsight.services.page_data import Scope
from bizsight.services.project import Project
from bizsight.services.query import run_query
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, built_project, order, write_csv

CUSTOMERS = [
    ["C1", "Ann", "", "2024-01-02", "Consumer", "Europe", "Germany", "Email"],
    ["C2", "Bob", "", "2024-01-02", "Consumer", "North America", "USA", "Email"],
    ["C3", "Cy", "", "2024-01-03", "Consumer", "Europe", "France", "Display"],
    ["C4", "Di", "", "2024-01-03", "Consumer", "Europe", "France", "Display"],  # never buys
    ["C5", "Ed", "", "2024-01-04", "Consumer", "Europe", "Spain", "Organic"],
]
# P1: price 10, unit cost 4 → margin 6 a unit; P2 has no unit cost: revenue, but no margin.
PRODUCTS = [["P1", "Lamp", "Home", "10.00", "4.00", 5], ["P2", "Desk", "Home", "50.00", "", 5]]
ORDERS = [
    order("O1", "C1", "P1", date="2024-01-02 10:00:00", quantity=2),  # net 20, margin 12, month 0
    order("O2", "C1", "P1", date="2024-02-10 10:00:00", quantity=2),  # net 20, margin 12, month 1
    order("O3", "C2", "P1", date="2024-01-20 10:00:00"),  # net 10, margin 6, month 0
    order("O4", "C3", "P1", date="2024-01-03 10:00:00"),  # net 10, margin 6, month 0
    order("O5", "C3", "P2", date="2024-03-05 10:00:00", price="50.00"),  # net 50, no margin
    order("O6", "C3", "P1", date="2024-04-01 10:00:00", status="cancelled"),  # nothing
    order("O7", "C5", "P1", date="2024-01-04 10:00:00"),  # organic: net 10, margin 6
]
SPEND_HEADER = ["date", "channel", "campaign", "spend", "impressions", "clicks", "signups"]
SPEND = [
    ["2024-01-02", "Email", "email_jan", "20.00", 1000, 50, 2],
    ["2024-01-02", "Email", "email_alt", "5.00", 100, 5, 0],  # fewer signups: not attributed
    ["2024-01-03", "Display", "display_jan", "90.00", 9000, 45, 2],
]
JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}
ADMIN = Principal(1, "admin", Role.ADMIN)
EUROPE = Principal(2, "eu", Role.VIEWER, restriction_filters({"region": ["Europe"]}))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("marketing")
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, CUSTOMERS)
    write_csv(data / "product_catalog.csv", PRODUCT_HEADER, PRODUCTS)
    write_csv(data / "sales_transactions.csv", ORDER_HEADER, ORDERS)
    write_csv(data / "marketing_spend.csv", SPEND_HEADER, SPEND)
    return built_project(root, [data])


def by(project: Project, metrics: tuple[str, ...], dimension: str) -> dict[Any, dict[str, Any]]:
    table = run_query(project, Query(metrics=metrics, dimensions=(dimension,), **JANUARY)).table
    return {row[dimension]: row for row in table.to_pylist()}


def total(project: Project, metric: str) -> Any:
    return run_query(project, Query(metrics=(metric,), **JANUARY)).table.to_pylist()[0][metric]


def test_cac_signups_and_conversion_by_channel(shop: Project) -> None:
    rows = by(
        shop,
        ("marketing_spend", "new_customers", "customer_acquisition_cost", "signups", "conversion_rate"),
        "channel",
    )
    # Email: 25.00 spent (two campaigns), C1 and C2 bought; Display: 90.00, only C3 of C3 and C4.
    assert float(rows["Email"]["marketing_spend"]) == 25.0
    assert rows["Email"]["new_customers"] == 2
    assert rows["Email"]["customer_acquisition_cost"] == pytest.approx(12.5)
    assert rows["Display"]["customer_acquisition_cost"] == pytest.approx(90.0)
    assert rows["Email"]["conversion_rate"] == pytest.approx(2 / 2)
    assert rows["Display"]["conversion_rate"] == pytest.approx(1 / 2)
    assert rows["Organic"]["new_customers"] == 1 and rows["Organic"]["conversion_rate"] is None
    # Blended: 115 spent over 4 new customers (organic included); 3 paid first purchases of 4 signups.
    assert total(shop, "customer_acquisition_cost") == pytest.approx(115 / 4)
    assert total(shop, "conversion_rate") == pytest.approx(3 / 4)


def test_roas_ltv_to_cac_and_estimated_payback(shop: Project) -> None:
    rows = by(shop, ("roas", "ltv_to_cac_historical", "payback_months"), "channel")
    # Revenue to date: C1 40 + C2 10 over 25; C3 10 + 50 (the desk) over 90.
    assert rows["Email"]["roas"] == pytest.approx(50 / 25)
    assert rows["Display"]["roas"] == pytest.approx(60 / 90)
    # Too few customers for a CLV model: LTV is the historical margin, C1 24 + C2 6; C3 6.
    assert rows["Email"]["ltv_to_cac_historical"] == pytest.approx(30 / 25)
    assert rows["Display"]["ltv_to_cac_historical"] == pytest.approx(6 / 90)
    # Monthly margin: margin over months since the first order (as of 2024-04-01, the last order).
    month = 30.4375
    email_monthly = 24 / (90 / month) + 6 / (72 / month)  # C1 from 01-02, C2 from 01-20
    assert rows["Email"]["payback_months"] == pytest.approx(25 / email_monthly)


def test_campaign_attribution(shop: Project) -> None:
    rows = by(shop, ("marketing_spend", "new_customers", "customer_acquisition_cost"), "campaign")
    # C1 and C2 signed up on 2024-01-02 on Email: the campaign with the most signups that day.
    assert rows["email_jan"]["new_customers"] == 2
    assert rows["email_alt"]["new_customers"] == 0
    assert rows["display_jan"]["customer_acquisition_cost"] == pytest.approx(90.0)
    assert rows[None]["new_customers"] == 1  # C5 came organically: no campaign


def test_the_page_figures(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        page = marketing(shop, wh, ADMIN, Scope(**JANUARY))
    kpis = {k["metric"]: k["value"] for k in page["kpis"]}
    assert page["ltv_metric"] == "ltv_to_cac_historical"  # no CLV model on five customers
    assert float(kpis["marketing_spend"]) == 115.0 and kpis["new_customers"] == 4
    # Payback: Email's margin is 18 in month 0 (C1 12, C2 6) and 12 in month 1: 30 ≥ 25 in month 2.
    # Display earned 6 of its 90; all paid channels together 36 of 115: not yet.
    channels = {c["channel"]: c for c in page["channels"]}
    assert channels["Email"]["payback"] == 2
    assert channels["Display"]["payback"] is None
    assert kpis["payback"] is None
    steps = {s["step"]: s for s in page["funnel"]}
    assert [steps[s]["count"] for s in steps] == [10100, 100, 4, 3, 2]  # C1 and C3 came back
    assert steps["signups"]["step_rate"] == pytest.approx(4 / 100)
    assert steps["repeat_purchase"]["step_rate"] == pytest.approx(2 / 3)
    assert steps["repeat_purchase"]["overall_rate"] == pytest.approx(2 / 10100)
    assert page["recommendations"][0]["text"] == (
        "Move budget from Display to Email: LTV:CAC 0.07 against 1.20 (CAC $90.00 against $12.50)."
    )
    assert page["withheld"] is None


def test_a_region_restricted_user_gets_spend_withheld(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        page = marketing(shop, wh, EUROPE, Scope(**JANUARY))
    kpis = {k["metric"]: k for k in page["kpis"]}
    assert page["withheld"] == WITHHELD
    for metric in (
        "marketing_spend",
        "customer_acquisition_cost",
        "ltv_to_cac_historical",
        "roas",
        "payback",
    ):
        assert kpis[metric]["withheld"] and kpis[metric]["value"] is None
    assert kpis["new_customers"]["value"] == 3  # C1, C3, C5 live in Europe
    assert all("marketing_spend" not in c and c["payback"] is None for c in page["channels"])
    assert [s["step"] for s in page["funnel"]] == ["first_purchase", "repeat_purchase"]
    assert page["recommendations"] == []


def test_funnel_rates() -> None:
    steps = funnel([("impressions", 1000), ("clicks", 0), ("signups", 5)])
    assert [s.step_rate for s in steps] == [None, 0.0, None]  # nothing over zero clicks
    assert [s.overall_rate for s in steps] == [1.0, 0.0, 0.005]
    assert funnel([("signups", None), ("first_purchase", 3)])[1].overall_rate is None


def test_payback_month_counts_the_month_the_cumulative_margin_covers_spend() -> None:
    assert payback_month(100.0, [40.0, 40.0, 20.0]) == 3  # 40, 80, 100: covered in month index 2
    assert payback_month(100.0, [40.0, 40.0, 19.99]) is None
    assert payback_month(10.0, [-5.0, 20.0]) == 2  # a loss first
    assert monthly_margins([{"channel": "A", "month_index": 1, "margin": 4}]) == {"A": [0.0, 4.0]}


def test_recommendation_rules() -> None:
    def fmt(value: object, unit: str) -> str:
        return "-" if value is None else f"{value:.1f}"

    rows = [
        {"channel": "A", "ltv_to_cac": 0.5, "customer_acquisition_cost": 10.0},
        {"channel": "B", "ltv_to_cac": 2.0, "customer_acquisition_cost": 5.0},
        {"channel": "C", "ltv_to_cac": 4.0, "customer_acquisition_cost": None},
        {"channel": "D", "ltv_to_cac": None, "customer_acquisition_cost": 1.0},  # not scored
    ]
    made = {r.channel: (r.action, r.text) for r in recommend(rows, fmt)}
    assert made == {
        "A": ("cut", "Move budget from A to C: LTV:CAC 0.5 against 4.0 (CAC 10.0 against -)."),
        "C": ("grow", "Grow C: LTV:CAC 4.0 (CAC -) — each unit spent returns 4.0 in lifetime margin."),
        "B": ("keep", "Keep B: LTV:CAC 2.0 (CAC 5.0) pays back, with little room to spare."),
    }
    losing = recommend([{"channel": "A", "ltv_to_cac": 0.5, "customer_acquisition_cost": 2.0}], fmt)
    assert losing[0].text == "Cut A: LTV:CAC 0.5 (CAC 2.0) — no channel pays back."
