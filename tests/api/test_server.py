"""The real server: `bizsight serve` on a free loopback port, logged into over HTTP; while it
runs, it owns the warehouse and other commands go through it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import demo_project, free_port, run_cli, wait_for

ADMIN_PASSWORD = "served admin password"


@pytest.mark.slow
def test_serve_answers_over_http_and_owns_the_warehouse(tmp_path: Path) -> None:
    project = demo_project(tmp_path, customers=120, years=1.0, seed=3)
    port = free_port()
    env = {**os.environ, "BIZSIGHT_ADMIN_PASSWORD": ADMIN_PASSWORD, "COLUMNS": "200"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bizsight", "serve", "--port", str(port), "--project", str(project.root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server)
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            assert login.status_code == 200
            csrf = login.json()["csrf_token"]
            answer = client.post(
                "/api/v1/query", json={"metrics": ["orders"]}, headers={"X-CSRF-Token": csrf}
            )
            assert answer.status_code == 200 and answer.json()["rows"][0]["orders"] > 0
            assert client.get("/api/v1/docs").status_code == 200
        other = run_cli("query", "orders", "--project", str(project.root))  # sent to the owner
        assert other.returncode == 0 and "sent to the bizsight server" in other.stderr
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert ADMIN_PASSWORD not in out + err  # taken from the environment, never echoed
    assert f"http://127.0.0.1:{port}" in out


@pytest.mark.slow
def test_demo_without_serving_returns_after_the_report(tmp_path: Path) -> None:
    result = run_cli("demo", str(tmp_path / "demo"), "--customers", "200", "--no-serve", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "bizsight metrics -p" in result.stdout and "Ctrl-C" not in result.stdout
