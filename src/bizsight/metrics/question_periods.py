"""Periods in a question's words, resolved to inclusive dates against ``today``.

Each reader finds its phrase in the question's normalised text (tokens joined by spaces), takes
it out and gives the dates; the first reader that finds one wins. Quarters and years are
calendar ones unless ``fiscal_year_start`` says otherwise; a month or quarter named without a
year is the latest one that has begun.

>>> import datetime as dt
>>> today = dt.date(2026, 8, 15)
>>> find_period("revenue last quarter", today)[0]
Period(start=datetime.date(2026, 4, 1), end=datetime.date(2026, 6, 30), unit='quarter')
>>> find_period("orders between march 2025 and june 2025 by month", today)
(Period(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 6, 30), unit=None), 'orders by month')
>>> find_period("revenue in q4", today)[0].start
datetime.date(2025, 10, 1)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from bizsight.metrics.periods import DAY, add_months, period_end, period_start, shift
from bizsight.metrics.question_words import NUMBERS

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
UNITS = ("day", "week", "month", "quarter", "year")

_YEAR = r"(?:19|20)\d\d"
_ISO = r"\d{4}-\d{2}-\d{2}"
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
_ORD = "(?:" + "|".join(ORDINALS) + ")"
_N = r"(?:\d{1,3}|" + "|".join(NUMBERS) + ")"
_UNIT = r"(?P<unit>day|week|month|quarter|year)s?"
# One point in time that covers a span: a date, a month, a quarter, a half, a year.
POINT = (
    rf"(?:{_ISO}|{_YEAR} q[1-4]|q[1-4](?: (?:of )?{_YEAR})?|{_ORD} quarter(?: of {_YEAR})?"
    rf"|(?:{_ORD}) half(?: of {_YEAR})?|h[12](?: {_YEAR})?|{_MONTH}(?: (?:of )?{_YEAR})?|{_YEAR})"
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    unit: str | None  # the calendar unit it is one of (for "compared with last"), if any


@dataclass(frozen=True)
class Point:
    start: dt.date
    end: dt.date
    year: bool  # the text named the year
    unit: str


def number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBERS[text]


def point(text: str, today: dt.date, fiscal: int = 1, year: int | None = None) -> Point:
    """The span one POINT names; without a year, the latest that has begun (or ``year``)."""
    words = text.split()
    if re.fullmatch(_ISO, text):
        day = dt.date.fromisoformat(text)
        return Point(day, day, True, "day")
    named = next((int(w) for w in words if re.fullmatch(_YEAR, w)), None)
    if re.fullmatch(_YEAR, text):
        start = dt.date(int(text), fiscal, 1)
        return Point(start, period_end(start, "year"), True, "year")
    if "half" in words or words[0] in ("h1", "h2"):
        half = 1 if words[0] in ("h1", "first", "1st") else 2
        return _latest(
            named or year, today, lambda y: add_months(dt.date(y, fiscal, 1), 6 * (half - 1)), 6, "half"
        )
    quarter = next((int(w[1]) for w in words if re.fullmatch("q[1-4]", w)), None)
    if quarter is None and "quarter" in words:
        quarter = ORDINALS[words[0]]
    if quarter is not None:
        q = quarter
        return _latest(
            named or year, today, lambda y: add_months(dt.date(y, fiscal, 1), 3 * (q - 1)), 3, "quarter"
        )
    month = MONTHS[words[0]]
    return _latest(named or year, today, lambda y: dt.date(y, month, 1), 1, "month")


def _latest(
    year: int | None, today: dt.date, first: Callable[[int], dt.date], months: int, unit: str
) -> Point:
    if year is not None:
        start = first(year)
    else:
        start = first(today.year)
        if start > today:
            start = first(today.year - 1)
    return Point(start, add_months(start, months) - DAY, year is not None, unit)


def _between(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    first_text, last_text = m["a"], m["b"]
    last = point(last_text, today, fiscal)
    first = point(first_text, today, fiscal, year=last.start.year if last.year else None)
    if first.start > last.start and not re.search(_YEAR, first_text):
        first = point(first_text, today, fiscal, year=last.start.year - 1)
    return Period(first.start, last.end, None)


def _since(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    return Period(point(m["a"], today, fiscal).start, today, None)


def _last_n(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    n, unit = number(m["n"]), m["unit"]
    if unit == "day":
        return Period(today - dt.timedelta(days=n - 1), today, None)
    if unit == "week":
        return Period(today - dt.timedelta(days=7 * n - 1), today, None)
    months = n * {"month": 1, "quarter": 3, "year": 12}[unit]
    return Period(add_months(today, -months) + DAY, today, None)


def _relative(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    which, unit = m["which"], m["unit"]
    if which == "past":  # "the past month": the rolling one
        return _last_n_of(1, unit, today)
    start = period_start(today, unit, fiscal)
    if which in ("last", "previous", "prior"):
        start = shift(start, unit, -1)
    return Period(start, period_end(start, unit), unit)


def _last_n_of(n: int, unit: str, today: dt.date) -> Period:
    match = re.match(rf"(?P<n>\d+) {_UNIT}", f"{n} {unit}")
    assert match is not None
    return _last_n(match, today, 1)


def _to_date(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    unit = {"y": "year", "q": "quarter", "m": "month", "w": "week"}[m[0][0]]
    return Period(period_start(today, unit, fiscal), today, None)


def _point(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    found = point(m["a"], today, fiscal)
    return Period(found.start, found.end, found.unit if found.unit != "half" else None)


def _day(m: re.Match[str], today: dt.date, fiscal: int) -> Period:
    day = today if m[0] == "today" else today - DAY
    return Period(day, day, "day")


_PREP = r"(?:(?:in|for|during|over|on|of) )?(?:the )?"
READERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], dt.date, int], Period]], ...] = (
    (re.compile(rf"\b(?:between|from) (?P<a>{POINT}) (?:and|to|until|till|through|thru) (?P<b>{POINT})\b"), _between),
    (re.compile(rf"\b(?:since|starting|starting from|from) (?P<a>{POINT})\b"), _since),
    (re.compile(rf"\b{_PREP}(?:last|past|previous|trailing|recent) (?P<n>{_N}) {_UNIT}\b"), _last_n),
    (re.compile(rf"\b{_PREP}(?P<which>this|current|last|previous|prior|past) {_UNIT}\b"), _relative),
    (re.compile(r"\b(?:year to date|ytd|so far this year|quarter to date|qtd|month to date|mtd|week to date|wtd)\b"), _to_date),
    (re.compile(rf"\b{_PREP}(?P<a>{POINT})\b"), _point),
    (re.compile(r"\b(?:today|yesterday)\b"), _day),
)  # fmt: skip


def find_period(text: str, today: dt.date, fiscal_year_start: int = 1) -> tuple[Period | None, str]:
    """The first period ``text`` names and the text without it (or None and the text)."""
    for pattern, read in READERS:
        match = pattern.search(text)
        if match:
            found = read(match, today, fiscal_year_start)
            rest = (text[: match.start()] + " " + text[match.end() :]).split()
            return found, " ".join(rest)
    return None, text
