"""What every answer model shares: a strict base and the cells of tables with dynamic columns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# One value of a result table whose columns depend on the request (a metric query: one column
# per metric, comparison and dimension). Money is a JSON number here (exports keep it exact).
Cell = str | int | float | bool | dt.datetime | dt.date | None
Row = dict[str, Cell]
# A metric's value: a count stays an integer, an amount or a ratio is a number.
Number = int | float

# Timestamps are ISO 8601 and most carry no offset (RFC 3339's date-time needs one, so the
# document says what they are instead of promising that format).
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"


def _timestamp(meaning: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": _TIMESTAMP, "description": f"ISO 8601 timestamp; {meaning}"}
    )


UtcTimestamp = Annotated[dt.datetime, _timestamp("without an offset it is UTC (the metadata store's clock)")]
ServerTimestamp = Annotated[
    dt.datetime, _timestamp("without an offset it is the server's local time (the warehouse's clock)")
]
DataTimestamp = Annotated[dt.datetime, _timestamp("as in the loaded data (no time zone)")]


class Answer(BaseModel):
    """An answer of the API. Keys the model does not name are refused rather than dropped, so a
    service that starts answering a new key fails the tests until its model says so."""

    model_config = ConfigDict(extra="forbid")


class Column(Answer):
    name: str
    type: str = Field(description="the Arrow type, e.g. date32[day], string, double, int64")


class Table(Answer):
    """A result table: its columns, in order, and the rows as objects keyed by column name."""

    columns: list[Column]
    rows: list[Row]


class Page(Answer):
    total: int = Field(description="rows in all pages")
    page: int
    page_size: int
