"""Core is the only copy of each key's current version (decision 0058): raw keeps the versions
a later load replaced, ``raw.<entity>`` shows them all, and a warehouse made before that is
converted when it is opened for writing, losing nothing."""

from __future__ import annotations

from pathlib import Path

from bizsight.console import NullReporter
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from bizsight.warehouse.model import ENTITIES
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, customers, order, write_csv
from tests.ingest.test_load import Load, snapshot


def versions(project: Project) -> dict[str, list[tuple[object, ...]]]:
    """Every table and every raw view, row by row."""
    with project.warehouse(read_only=True) as wh:
        views = {
            f"raw.{e.name}": sorted(wh.rows(f'SELECT * FROM raw."{e.name}"'), key=repr) for e in ENTITIES
        }
    return snapshot(project) | views


def loaded_twice(tmp_path: Path, dims: list[Path], load: Load) -> None:
    """Day 1: customers, and order lines whose products become placeholders (no product file
    yet). Day 2: C1 renamed, the products (replacing the placeholders), O2 updated, O3 new."""
    customer_file, product_file = dims
    day1 = write_csv(tmp_path / "day1" / "sales_transactions.csv", ORDER_HEADER, [order("O1"), order("O2")])
    load(customer_file, day1)
    renamed = [["C1", "Ada Byron", *customers()[0][2:]]]
    load(
        write_csv(tmp_path / "day2" / "customer_database.csv", CUSTOMER_HEADER, renamed),
        product_file,
        write_csv(
            tmp_path / "day2" / "sales_transactions.csv", ORDER_HEADER, [order("O2", quantity=5), order("O3")]
        ),
    )


def test_raw_keeps_what_core_does_not_hold_and_its_view_every_version(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    loaded_twice(tmp_path, dims, load)
    with project.warehouse(read_only=True) as wh:  # _line: the row of the file, from 0
        assert wh.rows("SELECT _load_id, _line, order_id, quantity FROM raw.order_lines_superseded") == [
            (2, 1, "O2", 1)
        ]
        assert wh.rows("SELECT _load_id, _line, order_id, quantity FROM raw.order_lines ORDER BY 3, 1") == [
            (2, 0, "O1", 1),
            (2, 1, "O2", 1),
            (5, 0, "O2", 5),
            (5, 1, "O3", 1),
        ]
        assert wh.rows("SELECT _load_id, _line, order_id FROM core.fact_order_line ORDER BY 3") == [
            (2, 0, "O1"),
            (5, 0, "O2"),
            (5, 1, "O3"),
        ]
        # C1's old name is a superseded version; the placeholder products were never loaded, so
        # nothing of them went to raw.
        assert wh.rows("SELECT customer_id, customer_name FROM raw.customers_superseded") == [
            ("C1", "Name 1")
        ]
        assert wh.rows(
            "SELECT customer_name FROM raw.customers WHERE customer_id = 'C1' ORDER BY _load_id"
        ) == [
            ("Name 1",),
            ("Ada Byron",),
        ]
        assert wh.rows("SELECT count(*) FROM raw.products_superseded") == [(0,)]
        assert wh.rows("SELECT product_id, _load_id FROM raw.products ORDER BY 1") == [("P1", 4), ("P2", 4)]
    # A rebuild of core from the view is the core that the loads made.
    before = versions(project)
    refresh(project, NullReporter())
    after = versions(project)
    assert {name: after[name] for name in before if name.startswith(("raw.", "core."))} == {
        name: rows for name, rows in before.items() if name.startswith(("raw.", "core."))
    }


def test_a_placeholder_is_in_core_only(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    load(dims[0], write_csv(tmp_path / "day1" / "sales_transactions.csv", ORDER_HEADER, [order("O1")]))
    with project.warehouse(read_only=True) as wh:
        assert wh.rows("SELECT product_id, is_placeholder FROM core.dim_product") == [("P1", True)]
        assert wh.rows("SELECT count(*) FROM raw.products") == [(0,)]


def downgrade(project: Project) -> None:
    """The warehouse as bizsight made it before decision 0058 (schema version 1): ``raw.<entity>``
    a table of every version, core without ``_line``."""
    with project.warehouse() as wh:
        for entity in ENTITIES:
            name, core = entity.name, f"core.{entity.core_table}"
            wh.run(f'CREATE TABLE raw."{name}_all" AS SELECT * FROM raw."{name}"')
            wh.run(f'DROP VIEW raw."{name}"')
            wh.run(f'DROP TABLE raw."{name}_superseded"')
            wh.run(f'ALTER TABLE raw."{name}_all" RENAME TO "{name}"')
            wh.run(f"ALTER TABLE {core} DROP COLUMN _line")
        wh.run("UPDATE meta.state SET value = 1 WHERE key = 'schema_version'")


def test_a_warehouse_made_before_is_converted_when_opened_for_writing(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    loaded_twice(tmp_path, dims, load)
    expected = versions(project)
    downgrade(project)
    with project.warehouse(read_only=True) as wh:  # reading converts nothing
        assert wh.scalar("SELECT value FROM meta.state WHERE key = 'schema_version'") == 1
        assert wh.scalar("SELECT count(*) FROM raw.order_lines") == 4
    with project.warehouse() as wh:
        assert wh.scalar("SELECT value FROM meta.state WHERE key = 'schema_version'") == 2
    assert versions(project) == expected
    # It loads, updates and refreshes as a new one does.
    again = write_csv(tmp_path / "day3" / "sales_transactions.csv", ORDER_HEADER, [order("O1", quantity=2)])
    assert load(again).results[0].counts["update"] == 1
    refresh(project, NullReporter())
    with project.warehouse(read_only=True) as wh:
        assert wh.rows("SELECT order_id, quantity FROM raw.order_lines_superseded ORDER BY 1, 2") == [
            ("O1", 1),
            ("O2", 1),
        ]
        assert wh.rows("SELECT order_id, quantity FROM core.fact_order_line ORDER BY 1") == [
            ("O1", 2),
            ("O2", 5),
            ("O3", 1),
        ]


def test_a_key_with_an_empty_part_is_replaced_and_kept_as_superseded(
    tmp_path: Path, load: Load, project: Project
) -> None:
    header = ["date", "channel", "campaign", "spend", "impressions", "clicks", "signups"]
    day1 = [
        ["2024-03-01", "Email", "", "10.00", "100", "5", "1"],
        ["2024-03-01", "Email", "Spring", "20.00", "", "", ""],
    ]
    day2 = [["2024-03-01", "Email", "", "12.00", "100", "5", "1"]]
    load(write_csv(tmp_path / "day1" / "marketing_spend.csv", header, day1))
    result = load(write_csv(tmp_path / "day2" / "marketing_spend.csv", header, day2)).results[0]
    assert (result.counts["insert"], result.counts["update"]) == (0, 1)
    with project.warehouse(read_only=True) as wh:
        assert wh.rows("SELECT campaign, spend FROM core.fact_marketing_spend ORDER BY 1 NULLS FIRST") == [
            (None, 12),
            ("Spring", 20),
        ]
        assert wh.rows("SELECT campaign, spend, _load_id FROM raw.marketing_spend_superseded") == [
            (None, 10, 1)
        ]
        assert wh.scalar("SELECT count(*) FROM raw.marketing_spend") == 3
