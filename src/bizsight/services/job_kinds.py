"""The built-in job kinds: ingest, refresh, watch (and backup, ... as they come)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.jobs import JobContext, job_kind
from bizsight.services.refresh import RefreshSummary, refresh
from bizsight.services.watch import WatchSummary, watch


@job_kind("ingest", label="Load files", summary=IngestSummary.as_dict)
def ingest_files(ctx: JobContext) -> IngestSummary:
    """Load ``paths`` (files or directories on the server). Files uploaded for this job
    (``upload_dir``) are removed when it ends: the warehouse keeps their rows (raw, quarantine),
    and each load's quality report."""
    upload_dir = ctx.params.get("upload_dir")
    try:
        return ingest(ctx.project, [Path(p) for p in ctx.params["paths"]], ctx)
    finally:
        if upload_dir:
            shutil.rmtree(upload_dir, ignore_errors=True)


@job_kind("refresh", label="Refresh", summary=RefreshSummary.as_dict)
def refresh_project(ctx: JobContext) -> RefreshSummary:
    """Rebuild core from raw, the marts and the model scores (one transaction)."""
    return refresh(ctx.project, ctx)


@job_kind("watch", label="Watch a folder", summary=WatchSummary.as_dict)
def watch_folder(ctx: JobContext) -> WatchSummary:
    """Load the files new or changed in ``folder`` once still for ``settle_seconds``, then
    refresh if anything was loaded (see :mod:`bizsight.services.watch`)."""
    return watch(ctx)
