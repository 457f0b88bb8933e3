"""Schedules as people manage them (API and the Settings page): list, add, enable or disable,
remove. The timetable language and the scheduler that turns schedules into jobs are
:mod:`bizsight.services.schedules`; this module only checks what it is given and keeps the rows
(every change audited)."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bizsight.app import audit
from bizsight.app.models import Schedule
from bizsight.app.store import MetadataStore
from bizsight.errors import FeatureUnavailableError, InvalidArgumentError, NotFoundError, did_you_mean

KINDS = ("refresh", "watch", "backup")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # as `bizsight schedule` names them
SCHEDULES_MODULE = "bizsight.services.schedules"


def _schedules() -> ModuleType:
    """The timetable module, imported when first needed (it may come in a later build)."""
    try:
        return importlib.import_module(SCHEDULES_MODULE)
    except ModuleNotFoundError as err:
        if err.name != SCHEDULES_MODULE:
            raise
        raise FeatureUnavailableError(
            f"schedules need {SCHEDULES_MODULE}, which this build of bizsight does not have yet"
        ) from None


def available() -> bool:
    """Whether this build can read timetables (and so add schedules)."""
    try:
        _schedules()
    except FeatureUnavailableError:
        return False
    return True


def parse_when(text: str) -> str:
    """A timetable ("daily at 02:00", or a cron expression) as cron, by the schedules module."""
    cron: str = _schedules().parse_when(text)
    return cron


def first_run(cron: str, timezone: str) -> dt.datetime | None:
    """When a schedule fires next from now (naive UTC, as stored), by the schedules module's
    ``next_run``; None leaves it to the scheduler, which starts such a row from now."""
    next_run = getattr(_schedules(), "next_run", None)
    if next_run is None:
        return None
    moment: dt.datetime = next_run(cron, timezone, dt.datetime.now(dt.UTC))
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def view(row: Schedule) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "cron": row.cron,
        "timezone": row.timezone,
        "params": dict(row.params or {}),
        "enabled": row.enabled,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "next_run_at": row.next_run_at,
        "last_run_at": row.last_run_at,
        "last_job_id": row.last_job_id,
    }


def list_schedules(store: MetadataStore) -> list[dict[str, Any]]:
    with store.session() as s:
        return [view(row) for row in s.scalars(select(Schedule).order_by(Schedule.name))]


def check_timezone(name: str) -> str:
    """An IANA time zone name, or an error naming the nearest one.

    >>> check_timezone("Europe/Berlin")
    'Europe/Berlin'
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from zoneinfo import available_timezones

        raise InvalidArgumentError(
            f"unknown time zone '{name}'{did_you_mean(name, available_timezones())}"
        ) from None
    return name


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a schedule of ``kind`` takes: a watch needs its ``folder`` (on the server),
    a backup may say how many backups to ``keep``; a refresh takes none."""
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown schedule kind '{kind}'{did_you_mean(kind, KINDS)}")
    allowed = {"refresh": set(), "watch": {"folder"}, "backup": {"keep"}}[kind]
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidArgumentError(f"a {kind} schedule takes no '{unknown[0]}'")
    clean: dict[str, Any] = {}
    if kind == "watch":
        folder = params.get("folder")
        if not isinstance(folder, str) or not folder.strip():
            raise InvalidArgumentError("a watch schedule needs the folder to watch (on the server)")
        if not Path(folder).is_dir():
            raise InvalidArgumentError(f"{folder}: no such folder on the server")
        clean["folder"] = str(Path(folder).resolve())
    if kind == "backup" and params.get("keep") is not None:
        keep = params["keep"]
        if not isinstance(keep, int) or isinstance(keep, bool) or not 1 <= keep <= 1000:
            raise InvalidArgumentError("keep is a number of backups from 1 to 1000")
        clean["keep"] = keep
    return clean


def add_schedule(
    store: MetadataStore,
    *,
    name: str,
    kind: str,
    when: str,
    timezone: str = "UTC",
    params: dict[str, Any] | None = None,
    enabled: bool = True,
    actor: str | None,
    client: str | None = None,
) -> dict[str, Any]:
    name = name.strip()
    if not NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"schedule name '{name}': expected letters, digits, '-', '_' or '.' (at most 100)"
        )
    clean = check_params(kind, params or {})
    check_timezone(timezone)
    cron = parse_when(when)
    upcoming = first_run(cron, timezone) if enabled else None
    try:
        with store.session() as s:
            row = Schedule(
                name=name,
                kind=kind,
                cron=cron,
                timezone=timezone,
                params=clean,
                enabled=enabled,
                created_by=actor,
                next_run_at=upcoming,
            )
            s.add(row)
            s.flush()
            audit.record(
                s,
                "schedule.add",
                actor=actor,
                target=name,
                detail={"id": row.id, "kind": kind, "cron": cron, "timezone": timezone, "params": clean},
                client=client,
            )
            return view(row)
    except IntegrityError:
        raise InvalidArgumentError(f"a schedule named '{name}' exists already") from None


def set_enabled(
    store: MetadataStore, schedule_id: int, enabled: bool, *, actor: str | None, client: str | None = None
) -> dict[str, Any]:
    with store.session() as s:
        row = _get(s, schedule_id)
        if enabled and not row.enabled:  # from now on: no make-up run for the time it was off
            row.next_run_at = first_run(row.cron, row.timezone) if available() else None
        row.enabled = enabled
        action = "schedule.enable" if enabled else "schedule.disable"
        audit.record(s, action, actor=actor, target=row.name, detail={"id": row.id}, client=client)
        return view(row)


def remove_schedule(
    store: MetadataStore, schedule_id: int, *, actor: str | None, client: str | None = None
) -> None:
    with store.session() as s:
        row = _get(s, schedule_id)
        audit.record(s, "schedule.remove", actor=actor, target=row.name, detail={"id": row.id}, client=client)
        s.delete(row)


def _get(s: Any, schedule_id: int) -> Schedule:
    row = s.get(Schedule, schedule_id)
    if row is None:
        raise NotFoundError(f"no schedule {schedule_id}")
    return row
