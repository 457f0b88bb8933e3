"""Report definitions: a template, its filters, a relative period, the formats and who receives
it, owned by the user who made it — shared by ``bizsight report``, the API and the Reports page.

A report runs *as its owner*: the owner's role and row-level restrictions apply, so a viewer
restricted to a region receives only that region's rows, whoever schedules the report. Running,
rendering and delivering is :mod:`bizsight.services.report_delivery`; the timetable is a schedule of
kind ``report`` (:mod:`bizsight.services.schedules`). docs/reports.md is the user's page.

Who may do what: everyone (``reports:read``) defines reports for themselves and subscribes to a
dashboard they can read; editors and admins (``reports:manage``) also see, send and change other
people's reports — unless they are restricted themselves, since another owner's report holds
rows their restrictions hide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app import audit
from bizsight.app.accounts import require_user, user_by_id
from bizsight.app.models import Delivery, ReportDefinition, ReportRun, Role, Schedule, User, utcnow
from bizsight.app.store import MetadataStore
from bizsight.errors import AccessDeniedError, InvalidArgumentError, NotFoundError, did_you_mean
from bizsight.metrics.query import RELATIVE_RANGES, Filter
from bizsight.services import dashboards, schedules
from bizsight.services.access import Permission, Principal, allowed
from bizsight.services.deliveries import recipients as checked_recipients
from bizsight.services.project import Project
from bizsight.services.query import catalogue, parse_where
from bizsight.services.report_templates import get_template
from bizsight.services.users import principal_of

FORMATS = ("pdf", "xlsx", "csv")  # attachments; the HTML body is always the email itself
DEFAULT_FORMATS = ("pdf",)
DASHBOARD_TEMPLATE = "dashboard"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$")
SCHEDULE_PREFIX = "report-"  # a report's schedule is named after it


def create_report(
    project: Project,
    store: MetadataStore,
    principal: Principal,
    name: str,
    template: str,
    *,
    range: str | None = None,
    where: Sequence[str | Filter] = (),
    formats: Sequence[str] = DEFAULT_FORMATS,
    to: Sequence[str | dict[str, str]] = (),
    dashboard_id: int | None = None,
    owner: str | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """Store a new report definition owned by ``principal`` (or by the user ``owner``, which only
    an admin may name); its view. Everything is checked first: the template, the range, the
    filters' dimensions, the formats, the recipients' channels, the dashboard."""
    if not NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"report name '{name}': expected letters, digits, '-', '_' or '.' (at most 90)"
        )
    fields = _checked(project, template, range, where, formats, to, dashboard_id)
    with store.session() as s:
        if s.scalar(select(ReportDefinition.id).where(ReportDefinition.name == name)) is not None:
            raise InvalidArgumentError(f"a report named '{name}' exists already")
        user = _owner(s, principal, owner)
        if dashboard_id is not None:
            dashboards.readable(s, principal_of(user), dashboard_id)
        row = ReportDefinition(name=name, owner_id=user.id, **fields)
        s.add(row)
        s.flush()
        audit.record(
            s,
            "report.add",
            actor=principal.username,
            target=name,
            detail={"template": template, "owner": user.username},
            client=client,
        )
        return _view(s, row)


def update_report(
    project: Project,
    store: MetadataStore,
    principal: Principal,
    report: str | int,
    *,
    template: str | None = None,
    range: str | None = None,
    where: Sequence[str | Filter] | None = None,
    formats: Sequence[str] | None = None,
    to: Sequence[str | dict[str, str]] | None = None,
    dashboard_id: int | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """Change the given fields of a report the caller may change; its view."""
    with store.session() as s:
        row = _changeable(s, principal, report)
        fields = _checked(
            project,
            template or row.template,
            range if range is not None else row.range,
            where if where is not None else [Filter.model_validate(f) for f in row.filters],
            formats if formats is not None else row.formats,
            to if to is not None else row.recipients,
            dashboard_id if dashboard_id is not None else row.dashboard_id,
        )
        for key, value in fields.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        audit.record(s, "report.update", actor=principal.username, target=row.name, client=client)
        return _view(s, row)


def list_reports(store: MetadataStore, principal: Principal) -> list[dict[str, Any]]:
    """The definitions the caller may see (their own; every one with ``reports:manage``), with
    schedule, next run and how the last run's deliveries went."""
    with store.session() as s:
        query = select(ReportDefinition).order_by(ReportDefinition.name)
        if not sees_all(principal):
            query = query.where(ReportDefinition.owner_id == principal.user_id)
        return [_view(s, row) for row in s.scalars(query)]


