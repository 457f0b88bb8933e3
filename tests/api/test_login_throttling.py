"""Login throttling that holds: per account (a growing delay, then a lock), per client address
(believed from X-Forwarded-For only behind a trusted proxy), and one password across accounts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.errors import RateLimitedError
from bizsight.server import create_app
from bizsight.services.login_guard import LoginGuard
from bizsight.services.project import Project
from bizsight.services.users import add_user, audit_log
from tests.helpers import serving

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

PASSWORD = "a long test password"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(clock: Clock, **overrides: float) -> LoginGuard:
    settings = {"per_minute": 1000, "lock_after": 5, "lock_minutes": 15, "spray_accounts": 4, **overrides}
    return LoginGuard(clock=clock, **settings)  # type: ignore[arg-type]


def test_each_failure_makes_the_account_wait_longer_then_locks_it() -> None:
    clock, waits = Clock(), []
    g = guard(clock)
    for _ in range(4):
        g.check("1.1.1.1", "ana", "x")
        g.failed("1.1.1.1", "ana", "x")
        with pytest.raises(RateLimitedError) as refused:
            g.check("2.2.2.2", "Ana", "y")  # another address, the same account (names fold case)
        waits.append(refused.value.retry_after)
        clock.now += refused.value.retry_after
    assert waits == [1, 2, 4, 8]
    g.check("1.1.1.1", "ana", "x")
    assert g.failed("1.1.1.1", "ana", "x") == ["account_locked"]
    with pytest.raises(RateLimitedError, match="locked for 15 min 0 s") as locked:
        g.check("3.3.3.3", "ana", PASSWORD)
    assert locked.value.retry_after == 900
    clock.now += 900
    g.check("3.3.3.3", "ana", PASSWORD)  # the lock has passed


def test_a_success_clears_the_account() -> None:
    clock = Clock()
    g = guard(clock)
    g.failed(None, "ana", "x")
    clock.now += 1
    g.succeeded("ana")
    g.check(None, "ana", PASSWORD)
    g.failed(None, "ana", "x")
    with pytest.raises(RateLimitedError) as refused:
        g.check(None, "ana", "x")
    assert refused.value.retry_after == 1  # counted from the start again


def test_one_password_tried_on_many_accounts_is_refused_everywhere() -> None:
    clock = Clock()
    g = guard(clock)
    events = [g.failed("1.1.1.1", f"user{n}", "Winter2026!") for n in range(4)]
    assert events == [[], [], [], ["password_spray"]]
    with pytest.raises(RateLimitedError, match="tried on many accounts"):
        g.check("9.9.9.9", "someone-else", "Winter2026!")
    g.check("9.9.9.9", "someone-else", "a different password")
    clock.now += 15 * 60
    g.check("9.9.9.9", "someone-else", "Winter2026!")


def test_a_client_address_has_its_own_budget_across_accounts() -> None:
    g = guard(Clock(), per_minute=3)
    for n in range(3):
        g.check("1.1.1.1", f"user{n}", "x")
    with pytest.raises(RateLimitedError, match="from this address"):
        g.check("1.1.1.1", "user9", "x")
    g.check("2.2.2.2", "user9", "x")


def test_a_locked_account_is_a_clear_429_and_an_audit_entry(tmp_path: Path) -> None:
    project = Project(tmp_path / "shop")
    project.init()
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "ana", "viewer", PASSWORD)
    clock = Clock()
    with TestClient(create_app(project, store=store)) as client:
        client.app.state.bizsight.login_guard = guard(clock, lock_after=3)  # type: ignore[attr-defined]
        for _ in range(3):
            answer = client.post("/api/v1/auth/login", json={"username": "ana", "password": "wrong one"})
            assert answer.status_code == 401
            clock.now += 60
        locked = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
        assert locked.status_code == 429
        assert (
            locked.json()["error"]["message"]
            == "too many failed logins for this account; it is locked for 14 min 0 s"
        )
        assert locked.headers["retry-after"] == "840"
    assert [e["actor"] for e in audit_log(store, limit=10, action="account_locked")] == ["ana"]
    store.close()


def served_project(tmp_path: Path, server: str = "") -> Project:
    project = Project(tmp_path / "shop")
    project.init()
    if server:
        with project.paths.config_file.open("a", encoding="utf-8") as handle:
            handle.write(f"server:\n{server}")
    return Project(project.root)


def test_a_forged_forwarded_for_does_not_escape_the_limits(tmp_path: Path) -> None:
    """Issue 14: twelve wrong passwords, each with a new X-Forwarded-For, all got 401."""
    with serving(served_project(tmp_path)) as served, httpx.Client(base_url=served.base) as http:
        statuses = [
            http.post(
                "/api/v1/auth/login",
                json={"username": "admin", "password": f"wrong password {n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(12)
        ]
        assert statuses[0] == 401 and set(statuses[1:]) == {429}
        other_accounts = [
            http.post(
                "/api/v1/auth/login",
                json={"username": f"nobody{n}", "password": f"guess {n}"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            )
            for n in range(40)
        ]
        refused = [a for a in other_accounts if a.status_code == 429]
        assert refused and all("from this address" in a.json()["error"]["message"] for a in refused)
        assert all(int(a.headers["retry-after"]) >= 1 for a in refused)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(tmp_path: Path) -> None:
    project = served_project(tmp_path, "  trusted_proxies: [127.0.0.1]\n  login_per_minute: 3\n")
    with serving(project) as served, httpx.Client(base_url=served.base) as http:

        def attempt(n: int, address: str) -> int:
            body = {"username": f"nobody{n}", "password": f"guess {n}"}
            return http.post(
                "/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address}
            ).status_code

        assert [attempt(n, "203.0.113.7") for n in range(4)] == [401, 401, 401, 429]
        assert [attempt(n, f"198.51.100.{n}") for n in range(4, 10)] == [401] * 6  # each its own budget


def test_https_deployments_get_strict_transport_security(tmp_path: Path) -> None:
    project = served_project(tmp_path, "  secure_cookies: true\n")
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    with TestClient(create_app(project, store=store)) as client:
        answer = client.get("/login")
        assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    store.close()
