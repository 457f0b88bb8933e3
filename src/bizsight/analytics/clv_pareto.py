"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), an alternative to BG/NBD.

Purchases follow a Poisson process with rate λ ~ Gamma(r, α) while a customer is alive; the
lifetime is exponential with rate μ ~ Gamma(s, β). The likelihood follows Fader & Hardie's
"A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005), with the Gauss
hypergeometric functions rewritten by Euler's transformation so that their series stay
well-behaved for frequent buyers, and everything in logs. The gradient is numerical (central
differences), so a fit costs several times a BG/NBD fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from bizsight.analytics.clv_models import FitInfo, FloatArray, _as_rfm, _minimise
from bizsight.errors import ModelFitError


@dataclass(frozen=True)
class ParetoNBDFit:
    """A fitted Pareto/NBD model; ``alpha`` and ``beta`` are in the time unit of the data."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n_customers: int
    info: FitInfo
    std_errors: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}


def _log_parts(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """log of the common factor, of the "alive at T" term and of the "died in (t_x, T]" term."""
    rsx = r + s + x
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)

    def log_term(t: FloatArray) -> FloatArray:
        # 2F1(rsx, s+1; rsx+1; z) = (1−z)^(−s)   · 2F1(1, r+x; rsx+1; z)   when α ≥ β
        # 2F1(rsx, r+x; rsx+1; z) = (1−z)^(1−r−x) · 2F1(1, s+1; rsx+1; z)   when α < β
        if alpha >= beta:
            z = (alpha - beta) / (alpha + t)
            log1mz = np.log(beta + t) - np.log(alpha + t)
            return -s * log1mz + np.log(special.hyp2f1(1.0, r + x, rsx + 1.0, z)) - rsx * np.log(alpha + t)
        z = (beta - alpha) / (beta + t)
        log1mz = np.log(alpha + t) - np.log(beta + t)
        return (
            (1.0 - r - x) * log1mz
            + np.log(special.hyp2f1(1.0, s + 1.0, rsx + 1.0, z))
            - rsx * np.log(beta + t)
        )

    first, last = log_term(t_x), log_term(T)
    gap = np.minimum(last - first, 0.0)  # the integral over (t_x, T] is ≥ 0; rounding aside
    with np.errstate(divide="ignore"):
        died = np.log(s) - np.log(rsx) + first + np.log(-np.expm1(gap))
    return common, alive, died


def pareto_nbd_log_likelihood(
    r: float, alpha: float, s: float, beta: float, x: object, t_x: object, T: object
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood.

    >>> [round(float(v), 4) for v in pareto_nbd_log_likelihood(0.55, 10.58, 0.61, 11.67, [0, 2], [0.0, 30.43], [38.86, 38.86])]
    [-0.517, -9.562]
    """
    xa, ta, Ta = _as_rfm(x, t_x, T)
    common, alive, died = _log_parts(r, alpha, s, beta, xa, ta, Ta)
    return common + np.logaddexp(alive, died)


def fit_pareto_nbd(
    x: object,
    t_x: object,
    T: object,
    *,
    weights: object | None = None,
    initial: dict[str, float] | None = None,
) -> ParetoNBDFit:
    """Fit Pareto/NBD by maximum likelihood (L-BFGS-B on log parameters, numerical gradient).

    Identical (x, t_x, T) rows are evaluated once (``weights`` counts them when the caller has
    grouped already): with whole-day recency and age, all customers without repeat purchases
    and the same first day share a row. The optimiser uses forward differences (5 likelihood
    passes a step); the standard errors use central ones.
    """
    xa, ta, Ta = _as_rfm(x, t_x, T)
    if xa.size < 4 or not np.any(xa > 0):
        raise ModelFitError("Pareto/NBD needs at least 4 customers and some repeat purchases")
    if weights is None:
        rows, counts = np.unique(np.column_stack([xa, ta, Ta]), axis=0, return_counts=True)
        xa, ta, Ta, wa = rows[:, 0], rows[:, 1], rows[:, 2], counts.astype(float)
    else:
        wa = np.asarray(weights, dtype=float)
        if wa.shape != xa.shape or np.any(wa < 0):
            raise ModelFitError("weights must be non-negative, one per customer")
    n = float(wa.sum())

    def mean_nll(theta: FloatArray) -> float:
        r, alpha, s, beta = np.exp(theta)
        return -float(wa @ pareto_nbd_log_likelihood(r, alpha, s, beta, xa, ta, Ta)) / n

    def gradient(theta: FloatArray, f0: float | None, h: float) -> FloatArray:
        grad = np.empty(theta.size)
        for i in range(theta.size):
            e = np.zeros(theta.size)
            e[i] = h
            low = f0 if f0 is not None else mean_nll(theta - e)
            grad[i] = (mean_nll(theta + e) - low) / (h if f0 is not None else 2 * h)
        return grad

    def forward(theta: FloatArray) -> tuple[float, FloatArray]:
        f0 = mean_nll(theta)
        return f0, gradient(theta, f0, 1e-7)

    def central(theta: FloatArray) -> tuple[float, FloatArray]:
        return mean_nll(theta), gradient(theta, None, 1e-6)

    mean_t = max(float(np.average(Ta, weights=wa)), 1e-3)
    start = initial or {"r": 1.0, "alpha": mean_t / 4, "s": 1.0, "beta": mean_t}
    theta0 = np.log([start["r"], start["alpha"], start["s"], start["beta"]])
    theta, info, std, fun = _minimise(forward, theta0, ("r", "alpha", "s", "beta"), curvature=central)
    r, alpha, s, beta = (float(v) for v in np.exp(theta))
    errors = {k: float(v / np.sqrt(n)) for k, v in std.items()}
    return ParetoNBDFit(r, alpha, s, beta, -fun * n, round(n), info, errors)


def pareto_probability_alive(fit: ParetoNBDFit, x: object, t_x: object, T: object) -> FloatArray:
    """P(alive at T | x, t_x, T)."""
    xa, ta, Ta = _as_rfm(x, t_x, T)
    _, alive, died = _log_parts(fit.r, fit.alpha, fit.s, fit.beta, xa, ta, Ta)
    return np.asarray(special.expit(alive - died), dtype=float)


def pareto_conditional_expected_purchases(
    fit: ParetoNBDFit, t: float | FloatArray, x: object, t_x: object, T: object
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units per customer."""
    xa, ta, Ta = _as_rfm(x, t_x, T)
    u = np.log(fit.beta + Ta + np.asarray(t, dtype=float)) - np.log(fit.beta + Ta)
    sm1 = fit.s - 1.0
    # [1 − ((β+T)/(β+T+t))^(s−1)] / (s − 1), whose limit at s = 1 is u
    decay = u if abs(sm1) < 1e-10 else -np.expm1(-sm1 * u) / sm1
    rate = (fit.r + xa) * (fit.beta + Ta) / (fit.alpha + Ta)
    return np.asarray(rate * decay * pareto_probability_alive(fit, xa, ta, Ta), dtype=float)
