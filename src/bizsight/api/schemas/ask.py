"""The answer to a question in plain English (``POST /api/v1/ask``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bizsight.api.schemas.common import Answer, Table
from bizsight.metrics.query import Query
from bizsight.presentation import Unit


class ChartSpec(Answer):
    kind: Literal["line", "bar"] = Field(description="a line over periods, or bars by a dimension")
    x: str = Field(description="the column along the x axis")
    y: list[str] = Field(description="the metric columns drawn")
    series: str | None = Field(description="a column whose values each get their own line or bars")


class AskOut(Table):
    """The question as read (the query object, in words), its rows and how to chart them. A
    declined question has ``query`` null, no rows and the questions to try in ``suggestions``."""

    question: str
    query: Query | None = Field(
        description="the query object, with start and end resolved; null when declined"
    )
    interpretation: str = Field(description='the query in words: "I read this as: revenue, by region, ..."')
    confidence: float = Field(ge=0, le=1, description="how sure the reading is; 0 when declined")
    suggestions: list[str] = Field(
        description="did you mean ... (when unsure), or questions that can be answered"
    )
    producer: str = Field(description="who read the question: the offline parser, or the configured model")
    units: dict[str, Unit] = Field(description="metric column → its unit")
    labels: dict[str, str] = Field(description="every column → what a person calls it")
    chart: ChartSpec | None = Field(description="null for a single number or a decline")
