"""/api/v1/alerts: a rule added, read, tested without being stored, paused and removed; mistakes
are 4xx with one line naming the key; no channel setting ever appears in an answer."""

from __future__ import annotations

from tests.api.conftest import Api

RULE = {"name": "api revenue", "kind": "threshold", "metric": "revenue", "window": "last_12_months",
        "direction": "below", "value": 1}  # fmt: skip


def test_an_alert_through_the_api(api: Api) -> None:
    ed = api.auth("ed")
    added = api.client.post(
        "/api/v1/alerts", json={"definition": RULE, "recipients": ["ops:night shift"]}, headers=ed
    )
    assert added.status_code == 201, added.text
    assert added.json()["recipients"] == [{"channel": "ops", "to": "night shift"}]
    assert added.json()["status"] == "ok" and added.json()["next_check"] is None
    tested = api.client.post("/api/v1/alerts/api%20revenue/test", json={}, headers=ed).json()
    assert tested["breached"] is False and tested["would_send"] == [] and tested["sent"] == []
    assert "back within" in tested["detail"]
    one = api.client.get("/api/v1/alerts/api%20revenue", headers=api.auth("vic")).json()
    assert one["last_checked"] is None  # a test stores nothing
    refused = api.client.post("/api/v1/alerts/api%20revenue/ack", headers=api.auth("vic"))
    assert refused.status_code == 400 and "only a triggered alert" in refused.json()["error"]["message"]
    paused = api.client.patch("/api/v1/alerts/api%20revenue", json={"enabled": False}, headers=ed)
    assert paused.json()["enabled"] is False
    everything = api.client.get("/api/v1/alerts", headers=ed).text
    assert "127.0.0.1:9" not in everything and "secret" not in everything
    assert api.client.delete("/api/v1/alerts/api%20revenue", headers=ed).status_code == 204
    assert api.client.get("/api/v1/alerts/api%20revenue", headers=ed).status_code == 404


def test_mistakes_are_answered_with_the_key(api: Api) -> None:
    ed = api.auth("ed")
    cases = [
        ({**RULE, "metric": "revenu"}, ["ops"], [], "did you mean 'revenue'?"),
        ({**RULE, "cooldwn": "1h"}, ["ops"], [], "unknown key 'cooldwn' (did you mean 'cooldown'?)"),
        (RULE, ["opz"], [], "no channel 'opz'"),
        (RULE, ["ops"], ["ops:boss"], "escalation recipients need escalate_after"),
    ]
    for definition, recipients, escalation, message in cases:
        body = {"definition": definition, "recipients": recipients, "escalation": escalation}
        answer = api.client.post("/api/v1/alerts", json=body, headers=ed)
        assert answer.status_code == 400, answer.text
        assert message in answer.json()["error"]["message"]
    assert (
        api.client.post("/api/v1/alerts", json={"definition": RULE, "recipients": []}, headers=ed).status_code
        == 422
    )
    assert api.client.get("/api/v1/alerts", headers=api.auth("eu")).status_code == 403  # restricted
