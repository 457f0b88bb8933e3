"""Schedules: when a job is made (a cron expression in a time zone) and the use cases over the
schedules table, shared by ``bizsight schedule`` and (later) the API. The thread that turns due
schedules into jobs is :mod:`bizsight.services.scheduler`; docs/schedules.md is the user's page.

Times are evaluated by cronsim on the wall clock of the schedule's zone, like Debian's cron: a
time the spring-forward skips runs right after the jump (02:30 → 03:00), and a time the fall-back
repeats runs once, at its first occurrence (docs/decisions/0028-schedules-cron-with-cronsim.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from sqlalchemy import select

from bizsight.app import audit
from bizsight.app.models import Job, Schedule
from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, NotFoundError, did_you_mean

SCHEDULE_KINDS = {  # schedule kind → what its job does
    "refresh": "rebuild core, marts and scores",
    "watch": "load new or changed files from a folder, then refresh",
    "backup": "back up the project, keeping the newest N backups",
}
EXPECTED = (
    "expected hourly, daily, daily at HH:MM, weekly on DAY at HH:MM, every N minutes, every N hours, "
    "or 5 cron fields (minute hour day-of-month month day-of-week) such as '30 2 * * *'"
)
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")  # cron: 0 … 6
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
DEFAULT_KEEP = 7
DEFAULT_SETTLE = 5.0

_TIME = r"(\d{1,2}):(\d{2})"
_DAY = r"([a-z]+)"
_PRESETS = (
    (re.compile(r"hourly(?: at :?(\d{1,2}))?"), "hourly"),
    (re.compile(rf"daily(?: at {_TIME})?"), "daily"),
    (re.compile(rf"weekly(?: on {_DAY})?(?: at {_TIME})?"), "weekly"),
    (re.compile(r"every (\d+) (minutes?|hours?)"), "every"),
)


# -- timing (pure) ----------------------------------------------------------------------------


def parse_when(text: str) -> str:
    """The 5-field cron expression for a schedule's timing: a preset or cron itself.

    >>> parse_when("daily at 02:30")
    '30 2 * * *'
    >>> parse_when("Weekly on Friday at 18:00")
    '0 18 * * 5'
    >>> parse_when("weekly")
    '0 0 * * 1'
    >>> parse_when("every 15 minutes")
    '*/15 * * * *'
    >>> parse_when("0  9 * * 1-5")
    '0 9 * * 1-5'
    """
    said = " ".join(text.lower().split())
    for pattern, preset in _PRESETS:
        found = pattern.fullmatch(said)
        if found:
            return _preset_cron(text, preset, found.groups())
    return check_cron(text)


def check_cron(expr: str) -> str:
    """``expr`` normalised, if cron can evaluate it; else a one-line error naming it.

    >>> check_cron("30 2 * * *")
    '30 2 * * *'
    >>> check_cron("61 * * * *")
    Traceback (most recent call last):
    ...
    bizsight.errors.InvalidArgumentError: schedule time '61 * * * *': bad minute; expected ...
    """
    fields = expr.split()
    if len(fields) != 5:
        raise _bad(expr, f"{len(fields)} field{'s' if len(fields) != 1 else ''}, not a preset")
    normal = " ".join(fields)
    try:
        CronSim(normal, dt.datetime(2000, 1, 1))
    except CronSimError as err:
        raise _bad(expr, str(err).lower()) from None
    return normal


def _preset_cron(text: str, preset: str, groups: tuple[str | None, ...]) -> str:
    if preset == "hourly":
        minute = int(groups[0] or 0)
        if minute > 59:
            raise _bad(text, f"minute {minute} is past 59")
        return f"{minute} * * * *"
    if preset == "daily":
        hour, minute = _time_of_day(text, groups[0], groups[1])
        return f"{minute} {hour} * * *"
    if preset == "weekly":
        day = _weekday(text, groups[0] or "monday")
        hour, minute = _time_of_day(text, groups[1], groups[2])
        return f"{minute} {hour} * * {day}"
    every, unit = int(groups[0] or 0), groups[1] or ""
    span = 60 if unit.startswith("minute") else 24
    if every < 1 or span % every:
        divisors = ", ".join(str(n) for n in range(1, span) if span % n == 0)
        whole = "hour" if span == 60 else "day"
        raise _bad(text, f"{every} does not divide the {whole} evenly (use one of {divisors})")
    field = "*" if every == 1 else f"*/{every}"
    return f"{field} * * * *" if span == 60 else f"0 {field} * * *"


def _time_of_day(text: str, hour: str | None, minute: str | None) -> tuple[int, int]:
    if hour is None or minute is None:
        return 0, 0
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise _bad(text, f"{hour}:{minute} is not a time of day (00:00 to 23:59)")
    return h, m


def _weekday(text: str, name: str) -> int:
    matches = [i for i, day in enumerate(DAYS) if len(name) >= 3 and day.startswith(name)]
    if not matches:
        raise _bad(text, f"unknown day '{name}'{did_you_mean(name, DAYS)}")
    return matches[0]


def _bad(text: str, reason: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"schedule time '{text}': {reason}; {EXPECTED}")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a one-line error for an unknown one.

    >>> zone("Europe/Berlin").key
    'Europe/Berlin'
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        hint = did_you_mean(name, available_timezones())
        raise InvalidArgumentError(
            f"unknown time zone '{name}'{hint}; expected an IANA name such as Europe/Berlin or UTC"
        ) from None


def next_run(cron: str, tz: str | ZoneInfo, after_utc: dt.datetime) -> dt.datetime:
    """The first instant strictly after ``after_utc`` (aware, or naive UTC) at which ``cron`` fires
    on the wall clock of ``tz``; aware UTC.

    >>> winter = next_run("0 9 * * *", "America/New_York", dt.datetime(2026, 1, 15, 12, 0))
    >>> summer = next_run("0 9 * * *", "America/New_York", dt.datetime(2026, 7, 15, 12, 0))
    >>> winter.strftime("%H:%M %Z"), summer.strftime("%H:%M %Z")
    ('14:00 UTC', '13:00 UTC')
    """
    where = tz if isinstance(tz, ZoneInfo) else zone(tz)
    after = after_utc if after_utc.tzinfo else after_utc.replace(tzinfo=dt.UTC)
    try:
        # From inside the hour the fall-back repeats, cronsim may answer the first occurrence of a
        # time, which is before ``after``: such a time has had its run, take the next one.
        for fire in itertools.islice(CronSim(cron, after.astimezone(where)), 200):
            if fire > after:
                return fire.astimezone(dt.UTC)
    except CronSimError as err:
        raise _bad(cron, str(err).lower()) from None
    raise _bad(cron, "it never fires")


def describe(cron: str) -> str:
    """Cron in words.

    >>> describe("30 2 * * *")
    'At 02:30 every day'
    """
    try:
        return CronSim(cron, dt.datetime(2000, 1, 1)).explain()
    except Exception:  # explaining is a courtesy; an odd expression still runs
        return cron


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """As the store keeps times: naive, UTC."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


