"""The evaluation set of `bizsight ask` (benchmarks/ask_eval.yml) on the demo warehouse's members:
accuracy of at least 95 %, declines included."""

from __future__ import annotations

from benchmarks.ask_score import EVAL_SET, load, misses

from bizsight.metrics.questions import read_question
from bizsight.services.ask import question_vocabulary
from bizsight.services.project import Project
from bizsight.services.query import catalogue

REQUIRED = 0.95


def test_the_evaluation_set_is_large_and_declines_some() -> None:
    _, cases = load(EVAL_SET)
    assert len(cases) >= 150
    assert sum(c.expected is None for c in cases) >= 15


def test_accuracy_on_the_evaluation_set_is_at_least_95_percent(demo_shop: Project) -> None:
    today, cases = load(EVAL_SET)
    with demo_shop.warehouse(read_only=True) as wh:
        vocab = question_vocabulary(demo_shop, wh)
    cat = catalogue(demo_shop)
    wrong = misses(cases, lambda q: read_question(q, cat, vocab, today).query)
    accuracy = 1 - len(wrong) / len(cases)
    shown = "\n".join(f"{c.question!r}: got {g}" for c, g in wrong)
    assert accuracy >= REQUIRED, f"accuracy {accuracy:.1%}; wrong:\n{shown}"
