"""The query use case: metrics through the one compiler, on the configured engine, cached by data
version; and drill-down to the rows behind a cell."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa
from pydantic import ValidationError
from sqlglot import exp

from bizsight.config import EngineName
from bizsight.errors import InvalidArgumentError
from bizsight.metrics.cache import ResultCache
from bizsight.metrics.compiler import compile_query
from bizsight.metrics.definitions import Catalogue, MemberNames, load_catalogue
from bizsight.metrics.drill import drill_down
from bizsight.metrics.query import Filter, Query
from bizsight.presentation import Unit
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines import DuckDBEngine, Engine, open_engine
from bizsight.warehouse.sql import col

RESULTS = ResultCache()


@dataclass(frozen=True)
class QueryResult:
    table: pa.Table
    units: dict[str, Unit]  # metric column → its unit; dimension and name columns have none
    sql: str
    cached: bool


@cache
def _catalogue(metrics_file: Path, mtime: float) -> Catalogue:
    return load_catalogue(metrics_file)


def catalogue(project: Project) -> Catalogue:
    """The built-in catalogue with the project's metrics.yml, re-read when that file changes."""
    path = project.root / "metrics.yml"
    return _catalogue(path, path.stat().st_mtime if path.exists() else 0.0)


def run_query(
    project: Project, query: Query, *, today: dt.date | None = None, wh: Warehouse | None = None
) -> QueryResult:
    """Answer ``query`` on the project's engine (bizsight.yml ``engine``), from the cache when the
    warehouse has not changed since the same query was answered."""
    today = today or dt.date.today()
    cat = catalogue(project)
    fiscal = project.settings.fiscal_year_start

    def execute(wh: Warehouse) -> QueryResult:
        # The key holds everything the answer depends on, so a hit skips compiling too.
        version = data_version(wh)
        key = (
            str(wh.path),
            project.settings.engine,
            id(cat),
            query,
            today if query.range else None,
            fiscal,
            version,
        )

        def compute() -> QueryResult:
            compiled = compile_query(cat, query, today=today, fiscal_year_start=fiscal)
            engine = engine_for(project, wh)
            sql = compiled.sql(engine.dialect)
            table = with_member_names(engine, cat, query.dimensions, engine.query(sql))
            return QueryResult(table, compiled.units, sql, False)

        result, cached = RESULTS.get_or_compute(key, compute)
        return dataclasses.replace(result, cached=True) if cached else result

    if wh is not None:
        return execute(wh)
    with project.warehouse(read_only=True) as owned:
        return execute(owned)


def data_version(wh: Warehouse) -> tuple[object, ...]:
    """What changes whenever the warehouse's data do (every load and refresh): a cache key part."""
    # A cursor of its own (several threads may share one warehouse), or a transaction's own.
    with wh.reader() as con:
        state = con.execute("SELECT value FROM meta.state WHERE key LIKE '%_version' ORDER BY key")
        return tuple(row[0] for row in state.fetchall())


def with_member_names(engine: Engine, cat: Catalogue, dimensions: Sequence[str], table: pa.Table) -> pa.Table:
    """``table`` with a ``<dimension>_name`` column after each dimension whose members have names
    (``product`` → ``product_name``), looked up for the members in the result only."""
    for name in dimensions:
        names = cat.dimensions[name].names
        if names is None or name not in table.column_names or not table.num_rows:
            continue
        keys = table[name].cast(pa.string()).to_pylist()
        found = member_names(engine, names, keys)
        column = pa.array([found.get(k) if k is not None else None for k in keys], pa.string())
        table = table.add_column(table.column_names.index(name) + 1, f"{name}_name", column)
    return table


NAMES_BY_LIST = 100  # members looked up by name up to this many; beyond, every name is read


def member_names(engine: Engine, names: MemberNames, keys: Iterable[str | None]) -> dict[str, str]:
    """Member → its name, for the members ``keys`` holds (``P00375`` → "Garden hose 20 m")."""
    members = sorted({k for k in keys if k is not None})
    if not members:
        return {}
    key = exp.cast(col(names.key), "VARCHAR")
    lookup = (
        exp.select(exp.alias_(key, "key"), exp.alias_(exp.Max(this=col(names.name)), "name"))
        .from_(exp.to_table(names.table))
        .group_by(col(names.key))
    )
    if len(members) <= NAMES_BY_LIST:  # a long IN list costs more to write and parse than reading every name
        lookup = lookup.where(key.copy().isin(*(exp.Literal.string(m) for m in members)))
    found = engine.query(lookup.sql(dialect=engine.dialect)).to_pylist()
    return {row["key"]: row["name"] for row in found if row["name"] is not None}


