"""Every command in README.md's shell blocks works as written.

The blocks run in order, as a reader follows them: from the directory `make demo` leaves (the
repository, holding demo-project/, here a small demo), changing directory where a block says
`cd`. Commands that keep running (`bizsight serve`, `bizsight demo`) are parsed with --help
instead; `make` lines are the set-up and the test suite themselves (tests/cli/test_serve_cli.py
checks what `make demo` runs).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"
KEEP_RUNNING = {"serve", "demo"}


def readme_commands(text: str) -> list[str]:
    """The commands of the ```sh blocks in order; a command goes on over lines while a double
    quote is open (python -c "..." with SQL on several lines).

    >>> readme_commands('x\\n```sh\\nbizsight status   # tables\\n\\npython -c "a\\nb"\\n```\\n')
    ['bizsight status   # tables', 'python -c "a\\nb"']
    """
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S):
        pending = ""
        for line in block.splitlines():
            if not pending and not line.strip():
                continue
            pending = f"{pending}\n{line}" if pending else line
            if pending.count('"') % 2 == 0:
                commands.append(pending)
                pending = ""
        assert not pending, f"unclosed quote in README.md: {pending}"
    return commands


def as_run(command: str) -> str | None:
    """What the test runs for a README command (None: not run)."""
    words = shlex.split(command, comments=True)
    if words[0] == "make":
        return None
    if words[0] == "bizsight" and words[1] in KEEP_RUNNING:
        return shlex.join([*words, "--help"])  # every option it names exists
    return command


@pytest.mark.slow
def test_every_readme_command_works_as_written(tmp_path: Path) -> None:
    made = run_cli("demo", "demo-project", "--customers", "300", "--no-serve", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) > 30 and any(c.startswith("bizsight analyze churn") for c in commands)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    cwd, failed = tmp_path, []
    for command in commands:
        words = shlex.split(command, comments=True)
        if words[0] == "cd":
            cwd = (cwd / words[1]).resolve()
            assert cwd.is_dir(), command
            continue
        script = as_run(command)
        if script is None:
            continue
        result = subprocess.run(
            ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0 or "Traceback" in result.stderr:
            failed.append(f"{command}\n  in {cwd}: exit {result.returncode}: {result.stderr.strip()[-500:]}")
    assert not failed, "README commands that fail:\n" + "\n".join(failed)
