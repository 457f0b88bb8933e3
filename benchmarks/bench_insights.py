"""Insights benchmark: working out a project's insights and recommendations (what the insights
job does after a refresh, and a restricted reader's request) beside the baseline of one metric
query by month over all the data, measured in the same run. The first run of each is cold (the
metrics layer's result cache is empty, as after a refresh); the median of the repeats is warm.

    python benchmarks/bench_insights.py --project DIR [--repeat 3] [--region Europe]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    from bizsight.app.models import Role
    from bizsight.metrics.query import Filter, Query
    from bizsight.services import insight_store
    from bizsight.services.access import Principal
    from bizsight.services.project import Project
    from bizsight.services.query import run_query

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--region", default="Europe", help="the region of the restricted reader")
    args = parser.parse_args()
    project = Project(args.project)
    restricted = Principal(
        user_id=1,
        username="r",
        role=Role.VIEWER,
        restrictions=(Filter(dimension="region", values=(args.region,)),),
    )

    def timed(work: object) -> tuple[float, float]:
        runs = []
        for _ in range(max(2, args.repeat)):
            started = time.perf_counter()
            work()  # type: ignore[operator]
            runs.append(time.perf_counter() - started)
        return runs[0], statistics.median(runs[1:])

    with project.warehouse(read_only=True) as wh:
        query = Query(metrics=("revenue",), grain="month")  # type: ignore[arg-type]
        baseline = timed(lambda: run_query(project, query, wh=wh))
        whole = timed(lambda: insight_store.build(project, wh))
        narrowed = timed(lambda: insight_store.build(project, wh, restricted))
    print(f"load average: {os.getloadavg()}")
    print(f"baseline, revenue by month: cold {baseline[0] * 1000:.0f} ms")
    for name, (cold, warm) in (("whole business", whole), (f"restricted to {args.region}", narrowed)):
        print(
            f"insights, {name}: cold {cold:.2f} s ({cold / baseline[0]:.0f}x the baseline), warm {warm:.2f} s"
        )


if __name__ == "__main__":
    main()
