"""Loading hand-made files: every rule, duplicates, idempotence, incremental loads, placeholders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bizsight.console import NullReporter
from bizsight.services.ingest import IngestSummary
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, customers, order, write_csv
from tests.ingest.ingest_support import quarantine

Load = Callable[..., IngestSummary]


def snapshot(project: Project) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every warehouse table, for before/after comparisons."""
    with project.warehouse(read_only=True) as wh:
        tables = wh.rows(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"
        )
        return {f"{s}.{t}": sorted(wh.rows(f'SELECT * FROM "{s}"."{t}"'), key=repr) for s, t in tables}


def test_each_rule_quarantines_its_row_and_clean_rows_load(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    rows = [
        order("O1"),  # line 2: clean
        order("O2", date="2024-02-30"),  # 3: invalid_date
        order("O3", quantity="two"),  # 4: invalid_number
        order("O4", quantity=-2),  # 5: negative_quantity
        order("O5", quantity=-2, status="refunded", total="-20.00"),  # 6: a credit note: loads
        order("O6", customer="C404"),  # 7: unknown_customer
        order("O7", product="P404"),  # 8: unknown_product
        order("O8", status="shipped"),  # 9: invalid_value
        order(
            "",
        ),  # 10: missing_required
        order("O9", price="-1.00"),  # 11: out_of_range
        order("O1", quantity=3),  # 12: duplicate_key
        order("O10", price="$1,010.00", date="03/15/2024 09:30"),  # 13: clean after cleaning
    ]
    path = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    result = load(*dims, path).results[-1]
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (12, 3, 9, 0)
    found = [(line, rule, field) for line, rule, field, _ in quarantine(project, "order_lines")]
    assert found == [
        (3, "invalid_date", "order_date"),
        (4, "invalid_number", "quantity"),
        (5, "negative_quantity", "quantity"),
        (7, "unknown_customer", "customer_id"),
        (8, "unknown_product", "product_id"),
        (9, "invalid_value", "status"),
        (10, "missing_required", "order_id"),
        (11, "out_of_range", "unit_price"),
        (12, "duplicate_key", "order_id+product_id"),
    ]
    reasons = {rule: reason for _, rule, _, reason in quarantine(project, "order_lines")}
    assert reasons["invalid_number"] == "line 4: quantity 'two': expected a whole number"
    assert reasons["unknown_customer"] == "line 7: customer_id 'C404' is not a known customer"
    assert (
        reasons["invalid_value"] == "line 9: status 'shipped': expected one of completed, refunded, cancelled"
    )
    with project.warehouse(read_only=True) as wh:
        loaded = wh.rows(
            "SELECT order_id, unit_price, order_ts::VARCHAR FROM core.fact_order_line ORDER BY 1"
        )
        kept = wh.scalar("SELECT quantity FROM quarantine.order_lines WHERE _rule = 'invalid_number'")
    assert loaded == [
        ("O1", Decimal("10"), "2024-02-01 10:00:00"),
        ("O10", Decimal("1010"), "2024-03-15 09:30:00"),
        ("O5", Decimal("10"), "2024-02-01 10:00:00"),
    ]
    assert kept == "two"  # the rejected row keeps its original text: nothing is lost


def test_exact_and_resent_duplicates_are_skipped_and_counted(
    tmp_path: Path, dims: list[Path], load: Load
) -> None:
    rows = [
        order("O1"),
        order("O1"),  # byte-identical
        order("O2", price="10.00"),
        [
            "  O2 ",
            "C1",
            "P1",
            "02/01/2024 10:00",
            "1",
            "$10",
            "",
            "0",
            " europe",
            "HOME",
            "online",
            "COMPLETED",
            "usd",
        ],
    ]
    path = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows)
    result = load(*dims, path).results[-1]
    assert result.counts == {
        "insert": 2,
        "update": 0,
        "quarantine": 0,
        "exact_duplicate": 1,
        "resent_duplicate": 1,
    }


