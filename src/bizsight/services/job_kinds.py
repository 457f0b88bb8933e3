"""The built-in job kinds: ingest, refresh, backup, watch, report, deliver, erase, alerts
(which follows each refresh that has rules to check) and insights (which follows each refresh)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bizsight.app import audit
from bizsight.app.store import MetadataStore
from bizsight.services import alert_runs, deliveries, insight_store, privacy, report_delivery
from bizsight.services.backup import create_backup
from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.jobs import JobContext, after_job, job_kind
from bizsight.services.privacy import Erasure
from bizsight.services.project import Project
from bizsight.services.refresh import RefreshSummary, refresh
from bizsight.services.users import open_store
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


def _backup_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in ("path", "bytes", "created_at", "data_version", "tables", "removed")}


@job_kind("backup", label="Back up", summary=_backup_summary)
def back_up(ctx: JobContext) -> dict[str, Any]:
    """Write a backup (``out``: a file or directory on the server; ``keep``: how many backups to
    keep in that directory). In the server it copies through a cursor of the one connection."""
    out, keep = ctx.params.get("out"), ctx.params.get("keep")
    return create_backup(
        ctx.project, Path(out) if out else None, ctx, store=ctx.store, keep=int(keep) if keep else None
    )


@job_kind("watch", label="Watch a folder", summary=WatchSummary.as_dict)
def watch_folder(ctx: JobContext) -> WatchSummary:
    """Load the files new or changed in ``folder`` once still for ``settle_seconds``, then
    refresh if anything was loaded (see :mod:`bizsight.services.watch`)."""
    return watch(ctx)


def _deliver_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "sent": sum(r["status"] == "sent" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
    }


@job_kind("deliver", label="Finish deliveries", summary=_deliver_summary)
def finish_deliveries(ctx: JobContext) -> list[dict[str, Any]]:
    """Send the deliveries left pending by a server that stopped or died while sending (the
    server queues this job at start when there are any); each is sent once."""
    if ctx.store is None:
        raise RuntimeError("deliveries are finished by the server that owns the project")
    return deliveries.finish_pending(ctx.project, ctx.store, ctx)


@job_kind("report", label="Send a report", summary=report_delivery.RunOutcome.as_dict)
def send_report(ctx: JobContext) -> report_delivery.RunOutcome:
    """Build a report as its owner, render its formats, record the run and a pending delivery per
    recipient in one transaction, then deliver each once (see :mod:`bizsight.services.report_delivery`)."""
    return report_delivery.run_report(ctx)


@job_kind("erase", label="Erase personal data", summary=Erasure.as_dict)
def erase_people(ctx: JobContext) -> Erasure:
    """Erase the personal data of ``customers`` (ids) everywhere it is kept, remember them so a
    later load cannot bring it back, and audit it (``by``: who asked; ``reason``)."""
    by, ids = ctx.params.get("by"), list(ctx.params["customers"])
    with ctx.project.warehouse() as wh:
        done = privacy.erase(wh, ids, reason=ctx.params.get("reason") or "request", by=by)
    store = ctx.store or open_store(ctx.project)
    try:
        with store.session() as s:
            detail = {"customers": ids[:100], "erased_now": done.customers, "values_removed": done.cells}
            audit.record(s, "privacy.erase", actor=by, detail=detail)
    finally:
        if ctx.store is None:
            store.close()
    return done


@job_kind("alerts", label="Check alerts", summary=alert_runs.CheckSummary.as_dict)
def check_alerts(ctx: JobContext) -> alert_runs.CheckSummary:
    """Check the enabled alert rules (``rule``: only that one) against the warehouse as it is now,
    keep their states and history, and deliver their notifications (docs/alerts.md)."""

    rule = ctx.params.get("rule")
    store = ctx.store or open_store(ctx.project)
    try:
        with ctx.project.warehouse(read_only=ctx.store is None) as wh:
            return alert_runs.check_alerts(
                ctx.project, wh, store, rules=[rule] if rule else None, reporter=ctx
            )
    finally:
        if ctx.store is None:
            store.close()


def _refreshed(name: str, result: Any) -> bool:
    """Whether job ``name`` refreshed the warehouse (a refresh, or a watch that refreshed)."""
    return name == "refresh" or (name == "watch" and getattr(result, "refreshed", False))


@job_kind("insights", label="Work out insights", summary=lambda found: {"insights": found})
def work_out_insights(ctx: JobContext) -> int:
    """Work out the whole business's insights of the last complete quarter and keep them in
    marts.insights for the pages (docs/insights.md)."""
    with ctx.project.warehouse() as wh:
        return insight_store.store(ctx.project, wh)


@after_job
def _check_after_refresh(
    project: Project, store: MetadataStore | None, name: str, result: Any
) -> list[tuple[str, dict[str, Any]]]:
    """After a refresh (or a watch that refreshed), a check of the alert rules, if there are any."""
    if not _refreshed(name, result):
        return []
    if store is not None:
        return [("alerts", {})] if alert_runs.has_rules(store) else []
    if not (project.settings.server.database_url or project.paths.app_db.exists()):
        return []  # no metadata store, so no rules: nothing is created for nothing
    from bizsight.services.users import open_store

    opened = open_store(project)
    try:
        return [("alerts", {})] if alert_runs.has_rules(opened) else []
    finally:
        opened.close()


@after_job
def _insights_after_refresh(
    project: Project, store: MetadataStore | None, name: str, result: Any
) -> list[tuple[str, dict[str, Any]]]:
    """After a refresh (or a watch that refreshed), the insights of the new data."""
    return [("insights", {})] if _refreshed(name, result) else []
