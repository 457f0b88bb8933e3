"""API benchmark: the Overview page's calls through `bizsight serve`, against the same queries
through the services in-process.

    python benchmarks/bench_api.py [--customers 20000] [--project DIR] [--clients 8] [--seconds 15]

Uses (or builds, from demo data of ``--customers`` customers: about 10 order lines each) a
project, then measures the Overview's calls — KPI cards with monthly sparklines and the change
against the previous period (revenue, customers, orders, average order value, retention, revenue
growth, categories), revenue by category with its change, category sparklines (three metric
queries), and the RFM segments with their average CLV (the CLV card):

* baseline: ``services.query.run_query`` in this process, cold (result cache cleared) and warm;
* API cold: the real server over HTTP, each request a query not asked before (its end date
  moves back a day per round), so nothing comes from the cache;
* API warm: the same requests again;
* load: ``--clients`` threads, each with its own HTTP connection, looping over the four calls for
  ``--seconds``: requests/s, errors and latency.

Prints p50/p95 per phase and the ratio API/baseline. The clients run on the same two cores as
the server, so load figures are a floor for what a separate client machine would see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bizsight.app.models import Role
from bizsight.console import NullReporter
from bizsight.metrics.query import Query
from bizsight.services.access import Principal
from bizsight.services.customers import segments
from bizsight.services.demo import run_demo
from bizsight.services.project import Project
from bizsight.services.query import RESULTS, run_query
from bizsight.warehouse.connection import Warehouse

END = dt.date(2026, 9, 30)  # the demo data's last day
PASSWORD = "benchmark admin password"
ROUNDS = 12
ADMIN = Principal(0, "bench", Role.ADMIN)


def overview(end: dt.date) -> dict[str, dict[str, Any]]:
    """The Overview page's metric queries for the 12 months ending ``end``."""
    start = (end.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    span = {"start": start.isoformat(), "end": end.isoformat()}
    return {
        "kpis": {
            "metrics": [
                "revenue",
                "active_customers",
                "orders",
                "average_order_value",
                "customer_retention_rate",
                "revenue_growth",
                "product_categories",
            ],
            "grain": "month",
            "compare": "previous_period",
            **span,
        },
        "categories": {
            "metrics": ["revenue"],
            "dimensions": ["category"],
            "compare": "previous_period",
            **span,
        },
        "category_sparklines": {"metrics": ["revenue"], "dimensions": ["category"], "grain": "month", **span},
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    print(f"  {name:<28} n={len(ms):>5}  p50 {pct(ms, 0.5):8.1f} ms  p95 {pct(ms, 0.95):8.1f} ms")
    return {"p50": pct(ms, 0.5), "p95": pct(ms, 0.95)}


def direct(project: Project, wh: Warehouse, body: dict[str, Any] | None) -> None:
    """One Overview call in-process: a metric query, or (None) the segments with their CLV."""
    if body is None:
        segments(project, wh, ADMIN)
    else:
        run_query(project, Query.model_validate(body), wh=wh)


def phases(round_: int) -> list[tuple[str, list[dict[str, Any] | None]]]:
    """One round: the metric queries not asked before (cold), then all the Overview's calls again
    (warm). Segments do not depend on the dates, so after the first round they are never cold:
    they count as warm only."""
    queries: list[dict[str, Any] | None] = list(overview(END - dt.timedelta(days=100 + round_)).values())
    return [("cold", queries), ("warm", [*queries, None])]


def baseline(project: Project) -> dict[str, dict[str, float]]:
    """The same calls in-process through the services (no HTTP, no auth, no JSON)."""
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    with project.warehouse(read_only=True) as wh:
        for round_ in range(ROUNDS):
            RESULTS.clear()
            direct(project, wh, None)  # segments computed once per data version, as on the server
            for phase, bodies in phases(round_):
                for body in bodies:
                    started = time.perf_counter()
                    direct(project, wh, body)
                    times[phase].append(time.perf_counter() - started)
    return {phase: summary(f"baseline {phase} (services)", values) for phase, values in times.items()}


def call(client: httpx.Client, body: dict[str, Any] | None) -> httpx.Response:
    if body is None:
        return client.get("/api/v1/segments")
    return client.post("/api/v1/query", json=body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(project: Project, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BIZSIGHT_ADMIN_PASSWORD": PASSWORD}
    server = subprocess.Popen(
        [sys.executable, "-m", "bizsight", "serve", "--port", str(port), "--project", str(project.root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def token_for(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        csrf = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).json()[
            "csrf_token"
        ]
        made = client.post("/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": csrf})
        return str(made.json()["token"])


def api_phases(base: str, token: str) -> dict[str, dict[str, float]]:
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        call(client, None).raise_for_status()
        for round_ in range(ROUNDS):
            for phase, bodies in phases(round_):
                for body in bodies:
                    started = time.perf_counter()
                    response = call(client, body)
                    times[phase].append(time.perf_counter() - started)
                    response.raise_for_status()
    return {phase: summary(f"API {phase}", values) for phase, values in times.items()}


def load(base: str, token: str, clients: int, seconds: float) -> dict[str, float]:
    bodies: list[dict[str, Any] | None] = [*overview(END).values(), None]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop() -> None:
        nonlocal errors
        mine, failed = [], 0
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            i = 0
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    ok = call(client, bodies[i % len(bodies)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - started)
                failed += not ok
                i += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
        for body in bodies:  # sustained load is warm: the first answer of each call is computed here
            call(client, body).raise_for_status()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    figures = summary(f"load, {clients} clients", latencies)
    rate = len(latencies) / elapsed
    print(f"  {'':<28} {rate:.0f} requests/s, {errors} errors of {len(latencies)}")
    return {**figures, "rps": rate, "errors": errors, "requests": len(latencies)}


def build(directory: Path, customers: int) -> Project:
    project = Project(directory)
    if not project.paths.warehouse.exists():
        print(f"building a demo project of {customers:,} customers in {directory} ...", flush=True)
        run_demo(project, customers=customers, dirty=0.0, seed=42, reporter=NullReporter())
    config = project.paths.config_file
    if "queries_per_minute" not in config.read_text(encoding="utf-8"):
        with config.open("a", encoding="utf-8") as handle:  # the load phase is one user
            handle.write("server:\n  queries_per_minute: 10000000\n")
    return Project(directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    directory = args.project or Path(tempfile.gettempdir()) / f"bizsight-bench-api-{args.customers}"
    project = build(directory, args.customers)
    with project.warehouse(read_only=True) as wh:
        lines = wh.scalar("SELECT count(*) FROM core.fact_order_line")
    print(f"{lines:,} order lines; Overview = {len(overview(END))} metric queries + segments")
    base_figures = baseline(project)
    port = free_port()
    server = start_server(project, port)
    try:
        base = f"http://127.0.0.1:{port}"
        token = token_for(base)
        api = api_phases(base, token)
        sustained = load(base, token, args.clients, args.seconds)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    for phase in ("cold", "warm"):
        ratio = api[phase]["p50"] / base_figures[phase]["p50"]
        print(f"ratio API/baseline p50 {phase}: {ratio:.2f}x")
    print(
        f"goal p95 warm < 300 ms: {'met' if api['warm']['p95'] < 300 else 'NOT met'}; "
        f"errors under load: {sustained['errors']}"
    )


if __name__ == "__main__":
    main()
