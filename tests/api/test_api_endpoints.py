"""Every endpoint does its job: answers agree with the services, errors are 4xx JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from contextlib import AbstractContextManager
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from bizsight.app.models import ApiToken, Session
from bizsight.app.store import MetadataStore
from bizsight.metrics.query import Query
from bizsight.services.limits import RateLimiter
from bizsight.services.query import run_query
from bizsight.services.users import list_users, update_user
from bizsight.warehouse.connection import Warehouse
from tests.api.conftest import PASSWORD, Api, fresh_client, login


def owner(api: Api) -> AbstractContextManager[Warehouse]:
    """A cursor of the server's own warehouse connection (the file is held read-write)."""
    return api.client.app.state.bizsight.warehouse.cursor()  # type: ignore[attr-defined,no-any-return]


REGION_QUERY = {"metrics": ["revenue", "orders"], "dimensions": ["region"]}


def test_catalogue_lists_metrics_and_dimensions(api: Api) -> None:
    found = api.client.get("/api/v1/catalogue", headers=api.auth("vic")).json()
    assert found["metrics"]["revenue"]["unit"] == "money"
    assert "order_lines" in found["dimensions"]["region"]["models"]


def test_query_agrees_with_the_metrics_layer(api: Api) -> None:
    answer = api.client.post("/api/v1/query", json=REGION_QUERY, headers=api.auth("vic")).json()
    with owner(api) as wh:
        direct = run_query(api.project, Query.model_validate(REGION_QUERY), wh=wh).table.to_pylist()
    assert [(r["region"], r["orders"]) for r in answer["rows"]] == [
        (r["region"], r["orders"]) for r in direct
    ]
    assert [r["revenue"] for r in answer["rows"]] == pytest.approx([float(r["revenue"]) for r in direct])
    assert answer["units"]["revenue"] == "money" and answer["labels"]["revenue"] == "Revenue"
    assert [c["name"] for c in answer["columns"]] == ["region", "revenue", "orders"]


def test_query_errors_are_one_line_4xx(api: Api) -> None:
    unknown = api.client.post("/api/v1/query", json={"metrics": ["revenu"]}, headers=api.auth("vic"))
    assert unknown.status_code == 400
    assert "did you mean 'revenue'" in unknown.json()["error"]["message"]
    bad_grain = api.client.post(
        "/api/v1/query", json={"metrics": ["revenue"], "grain": "century"}, headers=api.auth("vic")
    )
    assert bad_grain.status_code == 422
    misfit = api.client.post(
        "/api/v1/query",
        json={"metrics": ["marketing_spend"], "dimensions": ["category"]},
        headers=api.auth("vic"),
    )
    assert misfit.status_code == 400 and "category" in misfit.json()["error"]["message"]


def test_drill_down_rows_add_up_to_the_cell(api: Api) -> None:
    cell = {
        r["region"]: r
        for r in api.client.post("/api/v1/query", json=REGION_QUERY, headers=api.auth("vic")).json()["rows"]
    }
    body = {"query": REGION_QUERY, "metric": "revenue", "cell": {"region": "Europe"}, "page_size": 10_000}
    lines = api.client.post("/api/v1/drill-down", json=body, headers=api.auth("vic")).json()["rows"]
    assert sum(Decimal(str(r["net_amount"])) for r in lines) == pytest.approx(
        Decimal(str(cell["Europe"]["revenue"]))
    )
    paged = api.client.post(
        "/api/v1/drill-down", json={**body, "page": 2, "page_size": 5}, headers=api.auth("vic")
    ).json()
    assert [r["order_id"] for r in paged["rows"]] == [r["order_id"] for r in lines[5:10]]
    wrong = api.client.post(
        "/api/v1/drill-down", json={**body, "cell": {"country": "x"}}, headers=api.auth("vic")
    )
    assert wrong.status_code == 400


