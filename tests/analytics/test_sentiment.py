"""Review sentiment: VADER scores, labels, aggregates, agreement with stars, worst reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from scipy.stats import spearmanr

from bizsight.analytics.sentiment import (
    SentimentSettings,
    most_negative,
    rating_agreement,
    score_reviews,
    score_texts,
    sentiment_by,
)
from bizsight.services.project import Project
from tests.demo_builds import WEB, DemoBuilds
from tests.helpers import (
    CUSTOMER_HEADER,
    ORDER_HEADER,
    PRODUCT_HEADER,
    built_project,
    customers,
    order,
    write_csv,
)

REVIEW_HEADER = ["review_id", "customer_id", "product_id", "rating", "review_date", "review_text"]
LOVE = "Great product, I love it!"
REVIEWS = [
    ["R1", "C1", "P1", 5, "2024-01-10", LOVE],
    ["R2", "C2", "P1", 1, "2024-01-25", "Terrible. It arrived broken and I am very disappointed."],
    ["R3", "C1", "P1", 4, "2024-02-05", LOVE],  # the same text: scored once
    ["R4", "C3", "P2", 3, "2024-02-20", "It is a cable."],
    ["R5", "C2", "P2", 2, "2024-03-01", "Awful, a complete waste of money."],
    ["R6", "C3", "P2", 1, "2023-10-01", "Horrible, the worst purchase ever."],  # not recent
    ["R7", "C1", "P2", 5, "2024-02-28", ""],  # no text
]
CATEGORY = {"P1": "Home", "P2": "Electronics"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("reviews")
    data = root / "data"
    write_csv(data / "customer_database.csv", CUSTOMER_HEADER, customers(3))
    write_csv(
        data / "product_catalog.csv",
        PRODUCT_HEADER,
        [["P1", "Lamp", "Home", "10.00", "4.00", 5], ["P2", "Cable", "Electronics", "5.00", "1.00", 5]],
    )
    write_csv(data / "sales_transactions.csv", ORDER_HEADER, [order("O1", "C1", "P1")])
    write_csv(data / "customer_reviews.csv", REVIEW_HEADER, REVIEWS)
    return built_project(root, [data])


@pytest.fixture(scope="module")
def scored(shop: Project) -> pa.Table:
    with shop.warehouse(read_only=True) as wh:
        return score_reviews(wh)


def label(compound: float | None) -> str | None:
    if compound is None:
        return None
    return "positive" if compound > 0.05 else "negative" if compound < -0.05 else "neutral"


def test_very_negative_texts_score_negative() -> None:
    negative = [
        "Terrible quality, it broke after one day. Total waste of money.",
        "Awful. Arrived damaged and the seller was useless. Worst purchase ever.",
        "Very disappointed, horrible product, do not buy.",
    ]
    positive = [
        "Excellent quality, I love it. Highly recommend!",
        "Perfect, exactly what I needed. Great value.",
    ]
    assert all(s < -0.5 for s in score_texts(negative))
    assert all(s > 0.5 for s in score_texts(positive))
    assert abs(score_texts(["It is a cable."])[0]) <= 0.05


def test_each_distinct_text_is_scored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    calls: list[str] = []
    original = SentimentIntensityAnalyzer.polarity_scores

    def counting(self: Any, text: str) -> dict[str, float]:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(SentimentIntensityAnalyzer, "polarity_scores", counting)
    scores = score_texts(["good", "bad", "good", "good"])
    assert sorted(calls) == ["bad", "good"]
    assert scores[0] == scores[2] == scores[3] > 0 > scores[1]


def test_every_review_is_scored_and_labelled(scored: pa.Table) -> None:
    rows = {r["review_id"]: r for r in scored.to_pylist()}
    assert set(rows) == {r[0] for r in REVIEWS}
    expected = dict(
        zip([r[0] for r in REVIEWS[:6]], score_texts([str(r[5]) for r in REVIEWS[:6]]), strict=True)
    )
    for review_id, compound in expected.items():
        assert rows[review_id]["compound"] == pytest.approx(compound)
        assert rows[review_id]["label"] == label(compound)
    assert rows["R7"]["compound"] is None and rows["R7"]["label"] is None
    assert [rows[r]["label"] for r in ("R1", "R2", "R4", "R5")] == [
        "positive",
        "negative",
        "neutral",
        "negative",
    ]
    assert rows["R4"]["category"] == "Electronics"


def test_aggregates_by_product_category_and_month(shop: Project, scored: pa.Table) -> None:
    rows = scored.to_pylist()
    with shop.warehouse(read_only=True) as wh:
        by_product = {r["product_id"]: r for r in sentiment_by(wh, scored, "product").to_pylist()}
        by_category = {r["category"]: r for r in sentiment_by(wh, scored, "category").to_pylist()}
        by_month = {r["month"]: r for r in sentiment_by(wh, scored, "month").to_pylist()}
    for product in ("P1", "P2"):
        mine = [r for r in rows if r["product_id"] == product]
        texts = [r for r in mine if r["compound"] is not None]
        got = by_product[product]
        assert got["reviews"] == len(mine) and got["scored"] == len(texts)
        assert got["mean_compound"] == pytest.approx(sum(r["compound"] for r in texts) / len(texts))
        assert got["negative_share"] == pytest.approx(
            sum(r["label"] == "negative" for r in texts) / len(texts)
        )
        assert got["mean_rating"] == pytest.approx(sum(r["rating"] for r in mine) / len(mine))
        assert by_category[CATEGORY[product]]["reviews"] == len(mine)
    assert by_product["P1"]["positive_share"] == pytest.approx(2 / 3)
    assert by_product["P2"]["negative_share"] == pytest.approx(2 / 3)  # R4 neutral, R5 and R6 negative
    assert by_month[dt.date(2024, 2, 1)]["reviews"] == 3  # R3, R4, R7
    assert by_month[dt.date(2024, 2, 1)]["scored"] == 2


def test_agreement_with_stars(shop: Project, scored: pa.Table) -> None:
    with shop.warehouse(read_only=True) as wh:
        (got,) = rating_agreement(wh, scored).to_pylist()
    rows = [r for r in scored.to_pylist() if r["compound"] is not None]
    assert got["reviews"] == 6
    assert got["high_rated_positive"] == 1.0  # R1, R3
    assert got["low_rated_negative"] == 1.0  # R2, R5, R6
    assert got["agreement"] == 1.0  # and R4: 3 stars, neutral
    rho = spearmanr([r["rating"] for r in rows], [r["compound"] for r in rows]).statistic
    assert got["spearman"] == pytest.approx(rho)


def test_most_negative_recent_reviews(shop: Project, scored: pa.Table) -> None:
    with shop.warehouse(read_only=True) as wh:
        recent = most_negative(wh, scored, top=2).to_pylist()
        longer = most_negative(wh, scored, top=1, settings=SentimentSettings(recent_days=365)).to_pylist()
    # 90 days up to the last review (1 March 2024): R6 (October 2023) is too old
    assert [(r["product_id"], r["review_id"]) for r in recent] == [("P1", "R2"), ("P2", "R5")]
    worst_p2 = min(
        ("R5", "R6"), key=lambda r: next(x["compound"] for x in scored.to_pylist() if x["review_id"] == r)
    )
    assert [(r["product_id"], r["review_id"]) for r in longer] == [("P1", "R2"), ("P2", worst_p2)]


def test_vader_agrees_with_demo_star_ratings(demo_builds: DemoBuilds) -> None:
    project = demo_builds.shared(WEB)  # 2,000 customers over two years, seed 11
    with project.warehouse(read_only=True) as wh:
        scored = score_reviews(wh)
        (got,) = rating_agreement(wh, scored).to_pylist()
    assert got["reviews"] > 800
    # Measured at seed 11 (2 000 and 5 000 customers): 1.00, 1.00 and rho 0.95; 3-star phrases
    # are the only disagreement (VADER reads some "neutral or mixed" ones as positive/negative).
    assert got["high_rated_positive"] >= 0.97
    assert got["low_rated_negative"] >= 0.97
    assert got["spearman"] >= 0.85


def test_queries_run_over_a_stored_table(shop: Project, scored: pa.Table) -> None:
    from bizsight.analytics.sentiment import agreement_query, most_negative_query
    from bizsight.warehouse.sql import render

    with shop.warehouse() as wh:
        wh.run("CREATE SCHEMA IF NOT EXISTS marts")
        cursor = wh.con.cursor()
        cursor.register("scored_view", scored)
        cursor.execute("CREATE OR REPLACE TABLE marts.test_review_sentiment AS SELECT * FROM scored_view")
        (stored,) = wh.rows(render(agreement_query("marts.test_review_sentiment")))
        worst = wh.rows(
            render(most_negative_query(1, dt.date(2024, 3, 1), source="marts.test_review_sentiment"))
        )
        wh.run("DROP TABLE marts.test_review_sentiment")
        (registered,) = rating_agreement(wh, scored).to_pylist()
    assert stored[0] == registered["reviews"] and stored[4] == pytest.approx(registered["spearman"])
    assert [(r[0], r[1]) for r in worst] == [("P1", "R2"), ("P2", "R5")]
