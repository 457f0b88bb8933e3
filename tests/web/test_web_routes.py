"""The HTML routes without a browser: who gets which page, the login redirect, static files
from a fixed list (plotly.js from the plotly package), and page data that cannot break out of
its <script> element."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.services.users import add_user, restrict
from tests.demo_builds import TINY, DemoBuilds

PASSWORD = "a long test password"
PAGES = [
    "overview", "sales", "marketing", "pipeline", "customers", "reviews", "products", "market", "executive",
    "forecasts", "monitor", "data", "jobs", "dashboards", "reports", "settings",
]  # fmt: skip


@pytest.fixture(scope="module")
def app(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("webroutes")
    project = demo_builds.copy(TINY, root)  # the app holds the warehouse read-write
    store = MetadataStore.open(f"sqlite:///{root / 'app.db'}")
    for name, role in [("root", "admin"), ("ed", "editor"), ("vic", "viewer"), ("eu", "viewer")]:
        add_user(store, name, role, PASSWORD)
    restrict(store, catalogue(project), "eu", {"region": ["Europe"]})
    with TestClient(create_app(project, store=store)) as client:
        yield client
    store.close()


def logged_in(client: TestClient, username: str) -> TestClient:
    browser = TestClient(client.app)
    answer = browser.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200
    return browser


def boot(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_pages_send_a_visitor_without_a_session_to_the_login(app: TestClient) -> None:
    anonymous = TestClient(app.app)
    for name in PAGES:
        answer = anonymous.get(f"/{name}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=/{name}"
    login = anonymous.get("/login?next=//evil.example/")
    assert login.status_code == 200 and 'data-next="/"' in login.text  # no open redirect


EVIL_TARGETS = [
    "//evil.example/", "/%5Cevil.example", "/%255Cevil.example", "/%2F%2Fevil.example", "https://evil.example/",
    "javascript:alert(1)", "/%09/evil.example", "http:/evil.example", "evil.example",
]  # fmt: skip


def test_the_login_sends_back_only_to_paths_of_this_site(app: TestClient) -> None:
    anonymous = TestClient(app.app)
    for target in EVIL_TARGETS:
        assert 'data-next="/"' in anonymous.get("/login", params={"next": target}).text, target
    signed_in = logged_in(app, "vic")
    for target in EVIL_TARGETS:
        answer = signed_in.get("/login", params={"next": target}, follow_redirects=False)
        assert answer.headers["location"] == "/", target


def test_the_login_keeps_a_path_of_this_site_with_its_query(app: TestClient) -> None:
    login = TestClient(app.app).get("/login", params={"next": "/customers?segment=At Risk"})
    assert 'data-next="/customers?segment=At Risk"' in login.text


def test_each_role_opens_the_pages_its_permissions_allow(app: TestClient) -> None:
    expected = {
        "root": set(PAGES),
        "ed": set(PAGES),  # Settings shows editors the schedules only
        "vic": set(PAGES) - {"settings", "jobs"},
        "eu": set(PAGES) - {"settings", "data", "jobs"},  # unfiltered warehouse views are refused
    }
    for user, allowed in expected.items():
        browser = logged_in(app, user)
        statuses = {name: browser.get(f"/{name}").status_code for name in PAGES}
        assert {n for n, s in statuses.items() if s == 200} == allowed, user
        assert {n for n, s in statuses.items() if s == 403} == set(PAGES) - allowed, user
        nav = set(re.findall(r'data-nav="(\w+)"', browser.get("/dashboards").text))
        assert nav == allowed, user


def test_the_page_carries_the_csrf_token_and_the_data_bounds(app: TestClient) -> None:
    browser = logged_in(app, "ed")
    data = boot(browser.get("/sales").text)
    me = browser.get("/api/v1/auth/me").json()
    assert data["csrf"] == me["csrf_token"] and data["page"] == "sales"
    bounds = data["bounds"]
    assert isinstance(bounds, dict) and bounds["first"] < bounds["last"]


def test_page_data_cannot_close_its_script_element(app: TestClient) -> None:
    browser = logged_in(app, "root")
    html = browser.get("/customers/%3C!--%3Cscript%3Ealert(1)%3E").text
    assert "<script>alert(1)" not in html and "<!--" not in html
    assert boot(html)["params"] == {"customer_id": "<!--<script>alert(1)>"}


def test_static_files_come_from_a_fixed_list(app: TestClient) -> None:
    plotly = app.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and plotly.headers["content-type"].startswith("text/javascript")
    assert len(plotly.content) > 1_000_000  # the whole plotly.js bundle, not a CDN link
    assert app.get("/static/app.css").headers["content-type"].startswith("text/css")
    for name in ["..%2F..%2Fpyproject.toml", "routes.py", "base.html", "nothing.js"]:
        assert app.get(f"/static/{name}").status_code == 404, name


def test_an_empty_project_opens_with_no_data_bounds(tmp_path: Path) -> None:
    project = Project(tmp_path / "empty")
    project.init()
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "root", "admin", PASSWORD)
    with TestClient(create_app(project, store=store)) as client:
        browser = logged_in(client, "root")
        for name in PAGES:
            answer = browser.get(f"/{name}")
            assert answer.status_code == 200, name
            assert boot(answer.text)["bounds"] == {"first": None, "last": None}
    store.close()


def test_every_answer_carries_the_security_headers(app: TestClient) -> None:
    browser = logged_in(app, "root")
    answers = [
        browser.get("/overview"),
        browser.get("/login"),
        browser.get("/static/app.js"),
        browser.get("/api/v1/catalogue"),
        browser.get("/api/v1/dashboards/999"),  # an error answer too
        TestClient(app.app).get("/api/v1/catalogue"),
    ]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in answer.headers  # secure_cookies is off


def test_pages_hold_no_inline_script(app: TestClient) -> None:
    browser = logged_in(app, "root")
    for name in [*PAGES, "login"]:
        html = browser.get(f"/{name}").text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (name, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), name  # no inline event handlers
