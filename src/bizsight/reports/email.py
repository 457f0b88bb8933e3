"""The HTML email body: tables and inline styles only, no scripts, no stylesheet, nothing fetched.

Mail clients are the narrowest browsers there are: Gmail drops ``<svg>`` and ``data:`` images,
Outlook for Windows lays out with Word (no SVG, little CSS beyond inline ``width`` and
``background``), and most block remote images until the reader allows them. So a chart is drawn
as rows of a table — a label, a coloured cell as wide as the value, the value in words — which
every client shows, and which also reads as a table to a screen reader (decision 0038). The logo,
when the brand has one, is referenced as ``cid:`` :data:`LOGO_CID`, an inline attachment that the
delivery attaches; it is never a URL.

>>> from bizsight.reports.document import Chart, Document, Series
>>> doc = Document(title="Weekly", sections=[Chart(title="Revenue", style="bar", x=("Home", "Electronics"),
...     series=[Series(label="Revenue", values=(65, 40))], unit="money")])
>>> body = email_html(doc, Presenter())
>>> "$65.00" in body and "<script" not in body and "http" not in body
True
"""

from __future__ import annotations

from html import escape

from bizsight.presentation import Presenter
from bizsight.reports.document import Chart, Document, Findings, Kpi, Kpis, Section, Table, x_label
from bizsight.reports.svg import PALETTE
from bizsight.reports.text import comparison_texts, html_table, kpi_value

LOGO_CID = "brand-logo"
MAX_BARS = 24  # a longer series shows its latest points, and says so
FONT = "font-family:Helvetica,Arial,sans-serif;"
CELL = "padding:4px 8px;border-bottom:1px solid #e3e3e3;font-size:13px;"
TREND = {"up": "#2e7d32", "down": "#c62828", "flat": "#555555"}


def email_html(document: Document, presenter: Presenter) -> str:
    """``document`` as a complete HTML email body (a ``<table>`` 640 px wide at most)."""
    colour = document.brand.colour
    logo = (
        f'<img src="cid:{LOGO_CID}" alt="" height="32" style="display:block;border:0;height:32px;">'
        if document.brand.logo
        else ""
    )
    sections = "".join(
        f'<tr><td style="padding:16px 0 4px 0;{FONT}font-size:17px;font-weight:bold;color:{colour};'
        f'border-bottom:2px solid {colour};">{escape(section.title)}</td></tr>'
        f'<tr><td style="padding:8px 0;">{_section(section, presenter, colour)}</td></tr>'
        for section in document.sections
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(document.title)}</title></head>"
        f'<body style="margin:0;padding:0;background:#f4f4f4;">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f4;">'
        f'<tr><td align="center" style="padding:16px;">'
        f'<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        f'style="width:100%;max-width:640px;background:#ffffff;{FONT}color:#222222;">'
        f'<tr><td style="padding:16px;border-top:6px solid {colour};">{logo}'
        f'<div style="{FONT}font-size:22px;font-weight:bold;color:{colour};">{escape(document.title)}</div>'
        f'<div style="{FONT}font-size:14px;color:#555555;">{escape(document.period)}</div></td></tr>'
        f'<tr><td style="padding:0 16px 16px 16px;"><table role="presentation" width="100%" cellpadding="0" '
        f'cellspacing="0" style="width:100%;">{sections}</table></td></tr>'
        "</table></td></tr></table></body></html>"
    )


def _section(section: Section, presenter: Presenter, colour: str) -> str:
    if isinstance(section, Kpis):
        note = (
            f'<div style="{FONT}font-size:12px;color:#555555;padding-top:4px;">{escape(section.note)}</div>'
            if section.note
            else ""
        )
        return _cards(section.cards, presenter, colour) + note
    if isinstance(section, Table):
        return _table(section, presenter, colour)
    if isinstance(section, Chart):
        return _bars(section, presenter, colour)
    if isinstance(section, Findings):
        items = "".join(
            f'<li style="{FONT}font-size:14px;margin-bottom:6px;">{escape(item.render(presenter))}</li>'
            for item in section.items
        )
        return f'<ul style="margin:0;padding-left:20px;">{items}</ul>'
    raise TypeError(f"unknown section {section!r}")  # pragma: no cover - the union is closed


