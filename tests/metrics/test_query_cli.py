"""`bizsight query` and `bizsight metrics` as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bizsight.services.project import Project
from tests.helpers import run_cli

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


def query(tiny: Project, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("query", *args, "--project", str(tiny.root))


def test_json_and_csv_output(tiny: Project) -> None:
    result = query(
        tiny,
        "revenue",
        "orders",
        "--grain",
        "month",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["period"], r["revenue"], r["orders"]) for r in rows] == [
        ("2024-01-01", "39.00", 3),
        ("2024-02-01", "20.00", 2),
        ("2024-03-01", "0.00", 0),
    ]
    result = query(tiny, "revenue", "--by", "region", "--format", "csv")
    assert list(csv.DictReader(io.StringIO(result.stdout))) == [
        {"region": "Europe", "revenue": "59.00"},
        {"region": "North America", "revenue": "35.00"},
    ]


def test_table_output_formats_numbers(tiny: Project) -> None:
    result = query(tiny, "revenue", "refund_rate", "--where", "region=Europe,North America")
    assert result.returncode == 0, result.stderr
    assert "94.00" in result.stdout and "9.5%" in result.stdout  # refunds 10 of gross 105


def test_filter_value_with_sql_in_it_is_a_value(tiny: Project) -> None:
    result = query(tiny, "revenue", "--where", "region=x' OR 1=1 --", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == [{"revenue": "0.00"}]


def test_bad_input_is_one_line(tiny: Project) -> None:
    for args, fragment in [
        (("revnue",), "unknown metric 'revnue' (did you mean 'revenue'?)"),
        (("revenue", "--by", "regon"), "unknown dimension 'regon' (did you mean 'region'?)"),
        (("revenue", "--from", "31/12/2024"), "--from '31/12/2024' is not a date"),
        (("revenue", "--where", "region"), "cannot read filter 'region'"),
        (("revenue", "--range", "last_fortnight"), "unknown range 'last_fortnight'"),
        (("revenue_growth",), "needs a time grain"),
    ]:
        result = query(tiny, *args)
        assert result.returncode == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and fragment in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_metrics_lists_the_catalogue(tiny: Project) -> None:
    result = run_cli("metrics", "--project", str(tiny.root), "--json")
    catalogue = json.loads(result.stdout)
    assert catalogue["metrics"]["average_order_value"]["ratio"] == ["revenue", "orders"]
    assert "region" in catalogue["dimensions"]


def test_rows_by_product_carry_its_name(tiny: Project) -> None:
    result = query(tiny, "revenue", "--by", "product", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {(r["product"], r["product_name"]) for r in rows} == {("P1", "Lamp"), ("P2", "Cable")}
    table = query(tiny, "revenue", "--by", "product")
    header = table.stdout.splitlines()[1]
    assert "Product name" in header and "Revenue" in header and "Lamp" in table.stdout


def test_table_shows_labels_and_the_currency(tiny: Project) -> None:
    config = tiny.root / "bizsight.yml"
    before = config.read_text()
    try:
        config.write_text(before + "\ncurrency: EUR\nlocale: de\n")
        result = query(tiny, "revenue", "--by", "region")
    finally:
        config.write_text(before)
    assert result.returncode == 0, result.stderr
    assert "Revenue" in result.stdout and "revenue" not in result.stdout
    assert "59,00\xa0€" in result.stdout  # Europe: 59.00, written the German way
