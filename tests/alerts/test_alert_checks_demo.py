"""evaluate on a demo project whose marts refresh made: the anomaly and pacing rules read the
real marts.anomalies and marts.target_pacing, and a threshold rule agrees with run_query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bizsight.alerts.rules import parse_rules
from bizsight.alerts.states import Status
from bizsight.metrics.query import Filter, Query
from bizsight.services.alert_checks import evaluate
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse
from tests.demo_builds import SMALL, DemoBuilds

NOW = dt.datetime(2026, 11, 15, 7, 0, tzinfo=dt.UTC)  # the data ends on 30 September 2026


@pytest.fixture(scope="module")
def wh(demo_builds: DemoBuilds) -> Iterator[tuple[Project, Warehouse]]:
    project = demo_builds.shared(SMALL)
    with project.warehouse(read_only=True) as wh:
        yield project, wh


def test_rules_on_the_demo_marts(wh: tuple[Project, Warehouse]) -> None:
    project, warehouse = wh
    rules = parse_rules(
        [
            {"name": "aov anomaly", "kind": "anomaly", "metric": "average_order_value", "min_severity": "low",
             "window": "last_12_months"},
            {"name": "november", "kind": "pacing", "metric": "revenue", "probability_below": 0.5},
            {"name": "europe behind", "kind": "pacing", "metric": "revenue", "filters": {"region": ["Europe"]}},
            {"name": "europe orders", "kind": "threshold", "metric": "orders", "direction": "above", "value": 0,
             "filters": {"region": ["Europe"]}, "window": "last_12_months"},
        ],
        catalogue(project),
    )  # fmt: skip
    run = evaluate(project, warehouse, rules, {}, NOW)
    checks = {c.rule: c for c in run.checks}
    assert all(c.error is None for c in run.checks)

    anomalies = warehouse.rows(
        "SELECT count(*), max(score) FROM marts.anomalies WHERE metric = 'average_order_value' "
        "AND dimension IS NULL AND period BETWEEN DATE '2025-11-16' AND DATE '2026-11-15'"
    )[0]
    anomaly = checks["aov anomaly"].observation
    assert anomalies[0] > 0 and anomaly.breached is True
    assert anomaly.value == pytest.approx(anomalies[1])
    assert anomaly.detail.startswith(f"{anomalies[0]} anomalies of Average order value (last 12 months)")

    total, europe = (
        warehouse.rows(
            "SELECT probability, status FROM marts.target_pacing WHERE metric = 'revenue' AND filter = ? "
            "AND period_start = DATE '2026-11-01'",
            [text],
        )[0]
        for text in ("", "region=Europe")
    )
    assert checks["november"].observation.value == pytest.approx(total[0])
    assert checks["november"].observation.breached is (total[0] < 0.5)
    assert checks["europe behind"].observation.breached is (europe[1] in ("at risk", "missed"))

    query = Query(
        metrics=("orders",), range="last_12_months", filters=(Filter(dimension="region", values=("Europe",)),)
    )
    orders = run_query(project, query, today=NOW.date(), wh=warehouse).table.column("orders")[0].as_py()
    assert checks["europe orders"].observation.value == orders > 0
    assert checks["europe orders"].state.status is Status.TRIGGERED
