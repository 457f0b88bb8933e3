"""Customer views show churn risk and its reasons when marts.churn_scores exists (refresh builds
it once churn scoring is merged), and sort by it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizsight.analytics.churn_features import FEATURES
from bizsight.analytics.customer_story import LAPSED_P_ALIVE
from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.users import add_user, create_token
from tests.demo_builds import TINY, DemoBuilds
from tests.helpers import demo_project


def test_churn_risk_and_reasons_come_from_the_churn_mart(demo_builds: DemoBuilds, tmp_path: Path) -> None:
    project = demo_builds.copy(TINY, tmp_path)
    with project.warehouse() as wh:  # scores of our own (replacing refresh's, where it builds them)
        wh.run(
            "CREATE OR REPLACE TABLE marts.churn_scores AS SELECT customer_id, "
            "(hash(customer_id) % 1000) / 1000.0 AS churn_probability, 'high' AS risk_band, "
            "'days since last order' AS reason_1, 'fewer orders' AS reason_2, NULL AS reason_3, "
            "1.0 AS revenue_at_risk FROM core.customer_orders"
        )
        expected = dict(wh.rows("SELECT customer_id, churn_probability FROM marts.churn_scores"))
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "vic", "viewer", "a long test password")
    headers = {"Authorization": f"Bearer {create_token(store, 'vic', 't')[1]}"}
    with TestClient(create_app(project, store=store)) as client:
        listed = client.get("/api/v1/customers?sort=churn_risk&page_size=1000", headers=headers).json()[
            "customers"
        ]
        risks = [c["churn_probability"] for c in listed if c["churn_probability"] is not None]
        assert risks == sorted(risks, reverse=True) and len(risks) == len(expected)
        top = listed[0]
        assert top["churn_probability"] == max(expected.values())
        detail = client.get(f"/api/v1/customers/{top['customer_id']}", headers=headers).json()["customer"]
        assert detail["risk_band"] == "high" and detail["reason_1"] == "days since last order"
    store.close()


def _truth(project_root: Path) -> dict[str, dict[str, object]]:
    import duckdb

    path = project_root / "data" / "ground_truth_customers.parquet"
    with duckdb.connect() as con:
        cursor = con.execute(f"SELECT * FROM read_parquet('{path}')")
        names = [d[0] for d in cursor.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def test_big_spenders_clv_against_the_simulations_truth(tmp_path: Path) -> None:
    """The demo's purchases are simulated from BG/NBD and Gamma-Gamma with known parameters, and
    ground_truth_customers.parquet says who was still a customer at the end. A big spender who is
    still buying gets a large CLV; one whose CLV is small has, in truth, stopped — and the API
    says so in words, with reasons in words and what segment, churn risk and p_alive each mean."""
    project = demo_project(tmp_path, customers=1500, years=2.0, seed=3)
    truth = _truth(tmp_path)
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "vic", "viewer", "a long test password")
    headers = {"Authorization": f"Bearer {create_token(store, 'vic', 't')[1]}"}
    with project.warehouse(read_only=True) as wh:
        rows = (
            wh.con.sql(
                "SELECT customer_id, clv, p_alive, total_value FROM marts.clv ORDER BY total_value DESC LIMIT 60"
            )
            .to_arrow_table()
            .to_pylist()
        )
    alive = [r for r in rows if truth[r["customer_id"]]["alive_at_end"]]
    lapsed = [r for r in rows if r["p_alive"] < LAPSED_P_ALIVE]
    # Seed 3, the 60 biggest spenders: 44 still customers at the end, 16 gone; the 4 whose
    # p_alive is below 10 % (CLV 0.1 to 13 after 2,000 to 5,000 of revenue) are all gone in truth.
    assert len(alive) >= 30 and len(lapsed) >= 3
    assert all(not truth[r["customer_id"]]["alive_at_end"] for r in lapsed)
    # Those still buying get a large CLV: a median of about 1,000, more than half of what their
    # true purchase rate and order value would bring in a year (median ratio 0.6 measured).
    clv_alive = sorted(r["clv"] for r in alive)
    assert clv_alive[len(clv_alive) // 2] > 500
    yearly = {
        r["customer_id"]: 52
        * truth[r["customer_id"]]["lambda_per_week"]
        * truth[r["customer_id"]]["expected_order_value"]  # type: ignore[operator]
        for r in alive
    }
    ratios = sorted(r["clv"] / yearly[r["customer_id"]] for r in alive)
    assert ratios[len(ratios) // 2] > 0.3
    big_and_gone = max(lapsed, key=lambda r: r["total_value"])
    big_and_buying = max(alive, key=lambda r: r["total_value"])
    with TestClient(create_app(project, store=store)) as client:
        gone = client.get(f"/api/v1/customers/{big_and_gone['customer_id']}", headers=headers).json()
        buying = client.get(f"/api/v1/customers/{big_and_buying['customer_id']}", headers=headers).json()
        listed = client.get(
            f"/api/v1/customers?search={big_and_gone['customer_id']}", headers=headers
        ).json()["customers"]
    store.close()
    # The list (and its CSV) carries the strongest reason in the same words as the customer's page.
    assert [c["main_reason"] for c in listed] == [gone["customer"]["reasons"][0]]
    said = gone["explanation"]
    assert "This customer has likely lapsed (p_alive " in said["clv"]
    assert said["clv_if_alive"] == pytest.approx(big_and_gone["clv"] / big_and_gone["p_alive"])
    assert said["clv_if_alive"] > 100 * big_and_gone["clv"]
    assert "probably stopped buying" in said["summary"] and said["segment"] and said["p_alive"]
    # Reasons are sentences, never feature names such as recency_days.
    reasons = gone["customer"]["reasons"]
    assert reasons and not any(re.search(r"[a-z]+_[a-z]+", r) for r in reasons)
    assert any(r.startswith("No order for") for r in reasons)
    assert gone["customer"]["reason_1"] in {
        f"{f} {level}" for f in FEATURES for level in ("high", "low", "missing")
    }
    assert buying["customer"]["clv"] > 1000 and "lapsed" not in buying["explanation"]["clv"]
