"""The whole permission matrix: every role (and a restricted viewer) × every endpoint, iterated
from services.access.MATRIX and the guards on the app's routes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from bizsight.api import api_routes, route_permission
from bizsight.app.models import Role
from bizsight.services.access import MATRIX, UNSCOPED, Permission
from tests.api.conftest import Api

QUERY = {"metrics": ["revenue"], "dimensions": ["region"]}
DASHBOARD = {"title": "matrix", "widgets": [{"id": "w1", "type": "bar", "query": QUERY}]}

# One concrete call per route. Calls that would change something for an allowed role name a
# target that does not exist (404) or carry a body the service rejects (400): the guard answers
# before either, so a denied role always sees 403.
CALLS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("POST", "/api/v1/auth/login"): ("/api/v1/auth/login", {"username": "nobody", "password": "x"}),
    ("POST", "/api/v1/auth/logout"): ("/api/v1/auth/logout", None),
    ("GET", "/api/v1/auth/me"): ("/api/v1/auth/me", None),
    ("GET", "/api/v1/catalogue"): ("/api/v1/catalogue", None),
    ("POST", "/api/v1/query"): ("/api/v1/query", QUERY),
    ("POST", "/api/v1/ask"): ("/api/v1/ask", {"question": "revenue by region last quarter"}),
    ("POST", "/api/v1/drill-down"): (
        "/api/v1/drill-down",
        {"query": QUERY, "metric": "revenue", "cell": {"region": "Europe"}, "page_size": 5},
    ),
    ("GET", "/api/v1/customers"): ("/api/v1/customers?page_size=5", None),
    ("GET", "/api/v1/customers/{customer_id}"): ("/api/v1/customers/C0000014", None),
    ("GET", "/api/v1/segments"): ("/api/v1/segments", None),
    ("GET", "/api/v1/cohorts"): ("/api/v1/cohorts?start=2025-01-01&end=2025-03-31", None),
    ("GET", "/api/v1/data/status"): ("/api/v1/data/status", None),
    ("GET", "/api/v1/data/loads"): ("/api/v1/data/loads", None),
    ("GET", "/api/v1/data/loads/{load_id}/quality"): ("/api/v1/data/loads/1/quality", None),
    ("GET", "/api/v1/data/quarantine/{entity}"): ("/api/v1/data/quarantine/order_lines", None),
    ("POST", "/api/v1/exports/query"): ("/api/v1/exports/query?format=csv", QUERY),
    ("POST", "/api/v1/exports/drill-down"): (
        "/api/v1/exports/drill-down?format=csv",
        {"query": QUERY, "metric": "revenue", "cell": {"region": "Europe"}},
    ),
    ("GET", "/api/v1/exports/customers"): ("/api/v1/exports/customers?format=csv&page_size=5", None),
    ("GET", "/api/v1/dashboards"): ("/api/v1/dashboards", None),
    ("POST", "/api/v1/dashboards"): ("/api/v1/dashboards", DASHBOARD),
    ("GET", "/api/v1/dashboards/{dashboard_id}"): ("/api/v1/dashboards/999999", None),
    ("PUT", "/api/v1/dashboards/{dashboard_id}"): ("/api/v1/dashboards/999999", DASHBOARD),
    ("DELETE", "/api/v1/dashboards/{dashboard_id}"): ("/api/v1/dashboards/999999", None),
    ("GET", "/api/v1/users"): ("/api/v1/users", None),
    ("POST", "/api/v1/users"): ("/api/v1/users", {"username": "matrix", "password": "short"}),
    ("PATCH", "/api/v1/users/{username}"): ("/api/v1/users/nobody", {"role": "viewer"}),
    ("PUT", "/api/v1/users/{username}/restrictions"): (
        "/api/v1/users/nobody/restrictions",
        {"restrictions": {}},
    ),
    ("GET", "/api/v1/tokens"): ("/api/v1/tokens", None),
    ("POST", "/api/v1/tokens"): ("/api/v1/tokens", {"name": "matrix"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("/api/v1/tokens/999999", None),
    ("GET", "/api/v1/audit"): ("/api/v1/audit?limit=5", None),
    ("GET", "/api/v1/insights/bounds"): ("/api/v1/insights/bounds", None),
    ("POST", "/api/v1/insights/trend"): ("/api/v1/insights/trend", QUERY),
    ("POST", "/api/v1/insights/overview"): ("/api/v1/insights/overview", {}),
    ("POST", "/api/v1/marketing"): ("/api/v1/marketing", {}),
    ("GET", "/api/v1/insights"): ("/api/v1/insights", None),
    ("GET", "/api/v1/insights/clv"): ("/api/v1/insights/clv?bins=5", None),
    ("POST", "/api/v1/insights/sentiment"): ("/api/v1/insights/sentiment", {}),
    ("POST", "/api/v1/insights/worst-products"): ("/api/v1/insights/worst-products", {}),
    ("GET", "/api/v1/insights/affinity"): ("/api/v1/insights/affinity", None),
    ("POST", "/api/v1/insights/export"): (
        "/api/v1/insights/export?format=csv",
        {"columns": ["a"], "rows": [[1]]},
    ),
    ("GET", "/api/v1/forecasts"): ("/api/v1/forecasts?metric=orders&horizon=2", None),
    ("GET", "/api/v1/forecasts/accuracy"): ("/api/v1/forecasts/accuracy?metric=revenue&by=region", None),
    ("GET", "/api/v1/anomalies"): ("/api/v1/anomalies?severity=high", None),
    ("GET", "/api/v1/targets"): ("/api/v1/targets", None),
    ("GET", "/api/v1/trends"): ("/api/v1/trends?metric=revenue&grain=month", None),
    ("GET", "/api/v1/market"): ("/api/v1/market", None),
    ("GET", "/api/v1/executive"): ("/api/v1/executive", None),
    # jobs: an allowed role gets a body the route refuses (422/400) or a job that does not exist
    ("POST", "/api/v1/ingest"): ("/api/v1/ingest", {"files": []}),
    ("POST", "/api/v1/refresh"): ("/api/v1/refresh", {"matrix": True}),
    ("GET", "/api/v1/jobs"): ("/api/v1/jobs?limit=5", None),
    ("GET", "/api/v1/jobs/{job_id}"): ("/api/v1/jobs/999999", None),
    ("POST", "/api/v1/jobs/{job_id}/cancel"): ("/api/v1/jobs/999999/cancel", None),
    ("GET", "/api/v1/schedules"): ("/api/v1/schedules", None),
    ("POST", "/api/v1/schedules"): ("/api/v1/schedules", {"name": "m", "kind": "never", "when": "x"}),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): ("/api/v1/schedules/999999", {"enabled": False}),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): ("/api/v1/schedules/999999", None),
    ("GET", "/api/v1/backups"): ("/api/v1/backups", None),
    ("POST", "/api/v1/backups"): ("/api/v1/backups", {"keep": 0}),
    # alerts: an allowed role names an alert that does not exist (404) or a rule the service refuses
    ("GET", "/api/v1/alerts"): ("/api/v1/alerts", None),
    ("POST", "/api/v1/alerts"): (
        "/api/v1/alerts",
        {"definition": {"name": "m", "kind": "x"}, "recipients": ["o"]},
    ),
    ("GET", "/api/v1/alerts/{name}"): ("/api/v1/alerts/nobody", None),
    ("PATCH", "/api/v1/alerts/{name}"): ("/api/v1/alerts/nobody", {"enabled": False}),
    ("DELETE", "/api/v1/alerts/{name}"): ("/api/v1/alerts/nobody", None),
    ("POST", "/api/v1/alerts/{name}/ack"): ("/api/v1/alerts/nobody/ack", None),
    ("POST", "/api/v1/alerts/{name}/test"): ("/api/v1/alerts/nobody/test", None),
    ("GET", "/api/v1/alerts/{name}/history"): ("/api/v1/alerts/nobody/history", None),
    # reports: an allowed role names a report, run or dashboard that does not exist, or a bad body
    ("GET", "/api/v1/reports"): ("/api/v1/reports", None),
    ("GET", "/api/v1/reports/templates"): ("/api/v1/reports/templates", None),
    ("POST", "/api/v1/reports"): ("/api/v1/reports", {"name": "m", "template": "never"}),
    ("GET", "/api/v1/reports/{report_id}"): ("/api/v1/reports/999999", None),
    ("PATCH", "/api/v1/reports/{report_id}"): ("/api/v1/reports/999999", {"range": "last_month"}),
    ("DELETE", "/api/v1/reports/{report_id}"): ("/api/v1/reports/999999", None),
    ("PUT", "/api/v1/reports/{report_id}/schedule"): ("/api/v1/reports/999999/schedule", {"when": None}),
    ("POST", "/api/v1/reports/{report_id}/send"): ("/api/v1/reports/999999/send", None),
    ("GET", "/api/v1/reports/{report_id}/preview"): ("/api/v1/reports/999999/preview?format=pdf", None),
    ("GET", "/api/v1/reports/runs/{run_id}/files/{name}"): ("/api/v1/reports/runs/999999/files/a.pdf", None),
    ("GET", "/api/v1/deliveries"): ("/api/v1/deliveries?limit=5", None),
    ("POST", "/api/v1/dashboards/{dashboard_id}/subscribe"): ("/api/v1/dashboards/999999/subscribe", {}),
    ("POST", "/api/v1/local/commands"): ("/api/v1/local/commands", {"argv": ["status"]}),
    ("POST", "/api/v1/privacy/erase"): ("/api/v1/privacy/erase", {"customers": []}),  # refused: nobody named
    ("GET", "/api/v1/privacy/erasures"): ("/api/v1/privacy/erasures", None),
    ("PUT", "/api/v1/roles/{role}/pii"): ("/api/v1/roles/viewer/pii", {"pii": "maybe"}),
    ("POST", "/api/v1/reports/render"): ("/api/v1/reports/render", {"template": "sales", "format": "csv"}),
    ("GET", "/api/v1/pipeline"): ("/api/v1/pipeline", None),
    ("GET", "/api/v1/pipeline/deals"): ("/api/v1/pipeline/deals?page_size=5", None),
    ("GET", "/api/v1/pipeline/model"): ("/api/v1/pipeline/model", None),
    ("GET", "/healthz"): ("/healthz", None),
    ("GET", "/metrics"): ("/metrics", None),
}
PUBLIC = {("POST", "/api/v1/auth/login"), ("GET", "/healthz"), ("GET", "/metrics")}
# Only the CLI of the server's own user, with the token of .bizsight/server.json: never a user.
LOCAL = {("POST", "/api/v1/local/commands")}
USERS = {"root": Role.ADMIN, "ed": Role.EDITOR, "vic": Role.VIEWER, "eu": Role.VIEWER}  # eu is restricted


def routes(api: Api) -> dict[tuple[str, str], APIRoute]:
    return api_routes()


def call(api: Api, key: tuple[str, str], headers: dict[str, str]) -> int:
    url, body = CALLS[key]
    return api.client.request(key[0], url, json=body, headers=headers).status_code


def test_every_route_is_in_the_table_of_calls(api: Api) -> None:
    assert set(routes(api)) == set(CALLS)


def test_every_permission_of_the_matrix_guards_a_route(api: Api) -> None:
    used = {route_permission(r) for r in routes(api).values()}
    assert {p.value for p in Permission} <= used
    assert set(MATRIX) == set(Permission)


@pytest.mark.parametrize("user", sorted(USERS))
def test_each_role_gets_exactly_what_the_matrix_grants(api: Api, user: str) -> None:
    wrong = []
    for key, route in sorted(routes(api).items()):
        permission = route_permission(route)
        status = call(api, key, api.auth(user))
        if key in LOCAL:
            ok = status == 401
        elif permission is None:  # open to anyone logged in, or (PUBLIC) to everyone
            ok = status != 403 and (key in PUBLIC or status != 401)
        else:
            granted = USERS[user] in MATRIX[Permission(permission)] and not (
                user == "eu" and Permission(permission) in UNSCOPED
            )
            ok = status == 403 if not granted else status not in (401, 403)
        if not ok or status >= 500:
            wrong.append(f"{key} as {user}: {status}")
    assert not wrong, "\n".join(wrong)


def test_without_credentials_only_public_routes_answer(api: Api) -> None:
    anonymous = api.client.__class__(api.client.app)
    for key in sorted(routes(api)):
        url, body = CALLS[key]
        if key == ("POST", "/api/v1/auth/login"):  # "nobody" has failed before: its next try waits
            body = {"username": "never-tried", "password": "x"}
        status = anonymous.request(key[0], url, json=body).status_code
        if key in PUBLIC:  # login answers 401 to a wrong password, not to a missing login
            assert status == (401 if key[1].endswith("/login") else 200), key
        else:
            assert status == 401, key


def test_openapi_names_each_routes_permission(api: Api) -> None:
    spec = api.client.get("/api/v1/openapi.json").json()
    assert spec["paths"]["/api/v1/query"]["post"]["x-permission"] == "query:run"
    assert spec["paths"]["/api/v1/users"]["get"]["x-permission"] == "users:manage"
