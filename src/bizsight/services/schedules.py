"""Schedules: the use cases over the schedules table, shared by ``bizsight schedule``, the API
and the Settings page. When a schedule runs is :mod:`bizsight.services.schedule_timing`; the thread that turns
due schedules into jobs is :mod:`bizsight.services.scheduler`; docs/schedules.md is the user's page.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app import audit
from bizsight.app.models import Job, Schedule
from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, NotFoundError, did_you_mean
from bizsight.services.schedule_timing import describe, naive_utc, next_run, parse_when, zone

SCHEDULE_KINDS = {  # schedule kind → what its job does
    "refresh": "rebuild core, marts and scores",
    "watch": "load new or changed files from a folder, then refresh",
    "backup": "back up the project, keeping the newest N backups",
    "alerts": "check the alert rules and deliver what they decide",
    "report": "render a report definition and deliver it to its recipients",
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
DEFAULT_KEEP = 7
DEFAULT_SETTLE = 5.0


def job_for(kind: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job kind and parameters a run of a schedule of ``kind`` with ``params`` submits.

    >>> job_for("backup", {})
    ('backup', {'keep': 7})
    >>> job_for("alerts", {"rule": "low revenue"})
    ('alerts', {'rule': 'low revenue'})
    """
    if kind == "watch":
        return "watch", {
            "folder": params["folder"],
            "settle_seconds": params.get("settle_seconds", DEFAULT_SETTLE),
        }
    if kind == "backup":
        return "backup", {"keep": params.get("keep", DEFAULT_KEEP)}
    if kind == "alerts" and params.get("rule"):  # a rule's own schedule checks only that rule
        return "alerts", {"rule": params["rule"]}
    if kind == "report":
        return "report", {"report": params["report"]}
    return kind, {}


def kind_params(
    kind: str,
    *,
    folder: Path | None = None,
    keep: int | None = None,
    settle_seconds: float | None = None,
    report: str | None = None,
) -> dict[str, Any]:
    """A schedule's parameters, checked for its kind (``folder`` is made absolute).

    >>> kind_params("report", report="weekly-sales")
    {'report': 'weekly-sales'}
    """
    check_kind(kind)
    if (report is not None) != (kind == "report"):
        raise InvalidArgumentError(
            "a report schedule names its report (`bizsight report schedule NAME`)"
            if kind == "report"
            else f"report is for report schedules, not {kind}"
        )
    if kind == "report":
        return {"report": report}
    for given, option, owner in ((folder, "folder", "watch"), (settle_seconds, "settle", "watch")):
        if given is not None and kind != owner:
            raise InvalidArgumentError(f"{option} is for {owner} schedules, not {kind}")
    if keep is not None and kind != "backup":
        raise InvalidArgumentError(f"keep is for backup schedules, not {kind}")
    if kind == "watch":
        if folder is None:
            raise InvalidArgumentError("a watch schedule needs a folder to watch")
        if not folder.is_dir():
            raise InvalidArgumentError(f"watch folder {folder}: not a directory")
        settle = DEFAULT_SETTLE if settle_seconds is None else settle_seconds
        if settle < 0:
            raise InvalidArgumentError(f"settle: {settle} seconds; expected 0 or more")
        return {"folder": str(folder.resolve()), "settle_seconds": settle}
    if kind == "backup":
        kept = DEFAULT_KEEP if keep is None else keep
        if kept < 1:
            raise InvalidArgumentError(f"keep: {kept}; expected 1 or more backups to keep")
        return {"keep": kept}
    return {}


def check_kind(kind: str) -> str:
    if kind not in SCHEDULE_KINDS:
        raise InvalidArgumentError(
            f"unknown schedule kind '{kind}'{did_you_mean(kind, SCHEDULE_KINDS)}; "
            f"expected {', '.join(SCHEDULE_KINDS)}"
        )
    return kind