def _cards(cards: tuple[Kpi, ...], presenter: Presenter, colour: str) -> str:
    """Cards two to a row: a table of cells wraps nowhere, so the row count is fixed."""
    cells = []
    for kpi in cards:
        lines = "".join(
            f'<div style="{FONT}font-size:12px;color:#555555;">{escape(label)}: {escape(value)} '
            f'<span style="color:{TREND[direction]};">{escape(change)}</span></div>'
            for label, value, change, direction in comparison_texts(kpi, presenter)
        )
        cells.append(
            f'<td width="50%" valign="top" style="padding:8px;border:1px solid #e3e3e3;border-top:3px solid {colour};">'
            f'<div style="{FONT}font-size:12px;color:#555555;">{escape(kpi.label)}</div>'
            f'<div style="{FONT}font-size:22px;font-weight:bold;">{escape(kpi_value(kpi, presenter))}</div>'
            f"{lines}</td>"
        )
    if len(cells) % 2:
        cells.append('<td width="50%"></td>')
    rows = "".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))
    return f'<table role="presentation" width="100%" cellpadding="0" cellspacing="6" style="width:100%;">{rows}</table>'


def _table(table: Table, presenter: Presenter, colour: str) -> str:
    th = f"{CELL}{FONT}border-bottom:2px solid {colour};"
    td = f"{CELL}{FONT}"
    head, rows = html_table(
        table,
        presenter,
        (f' align="left" style="{th}text-align:left;"', f' align="right" style="{th}text-align:right;"'),
        (f' align="left" style="{td}text-align:left;"', f' align="right" style="{td}text-align:right;"'),
    )
    return f'<table width="100%" cellpadding="0" cellspacing="0" style="width:100%;"><tr>{head}</tr>{rows}</table>'


def _bars(chart: Chart, presenter: Presenter, colour: str) -> str:
    """A chart as bar rows: per x value, a row per series; an interval is written beside it."""
    palette = (colour, *PALETTE)
    start = max(0, len(chart.x) - MAX_BARS)
    largest = max(
        (abs(float(v)) for s in chart.series for v in (*s.values, *(s.hi or ())) if v is not None),
        default=0.0,
    )
    rows = []
    for i in range(start, len(chart.x)):
        for k, series in enumerate(chart.series):
            value = series.values[i]
            share = 0 if value is None or largest == 0 else round(abs(float(value)) / largest * 100)
            text = presenter.format(value, chart.unit)
            if series.lo is not None and series.hi is not None:
                low, high = (presenter.format(b[i], chart.unit) for b in (series.lo, series.hi))
                text += f" ({low} – {high})"
            paint = palette[k % len(palette)] if value is None or float(value) >= 0 else "#c62828"
            label = x_label(chart.x[i]) + (f" · {series.label}" if len(chart.series) > 1 else "")
            bar = (
                f'<table role="presentation" width="{max(share, 1)}%" cellpadding="0" cellspacing="0" '
                f'style="width:{max(share, 1)}%;">'
                f'<tr><td height="12" bgcolor="{paint}" style="background:{paint};height:12px;font-size:1px;line-height:1px;">'
                "&nbsp;</td></tr></table>"
                if share
                else ""
            )
            rows.append(
                f'<tr><td width="30%" style="{CELL}{FONT}width:30%;">{escape(label)}</td>'
                f'<td width="40%" style="{CELL}width:40%;">{bar}</td>'
                f'<td width="30%" align="right" style="{CELL}{FONT}">{escape(text)}</td></tr>'
            )
    note = (
        f'<div style="{FONT}font-size:12px;color:#555555;">The latest {MAX_BARS} of {len(chart.x)} points.</div>'
        if start
        else ""
    )
    return (
        f'{note}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="width:100%;table-layout:fixed;">{"".join(rows)}</table>'
    )
