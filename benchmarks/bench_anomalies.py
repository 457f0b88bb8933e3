"""Anomaly-detection benchmark: time and precision/recall on simulated daily series, against
plain rolling z-scores measured in the same run.

    python benchmarks/bench_anomalies.py [--series 1000] [--days 1096] [--seed 0] [--shifts] [--project DIR]

Each series (bizsight.demo.series): trend with 20% yearly growth, a weekly pattern of ±4-12%, a
yearly wave of ±15%, Gaussian noise, and 10 anomalies (spikes and drops of 5-8 noise standard
deviations) at random days. Contenders, all at the same threshold of 3.5:

* **bizsight**: ``score_series`` (robust seasonal-trend decomposition + leave-future-out
  forecasts, both views must agree);
* **rolling z**: (y − mean of the previous 28 days) / their standard deviation — the usual
  first attempt, in numpy over all series at once;
* **weekday z**: the same against the previous 8 values of the same weekday (knows the week).

With ``--shifts``, every series also gets a lasting change of level of ±10 noise sd at a random
day (not within 10 days of an anomaly): precision and recall are then of the anomalies (a flag on
the shift's first day counts for bizsight's shift detection, printed apart, and not against
precision). With ``--project``, also times the refresh step (``detect_anomalies``) on that project.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow.compute as pc

from bizsight.analytics.anomalies import score_series
from bizsight.demo.series import SeriesSpec, simulate_series

THRESHOLD = 3.5


def rolling_z(values: np.ndarray, window: int, step: int = 1) -> np.ndarray:
    """z of each point against the ``window`` previous points ``step`` apart (all series at
    once, one row per series); null until the window is full."""
    n = values.shape[1]
    z = np.full(values.shape, np.nan)
    for t in range(window * step, n):
        past = values[:, t - window * step : t : step]
        z[:, t] = (values[:, t] - past.mean(axis=1)) / past.std(axis=1, ddof=1)
    return z


def pooled(flags: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int((flags & truth).sum())
    return hits / max(1, int(flags.sum())), hits / max(1, int(truth.sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3 * 365 + 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shifts", action="store_true", help="add a lasting change of level to every series")
    parser.add_argument("--project", help="also time detect_anomalies on this project")
    args = parser.parse_args()

    spec = SeriesSpec(days=args.days)
    sims = [simulate_series(spec, args.seed + i) for i in range(args.series)]
    values = np.vstack([s.values for s in sims])
    truth = np.zeros(values.shape, dtype=bool)
    shift_days = np.full(args.series, -1)
    rng = np.random.default_rng(args.seed)
    for row, sim in enumerate(sims):
        truth[row, sim.anomaly_days] = True
        if args.shifts:
            free = [d for d in range(60, args.days - 60) if np.abs(sim.anomaly_days - d).min() > 10]
            shift_days[row] = int(rng.choice(free))
            values[row, shift_days[row] :] += rng.choice([-10.0, 10.0]) * spec.noise
    shifted = "with a change of level each, " if args.shifts else ""
    print(f"{args.series} series × {args.days} days, {shifted}{int(truth.sum())} injected anomalies (5-8 sd)")

    started = time.perf_counter()
    flags = np.zeros(values.shape, dtype=bool)
    shifts_found = 0
    for row in range(values.shape[0]):
        scores = score_series(values[row], (7, 365))
        assert scores is not None
        flags[row] = scores.flagged & ~scores.shift
        shifts_found += int(shift_days[row] >= 0 and scores.shift[shift_days[row]])
    ours = time.perf_counter() - started

    results = [("bizsight", ours, *pooled(flags, truth))]
    for name, window, step in (("rolling z (28 days)", 28, 1), ("weekday z (8 weeks)", 8, 7)):
        started = time.perf_counter()
        z = rolling_z(values, window, step)
        seconds = time.perf_counter() - started
        results.append((name, seconds, *pooled(np.abs(np.nan_to_num(z)) >= THRESHOLD, truth)))

    print(f"{'contender':<22}{'seconds':>9}{'ms/series':>11}{'precision':>11}{'recall':>8}{'F1':>7}")
    for name, seconds, precision, recall in results:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(
            f"{name:<22}{seconds:>9.2f}{1000 * seconds / args.series:>11.2f}"
            f"{precision:>11.3f}{recall:>8.3f}{f1:>7.3f}"
        )
    if args.shifts:
        print(f"bizsight found {shifts_found} of {args.series} changes of level on their first day")
    base = results[1]
    print(
        f"bizsight / rolling z: time {ours / base[1]:.1f}x, recall {results[0][3] / base[3]:.1f}x, "
        f"precision {results[0][2] / base[2]:.2f}x"
    )

    if args.project:
        from bizsight.console import NullReporter
        from bizsight.services.anomalies import detect_anomalies
        from bizsight.services.project import Project

        project = Project(args.project)
        with project.warehouse(read_only=True) as wh:
            started = time.perf_counter()
            found = detect_anomalies(project, wh, NullReporter())
            seconds = time.perf_counter() - started
        scored = found.series.filter(pc.equal(found.series.column("status"), "scored")).num_rows
        print(
            f"refresh step on {args.project}: {seconds:.2f} s, {scored} series, {found.anomalies.num_rows} anomalies"
        )


if __name__ == "__main__":
    main()
