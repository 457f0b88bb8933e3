"""Anomalies and trends on the demo project: refresh writes marts.anomalies, finds a spike of
orders injected into the demo data, and the CLI lists it; trends through the metrics layer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bizsight.console import NullReporter
from bizsight.errors import ConfigError
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from bizsight.services.status import status
from bizsight.services.trends import trends
from tests.helpers import ORDER_HEADER, demo_project, order, run_cli, write_csv

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

SPIKE_DAY = dt.date(2026, 3, 18)  # a Wednesday, far from either end of the demo's two years
END = dt.date(2026, 9, 30)


def cli_json(project: Project, *args: str) -> Any:
    """``bizsight ARGS --format json`` on ``project``, which must succeed; its parsed output."""
    result = run_cli(*args, "--format", "json", "--project", str(project.root))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A 2,000-customer, two-year demo with 60 extra one-line orders on SPIKE_DAY (~12 a day
    is normal there)."""
    root = tmp_path_factory.mktemp("anomalies")
    project = demo_project(root, customers=2_000, years=2.0, seed=21, end_date=END)
    with project.warehouse(read_only=True) as wh:
        customers = [c for (c,) in wh.rows("SELECT customer_id FROM core.dim_customer ORDER BY 1 LIMIT 60")]
        (product,) = wh.rows("SELECT product_id FROM core.dim_product ORDER BY 1 LIMIT 1")[0]
    rows = [
        order(f"SPIKE-{i}", customer, product, date=f"{SPIKE_DAY} 12:00:00", price="20.00")
        for i, customer in enumerate(customers)
    ]
    extra = write_csv(root / "extra" / "sales_transactions.csv", ORDER_HEADER, rows)
    ingest(project, [extra], NullReporter())
    refresh(project, NullReporter())
    return project


def test_refresh_writes_marts_anomalies_and_status_lists_it(demo: Project) -> None:
    with demo.warehouse(read_only=True) as wh:
        columns = [
            c
            for (c,) in wh.rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'marts' AND table_name = 'anomalies'"
            )
        ]
        scored = {m for (m,) in wh.rows("SELECT DISTINCT metric FROM marts.anomalies")}
    assert columns[:6] == ["metric", "grain", "dimension", "dimension_value", "period", "actual"]
    assert {"expected", "lower", "upper", "direction", "kind", "severity", "score"} <= set(columns)
    assert scored <= {"revenue", "orders", "new_customers", "average_order_value"}
    listed = {(t["schema"], t["table"]) for t in status(demo)["tables"]}
    assert {("marts", "anomalies"), ("marts", "anomaly_series")} <= listed


def test_every_watched_series_is_listed_with_its_status(demo: Project) -> None:
    with demo.warehouse(read_only=True) as wh:
        rows = wh.rows(
            "SELECT metric, dimension, dimension_value, last_period, points, anomalies, status "
            "FROM marts.anomaly_series"
        )
        flagged = wh.scalar("SELECT count(*) FROM marts.anomalies")
    totals = {r[0]: r for r in rows if r[1] is None}
    assert set(totals) == {"revenue", "orders", "new_customers", "average_order_value"}
    assert all(r[3] == END for r in rows)
    assert all(totals[m][6] == "scored" for m in ("revenue", "orders", "average_order_value"))
    assert {r[2] for r in rows if r[0] == "orders" and r[1] == "sales_channel"} >= {"online", "mobile_app"}
    assert sum(r[5] for r in rows) == flagged
    assert any(r[6].startswith("skipped: median") for r in rows)  # ~2 new customers a day in a region


def test_the_injected_spike_of_orders_is_found(demo: Project) -> None:
    with demo.warehouse(read_only=True) as wh:
        rows = wh.rows(
            "SELECT metric, direction, severity, actual, expected, upper FROM marts.anomalies "
            "WHERE period = ? AND dimension IS NULL AND kind = 'outlier'",
            [SPIKE_DAY],
        )
        per_day = wh.scalar("SELECT count(*) FROM marts.anomalies WHERE dimension IS NULL") / 730
    found = {
        metric: (direction, severity, actual, expected, upper)
        for metric, direction, severity, actual, expected, upper in rows
    }
    assert "orders" in found
    direction, severity, actual, expected, upper = found["orders"]
    assert direction == "spike"
    assert severity in ("medium", "high")  # measured: medium (score 5-8; daily orders are overdispersed)
    assert actual > upper > expected
    assert actual - expected == pytest.approx(60, rel=0.35)  # the 60 orders added, within noise
    assert per_day < 0.02  # totals: fewer than one flagged day in fifty on the clean demo


