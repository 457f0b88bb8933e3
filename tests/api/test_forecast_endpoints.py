"""Forecasts, accuracy, anomalies, targets and trends over the API: the values are the services',
restricted users see their slice only (or nothing), and bad input is a 4xx JSON error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bizsight.services.anomalies import list_anomalies
from bizsight.services.forecast import TOTAL, forecast_metric
from bizsight.services.targets import targets_report
from bizsight.services.trends import trends
from tests.api.conftest import RESTRICTED_REGION, Api


def cursor(api: Api) -> Any:
    """A cursor of the served app's warehouse (a second connection to the file is refused)."""
    return api.client.app.state.bizsight.warehouse.cursor()  # type: ignore[attr-defined]


def get(api: Api, user: str, url: str, status: int = 200) -> Any:
    response = api.client.get(url, headers=api.auth(user))
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def by_region(api: Api) -> dict[str, Any]:
    return get(api, "vic", "/api/v1/forecasts?metric=revenue&by=region&horizon=3")  # type: ignore[no-any-return]


def test_forecast_agrees_with_the_service(api: Api, by_region: dict[str, Any]) -> None:
    with cursor(api) as wh:
        expected = forecast_metric(api.project, "revenue", by="region", horizon=3, wh=wh)
    got = {(r["series"], r["period"]): r for r in by_region["forecasts"]}
    assert len(got) == expected.forecasts.num_rows
    for row in expected.forecasts.to_pylist():
        mine = got[(row["series"], row["period"].isoformat())]
        assert mine["forecast"] == pytest.approx(row["forecast"], rel=1e-9)
        assert mine["lo_95"] <= mine["lo_80"] <= mine["forecast"] <= mine["hi_80"] <= mine["hi_95"]
    assert by_region["levels"] == [80, 95]
    assert {s["unique_id"] for s in by_region["selection"]} == {r["series"] for r in by_region["forecasts"]}
    assert len(by_region["history"]) == expected.history.num_rows


def test_a_restricted_user_gets_the_forecast_of_their_slice(api: Api, by_region: dict[str, Any]) -> None:
    mine = get(api, "eu", "/api/v1/forecasts?metric=revenue&by=region&horizon=3")
    assert {r["series"] for r in mine["history"]} == {TOTAL, RESTRICTED_REGION}
    europe = [r["actual"] for r in by_region["history"] if r["series"] == RESTRICTED_REGION]
    my_total = [r["actual"] for r in mine["history"] if r["series"] == TOTAL]
    assert my_total == pytest.approx(europe)  # their "total" is Europe's, never everyone's
    assert mine["restricted"] is True


def test_a_metric_that_cannot_be_filtered_is_refused_to_a_restricted_user(api: Api) -> None:
    body = get(api, "eu", "/api/v1/forecasts?metric=marketing_spend", status=403)
    assert body["error"]["type"] == "AccessDeniedError"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/forecasts?metric=revenu",
        "/api/v1/forecasts?metric=revenue&by=regio",
        "/api/v1/forecasts?metric=revenue&grain=hour",
        "/api/v1/forecasts?metric=revenue&horizon=0",
        "/api/v1/forecasts",
        "/api/v1/forecasts/accuracy?metric=nope",
        "/api/v1/anomalies?severity=huge",
        "/api/v1/anomalies?since=yesterday",
        "/api/v1/anomalies?metric=nope",
        "/api/v1/trends?metric=revenue&grain=hour",
        "/api/v1/trends?metric=nope",
        "/api/v1/forecasts?metric=revenue&scenario=price:+5%25",
        "/api/v1/forecasts?metric=revenue&scenario=bogus",
    ],
)
def test_bad_input_is_a_4xx_json_error(api: Api, url: str) -> None:
    response = api.client.get(url, headers=api.auth("vic"))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")


