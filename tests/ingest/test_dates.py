"""Slash dates are decided once per file and column; a date written the other way is quarantined."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bizsight.services.ingest import IngestSummary
from bizsight.services.project import Project
from tests.helpers import ORDER_HEADER, order, write_csv
from tests.ingest.ingest_support import quarantine

Load = Callable[..., IngestSummary]
DEAL_HEADER = ["deal_id", "stage", "amount", "created_date", "expected_close_date", "closed_date"]


def loaded_dates(project: Project, table: str, key: str, column: str) -> dict[str, str]:
    with project.warehouse(read_only=True) as wh:
        return dict(wh.rows(f"SELECT {key}, {column}::DATE::VARCHAR FROM core.{table}"))


def test_a_day_first_file_reads_ambiguous_dates_day_first_and_quarantines_month_first_ones(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    rows = [
        order("O1", date="13/10/2024"),  # line 2: day first
        order("O2", date="05/10/2024"),  # 3: ambiguous, so the file's way: 5 October
        order("O3", date="10/13/2024 09:30"),  # 4: month first, contradicts the file
        order("O4", date="25/12/2024 18:00"),  # 5: day first
        order("O5", date="2024-11-02"),  # 6: ISO, no order to decide
    ]
    path = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    result = load(*dims, path).results[-1]
    assert (result.rows_read, result.loaded, result.quarantined) == (5, 4, 1)
    assert result.quality["quarantined_by_rule"] == {"mixed_date_order": 1}
    assert loaded_dates(project, "fact_order_line", "order_id", "order_date") == {
        "O1": "2024-10-13",
        "O2": "2024-10-05",
        "O4": "2024-12-25",
        "O5": "2024-11-02",
    }
    assert quarantine(project, "order_lines") == [
        (
            4,
            "mixed_date_order",
            "order_date",
            "line 4: order_date '10/13/2024 09:30' is month-first but this file writes dates "
            "day-first (e.g. '13/10/2024')",
        )
    ]


def test_the_majority_decides_and_the_reason_says_so(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    dates = ["10/13/2024", "11/20/2024", "12/31/2024", "13/10/2024", "25/10/2024", "05/10/2024"]
    rows = [order(f"O{i}", date=date) for i, date in enumerate(dates, start=1)]
    path = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    result = load(*dims, path).results[-1]
    assert (result.loaded, result.quarantined) == (4, 2)
    assert loaded_dates(project, "fact_order_line", "order_id", "order_date")["O6"] == "2024-05-10"
    assert [(line, reason) for line, _, _, reason in quarantine(project, "order_lines")] == [
        (
            5,
            "line 5: order_date '13/10/2024' is day-first but this file writes dates month-first "
            "(e.g. '10/13/2024'; 3 month-first dates against 2 day-first: the majority decides)",
        ),
        (
            6,
            "line 6: order_date '25/10/2024' is day-first but this file writes dates month-first "
            "(e.g. '10/13/2024'; 3 month-first dates against 2 day-first: the majority decides)",
        ),
    ]


def test_each_date_column_is_decided_on_its_own_in_every_entity(
    tmp_path: Path, load: Load, project: Project
) -> None:
    rows = [
        # created_date is day first, closed_date month first, expected_close_date only ambiguous.
        ["D1", "won", "100", "13/10/2024", "01/02/2025", "10/20/2024"],
        ["D2", "won", "100", "05/10/2024", "03/04/2025", "11/15/2024"],
        ["D3", "won", "100", "20/10/2024", "05/06/2025", "25/11/2024"],  # closed day first: refused
    ]
    path = write_csv(tmp_path / "in" / "sales_pipeline.csv", DEAL_HEADER, rows)
    result = load(path).results[-1]
    assert (result.loaded, result.quarantined) == (2, 1)
    assert loaded_dates(project, "fact_deal", "deal_id", "created_date") == {
        "D1": "2024-10-13",
        "D2": "2024-10-05",
    }
    assert loaded_dates(project, "fact_deal", "deal_id", "closed_date") == {
        "D1": "2024-10-20",
        "D2": "2024-11-15",
    }
    # A column with only ambiguous dates keeps the default, month first.
    assert loaded_dates(project, "fact_deal", "deal_id", "expected_close_date") == {
        "D1": "2025-01-02",
        "D2": "2025-03-04",
    }
    assert quarantine(project, "deals") == [
        (
            4,
            "mixed_date_order",
            "closed_date",
            "line 4: closed_date '25/11/2024' is day-first but this file writes dates month-first "
            "(e.g. '10/20/2024')",
        )
    ]
