"""Helpers for tests: small canonical files and the CLI in a subprocess."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bizsight.services.project import Project
from bizsight.warehouse.model import CUSTOMERS, ORDER_LINES, PRODUCTS

CUSTOMER_HEADER = list(CUSTOMERS.column_names)
PRODUCT_HEADER = list(PRODUCTS.column_names)
# The default export's columns: order lines without the optional product_name and country.
ORDER_HEADER = [name for name in ORDER_LINES.column_names if name not in ("product_name", "country")]


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def customers(n: int = 3) -> list[list[object]]:
    return [
        [
            f"C{i}",
            f"Name {i}",
            f"c{i}@example.com",
            "2024-01-0" + str(i % 9 + 1),
            "Consumer",
            "Europe",
            "Germany",
            "Email",
        ]
        for i in range(1, n + 1)
    ]


def products(n: int = 2) -> list[list[object]]:
    return [[f"P{i}", f"Product {i}", "Home", f"{10 * i}.00", f"{4 * i}.00", 5] for i in range(1, n + 1)]


def order(
    order_id: str,
    customer: str = "C1",
    product: str = "P1",
    *,
    date: str = "2024-02-01 10:00:00",
    quantity: object = 1,
    price: object = "10.00",
    total: object = "",
    discount: object = "0",
    status: str = "completed",
) -> list[object]:
    return [
        order_id,
        customer,
        product,
        date,
        quantity,
        price,
        total,
        discount,
        "Europe",
        "Home",
        "online",
        status,
        "USD",
    ]


def starting_bizsight(imports: Sequence[str] = ()) -> list[str]:
    """The interpreter's arguments that start ``bizsight`` after importing ``imports``.

    >>> starting_bizsight()
    ['-m', 'bizsight']
    >>> starting_bizsight(["tests.x"])[1].split(";")[0]
    'import sys, tests.x'
    """
    if not imports:
        return ["-m", "bizsight"]
    return [
        "-c",
        f"import sys, {', '.join(imports)}; from bizsight.cli import main; sys.argv[0] = 'bizsight'; main()",
    ]


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    imports: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """The real ``bizsight`` command in a process of its own, as a user runs it: forked from
    the test worker's pre-loaded interpreter (tests/cli_zygote.py), or ``python -m bizsight``.
    ``imports``: test modules the process imports first (one that adds a report template)."""
    from tests.cli_zygote import zygote

    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    forker = zygote()
    if forker is not None:
        return forker.run(list(args), cwd=cwd, env=full_env, timeout=timeout, imports=imports)
    return subprocess.run(
        [sys.executable, *starting_bizsight(imports), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def built_project(root: Path, sources: list[Path]) -> Project:
    """A project in ``root/shop`` with ``sources`` ingested and refreshed."""
    from bizsight.console import NullReporter
    from bizsight.services.ingest import ingest
    from bizsight.services.refresh import refresh

    project = Project(root / "shop")
    project.init()
    ingest(project, sources, NullReporter())
    refresh(project, NullReporter())
    return project


def demo_project(root: Path, **generate_options: object) -> Project:
    """Demo data generated into ``root/data`` (see bizsight.demo.generate), ingested and refreshed."""
    from bizsight.demo import generate

    generate(root / "data", **generate_options)  # type: ignore[arg-type]
    return built_project(root, [root / "data"])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 90) -> None:
    """Wait until ``url`` answers 200, failing at once if the server ``process`` exits."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.communicate()[1][-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@dataclass
class Served:
    """A running ``bizsight serve``: its address and process."""

    base: str
    process: subprocess.Popen[str]
    output: tuple[str, str] = ("", "")  # stdout and stderr, once it has stopped

    def kill(self) -> None:
        """SIGKILL: the server dies mid-work, as in a crash or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.output = self.process.communicate(timeout=30)


@contextmanager
def serving(
    project: Project,
    *,
    admin_password: str = "served admin password",
    python: Sequence[str] = ("-m", "bizsight"),
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """``bizsight serve`` on a free loopback port over ``project`` until the block ends (then
    Ctrl-C, unless the test killed it). ``python`` is how the interpreter starts bizsight (a
    ``-c`` program that imports a test's plugins first, say), ``env`` the process's environment."""
    port = free_port()
    env = {**(env or os.environ), "BIZSIGHT_ADMIN_PASSWORD": admin_password, "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, *python, "serve", "--port", str(port), "--project", str(project.root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(f"{served.base}/healthz", process)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            served.output = process.communicate(timeout=60)


def metric_answers(project: Project) -> dict[str, object]:
    """Every metric of the catalogue by month over the whole history (or the error it gives), as
    JSON text, so that two answers compare equal when their numbers are (NaN included)."""
    import json

    from bizsight.metrics.query import Query
    from bizsight.services.query import catalogue, run_query

    found: dict[str, object] = {}
    for name in catalogue(project).metrics:
        try:
            rows = run_query(project, Query(metrics=(name,), grain="month")).table.to_pylist()
            found[name] = json.dumps(rows, default=str)
        except Exception as err:
            found[name] = f"{type(err).__name__}: {err}"
    return found
