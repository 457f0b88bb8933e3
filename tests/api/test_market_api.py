"""GET /api/v1/market and /api/v1/executive on the served demo, against the generator's truth."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bizsight.metrics.query import Query
from bizsight.services.query import run_query
from tests.api.conftest import RESTRICTED_REGION, Api

# The demo (seed 7, 2 years from 2024-10-01) sets each region's market so that our completed
# revenue over the first year is share_start (3 %) of it, up to log-normal noise (sd 0.03 per
# quarter) and net-of-discount revenue; 10 % is the tolerance this test states.
TOLERANCE = 0.10


def test_market_share_recovers_the_generators_share_start(api: Api) -> None:
    truth = json.loads((api.project.root.parent / "data" / "ground_truth.json").read_text())
    start = dt.date.fromisoformat(truth["generator"]["start_date"])
    query = Query(
        metrics=("market_share",),
        dimensions=("region",),
        start=start,
        end=start.replace(year=start.year + 1) - dt.timedelta(days=1),
    )
    rows = run_query(api.project, query).table.to_pylist()
    expected = truth["market"]["share_start"]
    assert len(rows) == 4
    for row in rows:
        assert row["market_share"] == pytest.approx(expected, rel=TOLERANCE), row


def test_market_view_answers_for_every_role(api: Api) -> None:
    body = api.client.get("/api/v1/market", headers=api.auth("vic")).json()
    assert {r["region"] for r in body["rows"]} == {"Asia Pacific", "Europe", "Latin America", "North America"}
    assert body["latest"] == "2026-07-01" and body["previous"] == "2026-04-01"
    ours = [r for r in body["ranking"] if r["is_us"]]
    assert len(ours) == 4 and all(1 <= r["rank"] <= 5 for r in ours)
    assert len(body["moves"]) == 4 and len(body["year_moves"]) == 4


def test_a_region_restricted_user_sees_that_regions_market_only(api: Api) -> None:
    body = api.client.get("/api/v1/market", headers=api.auth("eu")).json()
    assert {r["region"] for r in body["rows"]} == {RESTRICTED_REGION}
    assert {r["region"] for r in body["ranking"]} == {RESTRICTED_REGION}
    assert body["restricted"] is True


def test_executive_scores_five_sections_with_drivers_adding_up(api: Api) -> None:
    body = api.client.get("/api/v1/executive", headers=api.auth("root")).json()
    assert [s["name"] for s in body["sections"]] == [
        "Financial",
        "Customer",
        "Sales",
        "Market",
        "Operational",
    ]
    for section in body["sections"]:
        assert section["score"] is not None and 0 <= section["score"] <= 100
        pull = sum(k["driver"] for k in section["kpis"] if k["driver"] is not None)
        assert pull == pytest.approx(section["score"] - 50), section["name"]
        assert section["summary"].startswith(f"{section['name']} scores ")
    ops = body["sections"][-1]
    assert {k["key"]: k["value"] for k in ops["kpis"]}["failed_jobs_7d"] is not None


def test_executive_for_a_restricted_user_withholds_operational(api: Api) -> None:
    body = api.client.get("/api/v1/executive", headers=api.auth("eu")).json()
    sections = {s["name"]: s for s in body["sections"]}
    assert sections["Operational"]["score"] is None
    assert "withheld" in sections["Operational"]["summary"]
    assert sections["Market"]["score"] is not None and body["restricted"] is True
