"""`bizsight ask` as scripts use it: the JSON contract (query with start and end resolved, or null;
interpretation; rows; suggestions), alone and through a running server, on the hand-worked shop
(Europe's revenue 59.00 in Q1 2024, North America's 35.00 in April 2024)."""

from __future__ import annotations

import json
import subprocess

from bizsight.services.project import Project
from tests.helpers import run_cli, serving

SENT = "sent to the bizsight server"


def ask(tiny: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("ask", *args, "--project", str(tiny.root))


def test_json_contract(tiny: Project) -> None:
    result = ask(tiny, "revenue by region last quarter", "--today", "2024-05-01", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"query", "interpretation", "rows", "suggestions"} <= set(answer)
    assert answer["query"] == {
        "metrics": ["revenue"],
        "dimensions": ["region"],
        "grain": None,
        "start": "2024-01-01",
        "end": "2024-03-31",
        "filters": [],
        "compare": None,
        "order_by": [],
        "limit": None,
    }
    assert answer["interpretation"] == "I read this as: revenue, by region, 1 Jan – 31 Mar 2024."
    assert answer["rows"] == [
        {"region": "Europe", "revenue": "59.00"},
        {"region": "North America", "revenue": "0.00"},  # C3's February order was refunded
    ]
    assert answer["suggestions"] == []


def test_members_and_comparisons_in_json(tiny: Project) -> None:
    result = ask(
        tiny, "revenue in North America vs Europe since February 2024", "--today", "2024-05-01", "--json"
    )
    answer = json.loads(result.stdout)
    assert answer["query"]["filters"] == [
        {"dimension": "region", "op": "in", "values": ["North America", "Europe"]}
    ]
    assert (answer["query"]["start"], answer["query"]["end"]) == ("2024-02-01", "2024-05-01")
    assert {r["region"]: r["revenue"] for r in answer["rows"]} == {
        "Europe": "20.00",
        "North America": "35.00",
    }


def test_a_decline_is_null_with_suggestions(tiny: Project) -> None:
    result = ask(tiny, "what's the weather tomorrow", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["query"] is None and answer["rows"] == []
    assert answer["interpretation"].startswith("I can't answer that")
    assert answer["suggestions"]


def test_text_output_and_bad_input(tiny: Project) -> None:
    result = ask(tiny, "revnue by reigon in 2024", "--today", "2024-05-01")
    assert result.returncode == 0, result.stderr
    assert "I read this as: revenue, by region, 1 Jan – 31 Dec 2024." in result.stdout
    assert "$59.00" in result.stdout and "$35.00" in result.stdout
    assert 'bizsight ask "revenue by region in 2024"' in result.stdout  # did you mean
    wrong = ask(tiny, "revenue", "--today", "May 1st")
    assert wrong.returncode == 2 and "--today 'May 1st' is not a date" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_through_a_running_server_the_answer_is_the_same(tiny: Project) -> None:
    alone = ask(tiny, "orders by month in Q1 2024", "--json")
    with serving(tiny):
        served = ask(tiny, "orders by month in Q1 2024", "--json")
    assert served.returncode == 0 and SENT in served.stderr, served.stderr
    assert json.loads(served.stdout) == json.loads(alone.stdout)
    assert [r["orders"] for r in json.loads(alone.stdout)["rows"]] == [3, 2, 0]
