"""A compiler keeps no state between compilations: the same query compiles to the same SQL when
compiled again, interleaved with another query, or from several threads at once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from bizsight.metrics.compiler import QueryCompiler, compile_query
from bizsight.metrics.definitions import builtin
from bizsight.metrics.query import Filter, Query

TODAY = dt.date(2026, 11, 24)
QUERIES = (
    Query(
        metrics=("revenue", "average_order_value"),
        dimensions=("region",),
        grain="month",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 6, 30),
        filters=(Filter(dimension="category", values=("Home",)),),
    ),
    Query(metrics=("customer_retention_rate", "revenue_growth"), grain="quarter", compare="previous_year"),
    Query(metrics=("revenue", "orders"), grain="week", compare="previous_period"),
)


def alone(query: Query) -> str:
    return compile_query(builtin(), query, today=TODAY).sql()


def test_one_compiler_compiles_twice_to_the_same_sql() -> None:
    compiler = QueryCompiler(builtin(), QUERIES[1], TODAY, 1)
    first = compiler.compile().sql()
    assert compiler.compile().sql() == first == alone(QUERIES[1])


def test_interleaved_compilations_on_one_catalogue_do_not_mix() -> None:
    catalogue = builtin()
    compilers = [QueryCompiler(catalogue, q, TODAY, 1) for q in QUERIES]
    # Every compilation starts before the previous compiler's next one.
    rounds = [[c.compile().sql() for c in compilers] for _ in range(2)]
    expected = [alone(q) for q in QUERIES]
    assert rounds == [expected, expected]


def test_threads_compiling_different_queries_get_each_query_s_sql() -> None:
    catalogue = builtin()
    shared = [QueryCompiler(catalogue, q, TODAY, 1) for q in QUERIES]
    jobs = [shared[i % len(QUERIES)] for i in range(60)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda c: c.compile().sql(), jobs))
    expected = [alone(q) for q in QUERIES]
    assert results == [expected[i % len(QUERIES)] for i in range(60)]
