"""Automated insights on the demo (the default 20,000 customers over three years) against its
ground truth: they find the stated category drop (right members, direction and size) and the
stated seasonality; every number they cite is the metrics layer's answer to the same query; a
reader restricted to a region gets insights about that region's rows only; the executive report
writes these insights; the insights job keeps them for the pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bizsight.analytics.contribution import contributions, total_change
from bizsight.app.models import Role
from bizsight.console import NullReporter
from bizsight.demo import params
from bizsight.metrics.query import Filter, Query
from bizsight.reports import Findings
from bizsight.services import insight_store
from bizsight.services.access import SYSTEM, Principal
from bizsight.services.insights import as_finding, compute
from bizsight.services.jobs import JobContext, follow_ups, kind
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import run_query
from bizsight.services.report_parts import Reading
from bizsight.services.report_templates import ReportRequest, build_report
from bizsight.warehouse.connection import Warehouse
from tests.helpers import demo_project

pytestmark = pytest.mark.slow

EUROPE = Principal(
    user_id=9,
    username="eu",
    role=Role.VIEWER,
    restrictions=(Filter(dimension="region", op="in", values=("Europe",)),),
)
SIZE_TOLERANCE = 0.15  # the drop found may differ from the stated share by this much (sampling noise)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Any]]:
    root = Path(tmp_path_factory.mktemp("insights-demo"))
    project = demo_project(root, customers=20_000, years=3.0, seed=42)  # what `bizsight demo` makes
    return project, json.loads((root / "data" / "ground_truth.json").read_text())


@pytest.fixture
def wh(demo: tuple[Project, dict[str, Any]]) -> Iterator[Warehouse]:
    with demo[0].warehouse(read_only=True) as opened:
        yield opened


def value_of(project: Project, source: dict[str, Any], restrictions: tuple[Filter, ...] = ()) -> Any:
    """The metrics layer's answer to the query a cited number names."""
    filters = tuple(Filter(dimension=d, values=(v,)) for d, v in source["where"].items()) + restrictions
    query = Query(
        metrics=(source["metric"],),
        start=dt.date.fromisoformat(source["start"]),
        end=dt.date.fromisoformat(source["end"]),
        filters=filters,
    )
    return run_query(project, query, wh=None).table.column(source["metric"])[0].as_py()


def test_insights_find_the_stated_category_drop(demo: tuple[Project, dict[str, Any]], wh: Warehouse) -> None:
    project, truth = demo
    (event,) = truth["events"]
    assert event["applied"] and event["kind"] == "category_drop"
    found = insight_store.build(project, wh)
    period = found.reading.period
    assert (period.start.isoformat(), period.end.isoformat()) == (
        event["start"],
        event["end"],
    )  # the last full quarter
    members = [i for i in found.insights if i.kind == "member"]
    cell = next(
        i for i in members if dict(i.subject) == {"region": event["region"], "category": event["category"]}
    )
    assert cell.direction == "down"
    assert cell.evidence["p_value"] < 0.001
    expected = float(cell.evidence["growth"]) * float(
        cell.numbers[2][0]
    )  # the previous quarter × the whole's growth
    drop = -float(cell.evidence["excess"]) / expected
    assert abs(drop - event["share"]) <= SIZE_TOLERANCE, drop
    # Whatever else is flagged is the event seen from above (the category as a whole falls): a
    # member unrelated to it would be noise, which the Holm-corrected test lets through in at
    # most 5 % of periods of no change.
    for other in members:
        assert event["category"] in other.subject.values() or event["region"] in other.subject.values(), (
            other.text
        )
    investigate = [r for r in found.recommendations if r.action == "investigate"]
    assert any(event["category"] in r.title and event["region"] in r.title for r in investigate)


def test_insights_find_the_stated_seasonality(demo: tuple[Project, dict[str, Any]], wh: Warehouse) -> None:
    project, truth = demo
    season = next(i for i in insight_store.build(project, wh).insights if i.kind == "seasonality")
    factors = np.array(list(truth["seasonality"]["month_factors"].values()))
    assert season.evidence["peak"] == int(np.argmax(factors)) + 1 == 12  # December
    assert season.evidence["trough"] == int(np.argmin(factors)) + 1 == 2  # February
    found = np.array([season.evidence["indices"][str(m)] for m in range(1, 13)])
    assert np.corrcoef(found, factors)[0, 1] >= 0.9
    assert tuple(truth["seasonality"]["month_factors"].values()) == params.MONTH_FACTORS


