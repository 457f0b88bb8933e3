"""Query engines: DuckDB (the warehouse file, default), Apache Spark and PostgreSQL.

The metrics layer renders a syntax tree for ``engine.dialect`` and calls ``engine.query(sql)``,
which answers with an Arrow table. :func:`publish` copies the warehouse's tables into Spark or
PostgreSQL under the same ``schema.table`` names; :func:`open_engine` opens the engine that
``bizsight.yml`` names. See docs/engines.md.
"""

from __future__ import annotations

from pathlib import Path

from bizsight.config.settings import POSTGRES_URL_ENV, EngineName, Settings
from bizsight.errors import ConfigError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines.base import Engine, Params, TableSpec, base_tables, publish, target_type
from bizsight.warehouse.engines.duck import DuckDBEngine
from bizsight.warehouse.engines.postgres import PostgresEngine
from bizsight.warehouse.engines.spark import SparkEngine


def open_engine(settings: Settings, warehouse: Warehouse) -> Engine:
    """The engine ``settings.engine`` names. A setting that is missing raises
    :class:`~bizsight.errors.ConfigError`; a server that cannot be reached raises
    :class:`~bizsight.errors.WarehouseError` naming its host and port (never the password).

    >>> import tempfile
    >>> with Warehouse(Path(tempfile.mkdtemp()) / "w.duckdb") as wh:
    ...     open_engine(Settings(), wh).name
    'duckdb'
    """
    if settings.engine is EngineName.POSTGRES:
        if not settings.postgres.url:
            raise ConfigError(
                f"engine: postgres needs a database URL: set postgres.url in bizsight.yml or the "
                f"environment variable {POSTGRES_URL_ENV}"
            )
        return PostgresEngine(settings.postgres.url)
    if settings.engine is EngineName.SPARK:
        data_dir = Path(settings.spark.data_dir) if settings.spark.data_dir else Path("spark")
        if not data_dir.is_absolute():
            data_dir = warehouse.path.parent / data_dir
        return SparkEngine(
            settings.spark.master, settings.spark.connect, data_dir=data_dir, conf=settings.spark.conf
        )
    return DuckDBEngine(warehouse)


__all__ = [
    "DuckDBEngine",
    "Engine",
    "Params",
    "PostgresEngine",
    "SparkEngine",
    "TableSpec",
    "base_tables",
    "open_engine",
    "publish",
    "target_type",
]
