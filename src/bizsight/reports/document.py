"""A report as a document: what it says, in order, independent of the file it becomes.

A :class:`Document` holds raw values with their units, never text made from numbers: every
renderer formats through the :class:`~bizsight.presentation.Presenter` it is given, so a PDF, a
workbook and an email say the same number the same way as the pages do.

>>> doc = Document(
...     title="Weekly sales",
...     period="1–7 Jan 2024",
...     sections=[Kpis(title="Headline", cards=[Kpi(label="Revenue", value=39.0, unit="money")])],
... )
>>> [section.kind for section in doc.sections], doc.brand.colour
(['kpis'], '#1f4e79')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bizsight.presentation import Presenter, Unit

Value = int | float | Decimal | None
Cell = int | float | Decimal | str | dt.date | None
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Brand(_Frozen):
    """A company's colour (``#rrggbb``) and optional logo (PNG, JPEG or SVG bytes)."""

    colour: str = "#1f4e79"
    logo: bytes | None = None
    logo_type: Literal["image/png", "image/jpeg", "image/svg+xml"] = "image/png"

    @field_validator("colour")
    @classmethod
    def _hex(cls, colour: str) -> str:
        if not COLOUR.match(colour):
            raise ValueError(f"brand colour {colour!r} is not #rrggbb")
        return colour.lower()


class Comparison(_Frozen):
    """A KPI's value against another: the previous period, the previous year or a target."""

    label: str  # "vs previous period", "vs previous year", "vs target"
    value: Value
    # A test of the change (docs/reports.md, "Significant changes"): None when none was made.
    significant: bool | None = None
    p_value: float | None = None
    test: str | None = None

    def change(self, current: Value) -> float | None:
        """The relative change from this value to ``current`` (a fraction), when there is one.

        >>> Comparison(label="vs target", value=40).change(50)
        0.25
        >>> Comparison(label="vs target", value=0).change(5) is None
        True
        """
        if current is None or self.value is None or float(self.value) == 0:
            return None
        return (float(current) - float(self.value)) / abs(float(self.value))


class Kpi(_Frozen):
    label: str
    value: Value
    unit: Unit = Unit.NUMBER
    comparisons: tuple[Comparison, ...] = ()


class Kpis(_Frozen):
    """A row of KPI cards."""

    kind: Literal["kpis"] = "kpis"
    title: str
    cards: tuple[Kpi, ...]
    note: str = ""  # written under the cards: what a mark means, which tests were made


class Column(_Frozen):
    """A table's column: its key in each row, its label and its unit (``None``: text or dates)."""

    key: str
    label: str
    unit: Unit | None = None


class Table(_Frozen):
    kind: Literal["table"] = "table"
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @field_validator("rows")
    @classmethod
    def _width(cls, rows: tuple[tuple[Cell, ...], ...]) -> tuple[tuple[Cell, ...], ...]:
        widths = {len(row) for row in rows}
        if len(widths) > 1:
            raise ValueError(f"table rows have different widths: {sorted(widths)}")
        return rows


class Series(_Frozen):
    """One line or set of bars; ``lo``/``hi`` give an interval band (a forecast's)."""

    label: str
    values: tuple[Value, ...]
    lo: tuple[Value, ...] | None = None
    hi: tuple[Value, ...] | None = None


class Chart(_Frozen):
    """A line or bar chart: categories or dates along x, one or more series in one unit."""

    kind: Literal["chart"] = "chart"
    title: str
    style: Literal["line", "bar"] = "line"
    x: tuple[dt.date | str, ...]  # dates first: from JSON, "2024-01-01" is a date again
    series: tuple[Series, ...]
    unit: Unit = Unit.NUMBER

    @field_validator("series")
    @classmethod
    def _lengths(cls, series: tuple[Series, ...], info: ValidationInfo) -> tuple[Series, ...]:
        x = info.data.get("x", ())
        for s in series:
            for name, values in (("values", s.values), ("lo", s.lo), ("hi", s.hi)):
                if values is not None and len(values) != len(x):
                    raise ValueError(f"series {s.label!r} has {len(values)} {name} for {len(x)} x values")
        return series


class Finding(_Frozen):
    """A written finding; ``{0}``, ``{1}``, ... in ``text`` stand for ``numbers``, which the
    renderer formats, so the words cite the same figures as the tables."""

    text: str
    numbers: tuple[tuple[Value, Unit], ...] = ()

    def render(self, presenter: Presenter) -> str:
        """The finding with its numbers written in.

        >>> Finding(text="Revenue rose {0} to {1}.", numbers=((0.25, "percent"), (39, "money"))).render(Presenter())
        'Revenue rose 25.0% to $39.00.'
        """
        return self.text.format(*(presenter.format(value, unit) for value, unit in self.numbers))


class Findings(_Frozen):
    kind: Literal["findings"] = "findings"
    title: str
    items: tuple[Finding, ...]


Section = Annotated[Kpis | Table | Chart | Findings, Field(discriminator="kind")]


class Document(_Frozen):
    title: str
    period: str = ""  # the subtitle: "January 2024", "1–7 Jan 2024 against the week before"
    brand: Brand = Brand()
    sections: tuple[Section, ...] = ()

    def tables(self) -> Sequence[Table]:
        return [s for s in self.sections if isinstance(s, Table)]


def x_label(value: str | dt.date) -> str:
    """A category or date as an axis label.

    >>> x_label(dt.date(2024, 1, 1)), x_label("Home")
    ('2024-01-01', 'Home')
    """
    return value.isoformat() if isinstance(value, dt.date) else value
