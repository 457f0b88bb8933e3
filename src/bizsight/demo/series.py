"""Simulated daily metric series with known parts and injected anomalies (ground truth for the
trend and anomaly tests and for ``benchmarks/bench_anomalies.py``).

y(t) = level × (1 + growth)^(t / 365.25) + weekly(t mod 7) + yearly(t) + noise(t), noise ~
Normal(0, noise), plus anomalies: at chosen days, ± size × noise (a spike or a drop).

>>> s = simulate_series(SeriesSpec(days=60, anomalies=2), seed=3)
>>> len(s.values), len(s.anomaly_days), sorted(set(s.anomaly_sizes.round(1).tolist()) - {0.0}) != []
(60, 2, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEEKLY = np.array([-0.04, -0.08, -0.06, -0.02, 0.04, 0.12, 0.04])  # Monday..Sunday, × level


@dataclass(frozen=True)
class SeriesSpec:
    """The parameters of one simulated series; sizes of anomalies are in noise standard
    deviations, drawn uniformly from ``[min_size, max_size]`` with a random sign."""

    days: int = 3 * 365 + 1
    level: float = 1000.0
    growth: float = 0.20  # per year
    weekly: float = 1.0  # × WEEKLY × level
    yearly: float = 0.15  # amplitude of the yearly wave, × level
    noise: float = 30.0  # standard deviation
    anomalies: int = 10
    min_size: float = 5.0
    max_size: float = 8.0
    margin: int = 28  # no anomaly in the first and last days of warm-up and edge


@dataclass(frozen=True)
class SimulatedSeries:
    values: np.ndarray
    clean: np.ndarray  # without noise and anomalies: trend + seasons
    seasonal: np.ndarray  # weekly + yearly parts
    anomaly_days: np.ndarray  # indices, sorted
    anomaly_sizes: np.ndarray  # in noise standard deviations, signed (one per day of the series)


def simulate_series(spec: SeriesSpec, seed: int) -> SimulatedSeries:
    rng = np.random.default_rng(seed)
    t = np.arange(spec.days)
    trend = spec.level * (1 + spec.growth) ** (t / 365.25)
    weekly = spec.weekly * spec.level * WEEKLY[t % 7]
    yearly = spec.yearly * spec.level * np.sin(2 * np.pi * t / 365.25)
    clean = trend + weekly + yearly
    values = clean + rng.normal(0, spec.noise, spec.days)
    candidates = np.arange(spec.margin, spec.days - spec.margin)
    days = np.sort(rng.choice(candidates, size=min(spec.anomalies, candidates.size), replace=False))
    sizes = np.zeros(spec.days)
    sizes[days] = rng.uniform(spec.min_size, spec.max_size, days.size) * rng.choice([-1.0, 1.0], days.size)
    return SimulatedSeries(values + sizes * spec.noise, clean, weekly + yearly, days, sizes)