def get_report(store: MetadataStore, principal: Principal, report: str | int) -> dict[str, Any]:
    with store.session() as s:
        return _view(s, visible(s, principal, report))


def delete_report(
    store: MetadataStore, principal: Principal, report: str | int, *, client: str | None = None
) -> dict[str, Any]:
    """Remove a definition and its schedule (its runs and delivery log stay); its last view."""
    with store.session() as s:
        row = _changeable(s, principal, report)
        view = _view(s, row)
        if row.schedule_id is not None and (schedule := s.get(Schedule, row.schedule_id)) is not None:
            s.delete(schedule)
        s.delete(row)
        audit.record(s, "report.remove", actor=principal.username, target=row.name, client=client)
        return view


def schedule_report(
    store: MetadataStore,
    principal: Principal,
    report: str | int,
    when: str | None,
    *,
    timezone: str,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Send the report on a timetable (``when``: a preset or cron, read in ``timezone``), replacing
    its schedule if it had one; ``when=None`` takes it off its schedule. One transaction: a bad
    timetable, or a schedule name taken by another, leaves the old one. The report's view."""
    with store.session() as s:
        row = _changeable(s, principal, report)
        old = s.get(Schedule, row.schedule_id) if row.schedule_id is not None else None
        if old is not None:  # one timetable per report
            s.delete(old)
            s.flush()
        row.schedule_id = None
        if when is not None:
            made = schedules.create_schedule(
                s,
                SCHEDULE_PREFIX + row.name,
                "report",
                when,
                timezone=timezone,
                params=schedules.kind_params("report", report=row.name),
                created_by=principal.username,
                now=now,
            )
            row.schedule_id = made.id
        detail = {"cron": made.cron, "timezone": made.timezone} if when is not None else {"off": True}
        audit.record(
            s, "report.schedule", actor=principal.username, target=row.name, detail=detail, client=client
        )
        return _view(s, row)


def subscribe(
    project: Project,
    store: MetadataStore,
    principal: Principal,
    dashboard_id: int,
    *,
    to: str | None = None,
    channel: str | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    when: str | None = "weekly at 07:00",
    client: str | None = None,
) -> dict[str, Any]:
    """The caller subscribes to a dashboard they can read: a ``dashboard`` report owned by them,
    sent to their own address (``to``, else their user name when it is an address) through an
    email channel (``channel``, else the first in bizsight.yml), on ``when`` in the project's zone."""
    address = to or (principal.username if "@" in principal.username else None)
    if address is None:
        raise InvalidArgumentError("give the email address to send the dashboard to")
    if channel is None:
        emails = [n for n, c in project.settings.channels.items() if c.kind == "email"]
        if not emails:
            raise InvalidArgumentError("bizsight.yml has no email channel to send dashboards through")
        channel = emails[0]
    name = f"dashboard-{dashboard_id}-{principal.username}"
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:90]
    made = create_report(
        project,
        store,
        principal,
        name,
        DASHBOARD_TEMPLATE,
        formats=formats,
        to=[f"{channel}:{address}"],
        dashboard_id=dashboard_id,
        client=client,
    )
    if when is None:
        return made
    return schedule_report(
        store, principal, made["id"], when, timezone=project.settings.timezone, client=client
    )


# -- access ------------------------------------------------------------------------------------


def sees_all(principal: Principal) -> bool:
    """Another owner's report holds rows of that owner's scope: only unrestricted managers."""
    return allowed(principal, Permission.REPORTS_MANAGE) and not principal.restricted


def visible(s: OrmSession, principal: Principal, report: str | int) -> ReportDefinition:
    """The definition ``report`` (a name or an id) when the caller may see it; else not found."""
    row = _find(s, report)
    if row is None or not (row.owner_id == principal.user_id or sees_all(principal)):
        mine = select(ReportDefinition.name)
        if not sees_all(principal):
            mine = mine.where(ReportDefinition.owner_id == principal.user_id)
        hint = did_you_mean(str(report), list(s.scalars(mine))) if isinstance(report, str) else ""
        raise NotFoundError(f"no report {'named ' if isinstance(report, str) else ''}'{report}'{hint}")
    return row


def _changeable(s: OrmSession, principal: Principal, report: str | int) -> ReportDefinition:
    row = visible(s, principal, report)
    if row.owner_id != principal.user_id and not allowed(principal, Permission.REPORTS_MANAGE):
        raise AccessDeniedError(f"report '{row.name}' belongs to another user")
    return row


def _find(s: OrmSession, report: str | int) -> ReportDefinition | None:
    if isinstance(report, int):
        return s.get(ReportDefinition, report)
    return s.scalar(select(ReportDefinition).where(ReportDefinition.name == report))


