"""Job rows: created queued, moved through their states by the runner, listed for people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from bizsight.app.models import Job, JobState, utcnow
from bizsight.errors import NotFoundError


def create(
    s: OrmSession,
    kind: str,
    params: dict[str, Any],
    *,
    requested_by: str | None,
    origin: str,
    schedule_id: int | None = None,
    late: bool = False,
) -> Job:
    job = Job(
        kind=kind,
        params=params,
        requested_by=requested_by,
        origin=origin,
        schedule_id=schedule_id,
        late=late,
        state=JobState.QUEUED.value,
        warnings=[],
    )
    s.add(job)
    s.flush()
    return job


def get(s: OrmSession, job_id: int) -> Job:
    job = s.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    return job


def recent(s: OrmSession, *, limit: int = 50, kind: str | None = None, state: str | None = None) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if state is not None:
        query = query.where(Job.state == state)
    return list(s.scalars(query))


def interrupt_unfinished(s: OrmSession) -> list[int]:
    """At start: jobs left running (or queued) by a process that died are interrupted, never
    resumed half-done (their warehouse work was one transaction, rolled back with the process)."""
    unfinished = [JobState.RUNNING.value, JobState.QUEUED.value]
    ids = list(s.scalars(select(Job.id).where(Job.state.in_(unfinished))))
    if ids:
        s.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                state=JobState.INTERRUPTED.value,
                finished_at=utcnow(),
                error="the server stopped before this job finished; nothing of it was kept",
            )
        )
    return ids


def view(job: Job) -> dict[str, Any]:
    """A job as the API and the pages show it."""
    return {
        "id": job.id,
        "kind": job.kind,
        "params": job.params,
        "requested_by": job.requested_by,
        "origin": job.origin,
        "schedule_id": job.schedule_id,
        "late": job.late,
        "state": job.state,
        "progress": round(job.progress, 4),
        "message": job.message,
        "warnings": list(job.warnings or []),
        "cancel_requested": job.cancel_requested,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "result": job.result,
        "error": job.error,
    }
