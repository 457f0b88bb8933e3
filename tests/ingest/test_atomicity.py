"""A load killed with SIGKILL at any step leaves the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bizsight.console import NullReporter
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from tests.helpers import ORDER_HEADER

pytestmark = pytest.mark.slow


def fingerprint(project: Project) -> dict[str, tuple[object, ...]]:
    """Row count and an order-independent checksum of every table."""
    with project.warehouse(read_only=True) as wh:
        tables = wh.rows(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        )
        return {
            f"{s}.{t}": wh.rows(f'SELECT count(*), sum(hash(x)) FROM "{s}"."{t}" AS x')[0] for s, t in tables
        }


def big_orders(path: Path, rows: int, bad: bool = True) -> Path:
    """Order lines for customers C1–C3 and products P1–P2; with ``bad``, one in a thousand with a
    bad quantity (the file is read as text), else none (the typed read loads it)."""
    duckdb.sql(f"""
        COPY (SELECT 'O' || i AS order_id, 'C' || (i % 3 + 1) AS customer_id, 'P' || (i % 2 + 1) AS product_id,
                     TIMESTAMP '2024-01-01' + INTERVAL (i % 100000) MINUTE AS order_date,
                     CASE WHEN {bad} AND i % 1000 = 7 THEN 'x' ELSE (i % 5 + 1)::VARCHAR END AS quantity, '9.99' AS unit_price,
                     '' AS total_amount, '0' AS discount, 'Europe' AS region, 'Home' AS category,
                     'online' AS channel, 'completed' AS status, 'USD' AS currency
              FROM range({rows}) AS r(i)) TO '{path}' (HEADER)""")
    return path


@pytest.mark.parametrize(
    ("step", "bad"), [("reading", True), ("validating", True), ("writing", True), ("writing", False)]
)
def test_sigkill_during_a_load_leaves_the_previous_state(
    step: str, bad: bool, tmp_path: Path, dims: list[Path], project: Project
) -> None:
    ingest(project, dims, NullReporter())
    before = fingerprint(project)
    orders = big_orders(tmp_path / "sales_transactions.csv", 400_000, bad)
    assert [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{orders}'").fetchall()] == ORDER_HEADER
    process = subprocess.Popen(
        [sys.executable, "-m", "bizsight", "ingest", str(orders), "--project", str(project.root)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(f"ingesting: {step} "):
            os.kill(process.pid, signal.SIGKILL)
            break
    assert process.wait(timeout=120) == -signal.SIGKILL, "the load finished before it could be killed"
    assert fingerprint(project) == before
    # The warehouse is healthy: the same file loads completely afterwards.
    result = ingest(project, [orders], NullReporter()).results[0]
    assert (result.loaded, result.quarantined, result.typed_read) == (
        (399_600, 400, False) if bad else (400_000, 0, True)
    )
