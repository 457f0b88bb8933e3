"""Request and answer models of the jobs, schedules and backups endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.schemas.common import Answer, UtcTimestamp
from bizsight.app.models import JobState


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobOut(Answer):
    """A job the server runs (or ran): its state, progress, result or error."""

    id: int
    kind: str = Field(description="ingest, refresh, backup, watch, deliver, alerts, ...")
    label: str = Field(description="the kind, for people")
    params: dict[str, Any]
    requested_by: str | None = Field(description="user name; null for the scheduler")
    origin: str = Field(
        description="api, web, cli, schedule, restart (finishing deliveries) or after-job (an alert "
        "check after a refresh)"
    )
    schedule_id: int | None
    late: bool = Field(description="a scheduled run made up for when the server started")
    state: JobState
    progress: float = Field(ge=0, le=1)
    message: str = Field(description="the current (or last) step")
    warnings: list[str]
    cancel_requested: bool
    created_at: UtcTimestamp
    started_at: UtcTimestamp | None
    finished_at: UtcTimestamp | None
    result: dict[str, Any] | None = Field(
        description="when it succeeded: for ingest, per file rows read, loaded, quarantined (by "
        "rule), duplicates and the load_id of its quality report; for refresh, tables and rows"
    )
    error: str | None


class JobList(Answer):
    jobs: list[JobOut]


class RefreshRequest(_Strict):
    """A refresh takes no options (yet); the body may be omitted."""


class BackupRequest(_Strict):
    keep: int | None = Field(default=None, ge=1, le=1000, description="keep only the newest N backups")


class BackupFile(Answer):
    name: str
    size: int = Field(description="bytes")
    modified_at: UtcTimestamp


class BackupList(Answer):
    backups: list[BackupFile]


ScheduleKind = Literal["refresh", "watch", "backup", "alerts"]


class NewSchedule(_Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: ScheduleKind
    when: str = Field(
        min_length=1,
        max_length=100,
        description="a preset such as 'daily at 02:00' or 'hourly', or a cron expression",
    )
    timezone: str | None = Field(
        default=None, min_length=1, max_length=64, description="IANA name (default: the project's timezone)"
    )
    folder: str | None = Field(default=None, max_length=1000, description="watch: the folder on the server")
    keep: int | None = Field(default=None, ge=1, le=1000, description="backup: keep the newest N")
    enabled: bool = True


class ScheduleChange(_Strict):
    enabled: bool


class ScheduleOut(Answer):
    id: int
    name: str
    kind: str
    cron: str
    description: str = Field(description="the timetable in words")
    timezone: str
    params: dict[str, Any]
    enabled: bool
    created_by: str | None
    created_at: UtcTimestamp | None
    next_run_local: dt.datetime | None = Field(description="the next run, in the schedule's time zone")
    next_run_utc: dt.datetime | None
    last_run_utc: dt.datetime | None
    last_job_id: int | None
    last_job_state: str | None
    skipped: dict[str, Any] | None = Field(default=None, description="runs skipped: the job before still ran")


class ScheduleList(Answer):
    schedules: list[ScheduleOut]
