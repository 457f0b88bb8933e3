"""`bizsight serve` and `bizsight demo` on a port another process listens on: one line naming the
port and --port, before anything is printed or created; and `make demo PORT=...` passes it on."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_cli import assert_one_line_error

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port a real socket listens on for the test's duration."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_serve_on_a_busy_port_says_so_before_anything_else(tmp_path: Path, busy_port: int) -> None:
    project = tmp_path / "shop"
    assert run_cli("init", str(project)).returncode == 0
    before = sorted(p.name for p in (project / ".bizsight").iterdir())
    result = run_cli("serve", "--port", str(busy_port), "-p", str(project), timeout=60)
    assert_one_line_error(result, f"Port {busy_port} on 127.0.0.1 is in use", "--port")
    assert result.stdout == ""  # no admin password, no banner
    assert "Errno" not in result.stderr
    assert sorted(p.name for p in (project / ".bizsight").iterdir()) == before  # no app.db, no admin


def test_demo_on_a_busy_port_stops_before_generating(tmp_path: Path, busy_port: int) -> None:
    result = run_cli(
        "demo", str(tmp_path / "demo"), "--customers", "50", "--port", str(busy_port), timeout=60
    )
    assert_one_line_error(result, f"Port {busy_port} on 127.0.0.1 is in use", "--port")
    assert result.stdout == ""
    assert not (tmp_path / "demo").exists()


def test_make_demo_passes_the_port() -> None:
    result = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    demo_line = next(line for line in result.stdout.splitlines() if "bizsight demo" in line)
    assert "--port 8123" in demo_line


def test_an_address_this_machine_does_not_have_is_one_line_too(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    assert run_cli("init", str(project)).returncode == 0
    result = run_cli("serve", "--host", "203.0.113.7", "--port", "8000", "-p", str(project), timeout=60)
    assert_one_line_error(result, "cannot listen on 203.0.113.7:8000", "--host")  # TEST-NET-3: nobody's
    assert result.stdout == ""