def _owner(s: OrmSession, principal: Principal, owner: str | None) -> User:
    if owner is None or owner == principal.username:
        if principal.user_id == 0:  # the command line: the first admin owns what it defines
            first = s.scalar(select(User).where(User.role == Role.ADMIN.value).order_by(User.id))
            if first is None:
                raise InvalidArgumentError("no admin user yet: start `bizsight serve` once, or give --owner")
            return first
        return user_by_id(s, principal.user_id)
    if not allowed(principal, Permission.USERS):
        raise AccessDeniedError("only an admin may define a report for another user")
    return require_user(s, owner)


# -- checking ----------------------------------------------------------------------------------


def _checked(
    project: Project,
    template: str,
    range: str | None,
    where: Sequence[str | Filter],
    formats: Sequence[str],
    to: Sequence[str | dict[str, str]],
    dashboard_id: int | None,
) -> dict[str, Any]:
    """The stored fields of a definition, every one checked."""
    get_template(template)
    if range is not None and range not in RELATIVE_RANGES:
        raise InvalidArgumentError(
            f"unknown range '{range}'{did_you_mean(range, RELATIVE_RANGES)}; use one of {', '.join(RELATIVE_RANGES)}"
        )
    filters = [w if isinstance(w, Filter) else parse_where(w) for w in where]
    cat = catalogue(project)
    for f in filters:
        cat.dimension(f.dimension)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InvalidArgumentError(
            f"unknown report format '{unknown[0]}'{did_you_mean(unknown[0], FORMATS)}; "
            f"use {', '.join(FORMATS)} (the HTML is always the email's body)"
        )
    if (template == DASHBOARD_TEMPLATE) != (dashboard_id is not None):
        raise InvalidArgumentError(
            "a dashboard report names its dashboard (--dashboard ID), and only a dashboard report does"
        )
    found = checked_recipients(project, to)
    for r in found:
        if project.settings.channels[r.channel].kind == "email" and "@" not in r.to:
            raise InvalidArgumentError(f"recipient '{r}': give the address, e.g. {r.channel}:ann@example.com")
    return {
        "template": template,
        "range": range,
        "filters": [f.model_dump(mode="json") for f in filters],
        "formats": list(dict.fromkeys(formats)),
        "recipients": [r.as_dict() for r in dict.fromkeys(found)],
        "dashboard_id": dashboard_id,
    }


# -- views -------------------------------------------------------------------------------------


def filter_text(f: dict[str, Any]) -> str:
    """A stored filter as ``--where`` writes it.

    >>> filter_text({"dimension": "region", "op": "in", "values": ["Europe", "Asia"]})
    'region=Europe,Asia'
    >>> filter_text({"dimension": "cohort_month", "op": ">=", "values": ["2025-01-01"]})
    'cohort_month>=2025-01-01'
    """
    op = {"in": "=", "not_in": "!="}.get(f["op"], f["op"])
    return f"{f['dimension']}{op}{','.join(str(v) for v in f['values'])}"


def _view(s: OrmSession, row: ReportDefinition) -> dict[str, Any]:
    owner = s.get(User, row.owner_id)
    schedule = s.get(Schedule, row.schedule_id) if row.schedule_id is not None else None
    return {
        "id": row.id,
        "name": row.name,
        "template": row.template,
        "dashboard_id": row.dashboard_id,
        "range": row.range,
        "period": row.range or "the template's default",
        "filters": [filter_text(f) for f in row.filters],
        "formats": list(row.formats),
        "recipients": [dict(r) for r in row.recipients],
        "owner": owner.username if owner else None,
        "schedule": schedules.schedule_view(schedule, None) if schedule is not None else None,
        "last_run": last_run(s, row.id),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def last_run(s: OrmSession, report_id: int) -> dict[str, Any] | None:
    """The newest run of a report and how its deliveries stand (``sent`` when all are,
    ``failed`` when any failed, else ``pending``)."""
    run = s.scalar(
        select(ReportRun).where(ReportRun.report_id == report_id).order_by(ReportRun.id.desc()).limit(1)
    )
    if run is None:
        return None
    counts = dict(
        s.execute(
            select(Delivery.status, func.count())
            .where(Delivery.report_run_id == run.id)
            .group_by(Delivery.status)
        ).all()
    )
    status = "failed" if counts.get("failed") else "pending" if counts.get("pending") else "sent"
    return {
        "id": run.id,
        "created_at": run.created_at,
        "period": run.period,
        "status": status if counts else "rendered",
        "deliveries": {k: int(counts.get(k, 0)) for k in ("sent", "failed", "pending")},
    }
