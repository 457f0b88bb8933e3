"""The CSV zip: one CSV per table, headed by its labels, with the exact values an export keeps
(money to the cent, no float noise; :func:`~bizsight.presentation.exact`), not display text.

>>> import zipfile
>>> from bizsight.reports.document import Column, Document, Table
>>> doc = Document(title="T", sections=[Table(title="By region", columns=[Column(key="r", label="Region"),
...     Column(key="v", label="Revenue", unit="money")], rows=[("Europe", 3893.4999999999995)])])
>>> archive = zipfile.ZipFile(io.BytesIO(csv_zip(doc)))
>>> archive.namelist(), archive.read("01-by-region.csv").decode()
(['01-by-region.csv'], 'Region,Revenue\\r\\nEurope,3893.5\\r\\n')
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

from bizsight.presentation import exact
from bizsight.reports.document import Cell, Document


def file_name(number: int, title: str) -> str:
    """A table's file in the zip: its position and its title as a slug.

    >>> file_name(3, "Revenue by region (€)")
    '03-revenue-by-region.csv'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "table"
    return f"{number:02d}-{slug[:60]}.csv"


def csv_zip(document: Document) -> bytes:
    """``document``'s tables as a zip of CSV files (UTF-8, comma separated, ``\\r\\n`` lines)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(document.tables(), 1):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow([c.label for c in table.columns])
            for row in table.rows:
                writer.writerow([_value(v, c.unit) for v, c in zip(row, table.columns, strict=True)])
            archive.writestr(file_name(number, table.title), text.getvalue())
    return buffer.getvalue()


def _value(value: Cell, unit: str | None) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return "" if value is None else exact(value, unit or "number")
