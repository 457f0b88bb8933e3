"""Schedule timing: presets, cron, time zones and daylight saving, as pure functions; and the
checks that refuse a bad schedule with one line naming what is wrong and what is expected."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, NotFoundError
from bizsight.services.schedule_timing import next_run, parse_when
from bizsight.services.schedules import add_schedule, kind_params, list_schedules, remove_schedule

UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("when", "cron"),
    [
        ("hourly", "0 * * * *"),
        ("hourly at :15", "15 * * * *"),
        ("daily", "0 0 * * *"),
        ("daily at 02:00", "0 2 * * *"),
        ("Daily at 7:05", "5 7 * * *"),
        ("weekly", "0 0 * * 1"),
        ("weekly on monday at 06:30", "30 6 * * 1"),
        ("weekly on sun at 23:59", "59 23 * * 0"),
        ("weekly at 08:00", "0 8 * * 1"),
        ("every 15 minutes", "*/15 * * * *"),
        ("every 1 minute", "* * * * *"),
        ("every 6 hours", "0 */6 * * *"),
        ("30 2 * * *", "30 2 * * *"),
        (" 0  9 * *  1-5 ", "0 9 * * 1-5"),
    ],
)
def test_presets_and_cron_become_cron(when: str, cron: str) -> None:
    assert parse_when(when) == cron


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("61 * * * *", "bad minute"),
        ("* * *", "3 fields"),
        ("* * * * * *", "6 fields"),  # seconds: not cron as people write it
        ("daily at 25:00", "25:00 is not a time of day"),
        ("weekly on funday", "unknown day 'funday' (did you mean 'sunday'?)"),
        ("every 7 minutes", "7 does not divide the hour evenly"),
        ("fortnightly", "1 field"),
    ],
)
def test_a_bad_time_is_one_line_naming_it_and_what_is_expected(when: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse_when(when)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"schedule time '{when}': ")
    assert says in message
    assert "daily at HH:MM" in message and "'30 2 * * *'" in message


def test_an_unknown_time_zone_is_one_line_with_a_hint() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"unknown time zone 'Europe/Berln' \(did you mean 'Europe/Berlin'\?\); expected an IANA name",
    ):
        next_run("0 2 * * *", "Europe/Berln", utc(2026, 1, 1))


# -- daylight saving -------------------------------------------------------------------------
# Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST falls back to
# 02:00 CET. America/New_York: 2026-03-08 and 2026-11-01.


@pytest.mark.parametrize(
    ("after", "expected", "why"),
    [
        (utc(2026, 3, 28, 12), utc(2026, 3, 29, 1, 0), "02:30 does not exist: runs at 03:00 CEST"),
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30), "then back to 02:30 CEST"),
        (utc(2026, 3, 27, 12), utc(2026, 3, 28, 1, 30), "the day before: 02:30 CET"),
        (utc(2026, 10, 24, 12), utc(2026, 10, 25, 0, 30), "02:30 happens twice: the first (CEST)"),
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), "and not again at 02:30 CET"),
        (utc(2026, 10, 25, 1, 0), utc(2026, 10, 26, 1, 30), "not even from inside the repeated hour"),
    ],
)
def test_berlin_0230_across_both_changes(after: dt.datetime, expected: dt.datetime, why: str) -> None:
    assert next_run("30 2 * * *", "Europe/Berlin", after) == expected, why


def test_hourly_jobs_run_every_real_hour_across_the_fall_back() -> None:
    """Only a fixed time of day is deduplicated; '30 * * * *' runs in both 02:00 hours."""
    fired, moment = [], utc(2026, 10, 24, 23, 0)
    for _ in range(4):
        moment = next_run("30 * * * *", "Europe/Berlin", moment)
        fired.append(moment.strftime("%H:%M"))
    assert fired == ["23:30", "00:30", "01:30", "02:30"]  # UTC; 01:30 and 02:30 local, 02:30 twice
    # 02:45 CEST is followed by 02:00 CET, fifteen minutes later
    assert next_run("*/15 * * * *", "Europe/Berlin", utc(2026, 10, 25, 0, 50)) == utc(2026, 10, 25, 1, 0)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 1, 15, 12), utc(2026, 1, 15, 14)),  # EST: 09:00 = 14:00 UTC
        (utc(2026, 3, 7, 15), utc(2026, 3, 8, 13)),  # the change day itself: EDT already
        (utc(2026, 7, 15, 12), utc(2026, 7, 15, 13)),  # EDT: 09:00 = 13:00 UTC
        (utc(2026, 10, 31, 14), utc(2026, 11, 1, 14)),  # back to EST
    ],
)
def test_new_york_nine_am_in_winter_and_summer(after: dt.datetime, expected: dt.datetime) -> None:
    assert next_run("0 9 * * *", "America/New_York", after) == expected


def test_next_run_is_strictly_after_and_takes_naive_utc() -> None:
    assert next_run("0 9 * * *", "UTC", dt.datetime(2026, 1, 1, 9, 0)) == utc(2026, 1, 2, 9, 0)
    assert next_run("0 9 * * *", "UTC", utc(2026, 1, 1, 8, 59, 59)) == utc(2026, 1, 1, 9, 0)


# -- the schedules table ---------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    return MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")


def test_add_list_remove(store: MetadataStore, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    added = add_schedule(
        store,
        "inbox",
        "watch",
        "every 5 minutes",
        timezone="Europe/Berlin",
        params=kind_params("watch", folder=inbox),
        now=utc(2026, 3, 29, 0, 58),
    )
    assert added["params"] == {"folder": str(inbox.resolve()), "settle_seconds": 5.0}
    assert added["next_run_utc"] == "2026-03-29T01:00:00+00:00"
    assert added["next_run_local"] == "2026-03-29T03:00:00+02:00"  # the first CEST minute
    add_schedule(store, "keep4", "backup", "weekly", timezone="UTC", params=kind_params("backup", keep=4))
    assert [(s["name"], s["params"]) for s in list_schedules(store)] == [
        ("inbox", added["params"]),
        ("keep4", {"keep": 4}),
    ]
    assert remove_schedule(store, "keep4")["name"] == "keep4"
    assert [s["name"] for s in list_schedules(store)] == ["inbox"]


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (
            lambda s, d: kind_params("nope"),
            InvalidArgumentError,
            "unknown schedule kind 'nope'; expected refresh, watch, backup, alerts",
        ),
        (lambda s, d: kind_params("refrsh"), InvalidArgumentError, "did you mean 'refresh'?"),
        (lambda s, d: kind_params("watch"), InvalidArgumentError, "a watch schedule needs a folder"),
        (
            lambda s, d: kind_params("watch", folder=d / "missing"),
            InvalidArgumentError,
            "missing: not a directory",
        ),
        (lambda s, d: kind_params("refresh", keep=3), InvalidArgumentError, "keep is for backup schedules"),
        (lambda s, d: kind_params("backup", keep=0), InvalidArgumentError, "expected 1 or more"),
        (
            lambda s, d: add_schedule(s, "x", "refresh", "daily", timezone="Mars/Olympus", params={}),
            InvalidArgumentError,
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            lambda s, d: add_schedule(s, "bad name!", "refresh", "daily", timezone="UTC", params={}),
            InvalidArgumentError,
            "schedule name 'bad name!'",
        ),
        (lambda s, d: remove_schedule(s, "nightly"), NotFoundError, "no schedule named 'nightly'"),
    ],
)
def test_bad_schedules_are_refused_in_one_line(
    store: MetadataStore, tmp_path: Path, call, error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as caught:
        call(store, tmp_path)
    assert says in str(caught.value) and "\n" not in str(caught.value)
    assert list_schedules(store) == []


def test_names_are_unique(store: MetadataStore) -> None:
    add_schedule(store, "nightly", "refresh", "daily", timezone="UTC", params={})
    with pytest.raises(InvalidArgumentError, match="a schedule named 'nightly' exists already"):
        add_schedule(store, "nightly", "refresh", "hourly", timezone="UTC", params={})


def test_the_preset_table_in_the_docs_is_what_the_code_does() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "schedules.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", doc, flags=re.MULTILINE)
    assert len(rows) >= 9
    for when, cron in rows:
        assert parse_when(when) == cron, when
