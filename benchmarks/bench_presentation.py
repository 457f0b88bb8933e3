"""Presentation benchmark: the cost of formatting every number through one layer.

    python benchmarks/bench_presentation.py [--values 200000]

1. Formatting: ``Presenter.format`` (ours: Babel's symbols, our algorithm) against Babel's own
   ``format_currency`` / ``format_percent`` / ``format_decimal`` on the same values, in the same
   run — the baseline a project without this layer would call.
2. Names: a query ``--by product`` with the product names looked up against the same query
   without (``with_member_names`` alone, on a warehouse of demo data), and against bare DuckDB
   SQL that joins the names in.

Prints the median of 5 runs of each and the ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from babel import numbers

from bizsight.metrics.query import Query
from bizsight.presentation import Presenter
from bizsight.services.project import Project
from bizsight.services.query import RESULTS, catalogue, run_query, with_member_names
from bizsight.warehouse.engines import DuckDBEngine


def median_seconds(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def formatting(count: int) -> None:
    rng = random.Random(1)
    money = [rng.uniform(-1e7, 1e7) for _ in range(count)]
    shares = [rng.random() for _ in range(count)]
    presenter = Presenter("EUR", "de")
    cases = [
        ("money", money, lambda v: numbers.format_currency(v, "EUR", locale="de")),
        ("percent", shares, lambda v: numbers.format_percent(v, "#,##0.0%", locale="de")),
        ("count", [round(v) for v in money], lambda v: numbers.format_decimal(v, locale="de")),
    ]
    print(f"formatting {count:,} values (EUR, de), median of 5:")
    for unit, values, babel in cases:
        ours = median_seconds(lambda u=unit, vs=values: [presenter.format(v, u) for v in vs])
        theirs = median_seconds(lambda b=babel, vs=values: [b(v) for v in vs])
        print(
            f"  {unit:8} bizsight {ours * 1e6 / count:6.2f} µs/value   Babel {theirs * 1e6 / count:6.2f} µs/value"
            f"   ratio {ours / theirs:.2f}"
        )


def names(customers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bizsight",
                "demo-data",
                str(root / "data"),
                "--customers",
                str(customers),
                "--years",
                "2",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run([sys.executable, "-m", "bizsight", "init", str(root)], check=True, capture_output=True)
        subprocess.run(
            [sys.executable, "-m", "bizsight", "ingest", str(root / "data"), "--project", str(root)],
            check=True,
            capture_output=True,
        )
        project = Project(root)
        query = Query(metrics=("revenue",), dimensions=("product",))
        cat = catalogue(project)
        with project.warehouse(read_only=True) as wh:
            lines = wh.con.execute("SELECT count(*) FROM core.fact_order_line").fetchone()[0]

            def answered() -> object:
                RESULTS.clear()
                return run_query(project, query, wh=wh)

            table = answered().table.drop_columns(["product_name"])
            lookup = median_seconds(lambda: with_member_names(DuckDBEngine(wh), cat, ["product"], table))
            whole = median_seconds(answered)
            bare = median_seconds(
                lambda: (
                    wh.con.cursor()
                    .execute(
                        "SELECT f.product_id, max(p.product_name), sum(f.net_amount) FROM core.fact_order_line f "
                        "LEFT JOIN core.dim_product p USING (product_id) GROUP BY 1"
                    )
                    .fetchall()
                )
            )
        print(f"revenue by product over {lines:,} order lines ({table.num_rows:,} products), median of 5:")
        print(f"  names looked up      {lookup * 1e3:7.2f} ms")
        print(
            f"  whole query + names  {whole * 1e3:7.2f} ms   bare DuckDB join {bare * 1e3:7.2f} ms   ratio {whole / bare:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    formatting(args.values)
    names(args.customers)


if __name__ == "__main__":
    main()
