"""The API's contract: every route says in the OpenAPI document what it answers, and what it
really answers (called with good input, as an admin and as a restricted viewer) matches that."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bizsight.services.forecast import forecast_metric
from bizsight.services.forecast_store import store_forecast
from tests.api.conftest import PASSWORD, Api, explain

SUCCESS = ("200", "201", "202", "204")
JSON = "application/json"
# Routes that send a file or a stream: they declare their media types instead of a JSON model.
DOWNLOADS = {
    "POST /api/v1/exports/query",
    "POST /api/v1/exports/drill-down",
    "GET /api/v1/exports/customers",
    "POST /api/v1/insights/export",
    "GET /api/v1/reports/{report_id}/preview",
    "GET /api/v1/reports/runs/{run_id}/files/{name}",
    "POST /api/v1/local/commands",
    "POST /api/v1/reports/render",
    "GET /metrics",
}
FASTAPI_OWN = {"ValidationError", "HTTPValidationError"}  # its 422 body, not ours
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def test_every_route_documents_its_success_answer(api: Api) -> None:
    spec = api.client.app.openapi()  # type: ignore[attr-defined]
    found = operations(spec)
    assert len(found) >= 44
    for label, operation in found.items():
        answers = {code: r for code, r in operation["responses"].items() if code in SUCCESS}
        assert len(answers) == 1, f"{label}: one success status, not {sorted(answers)}"
        code, answer = next(iter(answers.items()))
        content = answer.get("content", {})
        if code == "204":
            assert not content, f"{label}: 204 has no body"
            continue
        assert content, f"{label}: no content documented for {code}"
        if label in DOWNLOADS:
            assert JSON not in content, f"{label}: a download is not JSON"
            assert all(media.get("schema") for media in content.values()), label
            continue
        assert list(content) == [JSON], f"{label}: only downloads may answer other than JSON"
        schema = content[JSON].get("schema", {})
        ref = schema.get("$ref", "")
        assert ref.startswith("#/components/schemas/"), f"{label}: no response model ({schema})"
        model = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert model.get("type") == "object" and model.get("properties"), f"{label}: {ref} says nothing"


def test_no_answer_is_an_untyped_object(api: Api) -> None:
    """Free-form objects only where the keys are data (table rows, audit details, job params)."""
    spec = api.client.app.openapi()  # type: ignore[attr-defined]
    for name, model in spec["components"]["schemas"].items():
        if name in FASTAPI_OWN:
            continue
        for field, prop in model.get("properties", {}).items():
            assert prop != {}, f"{name}.{field} has no type"
            assert prop.get("type") != "object" or "additionalProperties" in prop, f"{name}.{field}"


class Caller:
    """Calls operations with good input and checks each answer against the document."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
        self.called: set[str] = set()
        self.failures: list[str] = []

    def __call__(self, method: str, path: str, user: str = "root", **kwargs: Any) -> httpx.Response:
        template = kwargs.pop("template", path)
        response = self.api.client.request(method, path, headers=self.api.auth(user), **kwargs)
        label = f"{method} {template}"
        names = re.fullmatch(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template), path)
        assert names is not None, (template, path)
        case = self.schema[template][method].Case(  # what a failure's reproduction shows
            path_parameters=names.groupdict(), query=kwargs.get("params"), headers=self.api.auth(user)
        )
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as failure:
            self.failures.append(f"{label} as {user}: {response.status_code} {explain(failure)}"[:800])
        if response.status_code < 300:
            self.called.add(label)
        else:
            self.failures.append(f"{label} as {user}: {response.status_code} {response.text[:300]}")
        return response


