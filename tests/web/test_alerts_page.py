"""Alerts on the KPI monitor page, in Chromium against a real `bizsight serve`: an editor adds a
rule with the form and sees it listed; a refresh triggers it (a real webhook receiver gets it);
the page shows its state and last value, tests it without sending, a viewer acknowledges it and
reads its history, and the editor removes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bizsight.services.users import add_user, open_store
from tests.alerts.alert_support import recent_shop, settings
from tests.delivery.delivery_support import Receiver, receiving
from tests.helpers import run_cli
from tests.web.conftest import PASSWORD, Site, browsing, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


@pytest.fixture(scope="module")
def alert_site(tmp_path_factory: pytest.TempPathFactory, hook: Receiver, chromium: Any) -> Iterator[Site]:
    """A shop with $30.00 of revenue in the last 30 days and a webhook channel, served."""
    project = recent_shop(tmp_path_factory.mktemp("alerts-page"), settings(hook))
    store = open_store(project)
    for name, role in {"ed": "editor", "vic": "viewer"}.items():
        add_user(store, name, role, PASSWORD)
    store.close()
    with browsing(project, screenshots(tmp_path_factory), chromium) as found:
        yield found


def test_an_alert_is_added_triggered_acknowledged_and_removed_on_the_monitor_page(
    alert_site: Site, hook: Receiver
) -> None:
    page = alert_site.login("ed")
    alert_site.open(page, "/monitor")
    page.wait_for_selector("#alert-form")
    page.fill("#alert-name", "low revenue")
    page.select_option("#alert-kind", "threshold")
    page.select_option("#alert-metric", "revenue")
    page.select_option("#alert-direction", "below")
    page.fill("#alert-value", "100")
    page.select_option("#alert-window", "last_30_days")
    page.select_option("#alert-severity", "high")
    page.fill("#alert-to", "ops:team")
    assert page.locator("#alert-compare").is_hidden()  # a threshold has nothing to compare with
    page.click("#alert-form button[type=submit]")
    row = page.locator("tr[data-alert='low revenue']")
    row.wait_for()
    assert row.locator("[data-status]").inner_text() == "ok"
    assert "after a refresh" in row.inner_text()

    refreshed = run_cli("refresh", "--project", str(alert_site.project.root))  # through the server
    assert refreshed.returncode == 0, refreshed.stderr
    for _ in range(300):
        if hook.accepted:
            break
        page.wait_for_timeout(100)
    assert [r.json()["subject"] for r in hook.accepted] == ["[HIGH] low revenue — triggered"]
    alert_site.open(page, "/monitor")
    row = page.locator("tr[data-alert='low revenue']")
    assert row.locator("[data-status]").inner_text() == "triggered"
    assert "$30.00" in row.inner_text() and "high" in row.inner_text()
    row.locator("[data-action=test]").click()
    page.wait_for_selector("#alerts-message:has-text('nothing was stored or sent')")
    assert "is $30.00, below $100.00" in page.locator("#alerts-message").inner_text()
    alert_site.shot(page, "monitor-alerts")

    viewer = alert_site.login("vic")
    alert_site.open(viewer, "/monitor")
    assert viewer.locator("#alert-form").count() == 0  # viewers acknowledge, they do not manage
    mine = viewer.locator("tr[data-alert='low revenue']")
    assert mine.locator("[data-action=remove]").count() == 0
    mine.locator("[data-action=ack]").click()
    viewer.wait_for_selector("tr[data-alert='low revenue'] [data-status=acknowledged]")
    viewer.locator("tr[data-alert='low revenue'] button:has-text('History')").click()
    viewer.wait_for_selector("#alert-history-table")
    history = viewer.locator("#alert-history-table").inner_text()
    assert "acknowledged by vic" in history and "ops:team sent" in history

    page.on("dialog", lambda dialog: dialog.accept())
    alert_site.open(page, "/monitor")
    page.locator("tr[data-alert='low revenue'] [data-action=remove]").click()
    page.wait_for_selector("tr[data-alert='low revenue']", state="detached")
    assert len(hook.accepted) == 1
    assert not alert_site.errors, "\n".join(alert_site.errors)
