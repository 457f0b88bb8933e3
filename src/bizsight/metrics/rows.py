"""The rows of one model that pass a set of filters, as a syntax tree: what row-level security
puts under customer lookups, so they filter exactly as metric queries do."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from bizsight.errors import InvalidArgumentError
from bizsight.metrics.compiler import QueryCompiler
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Filter, Query
from bizsight.warehouse.sql import ident


def model_rows(
    catalogue: Catalogue,
    model: str,
    filters: tuple[Filter, ...],
    *,
    today: dt.date,
    fiscal_year_start: int = 1,
) -> exp.Select:
    """``SELECT f.* FROM <model's table> AS f [joins] WHERE <filters>``, with each dimension's SQL
    for that model. A filter on a dimension the model does not have is an error.

    >>> from bizsight.metrics.definitions import builtin
    >>> tree = model_rows(builtin(), "new_customers", (Filter(dimension="region", values=("EMEA",)),),
    ...                   today=dt.date(2026, 1, 1))
    >>> print(tree.sql("duckdb"))  # doctest: +NORMALIZE_WHITESPACE
    SELECT "f".* FROM "core"."customer_orders" AS "f" LEFT JOIN "core"."dim_customer" AS "customer"
    ON "customer"."customer_id" = "f"."customer_id" WHERE customer.region = 'EMEA'
    """
    metric = next(
        (n for n, m in catalogue.metrics.items() if m.model == model and m.kind == "aggregate"), None
    )
    if metric is None:
        raise InvalidArgumentError(f"no metric is defined on model '{model}'")
    compiler = QueryCompiler(catalogue, Query(metrics=(metric,), filters=filters), today, fiscal_year_start)
    return compiler.rows_of(model, [], None).select(exp.column(exp.Star(), table=ident("f")))


def dimensions_of(catalogue: Catalogue, model: str) -> set[str]:
    """The dimensions a model's rows can be grouped and filtered by."""
    return {name for name, d in catalogue.dimensions.items() if model in d.sql}
