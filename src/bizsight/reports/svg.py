"""Charts as SVG text: axes, ticks, lines, bars and an interval band, with nothing to install.

The PDF embeds this SVG inline, so its charts are vectors (sharp at any zoom) and WeasyPrint
draws them without a browser; the tick labels are the presenter's, as on the pages.

>>> from bizsight.presentation import Presenter
>>> from bizsight.reports.document import Chart, Series
>>> svg = chart_svg(Chart(title="Revenue", x=("Jan", "Feb"), series=(Series(label="Revenue", values=(39, 20)),), unit="money"), Presenter())
>>> svg.startswith("<svg") and "$40" in svg and "<polyline" in svg
True
"""

from __future__ import annotations

import math
from html import escape

from bizsight.presentation import Presenter
from bizsight.reports.document import Chart, Value, x_label

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif' font-size='10'"
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 40


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (steps of 1, 2, 2.5 or 5 × a power of ten).

    >>> nice_ticks(0, 39)
    [0.0, 10.0, 20.0, 30.0, 40.0]
    >>> nice_ticks(-3, 7, 4)
    [-5.0, 0.0, 5.0, 10.0]
    >>> nice_ticks(5, 5)
    [0.0, 2.0, 4.0, 6.0]
    """
    if hi == lo:
        lo, hi = min(0.0, lo), max(hi, 1.0) if hi == 0 else hi * 1.2
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while value < hi + step * 0.999:
        ticks.append(round(value, 12) + 0.0)
        value += step
    return ticks


def _numbers(values: tuple[Value, ...] | None) -> list[float | None]:
    return [None if v is None else float(v) for v in values or ()]


def chart_svg(
    chart: Chart, presenter: Presenter, *, width: int = 640, height: int = 240, colour: str = ""
) -> str:
    """``chart`` as an SVG element ``width`` × ``height`` user units; the first series takes
    ``colour`` (the brand's) when given."""
    palette = (colour, *PALETTE) if colour else PALETTE
    every = [
        v for s in chart.series for part in (s.values, s.lo, s.hi) for v in _numbers(part) if v is not None
    ]
    lo, hi = min([0.0, *every]), max([0.0, *every])
    ticks = nice_ticks(lo, hi)
    bottom, top = ticks[0], ticks[-1]
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - (value - bottom) / (top - bottom) * plot_h

    n = max(len(chart.x), 1)
    slot = plot_w / n

    def x(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
        f"height='{height}' role='img' aria-label='{escape(chart.title, quote=True)}'>"
    ]
    for tick in ticks:  # grid and y labels
        parts.append(
            f"<line x1='{LEFT}' x2='{width - RIGHT}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' stroke='#e3e3e3'/>"
        )
        label = escape(presenter.format(tick, chart.unit, compact=True))
        parts.append(
            f"<text x='{LEFT - 6}' y='{y(tick) + 3:.1f}' text-anchor='end' {FONT} fill='#555'>{label}</text>"
        )
    parts.append(f"<line x1='{LEFT}' x2='{width - RIGHT}' y1='{y(0):.1f}' y2='{y(0):.1f}' stroke='#888'/>")
    parts.append(f"<line x1='{LEFT}' x2='{LEFT}' y1='{TOP}' y2='{TOP + plot_h}' stroke='#888'/>")
    step = max(1, math.ceil(n / max(plot_w // 60, 1)))  # at most one x label per 60 units
    for i, value in enumerate(chart.x):
        if i % step == 0:
            label = escape(x_label(value))
            parts.append(
                f"<text x='{x(i):.1f}' y='{TOP + plot_h + 16}' text-anchor='middle' {FONT} fill='#555'>{label}</text>"
            )
    for k, series in enumerate(chart.series):
        paint = palette[k % len(palette)]
        lows, highs = _numbers(series.lo), _numbers(series.hi)
        band = [
            (i, a, b)
            for i, (a, b) in enumerate(zip(lows, highs, strict=False))
            if a is not None and b is not None
        ]
        if band:
            upper = [f"{x(i):.1f},{y(b):.1f}" for i, _, b in band]
            lower = [f"{x(i):.1f},{y(a):.1f}" for i, a, _ in reversed(band)]
            parts.append(
                f"<polygon points='{' '.join(upper + lower)}' fill='{paint}' fill-opacity='0.18' stroke='none'/>"
            )
        values = _numbers(series.values)
        if chart.style == "bar":
            bar = slot * 0.8 / len(chart.series)
            for i, amount in enumerate(values):
                if amount is None:
                    continue
                left = x(i) - slot * 0.4 + bar * k
                y0, y1 = sorted((y(0), y(amount)))
                parts.append(
                    f"<rect x='{left:.1f}' y='{y0:.1f}' width='{bar:.1f}' height='{y1 - y0:.1f}' fill='{paint}'/>"
                )
        else:
            for run in _runs(values):  # a missing value breaks the line
                points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
                parts.append(f"<polyline points='{points}' fill='none' stroke='{paint}' stroke-width='2'/>")
                if len(run) == 1:
                    i, v = run[0]
                    parts.append(f"<circle cx='{x(i):.1f}' cy='{y(v):.1f}' r='2.5' fill='{paint}'/>")
    legend_x = LEFT
    for k, series in enumerate(chart.series):  # legend under the axis labels
        paint = palette[k % len(palette)]
        parts.append(f"<rect x='{legend_x}' y='{height - 12}' width='10' height='10' fill='{paint}'/>")
        parts.append(
            f"<text x='{legend_x + 14}' y='{height - 3}' {FONT} fill='#333'>{escape(series.label)}</text>"
        )
        legend_x += 24 + 7 * len(series.label)
    parts.append("</svg>")
    return "".join(parts)


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive present values, with their positions.

    >>> _runs([1.0, None, 2.0, 3.0])
    [[(0, 1.0)], [(2, 2.0), (3, 3.0)]]
    """
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]
