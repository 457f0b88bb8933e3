"""The pooled model (decision 0061) on the evaluation set: how it was chosen.

    python benchmarks/forecast_pooled_eval.py [--first N] [--seasons 3] [--unpadded] [--hidden 64,64]

Every candidate of forecast() is fitted once on every series of the evaluation set
(benchmarks/forecast_evalset.py, training part; cross-validated as forecast() does) and kept in
``--fits`` (a pickle, reused when it exists: about 20 CPU minutes to make). The pooled model is then
trained on the same call's series (the first ``--first``, default all 1,356) and each combination
is built from those fits as forecast() builds the default — the rule at 50 %, interval widening
from the combination's cross-validation errors, no bound below zero — and scored on the 18
held-out months. "better / worse": series whose sMAPE the combination lowered / raised against
the median of five (decision 0053). M3 and Tourism are never used here.
"""

from __future__ import annotations

import argparse
import collections
import os
import pickle
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np

from bizsight.analytics.forecast import ForecastSettings, _plan
from bizsight.analytics.forecast_combine import MEMBERS, POOLED, combine, strong_single, window_mase
from bizsight.analytics.forecast_intervals import widened, widening
from bizsight.analytics.forecast_models import FULL, Prediction, Series, Task, fit_and_validate
from bizsight.analytics.forecast_pooled import PooledSettings, pooled
from bizsight.analytics.forecast_scores import mase, mase_scale, smape
from forecast_evalset import HORIZON, evaluation_set

LEVELS = (80, 95)
HOWS = ("median of five", "median of six (+ pooled)", "w0.25", "w0.5", "w0.75", "pooled alone")


def fits(path: Path) -> dict[str, object]:
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    h = HORIZON
    data = [(s.uid, s.kind, s.y[:-h], s.y[-h:]) for s in evaluation_set()]
    settings = ForecastSettings(horizon=h, season_length=12)
    plans = [_plan(Series(uid, 0, train), settings, 12) for uid, _, train, _ in data]
    final, cv = fit_and_validate(
        [Task(p.series, p.windows, p.step) for p in plans if p.kind == "cv"],
        FULL,
        horizon=h,
        levels=LEVELS,
        season_length=12,
        n_jobs=2,
    )
    out = {
        "data": data,
        "plans": {p.series.uid: (p.kind, p.windows, p.step) for p in plans},
        "final": final,
        "cv": cv,
    }
    with path.open("wb") as f:
        pickle.dump(out, f)
    return out


def shifted(base: Prediction, mean: np.ndarray) -> Prediction:
    d = mean - base.mean
    return Prediction(
        mean, {k: v + d for k, v in base.lo.items()}, {k: v + d for k, v in base.hi.items()}, base.actual
    )


