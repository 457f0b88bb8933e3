"""The real server: `bizsight serve` on a free loopback port, logged into over HTTP; while it
runs, it owns the warehouse and other commands go through it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.demo_builds import TINY, DemoBuilds
from tests.helpers import run_cli, serving

ADMIN_PASSWORD = "served admin password"


@pytest.mark.slow
def test_serve_answers_over_http_and_owns_the_warehouse(demo_builds: DemoBuilds, tmp_path: Path) -> None:
    project = demo_builds.copy(TINY, tmp_path)
    with serving(project, admin_password=ADMIN_PASSWORD) as served:
        with httpx.Client(base_url=served.base) as client:
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
        server_file = project.paths.state_dir / "server.json"
        assert server_file.stat().st_mode & 0o077 == 0  # its token: for the server's user only
    assert served.process.returncode == 0
    out, err = served.output
    assert ADMIN_PASSWORD not in out + err  # taken from the environment, never echoed
    assert served.base in out
    assert not server_file.exists()  # withdrawn when the server stopped
