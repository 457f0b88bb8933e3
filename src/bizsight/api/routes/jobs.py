"""Work the server runs as jobs: upload and ingest files, refresh, back up; follow and cancel
jobs. Each answers 202 with the job as it stands; GET /jobs/{id} follows it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from bizsight.api.deps import BackupUser, Client, JobsUser, LoadUser, StateDep
from bizsight.api.job_schemas import BackupList, BackupRequest, JobList, JobOut, RefreshRequest
from bizsight.api.schemas.errors import ERRORS, ErrorBody
from bizsight.api.uploads import OPENAPI_BODY, receive_files
from bizsight.app.models import JobState
from bizsight.services import job_admin as service
from bizsight.services.uploads import UploadSink

router = APIRouter(tags=["jobs"], responses=ERRORS)

JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def origin_of(request: Request) -> str:
    """ "api" for a program (Bearer token), "web" for a browser session."""
    return "api" if request.headers.get("authorization") else "web"


Origin = Annotated[str, Depends(origin_of)]


@router.post(
    "/ingest",
    status_code=202,
    response_model=JobOut,
    openapi_extra=OPENAPI_BODY,
    responses={413: {"model": ErrorBody, "description": "the files together exceed server.max_upload_mb"}},
)
async def ingest(request: Request, user: LoadUser, state: StateDep, origin: Origin, client: Client) -> JobOut:
    """Upload files (multipart, form field ``files``, several at once) and load them in an ingest
    job. Over ``server.max_upload_mb`` (all files together) the answer is 413 and nothing is
    kept. The uploaded files are removed when the job ends."""
    sink = UploadSink(state.project, state.project.settings.server.max_upload_mb)
    files = await receive_files(request, sink)
    job = await run_in_threadpool(
        lambda: service.ingest_upload(
            state.store, state.runner, files, sink.dir, actor=user.username, origin=origin, client=client
        )
    )
    return JobOut.model_validate(job)


@router.post("/refresh", status_code=202, response_model=JobOut)
def refresh(
    user: LoadUser,
    state: StateDep,
    origin: Origin,
    client: Client,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> JobOut:
    """Rebuild core, the marts and the model scores in a refresh job."""
    job = service.submit(
        state.store, state.runner, "refresh", {}, actor=user.username, origin=origin, client=client
    )
    return JobOut.model_validate(job)


@router.get("/jobs", response_model=JobList)
def jobs(
    user: JobsUser,
    state: StateDep,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    job_state: Annotated[JobState | None, Query(alias="state")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 50,
) -> JobList:
    """Jobs, newest first."""
    found = service.list_jobs(
        state.store, kind=kind, state=job_state.value if job_state else None, limit=limit
    )
    return JobList.model_validate({"jobs": found})


@router.get("/jobs/{job_id}", response_model=JobOut)
def job(job_id: JobId, user: JobsUser, state: StateDep) -> JobOut:
    """One job: state, progress, the current step, result or error."""
    return JobOut.model_validate(service.get_job(state.store, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel(job_id: JobId, user: LoadUser, state: StateDep, client: Client) -> JobOut:
    """Cancel a queued job at once; a running one stops at its next step and rolls back. A
    finished job is answered as it is."""
    return JobOut.model_validate(
        service.cancel(state.store, state.runner, job_id, actor=user.username, client=client)
    )


@router.post("/backups", status_code=202, response_model=JobOut)
def backup(
    user: BackupUser,
    state: StateDep,
    origin: Origin,
    client: Client,
    body: Annotated[BackupRequest | None, Body()] = None,
) -> JobOut:
    """Back up the project (warehouse and metadata) in a backup job."""
    params = {"keep": body.keep} if body is not None and body.keep is not None else {}
    job = service.submit(
        state.store, state.runner, "backup", params, actor=user.username, origin=origin, client=client
    )
    return JobOut.model_validate(job)


@router.get("/backups", response_model=BackupList)
def backups(user: BackupUser, state: StateDep) -> BackupList:
    """The project's backups (``.bizsight/backups/*.tar``), newest first."""
    return BackupList.model_validate({"backups": service.list_backups(state.project)})
