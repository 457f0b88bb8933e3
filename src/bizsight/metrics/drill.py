"""Drill-down: the rows behind one cell of a query result, with the same filters, paged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlglot import exp

from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.compiler import PERIOD, QueryCompiler
from bizsight.metrics.definitions import Catalogue, Model
from bizsight.metrics.expressions import date_literal, snippet
from bizsight.metrics.query import Query
from bizsight.warehouse.sql import col, ident

MAX_PAGE_SIZE = 10_000


def drill_down(
    catalogue: Catalogue,
    query: Query,
    metric: str,
    cell: dict[str, object],
    *,
    today: dt.date,
    fiscal_year_start: int = 1,
    page: int = 1,
    page_size: int = 100,
    schema: Mapping[str, Sequence[str]] | None = None,
) -> exp.Select:
    """SQL for the rows of ``metric``'s model that make up the cell (its period and dimension
    values), ordered by time. A ratio or derived metric drills into the first aggregate it rests
    on (the numerator).

    With ``schema`` (table → its columns) the rows show the model table's own columns, none of
    the warehouse's bookkeeping (``_load_id``, ``_row_hash``), and a column the table left empty
    but a joined table holds (an order line's ``product_name``, ``country``) is filled from it."""
    if metric not in query.metrics:
        raise InvalidArgumentError(
            f"'{metric}' is not a metric of this query{did_you_mean(metric, query.metrics)}"
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
        raise InvalidArgumentError(f"page must be 1 or more and page_size from 1 to {MAX_PAGE_SIZE}")
    expected = {*query.dimensions, *([PERIOD] if query.grain else [])}
    if set(cell) != expected:
        missing = sorted(expected - set(cell)) or sorted(set(cell) - expected)
        raise InvalidArgumentError(
            f"a cell names exactly the query's period and dimensions; check: {', '.join(missing)}"
        )
    catalogue.metric(metric)  # an unknown name fails with a did-you-mean, not a KeyError
    if query.grain and cell[PERIOD] is not None:
        cell = {**cell, PERIOD: _date(cell[PERIOD])}
    base = catalogue.metrics[catalogue.aggregates([metric])[0]]
    assert base.model and base.sql
    compiler = QueryCompiler(
        catalogue, query.model_copy(update={"compare": None}), today, fiscal_year_start, shifted=False
    )
    keys = compiler.group_keys(base.model)
    snippets = [e for _, e in keys] + [snippet(t) for t in (base.sql, base.filter) if t]
    model = catalogue.models[base.model]
    if schema:
        snippets += [c for c in _row_columns(model, schema) if isinstance(c, exp.Alias)]
    select = compiler.rows_of(base.model, snippets, compiler.lo)
    for name, expression in keys:
        if name == PERIOD and not query.grain:
            continue
        value = cell[name]
        if value is None:
            select = select.where(expression.is_(exp.null()))
        else:
            literal = date_literal(value) if isinstance(value, dt.date) else exp.convert(value)
            select = select.where(exp.EQ(this=expression, expression=literal))
    if base.filter:
        select = select.where(snippet(base.filter))
    columns = _row_columns(model, schema) if schema else [exp.column(exp.Star(), table=ident("f"))]
    # The cell's dimension values, under names that cannot clash with the table's own columns.
    columns += [exp.alias_(e, ident(f"by_{n}")) for n, e in keys if n != PERIOD]
    select = select.select(*columns).order_by(col(model.time, "f"))
    return select.limit(page_size).offset((page - 1) * page_size)


def _row_columns(model: Model, schema: Mapping[str, Sequence[str]]) -> list[exp.Expr]:
    """The model table's public columns, each filled from the first join that has it too."""
    out: list[exp.Expr] = []
    keys = {join.key for join in model.joins.values()}
    for name in schema.get(model.table, ()):
        if name.startswith("_"):
            continue
        holders = [
            alias
            for alias, join in model.joins.items()
            if name in schema.get(join.table, ()) and name not in keys
        ]
        own = col(name, "f")
        out.append(
            exp.alias_(exp.Coalesce(this=own, expressions=[col(name, a) for a in holders]), ident(name))
            if holders
            else own
        )
    return out


def _date(value: object) -> dt.date:
    """A cell's period as a date, checked before it reaches an engine.

    >>> _date("2024-03-01"), _date(dt.date(2024, 3, 1)) == _date("2024-03-01")
    (datetime.date(2024, 3, 1), True)
    >>> _date("March")
    Traceback (most recent call last):
    ...
    bizsight.errors.InvalidArgumentError: cell period 'March' is not a date; expected YYYY-MM-DD, the first day of the period
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    raise InvalidArgumentError(
        f"cell period {value!r} is not a date; expected YYYY-MM-DD, the first day of the period"
    )
