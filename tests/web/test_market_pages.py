"""The Market and Executive pages in a real browser: charts, tables and score cards on the demo;
a click on a share drills to its rows; the theme is kept across pages; a user restricted to a
region sees that region's market only and no operational score."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import REGION, Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECTIONS = ["financial", "customer", "sales", "market", "operational"]


def api(page: Any, path: str) -> Any:
    return page.evaluate("(p) => Bizsight.api('GET', p)", path)


def share_regions(site: Site, page: Any) -> list[str]:
    """Open the Market page; the regions of its share chart."""
    site.open(page, "/market")
    site.until(page, "document.querySelectorAll('.js-plotly-plot').length >= 2")
    script = "document.querySelector('[data-widget=market-share] .js-plotly-plot').data.map(t => t.name)"
    return list(page.evaluate(script))


def test_market_page_shows_share_growth_moves_and_ranking(site: Site) -> None:
    page = site.login("admin")
    regions = share_regions(site, page)
    assert sorted(regions) == ["Asia Pacific", "Europe", "Latin America", "North America"]
    answer = api(page, "/api/v1/market")
    assert page.locator("[data-widget=share-moves] tbody tr").count() == len(answer["moves"]) == 4
    assert page.locator("[data-widget=competitor-ranking] tbody tr").count() == len(answer["ranking"])
    assert page.locator("[data-widget=competitor-ranking] tr.us").count() == 4
    site.shot(page, "market")
    page.locator("[data-widget=market-share] .js-plotly-plot .scatterlayer path.point").first.click(
        force=True
    )
    page.wait_for_selector("#drill:not([hidden]) #drill-body table")
    assert "market_share" in page.locator("#drill-title").inner_text()
    page.click("#drill-close")
    page.locator("[data-widget=competitor-ranking] tbody tr:not(.us)").first.click()
    page.wait_for_selector("#drill:not([hidden]) #drill-body table")
    assert "competitor_revenue" in page.locator("#drill-title").inner_text()
    assert not site.errors, "\n".join(site.errors)


def test_executive_page_scores_five_sections_and_keeps_the_theme(site: Site) -> None:
    page = site.login("admin")
    site.open(page, "/executive")
    page.wait_for_selector("[data-widget=section-operational] .summary")
    answer = api(page, "/api/v1/executive")
    for name, section in zip(SECTIONS, answer["sections"], strict=True):
        card = page.locator(f"[data-widget=section-{name}]")
        assert card.locator(".summary").inner_text() == section["summary"]
        shown = card.locator(".score").get_attribute("data-score")
        assert shown == f"{section['score']:.1f}"
        assert card.locator("tbody tr").count() == len(section["kpis"])
    site.shot(page, "executive")
    # pipeline coverage looks forward: scored on next quarter's bookings target, and drills there
    sales = {k["key"]: k for k in answer["sections"][2]["kpis"]}
    assert sales["pipeline_coverage"]["period"] == "next" and sales["pipeline_coverage"]["score"] is not None
    row = page.locator("[data-widget=section-sales] tr[data-kpi=pipeline_coverage]")
    assert "(next quarter)" in row.inner_text()
    row.click()
    page.wait_for_selector("#drill:not([hidden]) #drill-body table")
    ahead = {
        "metrics": ["pipeline_coverage"],
        "start": answer["next_period"],
        "end": answer["next_period_end"],
    }
    request = {"query": ahead, "metric": "pipeline_coverage", "cell": {}, "page": 1, "page_size": 100}
    behind = page.evaluate("(r) => Bizsight.api('POST', '/api/v1/drill-down', r)", request)
    assert 0 < page.locator("#drill-body tbody tr").count() == len(behind["rows"])
    page.click("#drill-close")
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    site.open(page, "/overview")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.emulate_media(media="print")
    site.open(page, "/executive")
    page.wait_for_selector("[data-widget=section-financial] .summary")
    assert not page.locator(".topbar").is_visible()
    page.emulate_media(media="screen")
    page.evaluate("window.BizsightTheme.toggle()")
    assert not site.errors, "\n".join(site.errors)


def test_a_region_restricted_user_sees_their_market_only(site: Site) -> None:
    page = site.login("eu")
    regions = share_regions(site, page)
    assert regions == [REGION]
    ranked = page.locator("[data-widget=competitor-ranking] tbody td:first-child").all_inner_texts()
    assert ranked and set(ranked) == {REGION}
    site.open(page, "/executive")
    page.wait_for_selector("[data-widget=section-operational] .summary")
    ops = page.locator("[data-widget=section-operational]")
    assert ops.locator(".score").inner_text() == "–"
    assert "withheld" in ops.locator(".summary").inner_text()
    assert "restricted slice" in page.locator("#executive-period").inner_text()
    assert not site.errors, "\n".join(site.errors)
