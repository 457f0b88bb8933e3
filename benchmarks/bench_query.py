"""Query benchmark: every built-in metric by month and by region, compiled vs hand-written SQL.

    python benchmarks/bench_query.py [--project DIR] [--customers 1000000]

Uses (or builds, from demo data of ``--customers`` customers: about 10 order lines each) a
project, then for each built-in metric that applies to the grouping times, in the same process:

* hand-written: one DuckDB query written by hand for the same numbers (the aggregate metrics, by
  month and by region), run on a fresh cursor;
* compiled cold: bizsight's compiler + the same DuckDB, result cache cleared;
* cached: the same query again (served from the result cache).

Prints the median of 5 runs for each, the ratio compiled/hand-written, and the cached time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bizsight.metrics.definitions import builtin
from bizsight.metrics.query import Query
from bizsight.services.project import Project
from bizsight.services.query import RESULTS, run_query

# The same numbers written by hand: one query per metric and grouping.
HAND = {
    "revenue": "sum(f.net_amount)",
    "gross_revenue": "sum(f.gross_amount)",
    "refunds": "sum(f.refund_amount)",
    "discounts": "sum(f.discount_amount)",
    "orders": "count(DISTINCT f.order_id) FILTER (WHERE f.status <> 'cancelled')",
    "units": "sum(f.quantity) FILTER (WHERE f.status = 'completed')",
    "active_customers": "count(DISTINCT f.customer_id) FILTER (WHERE f.status <> 'cancelled')",
    "average_order_value": "sum(f.net_amount) / count(DISTINCT f.order_id) FILTER (WHERE f.status <> 'cancelled')",
    "refund_rate": "sum(f.refund_amount) / sum(f.gross_amount)",
    "product_categories": "count(DISTINCT coalesce(f.category, p.category)) FILTER (WHERE f.status <> 'cancelled')",
}
GROUPINGS = {
    "month": ("CAST(date_trunc('month', f.order_date) AS DATE)", {"grain": "month"}),
    "region": ("coalesce(f.region, c.region)", {"dimensions": ("region",)}),
}


def median_ms(action, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=Path("bench-data/query"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    project = Project(args.project)
    if not project.paths.warehouse.exists():
        print(f"building {args.project} from demo data ({args.customers:,} customers) ...", flush=True)
        data = args.project / "data"
        subprocess.run(
            [sys.executable, "-m", "bizsight", "demo-data", str(data), "--customers", str(args.customers)],
            check=True,
            capture_output=True,
        )
        for command in (["ingest", str(data)], ["refresh"]):
            subprocess.run(
                [sys.executable, "-m", "bizsight", *command, "--project", str(args.project)],
                check=True,
                capture_output=True,
            )
    catalogue = builtin()
    today = dt.date(2026, 11, 24)
    with project.warehouse(read_only=True) as wh:
        lines = wh.scalar("SELECT count(*) FROM core.fact_order_line")
        print(f"{lines:,} order lines\n")
        print(
            f"{'metric':28s} {'by':7s} {'hand ms':>8s} {'compiled ms':>12s} {'ratio':>6s} {'cached ms':>10s}"
        )
        ratios = []
        for grouping, (key, shape) in GROUPINGS.items():
            for name in catalogue.metrics:
                query = Query(metrics=(name,), **shape)  # type: ignore[arg-type]
                try:
                    run_query(project, query, today=today, wh=wh)
                except Exception:
                    continue  # the metric does not apply to this grouping (e.g. marketing by region)
                hand_sql = None
                if name in HAND:
                    # As a person would write it: only the joins the numbers need.
                    joins = "LEFT JOIN core.dim_customer c USING (customer_id) " if "c." in key else ""
                    joins += "LEFT JOIN core.dim_product p USING (product_id) " if "p." in HAND[name] else ""
                    hand_sql = f"SELECT {key} AS k, {HAND[name]} AS v FROM core.fact_order_line f {joins}GROUP BY 1 ORDER BY 1"
                hand = (
                    median_ms(lambda sql=hand_sql: wh.con.cursor().sql(sql).to_arrow_table())
                    if hand_sql
                    else None
                )

                def cold(query: Query = query) -> None:
                    RESULTS.clear()
                    run_query(project, query, today=today, wh=wh)

                compiled = median_ms(cold)
                cached = median_ms(lambda query=query: run_query(project, query, today=today, wh=wh))
                ratio = compiled / hand if hand else None
                if ratio:
                    ratios.append(ratio)
                print(
                    f"{name:28s} {grouping:7s} {hand or float('nan'):8.1f} {compiled:12.1f} "
                    f"{ratio or float('nan'):6.2f} {cached:10.2f}",
                    flush=True,
                )
        print(f"\nmedian compiled/hand-written ratio: {statistics.median(ratios):.2f} (goal: within 1.2)")


if __name__ == "__main__":
    main()
