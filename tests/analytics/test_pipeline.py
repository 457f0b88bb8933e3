"""The sales pipeline on hand-made deals: learned stage probabilities, conversion and velocity,
open pipeline by a dimension, the bookings forecast and its interval, deal-scoring examples and
the temporal holdout; and the catalogue's pipeline metrics on a tiny warehouse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from bizsight.analytics import deal_scoring
from bizsight.analytics.pipeline import (
    forecast_bookings,
    open_by,
    run_rate_history,
    stage_flow,
    stage_probabilities,
)
from bizsight.metrics.query import Query
from bizsight.services.query import run_query
from tests.helpers import CUSTOMER_HEADER, built_project, customers, write_csv

D0 = dt.date(2025, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


# (deal, stage, status, amount, closed after n days, owner, source); every deal created on D0.
DEALS = [
    ("D1", "Lead", "lost", 100, 10, "Ann", "Web"),
    ("D2", "Lead", "lost", 200, 20, "Bo", "Web"),
    ("D3", "Qualified", "lost", 300, 40, "Ann", "Event"),
    ("D4", "Proposal", "lost", 400, 70, "Bo", "Web"),
    ("D5", "Won", "won", 500, 80, "Ann", "Event"),
    ("D6", "Won", "won", 700, 100, "Bo", "Web"),
    ("D7", "Lead", "open", 1000, None, "Ann", "Web"),
    ("D8", "Proposal", "open", 50, None, "Bo", "Event"),
]


def deals_table() -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "deal_id": d,
                "stage": stage,
                "status": status,
                "amount": float(amount),
                "created_date": D0,
                "expected_close_date": day(60),
                "closed_date": None if closed is None else day(closed),
                "owner": owner,
                "source": source,
            }
            for d, stage, status, amount, closed, owner, source in DEALS
        ]
    )


def test_stage_probabilities_count_won_deals_as_reaching_every_stage() -> None:
    found = [(p.stage, p.reached, p.won, p.probability) for p in stage_probabilities(deals_table())]
    # Lead: all 6 closed deals reached it, 2 won; Qualified: D3, D4, D5, D6; Proposal: D4, D5, D6
    assert found == [("Lead", 6, 2, 0.3333), ("Qualified", 4, 2, 0.5), ("Proposal", 3, 2, 0.6667)]


def test_stage_flow_conversion_and_days_in_stage() -> None:
    flow = {f.stage: f for f in stage_flow(deals_table())}
    assert (flow["Lead"].advanced, flow["Lead"].conversion) == (4, 0.6667)
    assert (flow["Lead"].days_to_close, flow["Lead"].days_in_stage) == (15.0, 15.0)  # (10 + 20) / 2
    assert (flow["Qualified"].days_to_close, flow["Qualified"].days_in_stage) == (40.0, 25.0)
    # the last stage holds the deals lost in it and the won ones: (70 + 80 + 100) / 3
    assert (flow["Proposal"].ended_here, flow["Proposal"].days_to_close) == (3, 83.33)
    assert flow["Proposal"].days_in_stage == 43.33
    assert (flow["Proposal"].advanced, flow["Proposal"].conversion) == (2, 0.6667)


def test_open_pipeline_by_stage_weights_by_the_learned_probability() -> None:
    probability = {p.stage: p.probability for p in stage_probabilities(deals_table())}
    rows = open_by(deals_table(), "stage", probability)
    assert rows == [
        {"value": "Lead", "deals": 1, "amount": 1000.0, "weighted": 333.3},  # 1000 × 0.3333
        {"value": "Proposal", "deals": 1, "amount": 50.0, "weighted": 33.34},  # 50 × 0.6667
    ]


def test_bookings_forecast_interval_is_the_quantiles_of_bernoulli_draws() -> None:
    quarter = (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    f = forecast_bookings([100.0, 200.0], [0.5, 0.5], quarter, [10.0, 10.0])
    # sums 10, 110, 210, 310 with probability 1/4 each; run-rate 10 with no spread
    assert (f.expected, f.from_pipeline, f.run_rate, f.deals) == (160.0, 150.0, 10.0, 2)
    assert (f.low, f.high) == (10.0, 310.0)
    spread = forecast_bookings([], [], quarter, [0.0, 100.0])  # run-rate alone: Normal(50, 70.7)
    assert spread.expected == 50.0 and spread.low == 0.0 and spread.high == pytest.approx(140.6, abs=3)


def test_run_rate_counts_deals_created_and_won_in_one_quarter() -> None:
    history = run_rate_history(deals_table(), dt.date(2025, 7, 1), quarters=2)
    assert history == [500.0, 0.0]  # D5 closes 22 Mar (Q1); D6 closes 11 Apr (Q2) but was created in Q1
    assert run_rate_history(deals_table(), dt.date(2025, 4, 1), quarters=1) == [500.0]


def test_scoring_examples_are_one_per_stage_reached() -> None:
    examples = deal_scoring.examples(deals_table().to_pylist())
    # lost at Lead: 1 each (D1, D2); at Qualified: 2; at Proposal: 3; won: every stage, 3 each
    assert len(examples) == 1 + 1 + 2 + 3 + 3 + 3
    assert sum(e["won"] for e in examples) == 6
    assert [e["stage"] for e in examples if e["won"]] == ["Lead", "Qualified", "Proposal"] * 2
    undated = [{**r, "closed_date": None} for r in deals_table().to_pylist()]
    assert deal_scoring.examples(undated) == []  # won or lost without a close date: not placed in time


def test_temporal_holdout_trains_before_the_cutoff_and_tests_after() -> None:
    rows = []
    for k in range(200):  # stage decides: Lead deals lose, Proposal deals win
        won = k % 2 == 0
        rows.append(
            {
                "stage": "Proposal" if won else "Lead",
                "source": "Web",
                "owner": "Ann",
                "log_amount": 5.0,
                "log_planned_days": 4.0,
                "won": won,
                "closed_date": day(k),
            }
        )
    e = deal_scoring.evaluate(rows, cutoff=day(150))
    assert (e.train_rows, e.test_rows, e.auc, e.base_rate) == (150, 50, 1.0, 0.5)
    assert sum(b.count for b in e.bins) == 50
    low, high = e.bins[0], e.bins[-1]
    assert (low.observed, high.observed) == (0.0, 1.0)


def test_reasons_name_the_features_that_move_the_odds() -> None:
    # 20 Lead examples won 1 in 4, 20 Proposal examples won 3 in 4; nothing else differs
    rows = [
        {"stage": stage, "source": "Web", "owner": "Ann", "log_amount": 5.0, "log_planned_days": 4.0}
        | {"won": (k % 4 == 0) == (stage == "Lead"), "closed_date": day(k)}
        for stage in ("Lead", "Proposal")
        for k in range(20)
    ]
    model = deal_scoring.fit(rows)
    open_deals = [
        {"deal_id": stage, "stage": stage, "status": "open", "amount": 147.0, "source": "Web", "owner": "Ann"}
        | {"created_date": D0, "expected_close_date": day(54)}
        for stage in ("Lead", "Proposal")
    ]
    scored = {s["deal_id"]: s for s in deal_scoring.score_open(model, open_deals)}
    assert scored["Proposal"]["probability"] > 0.5 > scored["Lead"]["probability"]
    assert [(r["feature"], r["value"], r["direction"]) for r in scored["Proposal"]["reasons"]] == [
        ("stage", "Proposal", "raises")
    ]  # the other features are the same for every deal: they explain nothing
    assert scored["Lead"]["reasons"][0]["direction"] == "lowers"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The deals above (with a customer in Europe for D1, D5, D7) and a bookings target."""
    root = tmp_path_factory.mktemp("tinydeals")
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, customers(1))
    header = ["deal_id", "customer_id", "owner", "stage", "amount", "created_date", "expected_close_date"]
    header += ["closed_date", "status", "source"]
    write_csv(
        data / "sales_pipeline.csv",
        header,
        [
            [
                d,
                "C1" if d in ("D1", "D5", "D7") else "",
                owner,
                stage,
                amount,
                D0,
                day(60) if status == "open" else day(30),
                "" if closed is None else day(closed),
                status,
                source,
            ]
            for d, stage, status, amount, closed, owner, source in DEALS
        ],
    )
    write_csv(
        data / "targets.csv",
        ["metric", "period_start", "period_end", "target_value"],
        [["bookings", "2025-03-01", "2025-03-31", "4000"], ["revenue", "2025-03-01", "2025-03-31", "9"]],
    )
    return built_project(root, [data])


