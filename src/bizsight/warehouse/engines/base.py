"""What every engine offers, the tables a publish copies, and how their types map.

The metrics layer renders one syntax tree for ``engine.dialect`` and calls ``engine.query``; the
answer is an Arrow table whose types do not depend on the engine more than the SQL says
(DECIMAL stays decimal, dates stay dates, integers are integers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import duckdb
import pyarrow as pa
from sqlglot import exp

from bizsight.errors import WarehouseError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import col, table

Params = Sequence[Any] | Mapping[str, Any] | None
"""Query parameters in the driver's own style: the placeholders sqlglot renders for the dialect
(``?`` / ``$name`` for DuckDB, ``?`` / ``:name`` for Spark, ``%s`` / ``%(name)s`` for PostgreSQL)."""


@runtime_checkable
class Engine(Protocol):
    """Runs SQL rendered for ``dialect`` and answers with Arrow."""

    name: str  # "duckdb" | "spark" | "postgres"
    dialect: str  # the sqlglot dialect to render for

    def query(self, sql: str, params: Params = None) -> pa.Table: ...

    def replace_tables(self, wh: Warehouse, tables: Sequence[TableSpec]) -> dict[str, int]:
        """Copy ``tables`` from ``wh`` into this engine under the same names; rows per table."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class EngineBase:
    """Context-manager support shared by the engines."""

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def first_line(err: BaseException) -> str:
    """The first non-empty line of an error message: our errors are one line."""
    text = str(err).strip()
    return text.splitlines()[0].strip() if text else type(err).__name__


# ---------------------------------------------------------------------------------------------
# Tables to publish and their types


@dataclass(frozen=True)
class TargetType:
    """A DuckDB type's counterparts; ``export`` is the DuckDB type to cast to on the way out when
    the file formats cannot carry the original (HUGEINT is written to Parquet as DOUBLE)."""

    postgres: str
    spark: str
    export: str | None = None


_TYPES: dict[str, TargetType] = {
    "VARCHAR": TargetType("text", "STRING"),
    "BOOLEAN": TargetType("boolean", "BOOLEAN"),
    "TINYINT": TargetType("smallint", "TINYINT"),
    "SMALLINT": TargetType("smallint", "SMALLINT"),
    "INTEGER": TargetType("integer", "INT"),
    "BIGINT": TargetType("bigint", "BIGINT"),
    "HUGEINT": TargetType("numeric(38,0)", "DECIMAL(38,0)", "DECIMAL(38,0)"),
    "UTINYINT": TargetType("smallint", "SMALLINT", "SMALLINT"),
    "USMALLINT": TargetType("integer", "INT", "INTEGER"),
    "UINTEGER": TargetType("bigint", "BIGINT", "BIGINT"),
    "UBIGINT": TargetType("numeric(20,0)", "DECIMAL(20,0)", "DECIMAL(20,0)"),
    "FLOAT": TargetType("real", "FLOAT"),
    "DOUBLE": TargetType("double precision", "DOUBLE"),
    "DATE": TargetType("date", "DATE"),
    "TIMESTAMP": TargetType("timestamp", "TIMESTAMP_NTZ"),
    "TIMESTAMP_S": TargetType("timestamp", "TIMESTAMP_NTZ", "TIMESTAMP"),
    "TIMESTAMP_MS": TargetType("timestamp", "TIMESTAMP_NTZ", "TIMESTAMP"),
    "TIMESTAMP_NS": TargetType("timestamp", "TIMESTAMP_NTZ", "TIMESTAMP"),
    "TIMESTAMP WITH TIME ZONE": TargetType("timestamptz", "TIMESTAMP"),
    "UUID": TargetType("uuid", "STRING", "VARCHAR"),
    # a list of texts (a customer's churn reasons in words) travels as its JSON text
    "VARCHAR[]": TargetType("text", "STRING", "JSON"),
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def target_type(duckdb_type: str) -> TargetType | None:
    """The PostgreSQL and Spark types of a DuckDB column type, or None when there is none.

    >>> target_type("DECIMAL(18,2)")
    TargetType(postgres='numeric(18,2)', spark='DECIMAL(18,2)', export=None)
    >>> target_type("TIMESTAMP").spark
    'TIMESTAMP_NTZ'
    >>> target_type("INTEGER[]") is None
    True
    """
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        precision, scale = decimal.groups()
        return TargetType(f"numeric({precision},{scale})", f"DECIMAL({precision},{scale})")
    return _TYPES.get(duckdb_type)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    duckdb_type: str
    target: TargetType


@dataclass(frozen=True)
class TableSpec:
    """A base table of the warehouse, with the columns a publish copies."""

    schema: str
    name: str
    columns: tuple[ColumnSpec, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def export_select(self) -> exp.Select:
        """The rows to copy, cast where the file formats need it."""
        columns: list[exp.Expr] = []
        for column in self.columns:
            value: exp.Expr = col(column.name)
            if column.target.export:
                value = exp.cast(value, column.target.export, dialect="duckdb")
                if column.target.export == "JSON":  # as plain text: Parquet's JSON type is an extension
                    value = exp.cast(value, "VARCHAR")
                value = exp.alias_(value, column.name)
            columns.append(value)
        return exp.select(*columns).from_(table(self.schema, self.name))


_TABLES = """
SELECT t.table_schema, t.table_name, c.column_name, c.data_type
FROM information_schema.tables AS t
JOIN information_schema.columns AS c
  ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema AND c.table_name = t.table_name
WHERE t.table_catalog = current_database() AND t.table_type = 'BASE TABLE'
  AND list_contains(?, t.table_schema)
ORDER BY t.table_schema, t.table_name, c.ordinal_position
"""


def base_tables(wh: Warehouse, schemas: Sequence[str]) -> list[TableSpec]:
    """The base tables (never views) of ``schemas``; columns starting with ``_`` are internal
    (``_load_id``, ``_row_hash``) and left out."""
    columns: dict[tuple[str, str], list[ColumnSpec]] = {}
    for schema, name, column, duckdb_type in wh.con.cursor().execute(_TABLES, [list(schemas)]).fetchall():
        found = columns.setdefault((schema, name), [])
        if column.startswith("_"):
            continue
        target = target_type(duckdb_type)
        if target is None:
            raise WarehouseError(
                f"cannot publish {schema}.{name}.{column}: DuckDB type {duckdb_type} has no "
                "PostgreSQL/Spark counterpart here; cast it in the transform"
            )
        found.append(ColumnSpec(column, duckdb_type, target))
    return [TableSpec(schema, name, tuple(cols)) for (schema, name), cols in columns.items() if cols]


@contextmanager
def snapshot(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor that sees one state of the warehouse: every table a publish copies comes from the
    same commit, even while the owner of the warehouse writes."""
    cursor = wh.con.cursor()
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield cursor
    finally:
        cursor.execute("ROLLBACK")
        cursor.close()


def publish(wh: Warehouse, engine: Engine, schemas: Sequence[str] = ("core",)) -> dict[str, int]:
    """Copy every base table of ``schemas`` into ``engine`` as ``schema.table``, replacing the
    tables of those names there; returns rows per ``schema.table``.

    PostgreSQL gets all tables in one switch (a failed publish leaves the previous ones); Spark
    gets Parquet files beside the warehouse registered as tables (see docs/engines.md).
    """
    tables = base_tables(wh, schemas)
    if not tables:
        return {}
    return engine.replace_tables(wh, tables)
