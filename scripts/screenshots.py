"""Screenshots of every page at 1,400 and 390 px wide, saved as docs/img/<page>-<width>.png.

    python scripts/screenshots.py [--out docs/img] [--project DIR] [--widths 1400 390]
    make screenshots

Builds a small demo project (1,500 customers, two years, 1 % dirty rows so that the quality report
and the quarantine have something to show) unless ``--project`` names a built one, serves it with
``bizsight serve`` on a free loopback port, logs in as admin in Debian's chromium (Playwright,
never ``playwright install``), saves a dashboard and runs a backup job so that the Dashboards and
Jobs pages are not empty, then saves a full-page PNG of each page. ``tests/web/test_layout.py``
visits the same pages (``PAGES``, ``prepare``, ``show``) to check that they fit.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--headless",
]
WIDTHS = (1400, 390)
PASSWORD = "a screenshot admin password"

# every page, by the name its files get; {customer} and {dashboard} come from prepare()
PAGES = {
    "overview": "/overview",
    "sales": "/sales",
    "marketing": "/marketing",
    "pipeline": "/pipeline",
    "customers": "/customers",
    "customer": "/customers/{customer}",
    "products": "/products",
    "reviews": "/reviews",
    "market": "/market",
    "executive": "/executive",
    "forecasts": "/forecasts",
    "monitor": "/monitor",
    "data": "/data",
    "jobs": "/jobs",
    "dashboards": "/dashboards",
    "dashboard": "/dashboards/{dashboard}",
    "reports": "/reports",
    "settings": "/settings",
}

# a dashboard with a widget of each kind, and the grains a time axis can have
DASHBOARD = {
    "title": "Screenshots",
    "description": "A widget of each kind.",
    "widgets": [
        {
            "id": "kpi",
            "type": "kpi",
            "title": "Revenue",
            "query": {"metrics": ["revenue"]},
            "layout": {"w": 3},
        },
        {
            "id": "week",
            "type": "line",
            "title": "Orders by week",
            "query": {"metrics": ["orders"], "grain": "week"},
            "layout": {"w": 9},
        },
        {
            "id": "quarter",
            "type": "heatmap",
            "title": "Revenue: region × quarter",
            "query": {"metrics": ["revenue"], "dimensions": ["region"], "grain": "quarter"},
            "layout": {"w": 6},
        },
        {
            "id": "category",
            "type": "bar",
            "title": "Revenue by category",
            "query": {"metrics": ["revenue"], "dimensions": ["category"], "order_by": ["-revenue"]},
            "layout": {"w": 6},
        },
        {
            "id": "table",
            "type": "table",
            "title": "Category and channel",
            "query": {
                "metrics": ["revenue", "orders", "average_order_value", "units"],
                "dimensions": ["category", "sales_channel"],
            },
            "layout": {"w": 12},
        },
    ],
}


def api(page: Any, method: str, path: str, body: object = None) -> Any:
    """Call the JSON API from a page of the app, with its session and CSRF token."""
    return page.evaluate(
        "([m, p, b]) => Bizsight.api(m, p, b === null ? undefined : b)", [method, path, body]
    )


def prepare(page: Any) -> dict[str, str]:
    """Give the pages something to show (a saved dashboard, a finished job); returns the values
    of the placeholders in PAGES."""
    dashboard = api(page, "POST", "/api/v1/dashboards", DASHBOARD)
    job = api(page, "POST", "/api/v1/backups")
    deadline = time.monotonic() + 120
    while api(page, "GET", f"/api/v1/jobs/{job['id']}")["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise RuntimeError("the backup job did not finish in 2 minutes")
        time.sleep(0.5)
    customer = api(page, "GET", "/api/v1/customers?sort=revenue&page_size=1")["customers"][0]
    return {"customer": customer["customer_id"], "dashboard": str(dashboard["id"])}


def show(page: Any, base: str, path: str) -> None:
    """Open ``path`` and wait until it has drawn everything (on Data: a load's quality report)."""
    page.goto(base + path)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    page.wait_for_load_state("networkidle")
    if path == "/data" and page.locator("[data-widget=loads] tbody tr").count():
        page.locator("[data-widget=loads] tbody tr").first.click()
        page.wait_for_selector("[data-widget=quality] table")
        page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # plotly's resize after the last card


def log_in(page: Any, base: str, username: str = "admin", password: str = PASSWORD) -> Any:
    """Log ``page`` in and wait until the Overview it lands on has drawn."""
    page.goto(f"{base}/login?next=/overview")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_url(f"{base}/overview")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    return page


def new_page(browser: Any, width: int) -> Any:
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def build_demo(root: Path) -> Path:
    """A small demo project in ``root/shop``, ingested and refreshed."""
    from bizsight.console import NullReporter
    from bizsight.demo import generate
    from bizsight.services.ingest import ingest
    from bizsight.services.project import Project
    from bizsight.services.refresh import refresh

    generate(root / "data", customers=1500, years=2.0, seed=11, dirty=0.01)
    project = Project(root / "shop")
    project.init()
    ingest(project, [root / "data"], NullReporter())
    refresh(project, NullReporter())
    return project.root


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """``bizsight serve`` over ``project`` on a free loopback port; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "bizsight", "serve", "--port", str(port), "--project", str(project)],
        env={**os.environ, "BIZSIGHT_ADMIN_PASSWORD": PASSWORD},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"bizsight serve did not start on {base}") from None
                time.sleep(0.3)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument(
        "--project",
        type=Path,
        help="a built project, which gets a dashboard and a backup (default: a new small demo)",
    )
    parser.add_argument("--password", default=PASSWORD, help="admin's password in --project")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        project = args.project or build_demo(Path(scratch))
        with serving(project) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            values = prepare(log_in(new_page(browser, WIDTHS[0]), base, password=args.password))
            for width in args.widths:
                page = log_in(new_page(browser, width), base, password=args.password)
                for name, path in PAGES.items():
                    show(page, base, path.format(**values))
                    target = args.out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"{target}  {target.stat().st_size // 1024} KiB")
                page.context.close()
            browser.close()


if __name__ == "__main__":
    main()
