"""Churn risk: a gradient-boosting classifier on behaviour features, validated on a temporal holdout.

With N the churn window (:func:`~bizsight.analytics.churn_features.default_churn_days`) and L the
last order date: the evaluation trains on features at t1 = L - 2N labelled by (t1, t1 + N] and
tests on features at t2 = L - N labelled by (t2, L]. The final model is fitted at t2 (the latest
fully labelled cutoff) and scores every customer at L. Features: :mod:`.churn_features`.

This module is the model alone: pure functions from feature tables to a fitted model, scores and
explanations. The warehouse reads are in :mod:`.churn_features`, the use case (which cutoffs,
which tables) in :mod:`bizsight.services.churn` and the model files in
:mod:`bizsight.services.churn_models`.

Top reasons (one-at-a-time counterfactual): for each customer and feature, the drop in churn
probability when that feature alone is set to the population's typical value (median; most common
category); the three largest positive drops name the reasons (codes such as "recency_days high",
in ``reason_1`` … ``reason_3``), and :mod:`.churn_reasons` writes them in words with the
customer's own values (``reasons``: "No order for 214 days, 3× longer than usual for this
customer"). Permutation importance (drop in ROC-AUC on the evaluation cutoff) ranks features
globally.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pyarrow as pa

from bizsight.analytics.churn_features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
)
from bizsight.errors import ModelFitError

P = ParamSpec("P")
R = TypeVar("R")
RANDOM_STATE = 0
MIN_CUSTOMERS = 50
# Past ~100,000 customers a model on 21 features learns nothing more, while fitting time keeps
# growing (4 fits per model: 3 folds for the threshold, then the final one).
MAX_TRAINING_ROWS = 100_000
MAX_REASONS = 50_000
MAX_IMPORTANCE_ROWS = 50_000


@dataclass
class ChurnModel:
    """A fitted classifier with the category codes it was trained with and its decision threshold."""

    classifier: Any
    categories: dict[str, list[str]]
    threshold: float = 0.5

    def matrix(self, table: pa.Table) -> np.ndarray:
        """Numeric features as floats (NULL → NaN), categories as codes (unseen → NaN)."""
        import pyarrow.compute as pc

        columns = [_floats(pc.cast(table.column(name), pa.float64())) for name in NUMERIC_FEATURES]
        for name in CATEGORICAL_FEATURES:
            known = pa.array(self.categories[name], pa.string())
            codes = pc.index_in(pc.cast(table.column(name), pa.string()), value_set=known)
            columns.append(_floats(pc.cast(codes, pa.float64())))
        return np.column_stack(columns) if columns else np.empty((table.num_rows, 0))

    def predict_proba(self, table: pa.Table) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(self.matrix(table))[:, 1], dtype=float)


def _model_threads(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with OpenMP (the gradient boosting's threads) on half the cores, at least
    one. OpenMP threads spin while they wait, so with more threads than free cores (a web
    server, DuckDB, a second process) fitting ran ten times slower here (docs/churn.md)."""

    @functools.wraps(func)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=max(1, (os.cpu_count() or 2) // 2), user_api="openmp"):
            return func(*args, **kwargs)

    return limited


def sample_rows(table: pa.Table, max_rows: int) -> pa.Table:
    """At most ``max_rows`` rows, a seeded random sample: the same data give the same result."""
    if table.num_rows <= max_rows:
        return table
    keep = np.sort(np.random.default_rng(RANDOM_STATE).choice(table.num_rows, max_rows, replace=False))
    return table.take(keep)


def _floats(column: Any) -> np.ndarray:
    """A float Arrow column as numpy, NULL as NaN."""
    import pyarrow.compute as pc

    filled: Any = pc.fill_null(column, pa.scalar(np.nan, pa.float64()))
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=float)


