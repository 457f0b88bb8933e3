"""The pipeline routes on the served demo: what they answer, the same numbers as the metrics layer,
and row-level security (a viewer restricted to a region gets that region's deals only)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import RESTRICTED_REGION, Api


def get(api: Api, user: str, path: str) -> Any:
    response = api.client.get(path, headers=api.auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_summary_is_the_metric_layers(api: Api) -> None:
    summary = get(api, "root", "/api/v1/pipeline")
    query = {"metrics": ["open_pipeline", "win_rate", "bookings"]}
    row = api.client.post("/api/v1/query", json=query, headers=api.auth("root")).json()["rows"][0]
    assert (
        summary["kpis"]["open_pipeline"]
        == row["open_pipeline"]
        == sum(g["amount"] for g in summary["by_stage"])
    )
    assert summary["kpis"]["win_rate"] == row["win_rate"]
    stages = [p["stage"] for p in summary["stage_probabilities"]]
    assert stages == sorted(stages, key=["Lead", "Qualified", "Proposal", "Negotiation"].index)
    probabilities = [p["probability"] for p in summary["stage_probabilities"]]
    assert all(0 <= p <= 1 for p in probabilities)
    f = summary["forecast"]
    assert f["low"] <= f["expected"] <= f["high"] or f["deals"] == 0


def test_open_deals_are_scored_with_reasons_and_no_customer_data(api: Api) -> None:
    deals = get(api, "root", "/api/v1/pipeline/deals?page_size=500")
    assert deals["total"] == len(deals["rows"]) > 0
    assert all(0 <= r["probability"] <= 1 and r["reasons"] for r in deals["rows"])
    chances = [r["probability"] for r in deals["rows"]]
    assert chances == sorted(chances, reverse=True)
    assert not {"customer_id", "customer_name", "email"} & set(deals["rows"][0])
    page2 = get(api, "root", "/api/v1/pipeline/deals?page=2&page_size=1")
    assert page2["rows"][0]["deal_id"] == deals["rows"][1]["deal_id"]


def test_the_model_reports_auc_and_calibration(api: Api) -> None:
    found = get(api, "root", "/api/v1/pipeline/model")
    assert found["withheld"] is False
    e = found["evaluation"]
    assert e["train_rows"] > 0 and e["test_rows"] > 0 and 0 <= e["auc"] <= 1
    assert sum(b["count"] for b in found["calibration"]) == e["test_rows"]


def test_a_region_restricted_viewer_gets_that_regions_deals_only(api: Api) -> None:
    everyone = get(api, "root", "/api/v1/pipeline/deals?page_size=500")
    mine = get(api, "eu", "/api/v1/pipeline/deals?page_size=500")
    region = {"metrics": ["open_deals", "open_pipeline"]}
    region["filters"] = [{"dimension": "region", "op": "=", "values": [RESTRICTED_REGION]}]  # type: ignore[assignment]
    counted = api.client.post("/api/v1/query", json=region, headers=api.auth("root")).json()["rows"][0]
    assert mine["total"] == counted["open_deals"] < everyone["total"]
    assert {r["deal_id"] for r in mine["rows"]} <= {r["deal_id"] for r in everyone["rows"]}
    summary = get(api, "eu", "/api/v1/pipeline")
    assert summary["kpis"]["open_pipeline"] == counted["open_pipeline"]
    assert summary["coverage"]["coverage"] is None  # company-wide targets: not for a slice
    assert get(api, "eu", "/api/v1/pipeline/model") == {
        "evaluation": None,
        "calibration": [],
        "withheld": True,
    }
