"""POST /api/v1/ask: a question answered as a metric query, with the caller's row-level
restrictions; declines are answers too (query null, suggestions)."""

from __future__ import annotations

from tests.api.conftest import RESTRICTED_REGION, Api


def ask(api: Api, user: str, question: str, today: str | None = "2026-08-15") -> dict:  # type: ignore[type-arg]
    response = api.client.post(
        "/api/v1/ask", json={"question": question, "today": today}, headers=api.auth(user)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_question_is_read_run_and_charted(api: Api) -> None:
    answer = ask(api, "vic", "top 3 categories by revenue last quarter")
    assert answer["query"] == {
        "metrics": ["revenue"],
        "dimensions": ["category"],
        "grain": None,
        "start": "2026-04-01",
        "end": "2026-06-30",
        "range": None,
        "filters": [],
        "compare": None,
        "order_by": ["-revenue"],
        "limit": 3,
    }
    assert answer["interpretation"] == (
        "I read this as: revenue, by product category, top 3 by revenue, 1 Apr – 30 Jun 2026."
    )
    revenues = [r["revenue"] for r in answer["rows"]]
    assert len(revenues) == 3 and revenues == sorted(revenues, reverse=True)
    assert answer["chart"] == {"kind": "bar", "x": "category", "y": ["revenue"], "series": None}
    assert answer["units"] == {"revenue": "money"} and answer["labels"]["category"] == "Product category"
    assert answer["producer"] == "offline parser" and answer["confidence"] == 1.0
    same = api.client.post("/api/v1/query", json=answer["query"], headers=api.auth("vic")).json()
    assert same["rows"] == answer["rows"]


def test_a_restricted_user_gets_only_their_rows(api: Api) -> None:
    mine = ask(api, "eu", "revenue by region by quarter in 2025")
    assert {r["region"] for r in mine["rows"]} == {RESTRICTED_REGION}
    everyone = ask(api, "root", "revenue by region by quarter in 2025")
    assert mine["rows"] == [r for r in everyone["rows"] if r["region"] == RESTRICTED_REGION]
    other = ask(api, "eu", "orders in North America in 2025")
    assert other["rows"] in ([], [{"orders": 0}], [{"orders": None}])


def test_a_question_that_cannot_be_mapped_is_declined(api: Api) -> None:
    answer = ask(api, "ed", "DROP TABLE core.fact_order_line")
    assert answer["query"] is None and answer["rows"] == [] and answer["chart"] is None
    assert answer["interpretation"].startswith("I can't answer that") and answer["suggestions"]


def test_bad_bodies_are_refused(api: Api) -> None:
    for body in ({"question": ""}, {"question": "x" * 501}, {"question": "revenue", "sql": "SELECT 1"}):
        response = api.client.post("/api/v1/ask", json=body, headers=api.auth("vic"))
        assert response.status_code == 422, body
