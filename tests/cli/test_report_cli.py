"""`bizsight report run` as a user runs it, without and with a server: the PDF's every page is
drawn by poppler and its text holds the metrics layer's KPI values as the presenter writes them;
the workbook's cells are the metrics layer's numbers; the zip and the HTML are there too."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bizsight.metrics.query import Query
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from tests.helpers import run_cli, serving
from tests.reports.test_pdf import pages, pdftotext

SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))  # the demo's last complete month
HEADLINE = ("revenue", "orders", "average_order_value", "active_customers", "new_customers")


def expected_kpis(project: Project) -> dict[str, tuple[str, Any, str]]:
    """metric → (label, the metrics layer's value over September, the value as a card writes it)."""
    cat = catalogue(project)
    presenter = presentation(project).presenter
    found = {}
    for name in HEADLINE:
        query = Query(metrics=(name,), start=SEPTEMBER[0], end=SEPTEMBER[1])
        value = run_query(project, query).table.column(name)[0].as_py()
        unit = cat.metrics[name].unit.value
        found[name] = (cat.metrics[name].label, value, presenter.format(value, unit, compact=True))
    return found


def pdf_text(path: Path, tmp_path: Path) -> str:
    """Every page drawn (pdftoppm) and the text read (pdftotext)."""
    tool = Path(pdftotext()).parent  # poppler-utils: missing is a failure on CI, a skip elsewhere
    info = subprocess.run(
        [str(tool / "pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    subprocess.run(
        [str(tool / "pdftoppm"), "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True
    )
    drawn = sorted(tmp_path.glob("page-*.png"))
    assert len(drawn) == count >= 2
    assert all(p.stat().st_size > 1000 for p in drawn)  # each page drew something
    return "\f".join(pages(path.read_bytes(), tmp_path))


def kpi_sheet(path: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = list(book["KPIs"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("KPI", "Value") and "Significant vs previous period" in header
    return {row[0]: row[1] for row in rows[1:]}


def test_executive_pdf_holds_the_metrics_layers_kpis(small_demo: Project, tmp_path: Path) -> None:
    result = run_cli(
        "report", "run", "executive", "--format", "pdf", "-p", str(small_demo.root), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / "executive-2026-09.pdf"
    assert result.stdout.startswith("Wrote executive-2026-09.pdf (") and "KB)" in result.stdout
    text = pdf_text(path, tmp_path)
    assert "Executive summary" in text and "September 2026" in text and "Page 1 of" in text
    for label, _value, written in expected_kpis(small_demo).values():
        assert f"{label}" in text
        assert written in text, (label, written)
    assert "significant change against the previous period" in text


def test_xlsx_cells_are_the_metrics_layers_numbers(small_demo: Project, tmp_path: Path) -> None:
    out = tmp_path / "exec.xlsx"
    result = run_cli(
        "report", "run", "executive", "--format", "xlsx", "--out", str(out), "-p", str(small_demo.root)
    )
    assert result.returncode == 0, result.stderr
    cells = kpi_sheet(out)
    for label, value, _ in expected_kpis(small_demo).values():
        assert isinstance(cells[label], int | float)
        assert cells[label] == float(value), label
    from openpyxl import load_workbook

    regions = list(load_workbook(out, read_only=True)["Regions by change"].iter_rows(values_only=True))
    query = Query(metrics=("revenue",), dimensions=("region",), start=SEPTEMBER[0], end=SEPTEMBER[1])
    by_region = {r["region"]: r["revenue"] for r in run_query(small_demo, query).table.to_pylist()}
    assert {row[0]: row[1] for row in regions[1:]} == {k: float(v) for k, v in by_region.items()}


def test_csv_zip_and_html(small_demo: Project, tmp_path: Path) -> None:
    for fmt, name in (("csv", "sales-2026-09.zip"), ("html", "sales-2026-09.html")):
        result = run_cli("report", "run", "sales", "--format", fmt, "-p", str(small_demo.root), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name).exists()
    with zipfile.ZipFile(tmp_path / "sales-2026-09.zip") as archive:
        names = archive.namelist()
        assert any("by-region" in n for n in names), names
        region_csv = archive.read(next(n for n in names if "by-region" in n)).decode("utf-8")
    assert region_csv.splitlines()[0].startswith("Region,Revenue,Previous period,Change")
    html = (tmp_path / "sales-2026-09.html").read_text(encoding="utf-8")
    revenue = expected_kpis(small_demo)["revenue"][2]
    assert revenue in html and "<script" not in html


def test_templates_are_listed_and_a_wrong_name_is_one_line(small_demo: Project, tmp_path: Path) -> None:
    listed = run_cli("report", "templates", "--json")
    assert listed.returncode == 0
    assert {"executive", "sales", "customers", "quality", "dashboard"} <= set(listed.stdout.split('"'))
    wrong = run_cli("report", "run", "executiv", "-p", str(small_demo.root), cwd=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().count("\n") == 0 and "did you mean 'executive'" in wrong.stderr
    bad_range = run_cli(
        "report", "run", "sales", "--range", "last_moon", "-p", str(small_demo.root), cwd=tmp_path
    )
    assert bad_range.returncode == 2 and "Traceback" not in bad_range.stderr
    assert "did you mean 'last_month'" in bad_range.stderr
    no_board = run_cli("report", "run", "dashboard", "-p", str(small_demo.root), cwd=tmp_path)
    assert no_board.returncode == 2 and "--dashboard ID" in no_board.stderr


@pytest.mark.slow
def test_through_a_running_server_the_kpis_are_the_same(served_demo: Project, tmp_path: Path) -> None:
    project = served_demo
    expected = expected_kpis(project)
    with serving(project):
        result = run_cli(
            "report", "run", "executive", "--format", "xlsx", "-p", str(project.root), cwd=tmp_path
        )
        pdf = run_cli(
            "report", "run", "executive", "--out", "served.pdf", "-p", str(project.root), cwd=tmp_path
        )
        wrong = run_cli(
            "report", "run", "sales", "--where", "nowhere=1", "-p", str(project.root), cwd=tmp_path
        )
    assert result.returncode == 0, result.stderr
    assert "asking the bizsight server" in result.stderr
    cells = kpi_sheet(tmp_path / "executive-2026-09.xlsx")
    for label, value, _ in expected.values():
        assert cells[label] == float(value), label
    assert pdf.returncode == 0, pdf.stderr
    text = pdf_text(tmp_path / "served.pdf", tmp_path)
    assert all(written in text for _, _, written in expected.values())
    assert wrong.returncode == 2, wrong.stderr
    assert "Traceback" not in wrong.stderr
    last = io.StringIO(wrong.stderr).readlines()[-1]
    assert last.startswith("error:") and "nowhere" in last
