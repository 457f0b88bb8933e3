"""The typed read (decision 0050) loads what the text path loads: the same rows, values, counts,
quarantine reasons and quality report, for clean files and for files DuckDB rejects rows of."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizsight.console import NullReporter
from bizsight.ingest.loader import LoadResult, load_file
from bizsight.ingest.sources import discover
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, customers, order, products, write_csv

TABLES = ("core.fact_order_line", "raw.order_lines", "quarantine.order_lines")


def load_both(root: Path, *orders: Path) -> tuple[tuple[LoadResult, dict[str, object]], ...]:
    """Load the dimensions, then each of ``orders`` into two new projects: once with the typed
    read, once as text only. Each project's last load's result and the tables."""
    dims = [
        write_csv(root / "dims" / "customer_database.csv", CUSTOMER_HEADER, customers(3)),
        write_csv(root / "dims" / "product_catalog.csv", PRODUCT_HEADER, products(2)),
    ]
    loaded = []
    for typed in (True, False):
        project = Project(root / f"typed-{typed}")
        ingest(project, dims, NullReporter())
        with project.warehouse() as wh:
            for path in orders:
                [(source, _)], _ = discover([path], project.settings, project.root)
                result = load_file(wh, source, project.settings, NullReporter(), typed_read=typed)
            tables = {name: sorted(wh.rows(f"SELECT * FROM {name}"), key=repr) for name in TABLES}
        loaded.append((result, tables))
    return tuple(loaded)


def same_load(fast: tuple[LoadResult, dict[str, object]], text: tuple[LoadResult, dict[str, object]]) -> None:
    assert fast[0].counts == text[0].counts
    assert fast[0].quality == text[0].quality
    assert fast[0].placeholders == text[0].placeholders
    assert fast[1] == text[1]


@pytest.mark.parametrize(("name", "delimiter", "encoding"), [("csv", ",", "utf-8"), ("tsv", "\t", "latin-1")])
def test_a_clean_file_is_read_typed_with_the_values_the_text_path_reads(
    tmp_path: Path, name: str, delimiter: str, encoding: str
) -> None:
    rows = [
        order("O1", quantity="  7 ", price=" 9.5 ", discount="", total="1e1"),
        order("O2", quantity="12.0", price="+5", discount="0.50"),
        order("O3", quantity="1_0", price=".5", date="02/01/2024 10:00", status=" Refunded"),
        order(" O4 ", quantity="-1", price="10.00", total="-10", status="refunded"),
        order("Ö5", price="1.5"),
    ]
    path = tmp_path / "in" / f"sales_transactions.{name}"
    fast, text = load_both(
        tmp_path, write_csv(path, ORDER_HEADER, rows, delimiter=delimiter, encoding=encoding)
    )
    assert fast[0].typed_read and not text[0].typed_read
    assert fast[0].loaded == 5
    same_load(fast, text)


def test_rows_duckdb_rejects_reach_quarantine_with_the_text_paths_reasons(tmp_path: Path) -> None:
    rows = [
        order("O1"),
        order("O2", quantity="two"),  # line 3: no number
        order("O3", quantity="1.5"),  # line 4: a number, not a whole one
        order("O4", price="$1,010.00"),  # a number after cleaning: loads
        order("O5", price="(12.50)"),  # negative after cleaning: out of range
        order("O6", discount="1.234,56"),  # European: loads
        order("O7", quantity=-2),  # parsed, then a rule: negative quantity
    ]
    fast, text = load_both(
        tmp_path, write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    )
    assert not fast[0].typed_read  # rejected rows keep their text: the file is read as text
    same_load(fast, text)
    quarantined = fast[1]["quarantine.order_lines"]
    assert isinstance(quarantined, list)
    reasons = sorted(row[5] for row in quarantined)
    assert reasons == [
        "line 3: quantity 'two': expected a whole number",
        "line 4: quantity '1.5': expected a whole number",
        "line 6: unit_price '(12.50)': expected a value of zero or more",
        "line 8: quantity '-2': expected a positive quantity (negative only when status is refunded)",
    ]
    assert fast[0].loaded == 3


def test_repeated_keys_split_exact_and_resent_duplicates_as_the_text_path_does(tmp_path: Path) -> None:
    rows = [order("O1", price="10.00"), order("O1", price="10.0"), order("O1", price="10.00")]
    fast, text = load_both(
        tmp_path, write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    )
    same_load(fast, text)
    assert (fast[0].counts["exact_duplicate"], fast[0].counts["resent_duplicate"]) == (1, 1)


def test_a_later_file_updates_and_resends_rows_as_the_text_path_does(tmp_path: Path) -> None:
    first = [order("O1"), order("O2"), order("O3", quantity=2)]
    second = [order("O1"), order("O2", quantity=5), order("O3", quantity=" 2.0 "), order("O4")]
    fast, text = load_both(
        tmp_path,
        write_csv(tmp_path / "in" / "first" / "sales_transactions.csv", ORDER_HEADER, first),
        write_csv(tmp_path / "in" / "second" / "sales_transactions.csv", ORDER_HEADER, second),
    )
    assert fast[0].typed_read
    same_load(fast, text)
    assert (fast[0].counts["insert"], fast[0].counts["update"], fast[0].counts["resent_duplicate"]) == (
        1,
        1,
        2,
    )


def test_a_later_file_repeating_a_key_behind_a_resent_row_is_classified_as_the_text_path_does(
    tmp_path: Path,
) -> None:
    """O1's first row in the second file is the warehouse's (re-sent, not written), its second
    has other values: the key repeats although only one of its rows was written."""
    first = [order("O1"), order("O2")]
    second = [order("O1"), order("O3"), order("O1", quantity=4)]
    fast, text = load_both(
        tmp_path,
        write_csv(tmp_path / "in" / "first" / "sales_transactions.csv", ORDER_HEADER, first),
        write_csv(tmp_path / "in" / "second" / "sales_transactions.csv", ORDER_HEADER, second),
    )
    same_load(fast, text)
    assert not fast[0].typed_read
    assert (fast[0].counts["insert"], fast[0].counts["resent_duplicate"], fast[0].quarantined) == (1, 1, 1)


# Where core keeps a column of few texts, and what it makes of one.
FEW_TEXTS = {
    "region": (13, str.strip),
    "status": (16, lambda v: v.strip().lower()),
    "currency": (17, lambda v: v.strip().upper()),
}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("region", " Asia"),
        ("region", "Asia\t"),
        ("region", "\u00a0Asia"),
        ("region", ""),
        ("status", "Refunded "),
        ("currency", " eur"),
    ],
)
def test_few_texts_with_whitespace_around_them_are_trimmed_by_the_typed_read(
    tmp_path: Path, column: str, value: str
) -> None:
    """Columns of few texts (categories, enums, codes) are not trimmed when every text is clean
    (decision 0059): one text with whitespace around it, or an empty one, and the column is
    trimmed as the text path does."""
    rows = [order("O1"), order("O2"), order("O3")]
    rows[1][ORDER_HEADER.index(column)] = value
    fast, text = load_both(
        tmp_path, write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    )
    assert fast[0].typed_read
    same_load(fast, text)
    core = fast[1]["core.fact_order_line"]
    assert isinstance(core, list)
    position, kept = FEW_TEXTS[column]
    assert str(sorted(core)[1][position]) == (kept(value) or "None")  # the row of O2


QUANTITIES = ["1", " 2 ", "3.0", "+4", "1e1", "1_0", "", "two", "1.5", "-2", "(3)", "0012"]
PRICES = ["10.00", " 9.5 ", ".5", "1e2", "$10", "1,010.00", "1.234,56", "12,5", "", "-1", "abc", "EUR 5"]
DISCOUNTS = ["0", "", "0.50", " 1 ", "-5", "1 000"]
DATES = ["2024-02-01 10:00", "2024-02-01", "02/01/2024 10:00", "13/01/2024", "2024-13-45", ""]
STATUSES = ["completed", " Completed", "refunded", "shipped", ""]
CUSTOMERS = ["C1", "C2", " C3", "C999", ""]


@st.composite
def order_rows(draw: st.DrawFn) -> list[list[object]]:
    """Order lines mixing clean values, values only a cleaning pass reads and bad values; some
    files are clean throughout (the typed read keeps them), some repeat an order id."""
    n = draw(st.integers(min_value=1, max_value=12))
    clean = draw(st.booleans())
    pick = (
        (lambda values, good: st.sampled_from(values[:good]))
        if clean
        else (lambda values, _: st.sampled_from(values))
    )
    rows = []
    for i in range(n):
        oid = f"O{i}" if clean else f"O{draw(st.integers(min_value=0, max_value=n))}"
        rows.append(
            order(
                oid,
                draw(pick(CUSTOMERS, 3)),
                "P1",
                date=draw(pick(DATES, 3)),
                quantity=draw(pick(QUANTITIES, 6)),
                price=draw(pick(PRICES, 4)),
                discount=draw(pick(DISCOUNTS, 4)),
                status=draw(pick(STATUSES, 3)),
            )
        )
    return rows


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=order_rows())
def test_typed_and_text_reads_load_the_same_rows(rows: list[list[object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        orders = write_csv(root / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
        fast, text = load_both(root, orders)
        same_load(fast, text)
        assert fast[0].rows_read == len(rows) == fast[0].loaded + fast[0].quarantined + fast[0].duplicates
