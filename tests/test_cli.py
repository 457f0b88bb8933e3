"""The command line as a user meets it: one-line errors, never a traceback; JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, customers, order, run_cli, write_csv

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


def assert_one_line_error(result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_file(tmp_path: Path) -> None:
    result = run_cli("ingest", str(tmp_path / "nope.csv"), "--project", str(tmp_path))
    assert_one_line_error(result, "nope.csv", "no such file")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "sales_transactions.parquet"
    bad.write_bytes(b"this is not parquet at all")
    result = run_cli("ingest", str(bad), "--project", str(tmp_path / "p"))
    assert_one_line_error(result, "sales_transactions.parquet", "cannot be read as parquet")


def test_unknown_file_type(tmp_path: Path) -> None:
    odd = tmp_path / "orders.xml"
    odd.write_text("<x/>")
    assert_one_line_error(run_cli("ingest", str(odd), "-p", str(tmp_path)), "unknown file type '.xml'")


def test_unknown_column_names_file_column_and_suggestion(tmp_path: Path) -> None:
    header = [*ORDER_HEADER[:3], "order_dat", *ORDER_HEADER[4:]]
    path = write_csv(tmp_path / "sales_transactions.csv", header, [order("O1")])
    result = run_cli("ingest", str(path), "-p", str(tmp_path / "p"))
    assert_one_line_error(
        result, "sales_transactions.csv", "unknown column 'order_dat'", "did you mean 'order_date'"
    )


def test_missing_required_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customer_database.csv", ["customer_name"], [["x"]])
    assert_one_line_error(
        run_cli("ingest", str(path), "-p", str(tmp_path / "p")),
        "missing required column 'customer_id'",
    )


def test_status_before_any_load(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("status", "-p", str(tmp_path)), "no warehouse", "bizsight ingest")


def test_jobs_of_a_directory_that_is_no_project(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("jobs", "list", "-p", str(tmp_path / "typo")), "no warehouse", "bizsight ingest"
    )


def test_bad_option_value_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("demo-data", str(tmp_path / "d"), "--customers", "many")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--customers" in result.stderr and "integer" in result.stderr


def test_ingest_json_reports_the_invariant_per_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "in" / "customer_database.csv", CUSTOMER_HEADER, customers(2))
    write_csv(
        tmp_path / "in" / "sales_transactions.csv",
        ORDER_HEADER,
        [order("O1"), order("O1"), order("O2", customer="C9"), order("O3", product="P1")],
    )
    result = run_cli("ingest", str(tmp_path / "in"), "-p", str(tmp_path / "p"), "--json")
    assert result.returncode == 0, result.stderr
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    orders = files["sales_transactions.csv"]
    assert orders["rows_read"] == orders["loaded"] + orders["quarantined"] + orders["duplicates_skipped"] == 4
    assert orders["quarantined_by_rule"] == {"unknown_customer": 1}
    assert orders["placeholders_created"] == 1  # P1: no product file was ever loaded
    report = Path(tmp_path / "p" / ".bizsight" / "reports" / f"load-{orders['load_id']:06d}.json")
    quality = json.loads(report.read_text())
    assert quality["match_rate"]["customer_id"] == pytest.approx(2 / 3)
    assert quality["invariant_holds"] is True
    status = json.loads(run_cli("status", "-p", str(tmp_path / "p"), "--json").stdout)
    assert status["needs_refresh"] is True
    assert run_cli("refresh", "-p", str(tmp_path / "p")).returncode == 0
    status = json.loads(run_cli("status", "-p", str(tmp_path / "p"), "--json").stdout)
    assert status["needs_refresh"] is False
    assert {"entity": "order_lines", "rule": "unknown_customer", "rows": 1} in status["quarantine"]


def test_help_explains_commands() -> None:
    result = run_cli("ingest", "--help")
    assert result.returncode == 0
    assert "rows read = loaded + quarantined + duplicates skipped" in " ".join(result.stdout.split())


def test_a_warehouse_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    write_csv(tmp_path / "in" / "customer_database.csv", CUSTOMER_HEADER, customers(1))
    assert run_cli("ingest", str(tmp_path / "in"), "-p", str(tmp_path / "p")).returncode == 0
    warehouse = tmp_path / "p" / ".bizsight" / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect('{warehouse}'); print('ready', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_cli("status", "-p", str(tmp_path / "p"))
        assert_one_line_error(result, f"in use by process {holder.pid}, which is not a bizsight server")
    finally:
        holder.kill()
        holder.wait()