def test_customer_list_detail_and_errors(api: Api) -> None:
    listed = api.client.get("/api/v1/customers?page_size=20&sort=revenue", headers=api.auth("vic")).json()
    revenue = [c["net_revenue"] for c in listed["customers"] if c["net_revenue"] is not None]
    assert revenue == sorted(revenue, reverse=True) and listed["total"] == 300
    assert all(isinstance(r, float) for r in revenue)  # money is a JSON number
    best = listed["customers"][0]
    assert {"rfm_segment", "clv", "p_alive"} <= set(best)
    detail = api.client.get(f"/api/v1/customers/{best['customer_id']}", headers=api.auth("vic")).json()
    assert detail["customer"]["customer_id"] == best["customer_id"]
    assert len(detail["orders"]) == min(100, sum(1 for _ in detail["orders"]))
    assert all(o["customer_id"] == best["customer_id"] for o in detail["orders"] + detail["reviews"])
    assert not any(k.startswith("_") for o in detail["orders"] for k in o)
    # names are masked for a viewer (no pii grant); an admin searches by them
    full = api.client.get(f"/api/v1/customers/{best['customer_id']}", headers=api.auth("root")).json()
    name = full["customer"]["customer_name"].split()[0].lower()
    found = api.client.get(f"/api/v1/customers?search={name.upper()}", headers=api.auth("root")).json()
    assert found["total"] >= 1 and all(
        name in c["customer_name"].lower() or name in (c["email"] or "") for c in found["customers"]
    )
    assert api.client.get("/api/v1/customers/NOPE", headers=api.auth("vic")).status_code == 404
    assert api.client.get("/api/v1/customers?sort=height", headers=api.auth("vic")).status_code == 400
    segment = api.client.get(
        "/api/v1/customers?segment=Champions&page_size=1000", headers=api.auth("vic")
    ).json()
    assert segment["total"] > 0 and {c["rfm_segment"] for c in segment["customers"]} == {"Champions"}


def test_segments_and_cohorts(api: Api) -> None:
    segments = api.client.get("/api/v1/segments", headers=api.auth("vic")).json()["segments"]
    with owner(api) as wh:
        in_mart = wh.scalar("SELECT count(*) FROM marts.rfm_segments")
        clv_by_segment = dict(
            wh.rows(
                "SELECT r.segment, avg(c.clv) FROM marts.rfm_segments r JOIN marts.clv c USING (customer_id) GROUP BY 1"
            )
        )
    assert sum(s["customers"] for s in segments) == in_mart
    assert {s["segment"]: s["avg_clv"] for s in segments} == pytest.approx(clv_by_segment)
    cohorts = api.client.get("/api/v1/cohorts", headers=api.auth("vic")).json()["cohorts"]
    firsts = [c for c in cohorts if c["months_since_first"] == 0]
    assert firsts and all(c["retention"] == 1.0 for c in firsts)
    assert all(0 < c["retention"] <= 1 for c in cohorts if c["retention"] is not None)


def test_data_status_loads_quality_and_quarantine(api: Api) -> None:
    status = api.client.get("/api/v1/data/status", headers=api.auth("vic")).json()
    assert any(t["table"] == "fact_order_line" and t["rows"] > 0 for t in status["tables"])
    loads = api.client.get("/api/v1/data/loads?page_size=2", headers=api.auth("vic")).json()
    assert loads["total"] == 8 and len(loads["loads"]) == 2 and loads["loads"][0]["load_id"] == 8
    quality = api.client.get("/api/v1/data/loads/1/quality", headers=api.auth("ed")).json()
    assert quality["load_id"] == 1 and quality["rows_read"] > 0
    assert api.client.get("/api/v1/data/loads/999/quality", headers=api.auth("ed")).status_code == 404
    rejected = api.client.get("/api/v1/data/quarantine/order_lines", headers=api.auth("ed")).json()
    assert rejected["total"] == len(rejected["rows"]) == 0  # the demo here is clean
    unknown = api.client.get("/api/v1/data/quarantine/orders", headers=api.auth("ed"))
    assert unknown.status_code == 400 and "did you mean" in unknown.json()["error"]["message"]