def test_accuracy_lists_stored_forecasts_and_withholds_the_totals_when_restricted(api: Api) -> None:
    found = get(api, "vic", "/api/v1/forecasts/accuracy?metric=revenue&by=region")
    assert found["metric"] == "revenue" and found["dimension"] == "region"
    mine = get(api, "eu", "/api/v1/forecasts/accuracy?metric=revenue&by=region")
    assert {r["series"] for r in mine["rows"]} <= {RESTRICTED_REGION}
    assert mine["by_step"] == [] and mine["by_origin"] == []
    withheld = get(api, "eu", "/api/v1/forecasts/accuracy?metric=revenue")
    assert withheld["rows"] == [] and "withheld" in withheld


def test_anomalies_agree_with_the_service_and_fail_closed_when_restricted(api: Api) -> None:
    since = "2000-01-01"
    everything = get(api, "vic", f"/api/v1/anomalies?since={since}")
    with cursor(api) as wh:
        expected = list_anomalies(api.project, since=dt.date(2000, 1, 1), wh=wh)
    assert len(everything["anomalies"]) == expected.table.num_rows > 0
    assert everything["total"] == expected.total
    mine = get(api, "eu", f"/api/v1/anomalies?since={since}")["anomalies"]
    assert all(a["dimension"] == "region" and a["dimension_value"] == RESTRICTED_REGION for a in mine)
    theirs = [
        a
        for a in everything["anomalies"]
        if a["dimension"] == "region" and a["dimension_value"] == RESTRICTED_REGION
    ]
    assert len(mine) == len(theirs)
    high = get(api, "vic", f"/api/v1/anomalies?since={since}&severity=high&metric=revenue")["anomalies"]
    assert all(a["severity"] == "high" and a["metric"] == "revenue" for a in high)


def test_targets_agree_with_the_service_and_a_restricted_user_sees_only_theirs(api: Api) -> None:
    everything = get(api, "vic", "/api/v1/targets")["targets"]
    with cursor(api) as wh:
        expected = targets_report(api.project, wh)
    assert len(everything) == len(expected) > 0
    for got, row in zip(everything, expected, strict=True):
        assert got["metric"] == row["metric"] and got["target"] == pytest.approx(row["target"])
    mine = get(api, "eu", "/api/v1/targets")["targets"]
    assert all(f"region={RESTRICTED_REGION}" in t["filter"] for t in mine)
    assert len(mine) == sum(1 for t in everything if f"region={RESTRICTED_REGION}" in t["filter"])


def test_trends_agree_with_the_service_and_are_scoped(api: Api) -> None:
    got = get(api, "vic", "/api/v1/trends?metric=revenue&grain=month")
    with cursor(api) as wh:
        expected = trends(api.project, "revenue", grain="month", wh=wh).table.to_pylist()
    assert [r["value"] for r in got["rows"]] == pytest.approx([r["value"] for r in expected])
    mine = get(api, "eu", "/api/v1/trends?metric=revenue&grain=month&by=region")
    assert {r["region"] for r in mine["rows"]} == {RESTRICTED_REGION}


def test_a_price_scenario_overlays_the_forecast(api: Api, by_region: dict[str, Any]) -> None:
    url = "/api/v1/forecasts?metric=revenue&by=region&horizon=3&scenario=price:%2B10%25:elasticity=-2"
    found = get(api, "vic", url)
    assert found["scenario"]["multiplier"] == pytest.approx(1 / 1.1)  # demand × 1.1^-2, revenue × 1.1
    base = {(r["series"], r["period"]): r["forecast"] for r in by_region["forecasts"]}
    for row in found["forecasts"]:
        expected = base[(row["series"], row["period"])] * found["scenario"]["multiplier"]
        assert row["scenario"] == pytest.approx(expected)
    assert get(api, "eu", url.replace("by=region&", ""))["scenario"]["multiplier"] == pytest.approx(1 / 1.1)
    get(api, "eu", "/api/v1/forecasts?metric=revenue&scenario=new_customers:%2B10%25", status=403)
