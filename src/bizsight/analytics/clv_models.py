"""The BG/NBD model fitted by maximum likelihood, and the fitting machinery the CLV models share.

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way". Gamma-Gamma:
Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis".
Inputs are per-customer numpy arrays (frequency ``x``, recency ``t_x``, age ``T`` in one time
unit; mean repeat value ``m``). Everything is vectorised over customers; terms that depend only
on the integer frequency are computed once per distinct frequency, so a fit over a million
customers costs a few dozen passes of ``log`` over the arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize, special

from bizsight.errors import ModelFitError

FloatArray = np.ndarray


@dataclass(frozen=True)
class FitInfo:
    """What the optimiser reported."""

    converged: bool
    iterations: int
    evaluations: int
    message: str
    seconds: float


@dataclass(frozen=True)
class BetaGeoFit:
    """A fitted BG/NBD model; ``alpha`` is in the time unit of the data it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    info: FitInfo
    std_errors: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


# --- BG/NBD ----------------------------------------------------------------------------------


def _as_rfm(x: object, t_x: object, T: object) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa = np.asarray(x, dtype=float)
    ta = np.asarray(t_x, dtype=float)
    Ta = np.asarray(T, dtype=float)
    if not (xa.shape == ta.shape == Ta.shape):
        raise ModelFitError("frequency, recency and age must have the same length")
    if xa.size and (
        np.any(xa < 0)
        or np.any(xa != np.round(xa))
        or np.any(ta < 0)
        or np.any(ta > Ta + 1e-9)
        or np.any((xa == 0) & (ta != 0))
    ):
        raise ModelFitError("need integer frequency ≥ 0 and 0 ≤ recency ≤ age, recency 0 when frequency is 0")
    return xa, ta, Ta


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: object, t_x: object, T: object
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6), as logs throughout.

    >>> ll = bgnbd_log_likelihood(1.0, 8.0, 1.2, 10.0, [0, 2], [0.0, 5.0], [10.0, 20.0])
    >>> [round(float(v), 4) for v in ll]
    [-0.8109, -6.7037]
    """
    xa, ta, Ta = _as_rfm(x, t_x, T)
    a1 = special.gammaln(r + xa) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + xa) - special.gammaln(b) - special.gammaln(a + b + xa)
    a3 = -(r + xa) * np.log(alpha + Ta)
    pos = xa > 0
    a4 = np.where(
        pos, np.log(a) - np.log(np.maximum(b + xa - 1.0, 1e-300)) - (r + xa) * np.log(alpha + ta), -np.inf
    )
    return a1 + a2 + np.logaddexp(a3, a4)


class _BetaGeoObjective:
    """Negative log-likelihood and its gradient with respect to log(r, alpha, a, b).

    Terms in ``x`` alone are evaluated on the distinct frequencies and gathered by index.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray) -> None:
        self.ux, inverse = np.unique(x, return_inverse=True)
        self.inv = inverse.reshape(-1)
        self.counts = np.bincount(self.inv, weights=weights, minlength=self.ux.size)
        self.x, self.t_x, self.T, self.w = x, t_x, T, weights
        self.pos = x > 0
        self.n = float(weights.sum())

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ux, inv, c, w = self.ux, self.inv, self.counts, self.w
        log_alpha_T = np.log(alpha + self.T)
        log_alpha_tx = np.log(alpha + self.t_x)
        rx = r + self.x
        bx1 = np.maximum(b + ux - 1.0, 1e-300)  # only used where x > 0
        a3 = -rx * log_alpha_T
        a4 = np.where(self.pos, (np.log(a) - np.log(bx1))[inv] - rx * log_alpha_tx, -np.inf)
        mix = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - mix)  # share of the "dropped out at t_x" term, 0 when x = 0
        w3 = 1.0 - w4
        ll_x = (
            special.gammaln(r + ux)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.gammaln(a + b)
            + special.gammaln(b + ux)
            - special.gammaln(b)
            - special.gammaln(a + b + ux)
        )
        ll = float(c @ ll_x + w @ mix)
        d_r = c @ (special.digamma(r + ux) - special.digamma(r) + np.log(alpha)) - w @ (
            w3 * log_alpha_T + w4 * log_alpha_tx
        )
        d_alpha = r / alpha * self.n - w @ (rx * (w3 / (alpha + self.T) + w4 / (alpha + self.t_x)))
        d_a = c @ (special.digamma(a + b) - special.digamma(a + b + ux)) + (w @ w4) / a
        d_b = c @ (
            special.digamma(a + b)
            + special.digamma(b + ux)
            - special.digamma(b)
            - special.digamma(a + b + ux)
        ) - w @ (w4 / bx1[inv])
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / self.n, -grad / self.n


