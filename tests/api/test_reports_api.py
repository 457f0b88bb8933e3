"""The reports endpoints by role: a viewer subscribes to a dashboard and sees only their own
reports, previews and deliveries; editors see and send everyone's; the preview may be framed by this site only, and runs nothing."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.reports import report_support  # noqa: F401  (registers the ``tiny`` report template)

V1 = "/api/v1"


def test_reports_are_seen_by_their_owner_and_by_unrestricted_editors(api: Api) -> None:
    client = api.client
    made = client.post(f"{V1}/reports", json={"name": "roots", "template": "tiny"}, headers=api.auth("root"))
    assert made.status_code == 201, made.text
    root_report = made.json()["id"]
    refused = client.post(f"{V1}/reports", json={"name": "mine", "template": "tiny"}, headers=api.auth("vic"))
    assert refused.status_code == 403  # viewers subscribe; they do not define reports
    dashboard = {
        "title": "Shared",
        "share_roles": ["viewer"],
        "widgets": [{"id": "k", "type": "kpi", "query": {"metrics": ["revenue"]}}],
    }
    shown = client.post(f"{V1}/dashboards", json=dashboard, headers=api.auth("root")).json()["id"]

    subscribed = client.post(
        f"{V1}/dashboards/{shown}/subscribe", json={"to": "vic@example.com"}, headers=api.auth("vic")
    )
    assert subscribed.status_code == 201, subscribed.text
    mine = subscribed.json()
    assert (mine["owner"], mine["template"], mine["dashboard_id"]) == ("vic", "dashboard", shown)
    assert mine["recipients"] == [{"channel": "mail", "to": "vic@example.com"}]
    assert mine["schedule"]["kind"] == "report" and mine["schedule"]["next_run_utc"]
    assert [r["name"] for r in client.get(f"{V1}/reports", headers=api.auth("vic")).json()["reports"]] == [
        mine["name"]
    ]
    assert client.get(f"{V1}/reports/{root_report}", headers=api.auth("vic")).status_code == 404
    assert client.post(f"{V1}/reports/{root_report}/send", headers=api.auth("vic")).status_code == 404

    preview = client.get(f"{V1}/reports/{mine['id']}/preview", headers=api.auth("vic"))
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
    policy = preview.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy and "script-src" not in policy
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"

    everyone = {r["name"] for r in client.get(f"{V1}/reports", headers=api.auth("ed")).json()["reports"]}
    assert {"roots", mine["name"]} <= everyone
    sent = client.post(f"{V1}/reports/{root_report}/send", headers=api.auth("ed"))  # no recipients
    assert sent.status_code == 202 and sent.json()["kind"] == "report"
    assert client.get(f"{V1}/reports/{root_report}", headers=api.auth("eu")).status_code == 404
    assert client.delete(f"{V1}/reports/{root_report}", headers=api.auth("vic")).status_code == 404
    assert (
        client.delete(f"{V1}/reports/{mine['id']}", headers=api.auth("vic")).status_code == 204
    )  # their own
    schedules = client.get(f"{V1}/schedules", headers=api.auth("root")).json()["schedules"]
    assert all(s["kind"] != "report" for s in schedules)  # a report's schedule goes with it
