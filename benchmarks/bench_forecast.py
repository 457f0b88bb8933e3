"""Forecasting benchmark: model selection by cross-validation against seasonal naive.

    python benchmarks/bench_forecast.py [--monthly 1000] [--daily 100] [--jobs 2]

Three parts, each scored on data held out from the fit (MASE scaled by the in-sample seasonal
naive error, sMAPE in %), with seasonal naive scored on the same holdout in the same run:

* ``--monthly`` simulated monthly series of 60 months + 12 held out: multiplicative trend
  (growth drawn per series), a seasonal profile of random amplitude and phase, log-normal noise;
  a third of them have a level shift (a step of ±20 %) half-way. Horizon 12.
* ``--daily`` simulated daily series of three years + 91 days held out: trend, weekly and
  yearly seasonality, noise. Horizon 91 (one quarter).
* real series that ship inside installed packages (no download): AirPassengers (statsforecast),
  electrical equipment orders, CO2 at Mauna Loa (monthly means of the weekly data) and El Niño
  sea temperatures (statsmodels). The last 12 months are held out.

Wall time is for the whole selection (cross-validation of every candidate + the final fits) on
``--jobs`` processes; the baseline time is seasonal naive alone on the same series.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import pyarrow as pa

from bizsight.analytics.forecast import ForecastSettings, forecast
from bizsight.analytics.forecast_models import Series, predict
from bizsight.analytics.forecast_scores import mase, mase_scale, smape


def monthly(count: int, rng: np.random.Generator) -> tuple[list[np.ndarray], int]:
    n = 72
    t = np.arange(n)
    out = []
    for k in range(count):
        growth = rng.normal(0.004, 0.006)
        amplitude = rng.uniform(0.0, 0.35)
        season = 1 + amplitude * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        shift = np.where((k % 3 == 0) & (t >= 30), 1 + rng.choice([-0.2, 0.2]), 1.0)
        noise = np.exp(rng.normal(0, rng.uniform(0.02, 0.10), n))
        out.append(rng.uniform(50, 500) * np.exp(growth * t) * season * shift * noise)
    return out, 12


def daily(count: int, rng: np.random.Generator) -> tuple[list[np.ndarray], int]:
    n = 3 * 365 + 91
    t = np.arange(n)
    out = []
    for _ in range(count):
        weekly = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi))
        yearly = 1 + rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
        trend = np.exp(rng.normal(0.0003, 0.0003) * t)
        noise = np.exp(rng.normal(0, rng.uniform(0.05, 0.15), n))
        out.append(rng.uniform(20, 200) * trend * weekly * yearly * noise)
    return out, 91


def real_series() -> dict[str, np.ndarray]:
    """Monthly series found in installed packages."""
    found: dict[str, np.ndarray] = {}
    from statsforecast.utils import AirPassengers

    found["AirPassengers (1949-60)"] = np.asarray(AirPassengers, dtype=float)
    from statsmodels.datasets import co2, elec_equip, elnino

    found["elec_equip (1996-2012)"] = elec_equip.load_pandas().data.iloc[:, 0].to_numpy(float)
    weekly = co2.load_pandas().data["co2"].interpolate()
    found["CO2 Mauna Loa (1958-2001)"] = weekly.resample("MS").mean().dropna().to_numpy(float)
    nino = elnino.load_pandas().data.drop(columns="YEAR").to_numpy(float)
    found["El Nino SST (1950-2010)"] = nino.ravel()
    return found


def run(series: list[np.ndarray], h: int, m: int, start: dt.date, grain: str, jobs: int) -> dict[str, float]:
    """Fit on all but the last ``h`` points of each series; score on those ``h``."""
    step = {"month": "MS", "day": "D"}[grain]
    ids, ds, ys = [], [], []
    for k, y in enumerate(series):
        dates = pd.date_range(start, periods=len(y) - h, freq=step).date
        ids += [f"s{k:04d}"] * len(dates)
        ds += list(dates)
        ys += list(y[:-h])
    table = pa.table({"unique_id": ids, "ds": ds, "y": ys})
    started = time.perf_counter()
    result = forecast(table, ForecastSettings(horizon=h, season_length=m, n_jobs=jobs))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    plain = [Series(f"s{k:04d}", 0, y[:-h]) for k, y in enumerate(series)]
    predict(plain, ["SeasonalNaive"], horizon=h, levels=(80, 95), season_length=m, n_jobs=jobs)
    baseline_seconds = time.perf_counter() - started
    forecasts = result.forecasts.to_pydict()
    means = np.array(forecasts["mean"]).reshape(len(series), h)
    bounds = {k: np.array(forecasts[k]).reshape(len(series), h) for k in ("lo_80", "hi_80", "lo_95", "hi_95")}
    scores = {"model": [], "naive": [], "smape": [], "naive_smape": [], "inside80": [], "inside95": []}
    for k, y in enumerate(series):
        train, test = y[:-h], y[-h:]
        naive = np.resize(train[-m:], h) if m <= h else train[-m : -m + h]
        scale = mase_scale(train, m)
        scores["model"].append(mase(test, means[k], scale))
        scores["naive"].append(mase(test, naive, scale))
        scores["smape"].append(smape(test, means[k]))
        scores["naive_smape"].append(smape(test, naive))
        for level in (80, 95):
            inside = (test >= bounds[f"lo_{level}"][k]) & (test <= bounds[f"hi_{level}"][k])
            scores[f"inside{level}"].append(np.mean(inside))
    models = result.selection.column("model").to_pylist()
    chosen = pd.Series(models).str.replace(r"\(.*\)", "(...)", regex=True)
    return {
        "seconds": seconds,
        "baseline_seconds": baseline_seconds,
        "mase": float(np.mean(scores["model"])),
        "naive_mase": float(np.mean(scores["naive"])),
        "smape": float(np.mean(scores["smape"])),
        "naive_smape": float(np.mean(scores["naive_smape"])),
        "coverage80": float(np.mean(scores["inside80"])),
        "coverage95": float(np.mean(scores["inside95"])),
        "per_series_mase": scores["model"],
        "per_series_naive": scores["naive"],
        "per_series_smape": scores["smape"],
        "chosen": chosen.value_counts().head(6).to_dict(),
        "first_model": models[0],
        "candidates": list(result.candidates),
    }


def report(title: str, figures: dict[str, float]) -> None:
    print(f"\n{title}")
    print(
        f"  wall time {figures['seconds']:.1f} s (seasonal naive alone {figures['baseline_seconds']:.2f} s); "
        f"candidates {', '.join(figures['candidates'])}"  # type: ignore[arg-type]
    )
    print(
        f"  MASE {figures['mase']:.3f} vs seasonal naive {figures['naive_mase']:.3f} "
        f"(ratio {figures['mase'] / figures['naive_mase']:.2f}); sMAPE {figures['smape']:.1f}% vs "
        f"{figures['naive_smape']:.1f}%; interval coverage {figures['coverage80']:.2f} (80%), "
        f"{figures['coverage95']:.2f} (95%)"
    )
    print(f"  chosen: {figures['chosen']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monthly", type=int, default=1000)
    parser.add_argument("--daily", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(2026)
    if args.monthly:
        series, h = monthly(args.monthly, rng)
        report(
            f"{args.monthly} monthly series, 60 months + 12 held out",
            run(series, h, 12, dt.date(2020, 1, 1), "month", args.jobs),
        )
    if args.daily:
        series, h = daily(args.daily, rng)
        report(
            f"{args.daily} daily series, 3 years + 91 days held out",
            run(series, h, 7, dt.date(2022, 1, 1), "day", args.jobs),
        )
    print("\nreal monthly series (last 12 months held out)")
    print(f"  {'series':28} {'n':>4} {'model':>36} {'MASE':>6} {'naive':>6} {'sMAPE':>6} {'naive':>6}")
    for name, y in real_series().items():
        figures = run([y], 12, 12, dt.date(2000, 1, 1), "month", 1)
        model = str(figures["first_model"])
        print(
            f"  {name:28} {len(y):4d} {model:>36} {figures['mase']:6.3f} {figures['naive_mase']:6.3f} "
            f"{figures['smape']:6.2f} {figures['naive_smape']:6.2f}"
        )


if __name__ == "__main__":
    main()
