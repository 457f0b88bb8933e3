"""A tiny shop whose every metric can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizsight.console import NullReporter
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, order, write_csv

REVIEW_HEADER = ["review_id", "customer_id", "product_id", "rating", "review_date", "review_text"]
SPEND_HEADER = ["date", "channel", "campaign", "spend", "impressions", "clicks", "signups"]


def shop(root: Path, settings: str = "") -> Project:
    """Three customers, two products, orders in Jan, Feb and Apr 2024 (none in March); the
    figures each metric must give are worked out in test_metrics_values.py."""
    data = root / "data"
    write_csv(
        data / "customer_database.csv",
        CUSTOMER_HEADER,
        [
            ["C1", "Ann", "", "2024-01-01", "Consumer", "Europe", "Germany", "Email"],
            ["C2", "Bob", "", "2024-01-01", "Consumer", "Europe", "France", "Social"],
            ["C3", "Cy", "", "2024-02-01", "Corporate", "North America", "USA", "Email"],
        ],
    )
    write_csv(
        data / "product_catalog.csv",
        PRODUCT_HEADER,
        [
            ["P1", "Lamp", "Home", "10.00", "4.00", 5],
            ["P2", "Cable", "Electronics", "5.00", "", 5],
        ],
    )
    lines = [
        order("O1", "C1", "P1", date="2024-01-05 10:00:00", quantity=2, price="10.00"),  # 20
        order("O1", "C1", "P2", date="2024-01-05 10:00:00", quantity=1, price="5.00"),  # 5
        order("O2", "C2", "P1", date="2024-01-20 10:00:00", quantity=1, price="10.00", discount="1.00"),  # 9
        order("O8", "C2", "P2", date="2024-01-31 23:00:00", quantity=1, price="5.00"),  # 5
        order("O3", "C1", "P2", date="2024-02-03 10:00:00", quantity=4, price="5.00"),  # 20
        order(
            "O4", "C3", "P1", date="2024-02-10 10:00:00", quantity=1, price="10.00", status="refunded"
        ),  # 0
        order(
            "O5", "C2", "P2", date="2024-02-11 10:00:00", quantity=1, price="5.00", status="cancelled"
        ),  # 0
        order("O6", "C3", "P1", date="2024-04-02 10:00:00", quantity=3, price="10.00"),  # 30
        order("O7", "C3", "P2", date="2024-04-09 10:00:00", quantity=1, price="5.00"),  # 5
    ]
    for line in lines:  # the line's region and category follow its customer and product
        line[8] = "North America" if line[1] == "C3" else "Europe"
        line[9] = "Home" if line[2] == "P1" else "Electronics"
    write_csv(data / "sales_transactions.csv", ORDER_HEADER, lines)
    write_csv(
        data / "customer_reviews.csv",
        REVIEW_HEADER,
        [
            ["R1", "C1", "P1", 5, "2024-01-10", "great"],
            ["R2", "C2", "P1", 1, "2024-01-25", "broken"],
            ["R3", "C1", "P1", 4, "2024-02-05", "good"],
        ],
    )
    write_csv(
        data / "marketing_spend.csv",
        SPEND_HEADER,
        [
            ["2024-01-01", "Email", "a", "30.00", 0, 0, 1],
            ["2024-01-01", "Social", "b", "50.00", 0, 0, 1],
            ["2024-02-01", "Email", "a", "40.00", 0, 0, 1],
        ],
    )
    project = Project(root / "shop")
    project.init()
    if settings:
        project.paths.config_file.write_text(settings)
    ingest(project, [data], NullReporter())
    refresh(project, NullReporter())
    return project


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return shop(tmp_path_factory.mktemp("tiny"))
