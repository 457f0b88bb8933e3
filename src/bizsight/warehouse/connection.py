"""The one owner of the warehouse connection.

DuckDB lets one process hold a database file read-write; another process that tries fails at
once with "Conflicting lock is held". We turn that into :class:`WarehouseLockedError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from bizsight.errors import WarehouseError, WarehouseLockedError
from bizsight.warehouse.sql import render, table

if TYPE_CHECKING:  # pyarrow takes a tenth of a second to import; ingest of CSV files never needs it
    import pyarrow as pa


class Warehouse:
    """A DuckDB warehouse file opened read-write (or read-only) by this process."""

    def __init__(self, path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> None:
        self.path = path
        self._depth = 0  # open transaction() blocks: an inner one joins the outer one
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise WarehouseError(f"no warehouse at {path}: ingest some files first")
        try:
            self.con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            raise _open_error(path, err) from None
        self.con.execute("SET enable_progress_bar = false")  # progress is ours to show
        if memory_limit:
            # Beyond the limit DuckDB spills to a directory beside the warehouse file.
            self.con.execute("SET memory_limit = ?", [memory_limit])
            self.con.execute("SET temp_directory = ?", [str(path.parent / "tmp")])

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def cursor(self) -> Iterator[Warehouse]:
        """This warehouse through a cursor of its own. Threads sharing one open warehouse each
        take one (a connection object is not safe to share; DuckDB runs their reads in parallel).
        """
        view = object.__new__(Warehouse)
        view.path = self.path
        view._depth = 0
        view.con = self.con.cursor()
        try:
            yield view
        finally:
            view.con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to read with: a new cursor, so threads may share this warehouse; but inside
        an open :meth:`transaction`, the transaction's own connection, so it reads its own writes
        (a refresh forecasts from the core it has just rebuilt, before committing)."""
        if self._depth:
            yield self.con
            return
        cursor = self.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self, statement: exp.Expr | str, params: Sequence[Any] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """Run one statement; our own constant SQL may be given as text, anything built from
        user input must come as a syntax tree."""
        sql = statement if isinstance(statement, str) else render(statement)
        return self.con.execute(sql, params or [])

    def rows(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.run(statement, params).fetchall()

    def scalar(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> Any:
        rows = self.run(statement, params).fetchall()  # fetched to the end: the connection is free again
        return rows[0][0] if rows else None

    def records(self, statement: exp.Expr) -> list[dict[str, Any]]:
        """The rows of a query built as a syntax tree, as dicts (for narrow results)."""
        rows: list[dict[str, Any]] = self.con.sql(render(statement)).to_arrow_table().to_pylist()
        return rows

    def table_exists(self, schema: str, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, name],
            )
        )

    def replace_table(self, schema: str, name: str, rows: pa.Table) -> None:
        """Create or replace ``schema.name`` with the rows of an Arrow table."""
        with self._registered(rows) as source:
            select = exp.select("*").from_(source)
            self.run(exp.Create(this=table(schema, name), kind="TABLE", expression=select, replace=True))

    def append_rows(self, schema: str, name: str, rows: pa.Table) -> None:
        """Insert the rows of an Arrow table into ``schema.name``, matching columns by name."""
        with self._registered(rows) as source:
            self.run(f"INSERT INTO {render(table(schema, name))} BY NAME SELECT * FROM {source}")

    @contextmanager
    def _registered(self, rows: pa.Table) -> Iterator[str]:
        self.con.register("_arrow_rows", rows)
        try:
            yield "_arrow_rows"
        finally:
            self.con.unregister("_arrow_rows")

    @property
    def in_transaction(self) -> bool:
        """Whether a :meth:`transaction` block is open (a failed statement would end it)."""
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: an exception (or a killed process) leaves the warehouse as it was. A
        transaction opened inside another is part of it (committed or rolled back with it)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self.con.execute("COMMIT")


def lock_holder(path: Path) -> int | None:
    """The process that holds ``path`` open read-write, or None when nobody does (or there is no
    file): found by asking DuckDB for the file, whose lock error names the holder's PID. 0 when
    the lock is held but DuckDB did not say by whom."""
    if not path.exists():
        return None
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.ConnectionException:
        return os.getpid()  # this very process has it open with other settings
    except duckdb.IOException as err:
        if "lock" not in str(err).lower():
            raise _open_error(path, err) from None
        pid = re.search(r"PID (\d+)", str(err))
        return int(pid.group(1)) if pid else 0
    return None


def _open_error(path: Path, err: duckdb.IOException) -> WarehouseError:
    text = str(err)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        holder = f" (process {pid.group(1)})" if pid else ""
        return WarehouseLockedError(
            f"the warehouse {path} is in use by another bizsight process{holder}; "
            "wait for it to finish or stop it"
        )
    return WarehouseError(f"cannot open the warehouse {path}: {text.splitlines()[0]}")
