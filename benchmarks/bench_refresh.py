"""Refresh benchmark: a whole refresh timed by step (with peak memory), then the first Overview and
Executive request after it, beside their baselines in the same run.

    python benchmarks/bench_refresh.py [--customers 1000000] [--project DIR] [--quick]

Uses (or builds, from demo data of ``--customers`` customers: about 10 order lines each, so the
default is the 10M-line project) a project under the temporary directory; ``--quick`` is 20,000
customers (~200k lines). Then, in this process:

* refresh: ``services.refresh.refresh`` with a reporter that timestamps every step it announces,
  and a thread sampling this process's resident memory: seconds, CPU seconds (user + system of
  this process, all its threads: what load inflates least) and peak RSS per step;
* first requests: the Overview (``POST /api/v1/insights/overview`` with the page's default range,
  the last 12 months) and the Executive view (``GET /api/v1/executive``) as an administrator sees
  them, through the services as the routes call them, right after the refresh: answered from what
  the refresh warmed (cache hits are counted);
* baselines: the same two requests with the result cache cleared (what the first view cost
  before refresh warmed it), and bare DuckDB running the biggest aggregate of the Overview (the
  revenue of every order line in the range, by month) straight on the order lines.

Prints ``os.getloadavg()`` before and after: the machine's two cores are shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import threading
import time
from pathlib import Path

from bench_api import build
from bizsight.analytics.churn_features import labelled_features
from bizsight.app.models import Role
from bizsight.services.access import Principal
from bizsight.services.churn import churn_window, training_features
from bizsight.services.executive import executive_view
from bizsight.services.overview import overview
from bizsight.services.page_warmup import default_scope, warm_pages
from bizsight.services.project import Project, owning
from bizsight.services.query import RESULTS
from bizsight.services.refresh import refresh

ADMIN = Principal(0, "bench", Role.ADMIN)


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class StepTimer:
    """A reporter that timestamps each step the refresh announces and keeps each step's peak RSS
    (sampled every 50 ms by a thread)."""

    def __init__(self, *, live: bool = False) -> None:
        self.live = live  # print each step as it ends (a 10M refresh takes minutes)
        self.steps: list[tuple[str, float, float, float]] = []  # name, seconds, CPU seconds, peak MB
        self.warnings: list[str] = []
        self._name = "start"
        self._started = time.perf_counter()
        self._cpu = time.process_time()
        self._peak = rss_mb()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self._peak = max(self._peak, rss_mb())

    def _next(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.steps.append((self._name, now - self._started, cpu - self._cpu, max(self._peak, rss_mb())))
        if self.live:
            print(
                f"    ... {self._name[:44]:<44} {now - self._started:8.2f} s {cpu - self._cpu:8.2f} s CPU",
                flush=True,
            )
        self._name, self._started, self._cpu, self._peak = name, now, cpu, rss_mb()

    def step(self, message: str) -> None:
        self._next(message)

    def advance(self, done: float, total: float, message: str = "") -> None:
        if message:
            self._next(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def finish(self) -> None:
        self._next("")
        self._stop.set()


def print_steps(timer: StepTimer, total: float, cpu: float) -> None:
    merged: dict[str, list[float]] = {}
    for name, seconds, cpu_seconds, peak in timer.steps:
        key = name.split(":")[0] if name.startswith("marts.forecasts") else name
        entry = merged.setdefault(key, [0.0, 0.0, 0.0])
        entry[0] += seconds
        entry[1] += cpu_seconds
        entry[2] = max(entry[2], peak)
    print(f"  {'step':<44} {'seconds':>8} {'share':>6} {'CPU s':>8} {'peak RSS':>9}")
    for name, (seconds, cpu_seconds, peak) in merged.items():
        print(f"  {name[:44]:<44} {seconds:8.2f} {seconds / total:6.1%} {cpu_seconds:8.2f} {peak:7.0f} MB")
    print(f"  {'whole refresh':<44} {total:8.2f} {'':>6} {cpu:8.2f}")
    for warning in timer.warnings:
        print(f"  warning: {warning}")


def first_requests(project: Project) -> dict[str, float]:
    """The Overview and the Executive view as the routes call them, timed; cache hits counted."""
    times = {}
    with project.warehouse(read_only=True) as wh:
        scope = default_scope(wh)
        for name, call in (
            ("overview", lambda: overview(project, wh, ADMIN, scope)),
            ("executive", lambda: executive_view(project, wh, ADMIN)),
        ):
            hits, misses = RESULTS.hits, RESULTS.misses
            started = time.perf_counter()
            call()
            times[name] = time.perf_counter() - started
            print(
                f"  {name:<10} {times[name] * 1000:9.1f} ms  "
                f"cache hits {RESULTS.hits - hits}, misses {RESULTS.misses - misses}"
            )
    return times


def bare_duckdb(project: Project) -> float:
    """The Overview's biggest aggregate straight on the order lines: revenue by month in the range."""
    with project.warehouse(read_only=True) as wh:
        scope = default_scope(wh)
        started = time.perf_counter()
        wh.rows(
            "SELECT date_trunc('month', order_date) AS m, sum(net_amount) FROM core.fact_order_line "
            "WHERE order_date BETWEEN ? AND ? GROUP BY m",
            [scope.start, scope.end],
        )
        return time.perf_counter() - started


