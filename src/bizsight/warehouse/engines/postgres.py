"""PostgreSQL: a live database holding the published core tables (a company's replica, say).

Results come back as Arrow with PostgreSQL's types: numeric(p, s) → decimal128(p, s); a numeric
without a declared scale (sum, avg, division) → decimal128(38, s) with s the largest scale among
the values, so no value is rounded. The URL's password never appears in a message or a repr.

Publishing streams each DuckDB table as CSV (Arrow batches) into ``COPY ... FROM STDIN`` on a
few connections at once, into tables of a private staging schema; one transaction then drops the
old tables and moves the new ones in. Readers see the old tables until that commit, and a failed
publish leaves them untouched.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import secrets
import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from bizsight.errors import ConfigError, EngineError, WarehouseError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines.base import EngineBase, Params, TableSpec, first_line, snapshot
from bizsight.warehouse.sql import render

if TYPE_CHECKING:
    import psycopg
    from psycopg import Column

BATCH_ROWS = 100_000  # rows per CSV chunk: ~17 MB for an order line
STAGE_PREFIX = "bizsight_stage_"
_PUBLISH_LOCK = "bizsight publish"  # advisory lock: one publish per database at a time

# Arrow types of PostgreSQL's built-in types, by type name; numeric is handled on its own.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "oid": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "char": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
    "bytea": pa.binary(),
}
# Types returned as their text (psycopg would build dicts, timedeltas that lose months, ...).
_AS_TEXT = ("json", "jsonb", "uuid", "interval", "inet", "cidr", "money")


class PostgresEngine(EngineBase):
    """Queries on a PostgreSQL database given by a URL (``postgresql://user@host:5432/db``) or a
    libpq ``key=value`` string."""

    name = "postgres"
    dialect = "postgres"

    def __init__(self, url: str, *, connect_timeout: int = 10, publish_workers: int | None = None) -> None:
        require_psycopg("engine: postgres")
        self._url = url
        self.address, self._password = _describe(url)
        self._connect_timeout = connect_timeout
        self.publish_workers = publish_workers or max(1, min(4, os.cpu_count() or 1))
        self._con = self._connect()

    def __repr__(self) -> str:
        return f"PostgresEngine({self.address})"

    def query(self, sql: str, params: Params = None) -> pa.Table:
        import psycopg

        try:
            with self._con.cursor() as cursor:
                cursor.execute(sql, params)
                if cursor.description is None:
                    return pa.table({})
                return rows_to_arrow(cursor.description, cursor.fetchall())
        except psycopg.Error as err:
            raise EngineError(f"query failed on PostgreSQL at {self.address}: {self._scrub(err)}") from err

    def close(self) -> None:
        self._con.close()

    # -- publishing -----------------------------------------------------------------------------

    def replace_tables(self, wh: Warehouse, tables: Sequence[TableSpec]) -> dict[str, int]:
        import psycopg
        from psycopg import sql

        stage = STAGE_PREFIX + secrets.token_hex(4)
        control = self._connect()
        writers: list[psycopg.Connection[Any]] = []
        try:
            # Held for the whole publish: a concurrent publish waits, and leftovers of a killed
            # one can be dropped safely.
            control.execute("SELECT pg_advisory_lock(hashtext(%s))", [_PUBLISH_LOCK])
            for (leftover,) in control.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [STAGE_PREFIX]
            ).fetchall():
                control.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(leftover)))
            control.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(stage)))
            for _ in range(self.publish_workers):
                writers.append(self._connect())
            counts: dict[str, int] = {}
            with snapshot(wh) as duck:
                for spec in tables:
                    staged = sql.Identifier(stage, spec.name)
                    control.execute(_create_table(staged, spec))
                    counts[spec.qualified] = _copy(duck, spec, staged, writers)
                    control.execute(sql.SQL("ANALYZE {}").format(staged))
            with control.transaction():
                for schema in sorted({spec.schema for spec in tables}):
                    control.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                for spec in tables:
                    control.execute(
                        sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(spec.schema, spec.name))
                    )
                    control.execute(
                        sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                            sql.Identifier(stage, spec.name), sql.Identifier(spec.schema)
                        )
                    )
                control.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(stage)))
            return counts
        except (psycopg.Error, duckdb.Error) as err:
            raise WarehouseError(
                f"publish to PostgreSQL at {self.address} failed: {self._scrub(err)}"
            ) from err
        finally:
            for writer in writers:
                writer.close()
            with contextlib.suppress(psycopg.Error):  # else the next publish drops it
                control.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(stage)))
            control.close()

    # -- connections ----------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg
        from psycopg.types.string import TextLoader

        try:
            con = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout)
        except psycopg.Error as err:
            # "connection failed: connection to server at "h", port p failed: <reason>": we name
            # the server ourselves.
            reason = self._scrub(err).rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
            raise WarehouseError(f"cannot reach PostgreSQL at {self.address}: {reason}") from None
        con.execute("SET TIME ZONE 'UTC'")  # timestamptz values arrive in UTC
        for name in _AS_TEXT:
            con.adapters.register_loader(name, TextLoader)
        return con

    def _scrub(self, err: BaseException) -> str:
        """The reason, in one line, without the password."""
        text = first_line(err)
        return text.replace(self._password, "***") if self._password else text


def require_psycopg(what: str) -> None:
    """Raise :class:`~bizsight.errors.ConfigError` naming the extra to install when psycopg, the
    driver of the ``postgres`` extra, is missing.

    >>> require_psycopg("engine: postgres")  # the dev install has it
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigError(f"{what} needs psycopg: pip install 'bizsight[postgres]'") from None


def _describe(url: str) -> tuple[str, str | None]:
    """``host:port/database`` and the password of a connection string."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # psycopg's message may quote the string, password included
        raise ConfigError(
            "the PostgreSQL URL is not valid (expected postgresql://user:password@host:5432/database)"
        ) from None
    host = str(parts.get("host") or "localhost").split(",")[0]
    port = str(parts.get("port") or 5432).split(",")[0]
    database = parts.get("dbname") or parts.get("user") or "postgres"
    password = parts.get("password")
    return f"{host}:{port}/{database}", str(password) if password else None


# -- results ------------------------------------------------------------------------------------


def rows_to_arrow(description: Sequence[Column], rows: list[tuple[Any, ...]]) -> pa.Table:
    """Arrow columns typed by PostgreSQL's result description."""
    from psycopg import postgres

    values_by_column = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    arrays = []
    for column, values in zip(description, values_by_column, strict=True):
        info = postgres.types.get(column.type_code)
        type_name = info.name if info else ""
        if type_name == "numeric":
            arrays.append(_decimal_array(list(values), column.precision, column.scale))
        elif type_name in _ARROW_TYPES:
            arrays.append(pa.array(values, type=_ARROW_TYPES[type_name]))
        else:
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    return pa.Table.from_arrays(arrays, names=[column.name for column in description])


def _decimal_array(values: list[Decimal | None], precision: int | None, scale: int | None) -> pa.Array:
    """numeric → decimal: the declared precision and scale, or for an unconstrained numeric the
    smallest scale that holds every value exactly (precision 38, or 76 when needed)."""
    present = [value for value in values if value is not None]
    if any(not value.is_finite() for value in present):  # NaN/Infinity have no decimal form
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if precision is None or scale is None:
        exponents = [value.as_tuple().exponent for value in present]
        scale = max((-e for e in exponents if isinstance(e, int)), default=0)
        scale = max(scale, 0)
        integer_digits = max((value.adjusted() + 1 for value in present if value), default=1)
        precision = 38 if max(integer_digits, 1) + scale <= 38 else 76
        if max(integer_digits, 1) + scale > precision:  # beyond 76 digits: round the scale down
            scale = max(precision - integer_digits, 0)
            quantum = Decimal(1).scaleb(-scale)
            values = [None if v is None else v.quantize(quantum) for v in values]
    kind = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    return pa.array(values, type=kind)


# -- publishing ---------------------------------------------------------------------------------


def _create_table(target: Any, spec: TableSpec) -> Any:
    from psycopg import sql

    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(column.target.postgres))
        for column in spec.columns
    )
    return sql.SQL("CREATE TABLE {} ({})").format(target, columns)