def build(how: str, train: np.ndarray, plan: tuple[str, int, int], cv: dict, final: dict) -> Prediction:
    """One series' forecast as forecast() would make it with the combination ``how``."""
    _, windows, step = plan
    first = Task(Series("", 0, train), windows, step).first_origin(HORIZON)
    scale = mase_scale(train[:first], 12)
    members = [n for n in MEMBERS if n in cv and np.isfinite(mase(cv[n].actual, cv[n].mean, scale))]
    median_cv, median = combine([cv[n] for n in members]), combine([final[n] for n in members])
    if POOLED not in cv or how == "median of five":
        ccv, cf = median_cv, median
    elif how.startswith("median of six"):
        ccv, cf = (
            combine([cv[n] for n in (*members, POOLED)]),
            combine([final[n] for n in (*members, POOLED)]),
        )
    elif how == "pooled alone":
        ccv, cf = cv[POOLED], final[POOLED]
    else:
        w = float(how[1:])
        ccv = shifted(median_cv, (1 - w) * median_cv.mean + w * cv[POOLED].mean)
        cf = shifted(median, (1 - w) * median.mean + w * final[POOLED].mean)
    by_window = {n: window_mase(p, scale, windows) for n, p in cv.items() if n != POOLED}
    single = strong_single(by_window, window_mase(ccv, scale, windows))
    if single is not None and how != "pooled alone":
        ccv, cf = cv[single], final[single]
    pred = widened(cf, {level: widening(ccv, level) for level in LEVELS})
    if np.all(train >= 0):
        pred = Prediction(
            np.maximum(pred.mean, 0),
            {k: np.maximum(v, 0) for k, v in pred.lo.items()},
            {k: np.maximum(v, 0) for k, v in pred.hi.items()},
        )
    return pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=Path, default=Path("/tmp/bizsight-evalset-fits.pkl"))
    parser.add_argument("--first", type=int, default=0, help="only the first N series (0: all)")
    parser.add_argument("--seasons", type=int, default=PooledSettings().seasons)
    parser.add_argument("--unpadded", action="store_true")
    parser.add_argument("--hidden", default=",".join(map(str, PooledSettings().hidden)))
    args = parser.parse_args()
    found = fits(args.fits)
    data, plans = found["data"], found["plans"]
    data = data[: args.first] if args.first else data
    tasks = [
        Task(Series(uid, 0, tr), plans[uid][1], plans[uid][2])
        for uid, _, tr, _ in data
        if plans[uid][0] == "cv"
    ]
    settings = PooledSettings(
        seasons=args.seasons, padded=not args.unpadded, hidden=tuple(int(v) for v in args.hidden.split(","))
    )
    start, cpu = time.perf_counter(), time.process_time()
    pooled_final, pooled_cv = pooled(
        tasks, horizon=HORIZON, levels=LEVELS, season_length=12, settings=settings
    )
    print(
        f"pooled: {len(pooled_final)} of {len(tasks)} series, {time.perf_counter() - start:.0f} s wall, "
        f"{time.process_time() - cpu:.0f} CPU s; {settings}"
    )
    per: dict[tuple[str, str], float] = {}
    rows: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    kinds: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for uid, kind, train, test in data:
        if plans[uid][0] != "cv":
            continue
        cv = {n: p for (u, n), p in found["cv"].items() if u == uid}
        final = {n: p for (u, n), p in found["final"].items() if u == uid}
        if uid in pooled_cv:
            cv[POOLED], final[POOLED] = pooled_cv[uid], pooled_final[uid]
        for how in HOWS:
            if how == "pooled alone" and POOLED not in cv:
                continue
            pred = build(how, train, plans[uid], cv, final)
            per[(how, uid)] = 100 * smape(test, pred.mean)
            r = rows[how]
            r["sMAPE"].append(per[(how, uid)])
            r["MASE"].append(mase(test, pred.mean, mase_scale(train, 12)))
            r["MAPE"].append(100 * float(np.mean(np.abs(test - pred.mean) / np.abs(test))))
            for level in LEVELS:
                r[f"c{level}"].append(float(np.mean((test >= pred.lo[level]) & (test <= pred.hi[level]))))
            kinds[how][kind].append(per[(how, uid)])
    print("\n| combination | series | sMAPE % | MASE | MAPE % | coverage 80 / 95 % | better / worse |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for how in HOWS:
        r = {k: float(np.mean(v)) for k, v in rows[how].items()}
        d = np.array([per[(how, u)] - per[("median of five", u)] for u, *_ in data if (how, u) in per])
        label = {
            "w0.25": "¼ pooled + ¾ median",
            "w0.5": "½ pooled + ½ median",
            "w0.75": "¾ pooled + ¼ median",
        }
        print(
            f"| {label.get(how, how)} | {len(rows[how]['sMAPE'])} | {r['sMAPE']:.3f} | {r['MASE']:.4f} "
            f"| {r['MAPE']:.2f} | {r['c80']:.3f} / {r['c95']:.3f} | {(d < 0).sum()} / {(d > 0).sum()} |"
        )
    names = sorted(kinds["median of five"])
    print("\nsMAPE % by kind\n| combination | " + " | ".join(names) + " |")
    for how in HOWS:
        print(f"| {how} | " + " | ".join(f"{np.mean(kinds[how][k]):.2f}" for k in names) + " |")


if __name__ == "__main__":
    main()
