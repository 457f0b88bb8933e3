"""`bizsight forecast-series` on long-format files, and `forecast` / `targets` /
`forecast-accuracy` on a demo project, as a user runs them; errors are one line with exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bizsight.services.forecast_store import current_forecast
from bizsight.services.project import Project
from tests.demo_builds import CUSTOMER_MODELS, DemoBuilds
from tests.helpers import run_cli

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


def long_file(path: Path) -> Path:
    """Two monthly series of four years (a seasonal one, a trending one) and a short one."""
    rng = np.random.default_rng(1)
    rows = []
    for uid, n in (("north", 48), ("south", 48), ("new shop", 8)):
        for i in range(n):
            month = f"{2021 + i // 12}-{i % 12 + 1:02d}-01"
            y = 100 + (30 * (i % 12 == 11) if uid == "north" else 2 * i) + rng.normal(0, 3)
            rows.append({"unique_id": uid, "ds": month, "y": round(float(y), 2)})
    table = pa.Table.from_pylist(rows)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["unique_id", "ds", "y"])
            writer.writeheader()
            writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_forecast_series_writes_forecasts_per_series(tmp_path: Path, suffix: str) -> None:
    path = long_file(tmp_path / f"sales{suffix}")
    result = run_cli("forecast-series", str(path), "--horizon", "6", "--level", "90", "--candidates", "fast")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["unique_id", "ds", "step", "model", "mean", "lo_90", "hi_90"]
    assert len(rows) == 3 * 6
    north = [r for r in rows if r["unique_id"] == "north"]
    assert [r["ds"] for r in north] == [f"2025-{m:02d}-01" for m in range(1, 7)]
    assert all(float(r["lo_90"]) <= float(r["mean"]) <= float(r["hi_90"]) for r in rows)
    assert next(r["model"] for r in rows if r["unique_id"] == "new shop") == "Naive"


def test_forecast_series_json_says_how_each_model_was_chosen(tmp_path: Path) -> None:
    path = long_file(tmp_path / "sales.csv")
    result = run_cli(
        "forecast-series", str(path), "--horizon", "3", "--season-length", "12", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["grain"] == "month" and report["season_length"] == 12
    chosen = {row["unique_id"]: row for row in report["selection"]}
    assert chosen["north"]["method"] == "cross-validation" and chosen["north"]["mase"] is not None
    assert chosen["new shop"]["method"] == "fallback" and "too short" in chosen["new shop"]["reason"]
    assert {row["model"] for row in report["accuracy"] if row["unique_id"] == "north"} >= {
        "SeasonalNaive",
        "AutoETS",
        "AutoARIMA",
        "AutoTheta",
    }


def test_forecast_series_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    no_y = tmp_path / "no_y.csv"
    no_y.write_text("unique_id,ds,sales\na,2024-01-01,3\n")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    cases = [
        ((str(no_y), "--horizon", "3"), "missing column y"),
        ((str(tmp_path / "absent.csv"), "--horizon", "3"), "no such file"),
        ((str(broken), "--horizon", "3"), "cannot read it as parquet"),
        ((str(no_y), "--horizon", "0"), "horizon 0"),
    ]
    for args, message in cases:
        result = run_cli("forecast-series", *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def shop(demo_builds: DemoBuilds) -> Project:
    """Three years of demo data: 36 months, enough for refresh to forecast and pace targets (the
    shared build: these commands only read)."""
    return demo_builds.shared(CUSTOMER_MODELS)


def test_forecast_command_prints_reconciled_forecasts_as_json_and_a_table(shop: Project) -> None:
    result = run_cli(
        "forecast",
        "revenue",
        "--by",
        "region",
        "--format",
        "json",
        "--candidates",
        "fast",
        "--project",
        str(shop.root),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["origin"] == "2026-09-01" and report["levels"] == [80, 95]
    assert len(report["forecasts"]) == 5 * 3 and report["reconciliation"].startswith("weighted")
    assert report["basis"] == "forecast made now from the fast candidates"
    # With the default models it prints the forecast refresh stored, as the Forecasts page does.
    stored = run_cli("forecast", "revenue", "--by", "region", "--format", "json", "--project", str(shop.root))
    assert stored.returncode == 0, stored.stderr
    answer = json.loads(stored.stdout)
    assert answer["basis"].startswith("stored forecast of revenue by region (refresh of ")
    with shop.warehouse(read_only=True) as wh:
        kept = current_forecast(wh, "revenue", "month", "region")
    assert kept is not None
    assert [(r["series"], r["period"], r["forecast"]) for r in answer["forecasts"]] == [
        (r["series"], str(r["period"]), r["forecast"]) for r in kept.forecasts.to_pylist()
    ]
    table = run_cli(
        "forecast", "orders", "--project", str(shop.root), "--scenario", "price:+5%:elasticity=-1"
    )
    assert table.returncode == 0, table.stderr
    assert "Model per series" in table.stdout and "Scenario: price +5.0%" in table.stdout
    assert "Basis: forecast made now with a scenario" in table.stdout


def test_targets_and_tracked_accuracy_commands(shop: Project) -> None:
    result = run_cli("targets", "--format", "csv", "--project", str(shop.root))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 80 and {"target", "actual", "pct_achieved", "probability", "status"} <= set(rows[0])
    accuracy = run_cli(
        "forecast-accuracy", "revenue", "--by", "region", "--format", "json", "--project", str(shop.root)
    )
    assert accuracy.returncode == 0, accuracy.stderr
    assert json.loads(accuracy.stdout)["rows"] == []  # refresh's forecasts are of months still to come


def test_forecast_command_errors_are_one_line_with_exit_2(shop: Project) -> None:
    cases = [
        (("forecast", "revenu"), "did you mean 'revenue'"),
        (("forecast", "revenue", "--by", "regoin"), "did you mean 'region'"),
        (("forecast", "revenue", "--scenario", "price:+5%"), "needs elasticity"),
        (("forecast", "revenue", "--level", "120"), "levels [120]"),
    ]
    for args, message in cases:
        result = run_cli(*args, "--project", str(shop.root))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_help_texts_show_examples() -> None:
    for command, example in (
        ("forecast", "bizsight forecast revenue --by region"),
        ("forecast-series", "bizsight forecast-series sales.csv --horizon 12"),
        ("targets", "bizsight targets"),
    ):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and example in result.stdout, result.stdout
