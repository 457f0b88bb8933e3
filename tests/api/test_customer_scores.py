"""Customer views show churn risk and its reasons when marts.churn_scores exists (refresh builds
it once churn scoring is merged), and sort by it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.users import add_user, create_token
from tests.helpers import demo_project


def test_churn_risk_and_reasons_come_from_the_churn_mart(tmp_path: Path) -> None:
    project = demo_project(tmp_path, customers=150, years=1.0, seed=5)
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
