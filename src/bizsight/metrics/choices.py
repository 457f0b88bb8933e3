"""The fixed choices of a metric query (time grain, comparison), kept apart from the catalogue's
models so that the command line can offer them without loading SQLGlot and pydantic.

>>> Grain("month"), Compare("previous_year").value
(<Grain.MONTH: 'month'>, 'previous_year')
"""

from __future__ import annotations

from enum import StrEnum


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Compare(StrEnum):
    PREVIOUS_PERIOD = "previous_period"
    PREVIOUS_YEAR = "previous_year"