def _classifier() -> Any:
    """The gradient boosting, binned beforehand (:mod:`.weighted_bins`: the same model, fitted in
    half the time)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from bizsight.analytics.weighted_bins import PreBinned

    mask = [name in CATEGORICAL_FEATURES for name in FEATURES]
    return PreBinned(
        HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            class_weight="balanced",
            categorical_features=mask,
            early_stopping=False,
            random_state=RANDOM_STATE,
        )
    )


@_model_threads
def fit_churn_model(table: pa.Table, max_rows: int = MAX_TRAINING_ROWS) -> ChurnModel:
    """Fit on a labelled feature table (the :data:`FEATURES` and ``churned``; at most
    ``max_rows`` of them, sampled); the threshold maximises F1 over 3-fold out-of-fold
    predictions (in-sample ones would be overconfident)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    table = sample_rows(table, max_rows)
    y = np.array(table.column("churned").to_pylist(), dtype=int)
    if table.num_rows < MIN_CUSTOMERS or y.min() == y.max():
        raise ModelFitError(f"need {MIN_CUSTOMERS} customers with both outcomes to fit a churn model")
    categories = {
        name: sorted({v for v in table.column(name).to_pylist() if v is not None})
        for name in CATEGORICAL_FEATURES
    }
    model = ChurnModel(_classifier(), categories)
    x = model.matrix(table)
    folds = StratifiedKFold(3, shuffle=True, random_state=RANDOM_STATE)
    oof = cross_val_predict(_classifier(), x, y, cv=folds, method="predict_proba")[:, 1]
    model.threshold = best_f1_threshold(y, oof)
    model.classifier.fit(x, y)
    return model


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the highest F1 (predict churn when p ≥ threshold).

    >>> best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.35
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Deciles of the predicted probability: customers, mean predicted, observed churn rate.

    >>> [r["customers"] for r in calibration_table(np.array([0, 1] * 5), np.linspace(0, 1, 10), 5)]
    [2, 2, 2, 2, 2]
    """
    order = np.argsort(p, kind="stable")
    return [
        {
            "decile": k + 1,
            "customers": int(part.size),
            "mean_predicted": float(p[part].mean()),
            "observed_rate": float(y[part].mean()),
        }
        for k, part in enumerate(np.array_split(order, bins))
        if part.size
    ]


@_model_threads
def evaluate(model: ChurnModel, table: pa.Table) -> dict[str, Any]:
    """ROC-AUC, PR-AUC, precision/recall/F1 at the model's threshold, Brier score, calibration."""
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    y = np.array(table.column("churned").to_pylist(), dtype=int)
    p = model.predict_proba(table)
    hit = (p >= model.threshold).astype(int)
    return {
        "customers": int(y.size),
        "churned": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "threshold": model.threshold,
        "precision": float(precision_score(y, hit, zero_division=0)),
        "recall": float(recall_score(y, hit, zero_division=0)),
        "f1": float(f1_score(y, hit, zero_division=0)),
        "brier": float(brier_score_loss(y, p)),
        "calibration": calibration_table(y, p),
    }


@_model_threads
def permutation_importances(
    model: ChurnModel, table: pa.Table, repeats: int = 5, max_rows: int = MAX_IMPORTANCE_ROWS
) -> dict[str, float]:
    """Mean drop in ROC-AUC when one feature is shuffled, on the given (evaluation) table, or a
    seeded sample of ``max_rows`` of it (each feature and repeat costs a prediction pass)."""
    from sklearn.inspection import permutation_importance

    table = sample_rows(table, max_rows)
    y = np.array(table.column("churned").to_pylist(), dtype=int)
    result = permutation_importance(
        model.classifier,
        model.matrix(table),
        y,
        scoring="roc_auc",
        n_repeats=repeats,
        random_state=RANDOM_STATE,
    )
    means = result["importances_mean"]
    return dict(sorted(zip(FEATURES, (float(v) for v in means), strict=True), key=lambda kv: -kv[1]))


def top_reasons(
    model: ChurnModel, table: pa.Table, k: int = 3, rows: np.ndarray | None = None
) -> list[list[str]]:
    """Per customer (of ``rows``, default all), the ``k`` features that raise their churn
    probability most (see module).

    A feature's effect for one customer is p(x) - p(x with that feature set to the population's
    typical value: median, or most common category, over the whole ``table``); only positive
    effects are reasons.
    """
    everyone = model.matrix(table)
    chosen = np.arange(everyone.shape[0]) if rows is None else np.asarray(rows, dtype=int)
    x = everyone[chosen]
    n = x.shape[0]
    if n == 0:
        return []
    base = model.classifier.predict_proba(x)[:, 1]
    effects = np.zeros_like(x)
    labels: list[np.ndarray] = []
    for j, name in enumerate(FEATURES):
        population = everyone[:, j]
        finite = population[np.isfinite(population)]
        column = x[:, j]
        if name in CATEGORICAL_FEATURES:
            codes, counts = np.unique(finite, return_counts=True)
            typical = float(codes[np.argmax(counts)]) if codes.size else np.nan
            values = table.column(name).take(chosen).to_pylist()
            labels.append(np.array([f"{name} {v}" for v in values], dtype=object))
        else:
            typical = float(np.median(finite)) if finite.size else np.nan
            above = np.where(np.isnan(column), "missing", np.where(column > typical, "high", "low"))
            labels.append(np.char.add(f"{name} ", above.astype(str)).astype(object))
        differs = np.flatnonzero(column != typical)  # rows already typical would not move
        moved = x[differs]
        moved[:, j] = typical
        if differs.size:
            effects[differs, j] = base[differs] - model.classifier.predict_proba(moved)[:, 1]
    best = np.argsort(-effects, axis=1, kind="stable")[:, :k]
    return [[str(labels[j][i]) for j in best[i] if effects[i, j] > 1e-9] for i in range(n)]


