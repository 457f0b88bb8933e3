"""evaluate on the tiny shop of tests/metrics (revenue: January 2024 39, February 20, March
none, April 35): the values alerts see are the metrics layer's, and a timeline of checks walks an
alert through its states."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from bizsight.alerts.rules import Rule, parse_rule, parse_rules
from bizsight.alerts.states import AlertState, Status
from bizsight.metrics.definitions import Compare
from bizsight.metrics.query import Filter, Query
from bizsight.services.alert_checks import evaluate
from bizsight.services.project import Project
from bizsight.services.query import run_query
from bizsight.warehouse.connection import Warehouse
from tests.metrics.conftest import shop

MARCH_5 = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)  # last month is February


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The tiny shop, with an anomaly and target pacing put in its marts by hand."""
    project = shop(tmp_path_factory.mktemp("alerts"))
    with project.warehouse() as wh:
        anomalies = pa.table(
            {
                "metric": ["revenue", "revenue", "orders"],
                "grain": ["day"] * 3,
                "dimension": [None, "region", None],
                "dimension_value": [None, "Europe", None],
                "period": [dt.date(2024, 2, 20), dt.date(2024, 2, 21), dt.date(2024, 2, 22)],
                "actual": [0.0, 1.0, 0.0],
                "expected": [12.5, 9.0, 1.0],
                "lower": [5.0, 4.0, 0.0],
                "upper": [20.0, 14.0, 2.0],
                "direction": ["drop"] * 3,
                "kind": ["point"] * 3,
                "severity": ["medium", "high", "high"],
                "score": [4.0, 6.0, 7.0],
            }
        )
        wh.replace_table("marts", "anomalies", anomalies)
        pacing = pa.table(
            {
                "metric": ["revenue", "revenue"],
                "period_start": [dt.date(2024, 3, 1), dt.date(2024, 3, 1)],
                "period_end": [dt.date(2024, 3, 31), dt.date(2024, 3, 31)],
                "filter": ["", "region=Europe"],
                "target": [100.0, 60.0],
                "actual": [10.0, 30.0],
                "probability": [0.25, 0.7],
                "status": ["at risk", "on track"],
            }
        )
        wh.replace_table("marts", "target_pacing", pacing)
    return project


@pytest.fixture
def wh(project: Project) -> Iterator[Warehouse]:
    with project.warehouse(read_only=True) as wh:
        yield wh


def revenue_rule(name: str, kind: str, **fields: object) -> Rule:
    return parse_rule({"name": name, "kind": kind, "metric": "revenue", **fields})


def value(project: Project, wh: Warehouse, query: Query, column: str) -> float:
    return float(run_query(project, query, today=MARCH_5.date(), wh=wh).table.column(column)[0].as_py())


def test_a_threshold_rule_sees_the_metrics_layers_value(project: Project, wh: Warehouse) -> None:
    rule = revenue_rule("low revenue", "threshold", direction="below", value=30)
    run = evaluate(project, wh, [rule], {}, MARCH_5)
    (check,) = run.checks
    expected = value(project, wh, Query(metrics=("revenue",), range="last_month"), "revenue")
    assert check.observation.value == expected == 20.0
    assert check.state.status is Status.TRIGGERED
    (sent,) = run.notifications
    assert sent.kind == "triggered" and sent.channel == "primary"
    assert sent.message == "Alert (medium) — low revenue: Revenue (last month) is $20.00, below $30.00"


def test_a_threshold_rule_with_a_filter(project: Project, wh: Warehouse) -> None:
    rule = revenue_rule(
        "europe",
        "threshold",
        direction="above",
        value=100,
        filters={"region": ["Europe"]},
        window="last_90_days",
    )
    (check,) = evaluate(project, wh, [rule], {}, MARCH_5).checks
    query = Query(
        metrics=("revenue",), range="last_90_days", filters=(Filter(dimension="region", values=("Europe",)),)
    )
    assert check.observation.value == value(project, wh, query, "revenue")
    assert check.observation.breached is False and check.notifications == ()


def test_a_change_rule_compares_as_the_metrics_layer_does(project: Project, wh: Warehouse) -> None:
    rule = revenue_rule("drop", "change", direction="below", value=-0.2, severity="high")
    (check,) = evaluate(project, wh, [rule], {}, MARCH_5).checks
    query = Query(metrics=("revenue",), range="last_month", compare=Compare.PREVIOUS_PERIOD)
    expected = value(project, wh, query, "revenue__change_pct")
    assert check.observation.value == pytest.approx(expected) == pytest.approx((20 - 39) / 39)
    (sent,) = check.notifications
    assert sent.severity == "high"
    assert sent.message == (
        "Alert (high) — drop: Revenue (last month) changed -48.7% against the previous period "
        "($39.00 → $20.00), below -20.0%"
    )


def test_a_change_without_a_previous_value_changes_nothing(project: Project, wh: Warehouse) -> None:
    rule = revenue_rule("yoy", "change", compare="previous_year", direction="below", value=0)
    (check,) = evaluate(project, wh, [rule], {}, MARCH_5).checks
    assert check.observation.breached is None and check.state.status is Status.OK
    assert "no previous year to compare with" in check.observation.detail


