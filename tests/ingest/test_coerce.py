"""Type coercion on hand-written real-world values, executed in DuckDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from bizsight.config import DateOrder
from bizsight.ingest.coerce import trimmed, typed
from bizsight.warehouse.model import Column, Kind
from bizsight.warehouse.sql import col, render


def coerce(
    kind: Kind, values: list[str | None], order: DateOrder = DateOrder.AUTO, tz: str = "UTC"
) -> list[object]:
    expression = render(typed(Column("x", kind), trimmed(col("x")), order, tz))
    rows = duckdb.sql(
        f"SELECT {expression} FROM (SELECT unnest($v) AS x, generate_subscripts($v, 1) AS i) ORDER BY i",
        params={"v": values},
    ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", "12.5"),
        ("$1,234.50", "1234.5"),
        ("£12.00", "12"),
        ("€ 99.90", "99.9"),
        ("1.234,56", "1234.56"),
        ("12,5", "12.5"),
        ("(12.00)", "-12"),
        ("USD 5", "5"),
        (" 7 ", "7"),
        ("1,000", "1000"),
        ("-3.25", "-3.25"),
        ("abc", None),
        ("12..5", None),
        ("--3", None),
        ("12abc", None),
        ("", None),
        ("1,2,3", None),
    ],
)
def test_money_reads_numbers_as_people_write_them(text: str, expected: str | None) -> None:
    value = coerce(Kind.MONEY, [text])[0]
    assert value == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("1,000", 1000),
        ("12.0", 12),
        ("-4", -4),
        ("12.5", None),
        ("abc", None),
        ("1e3", 1000),
    ],
)
def test_integer_refuses_fractions_instead_of_rounding(text: str, expected: int | None) -> None:
    assert coerce(Kind.INTEGER, [text]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-03-15", dt.datetime(2023, 3, 15)),
        ("2023-03-15 10:04:05", dt.datetime(2023, 3, 15, 10, 4, 5)),
        ("2023-03-15T10:04:05", dt.datetime(2023, 3, 15, 10, 4, 5)),
        ("2023/03/15", dt.datetime(2023, 3, 15)),
        ("15.03.2023", dt.datetime(2023, 3, 15)),
        ("Mar 15, 2023", dt.datetime(2023, 3, 15)),
        ("15 Mar 2023", dt.datetime(2023, 3, 15)),
        ("03/15/2023", dt.datetime(2023, 3, 15)),
        ("12/1/2010 8:26", dt.datetime(2010, 12, 1, 8, 26)),
        ("20230315", dt.datetime(2023, 3, 15)),
        ("2023-02-30", None),
        ("2023-13-01", None),
        ("31/31/2023", None),
        ("not a date", None),
        ("N/A", None),
    ],
)
def test_timestamps_in_mixed_formats(text: str, expected: dt.datetime | None) -> None:
    assert coerce(Kind.TIMESTAMP, [text]) == [expected]


def test_day_first_order_reads_ambiguous_slash_dates_day_first() -> None:
    assert coerce(Kind.DATE, ["03/04/2025", "13/04/2025"], DateOrder.DMY) == [
        dt.date(2025, 4, 3),
        dt.date(2025, 4, 13),
    ]
    assert coerce(Kind.DATE, ["03/04/2025", "04/13/2025"], DateOrder.MDY) == [
        dt.date(2025, 3, 4),
        dt.date(2025, 4, 13),
    ]


def test_offsets_are_converted_to_the_project_time_zone_and_naive_times_kept() -> None:
    values = ["2024-03-31T00:30:00Z", "2024-03-30T23:30:00-01:00", "2024-03-31 00:30:00"]
    assert coerce(Kind.TIMESTAMP, values, tz="Europe/Berlin") == [
        dt.datetime(2024, 3, 31, 1, 30),  # winter time, UTC+1
        dt.datetime(2024, 3, 31, 1, 30),
        dt.datetime(2024, 3, 31, 0, 30),  # naive: already local
    ]
    # A day boundary: 23:30 UTC on the 31st is the 1st of April in Berlin (summer time, UTC+2).
    assert coerce(Kind.DATE, ["2024-03-31T23:30:00Z"], tz="Europe/Berlin") == [dt.date(2024, 4, 1)]


def test_enum_is_case_and_space_insensitive_with_a_default_for_empty() -> None:
    column = Column("status", Kind.ENUM, allowed=("completed", "refunded"), default="completed")
    expression = render(typed(column, trimmed(col("x")), DateOrder.AUTO, "UTC"))
    rows = duckdb.sql(
        f"SELECT {expression} FROM (SELECT unnest(['COMPLETED ', ' Refunded', '', NULL]) AS x)"
    ).fetchall()
    assert [row[0] for row in rows] == ["completed", "refunded", "completed", "completed"]


def test_a_decided_order_reads_slash_dates_that_way_only() -> None:
    # A date written the other way round is no date of the file (the loader says why).
    assert coerce(Kind.DATE, ["04/13/2025", "13/04/2025 10:30"], DateOrder.DMY) == [
        None,
        dt.date(2025, 4, 13),
    ]
    assert coerce(Kind.DATE, ["13/04/2025", "04/13/2025 10:30"], DateOrder.MDY) == [
        None,
        dt.date(2025, 4, 13),
    ]
    # Undecided (no file to decide from), both are tried, month first.
    assert coerce(Kind.DATE, ["13/04/2025", "04/13/2025", "03/04/2025"]) == [
        dt.date(2025, 4, 13),
        dt.date(2025, 4, 13),
        dt.date(2025, 3, 4),
    ]
