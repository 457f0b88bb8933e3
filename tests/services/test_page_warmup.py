"""A refresh in the process that serves the project warms the Overview and Executive pages (their
default range, unrestricted callers): the first view after it is read from the result cache, says
the same as an uncached computation, and new data are never answered from what was warmed."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bizsight.app.models import Role
from bizsight.console import NullReporter
from bizsight.services.access import Principal
from bizsight.services.executive import executive_view
from bizsight.services.ingest import ingest
from bizsight.services.overview import overview
from bizsight.services.page_warmup import default_scope, last_12_months, page_queries, warming
from bizsight.services.project import Project, owning
from bizsight.services.query import RESULTS, run_query
from bizsight.services.refresh import refresh
from bizsight.warehouse.connection import Warehouse
from tests.helpers import ORDER_HEADER, demo_project, write_csv

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test

VIEWER = Principal(7, "vic", Role.VIEWER)  # any unrestricted caller asks what was warmed
ADMIN = Principal(1, "root", Role.ADMIN)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Warehouse]]:
    """A demo project owned by this process, as `bizsight serve` owns it, refreshed there."""
    project = demo_project(tmp_path_factory.mktemp("warm"), customers=150, years=2.0, seed=11)
    with project.warehouse() as wh, owning(project, wh):
        RESULTS.clear()
        refresh(project, NullReporter())
        yield project, wh


def _counts() -> tuple[int, int]:
    return RESULTS.hits, RESULTS.misses


def _same(a: Any, b: Any) -> bool:
    """Equal answers: floats to 1e-9 (DuckDB sums doubles in parallel, in no fixed order), NaN
    equal to NaN, everything else exactly."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _first_views(project: Project, wh: Warehouse, who: Principal) -> tuple[dict[str, Any], dict[str, Any]]:
    with project.warehouse(read_only=True) as view:  # a request's cursor of the owner's connection
        return overview(project, view, who, default_scope(view)), executive_view(project, view, who)


def test_the_first_overview_and_executive_view_after_a_refresh_are_cache_hits(
    served: tuple[Project, Warehouse],
) -> None:
    project, wh = served
    hits, misses = _counts()
    page, executive = _first_views(project, wh, VIEWER)
    assert RESULTS.misses == misses  # nothing computed: every query was warmed by the refresh
    assert RESULTS.hits > hits + 20  # eight KPIs × value, previous value, sparkline; the scored series
    assert page["kpis"] and any(k["value"] for k in page["kpis"])
    assert any(kpi["value"] is not None for s in executive["sections"] for kpi in s["kpis"])
    with project.warehouse(read_only=True) as view:
        for query in page_queries(default_scope(view)):  # the page's charts and filter lists
            assert run_query(project, query, wh=view).cached


def test_warmed_answers_are_those_computed_without_the_cache(served: tuple[Project, Warehouse]) -> None:
    project, wh = served
    warmed = _first_views(project, wh, ADMIN)
    RESULTS.clear()
    computed = _first_views(project, wh, ADMIN)
    assert RESULTS.misses > 20  # computed again, not read from what the refresh warmed
    assert _same(warmed, computed)
    assert not _same(warmed[0], {**warmed[0], "start": None})  # the comparison can fail


def test_a_restricted_caller_is_not_answered_from_the_unrestricted_warmup(
    served: tuple[Project, Warehouse],
) -> None:
    project, wh = served
    refresh(project, NullReporter())
    from bizsight.metrics.query import Filter

    europe = Principal(
        9, "eu", Role.VIEWER, restrictions=(Filter(dimension="region", op="=", values=("Europe",)),)
    )
    misses = RESULTS.misses
    mine, _ = _first_views(project, wh, europe)
    everyone, _ = _first_views(project, wh, VIEWER)
    assert RESULTS.misses > misses  # its filtered queries are its own
    revenue = {k["metric"]: k["value"] for k in mine["kpis"]}["revenue"]
    assert float(revenue) < float({k["metric"]: k["value"] for k in everyone["kpis"]}["revenue"])


def test_new_data_are_never_answered_from_the_warmed_cache(
    served: tuple[Project, Warehouse], tmp_path: Path
) -> None:
    project, wh = served
    refresh(project, NullReporter())
    before, _ = _first_views(project, wh, VIEWER)
    scope = default_scope(wh)
    assert scope.end is not None
    customer, product = wh.rows("SELECT customer_id, product_id FROM core.fact_order_line LIMIT 1")[0]
    big = [
        ["WARM-1", customer, product, scope.end.isoformat(), 1, "100000.00", "100000.00", "0", "Europe",
         "Home", "online", "completed", "EUR"],
    ]  # fmt: skip
    ingest(project, [write_csv(tmp_path / "sales_transactions.csv", ORDER_HEADER, big)], NullReporter())
    misses = RESULTS.misses
    after, _ = _first_views(project, wh, VIEWER)
    assert RESULTS.misses > misses  # the load bumped the data version: recomputed, not served stale
    revenue = {k["metric"]: k["value"] for k in after["kpis"]}["revenue"]
    assert float(revenue) == pytest.approx(
        float({k["metric"]: k["value"] for k in before["kpis"]}["revenue"]) + 100000.0
    )
    RESULTS.clear()
    assert _same(_first_views(project, wh, VIEWER)[0], after)
    # and the next refresh warms the pages for the new data
    refresh(project, NullReporter())
    misses = RESULTS.misses
    again, _ = _first_views(project, wh, VIEWER)
    assert RESULTS.misses == misses
    RESULTS.clear()  # the refresh refitted the marts (CLV of new customers): compare with its data
    assert _same(again, _first_views(project, wh, VIEWER)[0])


def test_a_refresh_outside_the_serving_process_warms_nothing(tmp_path: Path) -> None:
    """The CLI without a server: its process ends with the refresh, so warming there would be
    wasted; the server warms when it starts instead (decision 0051)."""
    project = demo_project(tmp_path, customers=60, years=1.0, seed=3)
    RESULTS.clear()
    refresh(project, NullReporter())
    with project.warehouse(read_only=True) as wh:
        misses = RESULTS.misses
        overview(project, wh, VIEWER, default_scope(wh))
        assert RESULTS.misses > misses + 8  # computed on this first view: a value and a sparkline per KPI


def test_the_server_warms_the_pages_as_it_starts(served: tuple[Project, Warehouse]) -> None:
    """After a refresh by the CLI alone (or a restart), the cache of the serving process is empty:
    `bizsight serve` warms it in the background as it starts."""
    project, wh = served
    RESULTS.clear()
    with warming(project) as thread:
        thread.join()
    misses = RESULTS.misses
    assert misses > 20
    _first_views(project, wh, VIEWER)
    assert RESULTS.misses == misses


def test_the_default_range_is_the_pages_last_12_months() -> None:
    assert last_12_months(dt.date(2026, 1, 1), dt.date(2026, 9, 30)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 9, 30),
    )
    assert last_12_months(dt.date(2020, 1, 1), dt.date(2026, 3, 15)) == (
        dt.date(2025, 3, 16),
        dt.date(2026, 3, 15),
    )
