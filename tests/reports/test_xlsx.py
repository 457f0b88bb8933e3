"""The workbook read back by openpyxl: numbers are the metrics layer's, as numbers with an Excel
format per unit; headers are frozen; charts are Excel's own."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from bizsight.presentation import EXCEL_FORMATS
from bizsight.reports import render
from tests.reports.conftest import KPI_METRICS, TARGETS, Built


@pytest.fixture(scope="module")
def book(built: Built) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(render(built.document, "xlsx", built.presenter)))


def number(value: object) -> float:
    assert isinstance(value, int | float | Decimal) and not isinstance(value, bool), value
    return float(value)


def test_a_sheet_per_table_and_chart_beside_the_kpis(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [
        "KPIs",
        "Revenue by month",
        "Revenue by category",
        "Revenue by region",
        "Revenue by day",
        "Findings",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"


def test_kpis_are_the_metrics_layers_numbers(built: Built, book: openpyxl.Workbook) -> None:
    sheet = book["KPIs"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["KPI", "Value", "vs previous period", "Change vs previous period"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for metric in KPI_METRICS:
        row = rows[built.presentation.label(metric)]
        value, previous = row[1], row[2]
        assert number(value.value) == pytest.approx(float(built.kpis[metric]["value"]))  # type: ignore[arg-type]
        assert number(previous.value) == pytest.approx(float(built.kpis[metric]["previous"]))  # type: ignore[arg-type]
        assert value.number_format == EXCEL_FORMATS[built.unit(metric).value]
        target = row[header.index("vs target")]
        assert number(target.value) == pytest.approx(TARGETS[metric])
        change = row[header.index("Change vs previous period")]
        assert change.number_format == "0.0%"
    revenue = rows["Revenue"]
    assert revenue[1].value == 20 and revenue[3].value == pytest.approx((20 - 39) / 39)


def test_tables_hold_typed_numbers_with_a_format_per_unit(built: Built, book: openpyxl.Workbook) -> None:
    sheet = book["Revenue by region"]
    assert [c.value for c in sheet[1]] == ["Region", "Revenue", "Orders", "Average order value"]
    expected = built.tables["Revenue by region"]
    got = list(sheet.iter_rows(min_row=2))
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row[0].value == want["region"]
        assert number(row[1].value) == pytest.approx(float(want["revenue"]))  # type: ignore[arg-type]
        assert row[1].number_format == EXCEL_FORMATS["money"]
        assert number(row[2].value) == want["orders"] and row[2].number_format == EXCEL_FORMATS["count"]
    days = book["Revenue by day"]
    assert days.max_row == 1 + len(built.tables["Revenue by day"])
    assert days["A2"].is_date and days["A2"].number_format == "yyyy-mm-dd"
    assert days.column_dimensions["A"].width >= len("2024-01-01")


def test_charts_are_native_excel_charts_beside_their_data(book: openpyxl.Workbook) -> None:
    monthly = book["Revenue by month"]
    assert [c.value for c in monthly[1]] == ["Date", "Revenue", "Revenue (low)", "Revenue (high)"]
    assert [number(monthly.cell(r, 2).value) for r in range(2, 6)] == [39, 20, 0, 35]
    # openpyxl drops charts on reading; the chart parts are in the file
    assert book["Revenue by category"]["B2"].number_format == EXCEL_FORMATS["money"]


def test_the_file_holds_a_chart_part_per_chart(built: Built) -> None:
    import zipfile

    data = render(built.document, "xlsx", built.presenter)
    charts = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    first = zipfile.ZipFile(io.BytesIO(data)).read(charts[0]).decode()
    assert "<c:lineChart>" in first and "&apos;Revenue by month&apos;!$B$2:$B$5" in first.replace(
        "'", "&apos;"
    )


def test_findings_are_written_with_their_numbers(book: openpyxl.Workbook) -> None:
    assert book["Findings"]["A2"].value == "Revenue was $20.00 in February against $39.00 in January."
