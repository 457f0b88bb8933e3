"""DuckDB: the project's own warehouse file, the default engine."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from bizsight.errors import EngineError, WarehouseError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines.base import EngineBase, Params, TableSpec, first_line
from bizsight.warehouse.sql import render, table

# DuckDB widens sums of integers to 128 bits; Arrow has no such integer and DuckDB hands them
# over as decimal128(38, 0). They are integers: we return int64 whenever the values fit.
_WIDE_INTEGERS = {"HUGEINT", "UHUGEINT"}


class DuckDBEngine(EngineBase):
    """Queries on a :class:`Warehouse`; one cursor per query, so threads may share it (inside a
    transaction, its connection: see :meth:`Warehouse.reader`).

    >>> import tempfile, pathlib
    >>> with Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb") as wh:
    ...     DuckDBEngine(wh).query("SELECT sum(x) AS total FROM range(5) AS t(x)").to_pylist()
    [{'total': 10}]
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, warehouse: Warehouse, *, owns: bool = False) -> None:
        self.warehouse = warehouse
        self._owns = owns  # close the warehouse with the engine

    def __repr__(self) -> str:
        return f"DuckDBEngine({self.warehouse.path})"

    def query(self, sql: str, params: Params = None) -> pa.Table:
        with self.warehouse.reader() as con:
            try:
                relation = con.sql(sql, params=params)
                if relation is None:
                    return pa.table({})
                result = relation.to_arrow_table()
                types = [str(kind) for kind in relation.types]
            except duckdb.Error as err:
                raise EngineError(f"query failed on DuckDB: {first_line(err)}") from err
        return _narrow_wide_integers(result, types)

    def replace_tables(self, wh: Warehouse, tables: Sequence[TableSpec]) -> dict[str, int]:
        """The warehouse is already here: publishing into it only counts the rows."""
        if wh.path.resolve() != self.warehouse.path.resolve():
            raise WarehouseError(
                f"cannot publish {wh.path} into another DuckDB warehouse ({self.warehouse.path})"
            )
        cursor = wh.con.cursor()
        try:
            return {
                spec.qualified: int(
                    cursor.execute(
                        render(exp.select("count(*)").from_(table(spec.schema, spec.name)))
                    ).fetchone()[0]  # type: ignore[index]
                )
                for spec in tables
            }
        finally:
            cursor.close()

    def close(self) -> None:
        if self._owns:
            self.warehouse.close()


def _narrow_wide_integers(result: pa.Table, types: list[str]) -> pa.Table:
    for index, kind in enumerate(types):
        if kind in _WIDE_INTEGERS:
            try:
                narrowed = pc.cast(result.column(index), pa.int64())
            except pa.ArrowInvalid:  # beyond 64 bits: keep the exact decimal
                continue
            result = result.set_column(index, result.field(index).with_type(pa.int64()), narrowed)
    return result
