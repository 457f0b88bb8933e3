"""The web app in a real browser: log in; every page draws its charts with no console errors;
global filters reach every widget; a click drills down to the rows; exports download; a
dashboard is built, saved and reopened; a viewer cannot reach Settings; a user restricted to a
region sees only that region."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.web.conftest import REGION, Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# page → charts it must draw on the demo data (plotly graphs; KPI sparklines included)
PAGES = {
    "overview": 10,
    "sales": 4,
    "customers": 4,
    "reviews": 3,
    "products": 3,
    "market": 2,  # share by region over time, our growth against the market's
    "executive": 0,  # score bars, not plotly charts
    "marketing": 3,  # spend and CAC by channel, the funnel
    "forecasts": 1,  # history and forecast (the demo's two years are too short for a backtest)
    "monitor": 2,  # target pacing bars, anomalies on their series
    "data": 0,
    "jobs": 0,
    "dashboards": 0,
    "reports": 0,
    "settings": 0,
    "pipeline": 5,  # by stage, owner and source; the bookings forecast; calibration
}


def charts(page: Any) -> int:
    return int(page.evaluate("document.querySelectorAll('.js-plotly-plot').length"))


def api(page: Any, method: str, path: str, body: object = None) -> Any:
    """Call the JSON API from the page, with its session and CSRF token."""
    return page.evaluate(
        "([m, p, b]) => Bizsight.api(m, p, b === null ? undefined : b)", [method, path, body]
    )


def test_every_page_renders_its_charts_without_console_errors(site: Site) -> None:
    page = site.login("admin")
    for name, expected in PAGES.items():
        site.open(page, f"/{name}")
        site.until(page, f"document.querySelectorAll('.js-plotly-plot').length >= {expected}")
        assert charts(page) >= expected, name
        assert page.locator(".card .error").count() == 0, name
        site.shot(page, name)
    customer = api(page, "GET", "/api/v1/customers?page_size=1")["customers"][0]["customer_id"]
    site.open(page, f"/customers/{customer}")
    assert customer in page.locator("#page-title").inner_text()
    assert page.locator("[data-widget=orders] tbody tr").count() > 0
    assert not site.errors, "\n".join(site.errors)


def test_forecast_page_draws_interval_bands_and_the_restricted_slice(site: Site) -> None:
    page = site.login("eu")
    site.open(page, "/forecasts")
    site.until(page, "document.querySelectorAll('[data-widget=fc-chart] .js-plotly-plot').length >= 1")
    names = page.evaluate(
        "document.querySelector('[data-widget=fc-chart] .js-plotly-plot').data.map(t => t.name)"
    )
    assert {"actual", "forecast", "80 % interval", "95 % interval"} <= set(names)
    page.select_option("#fc-by", "region")
    page.click("#fc-form button[type=submit]")
    page.wait_for_selector("body[data-ready='1'] #fc-series")
    assert set(page.evaluate("[...document.querySelectorAll('#fc-series option')].map(o => o.value)")) == {
        "(total)",
        REGION,
    }
    assert "restricted slice" in page.locator("[data-widget=fc-chart]").inner_text()
    page.fill("#fc-scenario", "price:+10%:elasticity=-2")
    page.click("#fc-form button[type=submit]")
    page.wait_for_selector("body[data-ready='1'] #fc-assumptions")
    names = page.evaluate(
        "document.querySelector('[data-widget=fc-chart] .js-plotly-plot').data.map(t => t.name)"
    )
    assert "scenario" in names
    assert not site.errors, "\n".join(site.errors)


def test_kpi_monitor_marks_anomalies_and_shows_pacing(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/monitor")
    site.until(page, "document.querySelectorAll('[data-widget=anomaly-chart] .js-plotly-plot').length >= 1")
    marks = page.evaluate(
        "document.querySelector('[data-widget=anomaly-chart] .js-plotly-plot').data[1].x.length"
    )
    assert marks >= 1
    targets = api(page, "GET", "/api/v1/targets")["targets"]
    assert page.locator("[data-widget=targets-table] tbody tr").count() == len(targets) > 0
    assert not site.errors, "\n".join(site.errors)


def test_overview_numbers_are_the_metric_layers(site: Site) -> None:
    page = site.login("admin")
    start, end = page.input_value("#f-start"), page.input_value("#f-end")
    answer = api(page, "POST", "/api/v1/query", {"metrics": ["orders"], "start": start, "end": end})
    shown = page.locator("[data-metric=orders]").inner_text()
    assert int(shown.replace(",", "")) == answer["rows"][0]["orders"] > 0


def test_a_global_filter_reaches_every_widget(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/sales")
    sent: list[dict[str, Any]] = []
    page.on(
        "request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/v1/query") else None
    )
    page.select_option("#f-region", REGION)
    page.select_option("#f-preset", "all")
    page.click("#f-apply")
    page.wait_for_selector("body[data-ready='1']")
    site.until(page, "document.querySelectorAll('.js-plotly-plot').length >= 4")
    assert "region=Europe" in page.url and "preset=all" in page.url
    assert sent and all({"dimension": "region", "op": "=", "values": [REGION]} in q["filters"] for q in sent)
    regions = page.evaluate("document.querySelector('[data-widget=region-month] .js-plotly-plot').data[0].y")
    assert regions == [REGION]


def test_click_drills_down_to_the_rows_and_exports_them(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/sales")
    bar = page.locator("[data-widget=category] .js-plotly-plot g.point path").first
    bar.wait_for()
    category = page.evaluate("document.querySelector('[data-widget=category] .js-plotly-plot').data[0].x[0]")
    bar.click(force=True)
    page.wait_for_selector("#drill:not([hidden]) #drill-body table")
    assert category in page.locator("#drill-title").inner_text()
    headers = page.locator("#drill-body th").all_inner_texts()
    label = page.evaluate("Bizsight.label('category')")  # the drill-down table is headed by labels
    column = headers.index(label)
    cells = page.locator(f"#drill-body tbody tr td:nth-child({column + 1})").all_inner_texts()
    assert cells and set(cells) == {category}
    with page.expect_download() as download:
        page.click("#drill-tools button[data-format=csv]")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows and {r[label] for r in rows} == {category}
    site.shot(page, "drill-down")
    page.click("#drill-close")
    with page.expect_download() as download:
        page.click("[data-widget=category] button[data-format=xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert download.value.path().read_bytes()[:2] == b"PK"  # a zip: an XLSX workbook


def test_build_save_and_reopen_a_dashboard(site: Site) -> None:
    page = site.login("ed")
    site.open(page, "/dashboards/new")
    page.select_option("#b-type", "bar")
    page.select_option("#b-metric", "revenue")
    page.select_option("#b-dimension", "region")
    page.fill("#b-title", "Revenue by region")
    page.click("#b-add")
    page.select_option("#b-type", "kpi")
    page.select_option("#b-metric", "orders")
    page.select_option("#b-dimension", "")
    page.fill("#b-title", "Orders")
    page.click("#b-add")
    page.select_option("#b-type", "line")
    page.select_option("#b-metric", "revenue")
    page.select_option("#b-dimension", "category")
    page.select_option("#b-grain", "month")
    page.select_option("#b-width", "12")
    page.fill("#b-title", "Revenue by category")
    page.click("#b-add")
    # Each widget's export buttons join its move buttons when its answer arrives, shifting them:
    # click once every widget has its answer, as a person would, and see the move happen.
    site.until(page, "!document.querySelector('#dashboard-grid .loading')")
    page.locator("#dashboard-grid [data-widget] button[aria-label='move up']").nth(1).click()
    site.until(page, "document.querySelector('#dashboard-grid [data-widget] h2').textContent === 'Orders'")
    page.select_option("#f-region", REGION)  # the filter bar's choice is saved with the dashboard
    page.click("#f-apply")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.fill("#d-title", "Browser-built")
    page.check(".share-role[value=viewer]")
    page.click("#d-save")
    site.until(page, "document.getElementById('save-status').textContent === 'saved'")
    site.until(page, "/^\\/dashboards\\/\\d+$/.test(location.pathname)")
    site.open(page, "/dashboards")
    page.click("text=Browser-built")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#dashboard-grid .js-plotly-plot")
    titles = page.locator("#dashboard-grid [data-widget] h2").all_inner_texts()
    assert titles == ["Orders", "Revenue by region", "Revenue by category"]
    assert page.input_value("#f-region") == REGION
    bars = "document.querySelector('#dashboard-grid .js-plotly-plot').data[0].x"
    assert page.evaluate(bars) == [REGION]
    assert page.locator("#dashboard-grid .kpi .value").inner_text().replace(",", "").isdigit()
    site.shot(page, "dashboard")
    viewer = site.login("vic")  # shared with the viewer role: they can open it, not change it
    site.open(viewer, "/dashboards")
    viewer.click("text=Browser-built")
    viewer.wait_for_selector("#dashboard-grid .js-plotly-plot")
    assert viewer.locator("#builder").count() == 0


def test_a_viewer_cannot_reach_settings_and_can_log_out(site: Site) -> None:
    page = site.login("vic")
    assert page.locator("nav [data-nav=settings]").count() == 0
    response = page.goto(site.base + "/settings")
    assert response is not None and response.status == 403
    assert "may not open Settings" in page.locator("#denied").inner_text()
    page.click("#logout")
    page.wait_for_url(f"{site.base}/login")
    page.goto(site.base + "/overview")
    assert page.url == f"{site.base}/login?next=/overview"


def test_an_admin_reads_quality_reports_and_manages_users(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/data")
    page.locator("[data-widget=loads] tbody tr").first.click()
    page.wait_for_selector("[data-widget=quality] table")
    assert "invariant holds" in page.locator("[data-widget=quality]").inner_text()
    site.open(page, "/settings")
    page.fill("#u-name", "newcomer")
    page.click("#add-user button[type=submit]")
    site.until(page, "document.getElementById('u-result').textContent.includes('password')")
    password = page.locator("#u-result").inner_text().rsplit(": ", 1)[1]
    fresh = site.browser.new_context().new_page()
    fresh.goto(f"{site.base}/login")
    fresh.fill("#username", "newcomer")
    fresh.fill("#password", password)
    fresh.click("#login-button")
    fresh.wait_for_url(f"{site.base}/overview")  # "/" sends a logged-in user to the Overview
    fresh.context.close()
    answers = iter(["editor", f"region={REGION}"])  # the role, then the restrictions
    page.on("dialog", lambda dialog: dialog.accept(next(answers)))
    site.open(page, "/settings")
    with page.expect_navigation():  # the page reloads once both changes are saved
        page.locator("[data-widget=users] tbody tr", has_text="newcomer").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    row = page.locator("[data-widget=users] tbody tr", has_text="newcomer").inner_text()
    assert "editor" in row and f"region={REGION}" in row


def test_a_restricted_user_sees_only_their_region(site: Site) -> None:
    page = site.login("eu")
    site.open(page, "/sales")
    page.select_option("#f-preset", "all")
    page.click("#f-apply")
    page.wait_for_selector("body[data-ready='1']")
    site.until(page, "document.querySelectorAll('.js-plotly-plot').length >= 4")
    regions = page.evaluate("document.querySelector('[data-widget=region-month] .js-plotly-plot').data[0].y")
    assert regions == [REGION]
    options = page.locator("#f-region option").all_inner_texts()
    assert options == ["All", REGION]
    site.shot(page, "restricted-sales")
    site.open(page, "/products")
    assert "not shown to users restricted" in page.locator("[data-widget=affinity]").inner_text()
    assert page.locator("nav [data-nav=data]").count() == 0  # unfiltered warehouse views are refused


def test_the_layout_fits_a_phone(site: Site) -> None:
    page = site.login("admin", width=390, height=844)
    site.open(page, "/overview")
    site.until(page, "document.querySelectorAll('.js-plotly-plot').length >= 10")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.locator("nav.nav").is_visible()  # folded behind the menu button
    page.click(".nav-burger")
    assert page.locator("nav.nav").is_visible()
    site.shot(page, "phone-overview")