def churn_features(project: Project) -> None:
    """The churn step's training features: the sample's only (now) against every customer's."""
    with project.warehouse(read_only=True) as wh:
        n, _, last = churn_window(wh, None)
        cutoff = last - dt.timedelta(days=n)
        started = time.perf_counter()
        sample = training_features(wh, cutoff, n)
        now = time.perf_counter() - started
        started = time.perf_counter()
        everyone = labelled_features(wh, cutoff, n)
        before = time.perf_counter() - started
    print(f"  churn training features: the sample's {sample.num_rows:,} {now:8.1f} s")
    print(f"  baseline, every customer's {everyone.num_rows:,} {before:8.1f} s  ratio {now / before:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 customers (~200k order lines)")
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument(
        "--churn-features", action="store_true", help="also time the churn step's training features"
    )
    parser.add_argument(
        "--skip-refresh",
        action="store_true",
        help="no refresh: time only the warming a refresh ends with, then the first requests",
    )
    args = parser.parse_args()
    customers = 20_000 if args.quick else args.customers
    directory = args.project or Path(tempfile.gettempdir()) / f"bizsight-bench-api-{customers}"
    project = build(directory, customers)
    # As in `bizsight serve`: this process owns the warehouse, the refresh runs on its connection
    # and the requests read through cursors of it (so they see the cache the refresh warmed).
    with project.warehouse() as owner, owning(project, owner):
        measure(project, skip_refresh=args.skip_refresh)
        if args.churn_features:
            churn_features(project)


def measure(project: Project, *, skip_refresh: bool) -> None:
    with project.warehouse(read_only=True) as wh:
        lines = wh.scalar("SELECT count(*) FROM core.fact_order_line")
    print(f"{lines:,} order lines; load average before: {os.getloadavg()}")
    RESULTS.clear()
    if skip_refresh:  # only what this change added to a refresh: warming the pages
        print("no refresh (--skip-refresh): warming the pages as a refresh ends:")
        with project.warehouse(read_only=True) as wh:
            started = time.perf_counter()
            warm_pages(project, wh)
            total = time.perf_counter() - started
        print(f"  warming the Overview and Executive pages {total:8.2f} s")
    else:
        print("refresh by step:")
        timer = StepTimer(live=True)
        started, cpu = time.perf_counter(), time.process_time()
        refresh(project, timer)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        timer.finish()
        print_steps(timer, total, cpu)
    print("first requests after the refresh (warmed by it):")
    warm = first_requests(project)
    print("baseline: the same requests with the result cache cleared:")
    RESULTS.clear()
    cold = first_requests(project)
    bare = bare_duckdb(project)
    print(f"  bare DuckDB, revenue by month over the range: {bare * 1000:.1f} ms")
    for name in warm:
        print(f"ratio first {name} warmed/cold: {warm[name] / cold[name]:.3f}")
    if not skip_refresh:
        print(f"goal refresh < 180 s: {'met' if total < 180 else 'NOT met'} ({total:.0f} s)")
    print(f"goal first Overview < 1 s: {'met' if warm['overview'] < 1 else 'NOT met'}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
