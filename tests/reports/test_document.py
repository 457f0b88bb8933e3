"""The document model refuses what no renderer could draw; the SVG charts are well-formed and
write their ticks through the presenter."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from pydantic import ValidationError

from bizsight.presentation import Presenter
from bizsight.reports import Brand, Chart, Column, Document, Kpi, Kpis, Series, Table
from bizsight.reports.svg import chart_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_the_model_refuses_what_cannot_be_drawn() -> None:
    with pytest.raises(ValidationError, match="#rrggbb"):
        Brand(colour="purple")
    with pytest.raises(ValidationError, match="2 values for 3 x values"):
        Chart(title="c", x=("a", "b", "c"), series=(Series(label="s", values=(1, 2)),))
    with pytest.raises(ValidationError, match="different widths"):
        Table(title="t", columns=(Column(key="a", label="A"),), rows=(("x",), ("y", 2)))
    with pytest.raises(ValidationError, match="Extra inputs"):
        Kpi.model_validate({"label": "x", "value": 1, "colour": "red"})
    with pytest.raises(ValidationError):  # frozen
        Document(title="t").title = "u"  # type: ignore[misc]


def test_a_document_round_trips_through_json() -> None:
    doc = Document(
        title="t",
        sections=(
            Kpis(title="k", cards=(Kpi(label="Revenue", value=1.5, unit="money"),)),
            Chart(title="c", x=(dt.date(2024, 1, 1),), series=(Series(label="s", values=(1,)),)),
        ),
    )
    assert Document.model_validate_json(doc.model_dump_json()) == doc


def test_a_line_chart_with_a_band_and_a_gap() -> None:
    chart = Chart(
        title="Forecast",
        x=tuple(dt.date(2024, m, 1) for m in range(1, 6)),
        unit="money",
        series=(
            Series(label="Revenue", values=(1200, 1500, None, 1800, 2100)),
            Series(
                label="Forecast",
                values=(None, None, None, 1800, 2000),
                lo=(None, None, None, 1700, 1600),
                hi=(None, None, None, 1900, 2400),
            ),
        ),
    )
    svg = chart_svg(chart, Presenter("EUR", "de"), colour="#7b1fa2")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "2.000,00\xa0€" in texts and "0,00\xa0€" in texts  # ticks by the presenter, in German
    assert "2024-01-01" in texts and "Forecast" in texts
    lines = root.findall("svg:polyline", NS)
    assert len(lines) == 3  # the revenue line breaks where a value is missing; the forecast's one
    assert lines[0].get("stroke") == "#7b1fa2"
    band = root.findall("svg:polygon", NS)
    assert len(band) == 1 and len(band[0].get("points", "").split()) == 4


def test_bars_go_down_for_negative_values_and_large_ticks_are_short() -> None:
    chart = Chart(
        title="Change",
        style="bar",
        x=("a", "b"),
        unit="count",
        series=(Series(label="s", values=(250_000, -100_000)),),
    )
    root = ET.fromstring(chart_svg(chart, Presenter()))
    bars = [r for r in root.findall("svg:rect", NS) if r.get("width") != "10"]  # not the legend's
    assert len(bars) == 2
    zero = next(
        float(line.get("y1", 0)) for line in root.findall("svg:line", NS) if line.get("stroke") == "#888"
    )
    up, down = bars
    assert float(up.get("y", 0)) + float(up.get("height", 0)) == pytest.approx(zero, abs=0.11)
    assert float(down.get("y", 0)) == pytest.approx(zero, abs=0.11)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "300.0K" in texts and "-100.0K" in texts
