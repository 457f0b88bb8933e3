"""Cohorts on a hand-made shop: retention, revenue retention, cumulative revenue, churn."""

from __future__ import annotations

import datetime as dt

import pytest

from bizsight.analytics.cohorts import CohortSettings, cohorts
from bizsight.console import NullReporter
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, order, write_csv

# (order, customer, date, net amount, status)
LINES = [
    ("O1", "C1", "2024-01-03", 100, "completed"),
    ("O2", "C1", "2024-02-07", 50, "completed"),
    ("O3", "C1", "2024-04-10", 25, "completed"),
    ("O4", "C2", "2024-01-05", 30, "completed"),
    ("O4", "C2", "2024-01-05", 10, "completed"),  # a second line of the same order (product P2)
    ("O5", "C2", "2024-03-15", 20, "completed"),
    ("O6", "C3", "2024-02-02", 60, "completed"),
    ("O7", "C3", "2024-02-20", 40, "completed"),
    ("O8", "C3", "2024-03-05", 99, "cancelled"),  # not activity
    ("O9", "C3", "2024-04-02", 70, "refunded"),  # activity, net 0
    ("O10", "C4", "2024-02-12", 80, "cancelled"),  # C4 never buys
]
CUSTOMERS = [
    ["C1", "Ann", "", "2024-01-01", "Consumer", "Europe", "Germany", "Email"],
    ["C2", "Bob", "", "2023-12-15", "Consumer", "Europe", "France", "Social"],
    ["C3", "Cy", "", "2024-02-01", "Corporate", "North America", "USA", "Email"],
    ["C4", "Di", "", "2024-02-10", "Corporate", "North America", "USA", "Email"],
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("cohorts")
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, CUSTOMERS)
    write_csv(
        data / "product_catalog.csv",
        PRODUCT_HEADER,
        [["P1", "Lamp", "Home", "10.00", "4.00", 5], ["P2", "Cable", "Home", "5.00", "1.00", 5]],
    )
    rows, seen = [], set()
    for o, c, d, amount, status in LINES:
        product = "P2" if o in seen else "P1"
        seen.add(o)
        rows.append(order(o, c, product, date=f"{d} 10:00:00", price=f"{amount}.00", status=status))
    write_csv(data / "sales_transactions.csv", ORDER_HEADER, rows)
    project = Project(root / "shop")
    project.init()
    ingest(project, [data], NullReporter())
    refresh(project, NullReporter())
    return project


def cells(project: Project, settings: CohortSettings) -> dict[tuple[object, ...], dict[str, object]]:
    with project.warehouse(read_only=True) as wh:
        table = cohorts(wh, settings)
    return {(r["split"], r["cohort"], r["period"]): r for r in table.to_pylist()}


def check(row: dict[str, object], **want: object) -> None:
    for key, value in want.items():
        got = row[key]
        if value is None:
            assert got is None, (key, row)
        else:
            assert float(got) == pytest.approx(value), (key, row)  # type: ignore[arg-type]


JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def test_monthly_first_purchase_cohorts(shop: Project) -> None:
    got = cells(shop, CohortSettings())
    # Cohorts Jan (C1, C2) and Feb (C3); C4 never bought; periods run to April, the last month.
    assert sorted(got) == [(None, JAN, k) for k in range(4)] + [(None, FEB, k) for k in range(3)]
    jan = [got[(None, JAN, k)] for k in range(4)]
    total0 = 100 + 40
    check(jan[0], cohort_customers=2, active_customers=2, retention=1, revenue=140, revenue_retention=1,
          cumulative_revenue_per_customer=70, churn_rate=None)  # fmt: skip
    check(jan[1], active_customers=1, retention=0.5, revenue=50, revenue_retention=50 / total0,
          cumulative_revenue_per_customer=190 / 2, lost_customers=1, churn_rate=1 / 2)  # fmt: skip
    # Retention stays at 50 % but the active customer changes: C1 (Feb) lapses in March while
    # C2 comes back, then C2 lapses in April and C1 comes back. Each month loses all of the last
    # month's buyers: churn 100 %, not the 0 % that 1 − 0.5 / 0.5 would say.
    check(jan[2], active_customers=1, retention=0.5, revenue=20, revenue_retention=20 / total0,
          cumulative_revenue_per_customer=210 / 2, lost_customers=1, churn_rate=1)  # fmt: skip
    check(jan[3], active_customers=1, retention=0.5, revenue=25, revenue_retention=25 / total0,
          cumulative_revenue_per_customer=235 / 2, lost_customers=1, churn_rate=1)  # fmt: skip
    assert jan[3]["period_start"] == dt.date(2024, 4, 1)
    feb = [got[(None, FEB, k)] for k in range(3)]
    # Two orders in February count one active customer; the cancelled March order is no activity.
    check(
        feb[0],
        cohort_customers=1,
        active_customers=1,
        retention=1,
        revenue=100,
        cumulative_revenue_per_customer=100,
    )
    check(feb[1], active_customers=0, retention=0, revenue=0, revenue_retention=0, churn_rate=1,
          cumulative_revenue_per_customer=100)  # fmt: skip
    # A refunded order is activity with no revenue; churn after a period of zero is undefined.
    check(feb[2], active_customers=1, retention=1, revenue=0, revenue_retention=0, churn_rate=None)


def test_split_by_region(shop: Project) -> None:
    got = cells(shop, CohortSettings(split_by="region"))
    assert {(s, c) for s, c, _ in got} == {("Europe", JAN), ("North America", FEB)}
    check(got[("Europe", JAN, 1)], cohort_customers=2, retention=0.5, revenue=50)
    check(got[("North America", FEB, 2)], cohort_customers=1, retention=1)


def test_signup_cohorts(shop: Project) -> None:
    got = cells(shop, CohortSettings(anchor="signup", max_periods=2))
    dec = dt.date(2023, 12, 1)
    assert sorted({c for _, c, _ in got}) == [dec, JAN, FEB]
    assert max(k for _, _, k in got) == 2
    # Signup cohorts count customers who never bought (C4) and periods before any purchase.
    check(got[(None, dec, 0)], cohort_customers=1, active_customers=0, revenue=0, revenue_retention=None)
    check(got[(None, dec, 1)], active_customers=1, retention=1, revenue=40, revenue_retention=None,
          cumulative_revenue_per_customer=40, churn_rate=None)  # fmt: skip
    check(got[(None, FEB, 0)], cohort_customers=2, active_customers=1, retention=0.5, revenue=100)
    check(got[(None, FEB, 2)], active_customers=1, retention=0.5, churn_rate=None)


def test_weekly_cohorts(shop: Project) -> None:
    got = cells(shop, CohortSettings(grain="week"))
    week = dt.date(2024, 1, 1)  # a Monday: C1 (Wed 3 Jan) and C2 (Fri 5 Jan) share it
    periods = sorted(k for _, c, k in got if c == week)
    assert periods == list(range(15))  # up to the week of 8 April
    check(got[(None, week, 0)], cohort_customers=2, active_customers=2)
    check(got[(None, week, 1)], active_customers=0, churn_rate=1)
    check(got[(None, week, 5)], active_customers=1, revenue=50)  # 7 Feb
    check(got[(None, week, 10)], active_customers=1, revenue=20)  # 15 Mar
    check(got[(None, week, 14)], active_customers=1, revenue=25)  # 10 Apr


def test_unknown_split_names_the_nearest() -> None:
    with pytest.raises(ValueError, match="did you mean 'region'"):
        CohortSettings(split_by="regoin")
