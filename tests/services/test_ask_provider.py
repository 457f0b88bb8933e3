"""A model as a reader of questions, against a fake OpenAI-compatible chat-completions server on
loopback: a good answer is used (and checked, and run with the user's restrictions); a slow, a
malformed, a failing one, one naming an unknown metric and ones smuggling SQL are not, and the
offline parser answers instead. The key goes in the Authorization header only, never in a log."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bizsight.app.models import Role
from bizsight.services.access import SYSTEM, Principal, restriction_filters
from bizsight.services.ask import ask
from bizsight.services.project import Project
from tests.metrics.conftest import shop

KEY = "sk-test-do-not-log-0123456789"
TODAY = __import__("datetime").date(2024, 5, 1)
QUESTION = "revenue by region last quarter"  # Q1 2024: Europe 59.00, North America 0.00
GOOD = {"metrics": ["revenue"], "dimensions": ["region"], "start": "2024-01-01", "end": "2024-03-31"}


class FakeModel(ThreadingHTTPServer):
    """Answers POST /v1/chat/completions with ``reply`` (a query object, or raw text with
    ``raw``), after ``delay`` seconds, or with ``status``; keeps every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.reply: Any = {"query": GOOD}
        self.raw: str | None = None
        self.delay = 0.0
        self.status = 200
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []


class Handler(BaseHTTPRequestHandler):
    server: FakeModel

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((dict(self.headers), body))
        time.sleep(self.server.delay)
        if self.path != "/v1/chat/completions" or self.server.status != 200:
            self.send_response(self.server.status if self.path == "/v1/chat/completions" else 404)
            self.end_headers()
            return
        content = self.server.raw if self.server.raw is not None else json.dumps(self.server.reply)
        answer = {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModel]:
    server = FakeModel()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, fake: FakeModel) -> Project:
    project = shop(tmp_path_factory.mktemp("model"))
    with project.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            f"ask:\n  provider:\n    url: http://127.0.0.1:{fake.server_address[1]}/v1\n"
            "    model: fake-model\n    key: env:BIZSIGHT_TEST_ASK_KEY\n    timeout: 1\n"
        )
    return Project(project.root)


@pytest.fixture
def model(fake: FakeModel, monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    monkeypatch.setenv("BIZSIGHT_TEST_ASK_KEY", KEY)
    fake.reply, fake.raw, fake.delay, fake.status = {"query": GOOD}, None, 0.0, 200
    fake.requests.clear()
    return fake


def rows(answer: Any) -> dict[str, str]:
    return {r["region"]: str(r["revenue"]) for r in answer.table.to_pylist()}


def test_a_good_answer_is_used_and_says_so(built: Project, model: FakeModel) -> None:
    answer = ask(built, SYSTEM, "how did each region do in the first quarter", today=TODAY)
    assert answer.producer == "model fake-model"
    assert answer.query is not None and answer.query.model_dump(exclude_defaults=True, mode="json") == GOOD
    assert answer.interpretation == "I read this as: revenue, by region, 1 Jan – 31 Mar 2024."
    assert rows(answer) == {"Europe": "59.00", "North America": "0.00"}
    headers, body = model.requests[-1]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == "fake-model" and body["response_format"]["type"] == "json_schema"
    system = body["messages"][0]["content"]
    assert "Today is 2024-05-01" in system and "- revenue: Revenue" in system and "- region: Region" in system
    schema = body["response_format"]["json_schema"]["schema"]
    assert "revenue" in schema["properties"]["query"]["anyOf"][0]["properties"]["metrics"]["items"]["enum"]


def test_a_restricted_user_gets_their_rows_from_the_models_query_too(
    built: Project, model: FakeModel
) -> None:
    eu = Principal(
        user_id=7, username="eu", role=Role.VIEWER, restrictions=restriction_filters({"region": ["Europe"]})
    )
    answer = ask(built, eu, QUESTION, today=TODAY)
    assert answer.producer == "model fake-model" and rows(answer) == {"Europe": "59.00"}


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        ({"delay": 3.0}, "no answer within 1 s"),
        ({"raw": "Sure! Revenue by region is what you want."}, "not the query object"),
        ({"status": 500}, "HTTP 500"),
        ({"reply": {"query": {"metrics": ["profit"], "dimensions": ["region"]}}}, "unknown metric 'profit'"),
        (
            {"reply": {"query": {"metrics": ["revenue"], "sql": "DROP TABLE core.fact_order_line"}}},
            "invalid query",
        ),
        (
            {
                "reply": {
                    "query": {
                        "metrics": ["revenue"],
                        "filters": [{"dimension": "region", "op": "=", "values": ["x' OR 1=1 --"]}],
                    }
                }
            },
            "values the data do not have",
        ),
        ({"reply": {"query": {"metrics": ["revenue; DROP TABLE core.fact_order_line"]}}}, "unknown metric"),
        (
            {"reply": {"query": {"metrics": ["revenue"], "order_by": ["1; DELETE FROM core.dim_customer"]}}},
            "order by",
        ),
        (
            {"reply": {"query": {"metrics": ["marketing_spend"], "dimensions": ["category"]}}},
            "cannot be split",
        ),
    ],
)
def test_a_slow_wrong_or_smuggling_model_gives_way_to_the_offline_parser(
    built: Project, model: FakeModel, caplog: pytest.LogCaptureFixture, setup: dict[str, Any], why: str
) -> None:
    for name, value in setup.items():
        setattr(model, name, value)
    before = ask(built, SYSTEM, "orders", today=TODAY).table.to_pylist() if not setup.get("delay") else None
    with caplog.at_level(logging.WARNING, logger="bizsight.ask"):
        started = time.monotonic()
        answer = ask(built, SYSTEM, QUESTION, today=TODAY)
    assert answer.producer.startswith("offline parser (model fake-model: ") and why in answer.producer, (
        answer.producer
    )
    assert rows(answer) == {"Europe": "59.00", "North America": "0.00"}  # the offline reading, run as usual
    assert time.monotonic() - started < 2.9  # the timeout, not the model, decided
    assert why in caplog.text and KEY not in caplog.text
    if before is not None:  # nothing the model sent ran: the data are as they were
        assert ask(built, SYSTEM, "orders", today=TODAY).table.to_pylist() == before


def test_a_model_that_declines_leaves_the_question_to_the_offline_parser(
    built: Project, model: FakeModel
) -> None:
    model.reply = {"query": None}
    answer = ask(built, SYSTEM, QUESTION, today=TODAY)
    assert answer.producer == "offline parser (model fake-model: declined)" and answer.query is not None


def test_without_a_provider_only_the_offline_parser_reads(tmp_path: Path) -> None:
    project = shop(tmp_path)
    answer = ask(project, SYSTEM, QUESTION, today=TODAY)
    assert answer.producer == "offline parser" and rows(answer) == {
        "Europe": "59.00",
        "North America": "0.00",
    }
