"""Sales performance: revenue, orders, average order value and units against the previous period
(significance-tested), the previous year and target; their months; and the period by category,
region, sales channel and product, each against the previous period."""

from __future__ import annotations

from bizsight.presentation import Unit
from bizsight.reports import Document, Finding, Findings, Kpis
from bizsight.services.project import Project
from bizsight.services.report_parts import TESTS_NOTE, Reading, cite, literal
from bizsight.services.report_templates import ReportRequest, template
from bizsight.warehouse.connection import Warehouse

KPIS = ("revenue", "orders", "average_order_value", "units")
TOP_PRODUCTS = 15


@template(
    "sales",
    title="Sales performance",
    description="Revenue, orders, average order value and units over time and by category, region, "
    "channel and product, against the previous period",
)
def sales(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """The Sales performance report (docs/reports.md, "Templates")."""
    reading = Reading.of(project, wh, request)
    cards = reading.kpis(KPIS)
    categories = reading.by("category", "revenue", "orders", "average_order_value", title="By category")
    products = reading.by(
        "product", "revenue", "units", title=f"Top {TOP_PRODUCTS} products", top=TOP_PRODUCTS
    )
    found = [
        Finding(
            text="{0} of revenue from {1} orders, {2} an order on average.",
            numbers=(
                (cards[0].value, Unit.MONEY),
                (cards[1].value, Unit.COUNT),
                (cards[2].value, Unit.MONEY),
            ),
        )
    ]
    if categories.rows:
        top = categories.rows[0]
        found.append(
            Finding(
                text=literal(top[0]) + " was the largest category, with {0}.",
                numbers=(cite(top[1], Unit.MONEY),),
            )
        )
    if products.rows:
        best = products.rows[0]
        found.append(
            Finding(
                text="The best-selling product, " + literal(best[0]) + ", sold {0} ({1} units).",
                numbers=(cite(best[1], Unit.MONEY), cite(best[4], Unit.COUNT)),
            )
        )
    return Document(
        title="Sales performance",
        period=reading.period.label,
        brand=request.brand,
        sections=(
            Kpis(title="Sales", cards=cards, note=TESTS_NOTE),
            reading.monthly("revenue", title="Revenue by month"),
            reading.monthly("orders", "units", title="Orders and units by month", style="bar"),
            reading.monthly("average_order_value", title="Average order value by month"),
            categories,
            reading.by("region", "revenue", "orders", "average_order_value", title="By region"),
            reading.by("sales_channel", "revenue", "orders", "average_order_value", title="By sales channel"),
            products,
            Findings(title="Findings", items=tuple(found)),
        ),
    )
