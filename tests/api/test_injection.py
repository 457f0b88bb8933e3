"""Injection and path traversal against every parameter of every endpoint: each string in a path,
the query string or a JSON body is replaced by hostile text in turn. Nothing may answer 5xx,
leak a file, or change the warehouse."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests.api.conftest import Api
from tests.api.test_permissions import CALLS

PAYLOADS = [
    "' OR '1'='1",
    "Europe'; DROP TABLE core.fact_order_line; --",
    "read_csv('/etc/passwd')",
    "../../../../etc/passwd",
    "C:\\Windows\\win.ini",
    "x\x00y",
    "{{7*7}}${7*7}%s%n",
    "<script>alert(1)</script>",
    "ü" * 5000,
]
LEAKS = ["root:x:0:0", "[fonts]"]  # /etc/passwd, win.ini
SCRIPT = "<script>alert(1)</script>"  # harmless echoed in JSON; must never come back as HTML


def variants(body: Any) -> Iterator[tuple[str, Any]]:
    """(where, body with one string leaf replaced by the marker) for every string leaf and key."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str):
                yield key, {**body, key: MARK}
            else:
                for where, changed in variants(value):
                    yield f"{key}.{where}", {**body, key: changed}
        if body:
            key = next(iter(body))
            if key not in ("metrics", "query", "title", "username", "name", "restrictions"):
                yield f"key {key}", {MARK: body[key], **{k: v for k, v in body.items() if k != key}}
    elif isinstance(body, list):
        for index, value in enumerate(body):
            for where, changed in variants(value) if not isinstance(value, str) else [("", MARK)]:
                yield f"[{index}]{where}", [*body[:index], changed, *body[index + 1 :]]


MARK = "\x01MARK\x01"


def substituted(value: Any, payload: str) -> Any:
    if isinstance(value, str):
        return value.replace(MARK, payload)
    if isinstance(value, dict):
        return {substituted(k, payload): substituted(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v, payload) for v in value]
    return value


def requests(api: Api) -> Iterator[tuple[str, str, str, Any]]:
    """(method, url, where, body) with the marker in one place each."""
    spec = api.client.get("/api/v1/openapi.json").json()
    for (method, template), (url, body) in CALLS.items():
        operation = spec["paths"][template][method.lower()]
        path, _, query = url.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if p)
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "path":
                segments = template.split("/")
                concrete = path.split("/")
                where = segments.index("{" + name + "}")
                yield (
                    method,
                    "/".join([*concrete[:where], MARK, *concrete[where + 1 :]])
                    + (f"?{query}" if query else ""),
                    f"path {name}",
                    body,
                )
            elif parameter["in"] == "query":
                yield method, f"{path}?{urlencode({**params, name: MARK})}", f"query {name}", body
        for where, changed in variants(copy.deepcopy(body)) if body is not None else []:
            yield method, url, f"body {where}", changed


def fact_rows(api: Api) -> int:
    with api.client.app.state.bizsight.warehouse.cursor() as wh:  # type: ignore[attr-defined]
        return int(wh.scalar("SELECT count(*) FROM core.fact_order_line"))


@pytest.mark.slow
def test_hostile_text_in_every_parameter_is_refused_cleanly(api: Api) -> None:
    before = fact_rows(api)
    problems, sent = [], 0
    for method, url, where, body in requests(api):
        for payload in PAYLOADS:
            if where.startswith("path"):
                target = url.replace(MARK, quote(payload, safe=""))
            elif where.startswith("query"):
                target = url.replace(quote(MARK, safe=""), quote(payload, safe="")).replace(
                    urlencode({"": MARK})[1:], quote(payload, safe="")
                )
            else:
                target = url
            response = api.client.request(
                method, target, json=substituted(body, payload), headers=api.auth("root")
            )
            sent += 1
            text = response.text
            html = response.headers.get("content-type", "").startswith("text/html")
            if (
                response.status_code >= 500
                or any(leak in text for leak in LEAKS)
                or (html and SCRIPT in text)
            ):
                problems.append(
                    f"{method} {urlsplit(target).path} {where} {payload[:30]!r}: {response.status_code}"
                )
    assert sent > 300
    assert not problems, "\n".join(problems[:20])
    assert fact_rows(api) == before


def test_filter_values_are_data_not_sql(api: Api) -> None:
    """A value that is SQL matches nothing instead of running."""
    body = {
        "metrics": ["revenue"],
        "filters": [{"dimension": "region", "op": "=", "values": ["x' OR '1'='1"]}],
    }
    rows = api.client.post("/api/v1/query", json=body, headers=api.auth("root")).json()["rows"]
    assert rows in ([], [{"revenue": None}], [{"revenue": 0}], [{"revenue": 0.0}])


def test_quarantine_entity_cannot_name_a_path_or_another_schema(api: Api) -> None:
    for entity in ["..%2F..%2Fcore", "core.fact_order_line", "order_lines;DROP"]:
        response = api.client.get(f"/api/v1/data/quarantine/{entity}", headers=api.auth("root"))
        assert response.status_code in (400, 404), entity
