"""Schedules: refresh, watch and backup timetables (the scheduler turns them into jobs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bizsight.api.deps import Client, ScheduleUser, StoreDep
from bizsight.api.job_schemas import NewSchedule, ScheduleChange, ScheduleList, ScheduleOut
from bizsight.services import schedule_admin as service

router = APIRouter(prefix="/schedules", tags=["schedules"])

ScheduleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=ScheduleList)
def list_schedules(user: ScheduleUser, store: StoreDep) -> ScheduleList:
    """Every schedule with its timetable (cron, time zone), next and last run."""
    return ScheduleList.model_validate(
        {"schedules": service.list_schedules(store), "available": service.available()}
    )


@router.post("", status_code=201, response_model=ScheduleOut)
def add_schedule(body: NewSchedule, user: ScheduleUser, store: StoreDep, client: Client) -> ScheduleOut:
    """A new schedule. ``when`` is a preset ("daily at 02:00") or a cron expression, read in
    ``timezone``; a watch names its folder on the server, a backup how many to keep."""
    params = {
        key: value for key, value in (("folder", body.folder), ("keep", body.keep)) if value is not None
    }
    return ScheduleOut.model_validate(
        service.add_schedule(
            store,
            name=body.name,
            kind=body.kind,
            when=body.when,
            timezone=body.timezone,
            params=params,
            enabled=body.enabled,
            actor=user.username,
            client=client,
        )
    )


@router.patch("/{schedule_id}", response_model=ScheduleOut)
def change_schedule(
    schedule_id: ScheduleId, body: ScheduleChange, user: ScheduleUser, store: StoreDep, client: Client
) -> ScheduleOut:
    """Enable or disable a schedule."""
    return ScheduleOut.model_validate(
        service.set_enabled(store, schedule_id, body.enabled, actor=user.username, client=client)
    )


@router.delete("/{schedule_id}", status_code=204)
def remove_schedule(schedule_id: ScheduleId, user: ScheduleUser, store: StoreDep, client: Client) -> None:
    service.remove_schedule(store, schedule_id, actor=user.username, client=client)
