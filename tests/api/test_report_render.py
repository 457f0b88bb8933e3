"""POST /api/v1/reports/render: the caller's report as a file, their restrictions applied; the
server's own CLI token gets the unrestricted owner's report; errors are 4xx JSON."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bizsight.metrics.query import Filter, Query
from bizsight.services.query import run_query
from bizsight.services.report_period import report_period
from tests.api.conftest import RESTRICTED_REGION, Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(content: bytes, name: str) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(content), read_only=True)[name].iter_rows(values_only=True))


def test_a_restricted_viewers_report_holds_only_their_rows(api: Api) -> None:
    body = {"template": "executive", "format": "xlsx"}
    answer = api.client.post("/api/v1/reports/render", json=body, headers=api.auth("eu"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].startswith('attachment; filename="executive-')
    regions = sheet(answer.content, "Regions by change")
    assert [row[0] for row in regions[1:]] == [RESTRICTED_REGION]
    with api.client.app.state.bizsight.warehouse.cursor() as wh:  # type: ignore[attr-defined]
        period = report_period(wh)
        query = Query(
            metrics=("revenue",),
            start=period.start,
            end=period.end,
            filters=(Filter(dimension="region", values=(RESTRICTED_REGION,)),),
        )
        revenue = run_query(api.project, query, wh=wh).table.column("revenue")[0].as_py()
    kpis = {row[0]: row[1] for row in sheet(answer.content, "KPIs")[1:]}
    assert kpis["Revenue"] == float(revenue)
    everyone = api.client.post("/api/v1/reports/render", json=body, headers=api.auth("vic"))
    assert len(sheet(everyone.content, "Regions by change")) > 2


def test_the_servers_own_cli_token_is_the_unrestricted_owner(api: Api) -> None:
    state = api.client.app.state.bizsight  # type: ignore[attr-defined]
    before, state.local_token = state.local_token, "bzl_the-servers-own-cli-token"
    try:
        answer = api.client.post(
            "/api/v1/reports/render",
            json={"template": "quality", "format": "csv"},  # unfiltered data: refused to viewers
            headers={"Authorization": "Bearer bzl_the-servers-own-cli-token"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/zip"
        forged = api.client.post(
            "/api/v1/reports/render",
            json={"template": "quality", "format": "csv"},
            headers={"Authorization": "Bearer bzl_a-guess"},
        )
        assert forged.status_code == 401
    finally:
        state.local_token = before


def test_errors_are_one_json_line(api: Api) -> None:
    wrong = api.client.post("/api/v1/reports/render", json={"template": "executiv"}, headers=api.auth("vic"))
    assert wrong.status_code == 400 and "did you mean 'executive'" in wrong.json()["error"]["message"]
    refused = api.client.post("/api/v1/reports/render", json={"template": "quality"}, headers=api.auth("eu"))
    assert refused.status_code == 403
    anonymous = api.client.post("/api/v1/reports/render", json={"template": "sales"})
    assert anonymous.status_code == 401