def risk_bands(p: np.ndarray, threshold: float) -> list[str]:
    """high at or above the F1 threshold, medium from half of it, low below.

    >>> risk_bands(np.array([0.1, 0.3, 0.6]), 0.5)
    ['low', 'medium', 'high']
    """
    return ["high" if v >= threshold else "medium" if v >= threshold / 2 else "low" for v in p]


@_model_threads
def score_features(
    model: ChurnModel, current: pa.Table, base: dict[str, float], *, max_reasons: int = MAX_REASONS
) -> pa.Table:
    """Churn probability, risk band, revenue at risk and top three reasons per customer of the
    feature table ``current``, ranked by revenue at risk (probability × ``base``, the customer's
    value). Reasons cost one prediction pass per feature, so they are given to the
    ``max_reasons`` medium- and high-risk customers with the most revenue at risk (the retention
    list); the others have none."""
    p = model.predict_proba(current)
    bands = np.array(risk_bands(p, model.threshold), dtype=object)
    ids: list[Any] = current.column("customer_id").to_pylist()
    at_risk = p * np.array([base.get(c, 0.0) for c in ids])
    candidates = np.flatnonzero(bands != "low")
    chosen = candidates[np.argsort(-at_risk[candidates], kind="stable")[:max_reasons]]
    reasons: list[list[str] | None] = [None] * len(ids)
    for row, found in zip(chosen, top_reasons(model, current, rows=chosen), strict=True):
        reasons[row] = found
    words = _reasons_in_words(current, reasons, chosen)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "churn_probability": pa.array(p, pa.float64()),
            "risk_band": pa.array(bands, pa.string()),
            **{
                f"reason_{k + 1}": pa.array(
                    [r[k] if r is not None and len(r) > k else None for r in reasons], pa.string()
                )
                for k in range(3)
            },
            "reasons": pa.array(words, pa.list_(pa.string())),
            "revenue_at_risk": pa.array(at_risk, pa.float64()),
        }
    ).sort_by([("revenue_at_risk", "descending"), ("customer_id", "ascending")])


def _reasons_in_words(
    current: pa.Table, reasons: list[list[str] | None], chosen: np.ndarray
) -> list[list[str] | None]:
    """The reasons of the ``chosen`` rows in words, each customer's values against the medians of
    everyone scored (the typical values :func:`top_reasons` measured against)."""
    from bizsight.analytics.churn_reasons import reason_words

    typical: dict[str, float | None] = {}
    for name in NUMERIC_FEATURES:
        values = _floats(current.column(name).cast(pa.float64()))
        finite = values[np.isfinite(values)]
        typical[name] = float(np.median(finite)) if finite.size else None
    words: list[list[str] | None] = [None] * len(reasons)
    rows = current.take(pa.array(chosen, pa.int64())).to_pylist() if len(chosen) else []
    for index, row in zip(chosen, rows, strict=True):
        words[index] = [reason_words(code, row, typical) for code in reasons[index] or []]
    return words


def label_counts(table: pa.Table) -> dict[str, int]:
    """Customers and churned customers of a labelled feature table.

    >>> label_counts(pa.table({"churned": [True, False, True]}))
    {'customers': 3, 'churned': 2}
    """
    churned = table.column("churned").to_pylist()
    return {"customers": len(churned), "churned": sum(bool(c) for c in churned)}


def retention_targets(scores: pa.Table, limit: int = 100) -> pa.Table:
    """The retention target list: high and medium risk customers by revenue at risk."""
    import pyarrow.compute as pc

    keep = scores.filter(pc.is_in(scores.column("risk_band"), pa.array(["high", "medium"])))
    return keep.sort_by([("revenue_at_risk", "descending")]).slice(0, limit)
