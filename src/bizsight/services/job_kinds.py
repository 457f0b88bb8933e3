"""The built-in job kinds: ingest, refresh, backup, watch, report, deliver, erase, alerts
(which follows each refresh that has rules to check) and insights (which follows each refresh)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizsight.services.jobs import JobContext, after_job, job_kind

# Each kind imports what it runs when it runs: a command that runs one kind (``bizsight ingest``)
# starts without importing the others' analytics (decision 0054).
if TYPE_CHECKING:
    from bizsight.app.store import MetadataStore
    from bizsight.services.alert_runs import CheckSummary
    from bizsight.services.ingest import IngestSummary
    from bizsight.services.privacy import Erasure
    from bizsight.services.project import Project
    from bizsight.services.refresh import RefreshSummary
    from bizsight.services.report_delivery import RunOutcome
    from bizsight.services.watch import WatchSummary


def _as_dict(result: Any) -> dict[str, Any]:
    summary: dict[str, Any] = result.as_dict()
    return summary


@job_kind("ingest", label="Load files", summary=_as_dict)
def ingest_files(ctx: JobContext) -> IngestSummary:
    """Load ``paths`` (files or directories on the server). Files uploaded for this job
    (``upload_dir``) are removed when it ends: the warehouse keeps their rows (raw, quarantine),
    and each load's quality report."""
    from bizsight.services.ingest import ingest

    upload_dir = ctx.params.get("upload_dir")
    try:
        return ingest(ctx.project, [Path(p) for p in ctx.params["paths"]], ctx)
    finally:
        if upload_dir:
            shutil.rmtree(upload_dir, ignore_errors=True)


@job_kind("refresh", label="Refresh", summary=_as_dict)
def refresh_project(ctx: JobContext) -> RefreshSummary:
    """Rebuild core from raw, the marts and the model scores (one transaction)."""
    from bizsight.services.refresh import refresh

    return refresh(ctx.project, ctx)


def _backup_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in ("path", "bytes", "created_at", "data_version", "tables", "removed")}


@job_kind("backup", label="Back up", summary=_backup_summary)
def back_up(ctx: JobContext) -> dict[str, Any]:
    """Write a backup (``out``: a file or directory on the server; ``keep``: how many backups to
    keep in that directory). In the server it copies through a cursor of the one connection."""
    from bizsight.services.backup import create_backup

    out, keep = ctx.params.get("out"), ctx.params.get("keep")
    return create_backup(
        ctx.project, Path(out) if out else None, ctx, store=ctx.store, keep=int(keep) if keep else None
    )


@job_kind("watch", label="Watch a folder", summary=_as_dict)
def watch_folder(ctx: JobContext) -> WatchSummary:
    """Load the files new or changed in ``folder`` once still for ``settle_seconds``, then
    refresh if anything was loaded (see :mod:`bizsight.services.watch`)."""
    from bizsight.services.watch import watch

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
    from bizsight.services import deliveries

    return deliveries.finish_pending(ctx.project, ctx.store, ctx)


@job_kind("report", label="Send a report", summary=_as_dict)
def send_report(ctx: JobContext) -> RunOutcome:
    """Build a report as its owner, render its formats, record the run and a pending delivery per
    recipient in one transaction, then deliver each once (see :mod:`bizsight.services.report_delivery`)."""
    from bizsight.services import report_delivery

    return report_delivery.run_report(ctx)


@job_kind("erase", label="Erase personal data", summary=_as_dict)
def erase_people(ctx: JobContext) -> Erasure:
    """Erase the personal data of ``customers`` (ids) everywhere it is kept, remember them so a
    later load cannot bring it back, and audit it (``by``: who asked; ``reason``)."""
    from bizsight.app import audit
    from bizsight.services import privacy
    from bizsight.services.users import open_store

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


@job_kind("alerts", label="Check alerts", summary=_as_dict)
def check_alerts(ctx: JobContext) -> CheckSummary:
    """Check the enabled alert rules (``rule``: only that one) against the warehouse as it is now,
    keep their states and history, and deliver their notifications (docs/alerts.md)."""
    from bizsight.services import alert_runs
    from bizsight.services.users import open_store

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
    from bizsight.services import insight_store

    with ctx.project.warehouse() as wh:
        return insight_store.store(ctx.project, wh)


@after_job
def _check_after_refresh(
    project: Project, store: MetadataStore | None, name: str, result: Any
) -> list[tuple[str, dict[str, Any]]]:
    """After a refresh (or a watch that refreshed), a check of the alert rules, if there are any."""
    if not _refreshed(name, result):
        return []
    from bizsight.services import alert_runs

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
