"""Report benchmark: the executive summary's PDF and XLSX on a project — time and peak memory of
rendering beside the time of the same report's queries alone (``build_report``), same run.

    python benchmarks/bench_reports.py --project DIR [--template executive] [--range R] [--repeat 3]

Each measurement runs in a fresh process (spawned), so peak memory is that run's own: the
process's peak resident set size (``ru_maxrss``) after opening the warehouse, after building the
document (every query of the report: the metrics layer, customer marts, forecasts, anomalies,
pacing) and after rendering it; and Python's own peak allocations while rendering (tracemalloc,
in a separate pass so it does not slow the timed one). The first build of a process pays the
catalogue's and DuckDB's warm-up, as a scheduled report in a fresh worker would; the second build
in the same process (``warm``) shows the query cache's effect, and a second render the renderer's
own warm-up (fonts, for the PDF). Goal (issue 13): under 10 s each on
the ~10M-line project.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import time
import tracemalloc
from typing import Any

FORMATS = ("pdf", "xlsx")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(project_dir: str, template: str, range_: str | None, fmt: str, traced: bool) -> dict[str, Any]:
    """One run in this (fresh) process: build the document twice, render it once."""
    from bizsight.reports import render
    from bizsight.services.presentation import presentation
    from bizsight.services.project import Project
    from bizsight.services.report_period import brand_of
    from bizsight.services.report_templates import ReportRequest, build_report

    project = Project(project_dir)
    request = ReportRequest(template=template, range=range_, brand=brand_of(project))
    with project.warehouse(read_only=True) as wh:
        presenter = presentation(project, wh).presenter
        opened = _rss_mb()
        t0 = time.perf_counter()
        document = build_report(project, wh, request)
        t1 = time.perf_counter()
        built = _rss_mb()
        build_report(project, wh, request)
        t2 = time.perf_counter()
        if traced:
            tracemalloc.start()
        t3 = time.perf_counter()
        content = render(document, fmt, presenter)
        t4 = time.perf_counter()
        render(document, fmt, presenter)
        t5 = time.perf_counter()
        python_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
        if traced:
            tracemalloc.stop()
        return {
            "build_s": t1 - t0,
            "warm_build_s": t2 - t1,
            "render_s": t4 - t3,
            "warm_render_s": t5 - t4,
            "rss_opened_mb": opened,
            "rss_built_mb": built,
            "rss_rendered_mb": _rss_mb(),
            "python_render_peak_mb": python_peak,
            "bytes": len(content),
            "sections": len(document.sections),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="a refreshed project directory")
    parser.add_argument("--template", default="executive")
    parser.add_argument("--range", dest="range_", default=None, help="default: the last complete month")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spawn = mp.get_context("spawn")
    with spawn.Pool(1, maxtasksperchild=1) as pool:
        for fmt in FORMATS:
            runs = [
                pool.apply(measure, (args.project, args.template, args.range_, fmt, False))
                for _ in range(args.repeat)
            ]
            traced = pool.apply(measure, (args.project, args.template, args.range_, fmt, True))
            build = statistics.median(r["build_s"] for r in runs)
            warm = statistics.median(r["warm_build_s"] for r in runs)
            rendering = statistics.median(r["render_s"] for r in runs)
            warm_rendering = statistics.median(r["warm_render_s"] for r in runs)
            last = runs[-1]
            print(
                f"{args.template} {fmt.upper()}: queries (build_report) {build:.2f} s (warm {warm:.2f} s), "
                f"render {rendering:.2f} s (warm {warm_rendering:.2f} s), total {build + rendering:.2f} s; "
                f"render / queries = {rendering / build:.2f}; {last['bytes'] / 1024:.0f} KB, "
                f"{last['sections']} sections"
            )
            print(
                f"  peak RSS: {last['rss_opened_mb']:.0f} MB opened, {last['rss_built_mb']:.0f} MB after the "
                f"queries, {last['rss_rendered_mb']:.0f} MB after rendering; Python's peak while rendering "
                f"{traced['python_render_peak_mb']:.1f} MB (median of {args.repeat} fresh processes)"
            )


if __name__ == "__main__":
    main()
