"""The Insights panel in a real browser: on the Overview and the Executive page it lists the
insights and recommendations GET /api/v1/insights gives, ranked, with their sentences; an
insight's Rows button opens the rows behind it; a user restricted to a region sees no other
region in the panel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import REGION, Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OTHERS = ("North America", "Asia Pacific", "Latin America")


def api(page: Any, path: str) -> Any:
    return page.evaluate("(p) => Bizsight.api('GET', p)", path)


@pytest.mark.parametrize("path", ["/overview", "/executive"])
def test_the_panel_shows_the_ranked_insights_and_recommendations(site: Site, path: str) -> None:
    page = site.login("vic")
    site.open(page, path)
    page.wait_for_selector("[data-widget=insights] #insights-period")
    answer = api(page, "/api/v1/insights")
    assert answer["insights"], "the demo's last quarter has something to say"
    items = page.locator("#insight-list li.insight")
    assert items.count() == len(answer["insights"])
    shown = [items.nth(i).locator(".insight-text").inner_text() for i in range(items.count())]
    assert shown == [i["text"] for i in answer["insights"]]
    impacts = [i["impact"] for i in answer["insights"]]
    assert impacts == sorted(impacts, reverse=True)  # ranked by impact
    advice = page.locator("#recommendation-list li.advice")
    assert advice.count() == len(answer["recommendations"])
    period = page.locator("#insights-period").inner_text()
    assert answer["start"] in period and answer["end"] in period
    site.shot(page, "insights" + path.replace("/", "-"))
    # an insight about the period's own rows (a target not yet started has none to show)
    about_rows = ", ".join(
        f"#insight-list li.insight[data-kind={k}] button" for k in ("change", "member", "seasonality")
    )
    page.locator(about_rows).first.click()
    page.wait_for_selector("#drill:not([hidden]) #drill-body table")
    assert page.locator("#drill-body tbody tr").count() > 0
    assert not site.errors, "\n".join(site.errors)


def test_a_restricted_user_sees_only_their_region_in_the_panel(site: Site) -> None:
    page = site.login("eu")
    site.open(page, "/overview")
    page.wait_for_selector("[data-widget=insights] #insights-period")
    text = page.locator("[data-widget=insights]").inner_text()
    assert "worked out from your rows" in text
    assert not any(other in text for other in OTHERS), text
    answer = api(page, "/api/v1/insights")
    assert answer["restricted"] is True and answer["kept"] is False
    assert all(i["subject"].get("region", REGION) == REGION for i in answer["insights"])
    assert not site.errors, "\n".join(site.errors)
