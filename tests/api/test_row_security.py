"""Row-level security: a viewer restricted to region = Europe sees only European rows in every
query, drill-down, customer view and export, and cannot widen that with filters of their own."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from bizsight.app.store import MetadataStore
from bizsight.services.query import catalogue
from bizsight.services.users import add_user, create_token, restrict
from tests.api.conftest import RESTRICTED_REGION, Api

BY_REGION = {"metrics": ["revenue", "orders", "active_customers"], "dimensions": ["region"]}


def rows(api: Api, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.client.post("/api/v1/query", json=body, headers=api.auth(user))
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def test_query_shows_only_the_allowed_region_with_the_same_numbers(api: Api) -> None:
    everything = {r["region"]: r for r in rows(api, "root", BY_REGION)}
    restricted = rows(api, "eu", BY_REGION)
    assert len(everything) > 1
    assert [r["region"] for r in restricted] == [RESTRICTED_REGION]
    assert restricted[0] == everything[RESTRICTED_REGION]


def test_totals_without_dimensions_are_the_allowed_regions_totals(api: Api) -> None:
    total = rows(api, "eu", {"metrics": ["revenue"]})[0]["revenue"]
    europe = {r["region"]: r["revenue"] for r in rows(api, "root", BY_REGION)}[RESTRICTED_REGION]
    assert total == pytest.approx(europe)
    assert total < rows(api, "root", {"metrics": ["revenue"]})[0]["revenue"]


def test_own_filters_narrow_but_never_widen(api: Api) -> None:
    other = {
        "metrics": ["revenue"],
        "filters": [{"dimension": "region", "op": "=", "values": ["North America"]}],
    }
    assert rows(api, "eu", other) in ([], [{"revenue": None}], [{"revenue": 0}])
    excluded = {
        "metrics": ["revenue"],
        "filters": [{"dimension": "region", "op": "!=", "values": [RESTRICTED_REGION]}],
    }
    assert rows(api, "eu", excluded) in ([], [{"revenue": None}], [{"revenue": 0}])


def test_a_metric_that_cannot_be_filtered_by_the_restriction_is_refused(api: Api) -> None:
    response = api.client.post("/api/v1/query", json={"metrics": ["marketing_spend"]}, headers=api.auth("eu"))
    assert response.status_code == 403
    assert "region" in response.json()["error"]["message"]
    assert (
        api.client.post(
            "/api/v1/query", json={"metrics": ["marketing_spend"]}, headers=api.auth("vic")
        ).status_code
        == 200
    )


def drill(api: Api, user: str, region: str, path: str = "/api/v1/drill-down") -> Any:
    body = {
        "query": {"metrics": ["revenue"], "dimensions": ["region"]},
        "metric": "revenue",
        "cell": {"region": region},
        "page_size": 10_000,
    }
    return api.client.post(path, json=body, headers=api.auth(user))


def test_drill_down_stays_inside_the_restriction(api: Api) -> None:
    europe = drill(api, "eu", RESTRICTED_REGION).json()["rows"]
    assert europe and {r["by_region"] for r in europe} == {RESTRICTED_REGION}
    assert len(europe) == len(drill(api, "root", RESTRICTED_REGION).json()["rows"])
    assert drill(api, "eu", "North America").json()["rows"] == []
    assert drill(api, "root", "North America").json()["rows"]


def customer_regions(api: Api) -> dict[str, str]:
    found = api.client.get("/api/v1/customers?page_size=1000", headers=api.auth("root")).json()
    return {c["customer_id"]: c["region"] for c in found["customers"]}


def test_customer_list_and_search_hold_only_allowed_customers(api: Api) -> None:
    regions = customer_regions(api)
    listed = api.client.get("/api/v1/customers?page_size=1000", headers=api.auth("eu")).json()
    assert listed["customers"] and {c["region"] for c in listed["customers"]} == {RESTRICTED_REGION}
    assert listed["total"] == len(listed["customers"]) < len(regions)
    outsider = next(c for c, r in regions.items() if r != RESTRICTED_REGION)
    searched = api.client.get(f"/api/v1/customers?search={outsider}", headers=api.auth("eu")).json()
    assert searched["total"] == 0
    assert (
        api.client.get(f"/api/v1/customers?search={outsider}", headers=api.auth("vic")).json()["total"] == 1
    )


def test_customer_detail_of_another_region_is_not_found(api: Api) -> None:
    regions = customer_regions(api)
    outsider = next(c for c, r in regions.items() if r != RESTRICTED_REGION)
    insider = next(c for c, r in regions.items() if r == RESTRICTED_REGION)
    assert api.client.get(f"/api/v1/customers/{outsider}", headers=api.auth("eu")).status_code == 404
    detail = api.client.get(f"/api/v1/customers/{insider}", headers=api.auth("eu"))
    assert detail.status_code == 200
    assert detail.json()["customer"]["region"] == RESTRICTED_REGION
    assert {o["region"] for o in detail.json()["orders"]} <= {RESTRICTED_REGION, None}


def test_segments_and_cohorts_count_only_allowed_customers(api: Api) -> None:
    mine = api.client.get("/api/v1/segments", headers=api.auth("eu")).json()["segments"]
    everyone = api.client.get("/api/v1/segments", headers=api.auth("root")).json()["segments"]
    listed = api.client.get("/api/v1/customers?page_size=1000", headers=api.auth("eu")).json()["customers"]
    assert sum(s["customers"] for s in mine) == sum(1 for c in listed if c["rfm_segment"])
    assert sum(s["customers"] for s in mine) < sum(s["customers"] for s in everyone)
    cohorts = {
        (c["cohort"], c["period"]): c
        for c in api.client.get("/api/v1/cohorts", headers=api.auth("eu")).json()["cohorts"]
    }
    full = {
        (c["cohort"], c["period"]): c
        for c in api.client.get("/api/v1/cohorts", headers=api.auth("root")).json()["cohorts"]
    }
    assert cohorts and all(c["active_customers"] <= full[k]["active_customers"] for k, c in cohorts.items())
    assert sum(c["active_customers"] for c in cohorts.values()) < sum(
        c["active_customers"] for c in full.values()
    )


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_exports_hold_only_allowed_rows(api: Api) -> None:
    query = api.client.post("/api/v1/exports/query?format=csv", json=BY_REGION, headers=api.auth("eu"))
    assert [r["Region"] for r in read_csv(query.text)] == [RESTRICTED_REGION]  # headed by labels
    lines = read_csv(drill(api, "eu", RESTRICTED_REGION, "/api/v1/exports/drill-down?format=csv").text)
    assert lines and {r["By region"] for r in lines} == {RESTRICTED_REGION}
    assert read_csv(drill(api, "eu", "North America", "/api/v1/exports/drill-down?format=csv").text) == []
    customers = read_csv(api.client.get("/api/v1/exports/customers?format=csv", headers=api.auth("eu")).text)
    assert customers and {r["Region"] for r in customers} == {RESTRICTED_REGION}


def test_a_restriction_customer_views_cannot_apply_refuses_them(api: Api) -> None:
    store: MetadataStore = api.store
    add_user(store, "cat", "viewer", "a long test password")
    restrict(store, catalogue(api.project), "cat", {"category": ["Electronics"]})
    token = create_token(store, "cat", "t")[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/customers", headers=headers).status_code == 403
    by_category = api.client.post(
        "/api/v1/query", json={"metrics": ["revenue"], "dimensions": ["category"]}, headers=headers
    )
    assert by_category.status_code == 200
    assert [r["category"] for r in by_category.json()["rows"]] == ["Electronics"]
