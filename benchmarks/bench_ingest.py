"""Ingest benchmark: `bizsight ingest` end to end against bare DuckDB and a pandas pipeline.

    python benchmarks/bench_ingest.py [--rows 2000000] [--dirty 0.0] [--keep DIR]

Generates demo data with about ``--rows`` order lines (all eight files), then times, each in a
fresh process so that peak memory is its own:

* bizsight: ``bizsight ingest DIR --project P`` — read, clean, validate, de-duplicate, quarantine
  and load raw + core, with the quality report;
* floor: bare DuckDB, ``CREATE TABLE ... AS SELECT * FROM read_csv(...)`` of the same files into a
  database file;
* pandas: what analysts do today — read_csv, fillna, to_datetime, drop_duplicates and a merge of
  order lines with customers and products.

Prints seconds, rows/s, peak memory (RSS) and the ratios bizsight/floor and pandas/bizsight.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run(label: str, command: list[str]) -> dict[str, float]:
    """Run a command in its own process; wall time and its peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed:\n{stderr}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "stdout": stdout}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2_000_000, help="order lines to generate (about)")
    parser.add_argument("--dirty", type=float, default=0.0, help="share of rows with defects")
    parser.add_argument("--keep", type=Path, help="keep the generated data in this directory")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    data = work / "data"
    customers = max(1, args.rows // 10)
    if not (data / "ground_truth.json").exists():
        print(f"generating demo data: {customers:,} customers, dirty={args.dirty} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bizsight",
                "demo-data",
                str(data),
                "--customers",
                str(customers),
                "--dirty",
                str(args.dirty),
            ],
            check=True,
            capture_output=True,
        )
    lines = sum(1 for _ in (data / "sales_transactions.csv").open()) - 1
    total = sum(sum(1 for _ in p.open()) - 1 for p in data.glob("*.csv"))
    size = sum(p.stat().st_size for p in data.glob("*.csv")) / 1e6
    print(f"data: {lines:,} order lines, {total:,} rows in 8 files, {size:,.0f} MB of CSV\n", flush=True)

    results = {}
    for label, command in (
        (
            "floor (bare DuckDB read_csv)",
            [sys.executable, "-c", FLOOR, str(data), str(work / "floor.duckdb")],
        ),
        (
            "bizsight ingest",
            [sys.executable, "-m", "bizsight", "ingest", str(data), "--project", str(work / "p"), "--json"],
        ),
        ("pandas pipeline", [sys.executable, "-c", PANDAS, str(data)]),
    ):
        for leftover in (work / "floor.duckdb", work / "p"):
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(
                missing_ok=True
            )
        results[label] = run(label, command)
        r = results[label]
        print(
            f"{label:30s} {r['seconds']:7.2f} s  {total / r['seconds'] / 1e6:6.2f} M rows/s  "
            f"peak {r['peak_mb']:7.0f} MB",
            flush=True,
        )

    summary = json.loads(str(results["bizsight ingest"]["stdout"]))
    assert all(
        f["rows_read"] == f["loaded"] + f["quarantined"] + f["duplicates_skipped"] for f in summary["files"]
    )
    ours = results["bizsight ingest"]["seconds"]
    print(
        f"\nbizsight / floor  = {ours / results['floor (bare DuckDB read_csv)']['seconds']:.2f}x  (goal: within 2x)"
    )
    print(f"pandas / bizsight = {results['pandas pipeline']['seconds'] / ours:.2f}x  (goal: at least 5x)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
