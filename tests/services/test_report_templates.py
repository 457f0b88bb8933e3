"""Every report template on the demo project: its KPIs equal the metrics layer's over the same
period, its findings cite numbers the report shows, a reader restricted to one region gets only
that region's rows, and relative periods resolve against the last day with data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bizsight.app.models import Role
from bizsight.errors import AccessDeniedError, ConfigError, InvalidArgumentError, NotFoundError
from bizsight.metrics.query import Filter, Query
from bizsight.presentation import Presenter
from bizsight.reports import Document, Findings, Kpis, Table
from bizsight.services.access import Principal
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.services.report_period import brand_of, report_period
from bizsight.services.report_templates import ReportRequest, build_report, templates
from bizsight.warehouse.connection import Warehouse
from tests.demo_builds import SMALL, DemoBuilds

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

EUROPE = Principal(
    user_id=7,
    username="eu",
    role=Role.VIEWER,
    restrictions=(Filter(dimension="region", op="in", values=("Europe",)),),
)
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))  # the demo's last complete month


@pytest.fixture(scope="module")
def demo(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return demo_builds.copy(SMALL, tmp_path_factory.mktemp("report-templates"))  # a dashboard is saved


@pytest.fixture
def wh(demo: Project) -> Iterator[Warehouse]:
    with demo.warehouse(read_only=True) as opened:
        yield opened


def metric(project: Project, name: str, span: tuple[dt.date, dt.date], *filters: Filter) -> Any:
    query = Query(metrics=(name,), start=span[0], end=span[1], filters=filters)
    return run_query(project, query, wh=None).table.column(name)[0].as_py()


def cards(doc: Document) -> dict[str, Any]:
    return {card.label: card for s in doc.sections if isinstance(s, Kpis) for card in s.cards}


def table(doc: Document, title: str) -> Table:
    return next(s for s in doc.sections if isinstance(s, Table) and s.title == title)


def shown_numbers(doc: Document) -> list[float]:
    """Every number the report shows: card values, compared values and changes, table cells."""
    found: list[float] = []
    for section in doc.sections:
        if isinstance(section, Kpis):
            for card in section.cards:
                found.append(card.value)
                for c in card.comparisons:
                    found += [c.value, c.change(card.value)]
        elif isinstance(section, Table):
            found += [v for row in section.rows for v in row]
    return [abs(float(v)) for v in found if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]


@pytest.mark.parametrize("name", ["executive", "sales", "customers", "quality"])
def test_each_template_builds_and_its_findings_cite_shown_numbers(
    demo: Project, wh: Warehouse, name: str
) -> None:
    doc = build_report(demo, wh, ReportRequest(template=name))
    assert doc.sections and doc.title == templates()[name].title
    findings = [item for s in doc.sections if isinstance(s, Findings) for item in s.items]
    assert findings
    if name == "executive":
        # The executive report's findings are the period's insights and recommendations: their
        # numbers are checked against the metrics layer in tests/services/test_insights_service.py.
        assert next(s.title for s in doc.sections if isinstance(s, Findings)) == "Insights"
        assert all("{" not in f.render(Presenter()) for f in findings)
        return
    shown = shown_numbers(doc)
    for finding in findings:
        for value, _unit in finding.numbers:
            assert value is not None, finding.text
            assert any(abs(abs(float(value)) - v) < 1e-9 for v in shown), (finding.text, value)


def test_executive_kpis_equal_the_metrics_layer(demo: Project, wh: Warehouse) -> None:
    doc = build_report(demo, wh, ReportRequest(template="executive"))
    assert doc.period == "September 2026"
    cat = catalogue(demo)
    for name in ("revenue", "orders", "average_order_value", "active_customers", "new_customers"):
        card = cards(doc)[cat.metrics[name].label]
        assert card.value == metric(demo, name, SEPTEMBER)
        before = card.comparisons[0]
        assert before.label == "vs previous period"
        assert before.value == metric(demo, name, (dt.date(2026, 8, 2), dt.date(2026, 8, 31)))
        assert before.p_value is not None and 0 <= before.p_value <= 1
        assert before.test in ("exact test of two Poisson rates", "Welch's t-test of daily values")
        assert card.comparisons[1].value == metric(demo, name, (dt.date(2025, 9, 1), dt.date(2025, 9, 30)))
    revenue = cards(doc)["Revenue"]
    target = next(c for c in revenue.comparisons if c.label == "vs target")
    assert target.value is not None and target.value > 0  # the demo's monthly revenue targets tile September
    changes = [row[3] for row in table(doc, "Categories by change").rows if row[3] is not None]
    assert changes == sorted(changes, reverse=True)  # best first, worst last
    retention = cards(doc)[cat.metrics["customer_retention_rate"].label]
    assert retention.comparisons[0].significant is None  # a rate of customers: no test is claimed


def test_a_reader_restricted_to_one_region_gets_only_its_rows(demo: Project, wh: Warehouse) -> None:
    doc = build_report(demo, wh, ReportRequest(template="executive", principal=EUROPE))
    regions = table(doc, "Regions by change")
    assert [row[0] for row in regions.rows] == ["Europe"]
    europe = Filter(dimension="region", values=("Europe",))
    revenue = metric(demo, "revenue", SEPTEMBER, europe)
    assert cards(doc)["Revenue"].value == revenue
    assert regions.rows[0][1] == revenue
    assert revenue < metric(demo, "revenue", SEPTEMBER)
    assert sum(row[1] for row in table(doc, "Categories by change").rows) == revenue
    titles = [s.title for s in doc.sections]
    assert "Target pacing" not in titles  # targets are the whole business's
    assert all(row[2] == "region=Europe" for row in table(doc, "Anomalies in the period").rows)
    assert "vs target" not in [c.label for c in cards(doc)["Revenue"].comparisons]
    forecast = next(s for s in doc.sections if s.title.startswith("Revenue forecast"))
    assert "by region" in forecast.title  # the stored series of Europe, not the total


def test_the_data_quality_report_is_refused_to_a_restricted_reader(demo: Project, wh: Warehouse) -> None:
    with pytest.raises(AccessDeniedError):
        build_report(demo, wh, ReportRequest(template="quality", principal=EUROPE))


def test_quality_counts_balance(demo: Project, wh: Warehouse) -> None:
    doc = build_report(demo, wh, ReportRequest(template="quality"))
    loads = table(doc, "Loads")
    read, loaded, quarantined, duplicates = (sum(r[i] for r in loads.rows) for i in (4, 5, 6, 7))
    assert read == loaded + quarantined + duplicates
    assert cards(doc)["Rows read"].value == read == wh.scalar("SELECT sum(rows_read) FROM meta.loads")


def test_sales_tables_add_up_and_name_products(demo: Project, wh: Warehouse) -> None:
    doc = build_report(demo, wh, ReportRequest(template="sales", range="last_quarter"))
    q3 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))  # last quarter before 2026-09-30
    revenue = metric(demo, "revenue", q3)
    assert cards(doc)["Revenue"].value == revenue
    assert sum(r[1] for r in table(doc, "By region").rows) == revenue
    products = table(doc, "Top 15 products")
    assert not any(str(r[0]).startswith("P0") for r in products.rows)  # by name, not id


def test_filters_narrow_the_report(demo: Project, wh: Warehouse) -> None:
    books = Filter(dimension="category", values=("Books",))
    doc = build_report(demo, wh, ReportRequest(template="sales", filters=(books,)))
    assert [r[0] for r in table(doc, "By category").rows] == ["Books"]
    assert cards(doc)["Revenue"].value == metric(demo, "revenue", SEPTEMBER, books)


def test_report_periods(wh: Warehouse) -> None:
    default = report_period(wh)
    assert (default.start, default.end, default.slug) == (*SEPTEMBER, "2026-09")
    assert default.previous == (dt.date(2026, 8, 2), dt.date(2026, 8, 31))
    ytd = report_period(wh, range="year_to_date")
    assert (ytd.start, ytd.end) == (dt.date(2026, 1, 1), dt.date(2026, 9, 30))
    dated = report_period(wh, range="last_month", today=dt.date(2026, 3, 15))
    assert (dated.start, dated.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    explicit = report_period(wh, start=dt.date(2026, 7, 1))
    assert (explicit.start, explicit.end, explicit.label) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        "2026-07-01 to 2026-09-30",
    )
    year_so_far = report_period(wh, range="year_to_date", today=dt.date(2026, 10, 12))
    assert (year_so_far.start, year_so_far.end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 9, 30),
    )  # cut to the data
    with pytest.raises(InvalidArgumentError, match="no orders in that period"):
        report_period(wh, range="this_month", today=dt.date(2026, 11, 12))
    cut = report_period(wh, start=dt.date(2020, 1, 1), end=dt.date(2030, 1, 1))
    assert (cut.start, cut.end) == (dt.date(2023, 10, 3), dt.date(2026, 9, 30))  # the days with data
    with pytest.raises(InvalidArgumentError, match="did you mean 'last_month'"):
        report_period(wh, range="lastmonth")
    with pytest.raises(InvalidArgumentError, match="either a range or dates"):
        report_period(wh, range="last_month", start=dt.date(2026, 1, 1))


def test_brand_from_settings(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    project.init()
    (project.root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    config = project.paths.config_file
    config.write_text(
        config.read_text() + "\nreports:\n  brand_colour: '#7B1FA2'\n  logo: logo.png\n", encoding="utf-8"
    )
    brand = brand_of(project)
    assert (brand.colour, brand.logo_type, brand.logo) == ("#7b1fa2", "image/png", b"\x89PNG\r\n\x1a\nfake")
    other = Project(tmp_path / "q")
    other.init()
    other.paths.config_file.write_text(
        other.paths.config_file.read_text() + "\nreports:\n  logo: missing.png\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"missing\.png"):
        brand_of(other)


def test_a_saved_dashboard_as_a_report(demo: Project, wh: Warehouse) -> None:
    from bizsight.services.dashboards import DashboardIn, save_dashboard
    from bizsight.services.users import add_user, open_store, principal_of

    store = open_store(demo)
    try:
        add_user(store, "boss", "admin", "a long enough password")
        from bizsight.app.accounts import require_user

        with store.session() as s:
            boss = principal_of(require_user(s, "boss"))
        body = DashboardIn.model_validate(
            {
                "title": "Weekly",
                "filters": {"start": "2026-09-01", "end": "2026-09-30"},
                "widgets": [
                    {"id": "rev", "type": "kpi", "query": {"metrics": ["revenue"]}},
                    {"id": "trend", "type": "line", "query": {"metrics": ["revenue"], "grain": "week"}},
                    {
                        "id": "regions",
                        "type": "bar",
                        "query": {"metrics": ["revenue", "orders"], "dimensions": ["region"]},
                    },
                    {
                        "id": "t",
                        "type": "table",
                        "query": {"metrics": ["revenue"], "dimensions": ["category"]},
                    },
                ],
            }
        )
        made = save_dashboard(store, boss, body, catalogue(demo))
        doc = build_report(
            demo,
            wh,
            ReportRequest(template="dashboard", dashboard_id=made["id"], principal=boss, store=store),
        )
        assert doc.title == "Weekly" and doc.period == "2026-09-01 to 2026-09-30"
        assert cards(doc)["Revenue"].value == metric(demo, "revenue", SEPTEMBER)
        kinds = [s.kind for s in doc.sections]
        assert kinds == ["kpis", "chart", "chart", "table"]
        by_category = table(doc, "Revenue")  # revenue adds up over categories (orders would not)
        assert sum(r[1] for r in by_category.rows) == metric(demo, "revenue", SEPTEMBER)
        with pytest.raises(NotFoundError):
            build_report(
                demo,
                wh,
                ReportRequest(template="dashboard", dashboard_id=made["id"], principal=EUROPE, store=store),
            )
    finally:
        store.close()


def test_what_a_restriction_cannot_filter_is_withheld_not_shown_whole(demo: Project, wh: Warehouse) -> None:
    books = Principal(
        user_id=8,
        username="bo",
        role=Role.VIEWER,
        restrictions=(Filter(dimension="category", op="in", values=("Books",)),),
    )
    doc = build_report(demo, wh, ReportRequest(template="executive", principal=books))
    only_books = Filter(dimension="category", values=("Books",))
    assert cards(doc)["Revenue"].value == metric(demo, "revenue", SEPTEMBER, only_books)
    assert cards(doc)["New customers"].value is None  # customers have no one category
    assert cards(doc)["New customers"].comparisons == ()
    segments = table(doc, "RFM segments")
    assert [c.key for c in segments.columns] == ["withheld"]
    assert "restricted by category" in str(segments.rows[0][0])
