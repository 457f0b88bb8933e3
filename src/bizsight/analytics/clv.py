"""Customer lifetime value: scoring, discounted CLV, holdout validation and the whole analysis.

The summaries come from :mod:`bizsight.analytics.clv_summary`, the purchase models from
:mod:`~bizsight.analytics.clv_models` (BG/NBD) and :mod:`~bizsight.analytics.clv_pareto`
(Pareto/NBD), the spend model from :mod:`~bizsight.analytics.clv_spend` (Gamma-Gamma).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

from bizsight.analytics.clv_models import (
    BetaGeoFit,
    ModelFitError,
    conditional_expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from bizsight.analytics.clv_pareto import (
    ParetoNBDFit,
    fit_pareto_nbd,
    pareto_conditional_expected_purchases,
    pareto_probability_alive,
)
from bizsight.analytics.clv_spend import GammaGammaFit, conditional_expected_value, fit_gamma_gamma
from bizsight.analytics.clv_summary import TIME_UNITS, RFMSummary
from bizsight.config.customers import CLVSettings

FloatArray = np.ndarray
PurchaseModel = BetaGeoFit | ParetoNBDFit


DEFAULT_CLV = CLVSettings()


def expected_purchases(model: PurchaseModel, t: float, summary: RFMSummary) -> FloatArray:
    """E[Y(t) | x, t_x, T] per customer of the summary under either purchase model."""
    s = summary
    if isinstance(model, ParetoNBDFit):
        return pareto_conditional_expected_purchases(model, t, s.frequency, s.recency, s.T)
    return conditional_expected_purchases(model, t, s.frequency, s.recency, s.T)


def alive_probability(model: PurchaseModel, summary: RFMSummary) -> FloatArray:
    """P(alive | x, t_x, T) per customer of the summary under either purchase model."""
    s = summary
    if isinstance(model, ParetoNBDFit):
        return pareto_probability_alive(model, s.frequency, s.recency, s.T)
    return np.asarray(probability_alive(model, s.frequency, s.recency, s.T), dtype=float)


def customer_lifetime_value(
    bg: PurchaseModel,
    gg: GammaGammaFit,
    summary: RFMSummary,
    settings: CLVSettings = DEFAULT_CLV,
) -> FloatArray:
    """Discounted expected value over the horizon, per customer, in the money of the data.

    Discrete-time approximation: for months k = 1 … H, expected purchases in month k
    (differences of E[Y(t) | x, t_x, T]) × expected value per purchase × margin / (1 + d)^(k/12).

    >>> from bizsight.analytics.clv_models import FitInfo
    >>> info = FitInfo(True, 0, 0, "", 0.0)
    >>> bg = BetaGeoFit(1.0, 8.0, 1.2, 10.0, 0.0, 0, info)
    >>> gg = GammaGammaFit(4.0, 3.5, 70.0, 0.0, 0, info)
    >>> one = [np.array([v]) for v in (2.0, 20.0, 30.0, 80.0, 200.0, 0.0)]  # x, t_x, T, m, total, holdout
    >>> s = RFMSummary(pa.array(["a"]), *one, duration_holdout=0.0, time_unit_days=7.0)
    >>> round(float(customer_lifetime_value(bg, gg, s, CLVSettings(margin=0.3))[0]), 2)
    65.92
    """
    if settings.horizon_months < 1 or settings.annual_discount_rate <= -1.0:
        raise ModelFitError("need a horizon of at least one month and a discount rate above -100 %")
    s = summary
    month = TIME_UNITS["month"] / s.time_unit_days
    spend = conditional_expected_value(gg, s.frequency, s.monetary_value)
    previous = np.zeros(len(s))
    discounted = np.zeros(len(s))
    for k in range(1, settings.horizon_months + 1):
        cumulative = expected_purchases(bg, k * month, s)
        discounted += (cumulative - previous) / (1.0 + settings.annual_discount_rate) ** (k / 12.0)
        previous = cumulative
    return np.asarray(discounted * spend * settings.margin, dtype=float)


def score_customers(
    bg: PurchaseModel, gg: GammaGammaFit, summary: RFMSummary, settings: CLVSettings = DEFAULT_CLV
) -> pa.Table:
    """One row per customer: the summary, P(alive), expected purchases and value, and CLV."""
    s = summary
    horizon = settings.horizon_months * TIME_UNITS["month"] / s.time_unit_days
    table = s.to_arrow()
    columns = {
        "p_alive": alive_probability(bg, s),
        "expected_purchases": expected_purchases(bg, horizon, s),
        "expected_value": conditional_expected_value(gg, s.frequency, s.monetary_value),
        "clv": customer_lifetime_value(bg, gg, s, settings),
    }
    for name, values in columns.items():
        table = table.append_column(name, pa.array(values))
    return table


@dataclass(frozen=True)
class HoldoutGroup:
    """Customers with one calibration frequency (the last group is "7+")."""

    frequency: str
    customers: int
    actual: float
    predicted: float


@dataclass(frozen=True)
class HoldoutReport:
    """Predicted against actual repeat purchases in the holdout window."""

    duration: float
    customers: int
    actual: float
    predicted: float
    groups: tuple[HoldoutGroup, ...]

    @property
    def percent_error(self) -> float:
        return 100.0 * (self.predicted - self.actual) / self.actual if self.actual else float("nan")

    def to_dict(self) -> dict[str, object]:
        return {
            "duration": self.duration,
            "customers": self.customers,
            "actual": self.actual,
            "predicted": self.predicted,
            "percent_error": self.percent_error,
            "groups": [g.__dict__ for g in self.groups],
        }


def holdout_report(bg: PurchaseModel, summary: RFMSummary, *, max_frequency: int = 7) -> HoldoutReport:
    """Compare E[Y(holdout) | calibration] with the holdout purchases, in total and by frequency."""
    s = summary
    if s.duration_holdout <= 0:
        raise ModelFitError("the summary has no holdout window (calibration end = observation end)")
    predicted = expected_purchases(bg, s.duration_holdout, s)
    group = np.minimum(s.frequency, max_frequency).astype(np.int64)
    n = np.bincount(group, minlength=max_frequency + 1)
    act = np.bincount(group, weights=s.frequency_holdout, minlength=max_frequency + 1)
    pred = np.bincount(group, weights=predicted, minlength=max_frequency + 1)
    groups = tuple(
        HoldoutGroup(f"{k}+" if k == max_frequency else str(k), int(n[k]), float(act[k]), float(pred[k]))
        for k in range(max_frequency + 1)
    )
    return HoldoutReport(
        s.duration_holdout, len(s), float(s.frequency_holdout.sum()), float(predicted.sum()), groups
    )


@dataclass(frozen=True)
class CLVAnalysis:
    """Both fits, the holdout comparison (when the summary has a holdout) and the scores."""

    purchases: PurchaseModel
    spend: GammaGammaFit
    holdout: HoldoutReport | None
    scores: pa.Table
    time_unit_days: float

    def to_dict(self) -> dict[str, object]:
        """The figures ``bizsight analyze clv --json`` prints (not the per-customer scores)."""
        model = "pareto" if isinstance(self.purchases, ParetoNBDFit) else "bgnbd"
        return {
            "model": model,
            "time_unit_days": self.time_unit_days,
            "purchases": asdict(self.purchases),
            "spend": asdict(self.spend) | {"mean_value": self.spend.mean_value},
            "holdout": self.holdout.to_dict() if self.holdout else None,
            "customers": self.scores.num_rows,
        }


def analyze_clv(summary: RFMSummary, settings: CLVSettings = DEFAULT_CLV) -> CLVAnalysis:
    """Fit the purchase and spend models on a summary, validate on its holdout, score everyone.

    Scores are as of the summary's calibration end; for current scores summarise with
    ``calibration_end = observation_end``.
    """
    s = summary
    if len(s) == 0:
        raise ModelFitError("no customer has a purchase before the calibration end")
    fit = fit_pareto_nbd if settings.model == "pareto" else fit_bgnbd
    purchases: PurchaseModel = fit(s.frequency, s.recency, s.T)
    # Gamma-Gamma models positive spend: repeat buyers whose repeat purchases were all refunded
    # (mean value 0) are left out of the spend fit, as in the published applications.
    spend = fit_gamma_gamma(np.where(s.monetary_value > 0, s.frequency, 0), s.monetary_value)
    holdout = holdout_report(purchases, s) if s.duration_holdout > 0 else None
    scores = score_customers(purchases, spend, s, settings)
    return CLVAnalysis(purchases, spend, holdout, scores, s.time_unit_days)