def test_every_cited_metric_value_is_the_metrics_layers(
    demo: tuple[Project, dict[str, Any]], wh: Warehouse
) -> None:
    project, _ = demo
    checked = 0
    for principal in (SYSTEM, EUROPE):
        for insight in insight_store.build(project, wh, principal).insights:
            for index, source in insight.evidence.get("sources", {}).items():
                assert insight.numbers[index][0] == value_of(project, source, principal.restrictions), (
                    insight.text
                )
                checked += 1
    assert checked >= 6


def test_contributions_add_up_to_the_change_of_revenue(
    demo: tuple[Project, dict[str, Any]], wh: Warehouse
) -> None:
    project, _ = demo
    reading = insight_store.build(project, wh).reading
    previous = reading.period.previous
    total = float(reading.value("revenue")) - float(reading.value("revenue", previous))
    for dimension in ("region", "category", "sales_channel", "customer_segment"):
        now = {r[dimension]: r["revenue"] for r in reading.rows("revenue", dimensions=(dimension,))}
        before = {
            r[dimension]: r["revenue"]
            for r in reading.rows("revenue", dimensions=(dimension,), span=previous)
        }
        assert float(total_change(contributions(now, before))) == pytest.approx(total, rel=1e-9)


def test_a_reader_restricted_to_a_region_sees_only_its_rows(
    demo: tuple[Project, dict[str, Any]], wh: Warehouse
) -> None:
    project, _ = demo
    found = insight_store.build(project, wh, EUROPE)
    assert found.insights
    others = [r for r in params.REGIONS if r != "Europe"]
    payload = insight_store.as_json(found, presentation(project, wh))
    text = json.dumps(payload, default=str)
    assert not any(region in text for region in others)
    assert all(i.subject.get("region", "Europe") == "Europe" for i in found.insights)
    assert not [
        i for i in found.insights if i.kind in ("target", "anomaly") and not i.subject
    ]  # whole-business figures withheld
    revenue = next((i for i in found.insights if i.kind == "change" and i.title.startswith("Revenue")), None)
    if revenue is not None:
        europe = Filter(dimension="region", values=("Europe",))
        assert revenue.numbers[2][0] == value_of(project, revenue.evidence["sources"][2], (europe,))


def test_the_executive_report_writes_the_insights(
    demo: tuple[Project, dict[str, Any]], wh: Warehouse
) -> None:
    project, _ = demo
    request = ReportRequest(template="executive", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30))
    doc = build_report(project, wh, request)
    written = next(s for s in doc.sections if isinstance(s, Findings) and s.title == "Insights")
    reading = Reading.of(project, wh, request)
    assert written.items == tuple(as_finding(i, reading) for i in compute(reading)[: len(written.items)])
    assert any("Electronics in Europe" in f.text for f in written.items)
    assert any(s.title == "Recommendations" for s in doc.sections if isinstance(s, Findings))


def test_the_insights_job_follows_each_refresh_and_keeps_them(demo: tuple[Project, dict[str, Any]]) -> None:
    project, _ = demo
    assert ("insights", {}) in follow_ups(project, None, "refresh", None)
    assert kind("insights").work(JobContext(project, {}, NullReporter())) > 0
    with project.warehouse(read_only=True) as wh:
        kept = insight_store.insights(project, wh, SYSTEM)
        assert kept["kept"] is True and kept["insights"]
        assert insight_store.insights(project, wh, EUROPE)["kept"] is False  # never another region's
        asked = insight_store.insights(
            project, wh, SYSTEM, start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 31)
        )
        assert asked["kept"] is False and asked["start"] == "2026-08-01"


def test_a_target_at_risk_says_so_far_only_once_its_period_has_begun(
    demo: tuple[Project, dict[str, Any]], wh: Warehouse
) -> None:
    project, _ = demo
    found = insight_store.build(project, wh, SYSTEM)
    targets = [i for i in found.insights if i.kind == "target"]
    assert targets  # the demo's October targets, just after its last day, are paced at risk
    for insight in targets:
        start = dt.date.fromisoformat(insight.title.split(" target of ")[1][:10])
        text = insight.render(lambda value, unit: str(value))
        assert ("so far" in text) == (start <= found.reading.period.last), text
