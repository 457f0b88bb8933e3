"""Loading data from the browser: an editor uploads files on the Data page with the file picker,
follows the job to its end and opens a load's quality report; the Jobs page lists the job; a
viewer sees no upload area and the API refuses them; schedules are managed in Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bizsight.services.project import Project
from bizsight.services.users import add_user, open_store
from tests.helpers import CUSTOMER_HEADER, PRODUCT_HEADER, customers, products, write_csv
from tests.web.conftest import PASSWORD, Site, browsing, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERS = {"admin": "admin", "ed": "editor", "vic": "viewer"}


@pytest.fixture(scope="module")
def load_site(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Site]:
    """An empty project (so every row is one uploaded here), served, with USERS."""
    project = Project(tmp_path_factory.mktemp("loading") / "shop")
    project.init()
    store = open_store(project)
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)
    store.close()
    with browsing(project, screenshots(tmp_path_factory), chromium) as found:
        yield found


@pytest.fixture(scope="module")
def upload_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("to-upload")
    bad = ["", "No Id", "x@example.com", "2024-01-01", "Consumer", "Europe", "Germany", "Email"]
    return [
        write_csv(folder / "customer_database.csv", CUSTOMER_HEADER, [*customers(3), bad]),
        write_csv(folder / "product_catalog.csv", PRODUCT_HEADER, products(2)),
    ]


def test_an_editor_uploads_files_and_reads_the_result(load_site: Site, upload_files: list[Path]) -> None:
    page = load_site.login("ed")
    load_site.open(page, "/data")
    assert "200 MB" in page.locator("#upload-area").inner_text()  # the limit is shown
    page.set_input_files("#upload-input", [str(p) for p in upload_files])
    page.wait_for_selector("#job-result .job-result[data-state=succeeded]", timeout=60_000)
    rows = {
        row.get_attribute("data-file"): row.inner_text()
        for row in page.locator("#job-result tr[data-file]").all()
    }
    assert set(rows) == {"customer_database.csv", "product_catalog.csv"}
    read, loaded, quarantined, duplicates = rows["customer_database.csv"].split("\t")[2:6]
    assert (read, loaded, quarantined, duplicates) == ("4", "3", "1", "0")
    assert (
        page.locator("tr[data-file='customer_database.csv'] .reasons").inner_text() == "missing_required: 1"
    )
    page.locator("tr[data-file='customer_database.csv'] .quality-link").click()
    page.wait_for_selector("#job-result .quality-report table")
    report = page.locator("#job-result .quality-report").inner_text()
    assert "read 4" in report and "quarantined 1" in report and "invariant holds" in report
    load_site.shot(page, "data-upload")
    load_site.until(page, "document.querySelectorAll('[data-widget=loads] tbody tr').length === 2")

    page.click("#refresh-now")
    page.wait_for_selector(
        "#job-result .job-result[data-state=succeeded]:has-text('Refresh')", timeout=120_000
    )
    assert not load_site.errors, "\n".join(load_site.errors)


def test_files_dropped_on_the_upload_area_are_loaded(load_site: Site, upload_files: list[Path]) -> None:
    page = load_site.login("ed")
    load_site.open(page, "/data")
    text = upload_files[1].read_text(encoding="utf-8")  # product_catalog.csv, loaded before
    page.evaluate(
        """(text) => {
            const files = new DataTransfer();
            files.items.add(new File([text], "product_catalog.csv", { type: "text/csv" }));
            const zone = document.getElementById("upload-area");
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: files, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
        }""",
        text,
    )
    page.wait_for_selector("#job-result .job-result[data-state=succeeded]", timeout=60_000)
    row = page.locator("#job-result tr[data-file='product_catalog.csv']").inner_text()
    assert row.split("\t")[2:4] == ["2", "0"]  # read 2, loaded 0: the same file again changes nothing
    assert not load_site.errors, "\n".join(load_site.errors)


def test_the_jobs_page_lists_the_jobs(load_site: Site) -> None:
    page = load_site.login("ed")
    assert page.locator("nav [data-nav=jobs]").count() == 1
    load_site.open(page, "/jobs")
    page.wait_for_selector("#jobs-list tr[data-job]")
    jobs = page.evaluate("Bizsight.api('GET', '/api/v1/jobs')")["jobs"]
    ingest = [j for j in jobs if j["kind"] == "ingest"][-1]  # the first: both files by the picker
    row = page.locator(f"#jobs-list tr[data-job='{ingest['id']}']")
    assert row.get_attribute("data-state") == "succeeded" and "Load files" in row.inner_text()
    assert "ed · web" in row.inner_text()
    row.click()
    page.wait_for_selector("[data-widget=job-detail] tr[data-file='customer_database.csv']")
    load_site.shot(page, "jobs")
    assert not load_site.errors, "\n".join(load_site.errors)


def test_a_viewer_sees_no_loading_controls_and_is_refused(load_site: Site, upload_files: list[Path]) -> None:
    page = load_site.login("vic")
    load_site.open(page, "/data")
    assert page.locator("#upload-area").count() == 0 and page.locator("#refresh-now").count() == 0
    assert page.locator("nav [data-nav=jobs]").count() == 0
    assert page.locator("nav [data-nav=settings]").count() == 0
    csrf = page.evaluate("Bizsight.boot.csrf")
    path = upload_files[0]
    refused = page.request.post(
        load_site.base + "/api/v1/ingest",
        headers={"X-CSRF-Token": csrf},
        multipart={"files": {"name": path.name, "mimeType": "text/csv", "buffer": path.read_bytes()}},
    )
    assert refused.status == 403
    assert page.request.get(load_site.base + "/api/v1/jobs").status == 403
    response = page.goto(load_site.base + "/jobs")
    assert response is not None and response.status == 403
    assert "may not open Jobs" in page.locator("#denied").inner_text()
    # the browser logs the 403 of that page as a console error: expected here, not a fault
    assert [e for e in load_site.errors if "403" not in e] == []
    load_site.errors.clear()


def test_an_editor_manages_schedules_in_settings(load_site: Site) -> None:
    page = load_site.login("ed")
    assert page.locator("nav [data-nav=settings]").count() == 1
    load_site.open(page, "/settings")
    page.wait_for_selector("[data-widget=schedules]")
    assert page.locator("[data-widget=users]").count() == 0  # users stay with admins
    page.fill("#s-name", "nightly")
    page.select_option("#s-preset", "0 2 * * *")
    page.fill("#s-timezone", "Europe/Berlin")
    page.click("#schedule-form button[type=submit]")
    row = page.locator("tr[data-schedule=nightly]")
    row.wait_for()
    assert "0 2 * * *" in row.inner_text() and "Europe/Berlin" in row.inner_text()
    load_site.shot(page, "settings-schedules")
    row.locator(".toggle-schedule").click()
    page.wait_for_selector("tr[data-schedule=nightly] .toggle-schedule:has-text('Enable')")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-schedule=nightly] .remove-schedule").click()
    page.wait_for_selector("tr[data-schedule=nightly]", state="detached")
    assert not load_site.errors, "\n".join(load_site.errors)


def test_an_admin_lists_backups_in_settings(load_site: Site) -> None:
    folder = load_site.project.paths.state_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bizsight-backup-20260101T000000Z.tar").write_bytes(b"x" * 2048)
    page = load_site.login("admin")
    load_site.open(page, "/settings")
    page.wait_for_selector("[data-widget=backups] tbody tr")
    assert "bizsight-backup-20260101T000000Z.tar" in page.locator("[data-widget=backups]").inner_text()
    assert (
        page.locator("[data-widget=users]").count() == 1
        and page.locator("[data-widget=schedules]").count() == 1
    )
    editor = load_site.login("ed")
    load_site.open(editor, "/settings")
    assert editor.locator("[data-widget=backups]").count() == 0
    assert not load_site.errors, "\n".join(load_site.errors)
