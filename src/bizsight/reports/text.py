"""The words every text renderer (PDF, email) writes for a cell and a KPI card, all through the
presenter, so the two formats cannot disagree.

>>> from bizsight.reports.document import Comparison, Kpi
>>> kpi = Kpi(label="Revenue", value=39, unit="money", comparisons=(Comparison(label="vs previous period", value=30),))
>>> kpi_value(kpi, Presenter()), comparison_texts(kpi, Presenter())
('$39.00', [('vs previous period', '$30.00', '+30.0%', 'up')])
"""

from __future__ import annotations

import datetime as dt
from html import escape

from bizsight.presentation import Presenter, Unit
from bizsight.reports.document import Cell, Kpi, Table

SIGNIFICANT = " *"  # after a change a stated test found significant (Comparison.significant)


def cell_text(value: Cell, unit: Unit | None, presenter: Presenter) -> str:
    """A table cell as text: numbers in their unit, dates as ISO dates, text as it is.

    >>> p = Presenter()
    >>> cell_text(0.25, "percent", p), cell_text(dt.date(2024, 1, 1), None, p), cell_text(2024, None, p), cell_text(None, None, p)
    ('25.0%', '2024-01-01', '2024', '–')
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if unit is None and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a year or an id
    return presenter.format(value, unit or Unit.NUMBER)


def kpi_value(kpi: Kpi, presenter: Presenter) -> str:
    """A card's headline, shortened from 100,000 on as cards are (docs/presentation.md)."""
    return presenter.format(kpi.value, kpi.unit, compact=True)


def comparison_texts(kpi: Kpi, presenter: Presenter) -> list[tuple[str, str, str, str]]:
    """Per comparison: its label, the value compared with, the change (marked ``*`` when a test
    found it significant) and its direction (``up``, ``down`` or ``flat``).

    >>> from bizsight.reports.document import Comparison
    >>> kpi = Kpi(label="Orders", value=120, unit="count",
    ...           comparisons=(Comparison(label="vs previous period", value=80, significant=True, p_value=0.004),))
    >>> comparison_texts(kpi, Presenter())[0][2]
    '+50.0% *'
    """
    texts = []
    for comparison in kpi.comparisons:
        change = comparison.change(kpi.value)
        written = presenter.format(change, Unit.PERCENT)
        direction = (
            "flat"
            if not change or written == presenter.format(0.0, Unit.PERCENT)
            else "up"
            if change > 0
            else "down"
        )
        texts.append(
            (
                comparison.label,
                presenter.format(comparison.value, kpi.unit, compact=True),
                ("+" if direction == "up" else "")
                + written
                + (SIGNIFICANT if comparison.significant else ""),
                direction,
            )
        )
    return texts


def html_table(
    table: Table, presenter: Presenter, th: tuple[str, str], td: tuple[str, str]
) -> tuple[str, str]:
    """A table's header cells and body rows as HTML; ``th`` and ``td`` are the attributes of a
    text column's cells and of a number column's.

    >>> from bizsight.reports.document import Column
    >>> t = Table(title="t", columns=[Column(key="r", label="Region"), Column(key="n", label="Orders", unit="count")], rows=[("EU", 1200)])
    >>> html_table(t, Presenter(), ("", ' class="num"'), ("", ' class="num"'))
    ('<th>Region</th><th class="num">Orders</th>', '<tr><td>EU</td><td class="num">1,200</td></tr>')
    """
    numeric = [column.unit is not None for column in table.columns]
    head = "".join(f"<th{th[n]}>{escape(c.label)}</th>" for c, n in zip(table.columns, numeric, strict=True))
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{td[n]}>{escape(cell_text(v, c.unit, presenter))}</td>"
            for v, c, n in zip(row, table.columns, numeric, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    return head, rows
