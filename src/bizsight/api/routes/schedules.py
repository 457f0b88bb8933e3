"""Schedules: refresh, watch and backup timetables (the scheduler turns them into jobs)."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path

from bizsight.api.deps import Client, ScheduleUser, StateDep
from bizsight.api.job_schemas import NewSchedule, ScheduleChange, ScheduleList, ScheduleOut
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import schedules as service

router = APIRouter(prefix="/schedules", tags=["schedules"], responses=ERRORS)

ScheduleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=ScheduleList)
def list_schedules(user: ScheduleUser, state: StateDep) -> ScheduleList:
    """Every schedule with its timetable (cron, time zone), next and last run and its job."""
    return ScheduleList.model_validate({"schedules": service.list_schedules(state.store)})


@router.post("", status_code=201, response_model=ScheduleOut)
def add_schedule(body: NewSchedule, user: ScheduleUser, state: StateDep, client: Client) -> ScheduleOut:
    """A new schedule. ``when`` is a preset ("daily at 02:00") or a cron expression, read in
    ``timezone``; a watch names its folder on the server, a backup how many to keep."""
    params = service.kind_params(
        body.kind, folder=FilePath(body.folder) if body.folder else None, keep=body.keep
    )
    added = service.add_schedule(
        state.store,
        body.name,
        body.kind,
        body.when,
        timezone=body.timezone or state.project.settings.timezone,
        params=params,
        created_by=user.username,
        enabled=body.enabled,
        client=client,
    )
    _wake(state)
    return ScheduleOut.model_validate(added)


@router.patch("/{schedule_id}", response_model=ScheduleOut)
def change_schedule(
    schedule_id: ScheduleId, body: ScheduleChange, user: ScheduleUser, state: StateDep, client: Client
) -> ScheduleOut:
    """Pause or resume a schedule (resumed, it runs at its next slot; paused slots are not made up)."""
    changed = service.set_enabled(state.store, schedule_id, body.enabled, actor=user.username, client=client)
    _wake(state)
    return ScheduleOut.model_validate(changed)


@router.delete("/{schedule_id}", status_code=204)
def remove_schedule(schedule_id: ScheduleId, user: ScheduleUser, state: StateDep, client: Client) -> None:
    service.remove_schedule(state.store, schedule_id, actor=user.username, client=client)


def _wake(state: StateDep) -> None:
    """Let the scheduler see the change now rather than at its next look."""
    if state.scheduler is not None:
        state.scheduler.wake()
