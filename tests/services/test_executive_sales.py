"""The executive view's Sales section with deals and a bookings target, worked out by hand.

The tiny shop (tests/metrics/conftest.py) has orders up to 2024-04-09, so the scored quarter is
Q1 2024; the data end in Q2, so the forward-looking KPIs (pipeline coverage) are read for the
quarter after it, Q3 2024 (1 Jul – 30 Sep).

Deals: won 100 (closed 10 Feb) and 300 (1 Mar), lost 50 (15 Mar) — Q1's win rate 2/3 and bookings
400; open 200 (expected 1 Aug), 400 (20 Sep) and 1,000 (expected 5 Oct, outside Q3). The bookings
target of Q3 is 300, so Q3's pipeline coverage is (200 + 400) / 300 = 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bizsight.app.models import Role
from bizsight.config.executive import KpiRule
from bizsight.console import NullReporter
from bizsight.metrics.query import Filter
from bizsight.services.access import Principal
from bizsight.services.executive import executive_view
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.helpers import write_csv
from tests.metrics.conftest import shop

DEAL_HEADER = ["deal_id", "customer_id", "owner", "stage", "amount", "created_date"]
DEAL_HEADER += ["expected_close_date", "closed_date", "status", "source"]
DEALS = [
    ["D1", "C1", "Ann", "Won", "100.00", "2024-01-05", "2024-02-01", "2024-02-10", "won", "Inbound"],
    ["D2", "C3", "Bo", "Won", "300.00", "2024-01-10", "2024-03-01", "2024-03-01", "won", "Referral"],
    ["D3", "C2", "Ann", "Qualified", "50.00", "2024-01-12", "2024-03-10", "2024-03-15", "lost", "Inbound"],
    ["D4", "C1", "Bo", "Proposal", "200.00", "2024-03-20", "2024-08-01", "", "open", "Inbound"],
    ["D5", "C3", "Ann", "Lead", "400.00", "2024-04-01", "2024-09-20", "", "open", "Event"],
    ["D6", "C3", "Bo", "Lead", "1000.00", "2024-04-02", "2024-10-05", "", "open", "Event"],
]
TARGET_HEADER = ["metric", "period_start", "period_end", "target_value", "region", "category"]
TARGETS = [["bookings", "2024-07-01", "2024-09-30", "300.00", "", ""]]

EXECUTIVE = """executive:
  grain: quarter
  sections:
    Sales:
      - {metric: win_rate, rule: target, target: 0.5}
      - {metric: pipeline_coverage, rule: threshold, good: 3, bad: 1, period: next}
      - {metric: bookings, rule: target, target: 500}
"""


@pytest.fixture(scope="module")
def sales_shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("executive_sales")
    project = shop(root, EXECUTIVE)
    files = [
        write_csv(root / "more" / "sales_pipeline.csv", DEAL_HEADER, DEALS),
        write_csv(root / "more" / "targets.csv", TARGET_HEADER, TARGETS),
    ]
    ingest(project, [Path(f) for f in files], NullReporter())
    refresh(project, NullReporter())
    return project


def test_sales_section_by_hand(sales_shop: Project) -> None:
    with sales_shop.warehouse(read_only=True) as wh:
        view = executive_view(sales_shop, wh)
    assert (view["period"], view["period_end"]) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert (view["next_period"], view["next_period_end"]) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    (sales,) = view["sections"]
    kpis = {k["key"]: k for k in sales["kpis"]}
    assert kpis["win_rate"]["value"] == pytest.approx(2 / 3)
    assert kpis["win_rate"]["score"] == 100.0  # above its target of 0.5
    coverage = kpis["pipeline_coverage"]
    assert coverage["period"] == "next" and coverage["value"] == pytest.approx(2.0)
    assert coverage["score"] == pytest.approx(50.0)  # halfway from bad 1 to good 3
    assert kpis["bookings"]["value"] == 400.0
    assert kpis["bookings"]["score"] == pytest.approx(100 * (400 / 500 - 0.5) / 0.5)  # 60
    assert sales["score"] == pytest.approx((100 + 50 + 60) / 3)
    assert sum(k["driver"] for k in sales["kpis"]) == pytest.approx(sales["score"] - 50)


def test_a_forward_kpi_without_a_target_says_why(sales_shop: Project) -> None:
    """Targets are company-wide: a user kept to a region has no bookings target to cover."""
    eu = Principal(1, "eu", Role.VIEWER, (Filter(dimension="region", op="in", values=("Europe",)),))
    with sales_shop.warehouse(read_only=True) as wh:
        view = executive_view(sales_shop, wh, eu)
    kpis = {k["key"]: k for k in view["sections"][0]["kpis"]}
    assert kpis["win_rate"]["value"] == pytest.approx(1 / 2)  # Europe: D1 won (C1), D3 lost (C2)
    assert kpis["pipeline_coverage"]["score"] is None
    assert "restricted by region" in kpis["pipeline_coverage"]["missing"]


def test_period_next_needs_a_rule_without_history() -> None:
    with pytest.raises(ValueError, match="period next has no history"):
        KpiRule(metric="pipeline_coverage", period="next")
