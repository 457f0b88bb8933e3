"""Apache Spark: local mode, a cluster master, or a Spark Connect server.

Publishing writes each DuckDB table as Parquet into ``<data_dir>/<schema>/<table>/v<stamp>/``
(``data_dir`` defaults to ``.bizsight/spark`` beside the warehouse) and registers it as an
external table ``<schema>.<table>`` with explicit column types. ``manifest.json`` in ``data_dir``
lists the current tables, so any engine on that directory — in this process or another, after a
publish or a restart — registers the same tables before its next query. Spark must read the
files at the same path: a local session always can; a cluster or a Spark Connect server needs
``data_dir`` on a shared file system.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from bizsight.errors import ConfigError, EngineError, WarehouseError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines.base import EngineBase, Params, TableSpec, first_line, snapshot
from bizsight.warehouse.sql import ident, render, table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MANIFEST = "manifest.json"
KEEP_VERSIONS = 2  # the current files and the previous ones, which queries may still be reading


class SparkEngine(EngineBase):
    """Queries on a SparkSession: built from ``master`` (default ``local[2]``) or ``connect``
    (``sc://host:15002``, wins over master) with extra ``conf`` settings, or an existing
    ``session`` to share (not stopped by :meth:`close`). ``data_dir`` is where published tables
    live (see the module doc)."""

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        master: str | None = "local[2]",
        connect: str | None = None,
        *,
        data_dir: Path | None = None,
        session: SparkSession | None = None,
        shuffle_partitions: int = 4,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.where = connect or master or "local[2]"
        if session is not None:
            self.spark, self._owns = session, False
        else:
            self.spark, self._owns = _start(
                master or "local[2]", connect, data_dir, shuffle_partitions, conf or {}
            )
        _quiet_error_logs()
        self._lock = threading.Lock()
        self._manifest_seen: int | None = None
        self._sync()

    def __repr__(self) -> str:
        return f"SparkEngine({self.where})"

    def query(self, sql: str, params: Params = None) -> pa.Table:
        self._sync()
        args: Any = (dict(params) if isinstance(params, Mapping) else list(params)) if params else None
        try:
            frame = self.spark.sql(sql, args=args) if args else self.spark.sql(sql)
            result = frame.toArrow()
        except Exception as err:
            if not _is_spark_error(err):
                raise
            raise EngineError(f"query failed on Spark ({self.where}): {first_line(err)}") from err
        assert isinstance(result, pa.Table)
        # Spark marks some columns NOT NULL (count(*)); the other engines never do. Same schema.
        if any(not field.nullable for field in result.schema):
            result = result.cast(pa.schema([field.with_nullable(True) for field in result.schema]))
        return result

    def close(self) -> None:
        if self._owns:
            self.spark.stop()

    # -- publishing -----------------------------------------------------------------------------

    def replace_tables(self, wh: Warehouse, tables: Sequence[TableSpec]) -> dict[str, int]:
        root = (self.data_dir or wh.path.parent / "spark").resolve()
        version = f"v{time.time_ns()}"
        written: dict[str, Path] = {}
        counts: dict[str, int] = {}
        try:
            with snapshot(wh) as duck:
                for spec in tables:
                    where = root / spec.schema / spec.name / version
                    where.mkdir(parents=True)
                    written[spec.qualified] = where
                    copy = exp.Copy(
                        this=spec.export_select().subquery(),
                        kind=False,
                        files=[exp.Literal.string(str(where / "part-0.parquet"))],
                        params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))],
                    )
                    row = duck.execute(render(copy)).fetchone()
                    counts[spec.qualified] = int(row[0]) if row else 0
        except (duckdb.Error, OSError) as err:
            for where in written.values():
                shutil.rmtree(where, ignore_errors=True)
            raise WarehouseError(f"publish to Spark failed writing Parquet: {first_line(err)}") from err
        manifest = _read_manifest(root)
        for spec in tables:
            manifest[spec.qualified] = {
                "schema": spec.schema,
                "table": spec.name,
                "location": written[spec.qualified].as_uri(),
                "columns": [[column.name, column.target.spark] for column in spec.columns],
                "rows": counts[spec.qualified],
            }
        with self._lock:
            self.data_dir = root
            self._register(root, [manifest[spec.qualified] for spec in tables])
            self._manifest_seen = _write_manifest(root, manifest)
        for spec in tables:
            _drop_old_versions(root / spec.schema / spec.name)
        return counts

    # -- the catalogue --------------------------------------------------------------------------

    def _sync(self) -> None:
        """Register the tables of the manifest when it changed since we last looked."""
        if self.data_dir is None:
            return
        path = self.data_dir / MANIFEST
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        with self._lock:
            if stamp == self._manifest_seen:
                return
            self._register(self.data_dir, list(_read_manifest(self.data_dir).values()))
            self._manifest_seen = stamp

    def _register(self, root: Path, entries: list[dict[str, Any]]) -> None:
        try:
            for schema in sorted({entry["schema"] for entry in entries}):
                self._run(
                    exp.Create(
                        this=exp.Table(this=ident(schema)),
                        kind="DATABASE",
                        exists=True,
                        properties=exp.Properties(
                            expressions=[
                                exp.LocationProperty(this=exp.Literal.string((root / schema).as_uri()))
                            ]
                        ),
                    )
                )
            for entry in entries:
                target = table(entry["schema"], entry["table"])
                columns = [
                    exp.ColumnDef(this=ident(name), kind=exp.DataType.build(kind, dialect="spark"))
                    for name, kind in entry["columns"]
                ]
                self._run(exp.Drop(tables=[target], kind="TABLE", exists=True))
                self._run(
                    exp.Create(
                        this=exp.Schema(this=target, expressions=columns),
                        kind="TABLE",
                        properties=exp.Properties(
                            expressions=[
                                exp.FileFormatProperty(this=exp.var("PARQUET")),
                                exp.LocationProperty(this=exp.Literal.string(entry["location"])),
                            ]
                        ),
                    )
                )
        except Exception as err:
            if not _is_spark_error(err):
                raise
            raise WarehouseError(
                f"cannot register tables on Spark ({self.where}): {first_line(err)}"
            ) from err

    def _run(self, statement: exp.Expr) -> None:
        self.spark.sql(statement.sql(dialect="spark"))


def _start(
    master: str, connect: str | None, data_dir: Path | None, partitions: int, conf: Mapping[str, str]
) -> tuple[SparkSession, bool]:
    """A SparkSession and whether we own it (a session already running in the process is
    shared, not ours to stop)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "engine: spark needs pyspark (and Java 17): pip install 'bizsight[spark]'"
        ) from None
    if connect and (missing := _missing_connect_modules()):
        # Checked here: without them pyspark may even exit the process instead of raising.
        raise ConfigError(
            f"spark.connect needs the Spark Connect client (missing: {', '.join(missing)}): "
            "install pyspark[connect]"
        )
    builder: Any = SparkSession.builder.appName("bizsight").config("spark.sql.session.timeZone", "UTC")
    if connect:
        builder, owns = builder.remote(connect), True
    else:
        owns = SparkSession.getActiveSession() is None
        spark_warehouse = (data_dir or Path(tempfile.gettempdir()) / "bizsight-spark") / ".spark-warehouse"
        builder = (
            builder.master(master)
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.sql.warehouse.dir", spark_warehouse.resolve().as_uri())
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if master.startswith("local"):
            builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config(
                "spark.driver.host", "127.0.0.1"
            )
    for key, value in conf.items():  # the user's settings win over our defaults
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as err:
        raise WarehouseError(f"cannot start Spark ({connect or master}): {first_line(err)}") from None
    if owns and not connect:
        # A failed query raises WarehouseError; the JVM need not also print its stack to stderr.
        spark.sparkContext.setLogLevel("FATAL")
    return spark, owns


def _missing_connect_modules() -> list[str]:
    missing = []
    for module in ("grpc", "grpc_status", "google.rpc", "zstandard"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # the parent package is missing
            found = False
        if not found:
            missing.append(module)
    return missing


def _quiet_error_logs() -> None:
    """PySpark logs every failed query to stderr as JSON before raising; we raise it ourselves
    (core code never prints)."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pragma: no cover - older pyspark without these loggers
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _is_spark_error(err: BaseException) -> bool:
    try:
        from pyspark.errors import PySparkException
    except ImportError:  # pragma: no cover - pyspark is there when a session is
        return False
    if isinstance(err, PySparkException):
        return True
    try:
        from py4j.protocol import Py4JError
    except ImportError:  # Spark Connect client without py4j
        return False
    return isinstance(err, Py4JError)


def _read_manifest(root: Path) -> dict[str, dict[str, Any]]:
    try:
        tables: dict[str, dict[str, Any]] = json.loads((root / MANIFEST).read_text(encoding="utf-8"))[
            "tables"
        ]
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError) as err:
        raise WarehouseError(f"{root / MANIFEST} is damaged ({err}); publish again") from None
    return tables


def _write_manifest(root: Path, tables: dict[str, dict[str, Any]]) -> int:
    """Write atomically (readers in other processes never see half a file); its mtime."""
    path = root / MANIFEST
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({"version": 1, "tables": tables}, indent=1), encoding="utf-8")
    scratch.replace(path)
    return path.stat().st_mtime_ns


def _drop_old_versions(table_dir: Path) -> None:
    versions = sorted((p for p in table_dir.iterdir() if p.is_dir() and p.name.startswith("v")), reverse=True)
    for old in versions[KEEP_VERSIONS:]:
        shutil.rmtree(old, ignore_errors=True)
