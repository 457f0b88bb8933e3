"""The ask use case: a question in plain English → a query → its rows and a chart, for one user.

The question is read by the offline parser (:mod:`bizsight.metrics.questions`) or, when one is
configured and answers in time, by a model (:mod:`bizsight.services.ask_provider`); either way the
query is checked against the catalogue and runs like any other, with the user's row-level
restrictions added (:func:`~bizsight.services.access.scoped_query`). The vocabulary (catalogue
names, labels, synonyms and the members of each dimension, read from the warehouse through the
metrics layer) is built once per catalogue and data version, not per question.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from bizsight.errors import BizsightError
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Query
from bizsight.metrics.question_replies import restriction_note
from bizsight.metrics.question_words import Vocabulary, vocabulary
from bizsight.metrics.questions import Reading, read_question
from bizsight.services.access import Permission, Principal, authorize, scoped_query
from bizsight.services.ask_provider import model_reading
from bizsight.services.project import Project
from bizsight.services.query import QueryResult, catalogue, data_version, run_query
from bizsight.warehouse.connection import Warehouse

MEMBER_LIMIT = 100  # a dimension with more members (products, cohorts) is not searched by name
OFFLINE = "offline parser"
_VOCABULARIES: dict[tuple[str, int, tuple[object, ...]], tuple[dict[str, tuple[str, ...]], Vocabulary]] = {}


@dataclass(frozen=True)
class Answer:
    """What a question gets: the query (None when declined), the reading in words, the rows, a
    chart to draw them with, questions to try, and who read the question."""

    question: str
    query: Query | None
    interpretation: str
    confidence: float
    suggestions: tuple[str, ...]
    result: QueryResult | None
    chart: dict[str, Any] | None
    producer: str = OFFLINE

    @property
    def table(self) -> pa.Table:
        return self.result.table if self.result is not None else pa.table({})

    def query_json(self) -> dict[str, Any] | None:
        """The query object as JSON, without the relative ``range`` (dates are always resolved)."""
        if self.query is None:
            return None
        data = self.query.model_dump(mode="json")
        data.pop("range", None)
        return data

    def fields(self) -> dict[str, Any]:
        """Everything but the rows, as JSON-ready values (the API and ``ask --json`` add rows)."""
        return {
            "question": self.question,
            "query": self.query_json(),
            "interpretation": self.interpretation,
            "confidence": self.confidence,
            "suggestions": list(self.suggestions),
            "producer": self.producer,
            "units": {k: v.value for k, v in self.result.units.items()} if self.result else {},
            "chart": self.chart,
        }


def members(project: Project, wh: Warehouse, cat: Catalogue) -> dict[str, tuple[str, ...]]:
    """Dimension → its members (text values), read through the metrics layer: a count by the
    dimension on the first of its models that has rows (customers may be loaded before any
    order); dimensions with names (products) or too many members are left out."""
    import duckdb

    found: dict[str, tuple[str, ...]] = {}
    for name, dimension in cat.dimensions.items():
        if dimension.names is not None:
            continue
        for model in dimension.sql:
            metric = next(
                (m for m, d in cat.metrics.items() if d.kind == "aggregate" and d.model == model), None
            )
            if metric is None:
                continue
            query = Query(metrics=(metric,), dimensions=(name,), limit=MEMBER_LIMIT + 1)
            try:
                table = run_query(project, query, wh=wh).table
            except (BizsightError, duckdb.Error, RuntimeError, ValueError):  # a mart not built yet
                continue
            values = tuple(v for v in table[name].to_pylist() if isinstance(v, str) and v.strip())
            if values:
                if len(values) <= MEMBER_LIMIT:
                    found[name] = values
                break
    return found


def project_words(project: Project, wh: Warehouse) -> tuple[dict[str, tuple[str, ...]], Vocabulary]:
    """The project's members and vocabulary, built again only when the catalogue or data change."""
    cat = catalogue(project)
    key = (str(wh.path), id(cat), data_version(wh))
    if key not in _VOCABULARIES:
        if len(_VOCABULARIES) > 16:
            _VOCABULARIES.clear()
        found = members(project, wh, cat)
        _VOCABULARIES[key] = (found, vocabulary(cat, found))
    return _VOCABULARIES[key]


def question_vocabulary(project: Project, wh: Warehouse) -> Vocabulary:
    return project_words(project, wh)[1]


def read(project: Project, wh: Warehouse, question: str, today: dt.date) -> Reading:
    """The offline parser's reading of ``question``."""
    return read_question(
        question,
        catalogue(project),
        question_vocabulary(project, wh),
        today,
        project.settings.fiscal_year_start,
    )


def ask(
    project: Project,
    principal: Principal,
    question: str,
    *,
    today: dt.date | None = None,
    wh: Warehouse | None = None,
) -> Answer:
    """Answer ``question`` for ``principal``: read it, run it with their restrictions, chart it."""
    authorize(principal, Permission.ASK)
    today = today or dt.date.today()

    def answer(wh: Warehouse) -> Answer:
        cat = catalogue(project)
        found, _ = project_words(project, wh)
        reading, used = model_reading(project.settings.ask.provider, cat, found, question, today)
        producer = (used or OFFLINE) if reading is not None else (f"{OFFLINE} ({used})" if used else OFFLINE)
        if reading is None:
            reading = read(project, wh, question, today)
        if reading.query is None:
            return Answer(
                question, None, reading.interpretation, 0.0, reading.suggestions, None, None, producer
            )
        scoped = scoped_query(principal, reading.query, cat)
        result = run_query(project, scoped, today=today, wh=wh)
        text = reading.interpretation
        if principal.restricted:
            text += " " + restriction_note(cat, principal.restrictions)
        return Answer(
            question,
            reading.query,
            text,
            reading.confidence,
            reading.suggestions,
            result,
            chart_spec(reading.query, result),
            producer,
        )

    if wh is not None:
        return answer(wh)
    with project.warehouse(read_only=True) as owned:
        return answer(owned)


def chart_spec(query: Query, result: QueryResult) -> dict[str, Any] | None:
    """How to draw the rows: a line over periods, or bars by the first dimension; a series per
    member of the other dimension. None for a single number."""
    columns = result.table.column_names
    if query.grain is not None and "period" in columns:
        series = query.dimensions[0] if query.dimensions else None
        return {"kind": "line", "x": "period", "y": list(query.metrics), "series": series}
    if query.dimensions:
        x = query.dimensions[0]
        if f"{x}_name" in columns:
            x = f"{x}_name"
        series = query.dimensions[1] if len(query.dimensions) > 1 else None
        return {"kind": "bar", "x": x, "y": list(query.metrics), "series": series}
    return None