def test_exports_in_three_formats_agree_and_are_audited(api: Api) -> None:
    csv_text = api.client.post("/api/v1/exports/query?format=csv", json=REGION_QUERY, headers=api.auth("vic"))
    assert csv_text.headers["content-disposition"].endswith('.csv"')
    assert csv_text.text.splitlines()[0] == '"Region","Revenue","Orders"'  # headed by the labels
    parquet = api.client.post(
        "/api/v1/exports/query?format=parquet", json=REGION_QUERY, headers=api.auth("vic")
    )
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == len(csv_text.text.splitlines()) - 1
    assert str(table.schema.field("revenue").type).startswith("decimal")  # money stays exact
    xlsx = api.client.post("/api/v1/exports/query?format=xlsx", json=REGION_QUERY, headers=api.auth("vic"))
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<row" in sheet and sheet.count("<row") == table.num_rows + 1
    revenue_cell = re.search(r'<c r="B2"[^>]*>', sheet)
    assert revenue_cell and " t=" not in revenue_cell.group(0)  # a number, not text
    bad = api.client.post("/api/v1/exports/query?format=pdf", json=REGION_QUERY, headers=api.auth("vic"))
    assert bad.status_code == 422
    events = api.client.get("/api/v1/audit?action=export", headers=api.auth("root")).json()["events"]
    assert {e["detail"]["format"] for e in events if e["actor"] == "vic"} >= {"csv", "parquet", "xlsx"}


def test_drill_down_export_streams_every_row(api: Api) -> None:
    body = {"query": REGION_QUERY, "metric": "revenue", "cell": {"region": "Europe"}}
    shown = api.client.post(
        "/api/v1/drill-down", json={**body, "page_size": 10_000}, headers=api.auth("vic")
    ).json()
    exported = api.client.post(
        "/api/v1/exports/drill-down?format=parquet", json=body, headers=api.auth("vic")
    )
    assert pq.read_table(io.BytesIO(exported.content)).num_rows == len(shown["rows"]) > 0
    rows = list(
        csv.DictReader(
            io.StringIO(
                api.client.post(
                    "/api/v1/exports/drill-down?format=csv", json=body, headers=api.auth("vic")
                ).text
            )
        )
    )
    assert len(rows) == len(shown["rows"])
    assert not [c for c in rows[0] if c.startswith("_") or "hash" in c.lower() or "load" in c.lower()]
    assert all(r["Product name"] and r["Country"] for r in rows)  # filled from the dimensions
    amounts = [r["Net amount"] for r in rows if r["Net amount"]]
    assert amounts and all(len(a.partition(".")[2]) <= 2 for a in amounts)  # to the cent, no float noise


def dashboard(title: str = "Sales", **extra: object) -> dict[str, object]:
    widgets = [
        {
            "id": "kpi",
            "type": "kpi",
            "title": "Revenue",
            "query": {"metrics": ["revenue"], "range": "last_30_days"},
        },
        {
            "id": "bars",
            "type": "bar",
            "query": {"metrics": ["revenue"], "dimensions": ["category"]},
            "layout": {"x": 4, "w": 8},
        },
    ]
    return {"title": title, "widgets": widgets, **extra}


def test_dashboards_crud_and_sharing(api: Api) -> None:
    created = api.client.post("/api/v1/dashboards", json=dashboard(), headers=api.auth("ed"))
    assert created.status_code == 201
    board = created.json()
    assert [w["id"] for w in board["widgets"]] == ["kpi", "bars"] and board["widgets"][1]["layout"]["w"] == 8
    path = f"/api/v1/dashboards/{board['id']}"
    assert api.client.get(path, headers=api.auth("vic")).status_code == 404  # not shared yet
    shared = api.client.put(path, json=dashboard("Sales v2", share_roles=["viewer"]), headers=api.auth("ed"))
    assert shared.status_code == 200 and shared.json()["share_roles"] == ["viewer"]
    assert api.client.get(path, headers=api.auth("vic")).json()["title"] == "Sales v2"
    assert board["id"] in [
        d["id"] for d in api.client.get("/api/v1/dashboards", headers=api.auth("vic")).json()["dashboards"]
    ]
    assert api.client.put(path, json=dashboard(), headers=api.auth("vic")).status_code == 403
    assert api.client.get(path, headers=api.auth("root")).status_code == 200  # admins see every dashboard
    assert api.client.delete(path, headers=api.auth("ed")).status_code == 204
    assert api.client.get(path, headers=api.auth("ed")).status_code == 404


