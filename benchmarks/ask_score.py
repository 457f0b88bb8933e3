"""Scoring of `bizsight ask` on an evaluation set (ask_eval.yml, ask_holdout.yml): shared by
tests/metrics/test_ask_eval.py and bench_ask.py.

A question scores when its reading equals the expected query object, or both are null (a
decline). Fields left out of an expectation take the query's defaults; filter values and filters
compare as sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bizsight.metrics.query import Query

HERE = Path(__file__).parent
EVAL_SET = HERE / "ask_eval.yml"
HOLDOUT_SET = HERE / "ask_holdout.yml"


@dataclass(frozen=True)
class Case:
    question: str
    expected: Query | None


def load(path: Path) -> tuple[dt.date, list[Case]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [
        Case(str(item["q"]), Query.model_validate(item["expect"]) if item["expect"] else None)
        for item in data["questions"]
    ]
    return data["today"], cases


def comparable(query: Query | None) -> dict[str, Any] | None:
    if query is None:
        return None
    data = query.model_dump(mode="json")
    data["filters"] = sorted(
        ({**f, "values": sorted(str(v) for v in f["values"])} for f in data["filters"]),
        key=lambda f: (f["dimension"], f["op"]),
    )
    return data


def misses(cases: list[Case], read: Callable[[str], Query | None]) -> list[tuple[Case, Query | None]]:
    """The cases whose reading differs from the expected query."""
    found = []
    for case in cases:
        got = read(case.question)
        if comparable(got) != comparable(case.expected):
            found.append((case, got))
    return found
