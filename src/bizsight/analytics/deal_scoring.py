"""Deal scoring: the probability that an open deal is won, with its main reasons.

A closed deal teaches one example per stage it reached: "a deal at stage s, with this amount,
source, owner and planned length, was (not) won" — so the model learns the odds of a deal *in* a
stage, which is what an open deal is (training on the final stage alone would leak the outcome:
won deals end at Won). The model is a logistic regression over one-hot stage, source and owner,
log amount and log planned days (expected close − created), with L2 regularisation; logistic
regression fitted by maximum likelihood is calibrated on its training data, and the temporal holdout checks that it stays so.

Each open deal's reasons are its largest feature contributions: coefficient × (the deal's value −
the training mean) on the log-odds scale, summed per original feature.

>>> import datetime as dt
>>> d = dt.date(2025, 1, 1)
>>> rows = [{"stage": "Lead", "status": s, "amount": 10.0, "source": "Web", "owner": "Ann",
...          "created_date": d, "expected_close_date": d, "closed_date": d} for s in ("won", "lost")]
>>> [e["stage"] for e in examples(rows)]
['Lead', 'Lead']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bizsight.analytics.pipeline import LOST, OPEN, STAGES, WON, open_stages

CATEGORICAL = ("stage", "source", "owner")
NUMERIC = ("log_amount", "log_planned_days")
LABELS = {
    "stage": "stage",
    "source": "source",
    "owner": "owner",
    "log_amount": "amount",
    "log_planned_days": "planned length",
}


def _numeric(row: dict[str, Any]) -> dict[str, float]:
    planned = 0
    if row.get("expected_close_date") and row.get("created_date"):
        planned = max((row["expected_close_date"] - row["created_date"]).days, 0)
    return {
        "log_amount": math.log1p(max(float(row["amount"] or 0), 0.0)),
        "log_planned_days": math.log1p(planned),
    }


def _features(row: dict[str, Any], stage: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "source": row.get("source") or "(none)",
        "owner": row.get("owner") or "(none)",
        **_numeric(row),
    }


def examples(deals: Sequence[dict[str, Any]], order: Sequence[str] = STAGES) -> list[dict[str, Any]]:
    """Training rows: one per closed deal (with a close date) and stage it reached, with ``won``
    and ``closed_date``."""
    stages = open_stages([d["stage"] for d in deals if d["status"] != WON], order)
    rank = {s: k for k, s in enumerate(stages)}
    out = []
    for d in deals:
        if d.get("closed_date") is None:  # a closed deal without a close date cannot be placed in time
            continue
        if d["status"] == WON:
            reached = stages
        elif d["status"] == LOST and d["stage"] in rank:
            reached = stages[: rank[d["stage"]] + 1]
        else:
            continue
        for stage in reached:
            out.append({**_features(d, stage), "won": d["status"] == WON, "closed_date": d["closed_date"]})
    return out


@dataclass
class DealModel:
    """A fitted model: the encoder's columns, their training means and the regression."""

    columns: list[tuple[str, str | None]]  # (feature, category) per encoded column
    means: np.ndarray
    scales: np.ndarray
    regression: Any

    def matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        x = np.zeros((len(rows), len(self.columns)))
        for i, r in enumerate(rows):
            for j, (name, value) in enumerate(self.columns):
                x[i, j] = float(r[name] == value) if value is not None else float(r[name])
        return (x - self.means) / self.scales

    def predict(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return np.asarray(self.regression.predict_proba(self.matrix(rows))[:, 1])

    def reasons(self, row: dict[str, Any], top: int = 3) -> list[dict[str, object]]:
        """The features that move this deal's log-odds most from the average deal's."""
        contribution = self.matrix([row])[0] * self.regression.coef_[0]
        per: dict[str, float] = {}
        for (name, _), c in zip(self.columns, contribution, strict=True):
            per[name] = per.get(name, 0.0) + float(c)
        ranked = sorted(per.items(), key=lambda kv: -abs(kv[1]))[:top]
        return [
            {
                "feature": LABELS[name],
                "value": _shown(name, row),
                "effect": round(c, 3),
                "direction": "raises" if c > 0 else "lowers",
            }
            for name, c in ranked
            if abs(c) >= 0.005
        ]


def _shown(name: str, row: dict[str, Any]) -> str:
    if name == "log_amount":
        return f"{math.expm1(row[name]):.0f}"
    if name == "log_planned_days":
        return f"{math.expm1(row[name]):.0f} days"
    return str(row[name])


def fit(rows: Sequence[dict[str, Any]], *, c: float = 0.3) -> DealModel:
    """Fit the logistic regression on training rows from :func:`examples` (both outcomes needed)."""
    from sklearn.linear_model import LogisticRegression

    columns: list[tuple[str, str | None]] = [
        (name, value) for name in CATEGORICAL for value in sorted({str(r[name]) for r in rows})
    ]
    columns += [(name, None) for name in NUMERIC]
    model = DealModel(columns, np.zeros(len(columns)), np.ones(len(columns)), None)
    raw = model.matrix(rows)
    model.means = raw.mean(axis=0)
    # numbers are standardised; one-hot columns stay 0/1 (scaled by their spread, a rare owner's
    # column would reach ±7 and its coefficient would swing every deal of that owner)
    sd = raw.std(axis=0)
    numeric = np.array([value is None for _, value in columns])
    model.scales = np.where(numeric & (sd > 0), sd, 1.0)
    y = np.array([bool(r["won"]) for r in rows])
    model.regression = LogisticRegression(C=c, max_iter=1000).fit(model.matrix(rows), y)
    return model


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    predicted: float | None  # mean predicted probability
    observed: float | None  # share won


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 5) -> list[CalibrationBin]:
    """Predicted against observed by equal-width bins of the prediction.

    >>> [(b.count, b.predicted, b.observed) for b in calibration(np.array([0, 1, 1]), np.array([0.1, 0.9, 0.7]), 2)]
    [(1, 0.1, 0.0), (2, 0.8, 1.0)]
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for k in range(bins):
        inside = which == k
        n = int(inside.sum())
        out.append(
            CalibrationBin(
                round(float(edges[k]), 4),
                round(float(edges[k + 1]), 4),
                n,
                round(float(p[inside].mean()), 4) if n else None,
                round(float(y[inside].mean()), 4) if n else None,
            )
        )
    return out


@dataclass(frozen=True)
class Evaluation:
    cutoff: dt.date
    train_rows: int
    test_rows: int
    auc: float | None
    brier: float | None
    base_rate: float | None  # share won in the test rows
    bins: list[CalibrationBin] = field(default_factory=list)


def temporal_cutoff(rows: Sequence[dict[str, Any]], share: float = 0.75) -> dt.date:
    """The close date before which ``share`` of the training rows closed.

    >>> rows = [{"closed_date": dt.date(2025, 1, d)} for d in (4, 1, 3, 2)]
    >>> temporal_cutoff(rows)
    datetime.date(2025, 1, 4)
    """
    dates = sorted(r["closed_date"] for r in rows)
    return dates[min(int(len(dates) * share), len(dates) - 1)]


def evaluate(rows: Sequence[dict[str, Any]], cutoff: dt.date | None = None) -> Evaluation:
    """Train on deals closed before ``cutoff`` (default: the 75 % point of close dates), test on
    the deals closed from it on: ROC-AUC, Brier score and the calibration table."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    cutoff = cutoff or temporal_cutoff(rows)
    train = [r for r in rows if r["closed_date"] < cutoff]
    test = [r for r in rows if r["closed_date"] >= cutoff]
    y_train = {bool(r["won"]) for r in train}
    if len(y_train) < 2 or not test:
        return Evaluation(cutoff, len(train), len(test), None, None, None)
    p = fit(train).predict(test)
    y = np.array([bool(r["won"]) for r in test], dtype=float)
    auc = float(roc_auc_score(y, p)) if len(set(y)) == 2 else None
    return Evaluation(
        cutoff,
        len(train),
        len(test),
        None if auc is None else round(auc, 4),
        round(float(brier_score_loss(y, p)), 4),
        round(float(y.mean()), 4),
        calibration(y, p),
    )


def score_open(model: DealModel, deals: Sequence[dict[str, Any]]) -> list[dict[str, object]]:
    """Each open deal's probability to win and its reasons."""
    rows = [d for d in deals if d["status"] == OPEN]
    features = [_features(d, d["stage"]) for d in rows]
    p = model.predict(features)
    return [
        {"deal_id": d["deal_id"], "probability": round(float(q), 4), "reasons": model.reasons(f)}
        for d, f, q in zip(rows, features, p, strict=True)
    ]