def test_pipeline_metrics_on_a_tiny_warehouse(tiny: object) -> None:
    metrics = (
        "win_rate",
        "bookings",
        "average_deal_size",
        "sales_cycle_days",
        "open_pipeline",
        "weighted_pipeline",
    )
    row = run_query(tiny, Query(metrics=metrics)).table.to_pylist()[0]  # type: ignore[arg-type]
    assert row["win_rate"] == pytest.approx(2 / 6)
    assert row["bookings"] == Decimal("1200")
    assert row["average_deal_size"] == pytest.approx(600.0)
    assert row["sales_cycle_days"] == pytest.approx(90.0)  # (80 + 100) / 2
    assert row["open_pipeline"] == Decimal("1050")
    assert row["weighted_pipeline"] == pytest.approx(1000 * 0.3333 + 50 * 0.6667)


def test_coverage_is_the_periods_open_pipeline_over_its_bookings_target(tiny: object) -> None:
    query = Query(metrics=("open_pipeline", "pipeline_coverage"), start=day(59), end=day(89))  # March 2025
    row = run_query(tiny, query).table.to_pylist()[0]  # type: ignore[arg-type]
    assert row["open_pipeline"] == Decimal("1050")  # both open deals expect to close on 2 March
    assert row["pipeline_coverage"] == pytest.approx(1050 / 4000)


def test_win_rate_by_owner_and_by_region(tiny: object) -> None:
    by_owner = run_query(tiny, Query(metrics=("win_rate",), dimensions=("deal_owner",))).table.to_pylist()  # type: ignore[arg-type]
    assert {r["deal_owner"]: r["win_rate"] for r in by_owner} == pytest.approx({"Ann": 1 / 3, "Bo": 1 / 3})
    by_region = run_query(tiny, Query(metrics=("bookings",), dimensions=("region",))).table.to_pylist()  # type: ignore[arg-type]
    assert {r["region"]: r["bookings"] for r in by_region} == {"Europe": Decimal("500"), None: Decimal("700")}
