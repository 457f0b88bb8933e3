"""Ingest benchmark: `bizsight ingest` end to end against bare DuckDB (the floor), with its steps.

    python benchmarks/bench_ingest.py [--rows 2000000 --rows 10000000] [--dirty 0.0]
                                      [--keep DIR] [--pandas]

For each ``--rows`` (default: 2 and 10 million order lines) generates demo data with about that
many order lines (all eight files; kept under ``--keep DIR/<rows>`` and reused when there), then
times, each in a fresh process so that peak memory (RSS) is its own:

* floor: bare DuckDB, ``CREATE TABLE ... AS SELECT * FROM read_csv(...)`` of the same files into
  a database file — measured before bizsight and, when the machine is busy (load average above
  its cores), again after it;
* bizsight: ``bizsight ingest DIR --project P`` — read, type, validate, de-duplicate, quarantine,
  write core (raw keeps only superseded versions), the quality report and load history, one transaction per file. The same run
  records where the time goes (every warehouse statement timed and put under its step);
* pandas (``--pandas``): what analysts do today — read_csv, fillna, to_datetime,
  drop_duplicates and a merge of order lines with customers and products.

Prints seconds, rows/s, CPU seconds, peak RSS, the ratios bizsight/floor (wall and CPU time), the
step profile and the load average (the machine is shared: figures taken under load are slower for
every contender, and CPU time is the steadier measure then).
"""

from __future__ import annotations

import argparse
import collections
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FLOOR = """
import duckdb, sys, pathlib
con = duckdb.connect(sys.argv[2])
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv('{path}')")
con.close()
"""

PANDAS = """
import pandas as pd, sys, pathlib
d = pathlib.Path(sys.argv[1])
frames = {p.stem: pd.read_csv(p) for p in sorted(d.glob("*.csv"))}
orders = frames["sales_transactions"]
orders = orders.fillna({"discount": 0, "total_amount": orders["quantity"] * orders["unit_price"], "status": "completed"})
orders["order_date"] = pd.to_datetime(orders["order_date"], errors="coerce")
orders = orders.drop_duplicates()
customers = frames["customer_database"].drop_duplicates(subset="customer_id")
customers["signup_date"] = pd.to_datetime(customers["signup_date"], errors="coerce")
products = frames["product_catalog"].drop_duplicates(subset="product_id")
merged = orders.merge(customers, on="customer_id", how="left", suffixes=("", "_customer"))
merged = merged.merge(products, on="product_id", how="left", suffixes=("", "_product"))
print(len(merged))
"""

# Where a warehouse statement's time goes: the loader function that ran it (or, for the loader's
# own statements, what the SQL does).
STEPS = {
    "file_sha256": "hash the file (sha256: seen before?)",
    "_read_typed": "typed read (read_csv with column types)",
    "stage": "text read (read_csv all_varchar)",
    "_plan": "plan (slash-date order, spellings)",
    "classify": "type, validate, de-duplicate (one statement)",
    "repeated_key": "typed read: keys repeated in the file?",
    "checked": "typed read: type, validate, write core (one statement)",
    "skip_repeats": "quarantine",
    "write": "quarantine",
    "_write_core": "write core",
    "_supersede": "replaced versions: core to raw's superseded",
    "_write_placeholders": "placeholders",
    "quality_report": "quality report",
    "transaction": "commit (the last statement's end to the load's)",
}

# The loader's functions that run the steps above (a statement is put under the step they call).
CONTAINERS = ("load_file", "_load_typed", "_load_text", "_finish")