def add_schedule(
    store: MetadataStore,
    name: str,
    kind: str,
    when: str,
    *,
    timezone: str,
    params: dict[str, Any],
    created_by: str | None = None,
    enabled: bool = True,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a new schedule (``params`` from :func:`kind_params`); its view."""
    with store.session() as s:
        row = create_schedule(
            s,
            name,
            kind,
            when,
            timezone=timezone,
            params=params,
            created_by=created_by,
            enabled=enabled,
            now=now,
        )
        audit.record(
            s,
            "schedule.add",
            actor=created_by,
            target=name,
            detail={"kind": kind, "cron": row.cron},
            client=client,
        )
        return schedule_view(row, None)


def create_schedule(
    s: OrmSession,
    name: str,
    kind: str,
    when: str,
    *,
    timezone: str,
    params: dict[str, Any],
    created_by: str | None = None,
    enabled: bool = True,
    now: dt.datetime | None = None,
) -> Schedule:
    """The new schedule's row, added in the session ``s`` (an alert's own schedule is created in
    the alert's transaction)."""
    if not NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"schedule name '{name}': expected letters, digits, '-', '_' or '.' (at most 100)"
        )
    check_kind(kind)
    cron, where = parse_when(when), zone(timezone)
    first = next_run(cron, where, now or dt.datetime.now(dt.UTC))
    if s.scalar(select(Schedule.id).where(Schedule.name == name)) is not None:
        raise InvalidArgumentError(f"a schedule named '{name}' exists already")
    row = Schedule(
        name=name,
        kind=kind,
        cron=cron,
        timezone=where.key,
        params=params,
        state={},
        enabled=enabled,
        created_by=created_by,
        next_run_at=naive_utc(first),
    )
    s.add(row)
    s.flush()
    return row


def list_schedules(store: MetadataStore) -> list[dict[str, Any]]:
    """Every schedule with the state of its last job."""
    with store.session() as s:
        rows = list(s.scalars(select(Schedule).order_by(Schedule.name)))
        ids = [r.last_job_id for r in rows if r.last_job_id is not None]
        states: dict[int, str] = dict(s.execute(select(Job.id, Job.state).where(Job.id.in_(ids))).all())
        return [schedule_view(r, states.get(r.last_job_id) if r.last_job_id else None) for r in rows]


def remove_schedule(
    store: MetadataStore, schedule: str | int, *, actor: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """Delete a schedule, by name or id (its jobs stay in the job list); its last view."""
    with store.session() as s:
        row = _find(s, schedule)
        view = schedule_view(row, None)
        s.delete(row)
        audit.record(s, "schedule.remove", actor=actor, target=row.name, client=client)
        return view


def set_enabled(
    store: MetadataStore,
    schedule: str | int,
    enabled: bool,
    *,
    actor: str | None = None,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Pause or resume a schedule. Resumed, it runs next at its next slot from now: the slots it
    was paused through are not made up."""
    with store.session() as s:
        row = _find(s, schedule)
        if enabled and not row.enabled:
            row.next_run_at = naive_utc(
                next_run(row.cron, zone(row.timezone), now or dt.datetime.now(dt.UTC))
            )
        row.enabled = enabled
        action = "schedule.enable" if enabled else "schedule.disable"
        audit.record(s, action, actor=actor, target=row.name, client=client)
        return schedule_view(row, None)


def _find(s: OrmSession, schedule: str | int) -> Schedule:
    found = s.get(Schedule, schedule) if isinstance(schedule, int) else None
    if isinstance(schedule, str):
        found = s.scalar(select(Schedule).where(Schedule.name == schedule))
    if found is None:
        known = list(s.scalars(select(Schedule.name)))
        hint = did_you_mean(schedule, known) if isinstance(schedule, str) else ""
        raise NotFoundError(f"no schedule {'named ' if isinstance(schedule, str) else ''}'{schedule}'{hint}")
    return found


def schedule_view(row: Schedule, last_job_state: str | None) -> dict[str, Any]:
    """A schedule as people read it: next run in its zone and in UTC, last run and its job."""
    where = zone(row.timezone)
    upcoming = row.next_run_at.replace(tzinfo=dt.UTC) if row.next_run_at else None
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "cron": row.cron,
        "description": describe(row.cron),
        "timezone": row.timezone,
        "params": dict(row.params or {}),
        "enabled": row.enabled,
        "created_by": row.created_by,
        "created_at": row.created_at.replace(tzinfo=dt.UTC).isoformat() if row.created_at else None,
        "next_run_local": upcoming.astimezone(where).isoformat() if upcoming else None,
        "next_run_utc": upcoming.isoformat() if upcoming else None,
        "last_run_utc": row.last_run_at.replace(tzinfo=dt.UTC).isoformat() if row.last_run_at else None,
        "last_job_id": row.last_job_id,
        "last_job_state": last_job_state,
        "skipped": (row.state or {}).get("skipped"),
    }
