"""The demo use cases: generate demo data; and generate, ingest and refresh a demo project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bizsight.console import Reporter
from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from bizsight.services.status import status


def generate_demo_data(
    out: Path, *, customers: int, years: float, seed: int, dirty: float, reporter: Reporter
) -> dict[str, Any]:
    from bizsight.demo import generate

    out.mkdir(parents=True, exist_ok=True)
    return generate(
        out,
        customers=customers,
        years=years,
        seed=seed,
        dirty=dirty,
        progress=lambda step, fraction: reporter.advance(fraction, 1.0, step),
    )


def run_demo(
    project: Project, *, customers: int, dirty: float, seed: int, reporter: Reporter
) -> tuple[IngestSummary, dict[str, Any]]:
    """Generate (unless the same demo data is already there), ingest, refresh, report status."""
    project.init()
    data = project.root / "data"
    truth_file = data / "ground_truth.json"
    wanted = {"customers": customers, "dirty": dirty, "seed": seed}
    if not truth_file.exists() or _parameters(truth_file) != wanted:
        truth = generate_demo_data(
            data, customers=customers, years=3.0, seed=seed, dirty=dirty, reporter=reporter
        )
    else:
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
    # The data files the demo wrote, not the directory: the ground truth beside them is no input,
    # and a warning about it on every run would teach people to skip warnings.
    summary = ingest(project, [data / name for name in truth["files"]], reporter)
    refresh(project, reporter)
    return summary, status(project)


def _parameters(truth_file: Path) -> dict[str, Any]:
    params = json.loads(truth_file.read_text(encoding="utf-8")).get("generator", {})
    return {key: params.get(key) for key in ("customers", "dirty", "seed")}
