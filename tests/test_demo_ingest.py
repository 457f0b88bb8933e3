"""Dirty demo data end to end: every injected defect lands where its ground truth says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizsight.console import NullReporter
from bizsight.demo import generate
from bizsight.services import data as service
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from bizsight.services.status import status
from tests.helpers import run_cli

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


@pytest.fixture(scope="module")
def dirty_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("demo") / "data"
    truth = generate(out, customers=2_000, years=2.0, seed=11, dirty=0.08)
    return out, truth


def test_each_defect_kind_lands_under_its_rule_and_clean_rows_load(dirty_demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, truth = dirty_demo
    project = Project(tmp_path / "p")
    summary = ingest(project, [data], NullReporter())
    assert sorted(p.name for p in summary.skipped) == ["ground_truth.json", "ground_truth_customers.parquet"]
    assert len(summary.results) == 8
    for result in summary.results:
        expected = truth["files"][result.path.name]["expected"]
        assert result.rows_read == truth["files"][result.path.name]["rows"]
        assert result.loaded == expected["loaded"], result.path.name
        assert result.quality["quarantined_by_rule"] == expected["quarantined"], result.path.name
        assert result.counts["exact_duplicate"] == expected["duplicates"]["exact_duplicate"], result.path.name
        assert result.counts["resent_duplicate"] == expected["duplicates"]["resent_duplicate"], (
            result.path.name
        )
    # Loading the same files again changes nothing; refresh then builds the derived tables.
    again = ingest(project, [data], NullReporter())
    assert all(r.already_loaded_as is not None for r in again.results)
    rebuilt = refresh(project, NullReporter())
    assert rebuilt.tables["core.fact_order_line"] == next(
        r.loaded for r in summary.results if r.entity == "order_lines"
    )
    state = status(project)
    assert state["needs_refresh"] is False
    assert {row["entity"] for row in state["quarantine"]} == {
        r.entity for r in summary.results if r.quarantined
    }


def test_clean_demo_loads_every_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    truth = generate(data, customers=1_000, years=1.0, seed=3, dirty=0.0)
    summary = ingest(Project(tmp_path / "p"), [data], NullReporter())
    for result in summary.results:
        assert result.quarantined == 0 and result.duplicates == 0, result.quality["examples"]
        assert result.loaded == truth["files"][result.path.name]["rows"]
    report = json.loads((tmp_path / "p" / ".bizsight" / "reports" / "load-000003.json").read_text())
    assert report["match_rate"] == {"customer_id": 1.0, "product_id": 1.0}


def test_the_quality_report_and_the_loads_page_agree_with_the_cli_on_every_count(  # type: ignore[no-untyped-def]
    dirty_demo, tmp_path: Path
) -> None:
    data, _ = dirty_demo
    project = tmp_path / "p"
    done = run_cli("ingest", str(data), "--project", str(project), "--json")
    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)["files"]
    with Project(project).warehouse(read_only=True) as wh:
        loads = {load["load_id"]: load for load in service.loads(wh)["loads"]}
        for f in files:
            name = Path(f["file"]).name
            report = service.quality_report(wh, f["load_id"])
            load = loads[f["load_id"]]
            shown = {
                "read": (report["rows_read"], load["rows_read"]),
                "loaded": (report["loaded"], load["inserted"] + load["updated"]),
                "quarantined": (report["quarantined"], load["quarantined"]),
                "duplicates": (report["duplicates"], load["duplicates"]),
            }
            cli = {
                "read": f["rows_read"],
                "loaded": f["loaded"],
                "quarantined": f["quarantined"],
                "duplicates": f["duplicates_skipped"],
            }
            assert {key: pair[0] for key, pair in shown.items()} == cli, name
            assert {key: pair[1] for key, pair in shown.items()} == cli, name
            assert report["quarantined_by_rule"] == f["quarantined_by_rule"], name
            assert cli["read"] == cli["loaded"] + cli["quarantined"] + cli["duplicates"], name
            # Missing values count every row read, the quarantined ones too: each required value
            # left empty is a row quarantined as missing_required on that column.
            empty_required = dict(
                wh.rows(
                    f"SELECT _field, count(*) FROM quarantine.{f['entity']} "
                    "WHERE _load_id = ? AND _rule = 'missing_required' GROUP BY 1",
                    [f["load_id"]],
                )
            )
            for column, n in report["missing_rows"].items():
                assert report["missing_share"][column] == round(n / cli["read"], 6), (name, column)
                assert report["missing_rows_quarantined"][column] >= empty_required.get(column, 0), (
                    name,
                    column,
                )
            for column, n in empty_required.items():
                assert report["missing_rows"][column] >= n > 0, (name, column)
    order_lines = next(f for f in files if f["entity"] == "order_lines")
    assert order_lines["quarantined_by_rule"]["missing_required"] > 0
