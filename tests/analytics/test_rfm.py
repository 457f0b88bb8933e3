"""RFM on a hand-made shop: values, NTILE scores, segments, summary and migration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bizsight.analytics.rfm import (
    ClvColumn,
    RFMSettings,
    SegmentRule,
    migration,
    rfm,
    segment_summary,
)
from bizsight.console import NullReporter
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from tests.demo_builds import WEB, DemoBuilds
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, PRODUCT_HEADER, customers, order, write_csv

# (order, customer, date, net amount, status); every line is one unit of P1 at the amount.
LINES = [
    ("O1", "C1", "2024-06-25", 100, "completed"),
    ("O2", "C1", "2024-05-01", 50, "completed"),
    ("O3", "C1", "2024-03-01", 50, "completed"),
    ("O4", "C2", "2024-06-01", 30, "completed"),
    ("O5", "C2", "2024-02-01", 30, "completed"),
    ("O6", "C3", "2024-01-10", 500, "completed"),
    ("O7", "C4", "2024-04-01", 20, "completed"),
    ("O8", "C4", "2024-06-20", 80, "refunded"),  # a purchase (recency, frequency), net 0
    ("O9", "C5", "2023-12-01", 10, "completed"),
    ("O10", "C6", "2024-06-29", 70, "cancelled"),  # never a customer
    ("O11", "C5", "2024-07-05", 40, "completed"),  # after the first as-of date
    ("O12", "C7", "2024-07-10", 15, "completed"),  # new after the first as-of date
]
AS_OF = dt.date(2024, 6, 30)
LATER = dt.date(2024, 7, 31)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("rfm")
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, customers(7))
    write_csv(data / "product_catalog.csv", PRODUCT_HEADER, [["P1", "Lamp", "Home", "10.00", "4.00", 5]])
    rows = [
        order(o, c, "P1", date=f"{d} 10:00:00", price=f"{amount}.00", status=status)
        for o, c, d, amount, status in LINES
    ]
    write_csv(data / "sales_transactions.csv", ORDER_HEADER, rows)
    project = Project(root / "shop")
    project.init()
    ingest(project, [data], NullReporter())
    refresh(project, NullReporter())
    return project


def ntile(keys: dict[str, tuple[object, ...]], bins: int = 5) -> dict[str, int]:
    """NTILE as SQL defines it: rows in key order, the first n % bins groups one larger."""
    ordered = sorted(keys, key=lambda c: keys[c])
    n = len(ordered)
    sizes = [n // bins + (1 if i < n % bins else 0) for i in range(bins)]
    scores, start = {}, 0
    for score, size in enumerate(sizes, start=1):
        for c in ordered[start : start + size]:
            scores[c] = score
        start += size
    return scores


def reference(as_of: dt.date) -> dict[str, dict[str, object]]:
    """RFM worked out in Python from LINES."""
    rows: dict[str, dict[str, object]] = {}
    for o, c, d, amount, status in LINES:
        day = dt.date.fromisoformat(d)
        if status == "cancelled" or day > as_of:
            continue
        row = rows.setdefault(c, {"last": day, "orders": set(), "monetary": 0})
        row["last"] = max(row["last"], day)  # type: ignore[type-var]
        row["orders"].add(o)  # type: ignore[attr-defined]
        row["monetary"] += amount if status == "completed" else 0  # type: ignore[operator]
    values = {
        c: {
            "recency_days": (as_of - r["last"]).days,  # type: ignore[operator]
            "frequency": len(r["orders"]),  # type: ignore[arg-type]
            "monetary": r["monetary"],
        }
        for c, r in rows.items()
    }
    r_score = ntile({c: (-v["recency_days"], c) for c, v in values.items()})  # type: ignore[operator]
    f_score = ntile({c: (v["frequency"], c) for c, v in values.items()})
    m_score = ntile({c: (v["monetary"], c) for c, v in values.items()})
    for c, v in values.items():
        v.update(r_score=r_score[c], f_score=f_score[c], m_score=m_score[c])
    return values


def by_customer(table: object) -> dict[str, dict[str, object]]:
    return {row["customer_id"]: row for row in table.to_pylist()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("as_of", [AS_OF, LATER])
def test_values_and_scores_match_the_reference(shop: Project, as_of: dt.date) -> None:
    with shop.warehouse(read_only=True) as wh:
        got = by_customer(rfm(wh, as_of))
    want = reference(as_of)
    assert set(got) == set(want)
    for c, expected in want.items():
        row = got[c]
        assert {k: row[k] for k in expected} == expected, c
        assert row["fm_score"] == (row["f_score"] + row["m_score"] + 1) // 2


def test_hand_computed_first_date(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        got = by_customer(rfm(wh, AS_OF))
    # recency: C1 5 days, C4 10 (the refunded order counts), C2 29, C3 172, C5 212
    assert {c: r["recency_days"] for c, r in got.items()} == {
        "C1": 5,
        "C2": 29,
        "C3": 172,
        "C4": 10,
        "C5": 212,
    }
    assert {c: r["frequency"] for c, r in got.items()} == {"C1": 3, "C2": 2, "C3": 1, "C4": 2, "C5": 1}
    assert {c: float(r["monetary"]) for c, r in got.items()} == {
        "C1": 200,
        "C2": 60,
        "C3": 500,
        "C4": 20,
        "C5": 10,
    }
    # Five customers, one per quintile; F ties (C3 = C5, C2 = C4) go by customer id.
    assert {c: r["rfm_code"] for c, r in got.items()} == {
        "C1": 554,
        "C2": 333,
        "C3": 215,
        "C4": 442,
        "C5": 121,
    }
    assert {c: r["segment"] for c, r in got.items()} == {
        "C1": "Champions",  # R5 FM5
        "C2": "Need Attention",  # R3 FM3
        "C3": "At Risk",  # R2 FM3
        "C4": "Potential Loyalists",  # R4 FM3
        "C5": "Hibernating",  # R1 FM2
    }


def test_hand_computed_second_date(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        got = by_customer(rfm(wh, LATER))
    # six customers: NTILE(5) groups of 2, 1, 1, 1, 1
    assert {c: r["segment"] for c, r in got.items()} == {
        "C1": "Loyal",  # R3 FM5
        "C2": "At Risk",  # R1 FM3
        "C3": "At Risk",  # R1 FM3
        "C4": "Hibernating",  # R2 FM2
        "C5": "Potential Loyalists",  # R4 FM3
        "C7": "New Customers",  # R5 FM1
    }


def test_migration_matrix(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        table = migration(wh, AS_OF, LATER)
    got = {(r["segment_from"], r["segment_to"]): r["customers"] for r in table.to_pylist()}
    assert got == {
        ("Champions", "Loyal"): 1,
        ("Need Attention", "At Risk"): 1,
        ("At Risk", "At Risk"): 1,
        ("Potential Loyalists", "Hibernating"): 1,
        ("Hibernating", "Potential Loyalists"): 1,
        (None, "New Customers"): 1,
    }


def test_segment_summary_with_clv(shop: Project) -> None:
    with shop.warehouse() as wh:
        wh.run("CREATE SCHEMA IF NOT EXISTS marts")
        wh.run(
            "CREATE OR REPLACE TABLE marts.test_clv AS SELECT * FROM (VALUES ('C3', 40.0), ('C2', 10.0)) v(customer_id, value)"
        )
        plain = {r["segment"]: r for r in segment_summary(wh, AS_OF).to_pylist()}
        with_clv = {
            r["segment"]: r
            for r in segment_summary(
                wh, AS_OF, clv=ClvColumn(table_name="test_clv", column="value")
            ).to_pylist()
        }
        wh.run("DROP TABLE marts.test_clv")
    assert list(plain)[:3] == ["Champions", "Loyal", "Potential Loyalists"]
    assert "Other" not in plain  # the default rules cover every cell
    assert plain["Loyal"]["customers"] == 0
    assert plain["Champions"]["customers"] == 1
    assert plain["Champions"]["customer_share"] == pytest.approx(1 / 5)
    assert plain["At Risk"]["revenue_share"] == pytest.approx(500 / 790)
    assert float(plain["Champions"]["revenue"]) == 200
    assert plain["Champions"]["avg_clv"] is None
    assert with_clv["At Risk"]["avg_clv"] == pytest.approx(40.0)
    assert with_clv["Need Attention"]["avg_clv"] == pytest.approx(10.0)
    assert with_clv["Champions"]["avg_clv"] is None


def test_rules_can_be_replaced(shop: Project) -> None:
    settings = RFMSettings(
        rules=(
            SegmentRule(segment="Recent", r=(4, 5), fm=(1, 5)),
            SegmentRule(segment="Big", r=(1, 3), fm=(3, 5)),
        )
    )
    with shop.warehouse(read_only=True) as wh:
        got = {c: r["segment"] for c, r in by_customer(rfm(wh, AS_OF, settings)).items()}
        summary = {r["segment"]: r["customers"] for r in segment_summary(wh, AS_OF, settings).to_pylist()}
    assert got == {"C1": "Recent", "C4": "Recent", "C2": "Big", "C3": "Big", "C5": "Other"}
    assert summary == {"Recent": 2, "Big": 2, "Other": 1}


def test_rank_ties_give_equal_values_equal_scores(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        got = by_customer(rfm(wh, AS_OF, RFMSettings(ties="rank")))
    # frequencies 1, 1, 2, 2, 3: ranks 1, 1, 3, 3, 5 → 1 + floor(5 (rank − 1) / 5)
    assert {c: r["f_score"] for c, r in got.items()} == {"C3": 1, "C5": 1, "C2": 3, "C4": 3, "C1": 5}


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="not within 1–5"):
        RFMSettings(rules=(SegmentRule(segment="x", r=(0, 5), fm=(1, 5)),))


def test_query_is_built_from_literals(tmp_path: Path) -> None:
    from bizsight.analytics.rfm import rfm_query
    from bizsight.errors import InvalidArgumentError
    from bizsight.warehouse.sql import render

    sql = render(
        rfm_query("2024-06-30", RFMSettings(rules=(SegmentRule(segment="O'Brien", r=(1, 5), fm=(1, 5)),)))
    )
    assert "'O''Brien'" in sql
    with pytest.raises(InvalidArgumentError):
        rfm_query("2024-13-01; DROP TABLE x")


def test_segments_on_demo_data_follow_the_simulated_truth(demo_builds: DemoBuilds) -> None:
    """BG/NBD demo customers: a purchase rate λ and, after a repeat purchase, a dropout. Frequent
    buyers who went quiet (At Risk, Can't Lose Them) should mostly have dropped out, Champions
    mostly not, and Champions should buy at a much higher rate than Lost/Hibernating customers.
    (Lost one-time buyers are 'alive' in BG/NBD: nobody drops out before a repeat purchase.)"""
    import pyarrow.parquet as pq

    project = demo_builds.shared(WEB)  # 2,000 customers over two years, seed 11
    root = project.root.parent
    truth = {
        r["customer_id"]: r
        for r in pq.read_table(root / "data" / "ground_truth_customers.parquet").to_pylist()
    }
    with project.warehouse(read_only=True) as wh:
        rows = rfm(wh).to_pylist()
        summary = segment_summary(wh).to_pylist()
    assert sum(r["customers"] for r in summary) == len(rows)
    assert sum(r["customer_share"] for r in summary) == pytest.approx(1.0)
    assert sum(r["revenue_share"] for r in summary) == pytest.approx(1.0)

    def share_alive(*segments: str) -> float:
        alive = [truth[r["customer_id"]]["alive_at_end"] for r in rows if r["segment"] in segments]
        return sum(alive) / len(alive)

    def mean_rate(*segments: str) -> float:
        rates = [truth[r["customer_id"]]["lambda_per_week"] for r in rows if r["segment"] in segments]
        return sum(rates) / len(rates)

    # Measured at seed 11: alive 0.93 (Champions), 0.27 (At Risk + Can't Lose Them);
    # λ 0.19 (Champions) against 0.06 (Lost + Hibernating).
    assert share_alive("Champions") >= 0.8
    assert share_alive("At Risk", "Can't Lose Them") <= 0.45
    assert mean_rate("Champions") >= 2 * mean_rate("Lost", "Hibernating")


def test_at_the_last_date_customer_orders_give_the_same_rfm(shop: Project, demo_builds: DemoBuilds) -> None:
    """Refresh builds marts.rfm_segments from core.customer_orders (no pass over the order lines):
    the same rows as from the lines, on the hand-made shop (cancelled lines, customers without
    orders) and on the demo."""
    from bizsight.analytics.rfm import rfm_query
    from bizsight.errors import InvalidArgumentError
    from bizsight.warehouse.sql import render

    for project, least in ((shop, 5), (demo_builds.shared(WEB), 1000)):
        with project.warehouse(read_only=True) as wh:
            lines = wh.con.sql(render(rfm_query().order_by("customer_id"))).fetchall()
            orders = wh.con.sql(
                render(rfm_query(from_customer_orders=True).order_by("customer_id"))
            ).fetchall()
        assert len(lines) >= least and orders == lines
    with pytest.raises(InvalidArgumentError):
        rfm_query(AS_OF, from_customer_orders=True)