def profiled_ingest(out: Path, argv: list[str]) -> None:
    """Run the CLI (``bizsight ingest ...``) in this process with every warehouse statement timed
    (wall and CPU time: statements run one at a time, so the process's CPU time between a
    statement's start and end is its own) and put under its step; the totals go to ``out``."""
    started = _clocks()
    from bizsight import cli
    from bizsight.ingest import loader
    from bizsight.warehouse import connection

    steps: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    run, sha, load_file = connection.Warehouse.run, loader.file_sha256, loader.load_file
    containers = {getattr(loader, name).__code__ for name in CONTAINERS}
    in_load = [0.0, 0.0]
    loading = [False]
    last = [0.0, 0.0]  # when the last statement ended: the commit follows it

    def add(name: str, begun: tuple[float, float], ended: tuple[float, float]) -> None:
        steps[name][0] += ended[0] - begun[0]
        steps[name][1] += ended[1] - begun[1]

    def timed_run(self: Any, statement: Any, params: Any = None) -> Any:
        begun = _clocks()
        try:
            return run(self, statement, params)
        finally:
            if loading[0]:
                last[:] = _clocks()
                add(_step(inspect.currentframe(), statement, containers), begun, (last[0], last[1]))

    def timed_sha(path: Path) -> str:
        begun = _clocks()
        digest = sha(path)
        add("file_sha256", begun, _clocks())
        return digest

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        begun = _clocks()
        loading[0] = True
        try:
            return load_file(*args, **kwargs)
        finally:
            loading[0] = False
            ended = _clocks()
            in_load[0] += ended[0] - begun[0]
            in_load[1] += ended[1] - begun[1]
            if last[0] > begun[0]:
                add("transaction", (last[0], last[1]), ended)

    connection.Warehouse.run = timed_run  # type: ignore[method-assign]
    loader.file_sha256 = timed_sha
    loader.load_file = timed_load  # type: ignore[assignment]
    import bizsight.services.ingest as service

    service.load_file = timed_load  # type: ignore[assignment]
    sys.argv = ["bizsight", *argv]
    try:
        cli.main()
    except SystemExit as stop:
        if stop.code:
            raise
    finally:
        wall, cpu = _clocks()
        merged: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
        for name, (seconds, cpu_seconds) in steps.items():
            label = STEPS.get(name, "other statements (meta, counts, drops)")
            merged[label][0] += seconds
            merged[label][1] += cpu_seconds
        merged["loader's Python between statements"] = [
            in_load[0] - sum(w for w, _ in steps.values()),
            in_load[1] - sum(c for _, c in steps.values()),
        ]
        merged["start-up, settings, header checks (outside the loads)"] = [
            wall - started[0] - in_load[0],
            cpu - in_load[1],  # CPU time counts from the process's start
        ]
        out.write_text(json.dumps({"total": wall - started[0], "cpu": cpu, "steps": merged}))


def _clocks() -> tuple[float, float]:
    """Wall time and this process's CPU time (all its threads)."""
    return time.perf_counter(), time.process_time()


def _step(frame: Any, statement: Any, containers: set[Any]) -> str:
    """The loader function under one of the loader's ``containers`` that ran this statement (its
    caller chain); for a statement a container runs itself, what its SQL does."""
    text = statement if isinstance(statement, str) else statement.sql(dialect="duckdb")
    while frame is not None and frame.f_code.co_name in ("timed_run", "run", "rows", "scalar"):
        frame = frame.f_back
    if frame is None or frame.f_code in containers:
        if "classified AS" in text[:80]:
            return "classify"
        return "repeated_key" if "HAVING" in text.upper() else "other"
    while frame.f_back is not None and frame.f_back.f_code not in containers:
        frame = frame.f_back
    name: str = frame.f_code.co_name
    return "checked" if name == "_write_core" and "ERROR(" in text.upper() else name