# -- the schedules table ----------------------------------------------------------------------


def job_for(kind: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job kind and parameters a run of a schedule of ``kind`` with ``params`` submits.

    >>> job_for("backup", {})
    ('backup', {'keep': 7})
    """
    if kind == "watch":
        return "watch", {
            "folder": params["folder"],
            "settle_seconds": params.get("settle_seconds", DEFAULT_SETTLE),
        }
    if kind == "backup":
        return "backup", {"keep": params.get("keep", DEFAULT_KEEP)}
    return kind, {}


def kind_params(
    kind: str, *, folder: Path | None = None, keep: int | None = None, settle_seconds: float | None = None
) -> dict[str, Any]:
    """A schedule's parameters, checked for its kind (``folder`` is made absolute)."""
    check_kind(kind)
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
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a new schedule (``params`` from :func:`kind_params`); its view."""
    if not NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"schedule name '{name}': expected letters, digits, '-', '_' or '.' (at most 100)"
        )
    check_kind(kind)
    cron, where = parse_when(when), zone(timezone)
    first = next_run(cron, where, now or dt.datetime.now(dt.UTC))
    with store.session() as s:
        if s.scalar(select(Schedule.id).where(Schedule.name == name)) is not None:
            raise InvalidArgumentError(f"a schedule named '{name}' exists already")
        row = Schedule(
            name=name,
            kind=kind,
            cron=cron,
            timezone=where.key,
            params=params,
            state={},
            enabled=True,
            created_by=created_by,
            next_run_at=naive_utc(first),
        )
        s.add(row)
        s.flush()
        audit.record(s, "schedule.add", actor=created_by, target=name, detail={"kind": kind, "cron": cron})
        return schedule_view(row, None)


def list_schedules(store: MetadataStore) -> list[dict[str, Any]]:
    """Every schedule with the state of its last job."""
    with store.session() as s:
        rows = list(s.scalars(select(Schedule).order_by(Schedule.name)))
        ids = [r.last_job_id for r in rows if r.last_job_id is not None]
        states: dict[int, str] = dict(s.execute(select(Job.id, Job.state).where(Job.id.in_(ids))).all())
        return [schedule_view(r, states.get(r.last_job_id) if r.last_job_id else None) for r in rows]


def remove_schedule(store: MetadataStore, name: str, *, actor: str | None = None) -> dict[str, Any]:
    """Delete the schedule ``name`` (its jobs stay in the job list); its last view."""
    with store.session() as s:
        row = s.scalar(select(Schedule).where(Schedule.name == name))
        if row is None:
            known = list(s.scalars(select(Schedule.name)))
            raise NotFoundError(f"no schedule named '{name}'{did_you_mean(name, known)}")
        view = schedule_view(row, None)
        s.delete(row)
        audit.record(s, "schedule.remove", actor=actor, target=name)
        return view


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
        "next_run_local": upcoming.astimezone(where).isoformat() if upcoming else None,
        "next_run_utc": upcoming.isoformat() if upcoming else None,
        "last_run_utc": row.last_run_at.replace(tzinfo=dt.UTC).isoformat() if row.last_run_at else None,
        "last_job_id": row.last_job_id,
        "last_job_state": last_job_state,
        "skipped": (row.state or {}).get("skipped"),
    }
