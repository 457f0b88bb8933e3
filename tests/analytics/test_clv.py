"""CLV: RFM summary, BG/NBD and Gamma-Gamma fits, scoring and holdout validation.

Tolerances. Simulation recovery uses the fit's own asymptotic standard errors (inverse Hessian):
with fixed seeds the tests are deterministic, and a 4-SE band would fail by chance with
probability ~6e-5 per parameter, so a failure means a biased estimator or a wrong likelihood,
not bad luck. On the demo data the model is slightly misspecified (purchase rates follow a
seasonal calendar, the clock starts at noon of the signup day while the summary counts whole
days, and clashing same-day purchases are moved to the next day), so there we allow 3 SE plus
3 % of the stated value for that misspecification.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from scipy import optimize, special, stats

from bizsight.analytics.clv import (
    CLVSettings,
    analyze_clv,
    customer_lifetime_value,
    holdout_report,
    score_customers,
)
from bizsight.analytics.clv_models import (
    BetaGeoFit,
    _BetaGeoObjective,
    bgnbd_log_likelihood,
    conditional_expected_purchases,
    expected_purchases_new,
    fit_bgnbd,
    probability_alive,
)
from bizsight.analytics.clv_spend import (
    GammaGammaFit,
    conditional_expected_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from bizsight.analytics.clv_summary import RFMSummary, rfm_summary, summary_sql
from bizsight.demo import generate
from bizsight.demo.params import BGNBD, GAMMA_GAMMA
from tests.analytics.clv_support import INFO, TINY, within_se

TRUE_BG = BetaGeoFit(1.0, 8.0, 1.2, 10.0, 0.0, 0, INFO)
TRUE_GG = GammaGammaFit(4.0, 3.5, 70.0, 0.0, 0, INFO)


# --- the tests' own references ---------------------------------------------------------------


def direct_bgnbd_ll(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    """FHL (2005) eq. 6 evaluated literally, in plain floats."""
    beta = math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    beta_x = math.exp(math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x))
    gam = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    like = beta_x / beta * gam / (alpha + T) ** (r + x)
    if x > 0:
        beta_d = math.exp(math.lgamma(a + 1) + math.lgamma(b + x - 1) - math.lgamma(a + b + x))
        like += beta_d / beta * gam / (alpha + t_x) ** (r + x)
    return math.log(like)


def direct_gg_ll(p: float, q: float, g: float, x: int, m: float) -> float:
    """Density of the mean of x Gamma(p, ν) values with ν ~ Gamma(q, γ), evaluated literally."""
    const = math.exp(math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q))
    return math.log(const * g**q * m ** (p * x - 1) * x ** (p * x) / (g + m * x) ** (p * x + q))


def simulate(n: int, r: float, alpha: float, a: float, b: float, seed: int) -> tuple[np.ndarray, ...]:
    """One customer at a time, the story of the model: purchase, coin flip, purchase, ..."""
    rng = np.random.default_rng(seed)
    xs, txs, Ts = np.zeros(n), np.zeros(n), rng.uniform(4.0, 104.0, n)
    lam, p = rng.gamma(r, 1.0 / alpha, n), rng.beta(a, b, n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > Ts[i]:
                break
            xs[i] += 1
            txs[i] = t
            if rng.random() < p[i]:
                break
    return xs, txs, Ts


# --- summary ---------------------------------------------------------------------------------


def lines(rows: list[tuple[str, str, float]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": pa.array([dt.datetime.fromisoformat(r[1]) for r in rows], pa.timestamp("s")),
            "net_amount": [r[2] for r in rows],
        }
    )


SMALL = lines(
    [
        ("b", "2024-01-01 09:00:00", 10.0),
        ("b", "2024-01-01 18:30:00", 5.0),  # same day: one occasion worth 15
        ("b", "2024-01-15 10:00:00", 20.0),
        ("b", "2024-01-29 23:59:59", 40.0),
        ("a", "2024-01-08 12:00:00", 7.0),
        ("c", "2024-02-10 12:00:00", 3.0),  # first purchase after the calibration end
        ("b", "2024-02-12 08:00:00", 1.0),  # holdout
        ("b", "2024-02-12 09:00:00", 1.0),  # holdout, same day
        ("a", "2024-03-01 08:00:00", 2.0),  # holdout
        ("a", "2024-04-01 08:00:00", 2.0),  # after the observation end
    ]
)


def test_same_day_purchases_count_once_and_units_are_days_over_unit_length() -> None:
    s = rfm_summary(SMALL, observation_end=dt.date(2024, 1, 29), time_unit_days=7.0)
    assert s.customer_id.to_pylist() == ["a", "b"]
    assert s.frequency.tolist() == [0.0, 2.0]
    assert s.recency.tolist() == [0.0, 4.0]  # 28 days / 7
    assert s.T.tolist() == [3.0, 4.0]  # 21 and 28 days / 7
    assert s.monetary_value.tolist() == [0.0, 30.0]  # mean of the repeat occasions 20 and 40
    assert s.total_value.tolist() == [7.0, 75.0]
    daily = rfm_summary(SMALL, observation_end=dt.date(2024, 1, 29), time_unit_days=1.0)
    assert daily.recency.tolist() == [0.0, 28.0] and daily.T.tolist() == [21.0, 28.0]


def test_summary_skips_lines_without_customer_or_date() -> None:
    table = pa.table(
        {
            "customer_id": ["a", None, "a", "a"],
            "order_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), None, dt.date(2024, 1, 8)],
            "net_amount": [1.0, 2.0, 3.0, None],
        }
    )
    s = rfm_summary(table, observation_end=dt.date(2024, 1, 8))
    assert s.frequency.tolist() == [1.0] and s.monetary_value.tolist() == [0.0]
    assert s.total_value.tolist() == [1.0]


def test_holdout_counts_occasions_between_calibration_and_observation_end() -> None:
    s = rfm_summary(
        SMALL, observation_end=dt.date(2024, 3, 10), calibration_end=dt.date(2024, 1, 31), time_unit_days=1.0
    )
    assert s.customer_id.to_pylist() == ["a", "b"]  # c starts after the calibration end
    assert s.frequency_holdout.tolist() == [1.0, 1.0]
    assert s.duration_holdout == 39.0
    assert s.T.tolist() == [23.0, 30.0]


def test_sql_summary_agrees_with_python_summary() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    start = dt.datetime(2023, 1, 1)
    rows = [
        (f"C{int(c):04d}", (start + dt.timedelta(minutes=int(m))).isoformat(sep=" "), round(float(v), 2))
        for c, m, v in zip(
            rng.integers(0, 400, n), rng.integers(0, 2 * 365 * 24 * 60, n), rng.gamma(2, 30, n), strict=True
        )
    ]
    table = lines(rows)
    kwargs = {"calibration_end": dt.date(2024, 6, 30), "observation_end": dt.date(2024, 10, 31)}
    py = rfm_summary(table, time_unit_days=7.0, **kwargs).to_arrow()
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.register("lines", table)
    con.execute("CREATE TABLE core.fact_order_line AS SELECT * FROM lines")
    sql = con.sql(summary_sql(time_unit_days=7.0, **kwargs)).to_arrow_table()
    assert sql.column("customer_id").to_pylist() == py.column("customer_id").to_pylist()
    for name in py.column_names[1:]:
        np.testing.assert_allclose(
            np.asarray(sql.column(name).to_numpy(), float),
            np.asarray(py.column(name).to_numpy(), float),
            rtol=1e-9,
        )
    back = RFMSummary.from_arrow(sql, time_unit_days=7.0)
    assert back.duration_holdout == pytest.approx(123 / 7)


def test_sql_summary_agrees_on_demo_lines_with_a_status_filter(demo_lines: pa.Table) -> None:
    kept = demo_lines.filter(pc.field("status") != "cancelled")
    kwargs = {"calibration_end": dt.date(2025, 9, 30), "observation_end": END, "time_unit_days": 1.0}
    py = rfm_summary(kept, value="total_amount", **kwargs)
    con = duckdb.connect()
    con.register("lines", demo_lines)
    sql = summary_sql(table="lines", value="total_amount", statuses=("completed", "refunded"), **kwargs)
    back = RFMSummary.from_arrow(con.sql(sql).to_arrow_table(), time_unit_days=1.0)
    assert back.customer_id.to_pylist() == py.customer_id.to_pylist()
    for name in ("frequency", "recency", "T", "monetary_value", "total_value", "frequency_holdout"):
        np.testing.assert_allclose(getattr(back, name), getattr(py, name), rtol=1e-9, err_msg=name)


def test_changing_the_time_unit_rescales_alpha_only() -> None:
    x, tx, T = simulate(5_000, **BGNBD, seed=9)
    weeks, days = fit_bgnbd(x, tx, T), fit_bgnbd(x, 7 * tx, 7 * T)
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-4)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(weeks, name), rel=1e-4)


# --- likelihoods -----------------------------------------------------------------------------


def test_bgnbd_log_likelihood_equals_direct_summation() -> None:
    for params in [(1.0, 8.0, 1.2, 10.0), (0.24, 4.41, 0.79, 2.43), (3.0, 0.5, 5.0, 0.7)]:
        direct = sum(direct_bgnbd_ll(*params, x, tx, T) for x, tx, T in zip(*TINY, strict=True))
        assert bgnbd_log_likelihood(*params, *TINY).sum() == pytest.approx(direct, rel=1e-10)


def test_bgnbd_gradient_is_the_derivative_of_the_likelihood() -> None:
    x, tx, T = (np.asarray(v, float) for v in TINY)
    objective = _BetaGeoObjective(x, tx, T, np.ones_like(x))
    for theta in np.log([[1.0, 8.0, 1.2, 10.0], [0.3, 2.0, 0.6, 3.0]]):
        err = optimize.check_grad(lambda th: objective(th)[0], lambda th: objective(th)[1], theta)
        assert err < 1e-6


def test_bgnbd_log_likelihood_stays_finite_for_heavy_buyers() -> None:
    ll = bgnbd_log_likelihood(0.5, 2.0, 0.8, 3.0, [2000], [300.0], [300.0])
    assert np.isfinite(ll).all()


def test_gamma_gamma_log_likelihood_equals_direct_formula() -> None:
    x, m = [1, 2, 5, 3], [35.0, 80.5, 120.0, 12.25]
    direct = sum(direct_gg_ll(4.0, 3.5, 70.0, xi, mi) for xi, mi in zip(x, m, strict=True))
    assert gamma_gamma_log_likelihood(4.0, 3.5, 70.0, x, m).sum() == pytest.approx(direct, rel=1e-10)


# --- closed forms ----------------------------------------------------------------------------


def test_expected_purchases_match_the_direct_hypergeometric_form() -> None:
    r, alpha, a, b = 1.0, 8.0, 1.2, 10.0
    t = 52.0
    z = t / (alpha + t)
    new = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    assert expected_purchases_new(TRUE_BG, t) == pytest.approx(new, rel=1e-10)
    x, tx, T, h = 4, 30.0, 40.0, 26.0
    z = h / (alpha + T + h)
    head = (a + b + x - 1) / (a - 1)
    head *= 1 - ((alpha + T) / (alpha + T + h)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    cond = head / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    assert conditional_expected_purchases(TRUE_BG, h, [x], [tx], [T])[0] == pytest.approx(cond, rel=1e-10)


def test_conditional_expectation_matches_the_published_cdnow_example() -> None:
    # Fader, Hardie & Lee (2005) CDNOW fit (a < 1) and their worked customer: x = 2,
    # t_x = 30.43, T = 38.86 weeks expects 1.226 purchases in the next 39 weeks.
    cdnow = BetaGeoFit(0.243, 4.414, 0.793, 2.426, 0.0, 0, INFO)
    assert conditional_expected_purchases(cdnow, 39.0, [2], [30.43], [38.86])[0] == pytest.approx(
        1.226, abs=5e-4
    )


def test_closed_forms_are_continuous_at_a_equal_one() -> None:
    values = [
        conditional_expected_purchases(
            BetaGeoFit(0.243, 4.414, a, 2.426, 0.0, 0, INFO), 39.0, [0, 2], [0.0, 30.43], [38.86, 38.86]
        )
        for a in (1.0 - 1e-4, 1.0, 1.0 + 1e-4)
    ]
    np.testing.assert_allclose(values[1], (values[0] + values[2]) / 2, rtol=1e-6)
    assert np.isfinite(expected_purchases_new(BetaGeoFit(1.0, 8.0, 1.0, 10.0, 0.0, 0, INFO), 52.0))


def test_expected_purchases_of_a_new_customer_match_simulation() -> None:
    x, _, ages = simulate(20_000, 1.0, 8.0, 1.2, 10.0, seed=11)  # T ~ U(4, 104): average over ages
    assert expected_purchases_new(TRUE_BG, ages).mean() == pytest.approx(x.mean(), rel=0.05)


def test_p_alive_is_higher_for_recent_buyers_and_one_without_repeats() -> None:
    p = probability_alive(TRUE_BG, [3, 3, 3, 0], [5.0, 20.0, 39.0, 0.0], [40.0, 40.0, 40.0, 40.0])
    assert p[0] < p[1] < p[2] < 1.0
    assert p[3] == 1.0


def test_expected_purchases_grow_with_frequency_at_fixed_recency_and_age() -> None:
    e = conditional_expected_purchases(TRUE_BG, 52.0, [1, 2, 4, 8, 16], [30.0] * 5, [32.0] * 5)
    assert np.all(np.diff(e) > 0)


def test_conditional_value_shrinks_towards_the_population_mean() -> None:
    v = conditional_expected_value(TRUE_GG, [0, 1, 10, 100], [0.0, 300.0, 300.0, 300.0])
    assert v[0] == pytest.approx(112.0)
    assert 112.0 < v[1] < v[2] < v[3] < 300.0


# --- simulation recovery ---------------------------------------------------------------------


def test_bgnbd_recovers_simulated_parameters() -> None:
    x, tx, T = simulate(30_000, **BGNBD, seed=5)
    fit = fit_bgnbd(x, tx, T)
    assert fit.info.converged and fit.n_customers == 30_000
    # sampling error at 30k: r ±0.025, alpha ±0.25, a ±0.1, b ±1.2 (1 SE)
    assert fit.std_errors["r"] < 0.05 and fit.std_errors["b"] < 2.5
    within_se(fit.params(), fit.std_errors, BGNBD, k=4.0, rel=0.0)
    assert fit.log_likelihood == pytest.approx(
        bgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, x, tx, T).sum()
    )


def test_gamma_gamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(8)
    n = 20_000
    p, q, g = GAMMA_GAMMA["p"], GAMMA_GAMMA["q"], GAMMA_GAMMA["gamma"]
    nu = rng.gamma(q, 1.0 / g, n)
    x = 1 + rng.poisson(3.0, n)
    m = np.array([rng.gamma(p, 1.0 / v, k).mean() for v, k in zip(nu, x, strict=True)])
    fit = fit_gamma_gamma(x, m)
    assert fit.info.converged and fit.n_customers == n
    within_se(fit.params(), fit.std_errors, GAMMA_GAMMA, k=4.0, rel=0.0)


def test_fit_uses_weights_as_counts() -> None:
    x, tx, T = (np.asarray(v, float) for v in TINY)
    weighted = fit_bgnbd(x, tx, T, weights=np.full(6, 3.0))
    repeated = fit_bgnbd(np.tile(x, 3), np.tile(tx, 3), np.tile(T, 3))
    assert weighted.r == pytest.approx(repeated.r, rel=1e-4)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-6)


# --- CLV -------------------------------------------------------------------------------------


def summary_of(x: list[float], tx: list[float], T: list[float], m: list[float]) -> RFMSummary:
    n = len(x)
    return RFMSummary(
        pa.array([str(i) for i in range(n)]),
        np.asarray(x, float),
        np.asarray(tx, float),
        np.asarray(T, float),
        np.asarray(m, float),
        np.zeros(n),
        np.zeros(n),
        0.0,
        7.0,
    )


def test_clv_scales_with_margin_and_falls_with_discount_rate() -> None:
    s = summary_of([0, 2, 6], [0.0, 20.0, 50.0], [52.0, 52.0, 52.0], [0.0, 80.0, 150.0])
    base = customer_lifetime_value(TRUE_BG, TRUE_GG, s, CLVSettings(margin=1.0, annual_discount_rate=0.1))
    half = customer_lifetime_value(TRUE_BG, TRUE_GG, s, CLVSettings(margin=0.5, annual_discount_rate=0.1))
    steep = customer_lifetime_value(TRUE_BG, TRUE_GG, s, CLVSettings(margin=1.0, annual_discount_rate=0.5))
    undiscounted = customer_lifetime_value(TRUE_BG, TRUE_GG, s, CLVSettings(annual_discount_rate=0.0))
    np.testing.assert_allclose(half, base / 2)
    assert np.all(steep < base) and np.all(base < undiscounted)
    # without discounting, CLV = expected purchases over the horizon × expected value
    horizon = 365.25 / 7
    expect = conditional_expected_purchases(TRUE_BG, horizon, s.frequency, s.recency, s.T)
    np.testing.assert_allclose(
        undiscounted, expect * conditional_expected_value(TRUE_GG, s.frequency, s.monetary_value)
    )
    table = score_customers(TRUE_BG, TRUE_GG, s)
    assert table.column_names[-4:] == ["p_alive", "expected_purchases", "expected_value", "clv"]


# --- demo data with known truth --------------------------------------------------------------

END = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = Path(tmp_path_factory.mktemp("clv_demo"))
    generate(out, customers=20_000, years=3.0, seed=7, end_date=END)
    return out


@pytest.fixture(scope="module")
def demo_lines(demo_dir: Path) -> pa.Table:
    return pcsv.read_csv(demo_dir / "sales_transactions.csv")


def test_demo_fit_recovers_the_generator_parameters(demo_lines: pa.Table) -> None:
    s = rfm_summary(demo_lines, value="total_amount", observation_end=END)
    assert len(s) == 18_035  # the purchasers
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    within_se(bg.params(), bg.std_errors, BGNBD, k=3.0, rel=0.03)
    gg = fit_gamma_gamma(s.frequency, s.monetary_value)
    within_se(gg.params(), gg.std_errors, GAMMA_GAMMA, k=3.0, rel=0.03)
    assert gg.mean_value == pytest.approx(112.0, rel=0.05)


def test_demo_holdout_prediction_is_close_to_actual(demo_lines: pa.Table) -> None:
    s = rfm_summary(
        demo_lines, value="total_amount", observation_end=END, calibration_end=dt.date(2025, 9, 30)
    )
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    report = holdout_report(bg, s)
    # measured -5.8 %: seasonality and acquisition growth are outside the model
    assert abs(report.percent_error) < 10.0
    assert [g.frequency for g in report.groups] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(g.customers for g in report.groups) == len(s)
    for g in report.groups:
        assert g.predicted == pytest.approx(g.actual, rel=0.15), g
    assert report.to_dict()["actual"] == s.frequency_holdout.sum()


def test_demo_p_alive_and_spend_agree_with_each_customers_latent_truth(
    demo_dir: Path, demo_lines: pa.Table
) -> None:
    s = rfm_summary(demo_lines, value="total_amount", observation_end=END)
    truth = pq.read_table(demo_dir / "ground_truth_customers.parquet").filter(pc.field("purchaser"))
    assert truth.column("customer_id").to_pylist() == s.customer_id.to_pylist()
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    alive = truth.column("alive_at_end").to_numpy(zero_copy_only=False)
    p_alive = probability_alive(bg, s.frequency, s.recency, s.T)
    # measured: mean P(alive) 0.6336 against 0.6335 alive; ranking AUC 0.915
    assert p_alive.mean() == pytest.approx(alive.mean(), abs=0.02)
    ranks = stats.rankdata(p_alive)  # average ranks: customers without repeats tie at 1
    n1, n0 = alive.sum(), (~alive).sum()
    auc = (ranks[alive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    assert auc > 0.88
    gg = fit_gamma_gamma(s.frequency, s.monetary_value)
    buyers = s.frequency > 0
    latent = truth.column("expected_order_value").to_numpy()[buyers]
    shrunk = conditional_expected_value(gg, s.frequency, s.monetary_value)[buyers]
    # shrinking towards the population mean beats the customer's own mean (MAE 22.9 vs 26.0)
    assert np.abs(shrunk - latent).mean() < 0.95 * np.abs(s.monetary_value[buyers] - latent).mean()


@pytest.mark.parametrize("model", ["bgnbd", "pareto"])
def test_analyze_clv_on_demo_gives_json_figures_and_one_score_per_customer(
    demo_lines: pa.Table, model: str
) -> None:
    s = rfm_summary(
        demo_lines, value="total_amount", observation_end=END, calibration_end=dt.date(2025, 9, 30)
    )
    result = analyze_clv(s, CLVSettings(margin=0.3, model=model))  # type: ignore[arg-type]
    figures = json.loads(json.dumps(result.to_dict()))
    assert figures["model"] == model and figures["customers"] == len(s)
    assert figures["purchases"]["n_customers"] == len(s) and figures["purchases"]["info"]["converged"]
    assert abs(figures["holdout"]["percent_error"]) < 10.0
    clv = result.scores.column("clv").to_numpy()
    assert result.scores.num_rows == len(s) and np.all(clv >= 0) and np.isfinite(clv).all()
