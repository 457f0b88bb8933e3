"""Dates and spans of dates as people read them: "1 Apr – 30 Jun 2026".

>>> import datetime as dt
>>> date_span(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
'1 Apr – 30 Jun 2026'
>>> date_span(dt.date(2025, 10, 1), dt.date(2026, 3, 31)), date_span(dt.date(2026, 3, 5), dt.date(2026, 3, 5))
('1 Oct 2025 – 31 Mar 2026', '5 Mar 2026')
"""

from __future__ import annotations

import datetime as dt

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: dt.date, *, year: bool = True) -> str:
    """``5 Mar 2026`` (or ``5 Mar``): the same in every locale, never ambiguous like 03/05."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def date_span(start: dt.date | None, end: dt.date | None) -> str:
    """An inclusive span of days; the year is written once when both ends share it."""
    if start is None and end is None:
        return "all dates"
    if start is None:
        return f"up to {day_text(end)}"  # type: ignore[arg-type]
    if end is None:
        return f"from {day_text(start)}"
    if start == end:
        return day_text(start)
    return f"{day_text(start, year=start.year != end.year)} – {day_text(end)}"