def test_cli_lists_anomalies_as_json_since_a_day(demo: Project) -> None:
    data = cli_json(demo, "anomalies", "--since", "2026-03-01", "--metric", "orders")
    assert data["since"] == "2026-03-01"
    assert all(row["period"] >= "2026-03-01" and row["metric"] == "orders" for row in data["anomalies"])
    assert any(row["period"] == str(SPIKE_DAY) and row["dimension"] is None for row in data["anomalies"])
    recent = cli_json(demo, "anomalies")
    assert recent["since"] == str(END - dt.timedelta(days=29))  # the last 30 days of data
    high = cli_json(demo, "anomalies", "--since", "2024-01-01", "--severity", "medium")
    severities = {row["severity"] for row in high["anomalies"]}
    assert severities
    assert severities <= {"medium", "high"}
    table = run_cli("anomalies", "--since", str(SPIKE_DAY), "--project", str(demo.root))
    assert "▲ spike" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("anomalies", "--since", "2026-02-30"), "--since '2026-02-30' is not a date"),
        (("anomalies", "--metric", "ordrs"), "did you mean 'orders'?"),
        (("trends", "revenu"), "did you mean 'revenue'?"),
        (("trends", "orders", "--by", "regoin"), "did you mean 'region'?"),
        (("trends", "orders", "--from", "2026-05-01", "--to", "2026-01-01"), "is after"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_2(demo: Project, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args, "--project", str(demo.root))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_anomalies_before_any_refresh_say_what_to_do(tmp_path: Path) -> None:
    project = Project(tmp_path / "shop")
    project.init()
    with project.warehouse():
        pass
    result = run_cli("anomalies", "--project", str(project.root))
    assert result.returncode == 2
    assert "bizsight refresh" in result.stderr


def test_trends_by_month_through_the_metrics_layer(demo: Project) -> None:
    result = trends(demo, "orders", grain="month", start=dt.date(2025, 10, 1))
    rows = result.table.to_pylist()
    assert rows[0]["period"] == dt.date(2025, 10, 1)
    assert rows[-1]["period"] == dt.date(2026, 9, 1)
    query = demo.query("orders", grain="month", start="2024-10-01")
    monthly = {r["period"]: r["orders"] for r in query.to_pylist()}
    first = rows[0]
    assert first["value"] == monthly[dt.date(2025, 10, 1)]
    assert first["yoy"] == pytest.approx(
        monthly[dt.date(2025, 10, 1)] / monthly[dt.date(2024, 10, 1)] - 1, abs=1e-6
    )
    assert first["mom"] == pytest.approx(
        monthly[dt.date(2025, 10, 1)] / monthly[dt.date(2025, 9, 1)] - 1, abs=1e-6
    )
    expected_ma = sum(monthly[dt.date(2025, m, 1)] for m in (8, 9, 10)) / 3
    assert first["ma_3m"] == pytest.approx(expected_ma, abs=1e-6)
    for row in rows:
        parts = row["trend"] + row["yearly"] + row["remainder"]
        assert parts == pytest.approx(row["value"], abs=1e-5)


def test_cli_trends_json_by_region(demo: Project) -> None:
    data = cli_json(demo, "trends", "revenue", "--by", "region", "--from", "2026-09-01")
    assert data["grain"] == "day"
    regions = {row["region"] for row in data["rows"]}
    assert len(regions) >= 3
    assert all(row["ma_7d"] is not None and row["weekly"] is not None for row in data["rows"])


def test_a_series_the_catalogue_does_not_know_is_skipped_with_a_warning(
    demo: Project, tmp_path: Path
) -> None:
    copy = Project(tmp_path / "copy")
    copy.init()
    copy.paths.warehouse.write_bytes(demo.paths.warehouse.read_bytes())
    copy.paths.config_file.write_text(
        "anomalies:\n  series:\n    - metric: revenu\n    - metric: orders\n      by: [region]\n"
    )
    reporter = NullReporter()
    refresh(copy, reporter)
    assert any("revenu" in w for w in reporter.warnings)
    with copy.warehouse(read_only=True) as wh:
        scored = {(m, d) for m, d in wh.rows("SELECT DISTINCT metric, dimension FROM marts.anomalies")}
    assert scored <= {("orders", None), ("orders", "region")}
    assert ("orders", None) in scored


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("anomalies:\n  treshold: 4\n", "did you mean 'threshold'"),
        ("anomalies:\n  series:\n    - metric: revenue\n      bye: [region]\n", "did you mean 'by'"),
        ("anomalies:\n  grain: hour\n", r"anomalies\.grain"),
    ],
)
def test_anomaly_settings_refuse_unknown_keys(tmp_path: Path, text: str, message: str) -> None:
    from bizsight.config import load_settings

    path = tmp_path / "bizsight.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_trends_say_when_the_last_period_is_partial(demo: Project) -> None:
    # The demo ends on Wednesday 30 September 2026: the last week is partial, the last month not.
    weekly = trends(demo, "orders", grain="week", start=dt.date(2026, 9, 1))
    assert weekly.notes == [
        "the last week (2026-09-28 to 2026-10-04) has data up to 2026-09-30 only: "
        "its value, averages and growth are for part of it"
    ]
    assert trends(demo, "orders", grain="month", start=dt.date(2026, 6, 1)).notes == []
    cut = trends(demo, "orders", grain="month", start=dt.date(2026, 6, 1), end=dt.date(2026, 9, 15))
    assert "has data up to 2026-09-15 only" in cut.notes[0]


