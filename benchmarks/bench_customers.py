"""Customer-intelligence benchmark: RFM, cohorts, affinity, sentiment, CLV and churn at scale.

    python benchmarks/bench_customers.py --project DIR [--lifetimes PYTHON]

On a project (e.g. the 10M-line demo of BENCHMARKS.md, 1M customers), runs each step in its own
process and prints seconds and that process's peak memory. With ``--lifetimes`` (a Python that
has the `lifetimes` package, in a virtual environment of its own), also fits BG/NBD and
Gamma-Gamma with lifetimes on the same summary and prints both parameter sets and times side by
side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = """
import json, sys, time, resource
from pathlib import Path
from bizsight.services.project import Project
from bizsight.warehouse.sql import render
step, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
project = Project(root)
with project.warehouse(read_only=True) as wh:
    started = time.perf_counter()
    extra = {}
    if step == "rfm":
        from bizsight.analytics import rfm
        extra["customers"] = rfm.rfm(wh).num_rows
    elif step == "cohorts":
        from bizsight.analytics import cohorts
        extra["rows"] = cohorts.cohorts(wh).num_rows
    elif step == "affinity":
        from bizsight.analytics import affinity
        extra["pairs"] = affinity.pairs(wh).num_rows
        extra["category_cells"] = affinity.category_matrix(wh).num_rows
    elif step == "sentiment":
        from bizsight.analytics import sentiment
        extra["reviews"] = sentiment.score_reviews(wh).num_rows
    elif step == "clv":
        import pyarrow.parquet as pq
        from bizsight.analytics.clv import CLVSettings, score_customers
        from bizsight.analytics.clv_models import fit_bgnbd
        from bizsight.analytics.clv_spend import fit_gamma_gamma
        from bizsight.analytics.clv_summary import TIME_UNITS, RFMSummary, summary_sql
        import numpy as np
        last = wh.scalar("SELECT max(order_date) FROM core.fact_order_line")
        t = time.perf_counter()
        from bizsight.services.analyze import PURCHASE_STATUSES
        table = wh.con.sql(summary_sql(calibration_end=last, observation_end=last, time_unit_days=7.0, statuses=PURCHASE_STATUSES)).to_arrow_table()
        s = RFMSummary.from_arrow(table, time_unit_days=TIME_UNITS["week"])
        extra["summary_s"] = time.perf_counter() - t
        pq.write_table(table, out + ".summary.parquet")
        t = time.perf_counter()
        bg = fit_bgnbd(s.frequency, s.recency, s.T)
        extra["bgnbd_fit_s"] = time.perf_counter() - t
        t = time.perf_counter()
        gg = fit_gamma_gamma(np.where(s.monetary_value > 0, s.frequency, 0), s.monetary_value)
        extra["gamma_gamma_fit_s"] = time.perf_counter() - t
        t = time.perf_counter()
        extra["scored"] = score_customers(bg, gg, s, CLVSettings()).num_rows
        extra["score_s"] = time.perf_counter() - t
        extra["bgnbd"] = {k: getattr(bg, k) for k in ("r", "alpha", "a", "b")}
        extra["gamma_gamma"] = {k: getattr(gg, k) for k in ("p", "q", "gamma")}
        extra["customers"] = len(s)
    elif step == "churn":
        import datetime as dt
        from bizsight.analytics.churn import fit_churn_model
        from bizsight.analytics.churn_features import labelled_features
        from bizsight.services.churn import churn_window, score_customers
        n, first, last = churn_window(wh, None)
        extra["churn_days"] = n
        t = time.perf_counter()
        train = labelled_features(wh, last - dt.timedelta(days=n), n)
        extra["features_s"] = time.perf_counter() - t
        t = time.perf_counter()
        model = fit_churn_model(train)
        extra["train_s"] = time.perf_counter() - t
        extra["trained_on"] = train.num_rows
        t = time.perf_counter()
        extra["scored"] = score_customers(wh, model, last).num_rows
        extra["score_with_reasons_s"] = time.perf_counter() - t
    elif step == "churn_eval":
        from bizsight.services.churn import analyze_churn
        analysis = analyze_churn(wh)
        extra["roc_auc"] = analysis.evaluation["roc_auc"]
        extra["pr_auc"] = analysis.evaluation["pr_auc"]
        extra["test_customers"] = analysis.evaluation.get("customers")
    seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
Path(out).write_text(json.dumps({"seconds": seconds, "peak_mb": peak, **extra}))
"""

LIFETIMES = """
import json, sys, time
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_parquet(sys.argv[1])
t = time.perf_counter(); bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]); bg_s = time.perf_counter() - t
repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
t = time.perf_counter(); gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]); gg_s = time.perf_counter() - t
print(json.dumps({"bgnbd_fit_s": bg_s, "gamma_gamma_fit_s": gg_s,
                  "bgnbd": {k: float(v) for k, v in bg.params_.items()}, "gamma_gamma": {k: float(v) for k, v in gg.params_.items()}}))
"""


STEPS = ("rfm", "cohorts", "affinity", "sentiment", "clv", "churn", "churn_eval")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--lifetimes", help="a Python interpreter with the lifetimes package")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated steps to run (default: all of {', '.join(STEPS)})",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    print(f"{'step':10s} {'seconds':>8s} {'peak MB':>8s}  details")
    for step in args.steps.split(","):
        out = work / f"{step}.json"
        subprocess.run([sys.executable, "-c", STEP, step, str(args.project), str(out)], check=True)
        result = json.loads(out.read_text())
        details = {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in result.items()
            if k not in ("seconds", "peak_mb")
        }
        print(
            f"{step:10s} {result['seconds']:8.2f} {result['peak_mb']:8.0f}  {json.dumps(details)}", flush=True
        )
    if args.lifetimes and "clv" in args.steps.split(","):
        started = time.perf_counter()
        done = subprocess.run(
            [args.lifetimes, "-c", LIFETIMES, str(work / "clv.json.summary.parquet")],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        theirs = json.loads(done.stdout.strip().splitlines()[-1])
        ours = json.loads((work / "clv.json").read_text())
        print(f"\nlifetimes (its own venv, {time.perf_counter() - started:.1f} s with start-up):")
        print(
            f"  BG/NBD fit       bizsight {ours['bgnbd_fit_s']:7.2f} s   lifetimes {theirs['bgnbd_fit_s']:7.2f} s   "
            f"ratio {theirs['bgnbd_fit_s'] / ours['bgnbd_fit_s']:.1f}x"
        )
        print(
            f"  Gamma-Gamma fit  bizsight {ours['gamma_gamma_fit_s']:7.2f} s   lifetimes {theirs['gamma_gamma_fit_s']:7.2f} s"
        )
        for model in ("bgnbd", "gamma_gamma"):
            for name, value in ours[model].items():
                print(
                    f"  {model:12s} {name:6s} bizsight {value:10.4f}   lifetimes {theirs[model][{'gamma': 'v'}.get(name, name)]:10.4f}"
                )


if __name__ == "__main__":
    main()
