"""The PDF read back by poppler's pdftotext, page by page: the KPI values are the metrics layer's
as the presenter writes them, every page has its number, and the contents point at the right
pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bizsight.reports import Chart, Document, Series, render
from bizsight.reports.pdf import html_for_pdf
from bizsight.reports.text import kpi_value
from tests.reports.conftest import KPI_METRICS, Built


def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        if os.environ.get("CI") == "true":  # .ci/run installs poppler-utils: missing is a failure
            pytest.fail("pdftotext is missing (apt-get install poppler-utils)")
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    return found


def pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """Each page's text, in layout order."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext(), "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    # pdftotext ends every page with a form feed, and writes a no-break space as a space
    return text.stdout.replace("\xa0", " ").split("\f")[:-1]


@pytest.fixture(scope="module")
def pdf(built: Built) -> bytes:
    return render(built.document, "pdf", built.presenter)


def test_the_kpi_values_are_the_metrics_layers(built: Built, pdf: bytes, tmp_path: Path) -> None:
    texts = pages(pdf, tmp_path)
    first = texts[0] + texts[1]
    for metric in KPI_METRICS:
        value, previous = built.kpis[metric]["value"], built.kpis[metric]["previous"]
        shown = built.presenter.format(value, built.unit(metric), compact=True)
        assert shown in first, (metric, shown)
        assert built.presentation.label(metric) in first
        assert (
            f"vs previous period: {built.presenter.format(previous, built.unit(metric), compact=True)}"
            in first
        )
    assert "$20.00" in first and "$39.00" in first  # February's and January's revenue, by hand
    assert "-48.7%" in first or "−48.7%" in first  # 20 against 39


def test_every_page_has_its_number_and_the_contents_point_at_the_sections(
    built: Built, pdf: bytes, tmp_path: Path
) -> None:
    texts = pages(pdf, tmp_path)
    assert len(texts) >= 3  # 121 days of revenue run over several pages
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in text
    for text in texts[2:-1]:  # the daily table runs on, its header repeated on each page
        assert re.match(r"\s*Period\s+Revenue\s+Orders\s*$", text.splitlines()[0]), text[:200]
    contents = texts[0].split("Contents", 1)[1]
    for section in built.document.sections:
        found = re.search(rf"{re.escape(section.title)}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert found, section.title
        page = int(found.group(1))
        heading = re.compile(rf"^\s*{re.escape(section.title)}\s*$", re.MULTILINE)
        assert heading.search(texts[page - 1]), (section.title, page)


def test_tables_are_formatted_by_the_presenter(built: Built, pdf: bytes, tmp_path: Path) -> None:
    text = "".join(pages(pdf, tmp_path))
    for row in built.tables["Revenue by region"]:
        line = next(line for line in text.splitlines() if line.strip().startswith(str(row["region"])))
        assert built.presenter.format(row["revenue"], "money") in line
        assert built.presenter.format(row["average_order_value"], "money") in line
    assert "Revenue was $20.00 in February against $39.00 in January." in text


def test_the_document_is_branded_and_its_charts_are_vectors(built: Built) -> None:
    html = html_for_pdf(built.document, built.presenter)
    assert "#7b1fa2" in html and 'src="data:image/png;base64,' in html
    assert html.count("<svg") == 2 and "<polygon" in html and "<rect" in html  # the band, the bars
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing to fetch


def test_a_page_with_a_chart_renders_fast(built: Built) -> None:
    chart = next(s for s in built.document.sections if isinstance(s, Chart))
    document = Document(title="One chart", sections=(chart,))
    render(document, "pdf", built.presenter)  # fonts load on the first one
    started = time.perf_counter()
    render(document, "pdf", built.presenter)
    assert time.perf_counter() - started < 1.0  # about 0.1 s here; slack for a busy CI machine


def test_a_german_presenter_writes_german_numbers(built: Built, tmp_path: Path) -> None:
    from bizsight.presentation import Presenter

    de = Presenter("EUR", "de")
    chart = Chart(
        title="Umsatz", x=("a", "b"), unit="money", series=(Series(label="U", values=(1234.5, 10)),)
    )
    kpis = next(s for s in built.document.sections if s.kind == "kpis")
    text = "".join(pages(render(Document(title="Bericht", sections=(kpis, chart)), "pdf", de), tmp_path))
    shown = kpi_value(kpis.cards[0], de).replace("\xa0", " ")  # type: ignore[union-attr]
    assert shown == "20,00 €" and shown in text and "1.500,00 €" in text  # the card, the chart's axis


def test_large_kpis_are_short_on_cards_and_axes(tmp_path: Path) -> None:
    from bizsight.presentation import Presenter
    from bizsight.reports import Kpi, Kpis

    document = Document(
        title="Big",
        sections=(
            Kpis(title="Cards", cards=(Kpi(label="Revenue", value=5_612_345.0, unit="money"),)),
            Chart(
                title="Trend", x=("Q1", "Q2"), unit="money", series=(Series(label="R", values=(4e6, 5.6e6)),)
            ),
        ),
    )
    text = pages(render(document, "pdf", Presenter()), tmp_path)[0]
    assert "$5.6M" in text and "$6.0M" in text and "5,612,345" not in text


def test_the_logo_is_on_the_first_page_and_nothing_else_is_fetched(
    built: Built, pdf: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        [str(Path(pdftotext()).with_name("pdfimages")), "-list", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    assert [line.split()[:3] for line in listing if line.split()[2] == "image"] == [
        ["1", "0", "image"]
    ]  # the 1×1 logo
    hostile = Document(
        title="Report",
        sections=(
            Chart(
                title='<img src="file:///etc/hostname">', x=("a",), series=(Series(label="s", values=(1,)),)
            ),
        ),
    )
    assert b"/Subtype /Image" not in render(hostile, "pdf", built.presenter)  # escaped, and never fetched
