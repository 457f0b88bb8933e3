"""Reports (DESIGN.md, "reports/"): a :class:`~.document.Document` of KPI cards, tables, charts and
findings, and its renderers — PDF (WeasyPrint, own SVG charts), XLSX, a zip of CSVs and an HTML
email body — each returning bytes, every number formatted by the presenter passed in.

>>> from bizsight.presentation import Presenter
>>> doc = Document(title="Weekly", sections=[Kpis(title="Headline", cards=[Kpi(label="Orders", value=3, unit="count")])])
>>> [render(doc, f, Presenter())[:2] for f in ("xlsx", "csv")]
[b'PK', b'PK']
>>> Format("pdf").media_type, Format("csv").suffix
('application/pdf', '.zip')
"""

from __future__ import annotations

from enum import StrEnum

from bizsight.presentation import Presenter
from bizsight.reports.document import (
    Brand,
    Chart,
    Column,
    Comparison,
    Document,
    Finding,
    Findings,
    Kpi,
    Kpis,
    Series,
    Table,
)


class Format(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"
    CSV = "csv"  # a zip of one CSV per table
    HTML = "html"  # an email body

    @property
    def media_type(self) -> str:
        return {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "csv": "application/zip",
            "html": "text/html; charset=utf-8",
        }[self.value]

    @property
    def suffix(self) -> str:
        return {"pdf": ".pdf", "xlsx": ".xlsx", "csv": ".zip", "html": ".html"}[self.value]


def render(document: Document, format: Format | str, presenter: Presenter) -> bytes:
    """``document`` in ``format``, as bytes."""
    from bizsight.reports import email, pdf, tables, xlsx

    match Format(format):
        case Format.PDF:
            return pdf.pdf(document, presenter)
        case Format.XLSX:
            return xlsx.xlsx(document, presenter)
        case Format.CSV:
            return tables.csv_zip(document)
        case Format.HTML:
            return email.email_html(document, presenter).encode("utf-8")


__all__ = [
    "Brand",
    "Chart",
    "Column",
    "Comparison",
    "Document",
    "Finding",
    "Findings",
    "Format",
    "Kpi",
    "Kpis",
    "Series",
    "Table",
    "render",
]
