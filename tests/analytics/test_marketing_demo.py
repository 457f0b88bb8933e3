"""Marketing on the demo: CAC per channel and the funnel recover the generator's stated truth
(ground_truth.json, ``acquisition``), and the CLI answers the issue's query."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bizsight.app.models import Role
from bizsight.metrics.query import Query
from bizsight.services.access import Principal
from bizsight.services.marketing import marketing
from bizsight.services.page_data import Scope
from bizsight.services.project import Project
from bizsight.services.query import run_query
from tests.helpers import demo_project, run_cli

pytestmark = pytest.mark.slow
ADMIN = Principal(1, "admin", Role.ADMIN)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, object]]:
    root = tmp_path_factory.mktemp("marketing-demo")
    project = demo_project(root, customers=4_000, years=2.0, seed=23)
    truth = json.loads((root / "data" / "ground_truth.json").read_text(encoding="utf-8"))
    return project, truth["acquisition"]


def test_cac_per_channel_recovers_the_stated_truth(demo: tuple[Project, dict[str, object]]) -> None:
    """CAC = spend / new customers; the truth is CPA / (1 − never-purchase share). Its relative
    error is about 1/√n for n new customers (signups and purchasers are counts); the test allows
    4/√n, four standard errors."""
    project, truth = demo
    rows = run_query(
        project, Query(metrics=("customer_acquisition_cost", "new_customers"), dimensions=("channel",))
    )
    found = {r["channel"]: r for r in rows.table.to_pylist()}
    stated: dict[str, float] = truth["cac"]  # type: ignore[assignment]
    for channel, cac in stated.items():
        n = found[channel]["new_customers"]
        assert abs(found[channel]["customer_acquisition_cost"] / cac - 1) < 4 / math.sqrt(n), channel


def test_the_funnel_recovers_the_stated_rates(demo: tuple[Project, dict[str, object]]) -> None:
    project, truth = demo
    with project.warehouse(read_only=True) as wh:
        page = marketing(project, wh, ADMIN, Scope())
    steps = {s["step"]: s for s in page["funnel"]}
    rates: dict[str, object] = truth["funnel"]  # type: ignore[assignment]
    signups = steps["signups"]["count"]
    # First purchase per signup: a binomial share, within four standard errors.
    p = float(rates["first_purchase_per_signup"])  # type: ignore[arg-type]
    assert abs(steps["first_purchase"]["step_rate"] - p) < 4 * math.sqrt(p * (1 - p) / signups)
    # Clicks per impression: the spend-weighted mix of the channels' CTRs lies between them.
    ctr: dict[str, float] = rates["click_rate"]  # type: ignore[assignment]
    assert min(ctr.values()) < steps["clicks"]["step_rate"] < max(ctr.values())
    assert 0 < steps["repeat_purchase"]["step_rate"] < 1
    # A CLV model is fitted on the demo: LTV:CAC is the predictive one, above margin to date.
    assert page["ltv_metric"] == "ltv_to_cac"
    kpis = {k["metric"]: k["value"] for k in page["kpis"]}
    historical = run_query(project, Query(metrics=("ltv_to_cac_historical",))).table.to_pylist()[0]
    assert kpis["ltv_to_cac"] > historical["ltv_to_cac_historical"] > 0
    assert kpis["payback"] is not None and kpis["payback"] >= 1
    assert page["recommendations"] and all(r["channel"] in r["text"] for r in page["recommendations"])


def test_the_cli_answers_the_issues_query(demo: tuple[Project, dict[str, object]]) -> None:
    project, truth = demo
    done = run_cli(
        "query", "customer_acquisition_cost", "roas", "signups", "--by", "channel", "--format", "json",
        "--project", str(Path(project.root)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {r["channel"]: r for r in json.loads(done.stdout)}
    for channel in truth["paid_channels"]:  # type: ignore[attr-defined]
        assert rows[channel]["signups"] > 0 and rows[channel]["roas"] > 0
