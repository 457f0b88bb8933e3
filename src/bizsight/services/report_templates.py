"""Report templates: a name → a function that builds a report :class:`~bizsight.reports.Document`
from the warehouse, through the metrics layer, for one reader.

A template is registered with :func:`template`; :func:`build_report` looks it up and calls it with
a :class:`ReportRequest`: the period (a relative range such as ``last_month``, or explicit dates),
filters, and the :class:`~bizsight.services.access.Principal` whose row-level restrictions apply,
so a viewer's report holds only that viewer's rows. Every template reads through the same
services the pages use, so a report never disagrees with the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.query import Filter
from bizsight.reports import Brand, Document
from bizsight.services.access import SYSTEM, Principal
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse


@dataclass(frozen=True)
class ReportRequest:
    """What one report covers and for whom.

    ``range`` is a relative range of the metrics layer (``last_month``, ``last_quarter``, ...)
    resolved against ``today``, or ``start``/``end`` are given; with neither, the template's
    default period. ``today`` defaults to the last day with data (a demo project made last year
    still has a "last month"). ``dashboard_id`` (and ``store``) are for the ``dashboard`` template.
    """

    template: str
    range: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    filters: tuple[Filter, ...] = ()
    principal: Principal = SYSTEM
    today: dt.date | None = None
    dashboard_id: int | None = None
    brand: Brand = field(default_factory=Brand)
    # The metadata store the ``dashboard`` template reads the dashboard from (the server's);
    # None: the project's own store is opened for the report.
    store: MetadataStore | None = field(default=None, compare=False, repr=False)


Builder = Callable[[Project, Warehouse, ReportRequest], Document]


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    build: Builder


TEMPLATES: dict[str, Template] = {}


def template(name: str, *, title: str, description: str) -> Callable[[Builder], Builder]:
    """Register ``build`` as the report template ``name``."""

    def register(build: Builder) -> Builder:
        TEMPLATES[name] = Template(name, title, description, build)
        return build

    return register


def templates() -> dict[str, Template]:
    """Every registered template by name (importing the built-in ones first)."""
    from bizsight.services import report_builtin  # noqa: F401  (registers the built-in templates)

    return TEMPLATES


def get_template(name: str) -> Template:
    known = templates()
    if name not in known:
        raise InvalidArgumentError(
            f"unknown report template '{name}'{did_you_mean(name, known)}; use one of {', '.join(sorted(known))}"
        )
    return known[name]


def build_report(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """The document of ``request.template`` for ``request``."""
    return get_template(request.template).build(project, wh, request)
