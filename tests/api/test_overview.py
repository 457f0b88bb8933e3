"""The Overview's KPIs (POST /api/v1/insights/overview): growth is year on year where it says so,
the previous period is there whenever the data reach it, and every sparkline runs over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bizsight.metrics.periods import previous_span
from tests.api.conftest import Api


def _post(api: Api, path: str, body: dict[str, Any], user: str = "vic") -> Any:
    response = api.client.post(path, json=body, headers=api.auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def _last_six_months(api: Api) -> tuple[dt.date, dt.date]:
    """The last six months of the two years of data: the period before them, and the one before
    that (which retention of the previous period looks at), are in the data."""
    bounds = api.client.get("/api/v1/insights/bounds", headers=api.auth("vic")).json()
    last = dt.date.fromisoformat(bounds["last"])
    return last - dt.timedelta(days=182), last


@pytest.fixture(scope="module")
def kpis(api: Api) -> dict[str, Any]:
    start, end = _last_six_months(api)
    answer = _post(api, "/api/v1/insights/overview", {"start": start.isoformat(), "end": end.isoformat()})
    return {k["metric"]: k for k in answer["kpis"]}


def test_revenue_growth_is_year_on_year_and_says_so(api: Api, kpis: dict[str, Any]) -> None:
    start, end = _last_six_months(api)
    growth = kpis["revenue_growth_yoy"]
    assert "year on year" in growth["title"]
    query = {"metrics": ["revenue_growth_yoy", "revenue"], "start": start.isoformat(), "end": end.isoformat()}
    row = _post(api, "/api/v1/query", query)["rows"][0]
    assert growth["value"] == pytest.approx(row["revenue_growth_yoy"])
    earlier = {
        "metrics": ["revenue"],
        "start": f"{start.year - 1}{start.isoformat()[4:]}",
        "end": f"{end.year - 1}{end.isoformat()[4:]}",
    }
    before = _post(api, "/api/v1/query", earlier)["rows"][0]["revenue"]
    compare = growth["compare"]
    assert compare["kind"] == "previous_year" and compare["metric"] == "revenue"
    assert float(compare["current"]) == pytest.approx(float(row["revenue"]))
    assert float(compare["previous"]) == pytest.approx(float(before))
    assert growth["value"] == pytest.approx(float(row["revenue"]) / float(before) - 1)


def test_every_kpi_has_its_previous_period_when_the_data_reach_it(api: Api, kpis: dict[str, Any]) -> None:
    start, end = _last_six_months(api)
    lo, hi = previous_span(start, end)
    for metric, kpi in kpis.items():
        if metric == "revenue_growth_yoy":
            continue
        compare = kpi["compare"]
        assert (compare["kind"], compare["start"], compare["end"]) == (
            "previous_period",
            lo.isoformat(),
            hi.isoformat(),
        )
        assert compare["previous"] is not None, (metric, compare)
        assert compare["change_pct"] is not None, (metric, compare)
    retention = kpis["customer_retention_rate"]["compare"]
    query = {"metrics": ["customer_retention_rate"], "start": lo.isoformat(), "end": hi.isoformat()}
    assert retention["previous"] == pytest.approx(
        _post(api, "/api/v1/query", query)["rows"][0]["customer_retention_rate"]
    )


def test_every_sparkline_runs_over_time(api: Api, kpis: dict[str, Any]) -> None:
    start, end = _last_six_months(api)
    for metric, kpi in kpis.items():
        periods = [dt.date.fromisoformat(p["period"]) for p in kpi["sparkline"]]
        assert periods == sorted(periods) and len(periods) >= 6, metric
        assert (
            all(p.day == 1 for p in periods) and periods[0] <= start <= periods[1] and periods[-1] <= end
        ), metric
    clv = kpis["average_clv"]
    assert "new customers" in clv["title"]
    by_month = _post(
        api,
        "/api/v1/query",
        {"metrics": ["average_clv"], "grain": "month", "start": start.isoformat(), "end": end.isoformat()},
    )
    assert [p["value"] for p in clv["sparkline"]] == pytest.approx(
        [r["average_clv"] for r in by_month["rows"]], nan_ok=True
    )


def test_before_the_data_start_there_is_no_previous_period_and_the_card_says_why(api: Api) -> None:
    bounds = api.client.get("/api/v1/insights/bounds", headers=api.auth("vic")).json()
    answer = _post(api, "/api/v1/insights/overview", {"start": "1990-01-01", "end": "9999-12-31"})
    assert (answer["start"], answer["end"]) == (bounds["first"], bounds["last"])  # cut to the data
    revenue = next(k for k in answer["kpis"] if k["metric"] == "revenue")["compare"]
    assert revenue["previous"] is None and revenue["change_pct"] is None
    assert bounds["first"] in revenue["note"]
    refused = api.client.post(
        "/api/v1/insights/overview",
        json={"start": "2026-02-01", "end": "2026-01-01"},
        headers=api.auth("vic"),
    )
    assert refused.status_code == 400
