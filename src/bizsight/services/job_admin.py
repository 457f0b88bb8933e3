"""Jobs as people ask for them (API and pages): submit ingest, refresh and backup jobs, follow
them, cancel them, list the backups. Every request is written to the audit log; the work itself
is the runner's (:mod:`bizsight.services.job_runner`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bizsight.app import audit
from bizsight.app import jobs as job_rows
from bizsight.app.store import MetadataStore
from bizsight.services.backup import backups_dir
from bizsight.services.job_runner import JobRunner
from bizsight.services.jobs import KINDS, runner_of
from bizsight.services.project import Project

MAX_LIST = 500


def view(job: Any) -> dict[str, Any]:
    """A job row for people: :func:`bizsight.app.jobs.view` plus the kind's label."""
    found = job_rows.view(job)
    spec = KINDS.get(job.kind)
    found["label"] = spec.label if spec else job.kind
    return found


def submit(
    store: MetadataStore,
    runner: JobRunner,
    kind: str,
    params: dict[str, Any],
    *,
    actor: str,
    origin: str,
    client: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Queue a job for ``actor``; the job as it stands (usually queued)."""
    job_id = runner.submit(kind, params, requested_by=actor, origin=origin)
    with store.session() as s:
        audit.record(
            s,
            "job.submit",
            actor=actor,
            target=str(job_id),
            detail={"kind": kind, "origin": origin, **(detail or {})},
            client=client,
        )
        return view(job_rows.get(s, job_id))


def ingest_upload(
    store: MetadataStore,
    runner: JobRunner,
    files: list[Path],
    upload_dir: Path,
    *,
    actor: str,
    origin: str,
    client: str | None = None,
) -> dict[str, Any]:
    """An ingest job for files just uploaded to ``upload_dir`` (removed when the job ends)."""
    sizes = {path.name: path.stat().st_size for path in files}
    return submit(
        store,
        runner,
        "ingest",
        {"paths": [str(path) for path in files], "upload_dir": str(upload_dir)},
        actor=actor,
        origin=origin,
        client=client,
        detail={"files": sizes},
    )


def list_jobs(
    store: MetadataStore, *, kind: str | None = None, state: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    with store.session() as s:
        return [view(job) for job in job_rows.recent(s, limit=min(limit, MAX_LIST), kind=kind, state=state)]


def get_job(store: MetadataStore, job_id: int) -> dict[str, Any]:
    with store.session() as s:
        return view(job_rows.get(s, job_id))


def cancel(
    store: MetadataStore, runner: JobRunner, job_id: int, *, actor: str, client: str | None = None
) -> dict[str, Any]:
    """Cancel a queued job at once, ask a running one to stop; a finished one stays as it was."""
    with store.session() as s:
        job_rows.get(s, job_id)  # 404 before anything is recorded
    job = runner.cancel(job_id, by=actor)
    with store.session() as s:
        audit.record(
            s, "job.cancel", actor=actor, target=str(job_id), detail={"state": job.state}, client=client
        )
        return view(job_rows.get(s, job_id))


def list_backups(project: Project) -> list[dict[str, Any]]:
    """The backup files of the project (``.bizsight/backups/*.tar``), newest first."""
    folder = backups_dir(project)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.tar"):
        if not path.is_file():
            continue
        stat = path.stat()
        found.append(
            {
                "name": path.name,
                "size": stat.st_size,
                "modified_at": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None),
            }
        )
    return sorted(found, key=lambda b: (b["modified_at"], b["name"]), reverse=True)


def recent_jobs(project: Project, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest jobs of the project: from the server's store when this process serves it (a
    command the CLI sent), else from the project's store."""
    runner = runner_of(project)
    if runner is not None:
        return list_jobs(runner.store, limit=limit)
    from bizsight.services.users import open_store

    store = open_store(project)
    try:
        return list_jobs(store, limit=limit)
    finally:
        store.close()


def cancel_job(project: Project, job_id: int, *, actor: str) -> dict[str, Any] | None:
    """Cancel a job of the server that runs this project (audited as from the API); None when no
    server runs it here."""
    runner = runner_of(project)
    if runner is None:
        return None
    return cancel(runner.store, runner, job_id, actor=actor)