def finish_jobs(api: Api, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = api.client.get("/api/v1/jobs", headers=api.auth("root")).json()["jobs"]
        if all(job["state"] not in ("queued", "running") for job in jobs):
            return
        time.sleep(0.2)
    raise AssertionError("jobs still running")


QUERY = {
    "metrics": ["revenue", "orders"],
    "dimensions": ["region"],
    "grain": "month",
    "compare": "previous_year",
}
DRILL = {
    "query": {"metrics": ["revenue"], "dimensions": ["region"]},
    "metric": "revenue",
    "cell": {"region": "Europe"},
}


def call_everything(call: Callable[..., httpx.Response], user: str, upload: Path) -> None:
    """Each operation once with good input (as ``user`` where the role allows it)."""
    v1 = "/api/v1"
    call("POST", f"{v1}/auth/login", json={"username": user, "password": PASSWORD})
    call("GET", f"{v1}/auth/me", user)
    call("GET", f"{v1}/catalogue", user)
    call("POST", f"{v1}/query", user, json=QUERY)
    call("POST", f"{v1}/query", user, json={"metrics": ["revenue"], "range": "last_30_days"})
    call("POST", f"{v1}/drill-down", user, json={**DRILL, "page_size": 5})
    call("POST", f"{v1}/ask", user, json={"question": "top 3 products by revenue in 2025 vs last year"})
    call("POST", f"{v1}/ask", user, json={"question": "revenue by month", "today": "2026-06-30"})
    call("POST", f"{v1}/ask", user, json={"question": "what's the weather"})
    customers = call("GET", f"{v1}/customers", user, params={"page_size": 5}).json()["customers"]
    first = customers[0]["customer_id"]
    call("GET", f"{v1}/customers/{first}", user, template=f"{v1}/customers/{{customer_id}}")
    call("GET", f"{v1}/segments", user)
    call("GET", f"{v1}/cohorts", user, params={"start": "2025-01-01"})
    for fmt in ("csv", "xlsx", "parquet"):
        call("POST", f"{v1}/exports/query", user, params={"format": fmt}, json=QUERY)
    call("POST", f"{v1}/exports/drill-down", user, json=DRILL)
    call("GET", f"{v1}/exports/customers", user, params={"page_size": 5})
    call("GET", f"{v1}/insights/bounds", user)
    call("POST", f"{v1}/insights/trend", user, json={"metrics": ["revenue"], "range": "last_12_months"})
    call("POST", f"{v1}/insights/overview", user, json={})
    call("POST", f"{v1}/marketing", user, json={})
    call("GET", f"{v1}/insights", user)
    call("GET", f"{v1}/insights/clv", user, params={"bins": 5})
    call("POST", f"{v1}/insights/sentiment", user, json={})
    call("POST", f"{v1}/insights/worst-products", user, json={})
    call("GET", f"{v1}/insights/affinity", user)
    shown = {"name": "trend", "columns": ["period", "revenue"], "rows": [["2025-01-01", 1.5]]}
    call("POST", f"{v1}/insights/export", user, json=shown)
    call("GET", f"{v1}/forecasts", user, params={"metric": "revenue", "by": "region", "horizon": 2})
    scenario = {"metric": "revenue", "horizon": 2, "scenario": "price:+5%:elasticity=-1.2"}
    call("GET", f"{v1}/forecasts", user, params=scenario)
    call("GET", f"{v1}/forecasts/accuracy", user, params={"metric": "revenue", "by": "region"})
    call("GET", f"{v1}/anomalies", user, params={"since": "2000-01-01"})
    call("GET", f"{v1}/targets", user)
    call("GET", f"{v1}/trends", user, params={"metric": "revenue", "by": "region"})
    call("GET", f"{v1}/market", user)
    call("GET", f"{v1}/executive", user)
    call("GET", f"{v1}/pipeline", user)
    call("GET", f"{v1}/pipeline/deals", user, params={"page_size": 5})
    call("GET", f"{v1}/pipeline/model", user)
    dashboard = {
        "title": "Contract",
        "widgets": [{"id": "rev", "type": "kpi", "query": {"metrics": ["revenue"], "range": "last_30_days"}}],
        "filters": {"range": "this_year"},
        "share_roles": ["viewer"],
    }
    call("GET", f"{v1}/dashboards", user)
    call("POST", f"{v1}/reports/render", user, json={"template": "executive", "format": "xlsx"})
    call("GET", f"{v1}/reports", user)
    call("GET", f"{v1}/reports/templates", user)
    call("GET", f"{v1}/deliveries", user)
    if user != "root":
        return
    made = call("POST", f"{v1}/dashboards", json=dashboard).json()["id"]
    one = f"{v1}/dashboards/{{dashboard_id}}"
    call("GET", f"{v1}/dashboards/{made}", template=one)
    call("PUT", f"{v1}/dashboards/{made}", template=one, json={**dashboard, "title": "Contract 2"})
    call("DELETE", f"{v1}/dashboards/{made}", template=one)
    call("GET", f"{v1}/data/status")
    loads = call("GET", f"{v1}/data/loads", params={"page_size": 3}).json()["loads"]
    call(
        "GET",
        f"{v1}/data/loads/{loads[0]['load_id']}/quality",
        template=f"{v1}/data/loads/{{load_id}}/quality",
    )
    call("GET", f"{v1}/data/quarantine/order_lines", template=f"{v1}/data/quarantine/{{entity}}")
    call("GET", f"{v1}/users")
    call("POST", f"{v1}/users", json={"username": "contract"})
    call("PATCH", f"{v1}/users/contract", template=f"{v1}/users/{{username}}", json={"role": "editor"})
    restricted = {"restrictions": {"region": ["Asia Pacific"]}}
    call(
        "PUT",
        f"{v1}/users/contract/restrictions",
        template=f"{v1}/users/{{username}}/restrictions",
        json=restricted,
    )
    call("GET", f"{v1}/tokens", params={"all": "true"})
    token = call("POST", f"{v1}/tokens", json={"name": "contract", "days": 1}).json()["id"]
    call("DELETE", f"{v1}/tokens/{token}", template=f"{v1}/tokens/{{token_id}}")
    call("GET", f"{v1}/audit", params={"limit": 20})
    # An alert that the check after the refresh below triggers (revenue is above 0).
    rule = {"name": "contract", "kind": "threshold", "metric": "revenue", "window": "last_12_months",
            "direction": "above", "value": 0}  # fmt: skip
    call("POST", f"{v1}/alerts", json={"definition": rule, "recipients": ["ops"], "cron": "hourly"})
    # Jobs: the upload is a file already loaded, so loading it again changes nothing.
    with upload.open("rb") as handle:
        job = call("POST", f"{v1}/ingest", files=[("files", (upload.name, handle, "text/csv"))]).json()["id"]
    call("POST", f"{v1}/refresh")
    call("POST", f"{v1}/backups", json={"keep": 3})
    call("POST", f"{v1}/privacy/erase", json={"customers": ["not-a-customer"], "reason": "contract"})
    call("GET", f"{v1}/privacy/erasures")
    call("PUT", f"{v1}/roles/viewer/pii", template=f"{v1}/roles/{{role}}/pii", json={"pii": False})
    call("GET", f"{v1}/jobs")
    call("GET", f"{v1}/jobs/{job}", template=f"{v1}/jobs/{{job_id}}")
    call("POST", f"{v1}/jobs/{job}/cancel", template=f"{v1}/jobs/{{job_id}}/cancel")
    schedule = {"name": "contract", "kind": "backup", "when": "weekly on sunday at 03:00", "keep": 2}
    made = call("POST", f"{v1}/schedules", json=schedule).json()["id"]
    call("GET", f"{v1}/schedules")
    one = f"{v1}/schedules/{{schedule_id}}"
    call("PATCH", f"{v1}/schedules/{made}", template=one, json={"enabled": False})
    call("DELETE", f"{v1}/schedules/{made}", template=one)
    call_reports(call, dashboard)
    call("GET", "/healthz")
    call("GET", "/metrics")
    call("POST", f"{v1}/auth/logout")


def call_reports(call: Caller, dashboard: dict[str, Any]) -> None:
    """Reports: a definition's whole life, a send (waited for) and its file, a subscription."""
    v1 = "/api/v1"
    body = {"name": "contract", "template": "sales", "formats": ["pdf", "xlsx"], "where": ["region=Europe"]}
    made = call("POST", f"{v1}/reports", json=body).json()["id"]
    one = f"{v1}/reports/{{report_id}}"
    call("GET", f"{v1}/reports/{made}", template=one)
    call("PATCH", f"{v1}/reports/{made}", template=one, json={"range": "last_month"})
    when = {"when": "weekly on monday at 07:00", "timezone": "Europe/Berlin"}
    call("PUT", f"{v1}/reports/{made}/schedule", template=one + "/schedule", json=when)
    call("GET", f"{v1}/reports/{made}/preview", template=one + "/preview", params={"format": "pdf"})
    call("POST", f"{v1}/reports/{made}/send", template=one + "/send")
    finish_jobs(call.api)
    run = call("GET", f"{v1}/reports/{made}", template=one).json()["last_run"]["id"]
    files = f"{v1}/reports/runs/{{run_id}}/files/{{name}}"
    call("GET", f"{v1}/reports/runs/{run}/files/contract.xlsx", template=files)
    shown = call("POST", f"{v1}/dashboards", json=dashboard).json()["id"]
    subscribe = f"{v1}/dashboards/{{dashboard_id}}/subscribe"
    call("POST", f"{v1}/dashboards/{shown}/subscribe", template=subscribe, json={"to": "root@example.com"})
    call("DELETE", f"{v1}/reports/{made}", template=one)


def call_alerts(call: Callable[..., httpx.Response]) -> None:
    """The alert of call_everything, triggered by the check after its refresh."""
    v1, one = "/api/v1", "/api/v1/alerts/{name}"
    listed = {a["name"]: a for a in call("GET", f"{v1}/alerts").json()["alerts"]}
    assert listed["contract"]["status"] == "triggered"
    call("GET", f"{v1}/alerts/contract", template=one)
    call("POST", f"{v1}/alerts/contract/test", template=f"{one}/test", json={"send": False})
    call("POST", f"{v1}/alerts/contract/ack", "vic", template=f"{one}/ack")
    history = call("GET", f"{v1}/alerts/contract/history", template=f"{one}/history").json()["events"]
    assert [e["kind"] for e in history] == ["acknowledged", "triggered"]
    call("PATCH", f"{v1}/alerts/contract", template=one, json={"enabled": False})
    call("DELETE", f"{v1}/alerts/contract", template=one)


def keep_a_past_forecast(api: Api) -> None:
    """A forecast as an earlier refresh would have kept it, so that tracked accuracy has rows."""
    with api.client.app.state.bizsight.warehouse.cursor() as wh:  # type: ignore[attr-defined]
        past = forecast_metric(
            api.project, "revenue", by="region", end=dt.date(2026, 3, 31), candidates="fast", wh=wh
        )
        store_forecast(wh, past, run_at=dt.datetime(2026, 4, 1, 6, 0), data_version=1)


@pytest.mark.slow
def test_real_answers_match_the_document(api: Api) -> None:
    keep_a_past_forecast(api)
    accuracy = api.client.get("/api/v1/forecasts/accuracy?metric=revenue&by=region", headers=api.auth("root"))
    assert accuracy.json()["by_step"] and accuracy.json()["by_origin"]
    call = Caller(api)
    loads = api.client.get("/api/v1/data/loads", headers=api.auth("root"), params={"page_size": 1000})
    market = next(Path(r["source_file"]) for r in loads.json()["loads"] if r["entity"] == "market")
    try:
        call_everything(call, "eu", market)  # a viewer restricted to one region: the withheld variants
        call_everything(call, "root", market)
        finish_jobs(api)
        call_alerts(call)
        call("GET", "/api/v1/backups")
        call("GET", "/api/v1/jobs")  # finished jobs, with their results
    finally:
        finish_jobs(api)
    assert not call.failures, "\n".join(call.failures[:10])
    # POST /local/commands needs the server's own token (tests/cli cover it); the rest is here.
    missing = set(operations(api.client.app.openapi())) - call.called - {"POST /api/v1/local/commands"}  # type: ignore[attr-defined]
    assert not missing, sorted(missing)


def documented_client(tmp_path: Path) -> ModuleType:
    """The typed client example of docs/api.md, imported as a module."""
    doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    source = next(b for b in blocks if "def revenue_by_region" in b)
    path = tmp_path / "bizsight_client_example.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # pydantic resolves the models' annotations through it
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[path.stem]
    return module


def test_the_documented_client_runs(api: Api, tmp_path: Path) -> None:
    example = documented_client(tmp_path)
    client = TestClient(api.client.app)  # the example's calls, through the app (no server needed)
    client.headers.update(api.auth("root"))
    result = example.revenue_by_region(client)
    assert [c.name for c in result.columns] == ["region", "revenue"]
    assert result.rows and all(isinstance(r["revenue"], float) for r in result.rows)
    assert result.units == {"revenue": "money"} and result.labels["region"] == "Region"
    jobs = example.latest_jobs(client, limit=3)
    assert isinstance(jobs, list) and all(job.state for job in jobs)
