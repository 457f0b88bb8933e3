"""The tests' `bizsight` runs, each forked from one interpreter that has already imported bizsight.

A test that runs the command line starts a new process, and most of what such a process costs is
Python importing DuckDB, SQLAlchemy, SQLGlot, Arrow, scikit-learn and statsforecast before the
command does anything: about a CPU second a run, hundreds of runs per suite. So each test worker
starts one interpreter (the zygote) that imports all of that once and then, per run, forks a
child: the child takes the run's working directory, environment, arguments and output files, and
calls the same entry point as ``python -m bizsight`` (``bizsight.cli.main``). It is a process of
its own that ends the way a real run does (its exit code, its atexit handlers, its output on
files); only the imports are shared. Tests whose subject is the interpreter itself (start-up
cost, README lines that use the shell, servers and signals) start real processes instead.

``BIZSIGHT_TEST_ZYGOTE=0`` turns this off: every run starts a fresh interpreter.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

# What a command imports on first use; the zygote imports them ahead (a missing one is skipped).
PRELOAD = (
    "bizsight.cli",
    "bizsight.services.refresh",
    "bizsight.services.ingest",
    "bizsight.services.query",
    "bizsight.services.forecast_views",
    "bizsight.services.churn",
    "bizsight.services.users",
    "bizsight.services.alerts",
    "bizsight.services.backup",
    "bizsight.services.reports",
    "bizsight.services.report_delivery",
    "weasyprint",
    "openpyxl",
    "bizsight.analytics.forecast_models",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.inspection",
    "statsforecast.models",
    "scipy.optimize",
    "scipy.special",
    "scipy.stats",
)

_ZYGOTE = r"""
import json, os, sys, time

requests, replies = os.dup(0), os.dup(1)
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 0)
os.dup2(devnull, 1)
for name in json.loads(sys.argv[1]):
    try:
        __import__(name)
    except ImportError:
        pass
MAIN = sys.modules["bizsight.cli"].__file__.replace("cli/__init__.py", "__main__.py")
# What is loaded now stays out of the children's garbage collections: a collection that walked it
# would touch, and so copy, every page the children share with this process.
import gc

gc.collect()
gc.freeze()


def reply(message):
    os.write(replies, (json.dumps(message) + "\n").encode())


def child(request):
    os.close(requests)
    os.close(replies)
    for name in request["imports"]:  # from the zygote's directory, where `tests` is found
        __import__(name)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = [MAIN, *request["args"]]
    from bizsight.cli import main

    main()  # SystemExit ends this process as it ends `python -m bizsight`: same code, same exit


pending = b""
while True:
    while b"\n" not in pending:
        chunk = os.read(requests, 65536)
        if not chunk:
            sys.exit(0)
        pending += chunk
    line, _, pending = pending.partition(b"\n")
    request = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(request)
        sys.exit(0)
    reply({"pid": pid})
    _, status = os.waitpid(pid, 0)
    reply({"status": os.waitstatus_to_exitcode(status)})
"""


class Zygote:
    """One pre-loaded interpreter of this test process; :meth:`run` is ``subprocess.run`` of
    ``python -m bizsight ARGS`` with captured text output."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending = b""
        self.log = tempfile.NamedTemporaryFile(prefix="bizsight-zygote-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, json.dumps(PRELOAD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(
        self,
        args: list[str],
        *,
        cwd: Path | None,
        env: dict[str, str],
        timeout: float,
        imports: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """``imports``: modules the child imports before the command (a test's own templates)."""
        command = [sys.executable, "-m", "bizsight", *args]
        with self.lock, tempfile.TemporaryDirectory(prefix="bizsight-run-") as scratch:
            out, err = Path(scratch) / "stdout", Path(scratch) / "stderr"
            request = {
                "args": args,
                "imports": list(imports),
                "cwd": str(cwd or Path.cwd()),
                "env": env,
                "stdout": str(out),
                "stderr": str(err),
            }
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            pid = self._reply(timeout=60)["pid"]
            try:
                status = self._reply(timeout=timeout)["status"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._reply(timeout=60)
                raise subprocess.TimeoutExpired(command, timeout, _text(out), _text(err)) from None
            return subprocess.CompletedProcess(command, status, _text(out), _text(err))

    def _reply(self, timeout: float) -> dict[str, int]:
        """The zygote's next reply line (read from the pipe itself: a buffered reader could hold
        a second line where select cannot see it)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self.pending:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired("bizsight zygote", timeout)
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the test zygote ended; its log: {self.log.name}")
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        found: dict[str, int] = json.loads(line)
        return found

    def close(self) -> None:
        if self.alive():
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
        if self.process.returncode == 0:  # a zygote that failed keeps its log
            Path(self.log.name).unlink(missing_ok=True)


def _text(path: Path) -> str:
    """A file's text as ``subprocess.run(text=True)`` would give it (universal newlines)."""
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


_zygote: Zygote | None = None


def zygote() -> Zygote | None:
    """This test process's zygote (started on first use), or None when turned off."""
    global _zygote
    if os.environ.get("BIZSIGHT_TEST_ZYGOTE") == "0":
        return None
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote
