"""The pipeline analytics against the demo generator's stated truth (ground_truth.json): learned
stage probabilities, win rate and days in stage recover it; the deal-scoring model beats a floor
of ROC-AUC on the temporal holdout and its calibration table is sane.

The demo is the default one (20,000 customers, 3 years: about 1,600 deals), whose truth is: a deal passes
each stage with a stated conversion rate after an exponential time there, independently of its
amount, owner and source."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from bizsight.analytics import deal_scoring
from bizsight.analytics.pipeline import stage_flow, stage_probabilities
from bizsight.demo import generate

pytestmark = pytest.mark.slow

AUC_FLOOR = 0.62  # stage alone separates won from lost deals at about 0.68 on this demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("pipeline_truth")
    truth = generate(root, seed=42)
    options = pacsv.ConvertOptions(
        column_types={"amount": pa.float64(), "customer_id": pa.string()},
        strings_can_be_null=True,
    )
    deals = pacsv.read_csv(root / "sales_pipeline.csv", convert_options=options)
    return deals, truth["pipeline"]


def test_learned_stage_probabilities_recover_the_truth(demo: tuple[pa.Table, dict[str, Any]]) -> None:
    deals, truth = demo
    assert deals.num_rows == truth["deals"] > 1000
    learned = {p.stage: p for p in stage_probabilities(deals)}
    assert list(learned) == truth["stages"][:-1]
    for stage, true_p in truth["stage_win_probability"].items():
        p = learned[stage]
        # four binomial standard errors, plus 0.02 for the censoring at the end date (deals that
        # take long are still open, and long deals are the ones that went far)
        tolerance = 4 * math.sqrt(true_p * (1 - true_p) / p.reached) + 0.02
        assert abs(p.probability - true_p) < tolerance, (stage, p.probability, true_p)


def test_win_rate_recovers_the_truth(demo: tuple[pa.Table, dict[str, Any]]) -> None:
    deals, truth = demo
    statuses = deals.column("status").to_pylist()
    won, lost = statuses.count("won"), statuses.count("lost")
    rate, true_rate = won / (won + lost), truth["win_rate"]
    assert abs(rate - true_rate) < 4 * math.sqrt(true_rate * (1 - true_rate) / (won + lost))


def test_days_in_stage_recover_the_stated_means(demo: tuple[pa.Table, dict[str, Any]]) -> None:
    deals, truth = demo
    flow = {f.stage: f for f in stage_flow(deals)}
    for stage, mean in truth["stage_days_mean"].items():
        found = flow[stage].days_in_stage
        assert found is not None and abs(found - mean) < 0.3 * mean + 2, (stage, found, mean)


def test_deal_scoring_on_the_temporal_holdout(demo: tuple[pa.Table, dict[str, Any]]) -> None:
    deals, _ = demo
    examples = deal_scoring.examples(deals.to_pylist())
    e = deal_scoring.evaluate(examples)
    assert e.auc is not None and e.auc >= AUC_FLOOR
    assert e.train_rows > 3 * e.test_rows / 2 and e.test_rows > 300
    assert sum(b.count for b in e.bins) == e.test_rows
    for b in e.bins:  # calibration: where a bin holds enough deals, predicted ≈ observed
        if b.count >= 50:
            assert b.predicted is not None and b.observed is not None
            assert abs(b.predicted - b.observed) < 0.1, b
    predicted = [b.predicted for b in e.bins if b.count]
    assert predicted == sorted(predicted)
