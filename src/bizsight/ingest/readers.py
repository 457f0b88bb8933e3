"""Readers: put one input file into a DuckDB table of text columns, one row per data row.

Every reader keeps the file's own headers and row order (DuckDB keeps insertion order, so the
staged table's ``rowid`` minus its smallest ``rowid`` is the data row, from 0), and
reads every value as text, so that cleaning and validation see exactly what the file holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from sqlglot import exp

from bizsight.errors import InputFileError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import ident, lit, template

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]
    first_data_line: int  # line (or sheet row) of the first data row, for messages
    unit: str  # "line" or "row"


CSV = Format("csv", (".csv", ".tsv", ".txt"), 2, "line")
EXCEL = Format("xlsx", (".xlsx", ".xlsm"), 2, "row")
PARQUET = Format("parquet", (".parquet", ".pq"), 1, "row")
JSON_LINES = Format("jsonl", (".jsonl", ".ndjson", ".json"), 1, "line")
FORMATS = (CSV, EXCEL, PARQUET, JSON_LINES)


def format_of(path: Path) -> Format | None:
    suffix = path.suffix.lower()
    return next((fmt for fmt in FORMATS if suffix in fmt.suffixes), None)


def csv_encoding(path: Path) -> str:
    """The DuckDB encoding name for a CSV file, sniffed from its first 64 KiB."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start > len(head) - 4:  # a character cut at the end of the sample
            return "utf-8"
    from charset_normalizer import from_bytes  # only for files that are not UTF-8: slow to import

    best = from_bytes(head).best()
    if best is not None and best.encoding.startswith("utf_16"):
        return "utf-16"
    return "latin-1"


def stage(wh: Warehouse, path: Path, fmt: Format, name: str = "stg") -> list[str]:
    """Read ``path`` into the temporary table ``name`` (all text); returns its headers."""
    try:
        if fmt is EXCEL:
            wh.con.register("_excel_rows", _excel_table(path))
            wh.run(template("CREATE OR REPLACE TEMP TABLE :t AS SELECT * FROM _excel_rows", t=ident(name)))
            wh.con.unregister("_excel_rows")
        else:
            reader = template(_READERS[fmt.name], path=lit(str(path)), encoding=lit(_encoding(path, fmt)))
            wh.run(template("CREATE OR REPLACE TEMP TABLE :t AS :r", t=ident(name), r=reader))
    except (duckdb.Error, OSError, ValueError) as err:
        raise InputFileError(f"{path}: cannot be read as {fmt.name}: {_first_line(err)}") from None
    headers = [row[0] for row in wh.rows(template("DESCRIBE :t", t=ident(name)))]
    if not headers or (
        headers == ["column0"]
        and fmt is CSV
        and wh.scalar(template("SELECT count(*) FROM :t", t=ident(name))) == 0
    ):
        raise InputFileError(f"{path}: the file is empty (expected a header row and data rows)")
    return headers


def stage_typed(wh: Warehouse, path: Path, types: dict[str, str], name: str = "stg") -> bool:
    """Read the CSV file ``path`` into the temporary table ``name`` with a type per header (a
    dict in the file's column order); True when DuckDB read every row that way. Rows it cannot
    read (a value no such type, a broken line) are left out and only counted: the caller then
    stages the file as text instead (:func:`stage`), which keeps every row. Run it outside a
    transaction: a file DuckDB cannot read this way at all returns False too, and a failed
    statement would end the transaction."""
    columns = exp.Struct(
        expressions=[exp.PropertyEQ(this=lit(header), expression=lit(kind)) for header, kind in types.items()]
    )
    reader = template(
        "SELECT * FROM read_csv(:path, header = true, encoding = :encoding, strict_mode = false, "
        "null_padding = true, columns = :columns, store_rejects = true, rejects_table = '_rejects', "
        "rejects_scan = '_reject_scans')",
        path=lit(str(path)),
        encoding=lit(csv_encoding(path)),
        columns=columns,
    )
    try:
        wh.run(template("CREATE OR REPLACE TEMP TABLE :t AS :r", t=ident(name), r=reader))
        rejected = int(wh.scalar("SELECT count(*) FROM _rejects"))
    except (duckdb.Error, OSError, ValueError):
        rejected = -1  # the text reader reports what is wrong with the file
    wh.run("DROP TABLE IF EXISTS _rejects; DROP TABLE IF EXISTS _reject_scans")
    return rejected == 0


_READERS = {
    "csv": "SELECT * FROM read_csv(:path, all_varchar = true, header = true, encoding = :encoding, "
    "strict_mode = false, null_padding = true)",
    "parquet": "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_parquet(:path)",
    "jsonl": "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_json(:path, format = 'auto')",
}


def _encoding(path: Path, fmt: Format) -> str:
    return csv_encoding(path) if fmt is CSV else "utf-8"


def _excel_table(path: Path) -> pa.Table:
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as err:  # calamine raises its own error types
        raise InputFileError(f"{path}: cannot be read as xlsx: {_first_line(err)}") from None
    if not rows:
        raise InputFileError(f"{path}: the first sheet is empty (expected a header row and data rows)")
    headers = [str(value).strip() or f"column{i}" for i, value in enumerate(rows[0])]
    columns = list(zip(*[[_cell_text(value) for value in row] for row in rows[1:]], strict=True)) or [
        ()
    ] * len(headers)
    return pa.table(
        {header: pa.array(values, pa.string()) for header, values in zip(headers, columns, strict=True)}
    )


def _cell_text(value: object) -> str | None:
    """Excel cells as the text a CSV export would hold: 17850.0 → "17850"."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def headers(wh: Warehouse, path: Path, fmt: Format) -> list[str]:
    """The file's column names, read without loading it (for checks before any load starts)."""
    if fmt is EXCEL:
        return list(_excel_table(path).column_names)  # xlsx is read whole; files are small
    query = template(
        "DESCRIBE " + _READERS[fmt.name], path=lit(str(path)), encoding=lit(_encoding(path, fmt))
    )
    try:
        names = [row[0] for row in wh.rows(query)]
    except (duckdb.Error, OSError) as err:
        raise InputFileError(f"{path}: cannot be read as {fmt.name}: {_first_line(err)}") from None
    if not names:
        raise InputFileError(f"{path}: the file is empty (expected a header row and data rows)")
    return names
