"""Warehouse schemas and tables, derived from the canonical model.

``raw``        every accepted version of every row, typed, with its load and source line
``quarantine`` rejected rows as text, with the rule, the field and a readable reason
``core``       the current star schema (dims + facts) and derived tables
``marts``      analytics outputs (later issues)
``meta``       loads, state (data version), refreshes
"""

from __future__ import annotations

from sqlglot import exp

from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import ENTITIES, Entity
from bizsight.warehouse.sql import ident, table
from bizsight.warehouse.transforms import core_select

SCHEMA_VERSION = 1
SCHEMAS = ("raw", "quarantine", "core", "marts", "meta")

_META = """
CREATE TABLE IF NOT EXISTS meta.loads (
  load_id INTEGER PRIMARY KEY, entity VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
  file_bytes BIGINT, format VARCHAR, preset VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
  rows_read BIGINT, inserted BIGINT, updated BIGINT, quarantined BIGINT, exact_duplicates BIGINT,
  resent_duplicates BIGINT, placeholders BIGINT, data_version BIGINT, quality JSON);
CREATE TABLE IF NOT EXISTS meta.state (key VARCHAR PRIMARY KEY, value BIGINT);
CREATE TABLE IF NOT EXISTS meta.refreshes (
  refresh_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
  data_version BIGINT, tables JSON);
"""


def raw_columns(entity: Entity) -> list[exp.ColumnDef]:
    return [
        _column_def("_load_id", "INTEGER"),
        _column_def("_line", "BIGINT"),
        _column_def("_row_hash", "UBIGINT"),
        *(_column_def(column.name, column.sql_type) for column in entity.columns),
    ]


def quarantine_columns(entity: Entity) -> list[exp.ColumnDef]:
    meta = [
        ("_load_id", "INTEGER"),
        ("_source_file", "VARCHAR"),
        ("_line", "BIGINT"),
        ("_rule", "VARCHAR"),
        ("_field", "VARCHAR"),
        ("_reason", "VARCHAR"),
    ]
    return [_column_def(name, kind) for name, kind in meta] + [
        _column_def(column.name, "VARCHAR") for column in entity.columns
    ]


def ensure_schema(wh: Warehouse) -> None:
    """Create whatever is missing; existing tables and data are left alone."""
    for schema in SCHEMAS:
        wh.run(exp.Create(this=exp.Table(this=ident(schema)), kind="SCHEMA", exists=True))
    for statement in _META.split(";"):
        if statement.strip():
            wh.run(statement)
    wh.run(
        "INSERT INTO meta.state VALUES ('data_version', 0), ('refreshed_version', 0), "
        "('schema_version', ?) ON CONFLICT DO NOTHING",
        [SCHEMA_VERSION],
    )
    for entity in ENTITIES:
        for schema, columns in (
            ("raw", raw_columns(entity)),
            ("quarantine", quarantine_columns(entity)),
        ):
            wh.run(_create_table(table(schema, entity.name), columns))
        if not wh.table_exists("core", entity.core_table):
            # The core table takes its shape from the transform itself: one definition.
            empty = core_select(entity, table("raw", entity.name)).limit(0)
            wh.run(exp.Create(this=table("core", entity.core_table), kind="TABLE", expression=empty))


def _column_def(name: str, sql_type: str) -> exp.ColumnDef:
    return exp.ColumnDef(this=ident(name), kind=exp.DataType.build(sql_type, dialect="duckdb"))


def _create_table(target: exp.Table, columns: list[exp.ColumnDef]) -> exp.Create:
    return exp.Create(this=exp.Schema(this=target, expressions=columns), kind="TABLE", exists=True)
