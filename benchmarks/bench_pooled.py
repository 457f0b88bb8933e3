"""What the pooled model (decision 0061) costs inside a whole competition run.

    python benchmarks/bench_pooled.py            # M3 monthly: 1,428 series, h = 18
    python benchmarks/bench_pooled.py --tourism  # Tourism monthly: 366 series, h = 24

Plans every series as ``forecast()`` plans it (its cross-validation windows), then times, in one
process: the pooled model alone (both networks: the one trained before the first origin, for the
cross-validation forecasts, and the one trained on whole histories, for the final ones), and as
the baseline AutoETS fitted once on every whole series — the cheapest of the five statistical
members, each of which ``forecast()`` fits on every series. CPU seconds, one thread each.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

from bench_forecast import LEVELS, competition
from bizsight.analytics.forecast import ForecastSettings, _plan
from bizsight.analytics.forecast_models import Series, Task, predict
from bizsight.analytics.forecast_pooled import pooled


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tourism", action="store_true", help="the Tourism monthly series instead of M3's")
    args = parser.parse_args()
    name = "tourism" if args.tourism else "m3"
    data, h = competition(name)
    settings = ForecastSettings(horizon=h)
    plans = [_plan(Series(uid, 0, train), settings, 12) for uid, train, _ in data]
    tasks = [Task(p.series, p.windows, p.step) for p in plans if p.kind == "cv"]
    print(f"{name}: {len(data)} series, {len(tasks)} cross-validated, h = {h}, load {os.getloadavg()[0]:.1f}")

    cpu, wall = _cpu(), time.perf_counter()
    final, _ = pooled(tasks, horizon=h, levels=LEVELS, season_length=12)
    pooled_cpu, pooled_wall = _cpu() - cpu, time.perf_counter() - wall

    cpu, wall = _cpu(), time.perf_counter()
    predict([t.series for t in tasks], ["AutoETS"], horizon=h, levels=LEVELS, season_length=12, n_jobs=1)
    ets_cpu, ets_wall = _cpu() - cpu, time.perf_counter() - wall

    print(f"{'':<34}{'CPU s':>8}{'per series':>12}{'wall s':>9}")
    print(
        f"{'pooled model (' + str(len(final)) + ' series)':<34}{pooled_cpu:>8.1f}{pooled_cpu / len(tasks):>12.3f}{pooled_wall:>9.1f}"
    )
    print(f"{'AutoETS, one fit per series':<34}{ets_cpu:>8.1f}{ets_cpu / len(tasks):>12.3f}{ets_wall:>9.1f}")
    print(f"pooled / AutoETS: {pooled_cpu / ets_cpu:.2f}   load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
