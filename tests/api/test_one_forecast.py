"""One answer per question: target pacing expects what the Forecasts page forecasts.

A demo of three years (enough history for refresh to store its forecasts): for each target month
the stored forecast covers, the pacing row's expected total — in the API and in `bizsight
targets` — is the forecast the Forecasts page shows for that month and series, and the row says
so in ``basis``. Targets no stored forecast covers say which forecast they used instead.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.project import Project
from bizsight.services.targets import target_pacing
from tests.api.conftest import Api, make_users
from tests.demo_builds import SMALL, DemoBuilds
from tests.helpers import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    built = demo_builds.copy(SMALL, tmp_path_factory.mktemp("one-forecast"))
    with built.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write("server:\n  queries_per_minute: 100000\n")
    return Project(built.root)


@dataclass
class Answers:
    shown: dict[tuple[str, str], float]  # the Forecasts page's revenue: (series, period) → forecast
    targets: list[dict[str, object]]  # GET /api/v1/targets


@pytest.fixture(scope="module")
def answers(shop: Project, tmp_path_factory: pytest.TempPathFactory) -> Answers:
    """What the API answers; the warehouse is closed again afterwards (for the CLI)."""
    store = MetadataStore.open(f"sqlite:///{tmp_path_factory.mktemp('store') / 'app.db'}")
    with (
        shop.warehouse() as warehouse,
        TestClient(create_app(shop, store=store, warehouse=warehouse)) as client,
    ):
        api = Api(client, shop, store)
        api.tokens = make_users(store, shop)
        shown: dict[tuple[str, str], float] = {}
        # the page's default (the total) and by region
        for query in ("metric=revenue&grain=month", "metric=revenue&by=region&grain=month"):
            answer = _get(api, "/api/v1/forecasts?" + query)
            assert str(answer["basis"]).startswith("stored forecast of revenue by region"), answer["basis"]
            for row in answer["forecasts"]:  # type: ignore[attr-defined]
                shown[(row["series"], row["period"])] = row["forecast"]
        found = Answers(shown, _get(api, "/api/v1/targets")["targets"])  # type: ignore[arg-type]
    store.close()
    return found


def _get(api: Api, path: str) -> dict[str, object]:
    response = api.client.get(path, headers=api.auth("vic"))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _check(rows: list[dict[str, object]], shown: dict[tuple[str, str], float]) -> None:
    # revenue's targets (the bookings targets are paced on a forecast of bookings, made apart)
    future = [r for r in rows if r["metric"] == "revenue" and r["elapsed"] == 0 and r["expected"] is not None]
    assert future, "the demo has targets past the end of its data"
    for row in future:
        series = str(row["filter"]).partition("=")[2] or "(total)"
        key = (series, str(row["period_start"]))
        assert key in shown, f"the page forecasts no {key}"
        assert float(str(row["expected"])) == pytest.approx(shown[key], rel=1e-9), row
        assert str(row["basis"]).startswith("stored forecast of revenue by region"), row
        assert 0.0 < float(str(row["probability"])) < 1.0, row  # from the stored interval


def test_pacing_expects_the_forecast_the_page_shows(answers: Answers) -> None:
    _check(answers.targets, answers.shown)


def test_the_cli_expects_the_same(shop: Project, answers: Answers) -> None:
    done = run_cli("targets", "--format", "json", "--project", str(shop.root))
    assert done.returncode == 0, done.stderr
    _check(json.loads(done.stdout), answers.shown)


def test_a_target_no_stored_forecast_covers_says_so(shop: Project, tmp_path: Path) -> None:
    """A target by category: refresh stores revenue by region only, so a forecast is made for it
    and the row says why its expected value is not one the page shows by default."""
    with shop.warehouse() as wh:
        wh.run(
            "INSERT INTO core.fact_target (metric, period_start, period_end, target_value, category) "
            "SELECT 'revenue', DATE '2026-11-01', DATE '2026-11-30', 1000.0, "
            "(SELECT min(category) FROM core.dim_product)"
        )
        try:
            rows = target_pacing(shop, wh=wh, candidates="fast")
        finally:
            wh.run("DELETE FROM core.fact_target WHERE category IS NOT NULL AND target_value = 1000.0")
    own = [r for r in rows if str(r["filter"]).startswith("category=")]
    assert len(own) == 1 and own[0]["period_start"] == dt.date(2026, 11, 1)
    assert own[0]["basis"] == (
        "forecast made for this target (the fast models: no AutoARIMA): "
        "refresh stores revenue by region, not with this filter"
    )
    assert own[0]["expected"] is not None