def test_loading_the_same_file_twice_changes_nothing(
    dims: list[Path], tmp_path: Path, load: Load, project: Project
) -> None:
    path = write_csv(
        tmp_path / "in" / "sales_transactions.csv",
        ORDER_HEADER,
        [order("O1"), order("O2", quantity=-1)],
    )
    load(*dims, path)
    before = snapshot(project)
    again = load(*dims, path)
    assert [r.already_loaded_as for r in again.results] == [1, 2, 3]
    assert snapshot(project) == before
    # The same rows in another file (a re-export) are re-sent duplicates; the data version stays.
    copy = write_csv(tmp_path / "other" / "orders_copy.csv", ORDER_HEADER, [order("O1")])
    result = load(copy).results[0]
    assert result.counts["resent_duplicate"] == 1 and result.loaded == 0
    with project.warehouse(read_only=True) as wh:
        assert wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'") == 3


def test_incremental_loads_append_and_update_keeping_old_versions_in_raw(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    first = write_csv(tmp_path / "day1" / "sales_transactions.csv", ORDER_HEADER, [order("O1"), order("O2")])
    second = write_csv(
        tmp_path / "day2" / "sales_transactions.csv",
        ORDER_HEADER,
        [order("O2", quantity=5), order("O3")],
    )
    load(*dims, first)
    result = load(second).results[0]
    assert result.counts["insert"] == 1 and result.counts["update"] == 1
    with project.warehouse(read_only=True) as wh:
        core = wh.rows("SELECT order_id, quantity, net_amount FROM core.fact_order_line ORDER BY 1")
        raw = wh.rows("SELECT _load_id, order_id, quantity FROM raw.order_lines ORDER BY 2, 1")
    assert core == [
        ("O1", 1, Decimal("10.00")),
        ("O2", 5, Decimal("50.00")),
        ("O3", 1, Decimal("10.00")),
    ]
    assert raw == [(3, "O1", 1), (3, "O2", 1), (4, "O2", 5), (4, "O3", 1)]
    # A full rebuild from raw gives the same core as the incremental path.
    incremental = snapshot(project)["core.fact_order_line"]
    refresh(project, NullReporter())
    assert snapshot(project)["core.fact_order_line"] == incremental


class Steps(NullReporter):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def advance(self, done: float, total: float, message: str = "") -> None:
        self.messages.append(message)

    def rebuilt(self) -> set[str]:
        return {m for m in self.messages if m.startswith("core.") and "(" not in m}


def test_refresh_rebuilds_only_the_core_tables_a_load_changed(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    """A core table is rebuilt from raw when its entity, or a fact whose placeholders it holds,
    was loaded since the last refresh, or when its definition changed; otherwise it is kept (it
    is what a rebuild would give). Whatever is skipped, core is what a full rebuild gives."""
    load(*dims, write_csv(tmp_path / "day1" / "sales_transactions.csv", ORDER_HEADER, [order("O1")]))
    first = Steps()
    refresh(project, first)
    assert {"core.dim_customer", "core.dim_product", "core.fact_order_line"} <= first.rebuilt()
    again = Steps()
    refresh(project, again)
    assert again.rebuilt() == set()
    assert "core.fact_order_line (no load since the last refresh)" in again.messages
    load(write_csv(tmp_path / "day2" / "sales_transactions.csv", ORDER_HEADER, [order("O1", quantity=4)]))
    incremental = snapshot(project)
    after_load = Steps()
    refresh(project, after_load)
    assert after_load.rebuilt() == {"core.fact_order_line", "core.dim_customer", "core.dim_product"}
    rebuilt = snapshot(project)
    assert all(rebuilt[name] == incremental[name] for name in rebuilt if name.startswith("core.fact"))
    with project.warehouse() as wh:  # a definition of core that changed (a new version of bizsight)
        wh.run("UPDATE meta.state SET value = 0 WHERE key = 'core:order_lines'")
    changed = Steps()
    refresh(project, changed)
    assert changed.rebuilt() == {"core.fact_order_line"}
    assert snapshot(project)["core.fact_order_line"] == rebuilt["core.fact_order_line"]


def test_money_semantics_of_refunds_credit_notes_and_cancellations(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    rows = [
        order("O1", quantity=2, price="10.00", discount="2.00"),  # sale
        order("O2", quantity=1, price="10.00", status="refunded"),  # sold then refunded
        order("O3", quantity=-1, price="10.00", status="refunded", total="-10.00"),  # credit note
        order("O4", quantity=3, price="10.00", status="cancelled"),  # never fulfilled
    ]
    load(*dims, write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, rows))
    with project.warehouse(read_only=True) as wh:
        amounts = wh.rows(
            "SELECT order_id, gross_amount, discount_amount, refund_amount, net_amount "
            "FROM core.fact_order_line ORDER BY 1"
        )
    d = Decimal
    assert amounts == [
        ("O1", d("20.00"), d("2.00"), d("0.00"), d("18.00")),
        ("O2", d("10.00"), d("0.00"), d("10.00"), d("0.00")),
        ("O3", d("0.00"), d("0.00"), d("10.00"), d("-10.00")),
        ("O4", d("0.00"), d("0.00"), d("0.00"), d("0.00")),
    ]
    for _, gross, discount, refund, net in amounts:
        assert gross - discount - refund == net


def test_orders_without_a_customer_file_create_placeholders_that_a_later_file_replaces(
    tmp_path: Path, load: Load, project: Project
) -> None:
    orders = write_csv(
        tmp_path / "in" / "sales_transactions.csv",
        ORDER_HEADER,
        [order("O1", customer="C1", product="P1"), order("O2", customer="C2", product="P1")],
    )
    result = load(orders).results[0]
    assert result.loaded == 2 and result.placeholders == 3  # C1, C2, P1
    with project.warehouse(read_only=True) as wh:
        assert wh.rows("SELECT customer_id, region, is_placeholder FROM core.dim_customer ORDER BY 1") == [
            ("C1", "Europe", True),
            ("C2", "Europe", True),
        ]
    load(write_csv(tmp_path / "in2" / "customer_database.csv", CUSTOMER_HEADER, customers(1)))
    with project.warehouse(read_only=True) as wh:
        assert wh.rows(
            "SELECT customer_id, customer_name, is_placeholder FROM core.dim_customer ORDER BY 1"
        ) == [("C1", "Name 1", False), ("C2", None, True)]
    # Now that customers have been loaded, an unknown customer is quarantined (policy auto).
    late = write_csv(tmp_path / "in3" / "sales_transactions.csv", ORDER_HEADER, [order("O3", customer="C9")])
    assert load(late).results[0].quality["quarantined_by_rule"] == {"unknown_customer": 1}


def test_missing_dimensions_quarantine_policy(tmp_path: Path, project: Project, load: Load) -> None:
    project.init()
    project.paths.config_file.write_text("missing_dimensions: quarantine\n")
    orders = write_csv(tmp_path / "in" / "sales_transactions.csv", ORDER_HEADER, [order("O1")])
    assert load(orders).results[0].quality["quarantined_by_rule"] == {"unknown_customer": 1}


def test_categorical_spelling_is_unified_to_the_most_frequent(
    tmp_path: Path, load: Load, project: Project
) -> None:
    rows = [
        [f"C{i}", "n", "e", "2024-01-01", "Consumer", region, "Germany", "Email"]
        for i, region in enumerate(
            ["Europe", "Europe", " europe ", "EUROPE", "Asia Pacific", "asia  pacific"]
        )
    ]
    load(write_csv(tmp_path / "in" / "customer_database.csv", CUSTOMER_HEADER, rows))
    with project.warehouse(read_only=True) as wh:
        regions = wh.rows("SELECT region, count(*) FROM core.dim_customer GROUP BY 1 ORDER BY 1")
    # Case and surrounding space are unified; inner spacing is a different spelling and kept.
    assert regions == [("Asia Pacific", 1), ("Europe", 4), ("asia  pacific", 1)]


@pytest.mark.parametrize(
    "policy_file",
    ["timezone: Mars/Base\n", "date_ordr: DMY\n", "sources:\n  - path: x\n    colums: {}\n"],
)
def test_bad_settings_are_reported_with_the_key(
    tmp_path: Path, project: Project, policy_file: str, dims: list[Path], load: Load
) -> None:
    from bizsight.errors import ConfigError

    project.init()
    project.paths.config_file.write_text(policy_file)
    with pytest.raises(ConfigError) as err:
        load(*dims)
    message = str(err.value)
    assert "bizsight.yml" in message
    if "ordr" in policy_file:
        assert "did you mean 'date_order'" in message
    if "colums" in policy_file:
        assert "did you mean 'columns'" in message


def test_nested_setting_typos_get_a_suggestion(project: Project, dims: list[Path], load: Load) -> None:
    from bizsight.errors import ConfigError

    project.init()
    project.paths.config_file.write_text("engine: spark\nspark:\n  mastr: local[2]\n")
    with pytest.raises(ConfigError, match=r"unknown key 'spark.mastr' \(did you mean 'master'\?\)"):
        load(*dims)
