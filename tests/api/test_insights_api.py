"""GET /api/v1/insights: the declared answer, the drill-downs it gives work, what refresh kept
is served to unrestricted callers, and a caller restricted to a region gets insights worked out
from that region's rows only — their numbers the metrics layer's for that region."""

from __future__ import annotations

import datetime as dt
import json

from bizsight.metrics.query import Filter, Query
from bizsight.services import insight_store
from bizsight.services.query import run_query
from tests.api.conftest import RESTRICTED_REGION, Api

OTHERS = ("North America", "Asia Pacific", "Latin America")


def get(api: Api, user: str, **params: str) -> dict:
    response = api.client.get("/api/v1/insights", params=params, headers=api.auth(user))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_answer_and_its_drill_downs(api: Api) -> None:
    answer = get(api, "vic")
    assert (answer["start"], answer["end"]) == ("2026-07-01", "2026-09-30")  # the last complete quarter
    # against as many days before it (92: 31 March to 30 June), as every comparison of the metrics layer
    assert (answer["previous_start"], answer["previous_end"]) == ("2026-03-31", "2026-06-30")
    assert answer["insights"] and answer["restricted"] is False
    for insight in answer["insights"]:
        assert "{" not in insight["text"]  # every number written in
        for number in insight["numbers"]:
            assert number["text"] in insight["text"]
    drilled = [i["drill"] for i in answer["insights"] if i["drill"]]
    assert drilled
    drilled += [r["link"] for r in answer["recommendations"] if r["link"] and "query" in r["link"]]
    for drill in drilled:  # every one opens its rows
        rows = api.client.post("/api/v1/drill-down", json={**drill, "page_size": 5}, headers=api.auth("vic"))
        assert rows.status_code == 200, rows.text
    for advice in answer["recommendations"]:
        assert advice["priority"] in ("high", "medium", "low") and advice["confidence"] in (
            "high",
            "medium",
            "low",
        )
        assert advice["why"]


def test_a_period_can_be_asked_for(api: Api) -> None:
    answer = get(api, "vic", start="2026-09-01", end="2026-09-30")
    assert (answer["start"], answer["previous_start"], answer["previous_end"]) == (
        "2026-09-01",
        "2026-08-02",
        "2026-08-31",
    )
    assert api.client.get("/api/v1/insights?start=nonsense", headers=api.auth("vic")).status_code == 422


def test_what_refresh_kept_is_served_to_unrestricted_callers_only(api: Api) -> None:
    state = api.client.app.state.bizsight  # type: ignore[attr-defined]
    with state.warehouse.cursor() as wh:
        assert insight_store.store(api.project, wh) > 0
    kept = get(api, "root")
    assert kept["kept"] is True
    assert get(api, "eu")["kept"] is False


def test_a_restricted_caller_gets_only_their_regions_rows(api: Api) -> None:
    answer = get(api, "eu")
    assert answer["restricted"] is True
    text = json.dumps(answer)
    assert not any(other in text for other in OTHERS)
    assert all(i["subject"].get("region", RESTRICTED_REGION) == RESTRICTED_REGION for i in answer["insights"])
    europe = Filter(dimension="region", values=(RESTRICTED_REGION,))
    checked = 0
    for insight in answer["insights"]:
        for index, source in insight["evidence"].get("sources", {}).items():
            filters = (*tuple(Filter(dimension=d, values=(v,)) for d, v in source["where"].items()), europe)
            query = Query(
                metrics=(source["metric"],),
                start=dt.date.fromisoformat(source["start"]),
                end=dt.date.fromisoformat(source["end"]),
                filters=filters,
            )
            with api.client.app.state.bizsight.warehouse.cursor() as wh:  # type: ignore[attr-defined]
                value = run_query(api.project, query, wh=wh).table.column(source["metric"])[0].as_py()
            assert insight["numbers"][int(index)]["value"] == float(value)
            checked += 1
    unrestricted = get(api, "vic")
    assert json.dumps(unrestricted) != text
    assert checked or not any(i["kind"] in ("change", "member") for i in answer["insights"])


def test_a_caller_restricted_by_category_gets_their_insights_not_an_error(api: Api) -> None:
    """Customer views cannot be narrowed to a category (a customer buys in many): those insights
    are left out for them, the rest are worked out from their category's rows."""
    from bizsight.services.query import catalogue
    from bizsight.services.users import add_user, create_token, restrict

    add_user(api.store, "books", "viewer", "a long test password")
    restrict(api.store, catalogue(api.project), "books", {"category": ["Books"]})
    token = create_token(api.store, "books", "t")[1]
    response = api.client.get("/api/v1/insights", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["restricted"] is True
    assert all(i["subject"].get("category", "Books") == "Books" for i in answer["insights"])
    customer_marts = [
        i
        for i in answer["insights"]
        if i["kind"] == "segment_move" or (i["kind"] == "churn" and not i["subject"])
    ]
    assert not customer_marts
    assert not [r for r in answer["recommendations"] if r["action"] in ("win_back", "shift_budget")]
