"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV") by maximum likelihood.

The mean value ``m`` of a customer's ``x`` repeat transactions: each transaction is
Gamma(p, ν) and ν ~ Gamma(q, γ) across customers. Only customers with x > 0 carry information.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from bizsight.analytics.clv_models import FitInfo, FloatArray, _minimise
from bizsight.errors import ModelFitError


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    info: FitInfo
    std_errors: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean_value(self) -> float:
        """Expected value of a transaction of a random customer, p·γ/(q − 1) (infinite if q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


def _as_spend(x: object, m: object) -> tuple[FloatArray, FloatArray]:
    xa = np.asarray(x, dtype=float)
    ma = np.asarray(m, dtype=float)
    if xa.shape != ma.shape:
        raise ModelFitError("frequency and mean value must have the same length")
    keep = xa > 0
    if np.any(ma[keep] <= 0):
        raise ModelFitError("Gamma-Gamma needs positive mean transaction values")
    return xa[keep], ma[keep]


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, x: object, m: object) -> FloatArray:
    """Per-customer log-likelihood of the mean value ``m`` of ``x`` transactions (x > 0 only).

    >>> [round(float(v), 4) for v in gamma_gamma_log_likelihood(4.0, 3.5, 70.0, [1, 3], [50.0, 120.0])]
    [-4.7588, -5.4395]
    """
    xa, ma = _as_spend(x, m)
    px = p * xa
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(ma)
        + px * np.log(xa)
        - (px + q) * np.log(gamma + ma * xa)
    )


def fit_gamma_gamma(x: object, m: object, *, initial: dict[str, float] | None = None) -> GammaGammaFit:
    """Fit Gamma-Gamma (p, q, γ) on customers with x > 0; others are ignored.

    >>> fit = fit_gamma_gamma([1, 2, 3, 1, 4, 0], [40.0, 55.0, 61.0, 120.0, 80.0, 0.0])
    >>> fit.n_customers
    5
    """
    xa, ma = _as_spend(x, m)
    if xa.size < 3:
        raise ModelFitError("Gamma-Gamma needs at least 3 customers with repeat purchases")
    log_m, log_x = np.log(ma), np.log(xa)
    n = float(xa.size)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, g = np.exp(theta)
        px = p * xa
        log_gmx = np.log(g + ma * xa)
        ll = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(g)
            + (px - 1.0) * log_m
            + px * log_x
            - (px + q) * log_gmx
        )
        dg_pq = special.digamma(px + q)
        d_p = np.sum(xa * (dg_pq - special.digamma(px) + log_m + log_x - log_gmx))
        d_q = np.sum(dg_pq - special.digamma(q) + np.log(g) - log_gmx)
        d_g = np.sum(q / g - (px + q) / (g + ma * xa))
        grad = np.array([d_p * p, d_q * q, d_g * g])
        return -float(ll.sum()) / n, -grad / n

    start = initial or {"p": 1.0, "q": 1.0, "gamma": float(np.mean(ma))}
    theta0 = np.log([start["p"], start["q"], start["gamma"]])
    theta, info, std, fun = _minimise(objective, theta0, ("p", "q", "gamma"))
    p, q, g = (float(v) for v in np.exp(theta))
    return GammaGammaFit(p, q, g, -fun * n, int(n), info, {k: float(v / np.sqrt(n)) for k, v in std.items()})


def conditional_expected_value(fit: GammaGammaFit, x: object, m: object) -> FloatArray:
    """E[Z | x, m]: expected value of a customer's future transactions (population mean at x = 0).

    A weighted average of the population mean p·γ/(q − 1) and the customer's own mean m, the
    weight on m growing with x.

    >>> fit = GammaGammaFit(4.0, 3.5, 70.0, 0.0, 0, FitInfo(True, 0, 0, "", 0.0))
    >>> [round(float(v), 2) for v in conditional_expected_value(fit, [0, 5], [0.0, 100.0])]
    [112.0, 101.33]
    """
    if fit.q <= 1.0:
        raise ModelFitError("the expected value needs q > 1")
    xa = np.asarray(x, dtype=float)
    ma = np.where(xa > 0, np.asarray(m, dtype=float), 0.0)
    return fit.p * (fit.gamma + ma * xa) / (fit.p * xa + fit.q - 1.0)
