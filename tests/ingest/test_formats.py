"""Every input format, sniffed delimiters and encodings, and the UCI presets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from bizsight.errors import InputFileError
from bizsight.services.ingest import IngestSummary
from bizsight.services.project import Project
from tests.helpers import ORDER_HEADER, order, write_csv

Load = Callable[..., IngestSummary]
ROWS = [order("O1"), order("O2", quantity="abc"), order("O3", price="1,234.50"), order("O1")]


def orders_in(project: Project) -> list[tuple[object, ...]]:
    with project.warehouse(read_only=True) as wh:
        return wh.rows("SELECT order_id, quantity, unit_price::VARCHAR FROM core.fact_order_line ORDER BY 1")


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate([header, *rows]):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    return path


def write_via_duckdb(path: Path, header: list[str], rows: list[list[object]], fmt: str) -> Path:
    csv_path = write_csv(path.with_suffix(".src.csv"), header, rows)
    copy = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT json)"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true)) TO '{path}' {copy}")
    csv_path.unlink()
    return path


@pytest.mark.parametrize("kind", ["csv", "semicolon", "tsv", "latin1", "utf16", "xlsx", "parquet", "jsonl"])
def test_each_format_loads_the_same_rows(
    kind: str, tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    target = tmp_path / "in" / "sales_transactions"
    if kind == "csv":
        path = write_csv(target.with_suffix(".csv"), ORDER_HEADER, ROWS)
    elif kind == "semicolon":
        path = write_csv(target.with_suffix(".csv"), ORDER_HEADER, ROWS, delimiter=";")
    elif kind == "tsv":
        path = write_csv(target.with_suffix(".tsv"), ORDER_HEADER, ROWS, delimiter="\t")
    elif kind in ("latin1", "utf16"):
        rows = [[*row[:-3], "Café Online", *row[-2:]] for row in ROWS]  # channel with an accent
        path = write_csv(
            target.with_suffix(".csv"),
            ORDER_HEADER,
            rows,
            encoding="latin-1" if kind == "latin1" else "utf-16",
        )
    elif kind == "xlsx":
        path = write_xlsx(target.with_suffix(".xlsx"), ORDER_HEADER, ROWS)
    else:
        path = write_via_duckdb(target.with_suffix("." + kind), ORDER_HEADER, ROWS, kind)
    result = load(*dims, path).results[-1]
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (4, 2, 1, 1)
    assert orders_in(project) == [("O1", 1, "10.0000"), ("O3", 1, "1234.5000")]
    line = result.quality["examples"]["invalid_number"][0]
    # Where a person finds the row: the file line (after the header), the sheet row, the row index.
    expected = {"xlsx": "row 3:", "parquet": "row 2:", "jsonl": "line 2:"}.get(kind, "line 3:")
    assert line.startswith(expected)
    if kind in ("latin1", "utf16"):
        with project.warehouse(read_only=True) as wh:
            assert wh.scalar("SELECT DISTINCT channel FROM core.fact_order_line") == "Café Online"


UCI_HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
UCI_ROWS: list[list[object]] = [
    [
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        6,
        "12/1/2010 8:26",
        2.55,
        17850.0,
        "United Kingdom",
    ],
    [
        "536365",
        "71053",
        "WHITE METAL LANTERN",
        6,
        "12/1/2010 8:26",
        3.39,
        17850.0,
        "United Kingdom",
    ],
    ["C536379", "D", "Discount", -1, "12/1/2010 9:41", 27.5, 14527.0, "United Kingdom"],
    ["536414", "22139", "", 56, "12/1/2010 11:52", 0, "", "United Kingdom"],
    ["536415", "22139", "RETROSPOT TEA SET", 6, "13/13/2010 11:52", 4.95, 12583.0, "France"],
    ["536416", "22139", "RETROSPOT TEA SET", 6, "12/13/2010 11:52", 4.95, 12583.0, "France"],
]


@pytest.mark.parametrize("as_excel", [False, True])
def test_uci_online_retail_preset_under_any_file_name(
    as_excel: bool, tmp_path: Path, load: Load, project: Project
) -> None:
    name = tmp_path / "in" / "Online Retail"
    path = (
        write_xlsx(name.with_suffix(".xlsx"), UCI_HEADER, UCI_ROWS)
        if as_excel
        else write_csv(name.with_suffix(".csv"), UCI_HEADER, UCI_ROWS)
    )
    result = load(path).results[0]
    assert result.entity == "order_lines" and result.quality["preset"] == "uci_online_retail"
    # The guest line without CustomerID is quarantined; 13/13/2010 is no date.
    assert result.quality["quarantined_by_rule"] == {"missing_required": 1, "invalid_date": 1}
    with project.warehouse(read_only=True) as wh:
        lines = wh.rows(
            "SELECT order_id, customer_id, status, net_amount::VARCHAR, refund_amount::VARCHAR, "
            "order_ts::VARCHAR FROM core.fact_order_line ORDER BY 1, 4"
        )
        products = wh.rows("SELECT product_id, product_name, is_placeholder FROM core.dim_product ORDER BY 1")
        customers = wh.rows("SELECT customer_id, country FROM core.dim_customer ORDER BY 1")
    assert lines == [
        ("536365", "17850", "completed", "15.30", "0.00", "2010-12-01 08:26:00"),
        ("536365", "17850", "completed", "20.34", "0.00", "2010-12-01 08:26:00"),
        ("536416", "12583", "completed", "29.70", "0.00", "2010-12-13 11:52:00"),
        ("C536379", "14527", "refunded", "-27.50", "27.50", "2010-12-01 09:41:00"),
    ]
    assert products == [
        ("22139", "RETROSPOT TEA SET", True),
        ("71053", "WHITE METAL LANTERN", True),
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", True),
        ("D", "Discount", True),
    ]
    assert customers == [
        ("12583", "France"),
        ("14527", "United Kingdom"),
        ("17850", "United Kingdom"),
    ]


def test_mapping_in_settings_renames_and_ignores_columns(
    tmp_path: Path, project: Project, load: Load, dims: list[Path]
) -> None:
    header = ["Order Number", *ORDER_HEADER[1:], "internal_note"]
    path = write_csv(tmp_path / "in" / "export_2024.csv", header, [[*order("O1"), "x"]])
    project.init()
    project.paths.config_file.write_text(
        "sources:\n  - path: export_*.csv\n    entity: order_lines\n"
        "    columns: {Order Number: order_id}\n    ignore_columns: [internal_note]\n"
    )
    assert load(*dims, path).results[-1].loaded == 1


def test_unknown_columns_stop_before_anything_loads(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    header = [*ORDER_HEADER[:1], "custmer_id", *ORDER_HEADER[2:]]
    bad = write_csv(tmp_path / "in" / "sales_transactions.csv", header, [order("O1")])
    with pytest.raises(InputFileError) as err:
        load(*dims, bad)
    assert "unknown column 'custmer_id'" in str(err.value) and "did you mean 'customer_id'" in str(err.value)
    with project.warehouse(read_only=True) as wh:  # the good files were not loaded either
        assert wh.scalar("SELECT count(*) FROM meta.loads") == 0


def test_a_directory_skips_files_it_cannot_place(tmp_path: Path, dims: list[Path], load: Load) -> None:
    (tmp_path / "in" / "notes.md").write_text("hello")
    (tmp_path / "in" / "ground_truth.json").write_text(json.dumps({"a": 1}))
    summary = load(tmp_path / "in")
    assert [r.entity for r in summary.results] == ["customers", "products"]
    assert sorted(p.name for p in summary.skipped) == ["ground_truth.json", "notes.md"]


def test_uci_dates_are_month_first_and_a_day_first_date_is_quarantined(
    tmp_path: Path, load: Load, project: Project
) -> None:
    rows = [
        ["536365", "85123A", "HOLDER", 6, "12/1/2010 8:26", 2.55, 17850, "United Kingdom"],
        ["536366", "85123A", "HOLDER", 6, "13/1/2010 8:26", 2.55, 17850, "United Kingdom"],
    ]
    load(write_csv(tmp_path / "uci.csv", UCI_HEADER, rows))
    with project.warehouse(read_only=True) as wh:
        dates = wh.rows("SELECT order_id, order_date::VARCHAR FROM core.fact_order_line ORDER BY 1")
        rejected = wh.rows("SELECT _line, _rule, _reason FROM quarantine.order_lines")
    # The layout writes dates month first: 12/1/2010 is December, and 13/1/2010 (day first) is
    # not read the other way round on a guess.
    assert dates == [("536365", "2010-12-01")]
    assert rejected == [
        (
            3,
            "mixed_date_order",
            "line 3: order_date '13/1/2010 8:26' is day-first but dates in this file are read "
            "month-first (date_order MDY)",
        )
    ]


def test_settings_date_order_overrides_detection(
    tmp_path: Path, load: Load, project: Project, dims: list[Path]
) -> None:
    project.init()
    project.paths.config_file.write_text("date_order: DMY\n")
    rows = [order("O1", date="03/04/2025"), order("O2", date="04/13/2025")]
    path = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    load(*dims, path)
    with project.warehouse(read_only=True) as wh:
        assert wh.rows("SELECT order_id, order_date::VARCHAR FROM core.fact_order_line") == [
            ("O1", "2025-04-03")
        ]
        # A month-first date is refused, not read the other way round.
        assert wh.scalar("SELECT _reason FROM quarantine.order_lines") == (
            "line 3: order_date '04/13/2025' is month-first but dates in this file are read day-first "
            "(date_order DMY)"
        )