GRADIENT_TOLERANCE = 1e-5  # of the mean log-likelihood per log-parameter


def _minimise(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    theta0: FloatArray,
    names: tuple[str, ...],
    curvature: Callable[[FloatArray], tuple[float, FloatArray]] | None = None,
) -> tuple[FloatArray, FitInfo, dict[str, float], float]:
    """L-BFGS-B on log parameters; ``curvature`` (default ``fun``) gives the gradients whose
    differences make the Hessian for the standard errors."""
    import time

    start = time.perf_counter()
    bounds = [(-12.0, 12.0)] * len(theta0)  # parameters between 6e-6 and 1.6e5
    res = optimize.minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9},
    )
    seconds = time.perf_counter() - start
    theta = np.asarray(res.x, dtype=float)
    std = _std_errors(curvature or fun, theta, names)
    # With ftol this tight, L-BFGS-B may stop on an "abnormal" line search at the optimum itself,
    # where float rounding (which differs between CPUs) leaves no decrease to find: the gradient
    # there says whether it got to the optimum.
    converged = bool(res.success) or float(np.max(np.abs(fun(theta)[1]))) < GRADIENT_TOLERANCE
    info = FitInfo(converged, int(res.nit), int(res.nfev), str(res.message), seconds)
    return theta, info, std, float(res.fun)


def _std_errors(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], theta: FloatArray, names: tuple[str, ...]
) -> dict[str, float]:
    """Asymptotic standard errors from a central-difference Hessian of the analytic gradient.

    ``fun`` is the mean negative log-likelihood, so the information matrix is n·H; the caller
    scales. The delta method turns log-scale errors into parameter errors.
    """
    k = theta.size
    h = 1e-5
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        hess[i] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2 * h)
    hess = (hess + hess.T) / 2
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return {}
    diag = np.diag(cov)
    if np.any(diag <= 0):
        return {}
    return {n: float(np.exp(t) * np.sqrt(d)) for n, t, d in zip(names, theta, diag, strict=True)}


def fit_bgnbd(
    x: object,
    t_x: object,
    T: object,
    *,
    weights: object | None = None,
    initial: dict[str, float] | None = None,
) -> BetaGeoFit:
    """Fit BG/NBD by maximum likelihood (L-BFGS-B on log parameters, analytic gradient).

    ``weights`` counts identical customers (for data already grouped by (x, t_x, T)).
    ``std_errors`` are asymptotic, from the inverse Hessian at the optimum.

    >>> fit = fit_bgnbd([0, 1, 3, 0, 2, 5], [0, 4, 9, 0, 8, 20], [10, 12, 30, 25, 14, 22])
    >>> fit.n_customers, fit.info.converged
    (6, True)
    """
    xa, ta, Ta = _as_rfm(x, t_x, T)
    wa = np.ones_like(xa) if weights is None else np.asarray(weights, dtype=float)
    if xa.size < 4 or not np.any(xa > 0):
        raise ModelFitError("BG/NBD needs at least 4 customers and some repeat purchases")
    if wa.shape != xa.shape or np.any(wa < 0):
        raise ModelFitError("weights must be non-negative, one per customer")
    objective = _BetaGeoObjective(xa, ta, Ta, wa)
    start = initial or {
        "r": 1.0,
        "alpha": max(float(np.average(Ta, weights=wa)) / 4, 1e-3),
        "a": 1.0,
        "b": 1.0,
    }
    theta0 = np.log([start["r"], start["alpha"], start["a"], start["b"]])
    names = ("r", "alpha", "a", "b")
    theta, info, std, fun = _minimise(objective, theta0, names)
    n = float(wa.sum())
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BetaGeoFit(
        r, alpha, a, b, -fun * n, round(n), info, {k: float(v / np.sqrt(n)) for k, v in std.items()}
    )