def run(label: str, command: list[str]) -> dict[str, float]:
    """Run a command in its own process; wall time and its peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed:\n{stderr}")
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "stdout": stdout,  # type: ignore[dict-item]
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def busy() -> bool:
    return os.getloadavg()[0] > (os.cpu_count() or 1)


def generate(data: Path, rows: int, dirty: float) -> None:
    if (data / "ground_truth.json").exists():
        return
    customers = max(1, rows // 10)
    print(f"generating demo data: {customers:,} customers, dirty={dirty} ...", flush=True)
    command = [sys.executable, "-m", "bizsight", "demo-data", str(data), "--customers", str(customers)]
    subprocess.run(
        [*command, "--dirty", str(dirty)],
        check=True,
        capture_output=True,
    )


def bench(work: Path, rows: int, dirty: float, pandas: bool) -> None:
    data = work / "data"
    generate(data, rows, dirty)
    lines = sum(1 for _ in (data / "sales_transactions.csv").open()) - 1
    total = sum(sum(1 for _ in p.open()) - 1 for p in data.glob("*.csv"))
    size = sum(p.stat().st_size for p in data.glob("*.csv")) / 1e6
    print(f"\n== {lines:,} order lines, {total:,} rows in 8 files, {size:,.0f} MB of CSV ==", flush=True)

    def clean() -> None:
        (work / "floor.duckdb").unlink(missing_ok=True)
        shutil.rmtree(work / "p", ignore_errors=True)

    def show(label: str, r: dict[str, float]) -> None:
        print(
            f"{label:34s} {r['seconds']:7.2f} s  {total / r['seconds'] / 1e6:6.2f} M rows/s  "
            f"CPU {r['cpu']:7.2f} s  peak {r['peak_mb']:7.0f} MB   ({load()})",
            flush=True,
        )

    floor_command = [sys.executable, "-c", FLOOR, str(data), str(work / "floor.duckdb")]
    profile = work / "steps.json"
    ours_command = [sys.executable, __file__, "--profiled-ingest", str(profile), "ingest", str(data)]
    ours_command += ["--project", str(work / "p"), "--json"]
    floors = []
    clean()
    floors.append(run("floor", floor_command))
    show("floor (bare DuckDB read_csv)", floors[-1])
    clean()
    ours = run("bizsight ingest", ours_command)
    show("bizsight ingest", ours)
    if busy():
        clean()
        floors.append(run("floor", floor_command))
        show("floor again (the machine is busy)", floors[-1])
    if pandas:
        show("pandas pipeline", run("pandas", [sys.executable, "-c", PANDAS, str(data)]))
    summary = json.loads(str(ours["stdout"]))
    assert all(
        f["rows_read"] == f["loaded"] + f["quarantined"] + f["duplicates_skipped"] for f in summary["files"]
    )
    floor = min(f["seconds"] for f in floors)
    print(
        f"bizsight / floor = {ours['seconds'] / floor:.2f}x wall time (goal: at most 2x; floor: the "
        f"fastest of {len(floors)} run{'s' if len(floors) > 1 else ''}); "
        f"{ours['cpu'] / min(f['cpu'] for f in floors):.2f}x CPU time (user + system: steadier when "
        "other processes share the cores)"
    )
    steps = json.loads(profile.read_text())
    print(f"where bizsight's {steps['total']:.2f} s ({steps['cpu']:.2f} s CPU) go, all files:")
    print(f"  {'step':56s} {'wall s':>7s} {'CPU s':>7s} {'CPU %':>6s}")
    for name, (seconds, cpu) in sorted(steps["steps"].items(), key=lambda kv: -kv[1][1]):
        print(f"  {name:56s} {seconds:7.2f} {cpu:7.2f} {100 * cpu / steps['cpu']:6.1f}")
    clean()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--profiled-ingest":
        profiled_ingest(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, action="append", help="order lines to generate (about); repeat for several sizes"
    )
    parser.add_argument("--dirty", type=float, default=0.0, help="share of rows with defects")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated data under DIR/<rows>")
    parser.add_argument("--pandas", action="store_true", help="also time the pandas pipeline")
    args = parser.parse_args()
    print(load())
    for rows in args.rows or [2_000_000, 10_000_000]:
        work = args.keep / str(rows) if args.keep else Path(tempfile.mkdtemp(prefix="bench-ingest-"))
        try:
            bench(work, rows, args.dirty, args.pandas)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    print(load())


if __name__ == "__main__":
    main()
