"""Dashboards: widgets (a chart type, a metric query and a place on the grid) validated against
the catalogue when saved; owned by a user, shared with users or roles.

A dashboard's period is either fixed (``start``/``end``) or relative (``range``, a preset of the
filter bar such as ``last_12_months``, or any named range of the query model). A relative period
is kept as its name and resolved each time the dashboard is opened (:func:`resolve_period`),
counting back from the last day with data as the filter bar's presets do, so it rolls forward as
data arrive; a fixed one stays as saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bizsight.app import audit
from bizsight.app import dashboards as rows
from bizsight.app.accounts import user_by_id
from bizsight.app.models import Dashboard, Role
from bizsight.app.store import MetadataStore
from bizsight.errors import (
    AccessDeniedError,
    BizsightError,
    InvalidArgumentError,
    NotFoundError,
    did_you_mean,
)
from bizsight.metrics.compiler import compile_query
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import RELATIVE_RANGES, Filter, Query, relative_range
from bizsight.services.access import Permission, Principal, allowed
from bizsight.services.page_data import data_bounds
from bizsight.warehouse.connection import Warehouse

WidgetType = Literal["kpi", "line", "bar", "heatmap", "table", "pie"]
ALL_TIME = "all"  # the filter bar's "All time": every day with data
RANGES = (*RELATIVE_RANGES, ALL_TIME)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Layout(_Strict):
    """A place on a 12-column grid."""

    x: int = Field(default=0, ge=0, le=11)
    y: int = Field(default=0, ge=0, le=1000)
    w: int = Field(default=4, ge=1, le=12)
    h: int = Field(default=3, ge=1, le=24)


class Widget(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    type: WidgetType
    title: str = Field(default="", max_length=200)
    query: Query
    layout: Layout = Field(default_factory=Layout)


class GlobalFilters(_Strict):
    """Filters applied to every widget: a fixed date range or a named relative one (kept relative:
    resolved when the dashboard is opened), and dimension values."""

    range: str | None = Field(default=None, description=f"a relative period: {', '.join(RANGES)}")
    start: dt.date | None = None
    end: dt.date | None = None
    filters: tuple[Filter, ...] = ()

    @field_validator("range")
    @classmethod
    def _known_range(cls, value: str | None) -> str | None:
        if value is not None and value not in RANGES:
            raise ValueError(
                f"unknown range '{value}'{did_you_mean(value, RANGES)}; use one of {', '.join(RANGES)}"
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> GlobalFilters:
        if self.range and (self.start or self.end):
            raise ValueError("give either range (relative) or start/end (fixed), not both")
        return self


class Period(_Strict):
    """A dashboard's period as it stands today: ``range`` None when fixed."""

    range: str | None
    start: dt.date | None
    end: dt.date | None


def resolve_period(filters: GlobalFilters, first: dt.date | None, last: dt.date | None) -> Period:
    """The dates of a dashboard's period, given the first and last days with data: a fixed period
    as saved; a relative one counted back from ``last`` (today when there is no data yet), never
    starting before ``first``.

    >>> keep = GlobalFilters(range="last_12_months")
    >>> resolve_period(keep, dt.date(2024, 1, 5), dt.date(2026, 9, 30)).start
    datetime.date(2025, 10, 1)
    >>> resolve_period(keep, dt.date(2024, 1, 5), dt.date(2026, 12, 31)).start  # it rolls forward
    datetime.date(2026, 1, 1)
    >>> resolve_period(GlobalFilters(start=dt.date(2025, 1, 1)), None, dt.date(2026, 9, 30)).end is None
    True
    """
    if filters.range is None:
        return Period(range=None, start=filters.start, end=filters.end)
    anchor = last or dt.date.today()
    if filters.range == ALL_TIME:
        start, end = first or anchor, anchor
    else:
        start, end = relative_range(filters.range, anchor)
    if first is not None and start < first:
        start = first
    return Period(range=filters.range, start=start, end=end)


class DashboardIn(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    widgets: list[Widget] = Field(default_factory=list, max_length=50)
    filters: GlobalFilters = Field(default_factory=GlobalFilters)
    share_users: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list, max_length=200)
    share_roles: list[Role] = Field(default_factory=list)


