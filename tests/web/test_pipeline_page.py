"""The Pipeline page in a real browser: its KPI cards are the API's numbers formatted by the
presentation layer, a bar drills to its deals, the open deals carry scores and reasons, the model
card shows the ROC-AUC; a viewer restricted to a region sees that region's deals only."""

from __future__ import annotations

from typing import Any

import pytest

from bizsight.presentation.numbers import Presenter
from tests.web.conftest import REGION, Site
from tests.web.test_pages import api

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_pipeline(page: Any) -> None:
    # site.open waited for the page to finish drawing; no predicate strings (the CSP forbids eval)
    assert page.locator("[data-widget=pl-by-stage] .js-plotly-plot").count() == 1
    assert page.locator("[data-widget=pl-calibration] .js-plotly-plot").count() == 1


def test_pipeline_page_shows_the_apis_numbers_scores_and_model(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/pipeline")
    _open_pipeline(page)
    summary = api(page, "GET", "/api/v1/pipeline")
    shown = page.locator("[data-metric=win_rate]").inner_text()
    presenter = Presenter(page.evaluate("Bizsight.boot.presentation.currency"), "en")
    assert shown == presenter.format(summary["kpis"]["win_rate"], "percent", compact=True)
    assert page.locator("[data-widget=pl-deals] tbody tr").count() > 0
    first = page.locator("[data-widget=pl-deals] tbody tr").first.inner_text()
    assert "%" in first and ("raises" in first or "lowers" in first)
    assert "ROC-AUC" in page.locator("#pl-auc").inner_text()
    assert "interval" in page.locator("[data-widget=pl-forecast]").inner_text()
    page.locator("[data-metric=open_pipeline]").click()  # a KPI drills to its deals
    page.wait_for_selector("#drill:not([hidden]) #drill-body tbody tr")
    assert page.locator("#drill-body tbody tr").count() > 0
    site.shot(page, "pipeline")
    assert not site.errors, "\n".join(site.errors)


def test_a_region_restricted_viewer_sees_only_that_regions_deals(site: Site) -> None:
    admin = site.login("admin")
    site.open(admin, "/pipeline")
    everyone = api(admin, "GET", "/api/v1/pipeline/deals?page_size=500")
    page = site.login("eu")
    site.open(page, "/pipeline")
    page.wait_for_selector("[data-widget=pl-deals]")
    mine = api(page, "GET", "/api/v1/pipeline/deals?page_size=500")
    assert mine["total"] < everyone["total"]
    assert {r["deal_id"] for r in mine["rows"]} <= {r["deal_id"] for r in everyone["rows"]}
    # exactly the open deals whose customer is in the region, as the metrics layer counts them
    region = [{"dimension": "region", "op": "=", "values": [REGION]}]
    counted = api(admin, "POST", "/api/v1/query", {"metrics": ["open_deals"], "filters": region})
    assert mine["total"] == counted["rows"][0]["open_deals"]
    shown = page.locator("[data-widget=pl-deals] tbody tr").count()
    assert shown == min(mine["total"], 25)
    assert (
        "not shown to users with row-level restrictions"
        in page.locator("[data-widget=pl-model]").inner_text()
    )
    assert api(page, "GET", "/api/v1/pipeline/model")["withheld"] is True
    assert not site.errors, "\n".join(site.errors)
