"""A report document built from the tiny shop's real numbers (tests/metrics/conftest.py), as the
report templates will build one: every value comes from the metrics layer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from bizsight.presentation import Presenter, Unit
from bizsight.reports import Chart, Column, Comparison, Document, Finding, Findings, Kpi, Kpis, Series, Table
from bizsight.reports.document import Brand
from bizsight.services.presentation import Presentation, presentation
from bizsight.services.project import Project
from tests.metrics.conftest import shop

KPI_METRICS = ("revenue", "orders", "average_order_value", "refund_rate")
TARGETS = {"revenue": 25.0, "orders": 3, "average_order_value": 12.0, "refund_rate": 0.1}
# A 1×1 PNG, red: the brand's logo.
LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2b6ad2b0000000049454e44ae426082"
)


@dataclass(frozen=True)
class Built:
    project: Project
    presentation: Presentation
    document: Document
    kpis: dict[str, dict[str, object]]  # metric → the metrics layer's row for February
    tables: dict[str, list[dict[str, object]]]  # table title → its rows, as the metrics layer gave them

    @property
    def presenter(self) -> Presenter:
        return self.presentation.presenter

    def unit(self, column: str) -> Unit:
        return Unit(self.presentation.names.unit(column) or "number")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    project = shop(Path(tmp_path_factory.mktemp("reports")))
    pres = presentation(project)
    feb = project.query(
        *KPI_METRICS, grain="month", start="2024-02-01", end="2024-02-29", compare="previous_period"
    )
    row = feb.to_pylist()[0]
    last_year = project.query(
        *KPI_METRICS, grain="month", start="2024-02-01", end="2024-02-29", compare="previous_year"
    ).to_pylist()[0]
    cards = tuple(
        Kpi(
            label=pres.label(metric),
            value=row[metric],
            unit=Unit(pres.names.unit(metric) or "number"),
            comparisons=(
                Comparison(label="vs previous period", value=row[f"{metric}__previous"]),
                Comparison(label="vs previous year", value=last_year[f"{metric}__previous"]),
                Comparison(label="vs target", value=TARGETS[metric]),
            ),
        )
        for metric in KPI_METRICS
    )
    kpis = {metric: {"value": row[metric], "previous": row[f"{metric}__previous"]} for metric in KPI_METRICS}

    def table(title: str, rows: list[dict[str, object]]) -> Table:
        columns = tuple(Column(key=k, label=pres.label(k), unit=pres.names.unit(k)) for k in rows[0])
        return Table(title=title, columns=columns, rows=tuple(tuple(r.values()) for r in rows))

    by_region = project.query(
        "revenue", "orders", "average_order_value", by=["region"], start="2024-01-01", end="2024-04-30"
    ).to_pylist()
    by_day = project.query("revenue", "orders", grain="day", start="2024-01-01", end="2024-04-30").to_pylist()
    monthly = project.query("revenue", grain="month", start="2024-01-01", end="2024-04-30").to_pylist()
    by_category = project.query("revenue", by=["category"], start="2024-01-01", end="2024-04-30").to_pylist()
    months = tuple(r["period"] for r in monthly)
    revenue = tuple(r["revenue"] for r in monthly)
    document = Document(
        title="Tiny shop — sales report",
        period="January to April 2024",
        brand=Brand(colour="#7B1FA2", logo=LOGO),
        sections=(
            Kpis(title="February at a glance", cards=cards),
            Chart(
                title="Revenue by month",
                x=months,
                unit=Unit.MONEY,
                series=(
                    Series(
                        label="Revenue",
                        values=revenue,
                        lo=tuple(float(v) * 0.9 for v in revenue),
                        hi=tuple(float(v) * 1.1 for v in revenue),
                    ),
                ),
            ),
            Chart(
                title="Revenue by category",
                style="bar",
                x=tuple(str(r["category"]) for r in by_category),
                unit=Unit.MONEY,
                series=(Series(label="Revenue", values=tuple(r["revenue"] for r in by_category)),),
            ),
            table("Revenue by region", by_region),
            table("Revenue by day", by_day),  # long: the PDF runs over several pages
            Findings(
                title="Findings",
                items=(
                    Finding(
                        text="Revenue was {0} in February against {1} in January.",
                        numbers=((row["revenue"], Unit.MONEY), (row["revenue__previous"], Unit.MONEY)),
                    ),
                ),
            ),
        ),
    )
    assert isinstance(months[0], dt.date)
    return Built(project, pres, document, kpis, {"Revenue by region": by_region, "Revenue by day": by_day})


from tests.delivery.conftest import receiver, smtp_server  # noqa: E402,F401  (the loopback receivers)
