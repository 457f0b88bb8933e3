"""A real server (`bizsight serve`) on a free loopback port over a small demo project, users of
each role (and one restricted to a region), and Debian's chromium driven by Playwright: one
server per module, one browser per test process (every login opens a context of its own, with
its own cookies and storage). Screenshots go to $BIZSIGHT_SCREENSHOTS (default: a
temporary directory, printed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.services.users import add_user, open_store, restrict
from scripts.screenshots import CHROMIUM as CHROMIUM_PATH
from scripts.screenshots import CHROMIUM_ARGS, log_in
from tests.demo_builds import WEB, DemoBuilds
from tests.helpers import free_port, wait_for

CHROMIUM = Path(CHROMIUM_PATH)
ARGS = CHROMIUM_ARGS
PASSWORD = "a long browser password"
REGION = "Europe"
USERS = {"admin": "admin", "ed": "editor", "vic": "viewer", "eu": "viewer"}  # eu: restricted to REGION


@dataclass
class Site:
    base: str
    project: Project
    shots: Path
    browser: Any
    errors: list[str] = field(default_factory=list)

    def login(self, username: str, *, width: int = 1280, height: int = 900) -> Any:
        """A fresh browser context logged in as ``username``; console errors are collected."""
        context = self.browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                self.errors.append(f"{page.url}: {m.type} {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return log_in(page, self.base, username, PASSWORD)

    def open(self, page: Any, path: str) -> None:
        page.goto(self.base + path)
        try:
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30_000)
        except Exception:
            self.shot(page, "failed-" + path.strip("/").replace("/", "-"))
            raise AssertionError(f"{path} never finished drawing: {self.errors}") from None

    def until(self, page: Any, expression: str, seconds: float = 30) -> None:
        """Wait until the page's ``expression`` is true. Polled from here: Playwright's own
        wait_for_function evaluates its text with eval() when it must poll, which the pages'
        Content-Security-Policy (no 'unsafe-eval') refuses — a widget still loading at
        data-ready then failed the test instead of being waited for."""
        deadline = time.monotonic() + seconds
        while not page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"{page.url}: still not true after {seconds} s: {expression}")
            page.wait_for_timeout(100)

    def shot(self, page: Any, name: str) -> Path:
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def _chromium() -> Any:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    return sync_playwright


@contextmanager
def serving(project: Project) -> Iterator[str]:
    """`bizsight serve` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bizsight", "serve", "--port", str(port), "--project", str(project.root)],
        env={**os.environ, "BIZSIGHT_ADMIN_PASSWORD": PASSWORD},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium, launched once for this test process (skipped, or under CI failed,
    before any module builds its project when it is missing)."""
    sync_playwright = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browsing(project: Project, shots: Path, browser: Any) -> Iterator[Site]:
    with serving(project) as base:
        yield Site(base, project, shots, browser)


def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shots = Path(os.environ.get("BIZSIGHT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {shots}")
    return shots


@pytest.fixture(scope="module")
def site(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Site]:
    """The demo project served, with USERS: each module its own copy of the session's build (the
    server holds the warehouse read-write; the tests add users, dashboards, reports)."""
    project = demo_builds.copy(WEB, tmp_path_factory.mktemp("web"))
    with project.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            "server:\n  queries_per_minute: 100000  # pages call a lot; limits have their own test\n"
        )
    store = open_store(project)
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)
    restrict(store, catalogue(project), "eu", {"region": [REGION]})
    store.close()
    with browsing(project, screenshots(tmp_path_factory), chromium) as found:
        yield found


@pytest.fixture(scope="module")
def empty_site(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Site]:
    """A project with no data yet, served; its first run creates `admin` with PASSWORD."""
    project = Project(tmp_path_factory.mktemp("empty") / "shop")
    project.init()
    with browsing(project, screenshots(tmp_path_factory), chromium) as found:
        yield found
