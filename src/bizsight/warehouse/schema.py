"""Warehouse schemas and tables, derived from the canonical model.

``raw``        every accepted version of every row, typed, with its load and source line: a view
               of core's current rows and the superseded ones (``raw.<entity>_superseded``)
``quarantine`` rejected rows as text, with the rule, the field and a readable reason
``core``       the current star schema (dims + facts) and derived tables
``marts``      analytics outputs (later issues)
``meta``       loads, state (data version), refreshes
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from sqlglot import exp

from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import BY_NAME, ENTITIES, Entity
from bizsight.warehouse.sql import ident, render, table, template
from bizsight.warehouse.transforms import core_select, raw_view, same_key, superseded_table

# 2: core holds the only copy of current versions, raw.<entity> is a view (decision 0058)
SCHEMA_VERSION = 2
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
    """Create whatever is missing; existing tables and data are left alone, but a warehouse made
    before decision 0058 is converted (:func:`_separate_current_versions`). Every writable open
    calls it: a complete warehouse of this version costs a look at the catalogue and the version."""
    present = _present(wh)
    if _expected() <= present and _version(wh) >= SCHEMA_VERSION:
        return
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
    if int(wh.scalar("SELECT value FROM meta.state WHERE key = 'schema_version'")) < 2:
        with wh.transaction():
            for entity in ENTITIES:
                _separate_current_versions(wh, entity)
            wh.run("UPDATE meta.state SET value = 2 WHERE key = 'schema_version'")
    for entity in ENTITIES:
        ddl = _entity_ddl(entity.name)
        wh.run(ddl.quarantine)
        wh.run(ddl.superseded)
        # ``present`` is from before a conversion, which makes raw views but no core table:
        # a raw view it made is only replaced by the same definition.
        if ("core", entity.core_table) not in present:
            wh.run(ddl.core)
        if ("raw", entity.name) not in present:
            wh.run(ddl.raw_view)


class _EntityDDL(NamedTuple):
    """One entity's statements, rendered once per process (the model is fixed)."""

    quarantine: str
    superseded: str
    core: str  # the core table takes its shape from the transform itself: one definition
    raw_view: str


@cache
def _entity_ddl(name: str) -> _EntityDDL:
    entity = BY_NAME[name]
    empty = core_select(entity, superseded_table(entity)).limit(0)
    return _EntityDDL(
        render(_create_table(table("quarantine", entity.name), quarantine_columns(entity))),
        render(_create_table(superseded_table(entity), raw_columns(entity))),
        render(exp.Create(this=table("core", entity.core_table), kind="TABLE", expression=empty)),
        render(raw_view(entity)),
    )


@cache
def _expected() -> frozenset[tuple[str, str]]:
    """(schema, name) of every schema (name empty) and table or view that ensure_schema makes.

    >>> ("raw", "order_lines") in _expected() and ("marts", "") in _expected()
    True
    """
    meta = re.findall(r"CREATE TABLE IF NOT EXISTS meta\.(\w+)", _META)
    names = {(schema, "") for schema in SCHEMAS} | {("meta", name) for name in meta}
    for entity in ENTITIES:
        superseded = superseded_table(entity)
        names |= {
            ("quarantine", entity.name),
            (superseded.db, superseded.name),
            ("core", entity.core_table),
            ("raw", entity.name),
        }
    return frozenset(names)


def _present(wh: Warehouse) -> set[tuple[str, str]]:
    """(schema, name) of every schema (name empty), table and view of the current database."""
    return set(
        wh.rows(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() "
            "UNION ALL SELECT schema_name, '' FROM information_schema.schemata "
            "WHERE catalog_name = current_database()"
        )
    )


def _version(wh: Warehouse) -> int:
    version = wh.scalar("SELECT value FROM meta.state WHERE key = 'schema_version'")
    return int(version) if version is not None else 0


def _separate_current_versions(wh: Warehouse, entity: Entity) -> None:
    """Convert a warehouse whose ``raw.<entity>`` table holds every version, current ones too:
    core's rows take their source line from raw, raw's table keeps only the versions core does
    not hold (renamed ``raw.<entity>_superseded``) and ``raw.<entity>`` becomes the view."""
    core, raw = table("core", entity.core_table), table("raw", entity.name)
    if not wh.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
        "AND table_name = ? AND table_type = 'BASE TABLE'",
        [entity.name],
    ):
        return
    if wh.table_exists("core", entity.core_table):
        same = _same_version(entity, "c", "r")
        wh.run(
            template(
                "CREATE OR REPLACE TABLE :core AS SELECT c.*, r._line FROM :core AS c "
                "LEFT JOIN :raw AS r ON :same",
                core=core,
                raw=raw,
                same=same,
            )
        )
    wh.run(template("ALTER TABLE :raw RENAME TO :name", raw=raw, name=superseded_table(entity).this))
    if wh.table_exists("core", entity.core_table):
        wh.run(
            template(
                "DELETE FROM :superseded AS r USING :core AS c WHERE :same",
                superseded=superseded_table(entity),
                core=core,
                same=_same_version(entity, "c", "r"),
            )
        )
    wh.run(raw_view(entity))


def _same_version(entity: Entity, left: str, right: str) -> exp.Expr:
    """The same key and load on both sides."""
    return exp.and_(
        same_key(entity, left, right), template(":l._load_id = :r._load_id", l=ident(left), r=ident(right))
    )


def _column_def(name: str, sql_type: str) -> exp.ColumnDef:
    return exp.ColumnDef(this=ident(name), kind=exp.DataType.build(sql_type, dialect="duckdb"))


def _create_table(target: exp.Table, columns: list[exp.ColumnDef]) -> exp.Create:
    return exp.Create(this=exp.Schema(this=target, expressions=columns), kind="TABLE", exists=True)
