"""POST /api/v1/marketing: the page's figures agree with metric queries, a bad range is a 400,
and a viewer restricted to a region gets spend withheld, never unfiltered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


def _post(api: Api, body: dict[str, Any], user: str = "vic") -> Any:
    return api.client.post("/api/v1/marketing", json=body, headers=api.auth(user))


def test_the_figures_are_the_metric_layers(api: Api) -> None:
    answer = _post(api, {}).json()
    kpis = {k["metric"]: k for k in answer["kpis"]}
    span = {"start": answer["start"], "end": answer["end"]}  # the data's first to last order date
    query = {"metrics": ["marketing_spend", "new_customers", "customer_acquisition_cost"], **span}
    found = api.client.post("/api/v1/query", json=query, headers=api.auth("vic")).json()["rows"][0]
    for metric in query["metrics"]:
        assert kpis[metric]["value"] == pytest.approx(float(found[metric])), metric
    by_channel = api.client.post(
        "/api/v1/query",
        json={"metrics": ["new_customers"], "dimensions": ["channel"], **span},
        headers=api.auth("vic"),
    ).json()["rows"]
    assert {r["channel"]: r["new_customers"] for r in by_channel} == {
        c["channel"]: c["new_customers"] for c in answer["channels"]
    }
    assert answer["withheld"] is None and answer["funnel"][0]["step"] == "impressions"


def test_a_bad_range_is_refused(api: Api) -> None:
    response = _post(api, {"start": "2025-03-01", "end": "2025-01-01"})
    assert response.status_code == 400


def test_a_region_restricted_viewer_gets_spend_withheld(api: Api) -> None:
    answer = _post(api, {}, user="eu").json()
    assert answer["withheld"]
    withheld = {k["metric"] for k in answer["kpis"] if k["withheld"]}
    assert {"marketing_spend", "customer_acquisition_cost", "roas", "payback"} <= withheld
    assert all(k["value"] is None for k in answer["kpis"] if k["withheld"])
    assert all(c["marketing_spend"] is None and c["roas"] is None for c in answer["channels"])
    assert answer["recommendations"] == []