def view(row: Dashboard, bounds: tuple[dt.date | None, dt.date | None] | None = None) -> dict[str, Any]:
    """A dashboard as the API answers it; with the data's ``bounds`` (first, last day) also its
    period resolved for today."""
    period = (
        {"period": resolve_period(GlobalFilters.model_validate(row.filters), *bounds).model_dump()}
        if bounds is not None
        else {}
    )
    return {
        **period,
        "id": row.id,
        "owner_id": row.owner_id,
        "title": row.title,
        "description": row.description,
        "widgets": row.widgets,
        "filters": row.filters,
        "share_users": [s.user_id for s in row.shares if s.user_id is not None],
        "share_roles": [s.role for s in row.shares if s.role is not None],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def validate(body: DashboardIn, catalogue: Catalogue, today: dt.date) -> None:
    """Every widget's query must compile against the catalogue, with the global filters applied."""
    ids = [w.id for w in body.widgets]
    if len(set(ids)) != len(ids):
        raise InvalidArgumentError("widget ids must be unique within a dashboard")
    for widget in body.widgets:
        try:
            compile_query(catalogue, apply_filters(widget.query, body.filters), today=today)
        except (BizsightError, ValueError) as err:  # unknown names, bad ranges, misfit dimensions
            raise InvalidArgumentError(f"widget {widget.id}: {str(err).splitlines()[0]}") from None


def apply_filters(query: Query, filters: GlobalFilters) -> Query:
    """A widget's query under the dashboard's global filters (their dates win over the widget's)."""
    update: dict[str, Any] = {"filters": (*query.filters, *filters.filters)}
    if filters.range == ALL_TIME:
        update |= {"range": None, "start": None, "end": None}
    elif filters.range or filters.start or filters.end:
        update |= {"range": filters.range, "start": filters.start, "end": filters.end}
    return Query.model_validate({**query.model_dump(), **update})


def list_dashboards(store: MetadataStore, principal: Principal) -> list[dict[str, Any]]:
    with store.session() as s:
        user = user_by_id(s, principal.user_id)
        everything = allowed(principal, Permission.USERS)
        return [view(d) for d in rows.visible_to(s, user, everything=everything)]


def get_dashboard(
    store: MetadataStore,
    principal: Principal,
    dashboard_id: int,
    wh: Warehouse | None = None,
) -> dict[str, Any]:
    """One dashboard; with the warehouse, ``period`` holds its dates today (a relative range
    resolved against the days with data)."""
    bounds = None
    if wh is not None:
        days = data_bounds(wh)
        bounds = (days["first"], days["last"])
    with store.session() as s:
        return view(readable(s, principal, dashboard_id), bounds)


def save_dashboard(
    store: MetadataStore,
    principal: Principal,
    body: DashboardIn,
    catalogue: Catalogue,
    dashboard_id: int | None = None,
    *,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Create (no id) or replace a dashboard the caller owns (admins: any)."""
    validate(body, catalogue, today or dt.date.today())
    with store.session() as s:
        for user_id in body.share_users:
            user_by_id(s, user_id)  # sharing with nobody is an error, not a silent no-op
        row = None
        if dashboard_id is not None:
            row = _writable(s, principal, dashboard_id)
        saved = rows.save(
            s,
            row,
            owner_id=principal.user_id,
            title=body.title,
            description=body.description,
            widgets=[w.model_dump(mode="json") for w in body.widgets],
            filters=body.filters.model_dump(mode="json"),
            share_users=body.share_users,
            share_roles=[r.value for r in body.share_roles],
        )
        action = "dashboard.create" if dashboard_id is None else "dashboard.update"
        audit.record(s, action, actor=principal.username, target=str(saved.id))
        return view(saved)


def delete_dashboard(store: MetadataStore, principal: Principal, dashboard_id: int) -> None:
    with store.session() as s:
        rows.remove(s, _writable(s, principal, dashboard_id))
        audit.record(s, "dashboard.delete", actor=principal.username, target=str(dashboard_id))


def readable(s: Any, principal: Principal, dashboard_id: int) -> Dashboard:
    """The dashboard when ``principal`` may read it (owner, shared with them or their role, or
    an admin); otherwise not found, so others' dashboards are not revealed."""
    row = rows.get(s, dashboard_id)
    if allowed(principal, Permission.USERS) or row.owner_id == principal.user_id:
        return row
    if any(sh.user_id == principal.user_id or sh.role == principal.role for sh in row.shares):
        return row
    raise NotFoundError(f"no dashboard with id {dashboard_id}")  # do not reveal others' dashboards


def _writable(s: Any, principal: Principal, dashboard_id: int) -> Dashboard:
    row = readable(s, principal, dashboard_id)
    if row.owner_id != principal.user_id and not allowed(principal, Permission.USERS):
        raise AccessDeniedError(
            f"dashboard {dashboard_id} belongs to another user; only they or an admin may change it"
        )
    return row