def test_dashboard_widgets_are_validated_against_the_catalogue(api: Api) -> None:
    bad_metric = dashboard()
    bad_metric["widgets"][0]["query"]["metrics"] = ["revenu"]  # type: ignore[index]
    answer = api.client.post("/api/v1/dashboards", json=bad_metric, headers=api.auth("ed"))
    assert answer.status_code == 400 and "widget kpi" in answer.json()["error"]["message"]
    twice = dashboard()
    twice["widgets"][1]["id"] = "kpi"  # type: ignore[index]
    assert api.client.post("/api/v1/dashboards", json=twice, headers=api.auth("ed")).status_code == 400
    bad_type = dashboard()
    bad_type["widgets"][0]["type"] = "gauge"  # type: ignore[index]
    assert api.client.post("/api/v1/dashboards", json=bad_type, headers=api.auth("ed")).status_code == 422
    nobody = dashboard(share_users=[99999])
    assert api.client.post("/api/v1/dashboards", json=nobody, headers=api.auth("ed")).status_code == 404


def test_cookie_sessions_need_the_csrf_token_to_change_anything(api: Api) -> None:
    browser = fresh_client(api)
    csrf = login(browser, "ed")
    me = browser.get("/api/v1/auth/me").json()
    assert me["user"]["username"] == "ed" and me["csrf_token"] == csrf
    assert browser.post("/api/v1/query", json=REGION_QUERY).status_code == 403
    assert (
        browser.post("/api/v1/query", json=REGION_QUERY, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    assert browser.post("/api/v1/query", json=REGION_QUERY, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_session_cookie_is_http_only_and_same_site(api: Api) -> None:
    response = fresh_client(api).post("/api/v1/auth/login", json={"username": "vic", "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and PASSWORD not in cookie


def test_wrong_logins_are_refused_audited_and_rate_limited(api: Api) -> None:
    browser = fresh_client(api)
    statuses = [
        browser.post("/api/v1/auth/login", json={"username": "vic", "password": f"wrong {i}"}).status_code
        for i in range(12)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    refused = statuses.count(401)
    assert statuses == [401] * refused + [429] * (12 - refused)
    limited = browser.post("/api/v1/auth/login", json={"username": "vic", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    failed = api.client.get("/api/v1/audit?action=login_failed", headers=api.auth("root")).json()["events"]
    assert sum(e["actor"] == "vic" for e in failed) == refused  # a limited attempt is not even checked
    assert not any("wrong" in str(e) for e in failed)  # passwords never reach the log


def test_the_last_admin_cannot_demote_itself(api: Api) -> None:
    others = [u["username"] for u in list_users(api.store) if u["role"] == "admin" and u["active"]]
    others.remove("root")
    for name in others:  # the first admin, made at start: root is left as the only one
        update_user(api.store, name, active=False)
    try:
        answer = api.client.patch("/api/v1/users/root", json={"role": "viewer"}, headers=api.auth("root"))
        assert answer.status_code == 409
        message = answer.json()["error"]["message"]
        assert message == "root is the last active admin; make another user an admin first"
        users = api.client.get("/api/v1/users", headers=api.auth("root")).json()["users"]
        assert [u["role"] for u in users if u["username"] == "root"] == ["admin"]
    finally:
        for name in others:
            update_user(api.store, name, active=True)


def test_users_and_tokens_through_the_api(api: Api) -> None:
    created = api.client.post("/api/v1/users", json={"username": "newbie"}, headers=api.auth("root")).json()
    assert created["user"]["role"] == "viewer" and len(created["password"]) >= 10
    changed = api.client.patch(
        "/api/v1/users/newbie", json={"role": "editor"}, headers=api.auth("root")
    ).json()
    assert changed["role"] == "editor"
    restricted = api.client.put(
        "/api/v1/users/newbie/restrictions",
        json={"restrictions": {"region": ["Europe"]}},
        headers=api.auth("root"),
    )
    assert restricted.json()["restrictions"] == {"region": ["Europe"]}
    typo = api.client.put(
        "/api/v1/users/newbie/restrictions",
        json={"restrictions": {"regoin": ["Europe"]}},
        headers=api.auth("root"),
    )
    assert typo.status_code == 400 and "did you mean 'region'" in typo.json()["error"]["message"]
    assert "newbie" in [
        u["username"] for u in api.client.get("/api/v1/users", headers=api.auth("root")).json()["users"]
    ]
    browser = fresh_client(api)
    csrf = login(browser, "newbie", created["password"])
    token = browser.post("/api/v1/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf}).json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert api.client.get("/api/v1/auth/me", headers=bearer).json()["user"]["restrictions"][0]["values"] == [
        "Europe"
    ]
    listed = browser.get("/api/v1/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    assert api.client.delete(f"/api/v1/tokens/{token['id']}", headers=api.auth("vic")).status_code == 404
    assert browser.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    actions = {
        e["action"] for e in api.client.get("/api/v1/audit", headers=api.auth("root")).json()["events"]
    }
    assert {"user.add", "user.update", "user.restrict", "token.create", "token.revoke", "login"} <= actions


def test_expired_and_unknown_tokens_are_refused(api: Api) -> None:
    view, token = __import__("bizsight.services.users", fromlist=["create_token"]).create_token(
        api.store, "vic", "short-lived", days=1
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with api.store.session() as s:
        s.execute(update(ApiToken).where(ApiToken.id == view["id"]).values(expires_at=view["created_at"]))
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer bzs_nope"}).status_code == 401


def test_deactivated_users_are_locked_out(api: Api) -> None:
    api.client.post(
        "/api/v1/users", json={"username": "leaver", "password": PASSWORD}, headers=api.auth("root")
    )
    browser = fresh_client(api)
    login(browser, "leaver")
    api.client.patch("/api/v1/users/leaver", json={"active": False}, headers=api.auth("root"))
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert (
        browser.post("/api/v1/auth/login", json={"username": "leaver", "password": PASSWORD}).status_code
        == 401
    )


def test_health_and_prometheus_metrics(api: Api) -> None:
    health = api.client.get("/healthz").json()
    assert (
        health["status"] == "ok"
        and health["store_schema"] == MetadataStore.head()
        and health["data_version"] >= 8
    )
    api.client.post("/api/v1/query", json=REGION_QUERY, headers=api.auth("vic"))
    text = api.client.get("/metrics").text
    assert 'bizsight_http_requests_total{method="POST",route="/query",status="200"}' in text
    assert "bizsight_http_request_seconds_bucket" in text and "bizsight_query_cache" in text


def test_expensive_calls_are_rate_limited_per_user(api: Api) -> None:
    state = api.client.app.state.bizsight  # type: ignore[attr-defined]
    generous = state.query_limiter
    state.query_limiter = RateLimiter(2, burst=2, what="queries")
    try:
        statuses = [
            api.client.post("/api/v1/query", json=REGION_QUERY, headers=api.auth("vic")).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        limited = api.client.get("/api/v1/customers", headers=api.auth("vic"))
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert api.client.post("/api/v1/query", json=REGION_QUERY, headers=api.auth("ed")).status_code == 200
        assert (
            api.client.get("/api/v1/catalogue", headers=api.auth("vic")).status_code == 200
        )  # cheap: not limited
    finally:
        state.query_limiter = generous


def test_an_expired_session_is_refused(api: Api) -> None:
    browser = fresh_client(api)
    login(browser, "root")  # not vic: the login rate-limit test spends vic's attempts
    assert browser.get("/api/v1/auth/me").status_code == 200
    with api.store.session() as s:
        s.execute(update(Session).values(expires_at=dt.datetime(2000, 1, 1)))
    assert browser.get("/api/v1/auth/me").status_code == 401
