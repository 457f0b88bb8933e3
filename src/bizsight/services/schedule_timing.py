"""When a schedule runs: presets and 5-field cron expressions, evaluated in a time zone.

Pure functions. Times are evaluated by cronsim on the wall clock of the schedule's zone, like
Debian's cron: a time the spring-forward skips runs right after the jump (02:30 → 03:00), and a
time the fall-back repeats runs once, at its first occurrence; jobs whose hour is a wildcard run
in every real hour (docs/decisions/0029-schedules-cron-with-cronsim.md, docs/schedules.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

from bizsight.errors import InvalidArgumentError, did_you_mean

EXPECTED = (
    "expected hourly, daily, daily at HH:MM, weekly on DAY at HH:MM, every N minutes, every N hours, "
    "or 5 cron fields (minute hour day-of-month month day-of-week) such as '30 2 * * *'"
)
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")  # cron: 0 … 6
_TIME = r"(\d{1,2}):(\d{2})"
_DAY = r"([a-z]+)"
_PRESETS = (
    (re.compile(r"hourly(?: at :?(\d{1,2}))?"), "hourly"),
    (re.compile(rf"daily(?: at {_TIME})?"), "daily"),
    (re.compile(rf"weekly(?: on {_DAY})?(?: at {_TIME})?"), "weekly"),
    (re.compile(r"every (\d+) (minutes?|hours?)"), "every"),
)


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
