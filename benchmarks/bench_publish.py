"""Publish benchmark: copying the warehouse to PostgreSQL and Spark, against bare copies.

    python benchmarks/bench_publish.py --project DIR [--postgres URL] [--engines postgres spark]

For PostgreSQL, the baseline is what one would do by hand: export every core table to CSV with
DuckDB and load each file with a single COPY. For Spark it is DuckDB writing the same tables to
Parquet (which Spark then only registers). Prints seconds, rows/s and the ratio publish/baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg

from bizsight.services.project import Project
from bizsight.warehouse.engines import PostgresEngine, SparkEngine, base_tables, publish


def postgres(project: Project, url: str) -> tuple[float, float, int]:
    admin = psycopg.connect(url, autocommit=True)
    for name in ("bizsight_bench_publish", "bizsight_bench_copy"):
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    base = url.rsplit("/", 1)[0]
    with project.warehouse(read_only=True) as wh, PostgresEngine(f"{base}/bizsight_bench_publish") as engine:
        started = time.perf_counter()
        counts = publish(wh, engine)
        ours = time.perf_counter() - started
        work = Path(tempfile.mkdtemp())
        started = time.perf_counter()
        with psycopg.connect(f"{base}/bizsight_bench_copy") as con:
            con.execute("CREATE SCHEMA core")
            for spec in base_tables(wh, ("core",)):
                name = spec.name
                path = work / f"{name}.csv"
                wh.con.execute(f"COPY (SELECT * FROM core.{name}) TO '{path}' (HEADER false)")
                columns = wh.rows(f"DESCRIBE core.{name}")
                ddl = ", ".join(f'"{c[0]}" {pg_type(c[1])}' for c in columns)
                con.execute(f"CREATE TABLE core.{name} ({ddl})")
                with (
                    con.cursor().copy(f"COPY core.{name} FROM STDIN (FORMAT csv)") as copy,
                    path.open("rb") as f,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
        baseline = time.perf_counter() - started
        shutil.rmtree(work)
    for name in ("bizsight_bench_publish", "bizsight_bench_copy"):
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return ours, baseline, sum(counts.values())


def pg_type(duck: str) -> str:
    return {
        "VARCHAR": "text",
        "BIGINT": "bigint",
        "INTEGER": "integer",
        "DATE": "date",
        "TIMESTAMP": "timestamp",
        "BOOLEAN": "boolean",
        "DOUBLE": "double precision",
        "UBIGINT": "numeric(20,0)",
    }.get(duck, duck.replace("DECIMAL", "numeric"))


def spark(project: Project) -> tuple[float, float, int]:
    work = Path(tempfile.mkdtemp())
    with project.warehouse(read_only=True) as wh, SparkEngine("local[2]", data_dir=work / "spark") as engine:
        started = time.perf_counter()
        counts = publish(wh, engine)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        for (name,) in wh.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' "
            "AND table_type = 'BASE TABLE'"
        ):
            wh.con.execute(f"COPY core.{name} TO '{work / name}.parquet' (FORMAT parquet)")
        baseline = time.perf_counter() - started
    shutil.rmtree(work)
    return ours, baseline, sum(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BIZSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--engines", nargs="+", default=["postgres", "spark"])
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    project = Project(args.project)
    for engine in args.engines:
        ours, baseline, rows = postgres(project, args.postgres) if engine == "postgres" else spark(project)
        print(
            f"{engine:9s} publish {ours:6.1f} s ({rows / ours / 1e6:.2f} M rows/s)   "
            f"baseline {baseline:6.1f} s   ratio {ours / baseline:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
