"""Error answers: a stable code, a message for the person asking, a request id; an engine's text
only in the server log (issue 14: 35 answers showed DuckDB's own errors)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.users import add_user, create_token
from tests.demo_builds import TINY, DemoBuilds

PASSWORD = "a long test password"
ENGINE_WORDS = ("DuckDB", "Conversion Error", "INT128", "Binder Error", "CAST")


@pytest.fixture(scope="module")
def client(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("errors")
    project = demo_builds.copy(TINY, root)
    (project.root / "metrics.yml").write_text(  # parses, then fails inside the engine on every row
        "metrics:\n  broken:\n    label: Broken\n    model: order_lines\n    aggregate: sum\n"
        "    sql: CAST(f.order_id AS INTEGER)\n    unit: number\n"
    )
    store = MetadataStore.open(f"sqlite:///{root / 'app.db'}")
    add_user(store, "ana", "editor", PASSWORD)
    token = create_token(store, "ana", "tests")[1]
    with TestClient(create_app(project, store=store), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c
    store.close()


def assert_for_people(answer: object, status: int, code: str) -> dict[str, str]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    error: dict[str, str] = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code
    assert error["request_id"] == answer.headers["x-request-id"]  # type: ignore[attr-defined]
    assert not any(word in error["message"] for word in ENGINE_WORDS), error["message"]
    return error


def test_a_period_that_is_not_a_date_is_refused_before_the_engine(client: TestClient) -> None:
    body = {
        "query": {"metrics": ["revenue"], "grain": "month"},
        "metric": "revenue",
        "cell": {"period": "March"},
    }
    error = assert_for_people(client.post("/api/v1/drill-down", json=body), 400, "invalid_argument")
    assert error["message"].startswith("cell period 'March' is not a date; expected YYYY-MM-DD")


def test_a_limit_beyond_any_answer_is_refused_before_the_engine(client: TestClient) -> None:
    body = {"metrics": ["revenue"], "dimensions": ["region"], "limit": 2**63}
    error = assert_for_people(client.post("/api/v1/query", json=body), 422, "invalid_request")
    assert error["message"] == "limit: Input should be less than or equal to 1000000000"


def test_an_engine_failure_is_logged_with_the_request_id_and_not_shown(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bizsight.api"):
        answer = client.post("/api/v1/query", json={"metrics": ["broken"]})
    error = assert_for_people(answer, 400, "query_failed")
    rid = error["request_id"]
    assert (
        error["message"]
        == f"the query could not be run; the server log has the details under request id {rid}"
    )
    logged = [r.getMessage() for r in caplog.records if rid in r.getMessage()]
    assert logged and "Conversion Error" in logged[0]


def test_every_answer_carries_a_request_id_and_errors_a_stable_code(client: TestClient) -> None:
    ok = client.get("/api/v1/catalogue")
    assert ok.status_code == 200 and len(ok.headers["x-request-id"]) == 16
    assert_for_people(client.get("/api/v1/dashboards/999"), 404, "not_found")
    assert_for_people(client.post("/api/v1/query", json={"metrics": ["revnue"]}), 400, "unknown_name")
    anonymous = TestClient(client.app)
    assert_for_people(anonymous.get("/api/v1/catalogue"), 401, "unauthenticated")
    assert ok.headers["x-request-id"] != client.get("/api/v1/catalogue").headers["x-request-id"]


def test_an_unexpected_error_is_a_500_with_an_id_and_the_headers(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ZeroDivisionError("secret internals")

    client.app.add_api_route("/api/v1/test-broken", broken)  # type: ignore[attr-defined]
    raw = TestClient(client.app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="bizsight.api"):
        answer = raw.get("/api/v1/test-broken")
    error = assert_for_people(answer, 500, "internal")
    assert "secret internals" not in answer.text
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert any(error["request_id"] in r.getMessage() and r.exc_info for r in caplog.records)
