"""The Marketing page in Chromium against a real `bizsight serve`: KPI cards formatted as the
presenter writes them, charts, the funnel, the channel table and recommendations; a click drills
to rows; a viewer restricted to a region sees the withheld note and no spend at all."""

from __future__ import annotations

from typing import Any

import pytest

from bizsight.presentation.numbers import Presenter
from tests.web.conftest import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def answer(page: Any) -> Any:
    return page.evaluate("Bizsight.api('POST', '/api/v1/marketing', Bizsight.scope())")


def test_the_marketing_page_shows_and_drills(site: Site) -> None:
    page = site.login("vic")
    site.open(page, "/marketing?preset=all")
    page.locator(".js-plotly-plot").nth(2).wait_for()  # no wait_for_function: the CSP forbids eval
    found = answer(page)
    assert found["withheld"] is None
    shown = Presenter("USD", "en")  # the demo's currency; the server holds the warehouse
    for kpi in found["kpis"]:
        if kpi["metric"] == "payback":
            continue
        text = page.locator(f"[data-widget=kpi-{kpi['metric']}] .value").inner_text()
        assert text == shown.format(kpi["value"], kpi["unit"], compact=True), kpi["metric"]
    assert page.locator("[data-widget=channels] tbody tr").count() == len(found["channels"])
    assert page.locator("[data-widget=recommendations] li").count() == len(found["recommendations"]) > 0
    assert page.locator("[data-widget=campaigns] tbody tr").count() > 0
    page.locator("[data-widget=kpi-customer_acquisition_cost] .value").click()
    page.wait_for_selector("#drill:not([hidden]) #drill-body tbody tr")
    site.shot(page, "marketing")
    assert not site.errors, "\n".join(site.errors)


def test_a_region_restricted_viewer_sees_spend_withheld(site: Site) -> None:
    page = site.login("eu")
    site.open(page, "/marketing?preset=all")
    page.locator(".js-plotly-plot").nth(1).wait_for()
    assert "withheld" in page.locator("#notice").inner_text()
    for metric in ("marketing_spend", "customer_acquisition_cost", "roas", "payback"):
        assert page.locator(f"[data-widget=kpi-{metric}] .value").inner_text() == "withheld"
    assert page.locator("[data-widget=spend-by-channel]").count() == 0
    assert page.locator("[data-widget=campaigns]").count() == 0
    heads = page.locator("[data-widget=channels] th").all_inner_texts()
    assert not any("spend" in h.lower() or "CAC" in h for h in heads), heads
    found = answer(page)
    assert all(k["value"] is None for k in found["kpis"] if k["withheld"])
    assert {k["metric"] for k in found["kpis"] if not k["withheld"]} == {"new_customers"}
    site.shot(page, "marketing-restricted")
    assert not site.errors, "\n".join(site.errors)
    spend = page.evaluate(
        "Bizsight.api('POST', '/api/v1/query', {metrics: ['marketing_spend']}).then(() => 'shown', e => e.message)"
    )
    assert spend != "shown"  # the API refuses it too, never unfiltered
