"""The PDF: HTML and CSS laid out by WeasyPrint, with charts as inline SVG (no browser).

A4 pages; the first holds the title, the period and the contents, whose page numbers come from
CSS ``target-counter``; every page's footer says "Page n of m" from the ``@page`` counters; the
brand colour heads sections and the logo (a ``data:`` URI, so nothing is fetched) sits in the
header.

>>> from bizsight.reports.document import Document, Kpi, Kpis
>>> doc = Document(title="Weekly", sections=[Kpis(title="Headline", cards=[Kpi(label="Orders", value=3, unit="count")])])
>>> pdf(doc, Presenter())[:5]
b'%PDF-'
"""

from __future__ import annotations

import base64
from html import escape

from bizsight.presentation import Presenter
from bizsight.reports.document import Chart, Document, Findings, Kpi, Kpis, Section, Table
from bizsight.reports.svg import chart_svg
from bizsight.reports.text import comparison_texts, html_table, kpi_value

CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 8pt; color: #666; }
  @bottom-left { content: string(title); font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 9.5pt; color: #222; }
header.cover { border-bottom: 3pt solid BRAND; padding-bottom: 6mm; margin-bottom: 6mm; }
header.cover img { float: right; max-height: 14mm; max-width: 50mm; }
h1 { string-set: title content(); font-size: 20pt; margin: 0; color: BRAND; }
.period { font-size: 11pt; color: #555; margin-top: 2mm; }
nav h2, section h2 { font-size: 13pt; color: BRAND; border-bottom: 1pt solid #ddd; padding-bottom: 1mm; }
nav ol { list-style: none; padding: 0; }
nav li a { color: #222; text-decoration: none; display: block; }
nav li a::after { content: leader(".") target-counter(attr(href), page); }
section { break-inside: avoid-page; margin-top: 6mm; }
section.table { break-inside: auto; }
.cards { display: flex; flex-wrap: wrap; gap: 3mm; }
.card { width: 54mm; border: 0.75pt solid #ddd; border-top: 3pt solid BRAND; padding: 2.5mm; }
.card .label { color: #555; font-size: 8.5pt; }
.card .value { font-size: 16pt; font-weight: bold; margin: 1mm 0; }
.card .cmp { font-size: 8pt; color: #555; }
.up { color: #2e7d32; } .down { color: #c62828; } .flat { color: #555; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
th { text-align: left; border-bottom: 1.5pt solid BRAND; padding: 1.2mm 2mm; font-size: 8.5pt; }
td { border-bottom: 0.5pt solid #e3e3e3; padding: 1mm 2mm; }
td.num, th.num { text-align: right; }
tr { break-inside: avoid; }
svg { width: 100%; height: auto; }
.findings li { margin-bottom: 2mm; }
.note { font-size: 8pt; color: #555; margin-top: 2mm; }
"""


def pdf(document: Document, presenter: Presenter) -> bytes:
    """``document`` as PDF bytes."""
    from weasyprint import HTML  # heavy import: only when a PDF is made
    from weasyprint.urls import URLFetcher

    # data: URIs (the logo) only: a report reaches neither the network nor the file system,
    # whatever its text says
    inline_only = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return bytes(HTML(string=html_for_pdf(document, presenter), url_fetcher=inline_only).write_pdf())


def html_for_pdf(document: Document, presenter: Presenter) -> str:
    """The HTML WeasyPrint lays out: a cover with the contents, then a ``<section>`` each.

    >>> from bizsight.reports.document import Document, Finding, Findings
    >>> html = html_for_pdf(Document(title="T", sections=[Findings(title="Notes", items=[Finding(text="Up {0}.", numbers=((0.1, "percent"),))])]), Presenter())
    >>> '<a href="#s1">Notes</a>' in html, '<section id="s1" class="findings">' in html, "Up 10.0%." in html
    (True, True, True)
    """
    brand = document.brand
    css = CSS.replace("BRAND", brand.colour)
    logo = ""
    if brand.logo:
        data = base64.b64encode(brand.logo).decode("ascii")
        logo = f'<img alt="logo" src="data:{brand.logo_type};base64,{data}">'
    contents = "".join(
        f'<li><a href="#s{i}">{escape(section.title)}</a></li>'
        for i, section in enumerate(document.sections, 1)
    )
    body = "".join(
        f'<section id="s{i}" class="{section.kind}"><h2>{escape(section.title)}</h2>'
        f"{_section(section, presenter, brand.colour)}</section>"
        for i, section in enumerate(document.sections, 1)
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(document.title)}</title>'
        f"<style>{css}</style></head><body>"
        f'<header class="cover">{logo}<h1>{escape(document.title)}</h1>'
        f'<div class="period">{escape(document.period)}</div></header>'
        f"<nav><h2>Contents</h2><ol>{contents}</ol></nav>{body}</body></html>"
    )


def _section(section: Section, presenter: Presenter, colour: str) -> str:
    if isinstance(section, Kpis):
        cards = '<div class="cards">' + "".join(_card(kpi, presenter) for kpi in section.cards) + "</div>"
        return cards + (f'<p class="note">{escape(section.note)}</p>' if section.note else "")
    if isinstance(section, Table):
        return _table(section, presenter)
    if isinstance(section, Chart):
        return chart_svg(section, presenter, colour=colour)
    if isinstance(section, Findings):
        items = "".join(f"<li>{escape(item.render(presenter))}</li>" for item in section.items)
        return f'<ul class="findings">{items}</ul>'
    raise TypeError(f"unknown section {section!r}")  # pragma: no cover - the union is closed


def _card(kpi: Kpi, presenter: Presenter) -> str:
    lines = "".join(
        f'<div class="cmp">{escape(label)}: {escape(value)} <span class="{direction}">{escape(change)}</span></div>'
        for label, value, change, direction in comparison_texts(kpi, presenter)
    )
    return (
        f'<div class="card"><div class="label">{escape(kpi.label)}</div>'
        f'<div class="value">{escape(kpi_value(kpi, presenter))}</div>{lines}</div>'
    )


def _table(table: Table, presenter: Presenter) -> str:
    head, rows = html_table(table, presenter, ("", ' class="num"'), ("", ' class="num"'))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
