"""A refresh keeps the forecast it already made while the complete months it is made from did not
change, and forecasts again when they did (services/forecast_refresh.py, forecast_store.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from bizsight.services.forecast import forecast_metric
from bizsight.services.forecast_store import current_forecast
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.demo_builds import SMALL, DemoBuilds

HEADER = "order_id,customer_id,product_id,order_date,quantity,unit_price,total_amount,discount,region,category,channel,status,currency"


class Steps:
    """A reporter that keeps the steps a refresh announces."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.warnings: list[str] = []

    def step(self, message: str) -> None:
        self.steps.append(message)

    def advance(self, done: float, total: float, message: str = "") -> None:
        if message:
            self.steps.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def kept(self) -> list[str]:
        return [s for s in self.steps if s.startswith("marts.forecasts") and "kept" in s]


def load_one_line(project: Project, folder: Path, order_id: str, when: str) -> None:
    """One completed order line of 1,000.00 on ``when`` (demo customer, product and region)."""
    folder.mkdir()
    line = f"{order_id},C0000001,P00001,{when},1,1000.00,1000.00,0.00,Europe,Electronics,online,completed,USD"
    (folder / "sales_transactions.csv").write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    summary = ingest(project, [folder], Steps())
    assert sum(r.loaded for r in summary.results) == 1


def stored(project: Project) -> tuple[int, pa.Table]:
    with project.warehouse(read_only=True) as wh:
        found = current_forecast(wh, "revenue", "month", "region")
    assert found is not None
    return found.data_version, found.forecasts.select(["series", "period", "forecast", "lo_80", "hi_95"])


@pytest.fixture
def shop(demo_builds: DemoBuilds, tmp_path: Path) -> Project:
    """Three years of demo data ending 2026-09-30: September is the last complete month."""
    return demo_builds.copy(SMALL, tmp_path / "copy")


def test_new_days_of_an_incomplete_month_keep_the_forecast_a_changed_month_makes_a_new_one(
    shop: Project, tmp_path: Path
) -> None:
    version, before = stored(shop)

    load_one_line(shop, tmp_path / "october", "OREUSE1", "2026-10-01 10:00:00")  # October is not complete
    steps = Steps()
    refresh(shop, steps)
    assert len(steps.kept()) == 2, steps.steps  # revenue and orders by region
    kept_version, kept = stored(shop)
    assert kept_version == version + 1  # stored again as a run of the new data
    assert kept.equals(before)
    # What a new fit makes from these data: the same (the fits are deterministic).
    horizon = len(set(before.column("period").to_pylist()))
    again = forecast_metric(shop, "revenue", by="region", grain="month", horizon=horizon)
    fresh = again.forecasts.sort_by([("series", "ascending"), ("period", "ascending")])
    assert fresh.column("forecast").to_pylist() == pytest.approx(kept.column("forecast").to_pylist())

    load_one_line(shop, tmp_path / "september", "OREUSE2", "2026-09-15 10:00:00")  # changes September
    steps = Steps()
    refresh(shop, steps)
    assert steps.kept() == [], steps.steps
    _, refitted = stored(shop)
    assert refitted.column("period").equals(kept.column("period"))
    assert refitted.column("forecast").to_pylist() != kept.column("forecast").to_pylist()


def test_a_refresh_without_new_data_keeps_the_forecast_and_its_run(shop: Project) -> None:
    version, before = stored(shop)
    with shop.warehouse(read_only=True) as wh:
        runs = wh.scalar("SELECT count(*) FROM marts.forecast_runs")
    steps = Steps()
    refresh(shop, steps)
    assert len(steps.kept()) == 2, steps.steps
    with shop.warehouse(read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM marts.forecast_runs") == runs
    assert stored(shop) == (version, before)
