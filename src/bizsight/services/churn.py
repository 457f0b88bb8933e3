"""The churn use case: pick the churn window and the cutoffs from the warehouse, read the features,
fit, evaluate and score with :mod:`bizsight.analytics.churn`, and keep the model's file.

``bizsight analyze churn`` (:func:`analyze_churn`: temporal-holdout evaluation, final model,
scores) and refresh's ``marts.churn_scores`` (:func:`churn_scores`: final model and scores only)
call in here. docs/churn.md explains the method.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.churn import (
    MAX_REASONS,
    MAX_TRAINING_ROWS,
    ChurnModel,
    evaluate,
    fit_churn_model,
    label_counts,
    permutation_importances,
    sample_rows,
    score_features,
)
from bizsight.analytics.churn_features import (
    FEATURES,
    current_features,
    data_version,
    default_churn_days,
    labelled_features,
    labels_sql,
    order_span,
    value_at_risk_base,
)
from bizsight.console import NullReporter, Reporter
from bizsight.errors import InvalidArgumentError, ModelFitError
from bizsight.services.churn_models import save_model
from bizsight.warehouse.connection import Warehouse


@dataclass(frozen=True)
class ChurnAnalysis:
    """The temporal-holdout evaluation, the final model and the current scores."""

    churn_days: int
    train_cutoff: dt.date
    test_cutoff: dt.date
    score_date: dt.date
    train: dict[str, Any]
    evaluation: dict[str, Any]
    importances: dict[str, float]
    model: ChurnModel
    scores: pa.Table
    model_path: Path | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The figures ``bizsight analyze churn --json`` prints (not the per-customer scores)."""
        bands = self.scores.column("risk_band").to_pylist()
        return {
            "churn_days": self.churn_days,
            "train_cutoff": self.train_cutoff.isoformat(),
            "test_cutoff": self.test_cutoff.isoformat(),
            "score_date": self.score_date.isoformat(),
            "train": {"customers": self.train["customers"], "churned": self.train["churned"]},
            "evaluation": self.evaluation,
            "top_importances": dict(list(self.importances.items())[:10]),
            "scored": self.scores.num_rows,
            "risk_bands": {b: bands.count(b) for b in ("high", "medium", "low")},
            "model_path": str(self.model_path) if self.model_path else None,
        }


def churn_window(wh: Warehouse, churn_days: int | None) -> tuple[int, dt.date, dt.date]:
    """The churn window N (given, or derived from the data) and the first and last order dates."""
    first, last = order_span(wh)
    if first is None or last is None:
        raise ModelFitError("no order lines in the warehouse")
    n = churn_days or default_churn_days(wh)
    if n < 1:
        raise InvalidArgumentError(f"the churn window must be at least one day, not {n}")
    return n, first, last


def score_customers(
    wh: Warehouse, model: ChurnModel, as_of: dt.date, *, max_reasons: int = MAX_REASONS
) -> pa.Table:
    """Every customer's churn scores at ``as_of`` (:func:`~bizsight.analytics.churn.score_features`),
    revenue at risk priced by :func:`~bizsight.analytics.churn_features.value_at_risk_base`."""
    current = current_features(wh, as_of)
    return score_features(model, current, value_at_risk_base(wh, as_of), max_reasons=max_reasons)


def churn_scores(wh: Warehouse, *, churn_days: int | None = None) -> tuple[int, pa.Table]:
    """Scores for ``marts.churn_scores``: the model fitted at the latest fully labelled cutoff
    (last order − N) scores every customer at the last order date. Cheaper than
    :func:`analyze_churn`: no holdout evaluation, no permutation importance."""
    n, first, last = churn_window(wh, churn_days)
    cutoff = last - dt.timedelta(days=n)
    if cutoff <= first:
        raise ModelFitError(
            f"{n}-day churn window: the data ({first} … {last}) need to span more than {n} days"
        )
    model = fit_churn_model(training_features(wh, cutoff, n))
    return n, score_customers(wh, model, last)


def training_features(
    wh: Warehouse, as_of: dt.date, churn_days: int, max_rows: int = MAX_TRAINING_ROWS
) -> pa.Table:
    """What :func:`fit_churn_model` trains on — ``labelled_features`` cut to its seeded sample of
    ``max_rows`` customers — with the features computed for those customers only: the labels
    (one cheap pass) list the customers in the same order, so the same rows are drawn, and the
    costly feature query runs on a tenth of a million-customer project instead of all of it."""
    labels = wh.con.sql(labels_sql(as_of, churn_days)).to_arrow_table()
    labels = labels.filter(pc.is_valid(labels.column("customer_id"))).sort_by("customer_id")
    if labels.num_rows <= max_rows:  # no sample: everyone's features, as labelled_features
        return current_features(wh, as_of).join(labels, "customer_id").sort_by("customer_id")
    chosen = sample_rows(labels, max_rows)
    wh.con.register("_churn_training", chosen.select(["customer_id"]))
    try:
        features = current_features(wh, as_of, only="_churn_training")
    finally:
        wh.con.unregister("_churn_training")
    return features.join(chosen, "customer_id").sort_by("customer_id")


def analyze_churn(
    wh: Warehouse,
    *,
    churn_days: int | None = None,
    models_dir: Path | None = None,
    reporter: Reporter | None = None,
) -> ChurnAnalysis:
    """Evaluate on the temporal holdout, fit at the latest labelled cutoff, score everyone;
    each of these steps reported to ``reporter`` (minutes on a large project)."""
    reporter = reporter or NullReporter()
    n, first, last = churn_window(wh, churn_days)
    t2 = last - dt.timedelta(days=n)
    t1 = t2 - dt.timedelta(days=n)
    if t1 <= first:
        raise ModelFitError(
            f"{n}-day churn window: the data ({first} … {last}) need to span more than {2 * n} days"
        )
    steps = 7
    reporter.advance(0, steps, f"features at {t1} (training)")
    train = labelled_features(wh, t1, n)
    reporter.advance(1, steps, f"features at {t2} (holdout)")
    test = labelled_features(wh, t2, n)
    reporter.advance(2, steps, f"fitting on {train.num_rows:,} customers")
    holdout_model = fit_churn_model(train)
    reporter.advance(3, steps, "evaluating on the holdout")
    evaluation = evaluate(holdout_model, test)
    reporter.advance(4, steps, "permutation importance")
    importances = permutation_importances(holdout_model, test)
    reporter.advance(5, steps, f"final model, fitted at {t2}")
    final = fit_churn_model(test)  # labelled by (t2, last]: the latest fully observed window
    reporter.advance(6, steps, f"scoring customers at {last}")
    scores = score_customers(wh, final, last)
    reporter.advance(steps, steps)
    path = None
    if models_dir is not None:
        metadata = {
            "parameters": final.classifier.estimator.get_params() | {"threshold": final.threshold},
            "features": list(FEATURES),
            "churn_days": n,
            "fitted_at_cutoff": t2.isoformat(),
            "metrics": {k: v for k, v in evaluation.items() if k != "calibration"},
            "data_version": data_version(wh),
        }
        path = save_model(final, metadata, models_dir)
    return ChurnAnalysis(n, t1, t2, last, label_counts(train), evaluation, importances, final, scores, path)
