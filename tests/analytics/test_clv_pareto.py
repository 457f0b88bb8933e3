"""Pareto/NBD, the optional purchase model: likelihood and P(alive) against the published
formulas, and parameter recovery from simulation (4 standard errors, as in test_clv.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from bizsight.analytics.clv_pareto import (
    ParetoNBDFit,
    fit_pareto_nbd,
    pareto_conditional_expected_purchases,
    pareto_nbd_log_likelihood,
    pareto_probability_alive,
)
from tests.analytics.clv_support import INFO, TINY, within_se

# --- Pareto/NBD (the option) -----------------------------------------------------------------


def direct_pareto_parts(
    r: float, alpha: float, s: float, beta: float, x: int, t_x: float, T: float
) -> tuple[float, float]:
    """Fader & Hardie's (2005) note, literally: the "alive" term and s/(r+s+x)·A0."""
    rsx = r + s + x
    if alpha >= beta:
        f = [
            special.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** rsx
            for t in (t_x, T)
        ]
    else:
        f = [
            special.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t)) / (beta + t) ** rsx
            for t in (t_x, T)
        ]
    return 1 / ((alpha + T) ** (r + x) * (beta + T) ** s), s / rsx * (f[0] - f[1])


PARETO = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}  # the published CDNOW fit


def test_pareto_nbd_log_likelihood_and_p_alive_equal_the_direct_formulas() -> None:
    for params in [
        tuple(PARETO.values()),
        (0.55, 15.0, 0.61, 5.0),
        (2.0, 3.0, 0.5, 40.0),
        (0.5, 10.0, 1.0, 10.0),
    ]:
        r, alpha, s, beta = params
        parts = [direct_pareto_parts(*params, x, tx, T) for x, tx, T in zip(*TINY, strict=True)]
        direct = [
            math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta) + math.log(a + d)
            for (a, d), x in zip(parts, TINY[0], strict=True)
        ]
        np.testing.assert_allclose(pareto_nbd_log_likelihood(*params, *TINY), direct, rtol=1e-10)
        fit = ParetoNBDFit(*params, 0.0, 0, INFO)
        np.testing.assert_allclose(
            pareto_probability_alive(fit, *TINY), [a / (a + d) for a, d in parts], rtol=1e-10
        )


def simulate_pareto(n: int, horizon: float, seed: int) -> tuple[np.ndarray, ...]:
    """Customers of the Pareto/NBD story, with their purchases in (T, T + horizon]."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(4.0, 104.0, n)
    lam = rng.gamma(PARETO["r"], 1.0 / PARETO["alpha"], n)
    death = rng.exponential(1.0 / rng.gamma(PARETO["s"], 1.0 / PARETO["beta"], n))
    end = np.minimum(death, T)
    x = rng.poisson(lam * end).astype(float)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)  # the last of x uniform times
    future = rng.poisson(lam * np.clip(death - T, 0.0, horizon)).astype(float)
    return x, t_x, T, future


def test_pareto_nbd_recovers_simulated_parameters_and_predicts_the_holdout() -> None:
    x, t_x, T, future = simulate_pareto(30_000, 52.0, seed=4)
    fit = fit_pareto_nbd(x, t_x, T)
    assert fit.info.converged
    within_se(fit.params(), fit.std_errors, PARETO, k=4.0, rel=0.0)
    truth = ParetoNBDFit(*PARETO.values(), 0.0, 0, INFO)
    predicted = pareto_conditional_expected_purchases(truth, 52.0, x, t_x, T)
    # Poisson-mixture noise on the total of ~30k customers' holdout purchases is about 1-2 %
    assert predicted.sum() == pytest.approx(future.sum(), rel=0.05)
    recent, stale = pareto_probability_alive(truth, [3, 3], [50.0, 10.0], [52.0, 52.0])
    assert recent > stale
