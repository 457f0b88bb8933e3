"""Serving while the server works: the Overview page's API calls, idle and during a refresh that
the same server runs as a job, in one run.

    python benchmarks/bench_serve_refresh.py [--customers 200000] [--project DIR] [--clients 2]

Builds (or reuses) a demo project of ``--customers`` customers (about 10 order lines each: the
default is the ~2M-line demo), serves it, and has ``--clients`` threads call what the Overview
page asks for (the KPI cards with sparklines and change, revenue by category, category
sparklines, the RFM segments; see bench_api.py) in a loop:

* idle: for as long as the refresh will take (measured by a first refresh before the run, after
  which 20 s of calls, not counted, bring the rebuilt tables into memory);
* during: while ``bizsight refresh`` — sent to the server, a job there — rebuilds core, marts,
  CLV, churn, anomalies and forecasts.

Each call is either "page" (the page as it opens: the same date range, answered from the result
cache while the data do not change) or "new range" (a date range not asked before: computed by
DuckDB). Prints p50/p95 of each, idle and during, the ratio during/idle, and errors. The clients
share the machine's two cores with the server and its refresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench_api import END, build, call, free_port, overview, pct, start_server, token_for
from bizsight.services.project import Project

WARM_UP = 20.0  # seconds of calls after the first refresh before idle is measured


def refresh_in_server(project: Project) -> subprocess.Popen[str]:
    """``bizsight refresh`` while the server runs: it sends itself there and waits for the job."""
    return subprocess.Popen(
        [sys.executable, "-m", "bizsight", "refresh", "--json", "--project", str(project.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def last_job(project: Project) -> tuple[str, str] | None:
    with sqlite3.connect(project.paths.app_db, timeout=5) as con:
        row = con.execute("SELECT kind, state FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
    return (str(row[0]), str(row[1])) if row else None


class Clients:
    """``n`` threads calling the Overview's endpoints until stopped; latencies by kind of call."""

    def __init__(self, base: str, token: str, n: int, first_day: int) -> None:
        self.base, self.token, self.n = base, token, n
        self.next_day = first_day  # each "new range" call moves the end date back one more day
        self.times: dict[str, list[float]] = {"page": [], "new range": []}
        self.errors = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop) for _ in range(n)]

    def _bodies(self) -> list[tuple[str, dict[str, Any] | None]]:
        with self.lock:
            self.next_day += 1
            k = self.next_day
        # A range inside the data not asked before: the end moves back a day per call (up to
        # ~2 years), the start one more day back each time the end wraps around.
        end = END - dt.timedelta(days=k % 700)
        fresh = overview(end)
        for body in fresh.values():
            body["start"] = (end - dt.timedelta(days=365 + k // 700)).isoformat()
        page = overview(END)
        return [("page", body) for body in [*page.values(), None]] + [
            ("new range", b) for b in fresh.values()
        ]

    def _loop(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=120) as client:
            while not self.stop.is_set():
                for kind, body in self._bodies():
                    started = time.perf_counter()
                    try:
                        ok = call(client, body).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    with self.lock:
                        self.times[kind].append(time.perf_counter() - started)
                        self.errors += not ok

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def report(name: str, clients: Clients, seconds: float) -> dict[str, dict[str, float]]:
    figures = {}
    for kind, times in clients.times.items():
        ms = [t * 1000 for t in times]
        figures[kind] = {"p50": pct(ms, 0.5), "p95": pct(ms, 0.95), "n": len(ms)}
        print(
            f"  {name:<8} {kind:<10} n={len(ms):>5}  p50 {pct(ms, 0.5):8.1f} ms  p95 {pct(ms, 0.95):8.1f} ms"
        )
    calls = sum(len(v) for v in clients.times.values())
    print(f"  {name:<8} {calls / seconds:.1f} calls/s over {seconds:.0f} s, errors: {clients.errors}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    directory = args.project or Path(tempfile.gettempdir()) / f"bizsight-bench-api-{args.customers}"
    project = build(directory, args.customers)
    with project.warehouse(read_only=True) as wh:
        lines = wh.scalar("SELECT count(*) FROM core.fact_order_line")
    print(f"{lines:,} order lines; {args.clients} clients calling the Overview's endpoints")
    server = start_server(project, port := free_port())
    base = f"http://127.0.0.1:{port}"
    try:
        token = token_for(base)
        started = time.monotonic()
        first = refresh_in_server(project)
        first.communicate()
        refresh_seconds = time.monotonic() - started
        print(f"a refresh alone (the server otherwise idle): {refresh_seconds:.1f} s")

        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600) as c:
            for body in [*overview(END).values(), None]:  # the page as users have seen it once
                call(c, body).raise_for_status()
        with Clients(base, token, args.clients, first_day=100_000):  # warm-up, not counted: the
            time.sleep(WARM_UP)  # first reads after a refresh bring the new tables into memory
        with Clients(base, token, args.clients, first_day=0) as idle:
            time.sleep(refresh_seconds)
        idle_figures = report("idle", idle, refresh_seconds)

        with Clients(base, token, args.clients, first_day=50_000) as during:
            busy_started = time.monotonic()
            refresh = refresh_in_server(project)
            _, err = refresh.communicate()
            busy_seconds = time.monotonic() - busy_started
        during_figures = report("during", during, busy_seconds)
        if refresh.returncode != 0 or last_job(project) != ("refresh", "succeeded"):
            raise SystemExit(f"the refresh failed: {err.strip().splitlines()[-1:]}")
        print(f"the refresh with {args.clients} clients calling: {busy_seconds:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=60)
    for kind in ("page", "new range"):
        ratio = during_figures[kind]["p95"] / idle_figures[kind]["p95"]
        print(f"p95 during refresh / idle, {kind}: {ratio:.2f}x")
    met = all(during_figures[k]["p95"] < 2 * idle_figures[k]["p95"] for k in during_figures)
    errors = idle.errors + during.errors
    print(f"goal p95 during refresh < 2x idle, no errors: {'met' if met and not errors else 'NOT met'}")


if __name__ == "__main__":
    main()