def _hyp2f1_tail(fit: BetaGeoFit, x: FloatArray | float, z: FloatArray) -> FloatArray:
    """(1 − z)^(r+x) · 2F1(r+x, b+x; a+b+x−1; z) by Euler's transformation.

    Equal to (1 − z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z), whose series has small numerator
    parameters and a denominator parameter that grows with x: it converges quickly and never
    multiplies a huge 2F1 by a tiny power, which the direct form does for frequent buyers.
    """
    r, a, b = fit.r, fit.a, fit.b
    return (1.0 - z) ** (a - 1.0) * special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)


def expected_purchases_new(fit: BetaGeoFit, t: object) -> FloatArray:
    """E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired (FHL eq. 7).

    >>> fit = BetaGeoFit(1.0, 8.0, 1.2, 10.0, 0.0, 0, FitInfo(True, 0, 0, "", 0.0))
    >>> round(float(expected_purchases_new(fit, 52.0)), 4)
    4.2103
    """
    ta = np.asarray(t, dtype=float)
    z = ta / (fit.alpha + ta)
    return _away_from_a_one(fit, lambda f: (f.a + f.b - 1.0) / (f.a - 1.0) * (1.0 - _hyp2f1_tail(f, 0.0, z)))


def _away_from_a_one(fit: BetaGeoFit, formula: Callable[[BetaGeoFit], FloatArray]) -> FloatArray:
    """Evaluate a closed form with a factor 1/(a − 1) whose singularity at a = 1 is removable.

    Near a = 1 the two sides are averaged (the error is of order the square of the step).
    """
    step = 1e-5
    if abs(fit.a - 1.0) >= step:
        return formula(fit)
    low, high = replace(fit, a=1.0 - step), replace(fit, a=1.0 + step)
    return (formula(low) + formula(high)) / 2.0


def conditional_expected_purchases(
    fit: BetaGeoFit, t: float | FloatArray, x: object, t_x: object, T: object
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units per customer (FHL eq. 10)."""
    xa, ta, Ta = _as_rfm(x, t_x, T)
    tt = np.asarray(t, dtype=float)
    z = tt / (fit.alpha + Ta + tt)

    def formula(f: BetaGeoFit) -> FloatArray:
        head = (f.a + f.b + xa - 1.0) / (f.a - 1.0) * (1.0 - _hyp2f1_tail(f, xa, z))
        return np.asarray(head * probability_alive(f, xa, ta, Ta), dtype=float)

    return _away_from_a_one(fit, formula)


def probability_alive(fit: BetaGeoFit, x: object, t_x: object, T: object) -> FloatArray:
    """P(alive | x, t_x, T) (FHL eq. 11), computed as a logistic of a log-odds to avoid overflow."""
    xa, ta, Ta = _as_rfm(x, t_x, T)
    pos = xa > 0
    log_odds_dead = (
        np.log(fit.a)
        - np.log(np.where(pos, fit.b + xa - 1.0, 1.0))
        + (fit.r + xa) * (np.log(fit.alpha + Ta) - np.log(fit.alpha + ta))
    )
    return np.where(pos, special.expit(-log_odds_dead), 1.0)


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, T: object, *, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw (x, t_x, T) of ``n`` customers from the BG/NBD process (for benchmarks and checks).

    >>> x, t_x, T = simulate_bgnbd(1000, 1.0, 8.0, 1.2, 10.0, 52.0, seed=1)
    >>> bool((t_x <= T).all()), x.shape
    (True, (1000,))
    """
    rng = np.random.default_rng(seed)
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / lam[active]
        bought = clock[active] <= age[active]
        active = active[bought]
        x[active] += 1.0
        t_x[active] = clock[active]
        active = active[rng.random(active.size) >= p[active]]
    return x, t_x, age
