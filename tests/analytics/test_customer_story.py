"""What a customer's numbers mean: churn reasons in words and the sentences that reconcile the RFM
segment with churn risk and p_alive, on hand-made customers whose numbers are worked out here."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pytest

from bizsight.analytics.churn import ChurnModel, score_features
from bizsight.analytics.churn_features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES
from bizsight.analytics.churn_reasons import reason_words, usual_gap_days
from bizsight.analytics.customer_story import customer_story
from bizsight.presentation.numbers import Presenter

# The demo's C0000019 (seed 42): 48 orders from 2 Oct 2023 to 6 May 2026, Loyal, churn risk 80 %,
# p_alive 6 %, CLV 396 after 25,157 of revenue.
LOYAL_BUT_SILENT = {
    "customer_id": "C0000019",
    "rfm_segment": "Loyal",
    "rfm_code": 355,
    "scores_as_of": dt.date(2026, 9, 30),
    "recency_days": 147,
    "orders": 48,
    "net_revenue": 25156.87,
    "first_order_date": dt.date(2023, 10, 2),
    "last_order_date": dt.date(2026, 5, 6),
    "churn_probability": 0.7968,
    "p_alive": 0.0604,
    "churn_days": 133,
    "clv": 396.04,
}


def test_recency_reason_compares_the_silence_with_the_customers_own_pace() -> None:
    # 880 days from first to now, last order 214 days ago, 10 purchase days: 666 / 9 = 74 days
    # between purchases; 214 / 74 = 2.9, written "3×".
    row = {"recency_days": 214.0, "tenure_days": 880.0, "frequency": 10.0}
    assert usual_gap_days(row) == pytest.approx(74.0)
    assert reason_words("recency_days high", row, {"recency_days": 90.0}) == (
        "No order for 214 days, 3× longer than usual for this customer (one order every 74 days)"
    )
    one_day = {"recency_days": 300.0, "tenure_days": 300.0, "frequency": 1.0}
    assert reason_words("recency_days high", one_day, {"recency_days": 90.0}) == (
        "No order for 300 days since their only purchase day (half of customers ordered within 90 days)"
    )


@pytest.mark.parametrize(
    ("code", "row", "typical", "words"),
    [
        (
            "spend_trend low",
            {"spend_trend": -730.0},
            {},
            "Spent 730 less in the last 90 days than in the 90 before",
        ),
        (
            "frequency_trend low",
            {"frequency_trend": -2.0},
            {},
            "Bought on 2 days fewer in the last 90 days than in the 90 before",
        ),
        ("frequency_90 low", {"frequency_90": 0.0}, {"frequency_90": 1.0}, "No purchase in the last 90 days"),
        (
            "refund_share high",
            {"refund_share": 0.3},
            {"refund_share": 0.0},
            "Share of spend refunded: 30 % (a typical customer: 0 %)",
        ),
        (
            "avg_rating low",
            {"avg_rating": 2.25},
            {"avg_rating": 4.0},
            "Average rating given: 2.2 stars (a typical customer: 4.0 stars)",
        ),
        ("avg_sentiment missing", {"avg_sentiment": None}, {}, "Has written no review text"),
        ("acquisition_channel Display", {}, {}, "Came to us through Display"),
        ("orders low", None, None, "Fewer orders than a typical customer"),
    ],
)
def test_reasons_in_words(
    code: str, row: dict[str, object] | None, typical: dict[str, float] | None, words: str
) -> None:
    assert reason_words(code, row, typical) == words


def test_every_reason_code_has_words_without_feature_names() -> None:
    codes = [f"{name} {level}" for name in NUMERIC_FEATURES for level in ("high", "low", "missing")]
    codes += [f"{name} Web" for name in CATEGORICAL_FEATURES]
    row = dict.fromkeys(NUMERIC_FEATURES, 3.0)
    for code in codes:
        for words in (reason_words(code), reason_words(code, row, row)):
            assert not re.search(r"[a-z]+_[a-z]+", words), (code, words)


def test_scoring_writes_the_reasons_in_words() -> None:
    """A classifier whose answer is known (p = recency / 500, nothing else counts): the customer
    silent for 400 days after buying every 20 gets the recency reason, in words with their own
    numbers."""

    class ByRecency:
        def predict_proba(self, x: np.ndarray) -> np.ndarray:
            p = np.clip(x[:, 0] / 500.0, 0, 1)
            return np.column_stack([1 - p, p])

    numbers = {name: [1.0, 1.0, 1.0] for name in NUMERIC_FEATURES}
    numbers["recency_days"] = [400.0, 10.0, 20.0]
    numbers["tenure_days"] = [1000.0, 30.0, 40.0]
    numbers["frequency"] = [31.0, 2.0, 2.0]
    table = pa.table(
        {"customer_id": ["A", "B", "C"], **numbers, **{name: ["Web"] * 3 for name in CATEGORICAL_FEATURES}}
    )
    model = ChurnModel(ByRecency(), {name: ["Web"] for name in CATEGORICAL_FEATURES}, threshold=0.5)
    assert list(FEATURES[:1]) == ["recency_days"]
    scores = {r["customer_id"]: r for r in score_features(model, table, {"A": 1.0}).to_pylist()}
    assert scores["A"]["reason_1"] == "recency_days high"
    # 600 days of buying over 30 gaps: one order every 20 days; 400 / 20 = 20×.
    assert scores["A"]["reasons"] == [
        "No order for 400 days, 20× longer than usual for this customer (one order every 20 days)"
    ]
    assert scores["B"]["reasons"] is None  # low risk: no reasons computed


def test_the_story_says_which_number_is_which() -> None:
    story = customer_story(LOYAL_BUT_SILENT, horizon_months=12)
    # 947 days over 47 gaps: an order every 20 days; 147 / 20.1 = 7.3, written "7×".
    assert story["summary"] == (
        "No order for 147 days, 7× their usual gap of 20 days. Both models say they have probably "
        "stopped buying (churn risk 79.7%, still a customer 6.0%), although their past buying puts "
        "them in the segment Loyal."
    )
    assert (
        story["segment"].startswith("Segment Loyal (RFM code 355")
        and "describes the past" in story["segment"]
    )
    assert story["churn_risk"] == (
        "Churn risk 79.7%: the churn model's probability that they buy nothing in the next 133 days."
    )
    assert story["p_alive"].startswith("Still a customer 6.0% (p_alive): the purchase model's (BG/NBD)")
    assert story["clv_if_alive"] == pytest.approx(396.04 / 0.0604)
    assert story["clv"] == (
        "CLV $396.04: the expected, discounted value of their purchases in the next 12 months, not "
        "what they spent so far ($25,156.87). This customer has likely lapsed (p_alive 6.0%), so the "
        "expected value is small; if they are still a customer, about $6,556.95."  # 396.04 / 0.0604
    )


def test_the_story_writes_numbers_as_the_project_shows_them() -> None:
    story = customer_story(LOYAL_BUT_SILENT, presenter=Presenter("EUR", "de"))
    assert "CLV 396,04\xa0€" in story["clv"] and "(p_alive 6,0\xa0%)" in story["clv"]


def test_the_story_of_an_active_customer_and_of_one_without_scores() -> None:
    active = {
        **LOYAL_BUT_SILENT,
        "recency_days": 12,
        "churn_probability": 0.1,
        "p_alive": 0.95,
        "clv": 4000.0,
    }
    story = customer_story(active)
    assert story["summary"] == (
        "Last order 12 days ago; they usually order every 20 days. Both models expect them to buy "
        "again (churn risk 10.0%, still a customer 95.0%)."
    )
    assert "lapsed" not in story["clv"]
    mixed = customer_story({**active, "churn_probability": 0.7})
    assert "The models differ: churn risk 70.0% is about the next 133 days" in mixed["summary"]
    bare = customer_story({"customer_id": "C9"})
    assert bare == {
        "segment": None,
        "churn_risk": None,
        "p_alive": None,
        "clv": None,
        "clv_if_alive": None,
        "summary": None,
    }
