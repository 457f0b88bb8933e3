"""What the web pages need beyond the API's metric queries and customer views: a metric's daily
trend with moving averages, the CLV distribution, review sentiment by month, the worst-rated
products, product affinity and the dates the data spans. Every read honours the caller's
row-level restrictions (metric queries through ``scoped_query``, rows through ``model_rows``);
what cannot be filtered (affinity marts, computed over every order) is withheld from a
restricted user, never shown unfiltered."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from bizsight.analytics.sentiment import aggregate_query
from bizsight.analytics.smoothing import histogram, moving_average
from bizsight.errors import InvalidArgumentError
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.metrics.rows import model_rows
from bizsight.services.access import Principal, customer_rows, scoped_query
from bizsight.services.analyze import top_pairs
from bizsight.services.customers import require_customers
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import col, ident, lit, table

WINDOWS = (7, 30)
WITHHELD = "product affinity is computed over every order, so it is not shown to users restricted to part of the data"


class Scope(BaseModel):
    """The global filters of a page: a date range and dimension filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.date | None = None
    end: dt.date | None = None
    filters: tuple[Filter, ...] = Field(default=(), max_length=20)


def data_bounds(wh: Warehouse) -> dict[str, dt.date | None]:
    """The first and last order dates (both None before any order is loaded)."""
    if not wh.table_exists("core", "fact_order_line"):
        return {"first": None, "last": None}
    first, last = wh.rows("SELECT min(order_date), max(order_date) FROM core.fact_order_line")[0]
    return {"first": first, "last": last}


def trend(project: Project, wh: Warehouse, principal: Principal, query: Query) -> dict[str, Any]:
    """The first metric of ``query`` by day with trailing 7- and 30-day moving averages."""
    daily = query.model_copy(update={"grain": Grain.DAY, "dimensions": (), "compare": None, "limit": None})
    scoped = scoped_query(principal, daily, catalogue(project))
    rows = run_query(project, scoped, wh=wh).table.to_pylist()
    metric = query.metrics[0]
    rows = sorted((r for r in rows if r["period"] is not None), key=lambda r: r["period"])
    values = np.array([float(r[metric] or 0.0) for r in rows])
    averages = {w: moving_average(values, w) for w in WINDOWS}
    return {
        "metric": metric,
        "rows": [
            {
                "period": r["period"],
                metric: _number(values[i]),
                **{f"ma_{w}": _number(averages[w][i]) for w in WINDOWS},
            }
            for i, r in enumerate(rows)
        ],
    }


def clv_distribution(
    project: Project, wh: Warehouse, principal: Principal, *, bins: int = 30
) -> dict[str, Any]:
    """Predicted CLV of the customers the caller may see: histogram, count, mean and median."""
    require_customers(wh)
    if not wh.table_exists("marts", "clv"):
        return {"edges": [], "counts": [], "customers": 0, "mean": None, "median": None}
    select = exp.select(col("clv", "m")).from_(exp.alias_(table("marts", "clv"), ident("m")))
    visible = customer_rows(principal, catalogue(project), "new_customers", dt.date.today())
    if visible is not None:
        ids = exp.select(col("customer_id", "v")).from_(exp.alias_(exp.Subquery(this=visible), ident("v")))
        select = select.where(col("customer_id", "m").isin(query=ids))
    values = np.array([float(v) for (v,) in wh.rows(select) if v is not None])
    edges, counts = histogram(values, bins)
    return {
        "edges": edges,
        "counts": counts,
        "customers": int(values.size),
        "mean": _number(values.mean()) if values.size else None,
        "median": _number(np.median(values)) if values.size else None,
    }


def sentiment_by_month(
    project: Project, wh: Warehouse, principal: Principal, scope: Scope
) -> list[dict[str, Any]]:
    """Per month: reviews, mean compound score, positive/neutral/negative shares, mean rating, of
    the reviews in ``scope`` the caller may see."""
    if not wh.table_exists("marts", "review_sentiment"):
        return []
    filters = (*principal.restrictions, *scope.filters)
    rows = model_rows(catalogue(project), "reviews", filters, today=dt.date.today())
    if scope.start:
        rows = rows.where(exp.GTE(this=col("review_date", "f"), expression=lit(scope.start)))
    if scope.end:
        rows = rows.where(exp.LTE(this=col("review_date", "f"), expression=lit(scope.end)))
    ids = exp.select(col("review_id", "v")).from_(exp.alias_(exp.Subquery(this=rows), ident("v")))
    scored = (
        exp.select(exp.Star())
        .from_(exp.alias_(table("marts", "review_sentiment"), ident("s")))
        .where(col("review_id", "s").isin(query=ids))
    )
    query = aggregate_query("month").from_(exp.alias_(exp.Subquery(this=scored), ident("scored")))
    return wh.records(query)


def worst_products(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    scope: Scope,
    *,
    min_reviews: int = 5,
    top: int = 15,
) -> list[dict[str, Any]]:
    """The ``top`` products with the lowest average rating among those with ``min_reviews``."""
    query = Query(
        metrics=("average_rating", "review_count", "negative_review_share"),
        dimensions=("product",),
        start=scope.start,
        end=scope.end,
        filters=scope.filters,
    )
    rows = run_query(project, scoped_query(principal, query, catalogue(project)), wh=wh).table.to_pylist()
    rated = [r for r in rows if r["product"] is not None and (r["review_count"] or 0) >= min_reviews]
    rated.sort(key=lambda r: (r["average_rating"], -r["review_count"], r["product"]))
    return rated[:top]


def affinity(wh: Warehouse, principal: Principal, *, top: int = 25) -> dict[str, Any]:
    """The ``top`` product pairs by lift and the category cross-sell matrix, from the marts that
    refresh builds over every order. A user with row-level restrictions gets neither (the marts
    cannot be filtered to their rows), and ``withheld`` says why."""
    if principal.restricted:
        return {"pairs": [], "categories": [], "withheld": WITHHELD}
    pairs: list[dict[str, Any]] = []
    matrix: list[dict[str, Any]] = []
    if wh.table_exists("marts", "product_affinity"):
        pairs = top_pairs(wh, top=top)
    if wh.table_exists("marts", "category_affinity"):
        matrix = wh.records(
            exp.select(exp.Star())
            .from_(table("marts", "category_affinity"))
            .order_by("category_from", "category_to")
        )
    return {"pairs": pairs, "categories": matrix, "withheld": None}


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


class ShownTable(BaseModel):
    """A table a page shows (a chart's data that no metric query gives), sent back to be saved as
    a file: the columns and the rows as the page has them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="table", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    columns: list[str] = Field(min_length=1, max_length=200)
    rows: list[list[str | float | int | bool | None]] = Field(default_factory=list, max_length=100_000)


def shown_table(body: ShownTable) -> pa.Table:
    """The rows as an Arrow table, each column typed by its values (text when they are mixed)."""
    width = len(body.columns)
    if any(len(row) != width for row in body.rows):
        raise InvalidArgumentError(f"every row must have {width} values, one per column")
    columns: dict[str, list[Any]] = {
        name: [row[i] for row in body.rows] for i, name in enumerate(body.columns)
    }
    if len(columns) != width:
        raise InvalidArgumentError("column names must be unique")
    arrays = {}
    for name, values in columns.items():
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(arrays)
