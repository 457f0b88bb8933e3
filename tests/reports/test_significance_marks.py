"""A comparison's significance test as each renderer shows it: ``*`` after the change in the PDF
and the HTML email, the p-value and yes/no in the workbook, the cards' note under them; cards
without a test render as before."""

from __future__ import annotations

import io
from html import unescape
from pathlib import Path

from openpyxl import load_workbook

from bizsight.presentation import Presenter
from bizsight.reports import Comparison, Document, Kpi, Kpis, render
from tests.reports.test_pdf import pages

NOTE = "* a significant change against the previous period (p < 0.05)"
DOC = Document(
    title="Marks",
    sections=(
        Kpis(
            title="Headline",
            note=NOTE,
            cards=(
                Kpi(
                    label="Orders",
                    value=120,
                    unit="count",
                    comparisons=(
                        Comparison(
                            label="vs previous period",
                            value=80,
                            significant=True,
                            p_value=0.0021,
                            test="poisson",
                        ),
                        Comparison(label="vs previous year", value=100),
                    ),
                ),
                Kpi(
                    label="Revenue",
                    value=1000.0,
                    unit="money",
                    comparisons=(
                        Comparison(label="vs previous period", value=950.0, significant=False, p_value=0.41),
                    ),
                ),
                Kpi(
                    label="Retention",
                    value=0.3,
                    unit="percent",
                    comparisons=(Comparison(label="vs previous period", value=0.25),),
                ),
            ),
        ),
    ),
)


def test_pdf_marks_the_significant_change_only(tmp_path: Path) -> None:
    text = "".join(pages(render(DOC, "pdf", Presenter()), tmp_path))
    assert "vs previous period: 80 +50.0% *" in text
    assert "vs previous year: 100 +20.0%" in text and "+20.0% *" not in text
    assert "+5.3% *" not in text and "+5.3%" in text  # tested, not significant: unmarked
    assert "+20.0%" in text
    assert NOTE in " ".join(text.split())


def test_html_marks_and_notes() -> None:
    html = render(DOC, "html", Presenter()).decode()
    assert "+50.0% *" in html and "+5.3% *" not in html and NOTE in unescape(html)


def test_xlsx_holds_p_values_and_verdicts() -> None:
    book = load_workbook(io.BytesIO(render(DOC, "xlsx", Presenter())), read_only=True)
    rows = list(book["KPIs"].iter_rows(values_only=True))
    header = rows[0]
    assert header == (
        "KPI",
        "Value",
        "vs previous period",
        "Change vs previous period",
        "p-value vs previous period",
        "Significant vs previous period",
        "vs previous year",
        "Change vs previous year",
    )
    by_label = {row[0]: row for row in rows[1:]}
    assert by_label["Orders"][4:6] == (0.0021, "yes")
    assert by_label["Revenue"][4:6] == (0.41, "no")
    assert by_label["Retention"][4:6] == (None, None)
