"""The ask use case on the demo: the rows are the metrics layer's, a restricted user's
restrictions apply to every question, and the vocabulary is built once per data version."""

from __future__ import annotations

import datetime as dt

import pytest

from bizsight.app.models import Role
from bizsight.errors import AccessDeniedError
from bizsight.metrics.query import Query
from bizsight.services import ask as ask_service
from bizsight.services.access import SYSTEM, Principal, restriction_filters
from bizsight.services.ask import ask, question_vocabulary
from bizsight.services.project import Project
from bizsight.services.query import run_query

TODAY = dt.date(2026, 8, 15)
EU = Principal(
    user_id=90, username="eu", role=Role.VIEWER, restrictions=restriction_filters({"region": ["Europe"]})
)


def test_the_answer_is_the_metrics_layers(demo_shop: Project) -> None:
    answer = ask(demo_shop, SYSTEM, "revenue by region last quarter", today=TODAY)
    expected = Query(
        metrics=("revenue",), dimensions=("region",), start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30)
    )
    assert answer.query == expected
    assert answer.result is not None
    assert answer.result.table.to_pylist() == run_query(demo_shop, expected).table.to_pylist()
    assert {r["region"] for r in answer.table.to_pylist()} == {
        "Europe",
        "North America",
        "Asia Pacific",
        "Latin America",
    }
    assert answer.chart == {"kind": "bar", "x": "region", "y": ["revenue"], "series": None}
    assert answer.producer == "offline parser"


def test_a_restricted_user_sees_only_their_region(demo_shop: Project) -> None:
    answer = ask(demo_shop, EU, "revenue by region last year", today=TODAY)
    assert answer.query is not None and answer.query.filters == ()  # the reading is the question's
    assert [r["region"] for r in answer.table.to_pylist()] == ["Europe"]
    assert answer.interpretation.endswith("Only the rows you may see: region is Europe.")
    everyone = ask(demo_shop, SYSTEM, "revenue by region last year", today=TODAY).table.to_pylist()
    assert answer.table.to_pylist() == [r for r in everyone if r["region"] == "Europe"]
    # Asking for another region by name gives nothing of it.
    other = ask(demo_shop, EU, "revenue in North America last year", today=TODAY).table.to_pylist()
    assert other in ([], [{"revenue": None}], [{"revenue": 0}])
    top = ask(demo_shop, EU, "top 5 countries by orders", today=TODAY).table.to_pylist()
    assert {r["country"] for r in top} <= {
        "France",
        "Germany",
        "Spain",
        "Italy",
        "Netherlands",
        "United Kingdom",
    }


def test_a_restricted_user_is_refused_a_metric_their_restriction_cannot_filter(demo_shop: Project) -> None:
    with pytest.raises(AccessDeniedError):
        ask(demo_shop, EU, "marketing spend last year", today=TODAY)  # spend rows have no region


def test_a_decline_runs_nothing(demo_shop: Project) -> None:
    answer = ask(demo_shop, SYSTEM, "what's the weather tomorrow", today=TODAY)
    assert answer.query is None and answer.result is None and answer.chart is None
    assert answer.suggestions and answer.interpretation.startswith("I can't answer that")
    assert answer.fields()["query"] is None and answer.table.num_rows == 0


def test_the_vocabulary_is_built_once_per_data_version(
    demo_shop: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = ask_service.members

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    ask_service._VOCABULARIES.clear()
    monkeypatch.setattr(ask_service, "members", counting)
    with demo_shop.warehouse(read_only=True) as wh:
        first = question_vocabulary(demo_shop, wh)
        assert question_vocabulary(demo_shop, wh) is first
    ask(demo_shop, SYSTEM, "orders in Europe", today=TODAY)
    assert len(built) == 1
    assert ("europe",) in first.phrases and ("mobile", "app") in first.phrases  # members of the warehouse
