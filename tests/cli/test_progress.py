"""Progress on the steps that take long: `analyze churn` (minutes on a large project) and
`analyze clv` report what they are doing, to the reporter of whoever called them: the CLI's
(step lines on stderr when it is not a terminal) or, through the server, the client's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bizsight.services.analyze import analyze_churn_for
from bizsight.services.project import Project
from tests.helpers import run_cli, serving

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

CHURN_STEPS = ("features at", "fitting on", "evaluating on the holdout", "permutation importance", "scoring")


class Recorder:
    """A reporter that keeps every call."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[object, ...]]] = []

    def step(self, message: str) -> None:
        self.events.append(("step", (message,)))

    def advance(self, done: float, total: float, message: str = "") -> None:
        self.events.append(("advance", (done, total, message)))

    def warn(self, message: str) -> None:
        self.events.append(("warn", (message,)))


def test_analyze_churn_reports_each_step(small_demo: Project) -> None:
    recorder = Recorder()
    report = analyze_churn_for(small_demo, reporter=recorder)
    assert report["scored"] > 0
    advances = [args for kind, args in recorder.events if kind == "advance"]
    messages = " | ".join(str(message) for _, _, message in advances)
    for step in CHURN_STEPS:
        assert step in messages
    done = [float(d) / float(t) for d, t, _ in advances]  # type: ignore[arg-type]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 1  # forward, from start to end
    assert not [e for e in recorder.events if e[0] == "warn"]


def test_the_cli_shows_the_steps_of_analyze_churn_and_clv(small_demo: Project) -> None:
    churn = run_cli("analyze", "churn", "-p", str(small_demo.root))
    assert churn.returncode == 0, churn.stderr
    lines = [line for line in churn.stderr.splitlines() if line.startswith("analyzing churn: ")]
    assert len(lines) >= len(CHURN_STEPS)
    for step in CHURN_STEPS:
        assert any(step in line for line in lines), (step, churn.stderr)
    clv = run_cli("analyze", "clv", "-p", str(small_demo.root))
    assert clv.returncode == 0, clv.stderr
    assert "analyzing lifetime value: fitting BG/NBD and Gamma-Gamma on" in clv.stderr
    quiet = run_cli("analyze", "churn", "--json", "-p", str(small_demo.root))
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr  # --json: the answer only
    assert json.loads(quiet.stdout)["scored"] > 0


def test_progress_of_a_command_the_server_runs_reaches_the_client(served_demo: Project) -> None:
    with serving(served_demo):
        sent = run_cli("analyze", "churn", "-p", str(served_demo.root))
    assert sent.returncode == 0, sent.stderr
    assert "sent to the bizsight server" in sent.stderr
    for step in CHURN_STEPS:
        assert f"analyzing churn: {step}" in sent.stderr, sent.stderr


def on_a_terminal(*args: str) -> tuple[int, str]:
    """The command's exit code and what it drew on stderr, when stderr is a terminal."""
    master, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bizsight", *args],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "200"},
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the command closed its end
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return process.wait(timeout=300), drawn.decode(errors="replace")


def test_on_a_terminal_long_commands_draw_a_progress_bar(small_demo: Project) -> None:
    code, drawn = on_a_terminal("analyze", "churn", "-p", str(small_demo.root))
    assert code == 0, drawn
    assert "analyzing churn" in drawn and "permutation importance" in drawn
    # forecast's service reports no steps: an animated bar with what it is doing and the time
    code, drawn = on_a_terminal("forecast", "revenue", "-p", str(small_demo.root))
    assert code == 0, drawn
    assert "forecasting" in drawn and "the stored forecast, or one made now" in drawn
