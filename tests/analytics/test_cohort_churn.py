"""Cohort churn is a share of customers, so it stays within 0–100 %: a hand-computed cohort
whose lapsed customers come back, and a property test over random purchase histories, both
checked against the definition computed in Python from each customer's months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizsight.analytics.cohorts import cohorts_query
from bizsight.warehouse.sql import render

JAN = dt.date(2024, 1, 1)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """The two core tables the cohort query reads, with only the columns it reads."""
    connection = duckdb.connect()
    connection.execute(
        "CREATE SCHEMA core; "
        "CREATE TABLE core.fact_order_line (customer_id VARCHAR, order_date DATE, status VARCHAR, "
        "net_amount DECIMAL(18, 2)); "
        "CREATE TABLE core.dim_customer (customer_id VARCHAR, signup_date DATE, region VARCHAR, "
        "customer_segment VARCHAR, country VARCHAR, acquisition_channel VARCHAR)"
    )
    yield connection
    connection.close()


def month(k: int) -> dt.date:
    return dt.date(2024 + k // 12, k % 12 + 1, 15)


def load(con: duckdb.DuckDBPyConnection, history: dict[str, set[int]]) -> list[dict[str, object]]:
    """Write one completed order per customer and month of ``history``; run the cohort query."""
    con.execute("DELETE FROM core.fact_order_line; DELETE FROM core.dim_customer")
    rows = [(c, month(k), "completed", 10) for c, months in history.items() for k in months]
    if rows:
        con.executemany("INSERT INTO core.fact_order_line VALUES (?, ?, ?, ?)", rows)
    con.executemany("INSERT INTO core.dim_customer (customer_id) VALUES (?)", [(c,) for c in history])
    cursor = con.sql(render(cohorts_query()))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_churn_is_the_share_of_last_months_buyers_who_did_not_buy_again(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # A January cohort of four. February: only A. March: A and B (B comes back). April: nobody.
    # May: C comes back.
    got = {r["period"]: r for r in load(con, {"A": {0, 1, 2}, "B": {0, 2}, "C": {0, 4}, "D": {0}})}
    assert [got[k]["active_customers"] for k in range(5)] == [4, 1, 2, 0, 1]
    # February lost B, C, D of four: 3/4. March lost nobody of February's {A}: 0 — where
    # 1 − retention(Mar) / retention(Feb) = 1 − 0.5 / 0.25 said −100 %. April lost both of
    # March's buyers: 1. May follows a month with nobody active: undefined.
    assert [got[k]["lost_customers"] for k in range(5)] == [None, 3, 0, 2, 0]
    assert [got[k]["churn_rate"] for k in range(5)] == [None, 0.75, 0.0, 1.0, None]


def churn_by_definition(history: dict[str, set[int]]) -> dict[tuple[int, int], float | None]:
    """(cohort month, period) → |active(k − 1) − active(k)| / |active(k − 1)|, from the sets."""
    cohort = {c: min(months) for c, months in history.items() if months}
    last = max((k for months in history.values() for k in months), default=0)
    out: dict[tuple[int, int], float | None] = {}
    for start in set(cohort.values()):
        members = [c for c, s in cohort.items() if s == start]
        for period in range(1, last - start + 1):
            before = {c for c in members if start + period - 1 in history[c]}
            now = {c for c in members if start + period in history[c]}
            out[(start, period)] = len(before - now) / len(before) if before else None
    return out


histories = st.dictionaries(
    st.sampled_from([f"C{i}" for i in range(12)]),
    st.sets(st.integers(min_value=0, max_value=8), min_size=1, max_size=9),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories)
def test_churn_rate_stays_between_0_and_1(
    con: duckdb.DuckDBPyConnection, history: dict[str, set[int]]
) -> None:
    rows = load(con, history)
    want = churn_by_definition(history)
    for r in rows:
        churn = r["churn_rate"]
        assert churn is None or 0.0 <= churn <= 1.0, r
        if r["period"] > 0:
            start = (r["cohort"].year - 2024) * 12 + r["cohort"].month - 1
            assert churn == pytest.approx(want[(start, r["period"])]), r
