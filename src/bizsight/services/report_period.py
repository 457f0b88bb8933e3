"""What a report covers and how it looks: its period (a relative range resolved against the last
day with data, or explicit dates), the periods it is compared with, and the project's brand.

A report's ``today`` is the last day with data unless the request says otherwise, so a demo
project made last year still has a "last month". Without a range or dates a template covers its
default: the last complete month before the day after ``today`` (the data's last month when it
ends on a month's last day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bizsight.errors import ConfigError, InvalidArgumentError
from bizsight.metrics.periods import DAY, previous_span, previous_year
from bizsight.metrics.query import relative_range
from bizsight.reports import Brand
from bizsight.services.page_data import data_bounds
from bizsight.services.project import Project
from bizsight.services.report_templates import ReportRequest
from bizsight.warehouse.connection import Warehouse

LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
COMPLETE_MONTH = "last_complete_month"  # the templates' default period (not a query range)


@dataclass(frozen=True)
class ReportPeriod:
    """The dates a report covers, the period before it (as many days) and the same dates a year
    earlier; ``first`` is the first day with data (a comparison before it has no value)."""

    start: dt.date
    end: dt.date
    first: dt.date
    last: dt.date

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        return previous_span(self.start, self.end)

    @property
    def last_year(self) -> tuple[dt.date, dt.date]:
        return previous_year(self.start), previous_year(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """The period in words: a whole month by its name, other spans by their dates.

        >>> ReportPeriod(dt.date(2026, 8, 1), dt.date(2026, 8, 31), dt.date(2024, 1, 1), dt.date(2026, 9, 30)).label
        'August 2026'
        >>> ReportPeriod(dt.date(2026, 7, 1), dt.date(2026, 9, 30), dt.date(2024, 1, 1), dt.date(2026, 9, 30)).label
        '2026-07-01 to 2026-09-30'
        """
        if self.start.day == 1 and (self.end + DAY).day == 1 and self.start.month == self.end.month:
            return f"{self.start:%B %Y}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def slug(self) -> str:
        """The period in a file name: ``2026-08`` for a month, else ``2026-07-01_2026-09-30``."""
        if self.start.day == 1 and (self.end + DAY).day == 1 and self.start.month == self.end.month:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def report_period(
    wh: Warehouse,
    *,
    range: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
    fiscal_year_start: int = 1,
) -> ReportPeriod:
    """The period of a request: ``range`` (a relative range name) against ``today`` (default: the
    last day with data), or ``start``/``end`` (either may be missing: the data's first or last
    day), or the last complete month; cut to the days with data."""
    bounds = data_bounds(wh)
    first, last = bounds["first"], bounds["last"]
    if first is None or last is None:
        raise InvalidArgumentError("no orders loaded yet: run `bizsight ingest` and `bizsight refresh` first")
    if range and (start or end):
        raise InvalidArgumentError("give either a range or dates (--from/--to), not both")
    anchor = today or last
    if range and range != COMPLETE_MONTH:
        lo, hi = relative_range(range, anchor, fiscal_year_start)
    elif start or end:
        lo, hi = start or first, end or last
    else:
        lo, hi = relative_range("last_month", anchor + DAY)
    if lo > hi:
        raise InvalidArgumentError(f"the period starts ({lo.isoformat()}) after it ends ({hi.isoformat()})")
    # Cut to the days with data, as the Overview does, so the previous period has as many days
    # that could hold data (a month to date is compared with as many days before it).
    lo, hi = max(lo, first), min(hi, last)
    if lo > hi:
        raise InvalidArgumentError(
            f"no orders in that period: the data run from {first.isoformat()} to {last.isoformat()}"
        )
    return ReportPeriod(lo, hi, first, last)


def period_of(project: Project, wh: Warehouse, request: ReportRequest) -> ReportPeriod:
    """The period of a report request, in the project's fiscal year."""
    return report_period(
        wh,
        range=request.range,
        start=request.start,
        end=request.end,
        today=request.today,
        fiscal_year_start=project.settings.fiscal_year_start,
    )


def brand_of(project: Project) -> Brand:
    """The report brand of bizsight.yml ``reports``: its colour and logo file (relative to the
    project), checked here so a wrong path is one line, not a broken report.

    >>> brand_of(Project("/nonexistent")).colour
    '#1f4e79'
    """
    settings = project.settings.reports
    if settings.logo is None:
        return Brand(colour=settings.brand_colour)
    path = settings.logo if settings.logo.is_absolute() else project.root / settings.logo
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"reports.logo {path}: use a .png, .jpg or .svg file")
    try:
        logo = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"reports.logo {path}: {err.strerror or err}") from None
    return Brand(colour=settings.brand_colour, logo=logo, logo_type=kind)  # type: ignore[arg-type]
