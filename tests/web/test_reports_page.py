"""The Reports page in chromium: add a report, preview it, send it now to an aiosmtpd server
started here, see the delivery in the log; a viewer subscribes to a dashboard from its page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bizsight.services.project import Project
from bizsight.services.users import add_user, open_store
from tests.delivery.conftest import smtp_server  # noqa: F401  (the loopback SMTP server)
from tests.delivery.delivery_support import SmtpServer
from tests.metrics.conftest import shop
from tests.reports.report_support import channels_yaml, copy_shop, serving_reports
from tests.web.conftest import PASSWORD, Site, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def reports_site(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: Callable[..., SmtpServer],  # noqa: F811
    chromium: Any,
) -> Iterator[tuple[Site, SmtpServer]]:
    smtp = smtp_server(refusals=["451 4.3.0 busy, try again"])
    project = copy_shop(shop(tmp_path / "built"), tmp_path / "shop", channels_yaml(smtp_port=smtp.port))
    store = open_store(project)
    add_user(store, "admin", "admin", PASSWORD)
    add_user(store, "vic@example.com", "viewer", PASSWORD)
    store.close()
    with serving_reports(Project(project.root), admin_password=PASSWORD) as served:
        yield Site(served.base, project, screenshots(tmp_path_factory), chromium), smtp


def test_a_report_added_previewed_and_sent_from_the_page_is_in_the_log(
    reports_site: tuple[Site, SmtpServer],
) -> None:
    site, smtp = reports_site
    page = site.login("admin")
    site.open(page, "/reports")
    assert "No reports yet" in page.locator("[data-widget=reports]").inner_text()
    page.fill("#r-name", "weekly")
    page.select_option("#r-template", "sales")
    page.select_option("#r-range", "last_90_days")
    page.check(".r-format[value=xlsx]")
    page.fill("#r-to", "mail:ceo@example.com")
    page.select_option("#r-when", "weekly on monday at 07:00")
    page.fill("#r-timezone", "Europe/Berlin")
    page.click("#r-add")
    row = page.locator("#report-list tr[data-report=weekly]")
    row.wait_for()
    assert "mail:ceo@example.com" in row.inner_text() and "pdf, xlsx" in row.inner_text()
    assert "At 07:00 on Monday" in row.locator(".schedule").inner_text()
    assert "Europe/Berlin" in row.locator(".schedule").inner_text()

    row.locator("button.preview").click()
    frame = page.frame_locator("#preview-frame")
    frame.locator("text=Sales performance").first.wait_for()
    assert "By region" in frame.locator("body").inner_text()

    row.locator("button.send-now").click()
    page.locator("#report-status", has_text="succeeded").wait_for(timeout=60_000)  # no eval under the CSP
    assert "1 sent, 0 failed" in page.locator("#report-status").inner_text()
    log = page.locator("#delivery-log tbody tr")
    log.first.wait_for()  # the log is drawn again after the status says succeeded
    assert log.count() == 1
    cells = log.first.inner_text()
    assert "ceo@example.com" in cells and "sent" in cells and "451" in cells
    assert log.first.locator(".attempts").inner_text() == "2"
    assert "sent" in page.locator("#report-list tr[data-report=weekly] .last-run").inner_text()
    assert len(smtp.mailbox.received) == 1 and smtp.mailbox.received[0]["To"] == "ceo@example.com"
    site.shot(page, "reports")

    # A viewer subscribes to a dashboard shared with viewers; the report is theirs, to their address.
    dashboard = page.evaluate(
        "() => Bizsight.api('POST', '/api/v1/dashboards', {title: 'Shared', share_roles: ['viewer'],"
        " widgets: [{id: 'k', type: 'kpi', query: {metrics: ['revenue']}}]})"
    )
    viewer = site.login("vic@example.com")
    site.open(viewer, f"/dashboards/{dashboard['id']}")
    viewer.click("#d-subscribe")
    viewer.locator("#subscribe-status", has_text="Subscribed").wait_for()
    site.open(viewer, "/reports")
    mine = viewer.locator("#report-list tbody tr")
    assert mine.count() == 1 and "vic@example.com" in mine.first.inner_text()
    assert viewer.locator("#report-form").count() == 0  # viewers subscribe; they do not define reports
    assert not site.errors, "\n".join(site.errors)
