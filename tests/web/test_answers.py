"""One answer per question, as the pages show it: the Overview's cards say what they compare
with (revenue growth year on year, the rest against the previous period) and draw sparklines
over time; a dashboard saved with "Last 12 months" reopens as "Last 12 months"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def api(page: Any, method: str, path: str, body: object = None) -> Any:
    return page.evaluate(
        "([m, p, b]) => Bizsight.api(m, p, b === null ? undefined : b)", [method, path, body]
    )


def test_overview_cards_say_what_they_compare(site: Site) -> None:
    page = site.login("admin")
    start, end = page.input_value("#f-start"), page.input_value("#f-end")
    growth = page.locator("[data-widget=kpi-revenue_growth_yoy]")
    assert growth.locator("h2").inner_text() == "Revenue growth (year on year)"
    assert "a year earlier" in growth.locator(".change").inner_text()
    answer = api(
        page, "POST", "/api/v1/query", {"metrics": ["revenue_growth_yoy"], "start": start, "end": end}
    )
    shown = growth.locator(".value").inner_text()
    assert shown == page.evaluate(
        "(v) => Bizsight.format(v, 'percent', true)", answer["rows"][0]["revenue_growth_yoy"]
    )
    assert (
        page.locator("[data-widget=kpi-revenue_growth]").count() == 0
    )  # no growth card against the previous period
    for metric in ("revenue", "orders", "active_customers", "average_order_value", "product_categories"):
        text = page.locator(f"[data-widget=kpi-{metric}] .change").inner_text()
        assert "vs previous period" in text, (metric, text)
    # every sparkline runs over time: its x values are months, in order
    for card in page.locator("article.kpi").all():
        xs = card.evaluate(
            "(n) => { const p = n.querySelector('.js-plotly-plot'); return p ? p.data[0].x : null; }"
        )
        assert xs and all(len(x) == 10 and x[8:] == "01" for x in xs) and xs == sorted(xs), xs
    assert not site.errors, "\n".join(site.errors)


def test_a_dashboard_saved_with_a_preset_reopens_with_it(site: Site) -> None:
    page = site.login("ed")
    site.open(page, "/dashboards/new")
    assert page.input_value("#f-preset") == "last_12_months"  # the filter bar's default
    page.select_option("#b-type", "kpi")
    page.select_option("#b-metric", "orders")
    page.fill("#b-title", "Orders")
    page.click("#b-add")
    page.fill("#d-title", "Rolling year")
    page.click("#d-save")
    page.wait_for_function("() => document.getElementById('save-status').textContent === 'saved'")
    page.wait_for_function("() => /^\\/dashboards\\/\\d+$/.test(location.pathname)")
    dashboard_id = page.evaluate("location.pathname.split('/').pop()")
    saved = api(page, "GET", f"/api/v1/dashboards/{dashboard_id}")
    assert saved["filters"]["range"] == "last_12_months"
    assert saved["filters"]["start"] is None and saved["filters"]["end"] is None
    reopened = site.login("ed")
    site.open(reopened, f"/dashboards/{dashboard_id}")
    assert reopened.input_value("#f-preset") == "last_12_months"
    assert reopened.input_value("#f-start") == saved["period"]["start"]
    assert reopened.input_value("#f-end") == saved["period"]["end"]
    assert not site.errors, "\n".join(site.errors)