def _copy(duck: Any, spec: TableSpec, target: Any, writers: list[psycopg.Connection[Any]]) -> int:
    """Stream one table from DuckDB into ``target`` on every writer connection at once; the row
    count PostgreSQL confirms must be the one DuckDB sent."""
    import pyarrow.csv as pacsv
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        target, sql.SQL(", ").join(sql.Identifier(column.name) for column in spec.columns)
    )
    chunks: queue.Queue[memoryview | None] = queue.Queue(maxsize=2 * len(writers))
    copied: list[int] = []
    errors: list[BaseException] = []

    def write(connection: psycopg.Connection[Any]) -> None:
        drained = False
        try:
            with connection.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    while (chunk := chunks.get()) is not None:
                        copy.write(chunk)
                    drained = True
                copied.append(cursor.rowcount)
        except BaseException as err:
            errors.append(err)
            while not drained and chunks.get() is not None:  # keep the producer from blocking
                pass

    threads = [threading.Thread(target=write, args=(writer,), daemon=True) for writer in writers]
    for thread in threads:
        thread.start()
    sent = 0
    options = pacsv.WriteOptions(include_header=False)
    try:
        for batch in duck.sql(render(spec.export_select())).to_arrow_reader(BATCH_ROWS):
            if errors:
                break
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            chunks.put(buffer.getbuffer())
            sent += batch.num_rows
    finally:
        for _ in threads:
            chunks.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    if sum(copied) != sent:
        raise WarehouseError(f"publish of {spec.qualified}: sent {sent} rows, PostgreSQL took {sum(copied)}")
    return sent
