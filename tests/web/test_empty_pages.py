"""Before any data is loaded, every page opens without a console error and says what to do."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANALYSIS = ["overview", "sales", "customers", "reviews", "products", "forecasts", "monitor", "dashboards/new"]


def test_every_page_has_a_clear_empty_state(empty_site: Site) -> None:
    page = empty_site.login("admin")
    for path in ANALYSIS:
        empty_site.open(page, f"/{path}")
        assert "No data yet" in page.locator("#no-data").inner_text(), path
        assert "bizsight ingest" in page.locator("#no-data").inner_text(), path
        assert page.locator(".js-plotly-plot").count() == 0, path
    empty_site.shot(page, "empty-overview")
    empty_site.open(page, "/data")
    assert "No loads yet." in page.locator("[data-widget=loads]").inner_text()
    empty_site.open(page, "/dashboards")
    assert "No dashboards yet." in page.locator("[data-widget=dashboards]").inner_text()
    empty_site.open(page, "/settings")
    assert page.locator("[data-widget=users] tbody tr").count() == 1
    assert not empty_site.errors, "\n".join(empty_site.errors)
