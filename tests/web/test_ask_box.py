"""The Ask box of every page in Chromium against a real `bizsight serve` on the demo: a question
shows how it was read, a chart and the table; a decline offers questions as links that ask
them; a viewer restricted to a region gets only that region's rows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import REGION, Site
from tests.web.test_web_routes import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def ask(site: Site, page: Any, question: str) -> None:
    page.evaluate("document.getElementById('ask-answer').dataset.state = ''")
    page.fill("#ask-q", question)
    page.press("#ask-q", "Enter")
    site.until(
        page,
        "['answered', 'declined', 'failed'].includes(document.getElementById('ask-answer').dataset.state)",
    )


def test_asking_on_a_page_shows_the_reading_chart_and_table(site: Site) -> None:
    page = site.login("vic")
    site.open(page, "/customers")  # any page: the box is in the top bar
    ask(site, page, "revenue by region last year")
    panel = page.locator("#ask-answer")
    assert panel.get_attribute("data-state") == "answered"
    assert (
        panel.locator(".ask-interpretation")
        .inner_text()
        .startswith("I read this as: revenue, by region, 1 Jan")
    )
    assert panel.locator(".js-plotly-plot").count() == 1
    regions = panel.locator("tbody tr td:first-child").all_inner_texts()
    assert sorted(regions) == ["Asia Pacific", "Europe", "Latin America", "North America"]
    assert all(v.startswith("$") for v in panel.locator("tbody tr td:nth-child(2)").all_inner_texts())
    site.shot(page, "ask-answer")

    ask(site, page, "what's the weather tomorrow")
    assert panel.get_attribute("data-state") == "declined"
    assert panel.locator(".ask-interpretation").inner_text().startswith("I can't answer that")
    first = panel.locator("a.ask-suggestion").first
    suggestion = first.inner_text()
    first.click()
    site.until(page, "document.getElementById('ask-answer').dataset.state === 'answered'")
    assert page.input_value("#ask-q") == suggestion
    site.shot(page, "ask-suggestion")
    assert not site.errors, "\n".join(site.errors)


def test_every_page_has_the_ask_box(site: Site) -> None:
    page = site.login("admin")
    for name in [*PAGES, "customers/C0000014"]:
        html = page.request.get(f"{site.base}/{name}").text()
        assert 'id="ask-q"' in html and "/static/ask.js" in html, name


def test_a_restricted_viewer_is_answered_from_their_region_only(site: Site) -> None:
    page = site.login("eu")
    site.open(page, "/overview?ask=orders+by+region+and+category+in+2025")  # a shared link asks too
    site.until(page, "document.getElementById('ask-answer').dataset.state === 'answered'")
    regions = set(page.locator("#ask-answer tbody tr td:first-child").all_inner_texts())
    assert regions == {REGION}
    ask(site, page, "revenue in North America last year")
    rows = page.locator("#ask-answer tbody tr").all_inner_texts()
    assert all("North America" not in r for r in rows)
    assert not site.errors, "\n".join(site.errors)
