"""The CSV zip holds one CSV per table with exact values; the email body is safe to send (no
script, nothing fetched) and shows the presenter's numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal

from bizsight.presentation import exact
from bizsight.reports import Chart, Document, Series, render
from bizsight.reports.email import LOGO_CID, MAX_BARS
from tests.reports.conftest import KPI_METRICS, Built


def test_a_csv_per_table_with_exact_values(built: Built) -> None:
    archive = zipfile.ZipFile(io.BytesIO(render(built.document, "csv", built.presenter)))
    assert archive.namelist() == ["01-revenue-by-region.csv", "02-revenue-by-day.csv"]
    rows = list(csv.reader(io.StringIO(archive.read("01-revenue-by-region.csv").decode("utf-8"))))
    assert rows[0] == ["Region", "Revenue", "Orders", "Average order value"]
    expected = built.tables["Revenue by region"]
    assert len(rows) == 1 + len(expected)
    for got, want in zip(rows[1:], expected, strict=True):
        assert got[0] == want["region"]
        assert Decimal(got[1]) == want["revenue"]
        assert int(got[2]) == want["orders"]
        assert got[3] == str(exact(want["average_order_value"], "money"))  # 14.75, not 14.749999...
    days = list(csv.reader(io.StringIO(archive.read("02-revenue-by-day.csv").decode("utf-8"))))
    assert days[0] == ["Period", "Revenue", "Orders"] and days[5] == ["2024-01-05", "25.00", "1"]


def test_the_email_is_safe_and_shows_the_formatted_numbers(built: Built) -> None:
    body = render(built.document, "html", built.presenter).decode("utf-8")
    assert "<script" not in body.lower() and "javascript:" not in body.lower()
    assert not re.search(r"(?:https?:)?//", body), "nothing is fetched from anywhere"
    assert re.findall(r'src="([^"]*)"', body) == [f"cid:{LOGO_CID}"]  # the logo, attached inline
    assert "<link" not in body and "<style" not in body and "<svg" not in body
    text = re.sub(r"<[^>]+>", " ", body).replace("&nbsp;", " ")
    for metric in KPI_METRICS:
        assert built.presenter.format(built.kpis[metric]["value"], built.unit(metric), compact=True) in text
    for row in built.tables["Revenue by region"]:
        assert built.presenter.format(row["revenue"], "money") in text
    assert "Revenue was $20.00 in February against $39.00 in January." in text
    assert "$39.00 ($35.10 – $42.90)" in text  # a chart's bar row with its interval
    assert "#7b1fa2" in body


def test_an_email_chart_is_bar_rows_as_wide_as_their_values(built: Built) -> None:
    chart = Chart(
        title="Revenue",
        style="bar",
        x=("Home", "Electronics", "Garden"),
        unit="money",
        series=(Series(label="Revenue", values=(60, 30, None)),),
    )
    body = render(Document(title="t", sections=(chart,)), "html", built.presenter).decode()
    assert re.findall(r'<table role="presentation" width="(\d+)%"', body)[-2:] == ["100", "50"]  # the bars
    assert "$60.00" in body and "$30.00" in body and "–" in body  # a missing value is a dash, no bar


def test_a_long_series_shows_its_latest_points_and_says_so(built: Built) -> None:
    n = MAX_BARS + 6
    chart = Chart(
        title="Daily", x=tuple(f"d{i}" for i in range(n)), series=(Series(label="x", values=tuple(range(n))),)
    )
    body = render(Document(title="t", sections=(chart,)), "html", built.presenter).decode()
    assert f"The latest {MAX_BARS} of {n} points." in body and ">d5<" not in body and ">d6<" in body