def test_checks_walk_an_alert_through_its_states(project: Project, wh: Warehouse) -> None:
    rules = parse_rules(
        [
            {
                "name": "low revenue",
                "kind": "threshold",
                "metric": "revenue",
                "direction": "below",
                "value": 30,
                "cooldown": "7d",
                "escalate_after": "2d",
            }
        ]
    )
    states: dict[str, AlertState] = {}
    sent = []
    for when in (
        MARCH_5,
        MARCH_5 + dt.timedelta(days=1),
        MARCH_5 + dt.timedelta(days=3),
        dt.datetime(2024, 5, 2),
    ):
        run = evaluate(project, wh, rules, states, when)
        states = run.states
        sent += [(n.kind, n.channel) for n in run.notifications]
    # February's 20 is below 30 until May's check looks at April (35)
    assert sent == [
        ("triggered", "primary"),
        ("escalated", "escalation"),
        ("recovered", "primary"),
        ("recovered", "escalation"),
    ]
    assert states["low revenue"].status is Status.RESOLVED


def test_an_anomaly_rule_reads_the_mart(project: Project, wh: Warehouse) -> None:
    rules = parse_rules(
        [
            {"name": "any", "kind": "anomaly", "metric": "revenue", "min_severity": "medium"},
            {"name": "high only", "kind": "anomaly", "metric": "revenue", "min_severity": "high"},
            {"name": "europe", "kind": "anomaly", "metric": "revenue", "filters": {"region": ["Europe"]}},
        ]
    )
    run = evaluate(project, wh, rules, {}, MARCH_5)
    by_rule = {c.rule: c for c in run.checks}
    assert by_rule["any"].observation.breached is True and by_rule["any"].observation.severity == "medium"
    assert by_rule["any"].notifications[0].message == (
        "Alert (medium) — any: 1 anomaly of Revenue (last month), the latest on 2024-02-20: "
        "$0.00 against $12.50 expected"
    )
    assert by_rule["high only"].observation.breached is False
    assert by_rule["europe"].observation.severity == "high" and by_rule["europe"].observation.value == 6.0
    # a month later February's anomalies are out of the window: recovered
    later = evaluate(project, wh, rules, run.states, dt.datetime(2024, 4, 5, tzinfo=dt.UTC))
    assert [(n.rule, n.kind) for n in later.notifications] == [("any", "recovered"), ("europe", "recovered")]


def test_a_pacing_rule_reads_the_mart(project: Project, wh: Warehouse) -> None:
    rules = parse_rules(
        [
            {"name": "total behind", "kind": "pacing", "metric": "revenue"},
            {"name": "europe unlikely", "kind": "pacing", "metric": "revenue", "probability_below": 0.5,
             "filters": {"region": ["Europe"]}},
            {"name": "no target", "kind": "pacing", "metric": "orders"},
        ]
    )  # fmt: skip
    by_rule = {c.rule: c for c in evaluate(project, wh, rules, {}, MARCH_5).checks}
    total = by_rule["total behind"]
    assert total.observation.breached is True and total.observation.value == 0.25
    assert total.notifications[0].message == (
        "Alert (medium) — total behind: Revenue (last month): $10.00 of $100.00 by 2024-03-31, "
        "25.0% likely to be reached (at risk)"
    )
    assert by_rule["europe unlikely"].observation.breached is False
    assert by_rule["no target"].observation.breached is None


def test_a_rule_that_cannot_be_checked_keeps_its_state_and_stops_nothing(
    project: Project, wh: Warehouse
) -> None:
    rules = parse_rules(
        [
            {"name": "gone", "kind": "threshold", "metric": "revenu", "direction": "above", "value": 1},
            {"name": "fine", "kind": "threshold", "metric": "revenue", "direction": "above", "value": 1},
        ]
    )  # no catalogue when read: as if metrics.yml lost the metric since
    before = AlertState("gone", Status.TRIGGERED)
    run = evaluate(project, wh, rules, {"gone": before}, MARCH_5)
    gone, fine = run.checks
    assert gone.state == before and gone.error is not None and "did you mean 'revenue'" in gone.error
    assert fine.state.status is Status.TRIGGERED


def test_the_day_is_the_projects(tmp_path: Path) -> None:
    """At 02:00 UTC on 1 April it is still 31 March in New York: last month is February there."""
    project = shop(tmp_path, "timezone: America/New_York\n")
    rule = revenue_rule("r", "threshold", direction="below", value=30)
    with project.warehouse(read_only=True) as wh:
        (late,) = evaluate(project, wh, [rule], {}, dt.datetime(2024, 4, 1, 2, 0, tzinfo=dt.UTC)).checks
        (next_day,) = evaluate(project, wh, [rule], {}, dt.datetime(2024, 4, 1, 5, 0, tzinfo=dt.UTC)).checks
    assert late.observation.value == 20.0  # February
    assert next_day.observation.value == 0.0  # March: no orders, and revenue adds up to 0
