"""The workbook: a KPI sheet, a sheet per table, a sheet per chart holding its data and a native
Excel chart, and the findings. Cells are numbers with an Excel format per unit (the exports'
:data:`~bizsight.presentation.EXCEL_FORMATS`), so a reader sorts and sums them as they are;
header rows are frozen and columns sized to their text.

>>> from bizsight.reports.document import Column, Document, Table
>>> doc = Document(title="T", sections=[Table(title="By region", columns=[Column(key="r", label="Region")], rows=[("Europe",)])])
>>> xlsx(doc, Presenter())[:2]
b'PK'
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from bizsight.presentation import EXCEL_FORMATS, Presenter, Unit
from bizsight.reports.document import Cell, Chart, Document, Findings, Kpis, Table
from bizsight.reports.text import cell_text

MAX_WIDTH = 60


def sheet_names(titles: list[str]) -> list[str]:
    """Titles as Excel sheet names: at most 31 characters, none of ``[]:*?/\\``, unique.

    >>> sheet_names(["Revenue by region", "Revenue by region", "a/b: c?"])
    ['Revenue by region', 'Revenue by region (2)', 'a b  c']
    """
    names: list[str] = []
    for title in titles:
        base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
        name, n = base, 1
        while name.lower() in (taken.lower() for taken in names):
            n += 1
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
        names.append(name)
    return names


def xlsx(document: Document, presenter: Presenter) -> bytes:
    """``document`` as an XLSX workbook's bytes."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    styles = _Styles(book, document.brand.colour)
    kpis = [card for s in document.sections if isinstance(s, Kpis) for card in s.cards]
    others = [s for s in document.sections if isinstance(s, Table | Chart)]
    findings = [item for s in document.sections if isinstance(s, Findings) for item in s.items]
    titles = (["KPIs"] if kpis else []) + [s.title for s in others] + (["Findings"] if findings else [])
    names = iter(sheet_names(titles))
    if kpis:
        columns = list(dict.fromkeys(c.label for card in kpis for c in card.comparisons))
        tested = {c.label for card in kpis for c in card.comparisons if c.p_value is not None}
        header = ["KPI", "Value"]
        for label in columns:
            header += [label, f"Change {label}"]
            header += [f"p-value {label}", f"Significant {label}"] if label in tested else []
        rows: list[list[tuple[Cell, str | None]]] = []
        for card in kpis:
            by_label = {c.label: c for c in card.comparisons}
            row: list[tuple[Cell, str | None]] = [(card.label, None), (card.value, card.unit)]
            for label in columns:
                found = by_label.get(label)
                row.append((found.value if found else None, card.unit))
                row.append((found.change(card.value) if found else None, Unit.PERCENT))
                if label in tested:
                    significant = None if found is None else found.significant
                    row.append((found.p_value if found else None, None))
                    row.append((None if significant is None else "yes" if significant else "no", None))
            rows.append(row)
        _sheet(book.add_worksheet(next(names)), styles, header, rows, presenter)
    for section in others:
        sheet = book.add_worksheet(next(names))
        if isinstance(section, Table):
            rows = [[(v, c.unit) for v, c in zip(r, section.columns, strict=True)] for r in section.rows]
            _sheet(sheet, styles, [c.label for c in section.columns], rows, presenter)
        else:
            _chart(book, sheet, section, styles, presenter)
    if findings:
        sheet = book.add_worksheet(next(names))
        sheet.write_string(0, 0, "Finding", styles.header)
        for i, item in enumerate(findings, 1):
            sheet.write_string(i, 0, item.render(presenter))
        sheet.set_column(0, 0, 100)
        sheet.freeze_panes(1, 0)
    book.set_properties({"title": document.title, "subject": document.period})
    book.close()
    return buffer.getvalue()


class _Styles:
    def __init__(self, book: Any, colour: str) -> None:
        self.header = book.add_format(
            {"bold": True, "bottom": 2, "bottom_color": colour, "font_color": colour}
        )
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.units = {unit: book.add_format({"num_format": code}) for unit, code in EXCEL_FORMATS.items()}


def _sheet(
    sheet: Any,
    styles: _Styles,
    header: list[str],
    rows: list[list[tuple[Cell, str | None]]],
    presenter: Presenter,
) -> None:
    """A header, typed rows, the header frozen and each column as wide as its longest text."""
    widths = [len(h) for h in header]
    for column, label in enumerate(header):
        sheet.write_string(0, column, label, styles.header)
    for r, row in enumerate(rows, 1):
        for column, (value, unit) in enumerate(row):
            _cell(sheet, r, column, value, unit, styles)
            shown = cell_text(value, Unit(unit) if unit else None, presenter)
            widths[column] = max(widths[column], len(shown))
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(width + 2, MAX_WIDTH))
    sheet.freeze_panes(1, 0)


def _cell(sheet: Any, row: int, column: int, value: Cell, unit: str | None, styles: _Styles) -> None:
    if isinstance(value, dt.datetime | dt.date):
        sheet.write_datetime(row, column, value, styles.date)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        sheet.write_number(row, column, float(value), styles.units.get(unit or ""))
    elif value is None:
        sheet.write_blank(row, column, None, styles.units.get(unit or ""))  # typed if filled in
    else:
        sheet.write_string(row, column, str(value))  # never a formula, whatever the text says


def _chart(book: Any, sheet: Any, chart: Chart, styles: _Styles, presenter: Presenter) -> None:
    """The chart's data as a table (x, then each series with its band) and an Excel chart of it."""
    header = ["" if not chart.x else "Date" if isinstance(chart.x[0], dt.date) else "Category"]
    rows: list[list[tuple[Cell, str | None]]] = [[(x, None)] for x in chart.x]
    lines: list[tuple[str, int, bool]] = []  # series name, its column, whether it is a band edge
    for series in chart.series:
        for label, values, edge in (
            (series.label, series.values, False),
            (f"{series.label} (low)", series.lo, True),
            (f"{series.label} (high)", series.hi, True),
        ):
            if values is None:
                continue
            header.append(label)
            lines.append((label, len(header) - 1, edge))
            for row, value in zip(rows, values, strict=True):
                row.append((value, chart.unit))
    _sheet(sheet, styles, header, rows, presenter)
    native = book.add_chart({"type": "column" if chart.style == "bar" else "line"})
    last = len(chart.x)
    name = sheet.get_name()
    for label, column, edge in lines:
        spec: dict[str, Any] = {
            "name": label,
            "categories": [name, 1, 0, last, 0],
            "values": [name, 1, column, last, column],
        }
        if edge:  # Excel has no band: its edges as thin dashed lines
            spec["line"] = {"dash_type": "dash", "width": 0.75}
        native.add_series(spec)
    native.set_title({"name": chart.title})
    native.set_y_axis({"num_format": EXCEL_FORMATS[chart.unit.value]})
    native.set_x_axis({"num_format": "yyyy-mm-dd"} if header[0] == "Date" else {})
    native.set_legend({"position": "bottom"})
    native.set_size({"width": 720, "height": 320})
    sheet.insert_chart(1, len(header) + 1, native)
