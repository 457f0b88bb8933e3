"""Exports: query results, drill-down rows and customer lists as CSV, XLSX or Parquet, written
batch by batch so a large result streams out without being held twice in memory."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bizsight.errors import InvalidArgumentError
from bizsight.metrics.drill import MAX_PAGE_SIZE
from bizsight.metrics.query import Query
from bizsight.presentation import EXCEL_FORMATS
from bizsight.services.access import Principal, scoped_query
from bizsight.services.presentation import Presentation
from bizsight.services.privacy import mask_table
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_drill_down
from bizsight.warehouse.connection import Warehouse

CHUNK = 1 << 16


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {
            "csv": "text/csv; charset=utf-8",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "parquet": "application/vnd.apache.parquet",
        }[self.value]


def drill_batches(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    query: Query,
    metric: str,
    cell: dict[str, object],
    *,
    max_rows: int,
    today: dt.date | None = None,
) -> Iterator[pa.Table]:
    """Every row behind a cell, a page at a time, within the caller's restrictions."""
    scoped = scoped_query(principal, query, catalogue(project))
    page, sent = 1, 0
    while sent < max_rows:
        size = min(MAX_PAGE_SIZE, max_rows - sent)
        batch = run_drill_down(project, scoped, metric, cell, page=page, page_size=size, today=today, wh=wh)
        if batch.num_rows:
            yield mask_table(principal, batch)
        sent += batch.num_rows
        if batch.num_rows < size:
            return
        page += 1


def encode(
    batches: Iterable[pa.Table], fmt: ExportFormat, pres: Presentation, units: Mapping[str, str] | None = None
) -> Iterator[bytes]:
    """The bytes of the file, in chunks, as the batches arrive: values exact (money to the cent,
    no float noise); CSV and XLSX headed by the columns' labels, XLSX numbers typed and formatted
    in their unit; Parquet keeps the column names (a file for programs)."""
    if units:
        pres = pres.with_units(units)
    exact = (pres.exact_table(batch) for batch in batches)
    if fmt is ExportFormat.PARQUET:
        return _parquet(exact)
    labelled = (batch.rename_columns(_headers(batch.column_names, pres)) for batch in exact)
    return _csv(labelled) if fmt is ExportFormat.CSV else _xlsx(exact, pres)


def _headers(columns: list[str], pres: Presentation) -> list[str]:
    """Labels, with the column name after a label two columns share."""
    labels = [pres.label(c) for c in columns]
    return [
        f"{label} ({c})" if labels.count(label) > 1 else label
        for label, c in zip(labels, columns, strict=True)
    ]


def parse_format(text: str) -> ExportFormat:
    try:
        return ExportFormat(text.lower())
    except ValueError:
        raise InvalidArgumentError(f"unknown export format '{text}'; use csv, xlsx or parquet") from None


class _Pipe(io.RawIOBase):
    """A write-only file whose written bytes are taken out as they come."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


def _csv(batches: Iterable[pa.Table]) -> Iterator[bytes]:
    first = True
    for batch in batches:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=first))
        first = False
        yield sink.getvalue().to_pybytes()


def _parquet(batches: Iterable[pa.Table]) -> Iterator[bytes]:
    pipe = _Pipe()
    sink = pa.PythonFile(pipe, mode="w")
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    for batch in batches:
        if writer is None or schema is None:
            schema = batch.schema
            writer = pq.ParquetWriter(sink, schema)
        writer.write_table(batch if batch.schema == schema else batch.cast(schema))
        if data := pipe.take():
            yield data
    if writer is None:
        writer = pq.ParquetWriter(sink, pa.schema([]))
    writer.close()
    yield pipe.take()


def _xlsx(batches: Iterable[pa.Table], pres: Presentation) -> Iterator[bytes]:
    """XLSX is a zip written at the end: rows go to a temporary file (constant memory), which
    then streams out."""
    import xlsxwriter

    with tempfile.TemporaryFile() as handle:
        book = xlsxwriter.Workbook(handle, {"constant_memory": True, "remove_timezone": True})
        sheet = book.add_worksheet("data")
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        by_unit = {unit: book.add_format({"num_format": code}) for unit, code in EXCEL_FORMATS.items()}
        row = 0
        for batch in batches:
            if row == 0:
                sheet.write_row(0, 0, _headers(batch.column_names, pres))
                row = 1
            styles = [by_unit.get(pres.names.unit(c) or "") for c in batch.column_names]
            for record in batch.to_pylist():
                for column, value in enumerate(record.values()):
                    _cell(sheet, row, column, value, dates, styles[column])
                row += 1
        book.close()
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def _cell(sheet: Any, row: int, column: int, value: object, dates: Any, style: Any) -> None:
    if isinstance(value, dt.datetime | dt.date):
        sheet.write_datetime(row, column, value, dates)
    elif isinstance(value, Decimal):  # money: a number in Excel (double precision is plenty there)
        sheet.write_number(row, column, float(value), style)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, column, value, style)
    elif value is None:
        sheet.write_blank(row, column, None)
    else:
        sheet.write_string(row, column, str(value))  # never a formula, whatever the text says
