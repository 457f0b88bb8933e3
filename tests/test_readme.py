"""Every command in README.md's shell blocks works as written.

The blocks run in order, as a reader follows them: from the directory `make demo` leaves (the
repository, holding demo-project/, here a small demo), changing directory where a block says
`cd`. Commands that keep running (`bizsight serve`, `bizsight demo`) are parsed with --help
instead; `make` lines are the set-up and the test suite themselves (tests/cli/test_serve_cli.py
checks what `make demo` runs). A line that is one `bizsight` command and nothing the shell would
act on runs as the other command-line tests run theirs (tests/cli_zygote.py: a process of its own,
the entry point of `python -m bizsight`); every other line runs in bash.
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


def plain_bizsight(command: str) -> list[str] | None:
    """The arguments of a line that is only ``bizsight ARGS``: no pipe, redirection, list,
    variable, substitution or pattern for a shell to act on (None otherwise).

    >>> plain_bizsight("bizsight query revenue --by 'sales region'   # by region")
    ['query', 'revenue', '--by', 'sales region']
    >>> [plain_bizsight(c) for c in ("bizsight query x > out.csv", "bizsight a && ls", "ls", "bizsight $X")]
    [None, None, None, None]
    """
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, "#"
    words = list(lexer)
    if words[:1] != ["bizsight"] or any(ch in command for ch in "$`*?[~"):
        return None
    if any(word and set(word) <= set(lexer.punctuation_chars) for word in words):
        return None
    return words[1:]


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
        args = plain_bizsight(script)
        if args is not None:
            result = run_cli(*args, cwd=cwd, env=env, timeout=600)
        else:
            result = subprocess.run(
                ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
            )
        if result.returncode != 0 or "Traceback" in result.stderr:
            failed.append(f"{command}\n  in {cwd}: exit {result.returncode}: {result.stderr.strip()[-500:]}")
    assert not failed, "README commands that fail:\n" + "\n".join(failed)