def product_names(project: Project, wh: Warehouse, ids: Iterable[str | None]) -> dict[str, str]:
    """Product id → name, for ``ids`` (the catalogue's ``product`` dimension says where names are)."""
    product = catalogue(project).dimensions.get("product")
    if product is None or product.names is None:
        return {}
    return member_names(DuckDBEngine(wh), product.names, ids)


def run_drill_down(
    project: Project,
    query: Query,
    metric: str,
    cell: dict[str, object],
    *,
    page: int = 1,
    page_size: int = 100,
    today: dt.date | None = None,
    wh: Warehouse | None = None,
) -> pa.Table:
    """The rows behind one cell of ``query``'s result, a page at a time."""
    cat = catalogue(project)

    def execute(wh: Warehouse) -> pa.Table:
        engine = engine_for(project, wh)
        tree = drill_down(
            cat,
            query,
            metric,
            cell,
            today=today or dt.date.today(),
            fiscal_year_start=project.settings.fiscal_year_start,
            page=page,
            page_size=page_size,
            schema=_schema(engine, cat, metric),
        )
        return engine.query(tree.sql(dialect=engine.dialect))

    if wh is not None:
        return execute(wh)
    with project.warehouse(read_only=True) as owned:
        return execute(owned)


def _schema(engine: Engine, cat: Catalogue, metric: str) -> dict[str, list[str]]:
    """The columns of the tables a drill-down of ``metric`` reads: its model's and the joined core
    tables' (marts may not exist before the first refresh; they hold no row attributes)."""
    if metric not in cat.metrics:
        return {}  # drill_down refuses the name, with a did-you-mean
    model = cat.models[cat.metrics[cat.aggregates([metric])[0]].model or ""]
    joined = [join.table for join in model.joins.values() if join.table.startswith("core.")]
    tables = [model.table, *joined]
    return {
        t: engine.query(
            exp.select("*").from_(exp.to_table(t)).limit(0).sql(dialect=engine.dialect)
        ).column_names
        for t in tables
    }


_ENGINES: dict[tuple[str, str], Engine] = {}


def engine_for(project: Project, wh: Warehouse) -> Engine:
    """The engine queries run on: the open warehouse itself for DuckDB; for Spark and PostgreSQL
    one connection per process and settings, kept open (a Spark session takes seconds to start)."""
    settings = project.settings
    if settings.engine is EngineName.DUCKDB:
        return DuckDBEngine(wh)
    key = (str(project.root.resolve()), settings.model_dump_json())
    if key not in _ENGINES:
        _ENGINES[key] = open_engine(settings, wh)
    return _ENGINES[key]


_WHERE = re.compile(r"^\s*(?P<dim>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>.*)$", re.S)


def parse_where(text: str) -> Filter:
    """A filter from the command line's ``DIM=VALUE`` form.

    >>> parse_where("region=Europe,Asia Pacific")
    Filter(dimension='region', op='in', values=('Europe', 'Asia Pacific'))
    >>> parse_where("cohort_month>=2025-01-01").op
    '>='
    """
    match = _WHERE.match(text)
    if not match:
        raise InvalidArgumentError(
            f"cannot read filter '{text}': write DIMENSION=VALUE (or !=, >=, <=, >, <)"
        )
    dimension, op, value = match["dim"], match["op"], match["value"].strip()
    values = tuple(v.strip() for v in value.split(",")) if op in ("=", "!=") and "," in value else (value,)
    if op in ("=", "!=") and len(values) > 1:
        return Filter(dimension=dimension, op="in" if op == "=" else "not_in", values=values)
    return Filter(dimension=dimension, op=op, values=values)  # type: ignore[arg-type]


def parse_query(
    metrics: Sequence[str],
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: str | None = None,
    end: str | None = None,
    date_range: str | None = None,
    where: Sequence[str] = (),
    compare: str | None = None,
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> Query:
    """A query from command-line words, with one-line errors for bad dates and filters."""
    try:
        return Query.model_validate(
            {
                "metrics": tuple(metrics),
                "dimensions": tuple(by),
                "grain": grain,
                "start": parse_date(start, "--from"),
                "end": parse_date(end, "--to"),
                "range": date_range,
                "filters": tuple(parse_where(w) for w in where),
                "compare": compare,
                "order_by": tuple(order_by),
                "limit": limit,
            }
        )
    except ValidationError as err:
        problem = err.errors()[0]
        raise InvalidArgumentError(
            f"{'.'.join(map(str, problem['loc'])) or 'query'}: {problem['msg']}"
        ) from None


def parse_date(text: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(
            f"{option} {text!r} is not a date; write YYYY-MM-DD, e.g. 2025-03-31"
        ) from None
