"""One report, built and rendered: what ``bizsight report run`` and ``POST /api/v1/reports/render``
both call, so the file is the same whichever way it is asked for.

The brand is the project's (bizsight.yml ``reports``); numbers are formatted by the project's
presenter; the file is named ``<template>-<period>.<suffix>`` (``executive-2026-08.pdf``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bizsight.console import NullReporter, Reporter
from bizsight.errors import BizsightError, InvalidArgumentError, did_you_mean
from bizsight.reports import Format, render
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.report_period import brand_of, period_of
from bizsight.services.report_templates import ReportRequest, build_report
from bizsight.warehouse.connection import Warehouse


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report: its bytes, format and file name."""

    content: bytes
    format: Format
    filename: str

    @property
    def media_type(self) -> str:
        return self.format.media_type


def report_format(name: str) -> Format:
    """A format by name, or a one-line error naming the right ones.

    >>> report_format("xlsx").suffix
    '.xlsx'
    """
    known = [f.value for f in Format]
    if name not in known:
        raise InvalidArgumentError(
            f"unknown report format '{name}'{did_you_mean(name, known)}; use one of {', '.join(known)}"
        )
    return Format(name)


def run_report(
    project: Project,
    wh: Warehouse,
    request: ReportRequest,
    fmt: Format | str,
    reporter: Reporter | None = None,
) -> RenderedReport:
    """Build ``request``'s report with the project's brand and render it as ``fmt``."""
    reporter = reporter or NullReporter()
    fmt = report_format(str(fmt))
    request = dataclasses.replace(request, brand=brand_of(project))
    reporter.step(f"reading the figures of the {request.template} report")
    document = build_report(project, wh, request)
    reporter.step(f"writing the {fmt.value.upper()} file")
    content = render(document, fmt, presentation(project, wh).presenter)
    return RenderedReport(content, fmt, f"{request.template}-{_slug(project, wh, request)}{fmt.suffix}")


def _slug(project: Project, wh: Warehouse, request: ReportRequest) -> str:
    """The report's period in its file name; today's date when it covers no span of orders."""
    try:
        return period_of(project, wh, request).slug
    except BizsightError:
        return dt.date.today().isoformat()
