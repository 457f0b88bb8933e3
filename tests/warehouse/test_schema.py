"""Every writable open ensures the warehouse's schema: whatever is missing — a schema, a table,
a view — is made again with the shape a new warehouse has, the data beside it untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse

CATALOGUE = """
SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
WHERE table_catalog = current_database() ORDER BY ALL
"""
SCHEMAS = (
    "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database() ORDER BY 1"
)


def shape(wh: Warehouse) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every column of every table and view, and every schema."""
    return wh.rows(CATALOGUE), wh.rows(SCHEMAS)


@pytest.fixture
def made(tmp_path: Path) -> tuple[Project, object]:
    """A new project's warehouse, a row of data in it, and the shape it was made with."""
    project = Project(tmp_path / "shop")
    project.init()
    with project.warehouse() as wh:
        wh.run("INSERT INTO meta.refreshes VALUES (7, NULL, NULL, 3, NULL)")
        return project, shape(wh)


@pytest.mark.parametrize(
    "drop",
    [
        "DROP TABLE quarantine.order_lines",
        "DROP VIEW raw.customers",
        "DROP TABLE core.fact_review CASCADE",
        "DROP SCHEMA marts",
        "DROP TABLE meta.loads",
    ],
)
def test_what_is_missing_is_made_again_at_the_next_writable_open(
    made: tuple[Project, object], drop: str
) -> None:
    project, new = made
    with project.warehouse() as wh:
        wh.run(drop)
        assert shape(wh) != new
    with project.warehouse(read_only=True) as wh:  # reading makes nothing
        assert shape(wh) != new
    with project.warehouse() as wh:
        assert shape(wh) == new
        assert wh.rows("SELECT refresh_id, data_version FROM meta.refreshes") == [(7, 3)]