def test_list_anomalies_filters_by_day_metric_and_severity(demo: Project) -> None:
    from bizsight.errors import InvalidArgumentError
    from bizsight.services.anomalies import list_anomalies

    found = list_anomalies(demo, since=SPIKE_DAY, metrics=("orders",), severity="medium")
    rows = found.table.to_pylist()
    assert rows
    assert all(r["period"] >= SPIKE_DAY and r["metric"] == "orders" for r in rows)
    assert {r["severity"] for r in rows} <= {"medium", "high"}
    assert [r["period"] for r in rows] == sorted((r["period"] for r in rows), reverse=True)
    assert found.total >= len(rows)
    with pytest.raises(InvalidArgumentError, match="did you mean 'medium'"):
        list_anomalies(demo, severity="meduim")
    with pytest.raises(InvalidArgumentError, match="metrics with anomalies"):
        list_anomalies(demo, metrics=("refunds",))


def test_metrics_read_together_are_each_metrics_own_series(demo: Project) -> None:
    """Refresh reads the watched metrics over the same tables by the same dimension in one query:
    each column is what the metric's own query gives (the same periods, values and order), and a
    metric that cannot be read is reported alone, its batch read one by one."""
    from bizsight.errors import BizsightError
    from bizsight.services.anomalies import metric_table, metric_tables

    settings = demo.settings.anomalies
    wanted = [(w.metric, d) for w in settings.series for d in (None, *w.by)]
    wanted += [("revenue", "no_such_dimension"), ("orders", "no_such_dimension")]
    with demo.warehouse(read_only=True) as wh:
        together = metric_tables(demo, wh, settings.grain, wanted)
        for metric, dimension in wanted[:-2]:
            alone = metric_table(demo, wh, (metric,), settings.grain, dimension)
            columns = ["period", *([dimension] if dimension else []), metric]
            found = together[(metric, dimension)]
            assert not isinstance(found, BizsightError)
            assert found.select(columns).equals(alone.select(columns)), (metric, dimension)
    assert len(wanted) == 14
    assert all(isinstance(together[(m, "no_such_dimension")], BizsightError) for m in ("revenue", "orders"))
